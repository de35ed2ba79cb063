// SPDX-License-Identifier: MIT
// geometry of alignment, cropping and detection merging: no models needed
#include "core/crop.h"
#include "core/face_aligner.h"
#include "core/face_detector.h"
#include "core/landmarker.h"

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include <cmath>

using namespace facegate;

namespace {

Landmarks5 transform(const Landmarks5& points, double angle_deg, double scale, cv::Point2d shift) {
    double a = angle_deg * CV_PI / 180;
    Landmarks5 out;
    for (size_t i = 0; i < points.size(); ++i) {
        const auto& p = points[i];
        out[i] = cv::Point2f(float(scale * (std::cos(a) * p.x - std::sin(a) * p.y) + shift.x),
                             float(scale * (std::sin(a) * p.x + std::cos(a) * p.y) + shift.y));
    }
    return out;
}

} // namespace

TEST(Alignment, RecoversAKnownSimilarityTransform) {
    for (double angle : {-40.0, -15.0, 0.0, 7.5, 30.0}) {
        for (double scale : {0.25, 1.0, 3.7}) {
            Landmarks5 face = transform(arcface_template(), angle, scale, {412.5, -33.0});
            cv::Matx23d m = estimate_similarity(face, arcface_template());
            for (size_t i = 0; i < face.size(); ++i) {
                cv::Point2d mapped(m(0, 0) * face[i].x + m(0, 1) * face[i].y + m(0, 2),
                                   m(1, 0) * face[i].x + m(1, 1) * face[i].y + m(1, 2));
                EXPECT_NEAR(mapped.x, arcface_template()[i].x, 1e-3) << angle << " " << scale;
                EXPECT_NEAR(mapped.y, arcface_template()[i].y, 1e-3) << angle << " " << scale;
            }
            // a similarity: equal scale on both axes, no shear
            EXPECT_NEAR(m(0, 0), m(1, 1), 1e-9);
            EXPECT_NEAR(m(0, 1), -m(1, 0), 1e-9);
        }
    }
}

TEST(Alignment, IsTheLeastSquaresFitForNoisyPoints) {
    Landmarks5 noisy = arcface_template();
    noisy[2].x += 3; // nose off to one side
    cv::Matx23d m = estimate_similarity(noisy, arcface_template());
    double scale = std::sqrt(m(0, 0) * m(0, 0) + m(1, 0) * m(1, 0));
    EXPECT_NEAR(scale, 1.0, 0.02);
    EXPECT_NEAR(std::atan2(m(1, 0), m(0, 0)), 0.0, 0.05);
}

TEST(Alignment, WarpsTheTemplatePointsOntoThemselves) {
    // an image with a white dot at each template point, scaled 3x: after alignment the dots are back
    cv::Mat image(336, 336, CV_8UC3, cv::Scalar(0, 0, 0));
    Landmarks5 points;
    for (size_t i = 0; i < points.size(); ++i) {
        points[i] = arcface_template()[i] * 3.f;
        cv::circle(image, points[i], 6, {255, 255, 255}, -1);
    }
    cv::Mat aligned = align_face(image, points);
    ASSERT_EQ(aligned.size(), cv::Size(112, 112));
    for (const auto& p : arcface_template()) {
        EXPECT_GT(aligned.at<cv::Vec3b>(cv::Point(p))[0], 200) << p;
    }
}

TEST(Alignment, FivePointsComeFromTheRightLandmarks) {
    Landmarks68 landmarks;
    for (size_t i = 0; i < landmarks.size(); ++i) landmarks[i] = cv::Point2f(float(i), float(2 * i));
    Landmarks5 five = alignment_points(landmarks);
    EXPECT_FLOAT_EQ(five[0].x, (36 + 37 + 38 + 39 + 40 + 41) / 6.f);
    EXPECT_FLOAT_EQ(five[1].x, (42 + 43 + 44 + 45 + 46 + 47) / 6.f);
    EXPECT_FLOAT_EQ(five[2].x, 30);
    EXPECT_FLOAT_EQ(five[3].x, 48);
    EXPECT_FLOAT_EQ(five[4].x, 54);
}

TEST(Crop, ContextRectStaysInsideTheImage) {
    cv::Size image(640, 480);
    for (cv::Rect2f face : {cv::Rect2f(10, 10, 100, 120), cv::Rect2f(560, 400, 70, 70), cv::Rect2f(0, 0, 600, 470)}) {
        cv::Rect r = context_rect(image, face, 2.7f);
        EXPECT_GE(r.x, 0);
        EXPECT_GE(r.y, 0);
        EXPECT_LE(r.x + r.width, image.width);
        EXPECT_LE(r.y + r.height, image.height);
        EXPECT_GE(r.width, int(face.width) - 1);
    }
}

TEST(Crop, SquareCropRepeatsTheBorderOutsideTheImage) {
    cv::Mat image(100, 100, CV_8UC3, cv::Scalar(10, 20, 30));
    cv::Mat crop = crop_square(image, {0, 0}, 80, 64);
    ASSERT_EQ(crop.size(), cv::Size(64, 64));
    EXPECT_EQ(crop.at<cv::Vec3b>(0, 0), cv::Vec3b(10, 20, 30));
}

TEST(Detection, SuppressionKeepsTheBestOfOverlappingBoxes) {
    std::vector<FaceBox> boxes = {
        {{100, 100, 50, 50}, 0.9f}, {{103, 102, 50, 50}, 0.95f}, // the same face twice
        {{300, 100, 50, 50}, 0.8f},                              // another face
        {{110, 110, 20, 20}, 0.85f},                             // a part inside the first face
    };
    auto kept = suppress_overlaps(boxes, 0.4f);
    ASSERT_EQ(kept.size(), 2u);
    EXPECT_FLOAT_EQ(kept[0].confidence, 0.95f);
    EXPECT_FLOAT_EQ(kept[1].confidence, 0.8f);
}
