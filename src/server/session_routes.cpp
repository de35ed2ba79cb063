// SPDX-License-Identifier: MIT
// the verification sessions on the HTTP server (docs/sessions.md):
//   POST /v1/sessions, GET /v1/sessions/{id}, POST /v1/sessions/{id}/cancel   the owner (a flows or admin key)
//   GET|POST /v1/sessions/{id}/capture                                         the browser, with the client secret
//   GET /.well-known/jwks.json                                                 the result tokens' public keys
//   GET /s/{id}                                                                the hosted capture page
// The client secret is accepted on the capture routes only: anywhere else it is no credential (401).
#include "auth/signing_keys.h"
#include "common/error.h"
#include "server/flow_request.h"
#include "server/flow_routes.h"
#include "server/route_json.h"
#include "server/web_assets.h"
#include "server/web_routes.h"
#include "service/verification_sessions.h"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace facegate {

namespace {

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kSecretPrefix = "fgcs_";

// the client secret of `Authorization: Bearer fgcs_...`, or nullopt when there is no Authorization header.
// Error(UNRECOGNIZED_CLIENT) for any other credential: API keys, SigV4 and cookies grant nothing here
std::optional<std::string> bearer_secret(const HttpRequest& req) {
    auto authorization = req.header("Authorization");
    if (!authorization) return std::nullopt;
    auto token = bearer_token_of(*authorization);
    if (!token || !token->starts_with(kSecretPrefix) || token->size() > 128)
        throw Error(ErrorCode::UNRECOGNIZED_CLIENT, "the capture needs the session's client secret");
    return std::string(*token);
}

// the origin the request came to, for the hosted page's URL when no --public-url is set
std::string request_origin(const HttpRequest& req, bool tls) {
    std::string host = req.header_value("Host");
    const bool ok = !host.empty() && host.size() <= 255 && std::all_of(host.begin(), host.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
    });
    if (!ok) throw Error(ErrorCode::INVALID_PARAMETER, "the request's Host header does not name this server");
    return std::string(tls ? "https://" : "http://") + host;
}

std::optional<std::int64_t> optional_integer(const nlohmann::json& body, const char* name) {
    if (!body.contains(name)) return std::nullopt;
    const auto& v = body[name];
    if (!v.is_number_integer()) throw Error(ErrorCode::INVALID_PARAMETER, std::string(name) + " must be an integer");
    return v.get<std::int64_t>();
}

std::string required_string(const nlohmann::json& body, const char* name) {
    if (!body.contains(name) || !body[name].is_string() || body[name].get_ref<const std::string&>().empty())
        throw Error(ErrorCode::INVALID_PARAMETER, std::string(name) + " is required (a string)");
    return body[name].get<std::string>();
}

} // namespace

