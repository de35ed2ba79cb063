// SPDX-License-Identifier: MIT
#include "core/face_aligner.h"

#include <opencv2/imgproc.hpp>

#include <cmath>
#include <vector>

namespace facegate {

const Landmarks5& arcface_template() {
    static const Landmarks5 points = {cv::Point2f(38.2946f, 51.6963f), cv::Point2f(73.5318f, 51.5014f),
                                      cv::Point2f(56.0252f, 71.7366f), cv::Point2f(41.5493f, 92.3655f),
                                      cv::Point2f(70.7299f, 92.2041f)};
    return points;
}

cv::Matx23d estimate_similarity(const Landmarks5& from, const Landmarks5& to) {
    // closed form for 2-D: with centred points, the best map is z -> c*z (complex c = a + ib)
    cv::Point2d mf(0, 0), mt(0, 0);
    for (size_t i = 0; i < from.size(); ++i) {
        mf += cv::Point2d(from[i]);
        mt += cv::Point2d(to[i]);
    }
    mf /= double(from.size());
    mt /= double(to.size());
    double num_a = 0, num_b = 0, den = 0;
    for (size_t i = 0; i < from.size(); ++i) {
        cv::Point2d f = cv::Point2d(from[i]) - mf, t = cv::Point2d(to[i]) - mt;
        num_a += f.x * t.x + f.y * t.y;
        num_b += f.x * t.y - f.y * t.x;
        den += f.x * f.x + f.y * f.y;
    }
    if (den <= 0) return cv::Matx23d(1, 0, mt.x - mf.x, 0, 1, mt.y - mf.y);
    double a = num_a / den, b = num_b / den;
    return cv::Matx23d(a, -b, mt.x - (a * mf.x - b * mf.y), b, a, mt.y - (b * mf.x + a * mf.y));
}

cv::Mat align_face(const cv::Mat& bgr, const Landmarks5& points) {
    cv::Matx23d m = estimate_similarity(points, arcface_template());
    double scale = std::sqrt(m(0, 0) * m(0, 0) + m(1, 0) * m(1, 0));
    cv::Mat source = bgr;
    Landmarks5 local = points;
    if (scale < 0.5) {
        // a large face: warpAffine does not low-pass, so area-shrink the face's surroundings first
        // (to twice the template's scale) and align from that
        cv::Matx23d inverse;
        cv::invertAffineTransform(m, inverse);
        std::vector<cv::Point2f> corners = {{0, 0}, {112, 0}, {0, 112}, {112, 112}}, mapped;
        cv::transform(corners, mapped, inverse);
        cv::Rect roi = cv::boundingRect(mapped) & cv::Rect(0, 0, bgr.cols, bgr.rows);
        double f = 2 * scale;
        if (!roi.empty()) {
            cv::resize(bgr(roi), source, cv::Size(), f, f, cv::INTER_AREA);
            for (auto& p : local) p = (p - cv::Point2f(roi.tl())) * float(f);
            m = estimate_similarity(local, arcface_template());
        }
    }
    cv::Mat aligned;
    cv::warpAffine(source, aligned, cv::Mat(m), cv::Size(112, 112), cv::INTER_LINEAR, cv::BORDER_CONSTANT,
                   cv::Scalar(0, 0, 0));
    return aligned;
}

} // namespace facegate
