// SPDX-License-Identifier: MIT
#pragma once

#include "core/face_types.h"

#include <opencv2/core/mat.hpp>

namespace facegate {

// brightness and sharpness measured on the aligned 112x112 face, so both are independent of the
// face's size in the picture; face_width_px is the box width in source pixels (box / decode scale)
FaceQuality measure_quality(const cv::Mat& aligned_bgr, const cv::Rect2f& box, double decode_scale);

// head pose from six landmarks and a generic 3-D face (solvePnP), degrees.
// yaw > 0: the face turns towards the image's left; pitch > 0: it looks up; roll > 0: clockwise in the image.
HeadPose estimate_pose(const Landmarks68& landmarks, const cv::Size& image);

} // namespace facegate
