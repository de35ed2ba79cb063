// SPDX-License-Identifier: MIT
// shared helpers of the test suite: where the models, sample photos and shared data are, and
// image synthesis for tests that must not depend on files
#pragma once

#include "core/face_engine.h"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

namespace facegate::test {

inline std::filesystem::path model_dir() { return FACEGATE_TEST_MODEL_DIR; }
inline std::filesystem::path samples_dir() { return FACEGATE_TEST_SAMPLES_DIR; }
inline std::filesystem::path shared_dir() { return FACEGATE_TEST_SHARED_DIR; }
inline std::filesystem::path source_dir() { return FACEGATE_TEST_SOURCE_DIR; }

inline std::vector<uint8_t> read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path.string());
    return {std::istreambuf_iterator<char>(in), {}};
}

inline std::vector<uint8_t> encode(const cv::Mat& image, const std::string& ext, std::vector<int> params = {}) {
    std::vector<uint8_t> out;
    if (!cv::imencode(ext, image, out, params)) throw std::runtime_error("cannot encode " + ext);
    return out;
}

// one engine for a whole test program: loading models is the slow part
inline const FaceEngine& shared_engine() {
    static std::unique_ptr<FaceEngine> engine = [] {
        EngineConfig config;
        config.model_dir = model_dir();
        config.workers = 2;
        return std::make_unique<FaceEngine>(config);
    }();
    return *engine;
}

// a smooth textured picture with no face in it
inline cv::Mat synthetic_background(int width, int height, int seed = 7) {
    cv::Mat noise(height / 16 + 1, width / 16 + 1, CV_8UC3);
    cv::RNG rng(seed);
    rng.fill(noise, cv::RNG::UNIFORM, 40, 200);
    cv::Mat out;
    cv::resize(noise, out, cv::Size(width, height), 0, 0, cv::INTER_CUBIC);
    return out;
}

} // namespace facegate::test

// skips a test whose models were not fetched (scripts/fetch_models.sh)
#define FACEGATE_REQUIRE_MODELS()                                                                      \
    do {                                                                                               \
        if (!std::filesystem::exists(facegate::test::model_dir() / "fr_detect.onnx"))                  \
            GTEST_SKIP() << "models not fetched: run scripts/fetch_models.sh";                         \
    } while (0)

// skips a test that needs ../shared/data (absent on a user's fresh machine), saying so
#define FACEGATE_REQUIRE_SHARED_DATA()                                                                 \
    do {                                                                                               \
        if (!std::filesystem::exists(facegate::test::shared_dir() / "faces"))                          \
            GTEST_SKIP() << "../shared/data is absent: this test needs the shared photo set at "       \
                         << facegate::test::shared_dir();                                              \
    } while (0)
