// SPDX-License-Identifier: MIT
#include "core/face_embedder.h"

#include "common/error.h"

#include <opencv2/core.hpp>

#include <cmath>
#include <future>
#include <numeric>

namespace facegate {

std::vector<float> FaceEmbedder::embed(const cv::Mat& aligned_bgr) {
    auto forward = [](cv::dnn::Net& net, const cv::Mat& face) {
        net.setInput(cv::dnn::blobFromImage(face, 1.0 / 128, cv::Size(), cv::Scalar(127, 127, 127), true, false));
        cv::Mat out = net.forward();
        if (out.total() != kEmbeddingSize) throw Error(ErrorCode::INTERNAL, "feature model gave an unexpected output size");
        return out.clone();
    };
    std::future<cv::Mat> mirror;
    if (with_mirror_) {
        // the mirror image's embedding averaged in: steadier under pose, lighting and landmark error
        // (lowest augmented genuine pair 78 -> 86, docs/calibration.md); its pass runs on the second
        // network beside the face's own, so it costs a core rather than time
        mirror = std::async(std::launch::async, [&] {
            cv::Mat mirrored;
            cv::flip(aligned_bgr, mirrored, 1);
            return forward(mirror_net_, mirrored);
        });
    }
    cv::Mat own = forward(net_, aligned_bgr);
    std::vector<float> embedding(own.ptr<float>(), own.ptr<float>() + kEmbeddingSize);
    if (mirror.valid()) {
        cv::Mat other = mirror.get();
        const float* v = other.ptr<float>();
        for (int i = 0; i < kEmbeddingSize; ++i) embedding[i] += v[i];
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