void FlowRoutes::install_sessions(Router& router, VerificationSessions& sessions, SigningKeys& signing_keys) {
    // ---- the owner: a flows (or admin) key, never the demo session ----
    add_action(router, "POST", "/v1/sessions", "v1.sessions", ApiKeyScope::FLOWS, Lane::STORE,
               [this, &sessions](HttpRequest& req, const Caller& caller) {
        if (caller.demo) throw Error(ErrorCode::ACCESS_DENIED, "the demo session may not create sessions");
        nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
        if (!body.is_object()) throw Error(ErrorCode::SERIALIZATION, "the body must be a JSON object");
        for (const auto& item : body.items()) {
            static const std::vector<std::string> kAllowed = {"action",    "collectionId", "externalId",
                                                               "returnUrl", "expiresIn",    "policy"};
            if (std::find(kAllowed.begin(), kAllowed.end(), item.key()) == kAllowed.end())
                throw Error(ErrorCode::INVALID_PARAMETER, "unknown field: " + item.key().substr(0, 64));
        }
        NewSessionRequest request;
        request.owner = caller.client;
        request.disclosure = disclosure_for(caller);
        request.may_override_policy = caller.may_override_policy;
        request.action = required_string(body, "action");
        request.collection_id = required_string(body, "collectionId");
        request.external_id = required_string(body, "externalId");
        if (body.contains("returnUrl") && !body["returnUrl"].is_null()) {
            if (!body["returnUrl"].is_string()) throw Error(ErrorCode::INVALID_PARAMETER, "returnUrl must be a string");
            request.return_url = body["returnUrl"].get<std::string>();
        }
        request.expires_in = optional_integer(body, "expiresIn");
        request.policy = body.value("policy", nlohmann::json());
        if (sessions.config().public_url.empty()) request.base_url = request_origin(req, served_over_tls(req));
        CreatedSession created = sessions.create(request);
        return nlohmann::json{{"sessionId", created.record.session_id},
                              {"clientSecret", created.client_secret},
                              {"url", created.url},
                              {"status", "created"},
                              {"expiresAt", iso_time(created.record.expires_ms)}};
    });

    add_action(router, "GET", "/v1/sessions", "v1.sessions_list", ApiKeyScope::FLOWS, Lane::STORE,
               [&sessions](HttpRequest& req, const Caller& caller) {
        if (caller.demo) throw Error(ErrorCode::ACCESS_DENIED, "the demo session may not list sessions");
        SessionListRequest request;
        request.owner = caller.client;
        request.admin = caller.admin;
        request.status = req.query_param("status").value_or("");
        request.action = req.query_param("action").value_or("");
        request.collection_id = req.query_param("collectionId").value_or("");
        request.next_token = req.query_param("nextToken").value_or("");
        request.limit = query_limit(req);
        return sessions.list(request);
    });
    add_action(router, "GET", "/v1/sessions/*", "v1.session", ApiKeyScope::FLOWS, Lane::STORE,
               [&sessions](HttpRequest& req, const Caller& caller) {
                   if (caller.demo) throw Error(ErrorCode::ACCESS_DENIED, "the demo session may not read sessions");
                   return sessions.describe(req.matches[0], caller.client);
               });

    add_action(router, "POST", "/v1/sessions/*/cancel", "v1.session_cancel", ApiKeyScope::FLOWS, Lane::STORE,
               [&sessions](HttpRequest& req, const Caller& caller) {
                   if (caller.demo) throw Error(ErrorCode::ACCESS_DENIED, "the demo session may not cancel sessions");
                   return sessions.cancel(req.matches[0], caller.client);
               });

    // ---- the browser: the client secret, on these two routes only ----
    Route state;
    state.method = "GET";
    state.pattern = "/v1/sessions/*/capture";
    state.plan = [](const HttpRequest& req) {
        if (!bearer_secret(req)) throw Error(ErrorCode::MISSING_AUTHENTICATION, "Authorization: Bearer <clientSecret> is needed");
        return RoutePlan{Lane::STORE, 0, "v1.session_state"};
    };
    state.handle = [&sessions](HttpRequest& req, HttpResponse& res) {
        res.operation = "v1.session_state";
        SessionRecord session = sessions.authenticate(req.matches[0], *bearer_secret(req));
        res.client = "session@" + session.owner;
        // the SDK's modal: the page says which application frames it, and posts its end to that origin only
        send_json(res, sessions.client_state(session, req.query_param("embedOrigin")));
    };
    state.render_error = render_error;
    router.add(std::move(state));

    Route capture;
    capture.method = "POST";
    capture.pattern = "/v1/sessions/*/capture";
    capture.plan = [this](const HttpRequest& req) {
        check_origin(req);
        // the secret is checked against the store on a worker; what can be refused from the headers is refused
        // here: another credential, or neither a secret header nor a form that could carry one
        if (!bearer_secret(req) && !req.header_value("Content-Type").starts_with("multipart/form-data"))
            throw Error(ErrorCode::MISSING_AUTHENTICATION, "the capture needs the session's client secret");
        return RoutePlan{Lane::ANALYSIS, config_.max_image_body, "v1.session_capture"};
    };
    capture.handle = [&sessions](HttpRequest& req, HttpResponse& res) {
        res.operation = "v1.session_capture";
        std::optional<std::string> secret = bearer_secret(req);
        FlowForm form = FlowForm::parse(req, {"clientSecret", "document", "selfie"}, {"document", "selfie"});
        if (auto field = form.optional("clientSecret")) {
            if (secret && *secret != *field) throw Error(ErrorCode::UNRECOGNIZED_CLIENT, "two different client secrets");
            secret = *field;
        }
        if (!secret) throw Error(ErrorCode::MISSING_AUTHENTICATION, "the capture needs the session's client secret");
        SessionRecord session = sessions.authenticate(req.matches[0], *secret);
        res.client = "session@" + session.owner;
        const char* field = session.action == "register" ? "document" : "selfie";
        const char* other = session.action == "register" ? "selfie" : "document";
        if (form.optional(other))
            throw Error(ErrorCode::INVALID_PARAMETER, std::string("this session's capture is a ") + field + ", not a " + other);
        const std::string& image = form.image(field);
        send_json(res, sessions.capture(session, {reinterpret_cast<const uint8_t*>(image.data()), image.size()},
                                        req.request_id));
    };
    capture.render_error = render_error;
    router.add(std::move(capture));

    // ---- the public keys of the result tokens ----
    Route jwks;
    jwks.method = "GET";
    jwks.pattern = "/.well-known/jwks.json";
    jwks.plan = [](const HttpRequest&) { return RoutePlan{Lane::STORE, 0, "jwks"}; };
    jwks.handle = [&signing_keys](HttpRequest&, HttpResponse& res) {
        res.operation = "jwks";
        res.set_content(signing_keys.jwks().dump(), kJson);
        // short: a rotated key must reach the verifiers well before the old key's tokens expire
        res.set_header("Cache-Control", "public, max-age=60");
    };
    jwks.render_error = render_error;
    router.add(std::move(jwks));

    // ---- the hosted page: the secret stays in the fragment, which no browser sends ----
    Route page;
    page.method = "GET";
    page.pattern = "/s/*";
    page.plan = [](const HttpRequest&) { return RoutePlan{Lane::INLINE, 4096, "web"}; };
    page.handle = [&sessions](HttpRequest&, HttpResponse& res) {
        res.operation = "web";
        const web::WebAsset* asset = web::find_web_asset("/session.html");
        if (!asset) {
            res.status = 404;
            res.set_content("not found\n", "text/plain; charset=utf-8");
            return;
        }
        // the applications that may receive results may also frame the page (the SDK's modal)
        res.set_header("Content-Security-Policy", page_security_policy(sessions.config().allowed_return_origins));
        res.set_header("X-Content-Type-Options", "nosniff");
        res.set_header("Referrer-Policy", "no-referrer");
        res.set_header("Cache-Control", "no-store");
        res.set_content(std::string(asset->bytes), asset->content_type);
    };
    router.add(std::move(page));
}

} // namespace facegate
