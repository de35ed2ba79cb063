// SPDX-License-Identifier: MIT
#pragma once

#include "core/face_types.h"

#include <opencv2/dnn/dnn.hpp>

namespace facegate {

// open/closed eyes (fr_eye.onnx) from 24x24 grey crops around each eye's landmarks.
// not thread-safe: one instance per worker.
class EyeStateClassifier {
  public:
    explicit EyeStateClassifier(cv::dnn::Net net) : net_(std::move(net)) {}
    EyesOpen classify(const cv::Mat& bgr, const Landmarks68& landmarks);

  private:
    float open_probability(const cv::Mat& bgr, const Landmarks68& landmarks, int first);
    cv::dnn::Net net_;
};

} // namespace facegate
