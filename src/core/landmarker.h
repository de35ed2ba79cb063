// SPDX-License-Identifier: MIT
#pragma once

#include "core/face_types.h"

#include <opencv2/dnn/dnn.hpp>

namespace facegate {

// 68-point landmarks (fr_landmark.onnx) from a 64x64 grey square crop around the face box.
// not thread-safe: one instance per worker.
class Landmarker {
  public:
    explicit Landmarker(cv::dnn::Net net) : net_(std::move(net)) {}
    Landmarks68 locate(const cv::Mat& bgr, const cv::Rect2f& box);

  private:
    cv::dnn::Net net_;
};

// the five alignment points: eye centres (mean of each eye's six points), nose tip, mouth corners
Landmarks5 alignment_points(const Landmarks68& landmarks);

} // namespace facegate
