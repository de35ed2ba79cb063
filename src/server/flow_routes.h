// SPDX-License-Identifier: MIT
#pragma once

// the /v1 flow API on the HTTP server (docs/api-v1.md): register and verify for sign-up and sign-in
// flows, the demo session of the web pages, and the admin endpoints behind the console.
// authenticates (API keys, SigV4, demo cookie), parses and renders; the flows run in the service layer.

#include "auth/access_keys.h"
#include "auth/api_keys.h"
#include "server/demo_sessions.h"
#include "protocol/flow_json.h"
#include "server/router.h"
#include "service/identity_flows.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

namespace facegate {

class SigningKeys;
class VerificationSessions;
class Webhooks;

struct FlowRoutesConfig {
    bool require_auth = true;
    std::string demo_collection = "demo"; // empty: no demo sessions
    size_t max_image_body = 8 * 1024 * 1024; // register and verify: a 5 MB image, base64 in JSON
    size_t max_other_body = 64 * 1024;       // every other /v1 request
    bool trust_forwarded_proto = false;      // X-Forwarded-Proto: https from a TLS proxy makes the cookie Secure
    DemoSessionLimits demo_sessions;
};

class FlowRoutes {
  public:
    FlowRoutes(FlowRoutesConfig config, IdentityFlows& flows, ApiKeyStore& api_keys, AccessKeyStore& access_keys);
    void install(Router& router);
    // several nodes on one store: a demo session made on one is valid on all (DemoSessions::share_through)
    void share_demo_sessions(Store& store);
    // the verification sessions (docs/sessions.md; server/session_routes.cpp): the owner's API under /v1/sessions,
    // the browser's capture with the client secret, the JWK Set of the result tokens and the hosted page /s/{id}
    void install_sessions(Router& router, VerificationSessions& sessions, SigningKeys& signing_keys);
    // the webhooks (docs/sessions.md; server/webhook_routes.cpp); `on_event` wakes the dispatcher after a replay
    void install_webhooks(Router& router, Webhooks& webhooks, std::function<void()> on_event = {});
    // the metric names of its requests
    static std::vector<std::string> operation_names();

  private:
    struct Caller {
        std::string client;   // API key id, access key id, or "demo@<address>"
        bool demo = false;    // may only register and verify on the demo collection
        bool admin = false;   // an admin API key or an access key: may see who a face belongs to
        bool may_override_policy = false; // admin, or an API key created with --allow-policy-overrides
    };
    Caller authenticate(const HttpRequest& request, ApiKeyScope required);
    // adds a route whose handler authenticates with `scope`, runs `body` and renders its JSON
    using Action = std::function<nlohmann::json(HttpRequest&, const Caller&)>;
    void add_action(Router& router, std::string method, std::string pattern, std::string operation, ApiKeyScope scope,
                    Lane lane, Action body);
    void require_collection_access(const Caller& caller, const std::string& collection_id) const;
    static Disclosure disclosure_for(const Caller& caller);
    bool served_over_tls(const HttpRequest& request) const;
    // shared with session_routes.cpp: the Origin check of state-changing requests, the /v1 error rendering
    static void check_origin(const HttpRequest& request);
    static void render_error(const std::exception_ptr& error, HttpResponse& response);

    FlowRoutesConfig config_;
    IdentityFlows& flows_;
    ApiKeyStore& api_keys_;
    AccessKeyStore& access_keys_;
    DemoSessions demo_sessions_;
    bool shared_demo_sessions_ = false;
    std::function<void()> on_webhook_event_;
};

} // namespace facegate
