// SPDX-License-Identifier: MIT
#pragma once

#include "core/face_engine.h"
#include "core/similarity.h"

#include <span>
#include <vector>

namespace facegate {

struct FaceMatch {
    FaceAnalysis face;
    float similarity = 0; // 0-100
};

struct CompareFacesResult {
    FaceAnalysis source_face;   // the largest face of the source image
    int source_width = 0, source_height = 0;
    int target_width = 0, target_height = 0;
    std::vector<FaceMatch> matches;       // similarity >= threshold, best first
    std::vector<FaceMatch> unmatched;     // the other target faces, best first
};

// Rekognition's CompareFaces: the largest face of `source` against up to 100 largest faces of `target`.
// throws Error(INVALID_PARAMETER) for a threshold outside 0-100, Error(NO_FACE) when the source
// has no face, and the engine's image errors. a target without faces gives empty lists.
CompareFacesResult compare_faces(const FaceEngine& engine, std::span<const uint8_t> source,
                                 std::span<const uint8_t> target, float threshold = kDefaultMatchThreshold);

} // namespace facegate
