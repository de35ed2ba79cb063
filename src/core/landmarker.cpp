// SPDX-License-Identifier: MIT
#include "core/landmarker.h"

#include "core/crop.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <vector>

namespace facegate {

namespace {
constexpr int kInputSize = 64;
// the crop the model sees for a typical detection, measured over the photo sets (docs/models.md):
// side 1.33x the landmarks' extent, centre 0.097 of the side above their centroid
constexpr float kCropToExtent = 1.33f;
constexpr float kCropShiftUp = -0.097f;
}

Landmarks68 Landmarker::locate_in_square(const cv::Mat& bgr, cv::Point2f center, float side) {
    cv::Mat gray;
    cv::cvtColor(crop_square(bgr, center, side, kInputSize), gray, cv::COLOR_BGR2GRAY);
    net_.setInput(cv::dnn::blobFromImage(gray, 1.0 / 256));
    cv::Mat out = net_.forward();
    const float* v = out.ptr<float>();
    Landmarks68 points;
    float x0 = center.x - side / 2, y0 = center.y - side / 2;
    for (size_t i = 0; i < points.size(); ++i) points[i] = {x0 + v[2 * i] * side, y0 + v[2 * i + 1] * side};
    return points;
}

Landmarks68 Landmarker::locate(const cv::Mat& bgr, const cv::Rect2f& box) {
    Landmarks68 points = locate_in_square(bgr, {box.x + box.width / 2, box.y + box.height / 2},
                                          std::max(box.width, box.height));
    // second pass on the crop the model expects around these points: detector boxes vary in how much
    // hair and chin they hold, and the landmarks are only as good as the crop is typical
    cv::Rect2f extent = cv::boundingRect(std::vector<cv::Point2f>(points.begin(), points.end()));
    cv::Point2f centroid(0, 0);
    for (const auto& p : points) centroid += p;
    centroid /= float(points.size());
    float side = kCropToExtent * std::max(extent.width, extent.height);
    return locate_in_square(bgr, centroid + cv::Point2f(0, kCropShiftUp * side), side);
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
