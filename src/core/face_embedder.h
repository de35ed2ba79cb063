// SPDX-License-Identifier: MIT
#pragma once

#include <opencv2/dnn/dnn.hpp>

#include <vector>

namespace facegate {

constexpr int kEmbeddingSize = 512;

// 512-d identity embedding (fr_feature.onnx) of an aligned 112x112 BGR face, L2-normalised;
// with_mirror sums the embeddings of the face and its mirror image before normalising.
// not thread-safe: one instance per worker.
class FaceEmbedder {
  public:
    // with_mirror: the mirror image's embedding is averaged in, computed on `mirror_net` (a second copy
    // of the same model, 5 MB) at the same time as the face's own on `net`
    FaceEmbedder(cv::dnn::Net net, cv::dnn::Net mirror_net, bool with_mirror)
        : net_(std::move(net)), mirror_net_(std::move(mirror_net)), with_mirror_(with_mirror) {}
    std::vector<float> embed(const cv::Mat& aligned_bgr);

  private:
    cv::dnn::Net net_, mirror_net_;
    bool with_mirror_;
};

// dot product of two L2-normalised embeddings, in [-1, 1]
float cosine_similarity(const std::vector<float>& a, const std::vector<float>& b);

} // namespace facegate
