// SPDX-License-Identifier: MIT
#include "core/face_quality.h"

#include <opencv2/calib3d.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>

namespace facegate {

namespace {

// variance of the Laplacian at which sharpness reads 63 (1 - 1/e); a crisp passport photo scores above 90
constexpr double kSharpnessScale = 200.0;
// the inner part of the aligned face: skin, eyes, nose and mouth, without background or black borders
const cv::Rect kInnerFace(24, 32, 64, 72);

constexpr double kRadToDeg = 180.0 / CV_PI;

} // namespace

FaceQuality measure_quality(const cv::Mat& aligned_bgr, const cv::Rect2f& box, double decode_scale) {
    cv::Mat gray;
    cv::cvtColor(aligned_bgr(kInnerFace), gray, cv::COLOR_BGR2GRAY);
    cv::Mat laplacian;
    cv::Laplacian(gray, laplacian, CV_32F);
    cv::Scalar mean, stddev;
    cv::meanStdDev(laplacian, mean, stddev);
    double variance = stddev[0] * stddev[0];
    FaceQuality q;
    q.brightness = float(cv::mean(gray)[0] / 255.0 * 100.0);
    q.sharpness = float(100.0 * (1.0 - std::exp(-variance / kSharpnessScale)));
    q.face_width_px = float(box.width / decode_scale);
    return q;
}

HeadPose estimate_pose(const Landmarks68& p, const cv::Size& image) {
    // a generic head in millimetres, x right, y down, z away from the camera (nose tip nearest)
    static const std::vector<cv::Point3d> model = {
        {0, 0, 0}, {0, 330, 65}, {-225, -170, 135}, {225, -170, 135}, {-150, 150, 125}, {150, 150, 125}};
    std::vector<cv::Point2d> seen = {p[30], p[8], p[36], p[45], p[48], p[54]};
    double focal = std::max(image.width, image.height);
    cv::Matx33d camera(focal, 0, image.width / 2.0, 0, focal, image.height / 2.0, 0, 0, 1);
    cv::Vec3d rvec, tvec(0, 0, 1000);
    cv::Vec3d init_rvec(0, 0, 0);
    rvec = init_rvec;
    // start in front of the camera at the nose's position so the iterative solver cannot flip behind it
    tvec = cv::Vec3d((p[30].x - image.width / 2.0) * 1000 / focal, (p[30].y - image.height / 2.0) * 1000 / focal, 1000);
    cv::solvePnP(model, seen, camera, cv::noArray(), rvec, tvec, true, cv::SOLVEPNP_ITERATIVE);
    cv::Matx33d r;
    cv::Rodrigues(rvec, r);
    HeadPose pose;
    pose.pitch = float(-std::atan2(r(2, 1), r(2, 2)) * kRadToDeg);
    pose.yaw = float(std::atan2(-r(2, 0), std::sqrt(r(2, 1) * r(2, 1) + r(2, 2) * r(2, 2))) * kRadToDeg);
    pose.roll = float(std::atan2(r(1, 0), r(0, 0)) * kRadToDeg);
    return pose;
}

} // namespace facegate
