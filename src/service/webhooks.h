// SPDX-License-Identifier: MIT
#pragma once

// webhooks (docs/sessions.md, "Webhooks"): an application registers a URL and receives a signed POST for every
// verification session it may see that completes.
//
// - The registrations are one store document ("webhooks"), so every node sees the same ones. Each has a
//   signing secret (whsec_...), shown once at creation; the POST carries
//   `Facegate-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>` (Stripe's scheme).
// - Scope: an admin key's webhook sees the sessions of one collection, of one key, or all; any other key's
//   webhook sees only the sessions that key created.
// - Targets: http(s) URLs whose host (or host:port) is listed with --webhook-allow, checked when registered and
//   again before every POST; redirects are never followed.
// - Delivery: the events are written to the store's outbox with the session change (Store::update_session), and
//   POSTed at least once by WebhookDispatcher, with exponential backoff for WebhooksConfig::retry_for.
// thread-safe.

#include "store/store.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace facegate {

struct WebhooksConfig {
    std::vector<std::string> allowed_hosts;            // "hooks.example.com" (any port) or "127.0.0.1:8080"
    std::chrono::milliseconds timeout{10'000};         // one POST, connect to answer
    std::chrono::milliseconds first_retry{10'000};     // the wait after the first failure; doubles each time
    std::chrono::milliseconds max_retry_interval{3'600'000};
    std::chrono::milliseconds retry_for{24LL * 3'600'000}; // a delivery failing for this long is given up
    std::chrono::milliseconds poll{1'000};             // how often a node looks for due deliveries
};

inline constexpr std::size_t kMaxWebhooks = 100;
inline constexpr std::size_t kMaxWebhookUrlBytes = 2048;
inline constexpr std::size_t kMaxWebhookDescriptionBytes = 256;

// an http(s) URL split for a request
struct WebhookUrl {
    bool tls = false;
    std::string host;   // lower-case; an IPv6 address without its brackets
    std::uint16_t port = 0;
    std::string target; // path?query, at least "/"
};

// the URL when it is an absolute http(s) URL without userinfo or fragment, printable, at most kMaxWebhookUrlBytes
std::optional<WebhookUrl> parse_webhook_url(std::string_view url);

struct WebhookEndpoint {
    std::string webhook_id;    // fgw_<hex>
    std::string owner;         // the key that registered it
    std::string url;
    std::string collection_id; // empty: every collection
    std::string key_id;        // empty: every key's sessions (admins only)
    std::string description;
    std::string secret;        // whsec_...: signs the POSTs
    std::int64_t created_ms = 0;
};

struct NewWebhook {
    std::string owner;
    bool admin = false;
    std::string url;
    std::string collection_id;
    std::string key_id;
    std::string description;
};

class Webhooks {
  public:
    using Clock = std::function<std::int64_t()>; // ms since the epoch

    Webhooks(Store& store, WebhooksConfig config, Clock clock = {});

    // validates (INVALID_PARAMETER: URL, host not allowed, sizes; ACCESS_DENIED: a non-admin naming another key;
    // LIMIT_EXCEEDED past kMaxWebhooks) and stores it; the result carries the secret
    WebhookEndpoint create(const NewWebhook& request);
    // what `owner` may see: an admin every webhook, another key its own (secrets included: the caller blanks them)
    std::vector<WebhookEndpoint> list(const std::string& owner, bool admin);
    // RESOURCE_NOT_FOUND unless the caller may see it
    void remove(const std::string& webhook_id, const std::string& owner, bool admin);
    std::optional<WebhookEndpoint> find(const std::string& webhook_id);

    // the deliveries of the event `type` about `session` (its JSON `data`), one per webhook that sees it
    std::vector<DeliveryRecord> deliveries_for(const SessionRecord& session, const std::string& type,
                                               const std::string& data_json);
    // deliveries of the webhooks the caller may see (all for an admin); `webhook_id` narrows to one
    std::vector<DeliveryRecord> list_deliveries(const std::string& owner, bool admin, const std::string& webhook_id,
                                                std::optional<DeliveryStatus> status, std::size_t limit);
    // sends a delivery again (pending now, a new retry window); RESOURCE_NOT_FOUND unless the caller may see it
    DeliveryRecord replay(const std::string& delivery_id, const std::string& owner, bool admin);

    // whether `url`'s host is one of config().allowed_hosts
    bool target_allowed(const WebhookUrl& url) const;
    // the state after a failed POST: the next try after the backoff, or FAILED past the retry window
    DeliveryRecord after_failure(DeliveryRecord delivery, int status_code, std::string error) const;
    const WebhooksConfig& config() const { return config_; }
    std::int64_t now() const { return clock_(); }

  private:
    std::vector<WebhookEndpoint> load();
    bool may_see(const WebhookEndpoint& webhook, const std::string& owner, bool admin) const;

    Store& store_;
    WebhooksConfig config_;
    Clock clock_;
};

} // namespace facegate
