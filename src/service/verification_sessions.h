// SPDX-License-Identifier: MIT
#pragma once

// verification sessions (docs/sessions.md): an application's backend creates a short-lived session for one
// person's register or verify; the person's browser submits the capture on facegate's hosted page with the
// session's client secret; the backend reads the result, or receives it signed (a JWS) through the browser.
//
// - The session lives in the store (Store::create_session), so any node serves any session; the client secret
//   is kept only as its SHA-256, compared in constant time.
// - The secret allows one thing: the capture of that session (its action, collection and external ID, with the
//   owner's policy), a few attempts (SessionsConfig::attempts), until the session expires. An attempt is claimed
//   by a compare-and-set on (status, attempts): two captures at once never both run.
// - A capture whose public outcome is `retry` (something in the picture to fix) leaves the session open while
//   attempts remain; any other outcome, or the last attempt, completes it. Errors of the server (throttled,
//   overloaded, store unavailable) give the attempt back.
// - The owner reads the result JSON /v1/register or /v1/verify would have given it (FLOW or FULL disclosure);
//   the browser only the public outcome.
// thread-safe.

#include "protocol/flow_json.h"
#include "service/identity_flows.h"
#include "service/webhooks.h"
#include "store/store.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace facegate {

struct SessionsConfig {
    std::chrono::seconds default_lifetime{600};
    std::chrono::seconds max_lifetime{3600};
    std::uint32_t attempts = 3;               // captures one session allows (1-10)
    std::chrono::seconds token_lifetime{300}; // exp - iat of the signed results
    std::string issuer;                       // the tokens' iss; empty: the public URL (or the session's origin)
    std::string public_url;                   // e.g. https://id.example.com; empty: from the request's Host
    std::vector<std::string> allowed_return_origins; // "https://app.example.com": the only returnUrl origins
};

struct NewSessionRequest {
    std::string owner;                 // the creating key's id
    Disclosure disclosure = Disclosure::FLOW;
    bool may_override_policy = false;
    std::string action;                // register | verify
    std::string collection_id;
    std::string external_id;
    std::optional<std::string> return_url;
    std::optional<std::int64_t> expires_in; // seconds
    nlohmann::json policy;             // null, or an object of overrides (see docs/sessions.md)
    std::string base_url;              // the origin the request came to (scheme://host[:port]), when no public URL is set
};

struct SessionListRequest {
    std::string owner;         // the caller's key id
    bool admin = false;        // sees every key's sessions
    std::string status;        // empty, or created | processing | completed | expired | canceled
    std::string action;        // empty, register or verify
    std::string collection_id; // empty: all
    std::size_t limit = 50;    // 1-1000
    std::string next_token;    // from the previous page
};

struct CreatedSession {
    SessionRecord record;
    std::string client_secret; // shown once
    std::string url;           // the hosted page, with the secret in the fragment
};

// signs a JWT claims object (auth/signing_keys.h SigningKeys::sign)
using ClaimsSigner = std::function<std::string(const nlohmann::json&)>;

class VerificationSessions {
  public:
    using Clock = std::function<std::int64_t()>; // ms since the epoch

    VerificationSessions(Store& store, IdentityFlows& flows, SessionsConfig config, ClaimsSigner sign,
                         Clock clock = {});

    // validates everything (Error INVALID_PARAMETER; ACCESS_DENIED for a policy without the right; 404 for a
    // verify on a collection that does not exist) and stores the session
    CreatedSession create(const NewSessionRequest& request);
    // the owner's view: {sessionId, action, collectionId, externalId, status, attempts, createdAt, expiresAt,
    // returnUrl, result?, token?}. RESOURCE_NOT_FOUND unless `owner` created it
    nlohmann::json describe(const std::string& session_id, const std::string& owner);
    // the console's list, newest first: {sessions: [{sessionId, action, collectionId, externalId, status, attempts,
    // maxAttempts, owner, createdAt, expiresAt, completedAt?, decision?}], nextToken?}; an admin sees every key's
    nlohmann::json list(const SessionListRequest& request);
    // created -> canceled; CONFLICT once completed, canceled or expired
    nlohmann::json cancel(const std::string& session_id, const std::string& owner);

    // the browser's: the session when `secret` is its client secret and the id exists, else
    // Error(UNRECOGNIZED_CLIENT) (the same for both, so ids cannot be probed)
    SessionRecord authenticate(const std::string& session_id, std::string_view secret);
    // what the hosted page needs: {sessionId, action, status, attemptsLeft, expiresAt, embedOrigin?, result?,
    // resultToken?, redirectUrl?}. `embed_origin`: the page runs in a frame of that origin (the SDK's modal);
    // INVALID_PARAMETER unless it is one of allowed_return_origins
    nlohmann::json client_state(const SessionRecord& session, const std::optional<std::string>& embed_origin = {});
    // runs one attempt with `image` (the document or the selfie); returns the public outcome plus
    // {status, attemptsLeft, resultToken?, redirectUrl?}. CONFLICT when the session is not open (completed, canceled, expired,
    // out of attempts, or another capture running); the flow's errors otherwise
    nlohmann::json capture(const SessionRecord& session, std::span<const std::uint8_t> image,
                           const std::string& request_id);

    // "created", "processing", "completed", "expired", "canceled" now
    std::string status_of(const SessionRecord& session) const;
    const SessionsConfig& config() const { return config_; }
    // whether `url`'s origin is one of allowed_return_origins
    bool return_origin_allowed(std::string_view url) const;
    // every completed session becomes a "session.completed" event of the webhooks that see it, written with the
    // completion (the store's outbox); `on_event` runs after such a write (wakes the dispatcher)
    void send_events_to(Webhooks& webhooks, std::function<void()> on_event);

  private:
    // what every view of a session shows: ids, status, attempts, times
    nlohmann::json summary(const SessionRecord& session) const;
    // the owner's view of a session without the token: describe() and the webhooks' events
    nlohmann::json owner_view(const SessionRecord& session) const;
    // once completed: the public resultToken and the redirectUrl (when the session has an allowed returnUrl)
    void add_completion(nlohmann::json& out, const SessionRecord& session);
    std::string redirect_url(const SessionRecord& session);
    std::string issuer_of(const SessionRecord& session) const;
    // the signed result: `flow` with the numbers for the owner (GET), else the public view for the redirect
    std::string token(const SessionRecord& session, bool flow);
    std::uint32_t attempts_left(const SessionRecord& session) const;

    Store& store_;
    IdentityFlows& flows_;
    SessionsConfig config_;
    ClaimsSigner sign_;
    Clock clock_;
    Webhooks* webhooks_ = nullptr;
    std::function<void()> on_event_;
};

// scheme://host[:port] of an absolute http(s) URL (lower-case scheme and host), or nullopt when it is not one
// (no userinfo, no control characters or spaces, at most kMaxSessionUrlBytes)
std::optional<std::string> url_origin(std::string_view url);

} // namespace facegate
