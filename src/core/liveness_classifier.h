// SPDX-License-Identifier: MIT
#pragma once

#include "core/face_types.h"

#include <opencv2/dnn/dnn.hpp>

namespace facegate {

// passive anti-spoofing (fr_liveness.onnx): a 128x128 crop of 2.7x the face box, raw 0-255.
// not thread-safe: one instance per worker.
class LivenessClassifier {
  public:
    LivenessClassifier(cv::dnn::Net net, float live_threshold) : net_(std::move(net)), threshold_(live_threshold) {}
    Liveness classify(const cv::Mat& bgr, const cv::Rect2f& box);

  private:
    cv::dnn::Net net_;
    float threshold_; // score (0-100) from which a face reads as live
};

} // namespace facegate
