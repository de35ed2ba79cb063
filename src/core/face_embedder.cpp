// SPDX-License-Identifier: MIT
#include "core/face_embedder.h"

#include "common/error.h"

#include <opencv2/core.hpp>

#include <cmath>
#include <numeric>

namespace facegate {

std::vector<float> FaceEmbedder::embed(const cv::Mat& aligned_bgr) {
    std::vector<float> embedding(kEmbeddingSize, 0.f);
    auto accumulate = [&](const cv::Mat& face) {
        net_.setInput(cv::dnn::blobFromImage(face, 1.0 / 128, cv::Size(), cv::Scalar(127, 127, 127), true, false));
        cv::Mat out = net_.forward();
        if (out.total() != kEmbeddingSize) throw Error(ErrorCode::INTERNAL, "feature model gave an unexpected output size");
        const float* v = out.ptr<float>();
        for (int i = 0; i < kEmbeddingSize; ++i) embedding[i] += v[i];
    };
    accumulate(aligned_bgr);
    if (with_mirror_) {
        // the mirror image's embedding averaged in: steadier under pose, lighting and landmark error
        // (lowest augmented genuine pair 78 -> 86, docs/calibration.md) for one more forward pass
        cv::Mat mirrored;
        cv::flip(aligned_bgr, mirrored, 1);
        accumulate(mirrored);
    }
    float norm = std::sqrt(std::inner_product(embedding.begin(), embedding.end(), embedding.begin(), 0.f));
    if (norm > 0) for (float& x : embedding) x /= norm;
    return embedding;
}

float cosine_similarity(const std::vector<float>& a, const std::vector<float>& b) {
    if (a.size() != b.size() || a.empty()) throw Error(ErrorCode::INTERNAL, "embeddings of different sizes");
    return std::inner_product(a.begin(), a.end(), b.begin(), 0.f);
}

} // namespace facegate
