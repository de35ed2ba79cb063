// SPDX-License-Identifier: MIT
// register (sign-up): an ID document photo in; document confidence, duplicate search, MRZ and a decision out
#include "common/error.h"
#include "common/sha256.h"
#include "service/external_id.h"
#include "service/identity_flows.h"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace facegate {

namespace {

// how many nearest faces to look through for the best one under another external ID
constexpr size_t kDuplicateCandidates = 20;

bool has(const std::vector<std::string>& reasons, std::string_view code) {
    return std::find(reasons.begin(), reasons.end(), code) != reasons.end();
}

void add(std::vector<std::string>& reasons, std::string code) {
    if (!has(reasons, code)) reasons.push_back(std::move(code));
}

std::chrono::year_month_day today(std::chrono::system_clock::time_point now) {
    return std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(now)};
}

std::string audit_details(const RegisterResult& r) {
    nlohmann::json j = {{"decision", decision_name(r.decision)},
                        {"documentConfidence", r.document_confidence},
                        {"existingSearchConfidence", r.existing_search_confidence},
                        {"indexed", r.indexed},
                        {"format", r.document.format},
                        {"reasons", r.reasons}};
    if (r.face_id) j["faceId"] = *r.face_id;
    return j.dump();
}

} // namespace

RegisterResult IdentityFlows::register_document(const RegisterRequest& request) {
    validate_collection_id(request.collection_id);
    // every check on the request before any work, so that bad input changes nothing
    const EncodedExternalId encoded = encode_external_id(request.external_id);
    RegisterResult result;
    result.policy = apply_overrides(policy_.registration, request.overrides);
    enforce_rate_limits("register", register_per_client_, register_per_external_id_, request.collection_id,
                        encoded.external_image_id, request.client, request.request_id);

    result.document = analyzer_.analyze(request.document, today(clock_()));
    result.document_confidence = result.document.document_confidence;
    result.reasons = result.document.reasons;
    const std::optional<FaceAnalysis>& portrait = result.document.portrait;

    // the duplicate search and the write are one step for every process on the store: two registers of one
    // face at once (on two nodes) give one accepted and one existing_user, never two accepted
    collections_.store().run_exclusively("register\n" + request.collection_id, [&] {
        const bool collection_exists = collections_.store().get_collection(request.collection_id).has_value();
        // only an identity document is searched for: a plain photo must not be a way to look faces up
        const bool is_document = result.document_confidence >= result.policy.min_document_confidence;
        bool other_face_for_existing_id = false;
        if (portrait && collection_exists && is_document) {
            // the best face under another external ID: a face already registered by someone else; and the
            // best under this one, which a new document of the same person must match
            float same_id_similarity = 0;
            bool other_found = false;
            for (const auto& match : collections_.search_embedding(request.collection_id, portrait->embedding, 0,
                                                                   kDuplicateCandidates)) {
                if (match.face.external_image_id == encoded.external_image_id) {
                    same_id_similarity = std::max(same_id_similarity, match.similarity);
                    continue;
                }
                if (other_found) continue;
                other_found = true;
                result.existing_search_confidence = match.similarity;
                if (match.face.external_image_id) result.existing_external_id = shown_id(*match.face.external_image_id);
            }
            if (!collections_.store().faces_by_external_id(request.collection_id, encoded.external_image_id).empty()) {
                add(result.reasons, "EXTERNAL_ID_EXISTS");
                // someone else's document under a registered identifier would let its holder sign in as them
                if (same_id_similarity < policy_.verification.min_confidence) {
                    add(result.reasons, "EXTERNAL_ID_OTHER_FACE");
                    other_face_for_existing_id = true;
                }
            }
        }

        const RegisterPolicy& policy = result.policy;
        const bool usable_face = portrait && !has(result.reasons, "NO_FACE") && !has(result.reasons, "FACE_TOO_SMALL") &&
                                 !has(result.reasons, "MULTIPLE_FACES");
        const bool duplicate = result.existing_search_confidence > policy.max_existing_search_confidence;
        if (duplicate) add(result.reasons, "DUPLICATE_FACE");
        if (result.document_confidence < policy.min_document_confidence) add(result.reasons, "LOW_DOCUMENT_CONFIDENCE");
        const bool expired = result.document.expired.value_or(false);

        // not a document or no usable face: rejected whatever else; a known face: send to sign-in
        if (result.document_confidence < policy.min_document_confidence || !usable_face || other_face_for_existing_id) {
            result.decision = RegisterDecision::REJECTED;
        } else if (duplicate) {
            result.decision = RegisterDecision::EXISTING_USER;
        } else if (expired && !policy.allow_expired) {
            result.decision = RegisterDecision::REJECTED;
        } else {
            result.decision = RegisterDecision::ACCEPTED;
        }

        if (portrait && (result.decision == RegisterDecision::ACCEPTED || request.index_always)) {
            if (!collection_exists) {
                try {
                    collections_.create_collection(request.collection_id);
                } catch (const Error& e) {
                    if (e.code() != ErrorCode::RESOURCE_ALREADY_EXISTS) throw; // created by a concurrent register
                }
            }
            if (encoded.is_alias) {
                collections_.store().put_external_id_alias(encoded.external_image_id,
                                                           canonical_external_id(request.external_id));
            }
            std::string digest = sha256_hex({reinterpret_cast<const char*>(request.document.data()), request.document.size()});
            FaceRecord face = collections_.add_analyzed_face(request.collection_id, encoded.external_image_id, *portrait,
                                                             result.document.image_width, result.document.image_height,
                                                             digest);
            result.indexed = true;
            result.face_id = face.face_id;
        }
    });
    record("register", request.collection_id, encoded.external_image_id, request.client, audit_details(result),
           request.request_id);
    return result;
}

} // namespace facegate
