// SPDX-License-Identifier: MIT
// verify (sign-in, MFA, step-up): a selfie in; similarity with the external ID's faces, liveness, quality, a decision
#include "common/error.h"
#include "core/face_embedder.h"
#include "core/similarity.h"
#include "service/external_id.h"
#include "service/identity_flows.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

namespace facegate {

namespace {

// a second face at least this wide relative to the largest is someone else in the picture, not a
// poster far behind: the selfie is ambiguous
constexpr float kSecondFaceWidthRatio = 0.5f;

// quality hints for the person taking the selfie, stricter on pose than IndexFaces' quality filter
// (a selfie can be retaken); they explain a low confidence, the decision rests on confidence and liveness
constexpr float kMinBrightness = 10, kMaxBrightness = 95, kMinSharpness = 15;
constexpr float kMaxYaw = 35, kMaxPitch = 30;
constexpr float kMinFaceWidthPx = 60;

std::vector<std::string> quality_reasons(const FaceAnalysis& face) {
    std::vector<std::string> reasons;
    if (face.quality.brightness < kMinBrightness) reasons.push_back("TOO_DARK");
    if (face.quality.brightness > kMaxBrightness) reasons.push_back("TOO_BRIGHT");
    if (face.quality.sharpness < kMinSharpness) reasons.push_back("BLURRY");
    if (std::abs(face.pose.yaw) > kMaxYaw || std::abs(face.pose.pitch) > kMaxPitch) reasons.push_back("EXTREME_POSE");
    if (!face.eyes_open.value) reasons.push_back("EYES_CLOSED");
    if (!reasons.empty()) reasons.insert(reasons.begin(), "LOW_QUALITY");
    if (face.quality.face_width_px < kMinFaceWidthPx) reasons.push_back("FACE_TOO_SMALL");
    return reasons;
}

float best_similarity(const std::vector<float>& embedding, const std::vector<FaceRecord>& faces) {
    float best = 0;
    for (const auto& face : faces) {
        if (face.embedding.size() != embedding.size()) continue; // a face of another model version
        best = std::max(best, similarity_from_cosine(cosine_similarity(embedding, face.embedding)));
    }
    return best;
}

std::string audit_details(const VerifyResult& r) {
    nlohmann::json j = {{"decision", decision_name(r.decision)},
                        {"externalIdMatched", r.external_id_matched},
                        {"confidence", r.confidence},
                        {"reasons", r.reasons}};
    if (r.face) j["liveness"] = r.face->liveness.score;
    if (r.top_match) j["topMatchSimilarity"] = r.top_match->similarity;
    return j.dump();
}

} // namespace

VerifyResult IdentityFlows::verify_selfie(const VerifyRequest& request) {
    validate_collection_id(request.collection_id);
    const std::string stored = encode_external_id(request.external_id).external_image_id;
    VerifyResult result;
    result.policy = apply_overrides(policy_.verification, request.overrides);
    if (!collections_.store().get_collection(request.collection_id)) {
        throw Error(ErrorCode::RESOURCE_NOT_FOUND, "The collection id: " + request.collection_id + " does not exist");
    }

    enforce_rate_limits("verify", per_client_, per_external_id_, request.collection_id, stored, request.client,
                        request.request_id);

    AnalyzeOptions options;
    options.max_faces = 3;
    options.min_relative_width = kSecondFaceWidthRatio; // a face in the far background is not a second person here
    ImageAnalysis analysis = collections_.engine().analyze_bytes(request.selfie, options);
    result.image_width = analysis.width;
    result.image_height = analysis.height;

    auto faces = collections_.store().faces_by_external_id(request.collection_id, stored);
    result.external_id_matched = !faces.empty();
    if (!result.external_id_matched) result.reasons.push_back("UNKNOWN_EXTERNAL_ID");

    if (analysis.faces.empty()) {
        result.reasons.push_back("NO_FACE");
    } else {
        const FaceAnalysis& face = analysis.faces.front();
        if (analysis.faces.size() > 1) result.reasons.push_back("MULTIPLE_FACES");
        if (!face.liveness.live) result.reasons.push_back("NOT_LIVE");
        for (auto& reason : quality_reasons(face)) result.reasons.push_back(std::move(reason));

        if (result.external_id_matched) {
            std::vector<std::string> ids;
            for (const auto& f : faces) ids.push_back(f.face_id);
            result.confidence = best_similarity(face.embedding, collections_.store().get_faces(request.collection_id, ids, true));
        }
        auto nearest = collections_.search_embedding(request.collection_id, face.embedding, 0, 1);
        if (!nearest.empty() && nearest.front().face.external_image_id) {
            const auto& top = nearest.front();
            result.top_match = TopMatch{shown_id(*top.face.external_image_id), top.similarity};
            if (*top.face.external_image_id != stored && top.similarity > result.confidence &&
                top.similarity >= result.policy.min_confidence) {
                result.reasons.push_back("BETTER_MATCH_OTHER_USER");
            }
        }
        if (result.external_id_matched && result.confidence < result.policy.min_confidence) {
            result.reasons.push_back("LOW_CONFIDENCE");
        }
        result.face = face;
    }

    auto has = [&](std::string_view code) {
        return std::find(result.reasons.begin(), result.reasons.end(), code) != result.reasons.end();
    };
    const bool accepted = result.external_id_matched && result.face && result.confidence >= result.policy.min_confidence &&
                          !(result.policy.require_liveness && has("NOT_LIVE")) && !has("MULTIPLE_FACES") &&
                          !has("BETTER_MATCH_OTHER_USER");
    result.decision = accepted ? VerifyDecision::ACCEPTED : VerifyDecision::REJECTED;
    record("verify", request.collection_id, stored, request.client, audit_details(result), request.request_id);
    return result;
}

} // namespace facegate
