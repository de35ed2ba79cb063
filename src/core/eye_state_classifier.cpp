// SPDX-License-Identifier: MIT
#include "core/eye_state_classifier.h"

#include "core/crop.h"
#include "core/softmax.h"

#include <opencv2/imgproc.hpp>

#include <cmath>

namespace facegate {

namespace {
constexpr int kInputSize = 24;
constexpr float kPadding = 1.6f;  // crop side is 1.6x the eye's corner-to-corner width
constexpr int kOpenClass = 1; // measured: open eyes (passport, portraits) read as class 1, closed as class 0
} // namespace

float EyeStateClassifier::open_probability(const cv::Mat& bgr, const Landmarks68& p, int first) {
    // an eye is six points starting at `first`: corners at first and first+3
    cv::Point2f center(0, 0);
    for (int i = first; i < first + 6; ++i) center += p[i];
    center /= 6.f;
    float side = std::max(4.f, float(cv::norm(p[first + 3] - p[first])) * kPadding);
    cv::Mat gray;
    cv::cvtColor(crop_square(bgr, center, side, kInputSize), gray, cv::COLOR_BGR2GRAY);
    net_.setInput(cv::dnn::blobFromImage(gray, 1.0 / 255));
    cv::Mat out = net_.forward();
    return softmax(out.ptr<float>(), int(out.total()))[kOpenClass];
}

EyesOpen EyeStateClassifier::classify(const cv::Mat& bgr, const Landmarks68& landmarks) {
    float open = (open_probability(bgr, landmarks, 36) + open_probability(bgr, landmarks, 42)) / 2;
    bool value = open >= 0.5f;
    return {value, 100.f * (value ? open : 1 - open)};
}

} // namespace facegate
