// SPDX-License-Identifier: MIT
#pragma once

// the /v1 flow API on the HTTP server (docs/api-v1.md): register and verify for sign-up and sign-in
// flows, the demo session of the web pages, and the admin endpoints behind the console.
// authenticates (API keys, SigV4, demo cookie), parses and renders; the flows run in the service layer.

#include "auth/access_keys.h"
#include "auth/api_keys.h"
#include "server/demo_sessions.h"
#include "server/metrics.h"
#include "service/identity_flows.h"

#include <string>

namespace httplib {
class Server;
struct Request;
}

namespace facegate {

struct FlowRoutesConfig {
    bool require_auth = true;
    std::string demo_collection = "demo"; // empty: no demo sessions
};

class FlowRoutes {
  public:
    FlowRoutes(FlowRoutesConfig config, IdentityFlows& flows, ApiKeyStore& api_keys, AccessKeyStore& access_keys);
    // the routes record into `metrics`, which must outlive the server
    void install(httplib::Server& server, Metrics& metrics);

  private:
    struct Caller {
        std::string client;   // API key id, access key id, or "demo@<address>"
        bool demo = false;    // may only register and verify on the demo collection
    };
    Caller authenticate(const httplib::Request& request, ApiKeyScope required);
    void require_collection_access(const Caller& caller, const std::string& collection_id) const;

    FlowRoutesConfig config_;
    IdentityFlows& flows_;
    ApiKeyStore& api_keys_;
    AccessKeyStore& access_keys_;
    Metrics* metrics_ = nullptr;
    DemoSessions demo_sessions_;
};

} // namespace facegate
