// SPDX-License-Identifier: MIT
#include "protocol/flow_json.h"

#include "protocol/rekognition_json.h"

#include <algorithm>
#include <cmath>
#include <ctime>

namespace facegate {

namespace {

using nlohmann::json;

// scores as people read them: one decimal
double score(float value) { return std::round(double(value) * 10.0) / 10.0; }

json optional_string(const std::optional<std::string>& value) { return value ? json(*value) : json(nullptr); }

// the check names of mrz.h (document_number...) in the camelCase of every other /v1 key
std::string camel_case(std::string_view name) {
    std::string out;
    bool upper = false;
    for (char c : name) {
        if (c == '_') {
            upper = true;
            continue;
        }
        out += upper && c >= 'a' && c <= 'z' ? char(c - 'a' + 'A') : c;
        upper = false;
    }
    return out;
}

json mrz_json(const MrzParseResult& mrz, std::chrono::year_month_day today) {
    const MrzFields& f = mrz.fields;
    auto date = [&](const std::string& yymmdd, MrzDateKind kind) {
        return optional_string(mrz_iso_date(yymmdd, kind, today));
    };
    json checks = json::object();
    for (const auto& check : mrz.checks) checks[camel_case(check.name)] = check.valid;
    return {{"lines", mrz.lines},
            {"fields",
             {{"documentType", f.document_code},
              {"issuingState", f.issuing_state},
              {"documentNumber", f.document_number},
              {"surname", f.surname},
              {"givenNames", f.given_names},
              {"nationality", f.nationality},
              {"birthDate", date(f.birth_date, MrzDateKind::BIRTH)},
              {"sex", f.sex},
              {"expiryDate", date(f.expiry_date, MrzDateKind::EXPIRY)},
              {"optionalData", f.optional_data}}},
            {"checkDigits", checks},
            {"checkDigitsValid", mrz.all_checks_valid},
            {"corrections", mrz.corrections}};
}

json face_json(const FaceAnalysis& face, int width, int height) {
    return {{"boundingBox", bounding_box_json(face.box.rect, width, height)},
            {"confidence", score(face.box.confidence * 100.f)}};
}

json quality_json(const FaceAnalysis& face) {
    return {{"brightness", score(face.quality.brightness)},
            {"sharpness", score(face.quality.sharpness)},
            {"pose", {{"Yaw", score(face.pose.yaw)}, {"Pitch", score(face.pose.pitch)}, {"Roll", score(face.pose.roll)}}},
            {"eyesOpen", face.eyes_open.value},
            {"faceWidth", std::lround(face.quality.face_width_px)}};
}

} // namespace

std::string iso_time(std::int64_t ms) {
    std::time_t seconds = static_cast<std::time_t>(ms / 1000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return buffer;
}

namespace {

// reasons about the picture the person took: safe to show them, with advice (web/js/reasons.js)
constexpr std::string_view kCaptureReasons[] = {
    "NO_FACE", "MULTIPLE_FACES", "FACE_TOO_SMALL", "LOW_QUALITY", "NO_DOCUMENT", "LOW_DOCUMENT_CONFIDENCE",
    "MRZ_UNREADABLE", "MRZ_CHECK_FAILED", "DOCUMENT_EXPIRED", "DOCUMENT_SIDE_WITHOUT_PORTRAIT", "NOT_LIVE", "TOO_DARK",
    "TOO_BRIGHT", "BLURRY",
    "LOW_BRIGHTNESS", "LOW_SHARPNESS", "EYES_CLOSED", "EXTREME_POSE", "SMALL_BOUNDING_BOX"};

// the public answer: accepted; retry (with what to fix in the picture); or other_method, which says
// the same whether the identifier is unknown, the face is someone else's or is already registered
json public_result_json(bool accepted, const std::vector<std::string>& reasons) {
    json advice = json::array();
    for (const auto& reason : reasons) {
        if (std::find(std::begin(kCaptureReasons), std::end(kCaptureReasons), reason) != std::end(kCaptureReasons)) {
            advice.push_back(reason);
        }
    }
    std::string outcome = accepted ? "accepted" : (advice.empty() ? "other_method" : "retry");
    if (accepted) advice = json::array();
    return {{"decision", accepted ? "accepted" : "rejected"}, {"outcome", outcome}, {"advice", advice}};
}

} // namespace

json register_result_json(const RegisterRequest& request, const RegisterResult& r, std::chrono::year_month_day today,
                          Disclosure disclosure) {
    if (disclosure == Disclosure::PUBLIC) return public_result_json(r.decision == RegisterDecision::ACCEPTED, r.reasons);
    const DocumentAnalysis& doc = r.document;
    json document = {{"format", doc.format},
                     {"mrz", doc.mrz ? mrz_json(*doc.mrz, today) : json(nullptr)},
                     {"expired", doc.expired ? json(*doc.expired) : json(nullptr)}};
    return {{"collectionId", request.collection_id},
            {"externalId", request.external_id},
            {"decision", decision_name(r.decision)},
            {"documentConfidence", score(r.document_confidence)},
            {"existingSearchConfidence", score(r.existing_search_confidence)},
            {"existingExternalId",
             disclosure == Disclosure::FULL ? optional_string(r.existing_external_id) : json(nullptr)},
            {"indexed", r.indexed},
            {"faceId", optional_string(r.face_id)},
            {"document", document},
            {"face", doc.portrait ? face_json(*doc.portrait, doc.image_width, doc.image_height) : json(nullptr)},
            {"reasons", r.reasons},
            {"policy",
             {{"minDocumentConfidence", r.policy.min_document_confidence},
              {"maxExistingSearchConfidence", r.policy.max_existing_search_confidence},
              {"allowExpired", r.policy.allow_expired}}}};
}

json verify_result_json(const VerifyRequest& request, const VerifyResult& r, Disclosure disclosure) {
    if (disclosure == Disclosure::PUBLIC) return public_result_json(r.decision == VerifyDecision::ACCEPTED, r.reasons);
    json liveness = nullptr, quality = nullptr, face = nullptr;
    if (r.face) {
        liveness = {{"score", score(r.face->liveness.score)}, {"live", r.face->liveness.live}};
        quality = quality_json(*r.face);
        face = face_json(*r.face, r.image_width, r.image_height);
    }
    json top = nullptr;
    if (r.top_match && disclosure == Disclosure::FULL) {
        top = {{"externalId", r.top_match->external_id}, {"similarity", score(r.top_match->similarity)}};
    }
    return {{"collectionId", request.collection_id},
            {"externalId", request.external_id},
            {"decision", decision_name(r.decision)},
            {"externalIdMatched", r.external_id_matched},
            {"confidence", score(r.confidence)},
            {"liveness", liveness},
            {"topMatch", top},
            {"face", face},
            {"quality", quality},
            {"reasons", r.reasons},
            {"policy", {{"minConfidence", r.policy.min_confidence}, {"requireLiveness", r.policy.require_liveness}}}};
}

json flow_collections_json(const std::vector<FlowCollection>& collections) {
    json list = json::array();
    for (const auto& c : collections) {
        list.push_back({{"collectionId", c.collection_id},
                        {"faceCount", c.face_count},
                        {"userCount", c.user_count},
                        {"createdAt", iso_time(c.created_ms)}});
    }
    return {{"collections", list}};
}

json flow_users_json(const std::vector<FlowUser>& users) {
    json list = json::array();
    for (const auto& u : users) {
        list.push_back({{"externalId", u.external_id},
                        {"faceCount", u.face_count},
                        {"firstIndexed", iso_time(u.first_indexed_ms)},
                        {"lastIndexed", iso_time(u.last_indexed_ms)}});
    }
    return {{"users", list}};
}

json external_id_faces_json(const ExternalIdFaces& faces) {
    json list = json::array();
    for (const auto& f : faces.faces) {
        const BoundingBox& b = f.bounding_box;
        list.push_back({{"faceId", f.face_id},
                        {"imageId", f.image_id},
                        {"boundingBox", {{"Width", b.width}, {"Height", b.height}, {"Left", b.left}, {"Top", b.top}}},
                        {"confidence", score(f.confidence)},
                        {"indexedAt", iso_time(f.created_ms)}});
    }
    return {{"externalId", faces.external_id}, {"faces", list}};
}

json erasure_json(const ErasureResult& erasure) {
    return {{"externalId", erasure.external_id},
            {"deletedFaces", erasure.face_ids.size()},
            {"faceIds", erasure.face_ids}};
}

json flow_audit_json(const FlowAuditPage& page) {
    json list = json::array();
    for (const auto& r : page.records) {
        json details = r.details.empty() ? json::object() : json::parse(r.details, nullptr, false);
        if (details.is_discarded()) details = json::object();
        json record = {{"seq", r.seq},
                       {"time", iso_time(r.time_ms)},
                       {"action", r.action},
                       {"collectionId", r.collection_id},
                       {"externalId", r.external_id.empty() ? json(nullptr) : json(r.external_id)},
                       {"client", r.client},
                       {"requestId", r.request_id.empty() ? json(nullptr) : json(r.request_id)},
                       {"decision", details.value("decision", std::string())},
                       {"reasons", details.value("reasons", json::array())}};
        details.erase("decision");
        details.erase("reasons");
        record["scores"] = details;
        list.push_back(std::move(record));
    }
    json out = {{"records", list}};
    out["nextToken"] = page.next_token.empty() ? json(nullptr) : json(page.next_token);
    return out;
}

json flow_policy_json(const FlowPolicy& policy) {
    return {{"register",
             {{"minDocumentConfidence", policy.registration.min_document_confidence},
              {"maxExistingSearchConfidence", policy.registration.max_existing_search_confidence},
              {"allowExpired", policy.registration.allow_expired}}},
            {"verify",
             {{"minConfidence", policy.verification.min_confidence},
              {"requireLiveness", policy.verification.require_liveness}}},
            {"rateLimits",
             {{"verifyPerExternalId", policy.rate_limits.per_external_id},
              {"verifyPerClient", policy.rate_limits.per_client},
              {"registerPerExternalId", policy.rate_limits.register_per_external_id},
              {"registerPerClient", policy.rate_limits.register_per_client},
              {"windowSeconds", policy.rate_limits.window.count()}}}};
}

} // namespace facegate
