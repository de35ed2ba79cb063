// SPDX-License-Identifier: MIT
#include "core/crop.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace facegate {

cv::Mat crop_square(const cv::Mat& image, cv::Point2f center, float side, int out_size) {
    double s = out_size / double(side);
    cv::Matx23d m(s, 0, out_size / 2.0 - center.x * s, 0, s, out_size / 2.0 - center.y * s);
    cv::Mat out;
    int interpolation = s < 1 ? cv::INTER_AREA : cv::INTER_LINEAR;
    if (s < 0.5) {
        // warpAffine does not filter when shrinking: average first so small crops do not alias
        cv::Rect2f area(center.x - side / 2, center.y - side / 2, side, side);
        cv::Rect inside = cv::Rect(area) & cv::Rect(0, 0, image.cols, image.rows);
        if (inside.area() == cv::Rect(area).area()) {
            cv::resize(image(inside), out, cv::Size(out_size, out_size), 0, 0, cv::INTER_AREA);
            return out;
        }
    }
    cv::warpAffine(image, out, m, cv::Size(out_size, out_size), interpolation, cv::BORDER_REPLICATE);
    return out;
}

cv::Rect context_rect(const cv::Size& image, const cv::Rect2f& face, float factor) {
    float scale = std::min({float(image.height - 1) / face.height, float(image.width - 1) / face.width, factor});
    float w = face.width * scale, h = face.height * scale;
    float cx = face.x + face.width / 2, cy = face.y + face.height / 2;
    float x0 = std::clamp(cx - w / 2, 0.f, std::max(0.f, image.width - 1 - w));
    float y0 = std::clamp(cy - h / 2, 0.f, std::max(0.f, image.height - 1 - h));
    cv::Rect r(int(x0), int(y0), std::max(1, int(w)), std::max(1, int(h)));
    return r & cv::Rect(0, 0, image.width, image.height);
}

} // namespace facegate
