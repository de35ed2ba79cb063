// SPDX-License-Identifier: MIT
#include "server/flow_routes.h"

#include "common/error.h"
#include "protocol/error_mapping.h"
#include "protocol/flow_json.h"
#include "protocol/rekognition_json.h"
#include "server/flow_request.h"
#include "service/external_id.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <chrono>

namespace facegate {

namespace {

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kDemoCookie = "facegate_demo";

void render_flow_error(const std::exception_ptr& error, HttpResponse& res) {
    try {
        std::rethrow_exception(error);
    } catch (const Error& e) {
        res.status = flow_wire_error(e.code()).http_status;
        // messages may quote what a client sent: bytes that are not UTF-8 are replaced, never thrown on
        res.set_content(error_json(e).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), kJson);
        if (const auto* limited = dynamic_cast<const RateLimitExceeded*>(&e)) {
            res.set_header("Retry-After", std::to_string(std::max(1, limited->retry_after_seconds())));
        }
    } catch (const std::exception& e) {
        spdlog::error("a /v1 request failed: {}", e.what());
        res.status = 500;
        res.set_content(error_json(Error(ErrorCode::INTERNAL, "internal error")).dump(), kJson);
    }
    res.set_header("Cache-Control", "no-store");
}

// the value of one cookie of the Cookie header, if present
std::optional<std::string> cookie(const HttpRequest& req, std::string_view name) {
    std::string header = req.header_value("Cookie");
    std::string_view rest = header;
    while (!rest.empty()) {
        auto end = rest.find(';');
        std::string_view pair = rest.substr(0, end);
        rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
        while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
        if (pair.size() > name.size() && pair.starts_with(name) && pair[name.size()] == '=') {
            return std::string(pair.substr(name.size() + 1));
        }
    }
    return std::nullopt;
}

// a state-changing request sent by a browser from another site (the demo cookie must not be ridden,
// an admin's browser must not be driven): an Origin header that is not this server's host is refused.
// requests without Origin (servers, curl, SDKs) are not browsers' cross-site requests
void refuse_foreign_origin(const HttpRequest& req) {
    if (req.method != "POST" && req.method != "DELETE") return;
    auto origin = req.header("Origin");
    if (!origin) return;
    std::string_view authority = *origin;
    for (std::string_view scheme : {"https://", "http://"}) {
        if (authority.starts_with(scheme)) {
            authority.remove_prefix(scheme.size());
            break;
        }
    }
    std::string host = req.header_value("Host");
    if (authority == *origin || host.empty() || !iequals(authority, host)) {
        throw Error(ErrorCode::ACCESS_DENIED, "cross-origin requests are not allowed here");
    }
}

// a request that sets its own thresholds needs a key allowed to (never the demo session)
void require_override_right(bool allowed, std::initializer_list<bool> present) {
    bool any = std::any_of(present.begin(), present.end(), [](bool p) { return p; });
    if (any && !allowed) {
        throw Error(ErrorCode::ACCESS_DENIED, "this caller may not override the policy: use an admin key or an API key "
                                              "created with --allow-policy-overrides");
    }
}

size_t query_limit(const HttpRequest& req, size_t fallback) {
    auto value = req.query_param("limit");
    if (!value) return fallback;
    size_t limit = 0;
    auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), limit);
    if (ec != std::errc() || end != value->data() + value->size() || limit < 1 || limit > 1000) {
        throw Error(ErrorCode::INVALID_PARAMETER, "limit must be a number between 1 and 1000");
    }
    return limit;
}

std::chrono::year_month_day today() {
    return std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now())};
}

} // namespace

void FlowRoutes::check_origin(const HttpRequest& req) { refuse_foreign_origin(req); }

void FlowRoutes::render_error(const std::exception_ptr& error, HttpResponse& res) { render_flow_error(error, res); }

FlowRoutes::FlowRoutes(FlowRoutesConfig config, IdentityFlows& flows, ApiKeyStore& api_keys,
                       AccessKeyStore& access_keys)
    : config_(std::move(config)), flows_(flows), api_keys_(api_keys), access_keys_(access_keys),
      demo_sessions_(config_.demo_sessions) {}

