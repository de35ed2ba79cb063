// SPDX-License-Identifier: MIT
// decoding from memory: formats, orientation, reduced decoding, and refusal of bad input
#include "common/error.h"
#include "core/image_decoder.h"
#include "test_support.h"

#include <opencv2/imgproc.hpp>

using facegate::decode_image;
using facegate::ErrorCode;
using facegate::test::encode;
using facegate::test::synthetic_background;

namespace {

ErrorCode error_of(const std::vector<uint8_t>& bytes, const facegate::DecodeLimits& limits = {}) {
    try {
        decode_image(bytes, limits);
    } catch (const facegate::Error& e) {
        return e.code();
    }
    ADD_FAILURE() << "decode_image accepted the input";
    return ErrorCode::INTERNAL;
}

// a JPEG with an EXIF APP1 segment holding only the orientation tag
std::vector<uint8_t> jpeg_with_orientation(const cv::Mat& image, uint16_t orientation) {
    auto jpeg = encode(image, ".jpg");
    std::vector<uint8_t> tiff = {'I', 'I', 42, 0, 8, 0, 0, 0,            // little-endian TIFF, IFD at 8
                                 1, 0,                                     // one entry
                                 0x12, 0x01, 3, 0, 1, 0, 0, 0,             // tag 0x0112 SHORT x1
                                 uint8_t(orientation), 0, 0, 0,            // value
                                 0, 0, 0, 0};                              // no next IFD
    std::vector<uint8_t> app1 = {0xFF, 0xE1, 0, 0, 'E', 'x', 'i', 'f', 0, 0};
    app1.insert(app1.end(), tiff.begin(), tiff.end());
    uint16_t length = uint16_t(app1.size() - 2);
    app1[2] = uint8_t(length >> 8);
    app1[3] = uint8_t(length & 0xFF);
    jpeg.insert(jpeg.begin() + 2, app1.begin(), app1.end());
    return jpeg;
}

} // namespace

TEST(ImageDecoder, DecodesEveryFormatToEightBitBgr) {
    cv::Mat image = synthetic_background(160, 120);
    for (const char* ext : {".jpg", ".png", ".webp", ".bmp"}) {
        auto decoded = decode_image(encode(image, ext));
        EXPECT_EQ(decoded.bgr.type(), CV_8UC3) << ext;
        EXPECT_EQ(decoded.bgr.size(), image.size()) << ext;
        EXPECT_EQ(decoded.source_width, 160) << ext;
        EXPECT_DOUBLE_EQ(decoded.scale, 1.0) << ext;
    }
}

TEST(ImageDecoder, LosslessFormatsKeepPixels) {
    cv::Mat image = synthetic_background(64, 48);
    for (const char* ext : {".png", ".bmp"}) {
        auto decoded = decode_image(encode(image, ext));
        EXPECT_EQ(cv::norm(decoded.bgr, image, cv::NORM_INF), 0) << ext;
    }
}

TEST(ImageDecoder, SixteenBitAndAlphaPngBecomeEightBitBgr) {
    cv::Mat image = synthetic_background(64, 48);
    cv::Mat wide;
    image.convertTo(wide, CV_16UC3, 257.0);
    auto decoded16 = decode_image(encode(wide, ".png"));
    EXPECT_EQ(decoded16.bgr.type(), CV_8UC3);
    EXPECT_LE(cv::norm(decoded16.bgr, image, cv::NORM_INF), 1);

    cv::Mat rgba;
    cv::cvtColor(image, rgba, cv::COLOR_BGR2BGRA);
    auto decoded_alpha = decode_image(encode(rgba, ".png"));
    EXPECT_EQ(decoded_alpha.bgr.type(), CV_8UC3);
    EXPECT_EQ(cv::norm(decoded_alpha.bgr, image, cv::NORM_INF), 0);
}

TEST(ImageDecoder, HonoursExifOrientation) {
    cv::Mat image = synthetic_background(200, 100);
    auto rotated = decode_image(jpeg_with_orientation(image, 6)); // "rotate 90 clockwise to display"
    EXPECT_EQ(rotated.bgr.cols, 100);
    EXPECT_EQ(rotated.bgr.rows, 200);
    EXPECT_EQ(rotated.source_width, 100);
    EXPECT_EQ(rotated.source_height, 200);
    auto upright = decode_image(jpeg_with_orientation(image, 1));
    EXPECT_EQ(upright.bgr.cols, 200);
}

TEST(ImageDecoder, LargeJpegDecodesAtReducedScaleKeepingDetectionSize) {
    cv::Mat image = synthetic_background(4000, 3000);
    auto decoded = decode_image(encode(image, ".jpg", {cv::IMWRITE_JPEG_QUALITY, 50}));
    EXPECT_EQ(decoded.bgr.cols, 2000);
    EXPECT_EQ(decoded.bgr.rows, 1500);
    EXPECT_EQ(decoded.source_width, 4000);
    EXPECT_DOUBLE_EQ(decoded.scale, 0.5);
    // 1920 px and below decode at full size: nothing a 40 px face needs is lost
    auto full = decode_image(encode(synthetic_background(1920, 1080), ".jpg"));
    EXPECT_EQ(full.bgr.cols, 1920);
}

