// SPDX-License-Identifier: MIT
// the flows' shared parts and the account administration; register_flow.cpp and verify_flow.cpp hold the actions
#include "service/identity_flows.h"

#include "common/error.h"
#include "service/external_id.h"
#include "service/shared_rate_limit.h"

#include <algorithm>

namespace facegate {

std::string_view decision_name(RegisterDecision decision) {
    switch (decision) {
    case RegisterDecision::ACCEPTED: return "accepted";
    case RegisterDecision::EXISTING_USER: return "existing_user";
    case RegisterDecision::REJECTED: return "rejected";
    }
    return "rejected";
}

std::string_view decision_name(VerifyDecision decision) {
    return decision == VerifyDecision::ACCEPTED ? "accepted" : "rejected";
}

IdentityFlows::IdentityFlows(FaceCollections& collections, const DocumentAnalyzer& analyzer, FlowPolicy policy,
                             Clock clock)
    : collections_(collections), analyzer_(analyzer), policy_(policy), clock_(std::move(clock)),
      per_external_id_(RateLimit{uint32_t(std::max(0, policy.rate_limits.per_external_id)), policy.rate_limits.window}),
      per_client_(RateLimit{uint32_t(std::max(0, policy.rate_limits.per_client)), policy.rate_limits.window}),
      register_per_external_id_(
          RateLimit{uint32_t(std::max(0, policy.rate_limits.register_per_external_id)), policy.rate_limits.window}),
      register_per_client_(
          RateLimit{uint32_t(std::max(0, policy.rate_limits.register_per_client)), policy.rate_limits.window}) {}

void IdentityFlows::count_rate_limits_in_store() {
    Store& store = collections_.store();
    count_in_store(per_external_id_, store, "verify-external-id");
    count_in_store(per_client_, store, "verify-client");
    count_in_store(register_per_external_id_, store, "register-external-id");
    count_in_store(register_per_client_, store, "register-client");
}

void IdentityFlows::enforce_rate_limits(const std::string& action, RateLimiter& per_client, RateLimiter& per_external_id,
                                        const std::string& collection_id, const std::string& stored,
                                        const std::string& client, const std::string& request_id) {
    // every attempt counts, whatever its outcome: the limits bound guessing, not only successes.
    // the client first: a client already throttled must not use up the external ID's budget
    for (RateLimiter* limiter : {&per_client, &per_external_id}) {
        const std::string key = limiter == &per_external_id ? collection_id + '\n' + stored : client;
        RateDecision decision = limiter->check(key);
        if (!decision.allowed) {
            record(action, collection_id, stored, client, R"({"decision":"throttled","reasons":["RATE_LIMITED"]})",
                   request_id);
            throw RateLimitExceeded(limiter == &per_external_id
                                        ? "too many " + action + " attempts for this externalId; retry later"
                                        : "too many " + action + " attempts from this client; retry later",
                                    int(decision.retry_after.count()));
        }
    }
}

std::string IdentityFlows::stored_id(const std::string& external_id) {
    auto encoded = encode_external_id(external_id);
    if (encoded.is_alias) {
        collections_.store().put_external_id_alias(encoded.external_image_id, canonical_external_id(external_id));
    }
    return encoded.external_image_id;
}

std::string IdentityFlows::shown_id(const std::string& external_image_id) {
    if (is_external_id_alias(external_image_id)) {
        return collections_.store().external_id_for_alias(external_image_id).value_or(external_image_id);
    }
    // ids indexed through the Rekognition API are shown as they are
    return decode_external_id(external_image_id).value_or(external_image_id);
}

void IdentityFlows::record(const std::string& action, const std::string& collection_id,
                           const std::string& external_image_id, const std::string& client, const std::string& details,
                           const std::string& request_id) {
    AuditEvent event;
    event.operation = action;
    event.collection_id = collection_id;
    event.external_image_id = external_image_id;
    event.outcome = "OK";
    event.caller_key_id = client;
    event.details = details;
    event.request_id = request_id;
    collections_.store().append_audit(event);
}

std::vector<FlowCollection> IdentityFlows::list_collections() {
    std::vector<FlowCollection> out;
    std::string token;
    do {
        CollectionPage page = collections_.list_collections(token, 1000);
        for (const auto& info : page.collections) {
            try {
                auto description = collections_.describe_collection(info.collection_id);
                out.push_back({info.collection_id, std::int64_t(description.face_count),
                               collections_.store().count_external_ids(info.collection_id), info.created_ms});
            } catch (const Error& e) {
                if (e.code() != ErrorCode::RESOURCE_NOT_FOUND) throw; // deleted meanwhile
            }
        }
        token = page.next_token;
    } while (!token.empty());
    return out;
}

std::vector<FlowUser> IdentityFlows::list_users(const std::string& collection_id, const std::string& prefix,
                                                size_t limit) {
    validate_collection_id(collection_id);
    std::vector<FlowUser> out;
    for (auto& summary : collections_.store().list_external_ids(collection_id, external_id_prefix(prefix), limit)) {
        out.push_back({shown_id(summary.external_image_id), summary.face_count, summary.first_indexed_ms,
                       summary.last_indexed_ms});
    }
    return out;
}

ExternalIdFaces IdentityFlows::user_faces(const std::string& collection_id, const std::string& external_id) {
    validate_collection_id(collection_id);
    auto faces = collections_.store().faces_by_external_id(collection_id, encode_external_id(external_id).external_image_id);
    if (faces.empty()) throw Error(ErrorCode::RESOURCE_NOT_FOUND, "no faces are registered under this externalId");
    return {external_id, std::move(faces)};
}

void IdentityFlows::record_refusal(const std::string& action, const std::string& client, std::string_view error_type,
                                   const std::string& request_id) {
    AuditEvent event;
    event.operation = action;
    event.outcome = std::string(error_type);
    event.caller_key_id = client;
    event.details = R"({"decision":"refused"})";
    event.request_id = request_id;
    collections_.store().append_audit(event);
}

ErasureResult IdentityFlows::erase(const std::string& collection_id, const std::string& external_id,
                                   const std::string& client, const std::string& request_id) {
    validate_collection_id(collection_id);
    const std::string stored = encode_external_id(external_id).external_image_id;
    ErasureResult result{external_id, {}};
    for (const auto& face : collections_.erase_external_id(collection_id, stored)) result.face_ids.push_back(face.face_id);
    record("erase", collection_id, stored, client,
           "{\"deletedFaces\":" + std::to_string(result.face_ids.size()) + "}", request_id);
    return result;
}

FlowAuditPage IdentityFlows::audit(const FlowAuditQuery& query) {
    if (query.limit < 1 || query.limit > 1000) throw Error(ErrorCode::INVALID_PARAMETER, "limit must be between 1 and 1000");
    AuditQuery q;
    q.collection_id = query.collection_id;
    q.operation = query.action;
    q.decision = query.decision;
    if (query.external_id) q.external_image_id = encode_external_id(*query.external_id).external_image_id;
    q.page = {query.next_token, query.limit};
    AuditPage page = collections_.store().query_audit(q);
    FlowAuditPage out;
    out.next_token = page.next_token;
    for (auto& r : page.records) {
        out.records.push_back({r.seq, r.event.time_ms, r.event.operation, r.event.collection_id,
                               r.event.external_image_id ? shown_id(*r.event.external_image_id) : std::string(),
                               r.event.caller_key_id, r.event.details, r.event.request_id});
    }
    return out;
}

} // namespace facegate
