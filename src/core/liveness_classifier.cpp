// SPDX-License-Identifier: MIT
#include "core/liveness_classifier.h"

#include "core/crop.h"
#include "core/softmax.h"

#include <opencv2/imgproc.hpp>
#include <cstdio>
#include <cstdlib>

namespace facegate {

namespace {
constexpr int kInputSize = 128;
constexpr float kContextFactor = 2.7f;
static const bool kRgbInput = !getenv("LIVE_BGR"); // channel order: RGB as the package feeds it (measured: docs/models.md)
constexpr int kLiveClass = 0; // softmax class 0 is a live face; 1 a print or replay (measured: docs/models.md)
} // namespace

Liveness LivenessClassifier::classify(const cv::Mat& bgr, const cv::Rect2f& box) {
    cv::Rect region = context_rect(bgr.size(), box, kContextFactor);
    cv::Mat crop;
    cv::resize(bgr(region), crop, cv::Size(kInputSize, kInputSize), 0, 0, cv::INTER_LINEAR);
    net_.setInput(cv::dnn::blobFromImage(crop, 1.0, cv::Size(), cv::Scalar(), kRgbInput, false));
    cv::Mat out = net_.forward();
    auto p = softmax(out.ptr<float>(), int(out.total()));
    float score = 100.f * p[kLiveClass];
    if (getenv("LIVE_DEBUG")) fprintf(stderr, "live %.3f %.3f %.3f\n", p[0], p[1], p[2]);
    return {score, score >= threshold_};
}

} // namespace facegate
