// SPDX-License-Identifier: MIT
#pragma once

#include "core/face_types.h"

#include <opencv2/dnn/dnn.hpp>

namespace facegate {

// 68-point landmarks (fr_landmark.onnx) from a 64x64 grey square crop around the face box,
// refined by a second pass on the crop the first pass's points call for.
// not thread-safe: one instance per worker.
class Landmarker {
  public:
    explicit Landmarker(cv::dnn::Net net) : net_(std::move(net)) {}
    Landmarks68 locate(const cv::Mat& bgr, const cv::Rect2f& box);

  private:
    Landmarks68 locate_in_square(const cv::Mat& bgr, cv::Point2f center, float side, double angle_deg);
    cv::dnn::Net net_;
};

// the five alignment points: eye centres (mean of each eye's six points), nose tip, mouth corners
Landmarks5 alignment_points(const Landmarks68& landmarks);

} // namespace facegate
