// SPDX-License-Identifier: MIT
#pragma once

#include <opencv2/dnn/dnn.hpp>

#include <vector>

namespace facegate {

constexpr int kEmbeddingSize = 512;

// 512-d identity embedding (fr_feature.onnx) of an aligned 112x112 BGR face, L2-normalised.
// not thread-safe: one instance per worker.
class FaceEmbedder {
  public:
    explicit FaceEmbedder(cv::dnn::Net net) : net_(std::move(net)) {}
    std::vector<float> embed(const cv::Mat& aligned_bgr);

  private:
    cv::dnn::Net net_;
};

// dot product of two L2-normalised embeddings, in [-1, 1]
float cosine_similarity(const std::vector<float>& a, const std::vector<float>& b);

} // namespace facegate
