// SPDX-License-Identifier: MIT
#include "service/compare_faces.h"

#include "common/error.h"
#include "core/face_embedder.h"

#include <algorithm>
#include <cmath>

namespace facegate {

CompareFacesResult compare_faces(const FaceEngine& engine, std::span<const uint8_t> source,
                                 std::span<const uint8_t> target, float threshold) {
    if (!(threshold >= 0.f && threshold <= 100.f)) {
        throw Error(ErrorCode::INVALID_PARAMETER, "SimilarityThreshold must be between 0 and 100");
    }
    AnalyzeOptions source_options;
    source_options.max_faces = 1;
    source_options.liveness = false;
    ImageAnalysis source_analysis = engine.analyze_bytes(source, source_options);
    if (source_analysis.faces.empty()) {
        throw Error(ErrorCode::NO_FACE, "Request has invalid parameters: there is no face in the source image");
    }
    AnalyzeOptions target_options;
    target_options.liveness = false;
    ImageAnalysis target_analysis = engine.analyze_bytes(target, target_options);

    CompareFacesResult result;
    result.source_face = std::move(source_analysis.faces.front());
    result.source_width = source_analysis.width;
    result.source_height = source_analysis.height;
    result.target_width = target_analysis.width;
    result.target_height = target_analysis.height;
    for (auto& face : target_analysis.faces) {
        float similarity = similarity_from_cosine(cosine_similarity(result.source_face.embedding, face.embedding));
        (similarity >= threshold ? result.matches : result.unmatched).push_back({std::move(face), similarity});
    }
    auto best_first = [](const FaceMatch& a, const FaceMatch& b) { return a.similarity > b.similarity; };
    std::sort(result.matches.begin(), result.matches.end(), best_first);
    std::sort(result.unmatched.begin(), result.unmatched.end(), best_first);
    return result;
}

} // namespace facegate
