// SPDX-License-Identifier: MIT
#pragma once

// the sign-up and sign-in flows an identity platform calls, as the cloud connector did with
// Rekognition, plus the account administration behind the console:
//   register: an ID document photo -> how sure we are it is one, whether its face is already
//             registered under another external ID, the MRZ read, a decision; the portrait is stored
//   verify:   a selfie -> whether it is the external ID's face, liveness, quality, a decision
// plain structs in and out (the server and the CLI render them); errors are facegate::Error.
// thread-safe: any number of calls at once.

#include "common/error.h"
#include "document/document_analyzer.h"
#include "service/face_collections.h"
#include "service/flow_policy.h"
#include "service/rate_limiter.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace facegate {

enum class RegisterDecision { ACCEPTED, REJECTED, EXISTING_USER };
enum class VerifyDecision { ACCEPTED, REJECTED };
std::string_view decision_name(RegisterDecision decision); // "accepted", "rejected", "existing_user"
std::string_view decision_name(VerifyDecision decision);   // "accepted", "rejected"

struct RegisterRequest {
    std::string collection_id;
    std::string external_id; // as the user typed it: UTF-8, 1-255 bytes
    std::span<const uint8_t> document;
    bool index_always = false; // index even when the decision is not accepted (the cloud connector's way)
    RegisterPolicyOverrides overrides;
    std::string client; // who asked (an API key id, "demo:<session>"): audit and rate limits
    std::string request_id; // the HTTP request's id, for the audit row (empty outside the server)
};

struct RegisterResult {
    RegisterDecision decision = RegisterDecision::REJECTED;
    float document_confidence = 0;
    float existing_search_confidence = 0;          // best similarity with another external ID's face
    std::optional<std::string> existing_external_id; // that external ID
    bool indexed = false;
    std::optional<std::string> face_id;
    DocumentAnalysis document;
    std::vector<std::string> reasons;
    RegisterPolicy policy; // in effect for this request
};

struct VerifyRequest {
    std::string collection_id;
    std::string external_id;
    std::span<const uint8_t> selfie;
    VerifyPolicyOverrides overrides;
    std::string client;
    std::string request_id; // the HTTP request's id, for the audit row
};

struct TopMatch {
    std::string external_id;
    float similarity = 0;
};

struct VerifyResult {
    VerifyDecision decision = VerifyDecision::REJECTED;
    bool external_id_matched = false;
    float confidence = 0;
    std::optional<FaceAnalysis> face; // the largest face of the selfie (liveness, quality, pose, eyes)
    int image_width = 0, image_height = 0;
    std::optional<TopMatch> top_match;
    std::vector<std::string> reasons;
    VerifyPolicy policy;
};

struct ExternalIdFaces {
    std::string external_id;
    std::vector<FaceRecord> faces;
};

struct FlowCollection {
    std::string collection_id;
    std::int64_t face_count = 0;
    std::int64_t user_count = 0; // distinct external IDs
    std::int64_t created_ms = 0;
};

struct FlowUser {
    std::string external_id;
    std::int64_t face_count = 0;
    std::int64_t first_indexed_ms = 0, last_indexed_ms = 0;
};

struct ErasureResult {
    std::string external_id;
    std::vector<std::string> face_ids;
};

struct FlowAuditQuery {
    std::optional<std::string> collection_id;
    std::optional<std::string> external_id;
    std::optional<std::string> action; // register, verify, erase
    std::optional<std::string> decision;
    std::string next_token;
    size_t limit = 50;
};

struct FlowAuditRecord {
    std::int64_t seq = 0;
    std::int64_t time_ms = 0;
    std::string action;
    std::string collection_id;
    std::string external_id;
    std::string client;
    std::string details; // JSON object: decision, scores, reasons
    std::string request_id; // the HTTP request's x-amzn-RequestId
};

struct FlowAuditPage {
    std::vector<FlowAuditRecord> records;
    std::string next_token;
};

// verify past a rate limit: Error(THROTTLED) with the seconds after which a retry may pass
class RateLimitExceeded : public Error {
  public:
    RateLimitExceeded(std::string message, int retry_after_seconds)
        : Error(ErrorCode::THROTTLED, std::move(message)), retry_after_seconds_(retry_after_seconds) {}
    int retry_after_seconds() const noexcept { return retry_after_seconds_; }

  private:
    int retry_after_seconds_;
};

class IdentityFlows {
  public:
    using Clock = std::function<std::chrono::system_clock::time_point()>;

    IdentityFlows(FaceCollections& collections, const DocumentAnalyzer& analyzer, FlowPolicy policy,
                  Clock clock = [] { return std::chrono::system_clock::now(); });

    RegisterResult register_document(const RegisterRequest& request);
    // throws Error(THROTTLED) past the rate limits, Error(RESOURCE_NOT_FOUND) for an unknown collection
    VerifyResult verify_selfie(const VerifyRequest& request);

    std::vector<FlowCollection> list_collections();
    std::vector<FlowUser> list_users(const std::string& collection_id, const std::string& prefix, size_t limit);
    // RESOURCE_NOT_FOUND when the external ID has no faces
    ExternalIdFaces user_faces(const std::string& collection_id, const std::string& external_id);
    // removes every face of the external ID (an empty result when it had none)
    ErasureResult erase(const std::string& collection_id, const std::string& external_id, const std::string& client,
                        const std::string& request_id = {});
    // a refused register, verify or erase: one brief audit row (the action, the error type, who, the request id)
    void record_refusal(const std::string& action, const std::string& client, std::string_view error_type,
                        const std::string& request_id);
    FlowAuditPage audit(const FlowAuditQuery& query);

    const FlowPolicy& policy() const { return policy_; }

    // counts the rate limits in the store (Store::count_in_window) instead of this process's memory, so that
    // the nodes of a deployment on one database share each budget. Call before serving.
    void count_rate_limits_in_store();

  private:
    std::string stored_id(const std::string& external_id); // encodes, remembering aliases
    std::string shown_id(const std::string& external_image_id);     // decodes, asking the store for aliases
    void record(const std::string& action, const std::string& collection_id, const std::string& external_image_id,
                const std::string& client, const std::string& details, const std::string& request_id);
    // throws RateLimitExceeded (and audits the refusal) when the client or the external ID is over its limit
    void enforce_rate_limits(const std::string& action, RateLimiter& per_client, RateLimiter& per_external_id,
                             const std::string& collection_id, const std::string& stored, const std::string& client,
                             const std::string& request_id);

    FaceCollections& collections_;
    const DocumentAnalyzer& analyzer_;
    FlowPolicy policy_;
    Clock clock_;
    RateLimiter per_external_id_; // verify
    RateLimiter per_client_;
    RateLimiter register_per_external_id_;
    RateLimiter register_per_client_;
};

} // namespace facegate
