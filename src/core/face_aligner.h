// SPDX-License-Identifier: MIT
#pragma once

#include "core/face_types.h"

#include <opencv2/core/mat.hpp>

namespace facegate {

// the ArcFace 112x112 five-point template the feature model was trained on
const Landmarks5& arcface_template();

// least-squares similarity transform (rotation, uniform scale, translation; Umeyama 1991)
// taking `from` onto `to`, as a 2x3 matrix
cv::Matx23d estimate_similarity(const Landmarks5& from, const Landmarks5& to);

// the face warped onto the template: 112x112 BGR
cv::Mat align_face(const cv::Mat& bgr, const Landmarks5& points);

} // namespace facegate
