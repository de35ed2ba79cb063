// SPDX-License-Identifier: MIT
#pragma once

#include <opencv2/core/mat.hpp>

namespace facegate {

// the square of side `side` centred on `center`, resampled to out_size x out_size;
// parts outside the image repeat the border so a face at the edge still gives a full crop
cv::Mat crop_square(const cv::Mat& image, cv::Point2f center, float side, int out_size);

// a rectangle `factor` times the face box around its centre, shrunk to fit the image and then
// shifted inside it (how the liveness model was trained: context around the face, never padding)
cv::Rect context_rect(const cv::Size& image, const cv::Rect2f& face, float factor);

} // namespace facegate
