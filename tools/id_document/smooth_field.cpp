// SPDX-License-Identifier: MIT
// bilinear upsampling of a coarse grid, row by row
#include "id_document/smooth_field.h"

#include <algorithm>
#include <cmath>

namespace facegate {

namespace {

// the source coordinate of destination pixel `i` (pixel centres aligned), split into a cell and a weight
void source_coordinate(int i, int dst, int src, int& index, float& weight) {
    float s = std::clamp((i + 0.5f) * float(src) / float(dst) - 0.5f, 0.f, float(src - 1));
    index = std::min(int(s), src - 2 < 0 ? 0 : src - 2);
    weight = src < 2 ? 0.f : s - float(index);
}

} // namespace

SmoothField::SmoothField(cv::Mat coarse, cv::Size size)
    : coarse_(std::move(coarse)), size_(size), x0_(size_t(size.width)), fx_(size_t(size.width)),
      blended_(size_t(coarse_.cols)) {
    CV_Assert(coarse_.type() == CV_32FC1 && !coarse_.empty());
    for (int x = 0; x < size.width; ++x) source_coordinate(x, size.width, coarse_.cols, x0_[size_t(x)], fx_[size_t(x)]);
}

void SmoothField::row(int y, float* out) const {
    int y0;
    float fy;
    source_coordinate(y, size_.height, coarse_.rows, y0, fy);
    const float* a = coarse_.ptr<float>(y0);
    const float* b = coarse_.ptr<float>(std::min(y0 + 1, coarse_.rows - 1));
    for (int k = 0; k < coarse_.cols; ++k) blended_[size_t(k)] = a[k] + (b[k] - a[k]) * fy;
    const int last = coarse_.cols - 1;
    for (int x = 0; x < size_.width; ++x) {
        int k = x0_[size_t(x)];
        float left = blended_[size_t(k)], right = blended_[size_t(std::min(k + 1, last))];
        out[x] = left + (right - left) * fx_[size_t(x)];
    }
}

} // namespace facegate
