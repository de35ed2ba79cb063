// SPDX-License-Identifier: MIT
// time of one forward pass of each model on OpenCV's CPU backend, random input, batch 1.
// usage: bench_forward [THREADS]   (models from FACEGATE_MODEL_DIR or the build's default)
#include "core/model_files.h"

#include <opencv2/core/utility.hpp>
#include <opencv2/dnn.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    int threads = argc > 1 ? std::stoi(argv[1]) : 1;
    cv::setNumThreads(threads);
    struct Model { const char* file; int channels, height, width; };
    for (const auto& m : {Model{"fr_detect.onnx", 3, 240, 320}, Model{"fr_landmark.onnx", 1, 64, 64},
                          Model{"fr_feature.onnx", 3, 112, 112}, Model{"fr_liveness.onnx", 3, 128, 128},
                          Model{"fr_eye.onnx", 1, 24, 24}}) {
        auto net = cv::dnn::readNetFromONNX((facegate::default_model_dir() / m.file).string());
        int shape[] = {1, m.channels, m.height, m.width};
        cv::Mat blob(4, shape, CV_32F);
        cv::randu(blob, -1, 1);
        std::vector<double> ms;
        for (int i = 0; i < 53; ++i) {
            auto start = std::chrono::steady_clock::now();
            net.setInput(blob);
            net.forward();
            if (i >= 3) ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
        }
        std::sort(ms.begin(), ms.end());
        std::printf("%-18s %d thread(s): median %.2f ms per forward pass\n", m.file, threads, ms[ms.size() / 2]);
    }
}
