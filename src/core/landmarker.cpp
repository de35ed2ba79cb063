// SPDX-License-Identifier: MIT
#include "core/landmarker.h"

#include "core/crop.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>

namespace facegate {

namespace {
constexpr int kInputSize = 64;
}

Landmarks68 Landmarker::locate(const cv::Mat& bgr, const cv::Rect2f& box) {
    float side = std::max(box.width, box.height);
    cv::Point2f center(box.x + box.width / 2, box.y + box.height / 2);
    cv::Mat crop = crop_square(bgr, center, side, kInputSize);
    cv::Mat gray;
    cv::cvtColor(crop, gray, cv::COLOR_BGR2GRAY);
    net_.setInput(cv::dnn::blobFromImage(gray, 1.0 / 256));
    cv::Mat out = net_.forward();
    const float* v = out.ptr<float>();
    Landmarks68 points;
    float x0 = center.x - side / 2, y0 = center.y - side / 2;
    for (size_t i = 0; i < points.size(); ++i) points[i] = {x0 + v[2 * i] * side, y0 + v[2 * i + 1] * side};
    return points;
}

Landmarks5 alignment_points(const Landmarks68& p) {
    auto mean = [&](int first, int last) {
        cv::Point2f sum(0, 0);
        for (int i = first; i <= last; ++i) sum += p[i];
        return sum / float(last - first + 1);
    };
    return {mean(36, 41), mean(42, 47), p[30], p[48], p[54]};
}

} // namespace facegate