FlowRoutes::Caller FlowRoutes::authenticate(const HttpRequest& req, ApiKeyScope required) {
    if (!config_.require_auth) return {"unauthenticated", false};
    std::string authorization = req.header_value("Authorization");
    if (auto token = bearer_token_of(authorization)) {
        auto identity = api_keys_.authenticate(*token);
        if (!identity) throw Error(ErrorCode::UNRECOGNIZED_CLIENT, "the API key is not valid");
        if (!api_key_scope_allows(identity->scope, required)) {
            throw Error(ErrorCode::ACCESS_DENIED, "this API key's scope (" +
                                                      std::string(api_key_scope_name(identity->scope)) +
                                                      ") does not allow this action");
        }
        bool admin = identity->scope == ApiKeyScope::ADMIN;
        return {identity->id, false, admin, admin || identity->allow_policy_overrides};
    }
    if (authorization.starts_with("AWS4-HMAC-SHA256")) {
        // an access key can do everything through the Rekognition API already: it is an admin here too
        return {verify_sigv4(request_view(req), access_keys_.lookup(), std::chrono::system_clock::now()).access_key_id,
                false, true, true};
    }
    if (auto token = cookie(req, kDemoCookie); token && !config_.demo_collection.empty() &&
                                               demo_sessions_.valid(*token)) {
        if (required != ApiKeyScope::FLOWS) {
            throw Error(ErrorCode::ACCESS_DENIED, "the demo session may only register and verify");
        }
        // rate limits and audit by address: new sessions must not reset the per-client limit
        return {"demo@" + req.remote_addr, true, false, false};
    }
    throw Error(ErrorCode::MISSING_AUTHENTICATION,
                "this action needs an API key (Authorization: Bearer ...) or a SigV4 signature");
}

Disclosure FlowRoutes::disclosure_for(const Caller& caller) {
    if (caller.demo) return Disclosure::PUBLIC;
    return caller.admin ? Disclosure::FULL : Disclosure::FLOW;
}

bool FlowRoutes::served_over_tls(const HttpRequest& req) const {
    return req.tls || (config_.trust_forwarded_proto && iequals(req.header_value("X-Forwarded-Proto"), "https"));
}

void FlowRoutes::require_collection_access(const Caller& caller, const std::string& collection_id) const {
    if (caller.demo && collection_id != config_.demo_collection) {
        throw Error(ErrorCode::ACCESS_DENIED, "the demo session may only use the collection " + config_.demo_collection);
    }
}

std::vector<std::string> FlowRoutes::operation_names() {
    return {"v1.register", "v1.verify", "v1.demo_session", "v1.policy",         "v1.collections",
            "v1.users",    "v1.user",   "v1.erase",        "v1.audit",          "v1.sessions",
            "v1.session",  "v1.session_cancel", "v1.session_capture", "v1.session_state", "jwks",
            "v1.sessions_list", "v1.webhooks", "v1.webhook", "v1.webhook_deliveries", "v1.webhook_replay"};
}

void FlowRoutes::add_action(Router& router, std::string method, std::string pattern, std::string operation,
                            ApiKeyScope scope, Lane lane, Action body) {
    size_t max_body = lane == Lane::ANALYSIS ? config_.max_image_body : config_.max_other_body;
    Route route;
    route.method = std::move(method);
    route.pattern = std::move(pattern);
    // bearer keys and the demo cookie are checked on the headers, before the body is read; SigV4
    // needs the body's hash, so its body limit applies first and the signature is checked after
    route.plan = [this, operation, scope, lane, max_body](const HttpRequest& req) {
        refuse_foreign_origin(req);
        if (!req.header_value("Authorization").starts_with(kSigV4Algorithm)) authenticate(req, scope);
        return RoutePlan{lane, max_body, operation};
    };
    route.handle = [this, operation, scope, body = std::move(body)](HttpRequest& req, HttpResponse& res) {
        res.operation = operation;
        Caller caller = authenticate(req, scope);
        res.client = caller.client;
        nlohmann::json out;
        try {
            out = body(req, caller);
        } catch (const Error& e) {
            // refusals of the actions that touch identities are audited too, briefly; rate-limit
            // refusals already were, by the flow
            bool audited_action = operation == "v1.register" || operation == "v1.verify" || operation == "v1.erase";
            if (audited_action && e.code() != ErrorCode::THROTTLED) {
                try {
                    flows_.record_refusal(operation.substr(3), caller.client, wire_error(e.code()).type, req.request_id);
                } catch (const std::exception& audit_failure) {
                    spdlog::warn("audit of a refused {} not written: {}", operation, audit_failure.what());
                }
            }
            throw;
        }
        res.status = 200;
        res.set_content(out.dump(), kJson);
        res.set_header("Cache-Control", "no-store");
    };
    route.render_error = render_flow_error;
    router.add(std::move(route));
}

