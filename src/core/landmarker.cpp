// SPDX-License-Identifier: MIT
#include "core/landmarker.h"


#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

namespace facegate {

namespace {
constexpr int kInputSize = 64;
// the crop the model sees for a typical detection, measured over the photo sets (docs/models.md):
// side 1.33x the landmarks' extent, centre 0.097 of the side above their centroid
constexpr float kCropToExtent = 1.33f;
constexpr float kCropShiftUp = -0.097f;
}

Landmarks68 Landmarker::locate_in_square(const cv::Mat& bgr, cv::Point2f center, float side, double angle_deg) {
    // the crop is turned by `angle_deg` about its centre so the face stands upright in it
    cv::Mat source = bgr;
    cv::Point2f offset(0, 0);
    double pre = 1.0;
    if (kInputSize / double(side) < 0.5) {
        // a large face: warpAffine does not low-pass, so area-shrink its surroundings first
        float reach = side * 0.75f; // half the diagonal of the square, whatever its rotation
        cv::Rect around = cv::Rect(cv::Rect2f(center.x - reach, center.y - reach, 2 * reach, 2 * reach)) &
                          cv::Rect(0, 0, bgr.cols, bgr.rows);
        if (!around.empty()) {
            pre = 2.0 * kInputSize / side;
            cv::resize(bgr(around), source, cv::Size(), pre, pre, cv::INTER_AREA);
            offset = cv::Point2f(around.tl());
        }
    }
    cv::Point2f local_center = (center - offset) * float(pre);
    double s = kInputSize / (side * pre);
    cv::Matx23d m = cv::getRotationMatrix2D(local_center, angle_deg, s);
    m(0, 2) += kInputSize / 2.0 - local_center.x;
    m(1, 2) += kInputSize / 2.0 - local_center.y;
    cv::Mat crop, gray;
    cv::warpAffine(source, crop, m, cv::Size(kInputSize, kInputSize), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    cv::cvtColor(crop, gray, cv::COLOR_BGR2GRAY);
    net_.setInput(cv::dnn::blobFromImage(gray, 1.0 / 256));
    cv::Mat out = net_.forward();
    const float* v = out.ptr<float>();
    cv::Matx23d inverse;
    cv::invertAffineTransform(m, inverse);
    Landmarks68 points;
    for (size_t i = 0; i < points.size(); ++i) {
        double x = v[2 * i] * kInputSize, y = v[2 * i + 1] * kInputSize;
        cv::Point2f local(float(inverse(0, 0) * x + inverse(0, 1) * y + inverse(0, 2)),
                          float(inverse(1, 0) * x + inverse(1, 1) * y + inverse(1, 2)));
        points[i] = local / float(pre) + offset;
    }
    return points;
}

Landmarks68 Landmarker::locate(const cv::Mat& bgr, const cv::Rect2f& box) {
    Landmarks68 points = locate_in_square(bgr, {box.x + box.width / 2, box.y + box.height / 2},
                                          std::max(box.width, box.height), 0);
    // second pass on the crop the model expects around these points, turned upright by the eye line:
    // detector boxes vary in how much hair and chin they hold, faces lean, and the landmarks are only
    // as good as the crop is typical
    Landmarks5 five = alignment_points(points);
    cv::Point2f eyes = five[1] - five[0];
    double roll = std::atan2(eyes.y, eyes.x) * 180 / CV_PI;
    cv::Point2f centroid(0, 0);
    for (const auto& p : points) centroid += p;
    centroid /= float(points.size());
    // extent measured in the face's own upright frame
    double c = std::cos(-roll * CV_PI / 180), sn = std::sin(-roll * CV_PI / 180);
    float min_x = 1e9f, max_x = -1e9f, min_y = 1e9f, max_y = -1e9f;
    for (const auto& p : points) {
        cv::Point2f d = p - centroid;
        float x = float(c * d.x - sn * d.y), y = float(sn * d.x + c * d.y);
        min_x = std::min(min_x, x); max_x = std::max(max_x, x);
        min_y = std::min(min_y, y); max_y = std::max(max_y, y);
    }
    float side = kCropToExtent * std::max(max_x - min_x, max_y - min_y);
    // "up" in the face's frame, turned back into the image
    cv::Point2f up(float(std::sin(roll * CV_PI / 180)), float(-std::cos(roll * CV_PI / 180)));
    return locate_in_square(bgr, centroid - up * (kCropShiftUp * side), side, roll);
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
