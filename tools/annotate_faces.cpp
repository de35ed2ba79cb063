// SPDX-License-Identifier: MIT
// dev tool: draws what the engine finds (boxes, confidences, 68 landmarks, liveness) into a PNG,
// so detection and landmark quality can be looked at. usage: annotate_faces IN OUT.png
#include "core/face_engine.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <fstream>
#include <iostream>
#include <iterator>

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: annotate_faces IN OUT.png\n";
        return 2;
    }
    std::ifstream in(argv[1], std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
    facegate::DecodedImage image = facegate::decode_image(bytes);
    facegate::FaceEngine engine({.workers = 1});
    auto analysis = engine.analyze(image.bgr);
    cv::Mat out = image.bgr.clone();
    for (const auto& face : analysis.faces) {
        cv::rectangle(out, face.box.rect, {0, 255, 0}, 2);
        for (const auto& p : face.landmarks) cv::circle(out, p, 2, {0, 0, 255}, -1);
        for (const auto& p : face.alignment_points) cv::circle(out, p, 3, {255, 0, 0}, -1);
        char label[64];
        std::snprintf(label, sizeof label, "%.2f live %.0f", face.box.confidence, face.liveness.score);
        cv::putText(out, label, face.box.rect.tl() + cv::Point2f(0, -4), cv::FONT_HERSHEY_SIMPLEX, 0.6, {0, 255, 255}, 2);
    }
    cv::imwrite(argv[2], out);
    std::cout << analysis.faces.size() << " faces\n";
}