void FlowRoutes::share_demo_sessions(Store& store) {
    demo_sessions_.share_through(store);
    shared_demo_sessions_ = true;
}

void FlowRoutes::install(Router& router) {
    add_action(router, "POST", "/v1/register", "v1.register", ApiKeyScope::FLOWS, Lane::ANALYSIS,
               [this](HttpRequest& req, const Caller& caller) {
        FlowForm form = FlowForm::parse(req,
                                        {"collectionId", "externalId", "document", "index", "minDocumentConfidence",
                                         "maxExistingSearchConfidence", "allowExpired"},
                                        {"document"});
        RegisterRequest request;
        request.collection_id = form.required("collectionId");
        require_collection_access(caller, request.collection_id);
        request.external_id = canonical_external_id(form.required("externalId"));
        const std::string& document = form.image("document");
        request.document = {reinterpret_cast<const uint8_t*>(document.data()), document.size()};
        if (auto index = form.optional("index")) {
            if (*index != "always" && *index != "accepted") {
                throw Error(ErrorCode::INVALID_PARAMETER, "index must be always or accepted");
            }
            request.index_always = *index == "always";
        }
        request.overrides.min_document_confidence = form.optional_number("minDocumentConfidence");
        request.overrides.max_existing_search_confidence = form.optional_number("maxExistingSearchConfidence");
        request.overrides.allow_expired = form.optional_bool("allowExpired");
        // index=always stores faces the policy did not accept: a policy decision too
        require_override_right(caller.may_override_policy,
                               {request.overrides.min_document_confidence.has_value(),
                                request.overrides.max_existing_search_confidence.has_value(),
                                request.overrides.allow_expired.has_value(), request.index_always});
        request.client = caller.client;
        request.request_id = req.request_id;
        RegisterResult result = flows_.register_document(request);
        return register_result_json(request, result, today(), disclosure_for(caller));
    });

    add_action(router, "POST", "/v1/verify", "v1.verify", ApiKeyScope::FLOWS, Lane::ANALYSIS,
               [this](HttpRequest& req, const Caller& caller) {
        FlowForm form = FlowForm::parse(req, {"collectionId", "externalId", "selfie", "minConfidence", "requireLiveness"},
                                        {"selfie"});
        VerifyRequest request;
        request.collection_id = form.required("collectionId");
        require_collection_access(caller, request.collection_id);
        request.external_id = canonical_external_id(form.required("externalId"));
        const std::string& selfie = form.image("selfie");
        request.selfie = {reinterpret_cast<const uint8_t*>(selfie.data()), selfie.size()};
        request.overrides.min_confidence = form.optional_number("minConfidence");
        request.overrides.require_liveness = form.optional_bool("requireLiveness");
        require_override_right(caller.may_override_policy, {request.overrides.min_confidence.has_value(),
                                                            request.overrides.require_liveness.has_value()});
        request.client = caller.client;
        request.request_id = req.request_id;
        try {
            VerifyResult result = flows_.verify_selfie(request);
            return verify_result_json(request, result, disclosure_for(caller));
        } catch (const Error& e) {
            // the public pages before anyone signed up: the same answer as an unknown identifier
            if (!caller.demo || e.code() != ErrorCode::RESOURCE_NOT_FOUND) throw;
            VerifyResult nobody;
            nobody.reasons = {"UNKNOWN_EXTERNAL_ID"};
            return verify_result_json(request, nobody, Disclosure::PUBLIC);
        }
    });

    // the demo pages' session: no credentials needed, allows only the demo collection's flows
    Route demo;
    demo.method = "POST";
    demo.pattern = "/v1/demo/session";
    demo.plan = [this](const HttpRequest& req) {
        refuse_foreign_origin(req);
        // shared sessions count their creations in the store: off the event loop
        return RoutePlan{shared_demo_sessions_ ? Lane::STORE : Lane::INLINE, config_.max_other_body, "v1.demo_session"};
    };
    demo.handle = [this](HttpRequest& req, HttpResponse& res) {
        res.operation = "v1.demo_session";
        if (config_.demo_collection.empty()) {
            throw Error(ErrorCode::RESOURCE_NOT_FOUND, "the demo is disabled on this server");
        }
        res.client = "demo@" + req.remote_addr;
        std::string token = demo_sessions_.create(req.remote_addr);
        // Secure whenever the page came over TLS (here or at a proxy that says so)
        res.set_header("Set-Cookie", std::string(kDemoCookie) + "=" + token +
                                         "; Path=/v1; HttpOnly; SameSite=Strict; Max-Age=" +
                                         std::to_string(demo_sessions_.lifetime().count()) +
                                         (served_over_tls(req) ? "; Secure" : ""));
        res.set_header("Cache-Control", "no-store");
        res.set_content(nlohmann::json{{"collectionId", config_.demo_collection},
                                       {"expiresIn", demo_sessions_.lifetime().count()}}
                            .dump(),
                        kJson);
    };
    demo.render_error = render_flow_error;
    router.add(std::move(demo));

    add_action(router, "GET", "/v1/policy", "v1.policy", ApiKeyScope::ADMIN, Lane::STORE,
               [this](HttpRequest&, const Caller&) {
                   nlohmann::json out = flow_policy_json(flows_.policy());
                   out["demoCollection"] = config_.demo_collection.empty() ? nlohmann::json(nullptr)
                                                                           : nlohmann::json(config_.demo_collection);
                   return out;
               });

    add_action(router, "GET", "/v1/collections", "v1.collections", ApiKeyScope::ADMIN, Lane::STORE,
               [this](HttpRequest&, const Caller&) { return flow_collections_json(flows_.list_collections()); });

    add_action(router, "GET", "/v1/collections/*/users", "v1.users", ApiKeyScope::ADMIN, Lane::STORE,
               [this](HttpRequest& req, const Caller&) {
                   return flow_users_json(flows_.list_users(req.matches[0], req.query_param("prefix").value_or(""),
                                                            query_limit(req, 100)));
               });

    // the external ID is everything after users/, percent-decoded: it may hold '/'
    add_action(router, "GET", "/v1/collections/*/users/**", "v1.user", ApiKeyScope::ADMIN, Lane::STORE,
               [this](HttpRequest& req, const Caller&) {
                   return external_id_faces_json(flows_.user_faces(req.matches[0], req.matches[1]));
               });

    add_action(router, "DELETE", "/v1/collections/*/users/**", "v1.erase", ApiKeyScope::ADMIN, Lane::STORE,
               [this](HttpRequest& req, const Caller& caller) {
                   return erasure_json(flows_.erase(req.matches[0], req.matches[1], caller.client, req.request_id));
               });

    add_action(router, "GET", "/v1/audit", "v1.audit", ApiKeyScope::ADMIN, Lane::STORE,
               [this](HttpRequest& req, const Caller&) {
        FlowAuditQuery q;
        q.collection_id = req.query_param("collectionId");
        q.external_id = req.query_param("externalId");
        q.action = req.query_param("action");
        q.decision = req.query_param("decision");
        q.next_token = req.query_param("nextToken").value_or("");
        q.limit = query_limit(req, 50);
        return flow_audit_json(flows_.audit(q));
    });
}

} // namespace facegate
