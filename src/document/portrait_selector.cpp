// SPDX-License-Identifier: MIT
#include "document/portrait_selector.h"

#include <algorithm>

namespace facegate {

namespace {

constexpr float kMinFaceSourcePx = 60;       // narrower portraits carry too little for a reliable embedding
constexpr float kMinFaceDocumentShare = 0.05f; // a face narrower than this share of the document is a detail
constexpr float kSecondFaceShare = 0.5f;     // a second face this wide (of the portrait's width) is another person;
                                              // the ghost image is smaller
// LOW_QUALITY is for pictures nothing can be taken from (the QualityFilter LOW bar of
// face_collections.cpp): a printed portrait is rarely as sharp as a live face
constexpr float kMinSharpness = 5, kMinBrightness = 5, kMaxBrightness = 98;

// 1 inside [lo, hi], falling linearly to 0 at lo - ramp_lo and hi + ramp_hi
float band(float v, float lo, float hi, float ramp_lo, float ramp_hi) {
    if (v < lo) return std::max(0.f, 1.f - (lo - v) / ramp_lo);
    if (v > hi) return std::max(0.f, 1.f - (v - hi) / ramp_hi);
    return 1.f;
}

cv::Point2f centre(const cv::Rect2f& r) { return {r.x + r.width / 2, r.y + r.height / 2}; }

// a face box as it lies on the rectified document: centred where its centre maps, as wide as the
// mean of its mapped top and bottom edges, as tall as the mean of its sides (a bounding box of the
// mapped corners would grow with the document's rotation and shear)
cv::Rect2f on_document(const LocatedDocument& doc, const cv::Rect2f& box) {
    cv::Point2f tl = doc.to_document(box.tl()), tr = doc.to_document({box.x + box.width, box.y});
    cv::Point2f bl = doc.to_document({box.x, box.y + box.height}), br = doc.to_document(box.br());
    float w = float((cv::norm(tr - tl) + cv::norm(br - bl)) / 2);
    float h = float((cv::norm(bl - tl) + cv::norm(br - tr)) / 2);
    cv::Point2f c = doc.to_document(centre(box));
    return {c.x - w / 2, c.y - h / 2, w, h};
}

} // namespace

float portrait_placement(const cv::Rect2f& box, cv::Size document) {
    // portrait-orientation pictures are far more often selfies than vertical cards: no credit
    if (document.width < document.height || document.width <= 0) return 0;
    float w = float(document.width), h = float(document.height);
    cv::Point2f c = centre(box);
    float x = band(c.x / w, 0.05f, 0.42f, 0.05f, 0.12f);
    float y = band(c.y / h, 0.2f, 0.8f, 0.12f, 0.12f);
    float size = band(box.width / w, 0.1f, 0.4f, 0.05f, 0.15f);
    return x * y * size;
}

float printed_score(const FaceAnalysis& face) { return std::clamp(1.f - face.liveness.score / 100.f, 0.f, 1.f); }

PortraitChoice select_portrait(const std::vector<FaceAnalysis>& faces, const LocatedDocument& document) {
    PortraitChoice choice;
    std::vector<size_t> inside;
    for (size_t i = 0; i < faces.size(); ++i) {
        if (document.contains(centre(faces[i].box.rect))) inside.push_back(i);
    }
    choice.faces_on_document = int(inside.size());
    if (inside.empty()) {
        choice.reasons.push_back("NO_FACE");
        return choice;
    }
    // faces come largest first, but the document's own scale decides: compare their widths there
    auto width_on_document = [&](size_t i) { return on_document(document, faces[i].box.rect).width; };
    std::stable_sort(inside.begin(), inside.end(),
                     [&](size_t a, size_t b) { return width_on_document(a) > width_on_document(b); });
    size_t portrait = inside[0];
    const FaceAnalysis& face = faces[portrait];
    choice.index = portrait;
    choice.document_box = on_document(document, face.box.rect);
    choice.placement = portrait_placement(choice.document_box, document.rectified.size());
    choice.printed = printed_score(face);

    float document_width = float(std::max(document.rectified.cols, document.rectified.rows));
    float portrait_width = choice.document_box.width;
    if (face.quality.face_width_px < kMinFaceSourcePx || portrait_width < kMinFaceDocumentShare * document_width) {
        choice.reasons.push_back("FACE_TOO_SMALL");
    }
    if (inside.size() > 1 && width_on_document(inside[1]) > kSecondFaceShare * portrait_width) {
        choice.reasons.push_back("MULTIPLE_FACES");
    }
    if (face.quality.sharpness < kMinSharpness || face.quality.brightness < kMinBrightness ||
        face.quality.brightness > kMaxBrightness) {
        choice.reasons.push_back("LOW_QUALITY");
    }
    return choice;
}

} // namespace facegate
