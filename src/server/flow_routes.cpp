// SPDX-License-Identifier: MIT
#include "server/flow_routes.h"

#include "common/error.h"
#include "protocol/error_mapping.h"
#include "protocol/flow_json.h"
#include "protocol/rekognition_json.h"
#include "server/flow_request.h"
#include "server/request_view.h"

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <charconv>
#include <chrono>

namespace facegate {

namespace {

constexpr const char* kJson = "application/json";
constexpr std::string_view kDemoCookie = "facegate_demo";

void send_flow_error(httplib::Response& res, const Error& error) {
    res.status = flow_wire_error(error.code()).http_status;
    res.set_content(error_json(error).dump(), kJson);
    if (const auto* limited = dynamic_cast<const RateLimitExceeded*>(&error)) {
        res.set_header("Retry-After", std::to_string(std::max(1, limited->retry_after_seconds())));
    }
}

// the value of one cookie of the Cookie header, if present
std::optional<std::string> cookie(const httplib::Request& req, std::string_view name) {
    std::string header = req.get_header_value("Cookie");
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

std::optional<std::string> query(const httplib::Request& req, const char* name) {
    if (!req.has_param(name)) return std::nullopt;
    std::string value = req.get_param_value(name);
    if (value.empty()) return std::nullopt;
    return value;
}

size_t query_limit(const httplib::Request& req, size_t fallback) {
    auto value = query(req, "limit");
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

FlowRoutes::FlowRoutes(FlowRoutesConfig config, IdentityFlows& flows, ApiKeyStore& api_keys,
                       AccessKeyStore& access_keys)
    : config_(std::move(config)), flows_(flows), api_keys_(api_keys), access_keys_(access_keys) {}

FlowRoutes::Caller FlowRoutes::authenticate(const httplib::Request& req, ApiKeyScope required) {
    if (!config_.require_auth) return {"unauthenticated", false};
    std::string authorization = req.get_header_value("Authorization");
    if (auto token = bearer_token_of(authorization)) {
        auto identity = api_keys_.authenticate(*token);
        if (!identity) throw Error(ErrorCode::UNRECOGNIZED_CLIENT, "the API key is not valid");
        if (!api_key_scope_allows(identity->scope, required)) {
            throw Error(ErrorCode::ACCESS_DENIED, "this API key's scope (" +
                                                      std::string(api_key_scope_name(identity->scope)) +
                                                      ") does not allow this action");
        }
        return {identity->id, false};
    }
    if (authorization.starts_with("AWS4-HMAC-SHA256")) {
        // an access key can do everything through the Rekognition API already: it is an admin here too
        return {verify_sigv4(request_view(req), access_keys_.lookup(), std::chrono::system_clock::now()).access_key_id,
                false};
    }
    if (auto token = cookie(req, kDemoCookie); token && !config_.demo_collection.empty() &&
                                               demo_sessions_.valid(*token)) {
        if (required != ApiKeyScope::FLOWS) {
            throw Error(ErrorCode::ACCESS_DENIED, "the demo session may only register and verify");
        }
        // rate limits and audit by address: new sessions must not reset the per-client limit
        return {"demo@" + req.remote_addr, true};
    }
    throw Error(ErrorCode::MISSING_AUTHENTICATION,
                "this action needs an API key (Authorization: Bearer ...) or a SigV4 signature");
}

void FlowRoutes::require_collection_access(const Caller& caller, const std::string& collection_id) const {
    if (caller.demo && collection_id != config_.demo_collection) {
        throw Error(ErrorCode::ACCESS_DENIED, "the demo session may only use the collection " + config_.demo_collection);
    }
}

void FlowRoutes::install(httplib::Server& server, Metrics& metrics) {
    metrics_ = &metrics;
    // every action: authenticate, run, answer JSON or a Rekognition-style error; one log line, metrics
    auto action = [this](std::string operation, ApiKeyScope scope, auto body) {
        return [this, operation, scope, body](const httplib::Request& req, httplib::Response& res) {
            auto start = std::chrono::steady_clock::now();
            std::string client = "-";
            try {
                Caller caller = authenticate(req, scope);
                client = caller.client;
                nlohmann::json out = body(req, res, caller);
                res.status = 200;
                res.set_content(out.dump(), kJson);
            } catch (const Error& e) {
                send_flow_error(res, e);
            } catch (const std::exception& e) {
                spdlog::error("{} failed: {}", operation, e.what());
                send_flow_error(res, Error(ErrorCode::INTERNAL, "internal error"));
            }
            res.set_header("Cache-Control", "no-store");
            double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            metrics_->observe(operation, res.status, seconds);
            // never bodies, images, external IDs (paths hold them) or scores in the log: the audit table
            // has what is needed
            spdlog::info("{} {} {} {:.1f}ms client={}", req.method, operation, res.status, seconds * 1000, client);
        };
    };

    server.Post("/v1/register", action("v1.register", ApiKeyScope::FLOWS, [this](const httplib::Request& req,
                                                                                httplib::Response&, const Caller& caller) {
        FlowForm form = FlowForm::parse(req,
                                        {"collectionId", "externalId", "document", "index", "minDocumentConfidence",
                                         "maxExistingSearchConfidence", "allowExpired"},
                                        {"document"});
        RegisterRequest request;
        request.collection_id = form.required("collectionId");
        require_collection_access(caller, request.collection_id);
        request.external_id = form.required("externalId");
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
        request.client = caller.client;
        RegisterResult result = flows_.register_document(request);
        return register_result_json(request, result, today());
    }));

    server.Post("/v1/verify", action("v1.verify", ApiKeyScope::FLOWS, [this](const httplib::Request& req,
                                                                            httplib::Response&, const Caller& caller) {
        FlowForm form = FlowForm::parse(req, {"collectionId", "externalId", "selfie", "minConfidence", "requireLiveness"},
                                        {"selfie"});
        VerifyRequest request;
        request.collection_id = form.required("collectionId");
        require_collection_access(caller, request.collection_id);
        request.external_id = form.required("externalId");
        const std::string& selfie = form.image("selfie");
        request.selfie = {reinterpret_cast<const uint8_t*>(selfie.data()), selfie.size()};
        request.overrides.min_confidence = form.optional_number("minConfidence");
        request.overrides.require_liveness = form.optional_bool("requireLiveness");
        request.client = caller.client;
        VerifyResult result = flows_.verify_selfie(request);
        return verify_result_json(request, result);
    }));

    // the demo pages' session: no credentials needed, allows only the demo collection's flows
    server.Post("/v1/demo/session", [this](const httplib::Request&, httplib::Response& res) {
        if (config_.demo_collection.empty()) {
            send_flow_error(res, Error(ErrorCode::RESOURCE_NOT_FOUND, "the demo is disabled on this server"));
            return;
        }
        std::string token = demo_sessions_.create();
        res.set_header("Set-Cookie", std::string(kDemoCookie) + "=" + token +
                                         "; Path=/v1; HttpOnly; SameSite=Strict; Max-Age=" +
                                         std::to_string(demo_sessions_.lifetime().count()));
        res.set_header("Cache-Control", "no-store");
        res.set_content(nlohmann::json{{"collectionId", config_.demo_collection},
                                       {"expiresIn", demo_sessions_.lifetime().count()}}
                            .dump(),
                        kJson);
    });

    server.Get("/v1/policy", action("v1.policy", ApiKeyScope::ADMIN,
                                     [this](const httplib::Request&, httplib::Response&, const Caller&) {
                                         nlohmann::json out = flow_policy_json(flows_.policy());
                                         out["demoCollection"] = config_.demo_collection.empty()
                                                                     ? nlohmann::json(nullptr)
                                                                     : nlohmann::json(config_.demo_collection);
                                         return out;
                                     }));

    server.Get("/v1/collections", action("v1.collections", ApiKeyScope::ADMIN,
                                         [this](const httplib::Request&, httplib::Response&, const Caller&) {
                                             return flow_collections_json(flows_.list_collections());
                                         }));

    server.Get(R"(/v1/collections/([^/]+)/users)",
               action("v1.users", ApiKeyScope::ADMIN, [this](const httplib::Request& req, httplib::Response&, const Caller&) {
                   return flow_users_json(
                       flows_.list_users(req.matches[1], query(req, "prefix").value_or(""), query_limit(req, 100)));
               }));

    // the external ID is everything after users/, percent-decoded by httplib: it may hold '/'
    server.Get(R"(/v1/collections/([^/]+)/users/(.+))",
               action("v1.user", ApiKeyScope::ADMIN, [this](const httplib::Request& req, httplib::Response&, const Caller&) {
                   return external_id_faces_json(flows_.user_faces(req.matches[1], req.matches[2]));
               }));

    server.Delete(R"(/v1/collections/([^/]+)/users/(.+))",
                  action("v1.erase", ApiKeyScope::ADMIN,
                         [this](const httplib::Request& req, httplib::Response&, const Caller& caller) {
                             return erasure_json(flows_.erase(req.matches[1], req.matches[2], caller.client));
                         }));

    server.Get("/v1/audit", action("v1.audit", ApiKeyScope::ADMIN, [this](const httplib::Request& req,
                                                                         httplib::Response&, const Caller&) {
        FlowAuditQuery q;
        q.collection_id = query(req, "collectionId");
        q.external_id = query(req, "externalId");
        q.action = query(req, "action");
        q.decision = query(req, "decision");
        q.next_token = query(req, "nextToken").value_or("");
        q.limit = query_limit(req, 50);
        return flow_audit_json(flows_.audit(q));
    }));
}

} // namespace facegate
