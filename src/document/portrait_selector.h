// SPDX-License-Identifier: MIT
#pragma once

// which face of a photo is the portrait of the document in it: the largest face inside the
// document's outline. the ghost image (a small second print of the portrait) and faces in the
// background (outside the outline) are not it.

#include "core/face_types.h"
#include "document/document_locator.h"

#include <optional>
#include <string>
#include <vector>

namespace facegate {

struct PortraitChoice {
    std::optional<size_t> index;      // into the faces given: the portrait (also when a reason is set)
    std::vector<std::string> reasons; // NO_FACE, FACE_TOO_SMALL, MULTIPLE_FACES, LOW_QUALITY
    int faces_on_document = 0;        // faces whose centre lies inside the document
    cv::Rect2f document_box;          // the portrait's box in rectified document pixels
    float placement = 0;              // 0-1: where and how large a document's portrait sits
    float printed = 0;                // 0-1: the portrait reads as a print (liveness, text around it)
};

// faces: largest first, in the pixels of the image `document` was located in
PortraitChoice select_portrait(const std::vector<FaceAnalysis>& faces, const LocatedDocument& document);

// 0-1: how well a face box (rectified document pixels) sits where documents put the portrait: the
// left part of a landscape document (ID-1 cards, TD2/TD3 pages all do), at a size of a tenth to
// two fifths of its width. a selfie's centred face, or a small face in a crowd, score low.
float portrait_placement(const cv::Rect2f& box, cv::Size document);

// 0-1: how sure we are the face is printed (the liveness score, which counts the rows of text around
// the face, inverted)
float printed_score(const FaceAnalysis& face);

} // namespace facegate