TEST(ImageDecoder, RefusesEmptyAndNonImageBytes) {
    EXPECT_EQ(error_of({}), ErrorCode::INVALID_IMAGE_FORMAT);
    EXPECT_EQ(error_of({'h', 'e', 'l', 'l', 'o'}), ErrorCode::INVALID_IMAGE_FORMAT);
    std::vector<uint8_t> noise(4096);
    cv::RNG rng(1);
    for (auto& b : noise) b = uint8_t(rng.uniform(0, 256));
    EXPECT_EQ(error_of(noise), ErrorCode::INVALID_IMAGE_FORMAT);
    std::vector<uint8_t> gif = {'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, 0, 0, 0};
    EXPECT_EQ(error_of(gif), ErrorCode::INVALID_IMAGE_FORMAT);
}

TEST(ImageDecoder, RefusesTruncatedImages) {
    cv::Mat image = synthetic_background(320, 240);
    for (const char* ext : {".jpg", ".png", ".webp", ".bmp"}) {
        auto bytes = encode(image, ext);
        for (double keep : {0.9, 0.5, 0.1}) {
            std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + long(bytes.size() * keep));
            EXPECT_EQ(error_of(cut), ErrorCode::INVALID_IMAGE_FORMAT) << ext << " cut to " << keep;
        }
        std::vector<uint8_t> header_only(bytes.begin(), bytes.begin() + 10);
        EXPECT_EQ(error_of(header_only), ErrorCode::INVALID_IMAGE_FORMAT) << ext;
    }
}

TEST(ImageDecoder, RefusesMoreThanFiveMegabytesAsTooLarge) {
    std::vector<uint8_t> big(5 * 1024 * 1024 + 1, 0xFF);
    EXPECT_EQ(error_of(big), ErrorCode::IMAGE_TOO_LARGE);
    auto small = encode(synthetic_background(64, 64), ".png");
    facegate::DecodeLimits tight;
    tight.max_bytes = small.size() - 1;
    EXPECT_EQ(error_of(small, tight), ErrorCode::IMAGE_TOO_LARGE);
}

TEST(ImageDecoder, RefusesDecompressionBombsFromTheHeader) {
    // a PNG whose header claims 100000 x 100000 pixels: refused before any pixel is decoded
    auto png = encode(synthetic_background(64, 64), ".png");
    for (int i : {16, 20}) {
        png[i] = 0; png[i + 1] = 1; png[i + 2] = 0x86; png[i + 3] = 0xA0; // 100000
    }
    EXPECT_EQ(error_of(png), ErrorCode::INVALID_IMAGE_FORMAT);
    // a JPEG whose frame header claims 60000 x 60000
    auto jpeg = encode(synthetic_background(64, 64), ".jpg");
    for (size_t i = 2; i + 9 < jpeg.size(); ++i) {
        if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xC0) {
            jpeg[i + 5] = 0xEA; jpeg[i + 6] = 0x60; jpeg[i + 7] = 0xEA; jpeg[i + 8] = 0x60;
            break;
        }
    }
    EXPECT_EQ(error_of(jpeg), ErrorCode::INVALID_IMAGE_FORMAT);
}

TEST(ImageDecoder, RefusesImagesTooSmallToHoldAFace) {
    EXPECT_EQ(error_of(encode(synthetic_background(8, 8), ".png")), ErrorCode::INVALID_IMAGE_FORMAT);
}

TEST(ImageDecoder, ErrorMessagesSayWhatIsWrong) {
    try {
        decode_image(std::vector<uint8_t>{'h', 'i', '!', '!'});
        FAIL();
    } catch (const facegate::Error& e) {
        EXPECT_NE(std::string(e.what()).find("not a JPEG, PNG, WebP or BMP"), std::string::npos) << e.what();
    }
}

// an OS/2 bitmap (12-byte BITMAPCOREHEADER) has unsigned 16-bit sides: 0xFFF0 rows is 65520 rows, not
// -16. read as signed, the probe saw a complete 8192 x 16 one-bit image (16 KB) and let OpenCV allocate
// 8192 x 65520 x 3 bytes (1.6 GB) before finding the data short: the fuzzer's find. the probe must refuse
// it, before any decoder runs
TEST(ImageDecoder, RefusesOs2BitmapsWithHugeUnsignedSides) {
    const size_t offset = 14 + 12 + 2 * 3;   // file header, core header, two-colour palette
    std::vector<uint8_t> bmp(offset + 1024 * 16, 0x55);
    bmp[0] = 'B'; bmp[1] = 'M';
    bmp[10] = uint8_t(offset);
    bmp[14] = 12; bmp[15] = bmp[16] = bmp[17] = 0; // BITMAPCOREHEADER
    bmp[18] = 0x00; bmp[19] = 0x20;        // width 8192
    bmp[20] = 0xF0; bmp[21] = 0xFF;        // height 65520
    bmp[22] = 1; bmp[23] = 0;              // planes
    bmp[24] = 1; bmp[25] = 0;              // bits per pixel
    try {
        decode_image(bmp);
        FAIL() << "decode_image accepted the input";
    } catch (const facegate::Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::INVALID_IMAGE_FORMAT);
        EXPECT_NE(std::string(e.what()).find("8192x65520 pixels exceeds the decoder's limits"), std::string::npos)
            << e.what();
    }
}
