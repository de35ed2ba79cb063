// SPDX-License-Identifier: MIT
#pragma once

// a smooth full-resolution field (lighting, shadow, surface tone) given by a coarse grid and read one
// row at a time. the capture's fields never exist as full-size images: a fresh multi-megabyte buffer
// costs more in page faults than the arithmetic that fills it.

#include <opencv2/core/mat.hpp>

#include <vector>

namespace facegate {

class SmoothField {
  public:
    // `coarse`: CV_32F grid stretched over `size`, bilinear between cell centres as cv::resize's
    // INTER_LINEAR
    SmoothField(cv::Mat coarse, cv::Size size);

    // row `y` of the field: size.width values
    void row(int y, float* out) const;

    cv::Size size() const { return size_; }

  private:
    cv::Mat coarse_;
    cv::Size size_;
    std::vector<int> x0_;
    std::vector<float> fx_;
    mutable std::vector<float> blended_; // one coarse row, interpolated vertically
};

} // namespace facegate
