// SPDX-License-Identifier: MIT
// writes small valid images of every supported format into DIR: the fuzzer's seed corpus
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    cv::Mat image(48, 64, CV_8UC3);
    cv::RNG rng(3);
    rng.fill(image, cv::RNG::UNIFORM, 0, 255);
    cv::GaussianBlur(image, image, cv::Size(5, 5), 2);
    cv::Mat rgba, wide;
    cv::cvtColor(image, rgba, cv::COLOR_BGR2BGRA);
    image.convertTo(wide, CV_16UC3, 257);
    struct Seed { std::string name; const cv::Mat* image; std::string ext; };
    for (const auto& seed : {Seed{"seed.jpg", &image, ".jpg"}, Seed{"seed.png", &image, ".png"},
                             Seed{"seed-rgba.png", &rgba, ".png"}, Seed{"seed-16bit.png", &wide, ".png"},
                             Seed{"seed.webp", &image, ".webp"}, Seed{"seed.bmp", &image, ".bmp"}}) {
        std::vector<uint8_t> bytes;
        cv::imencode(seed.ext, *seed.image, bytes);
        std::ofstream(std::string(argv[1]) + "/" + seed.name, std::ios::binary)
            .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    }
    // an OS/2 bitmap (12-byte core header, 16-bit sides): OpenCV writes only the Windows kind, and this
    // header's unsigned sides were once misread (tests/unit/test_image_decoder.cpp)
    std::vector<uint8_t> os2(14 + 12 + 6 + 4 * 16, 0x5A);
    const uint8_t header[] = {'B', 'M', uint8_t(os2.size()), 0, 0, 0, 0, 0, 0, 0, 32, 0, 0, 0,
                              12, 0, 0, 0, 32, 0, 16, 0, 1, 0, 1, 0};
    std::copy(std::begin(header), std::end(header), os2.begin());
    std::ofstream(std::string(argv[1]) + "/seed-os2.bmp", std::ios::binary)
        .write(reinterpret_cast<const char*>(os2.data()), std::streamsize(os2.size()));
}
