// SPDX-License-Identifier: MIT
#include "protocol/rekognition_json.h"

#include "protocol/error_mapping.h"

#include <string_view>
#include <utility>

namespace facegate {

namespace {

using nlohmann::json;

// Rekognition's landmark types and the iBUG 68 points they sit on (averaged when several);
// "Left" is the image's left, as Rekognition reports it
const std::vector<std::pair<std::string_view, std::vector<int>>>& landmark_types() {
    static const std::vector<std::pair<std::string_view, std::vector<int>>> types = {
        {"eyeLeft", {36, 37, 38, 39, 40, 41}}, {"eyeRight", {42, 43, 44, 45, 46, 47}},
        {"nose", {30}}, {"mouthLeft", {48}}, {"mouthRight", {54}},
        {"leftEyeBrowLeft", {17}}, {"leftEyeBrowRight", {21}}, {"leftEyeBrowUp", {19}},
        {"rightEyeBrowLeft", {22}}, {"rightEyeBrowRight", {26}}, {"rightEyeBrowUp", {24}},
        {"leftEyeLeft", {36}}, {"leftEyeRight", {39}}, {"leftEyeUp", {37, 38}}, {"leftEyeDown", {40, 41}},
        {"rightEyeLeft", {42}}, {"rightEyeRight", {45}}, {"rightEyeUp", {43, 44}}, {"rightEyeDown", {46, 47}},
        {"noseLeft", {31}}, {"noseRight", {35}}, {"mouthUp", {51}}, {"mouthDown", {57}},
        {"leftPupil", {37, 38, 40, 41}}, {"rightPupil", {43, 44, 46, 47}},
        {"upperJawlineLeft", {0}}, {"midJawlineLeft", {4}}, {"chinBottom", {8}},
        {"midJawlineRight", {12}}, {"upperJawlineRight", {16}},
    };
    return types;
}

json landmarks_json(const Landmarks68& points, int w, int h) {
    json out = json::array();
    for (const auto& [type, indices] : landmark_types()) {
        cv::Point2f sum(0, 0);
        for (int i : indices) sum += points[i];
        sum /= float(indices.size());
        out.push_back({{"Type", type}, {"X", sum.x / w}, {"Y", sum.y / h}});
    }
    return out;
}

json pose_json(const HeadPose& pose) { return {{"Roll", pose.roll}, {"Yaw", pose.yaw}, {"Pitch", pose.pitch}}; }

json quality_json(const FaceQuality& q) { return {{"Brightness", q.brightness}, {"Sharpness", q.sharpness}}; }

} // namespace

json bounding_box_json(const cv::Rect2f& r, int w, int h) {
    return {{"Width", r.width / w}, {"Height", r.height / h}, {"Left", r.x / w}, {"Top", r.y / h}};
}

json compared_face_json(const FaceAnalysis& face, int w, int h) {
    return {{"BoundingBox", bounding_box_json(face.box.rect, w, h)},
            {"Confidence", face.box.confidence * 100.f},
            {"Landmarks", landmarks_json(face.landmarks, w, h)},
            {"Pose", pose_json(face.pose)},
            {"Quality", quality_json(face.quality)}};
}

json face_detail_json(const FaceAnalysis& face, int w, int h) {
    json detail = compared_face_json(face, w, h);
    detail["EyesOpen"] = {{"Value", face.eyes_open.value}, {"Confidence", face.eyes_open.confidence}};
    detail["Liveness"] = {{"Score", face.liveness.score}, {"Live", face.liveness.live}};
    return detail;
}

json detect_faces_json(const ImageAnalysis& analysis) {
    json faces = json::array();
    for (const auto& face : analysis.faces) faces.push_back(face_detail_json(face, analysis.width, analysis.height));
    return {{"FaceDetails", faces}};
}

json compare_faces_json(const CompareFacesResult& result) {
    json matches = json::array(), unmatched = json::array();
    for (const auto& m : result.matches) {
        matches.push_back({{"Similarity", m.similarity},
                           {"Face", compared_face_json(m.face, result.target_width, result.target_height)}});
    }
    for (const auto& m : result.unmatched) {
        unmatched.push_back(compared_face_json(m.face, result.target_width, result.target_height));
    }
    const auto& source = result.source_face;
    return {{"SourceImageFace",
             {{"BoundingBox", bounding_box_json(source.box.rect, result.source_width, result.source_height)},
              {"Confidence", source.box.confidence * 100.f}}},
            {"FaceMatches", matches},
            {"UnmatchedFaces", unmatched}};
}

json error_json(const Error& error, bool for_operator) {
    // a store outage's details name the database's host and its errors: for the operator's log, not the
    // caller, who only needs to know that a retry is worth it
    const std::string message = error.code() == ErrorCode::STORE_UNAVAILABLE && !for_operator
                                    ? "the service is unavailable now (its store does not answer); retry later"
                                    : error.what();
    // both spellings: botocore reads `message`, the JavaScript v3 SDK `Message`
    return {{"__type", wire_error(error.code()).type}, {"message", message}, {"Message", message}};
}

} // namespace facegate
