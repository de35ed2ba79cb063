// SPDX-License-Identifier: MIT
#pragma once

#include <opencv2/core/types.hpp>

#include <array>
#include <vector>

namespace facegate {

// all coordinates are pixels of the decoded image unless a name says otherwise

struct FaceBox {
    cv::Rect2f rect;
    float confidence = 0; // 0-1 from the detector
};

using Landmarks68 = std::array<cv::Point2f, 68>; // iBUG 300-W order
using Landmarks5 = std::array<cv::Point2f, 5>;   // eye left, eye right, nose tip, mouth left, mouth right (image left first)

struct HeadPose {
    float yaw = 0, pitch = 0, roll = 0; // degrees, as Rekognition: yaw > 0 turns to the image's left
};

struct FaceQuality {
    float brightness = 0; // 0-100, mean luma of the face
    float sharpness = 0;  // 0-100, from the variance of the Laplacian on the face at a fixed scale
    float face_width_px = 0; // in the source image's pixels
};

struct EyesOpen {
    bool value = true;
    float confidence = 0; // 0-100
};

struct Liveness {
    float score = 0;       // 0-100, how sure we are the face is a live person and not a print or a screen
    bool live = false;     // score >= the engine's liveness threshold
    float model_score = 0; // 0-100, the anti-spoofing model's probability of "live" on its own
    int text_glyphs = 0;   // glyphs in rows of text around the face: a face printed on a document
};

struct FaceAnalysis {
    FaceBox box;
    Landmarks68 landmarks{};
    Landmarks5 alignment_points{};
    HeadPose pose;
    FaceQuality quality;
    EyesOpen eyes_open;
    Liveness liveness;
    std::vector<float> embedding; // L2-normalised, empty unless requested
};

struct ImageAnalysis {
    int width = 0;  // decoded image size: divide coordinates by these for Rekognition's ratios
    int height = 0;
    std::vector<FaceAnalysis> faces; // largest first
};

} // namespace facegate
