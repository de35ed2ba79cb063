// SPDX-License-Identifier: MIT
#include "core/face_embedder.h"

#include "common/error.h"

#include <cmath>
#include <numeric>

namespace facegate {

std::vector<float> FaceEmbedder::embed(const cv::Mat& aligned_bgr) {
    net_.setInput(cv::dnn::blobFromImage(aligned_bgr, 1.0 / 128, cv::Size(), cv::Scalar(127, 127, 127), true, false));
    cv::Mat out = net_.forward();
    if (out.total() != kEmbeddingSize) throw Error(ErrorCode::INTERNAL, "feature model gave an unexpected output size");
    const float* v = out.ptr<float>();
    std::vector<float> embedding(v, v + kEmbeddingSize);
    float norm = std::sqrt(std::inner_product(embedding.begin(), embedding.end(), embedding.begin(), 0.f));
    if (norm > 0) for (float& x : embedding) x /= norm;
    return embedding;
}

float cosine_similarity(const std::vector<float>& a, const std::vector<float>& b) {
    if (a.size() != b.size() || a.empty()) throw Error(ErrorCode::INTERNAL, "embeddings of different sizes");
    return std::inner_product(a.begin(), a.end(), b.begin(), 0.f);
}

} // namespace facegate
