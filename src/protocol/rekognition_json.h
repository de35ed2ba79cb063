// SPDX-License-Identifier: MIT
#pragma once

#include "common/error.h"
#include "core/face_types.h"
#include "service/compare_faces.h"

#include <nlohmann/json.hpp>

namespace facegate {

// Rekognition's JSON shapes for our results; coordinates become ratios of the image size

// BoundingBox: a pixel rectangle of a w x h image as ratios of the image size
nlohmann::json bounding_box_json(const cv::Rect2f& box, int image_width, int image_height);

// FaceDetail as DetectFaces with Attributes ["ALL"] gives it, where we have the data, plus our Liveness
nlohmann::json face_detail_json(const FaceAnalysis& face, int image_width, int image_height);

// ComparedFace: BoundingBox, Confidence, Landmarks, Pose, Quality
nlohmann::json compared_face_json(const FaceAnalysis& face, int image_width, int image_height);

nlohmann::json detect_faces_json(const ImageAnalysis& analysis);
nlohmann::json compare_faces_json(const CompareFacesResult& result);

// {"__type": "<Rekognition error type>", "message": "..."}
// {"__type", "message", "Message"}; a store outage says only that (for_operator: its details too, for the CLI)
nlohmann::json error_json(const Error& error, bool for_operator = false);

} // namespace facegate
