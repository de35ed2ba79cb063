// SPDX-License-Identifier: MIT
#include "server/rekognition_routes.h"

#include "auth/sigv4.h"
#include "common/error.h"
#include "protocol/error_mapping.h"
#include "protocol/rekognition_json.h"
#include "server/log_field.h"
#include "server/rekognition_api.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace facegate {

namespace {

constexpr std::string_view kTargetPrefix = "RekognitionService.";
constexpr std::string_view kJsonContentType = "application/x-amz-json-1.1";

// operations that change data: recorded in the audit table (ids only)
bool is_write(std::string_view op) {
    for (std::string_view w : {"CreateCollection", "DeleteCollection", "IndexFaces", "DeleteFaces", "CreateUser",
                               "DeleteUser", "AssociateFaces", "DisassociateFaces"}) {
        if (op == w) return true;
    }
    return false;
}

// the access key id of "AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request, ..."
std::optional<std::string_view> credential_key_id(std::string_view authorization) {
    auto at = authorization.find("Credential=");
    if (at == std::string_view::npos) return std::nullopt;
    std::string_view rest = authorization.substr(at + 11);
    auto slash = rest.find('/');
    if (slash == std::string_view::npos || slash == 0) return std::nullopt;
    return rest.substr(0, slash);
}

std::string operation_of(const HttpRequest& req) {
    std::string target = req.header_value("X-Amz-Target");
    if (!target.starts_with(kTargetPrefix)) {
        throw Error(ErrorCode::UNKNOWN_OPERATION, "X-Amz-Target must be RekognitionService.<Operation>");
    }
    std::string operation = target.substr(kTargetPrefix.size());
    if (!is_rekognition_operation(operation)) {
        // the name is the client's: never echoed whole, nor raw (a byte that is not UTF-8, or a
        // character cut at 64 bytes, would make the error body throw as JSON)
        throw Error(ErrorCode::UNKNOWN_OPERATION, "unknown operation " + log_field(operation, 64));
    }
    return operation;
}

} // namespace

void render_rekognition_error(const std::exception_ptr& error, HttpResponse& res) {
    try {
        std::rethrow_exception(error);
    } catch (const Error& e) {
        res.status = wire_error(e.code()).http_status;
        res.set_content(error_json(e).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), kJsonContentType);
    } catch (const std::exception& e) {
        spdlog::error("a Rekognition request failed: {}", e.what());
        res.status = 500;
        res.set_content(error_json(Error(ErrorCode::INTERNAL, "internal error")).dump(), kJsonContentType);
    }
}

RekognitionRoutes::RekognitionRoutes(RekognitionRoutesConfig config, FaceCollections& service, AccessKeyStore& keys)
    : config_(config), service_(service), keys_(keys) {}

std::vector<std::string> RekognitionRoutes::operation_names() {
    std::vector<std::string> names;
    for (auto name : rekognition_operations()) names.emplace_back(name);
    return names;
}

RoutePlan RekognitionRoutes::plan(const HttpRequest& req) {
    RoutePlan plan;
    plan.operation = operation_of(req);
    if (config_.require_auth) {
        // SigV4 covers the body, so only the key can be checked now: an unknown one reads nothing more
        std::string authorization = req.header_value("Authorization");
        if (authorization.empty()) {
            throw Error(ErrorCode::MISSING_AUTHENTICATION, "the request carries no Authorization header");
        }
        auto key_id = credential_key_id(authorization);
        if (!authorization.starts_with(kSigV4Algorithm) || !key_id) {
            throw Error(ErrorCode::INVALID_SIGNATURE, "the Authorization header is not an AWS4-HMAC-SHA256 signature");
        }
        if (!keys_.lookup()(*key_id)) {
            throw Error(ErrorCode::UNRECOGNIZED_CLIENT, "the security token included in the request is invalid");
        }
    }
    bool image = rekognition_operation_analyses_image(plan.operation);
    plan.lane = image ? Lane::ANALYSIS : Lane::STORE;
    plan.max_body = image ? config_.max_image_body : config_.max_other_body;
    return plan;
}

void RekognitionRoutes::handle(HttpRequest& req, HttpResponse& res) {
    std::string operation = operation_of(req);
    res.operation = operation;
    std::string collection;
    try {
        if (config_.require_auth) {
            res.client = verify_sigv4(request_view(req), keys_.lookup(), std::chrono::system_clock::now()).access_key_id;
        }
        nlohmann::json body;
        try {
            body = nlohmann::json::parse(req.body.empty() ? std::string("{}") : req.body);
        } catch (const nlohmann::json::exception&) {
            throw Error(ErrorCode::SERIALIZATION, "the request body is not valid JSON");
        }
        if (!body.is_object()) throw Error(ErrorCode::SERIALIZATION, "the request body must be a JSON object");
        if (auto it = body.find("CollectionId"); it != body.end() && it->is_string()) collection = *it;
        nlohmann::json response = handle_rekognition_operation(service_, operation, body);
        res.status = 200;
        res.set_content(response.dump(), kJsonContentType);
    } catch (...) {
        render_rekognition_error(std::current_exception(), res);
    }
    if (is_write(operation) && res.client != "-" && !res.client.empty()) {
        try {
            AuditEvent event;
            event.operation = operation;
            event.collection_id = collection;
            event.outcome = res.status == 200 ? "OK" : std::to_string(res.status);
            event.caller_key_id = res.client;
            event.request_id = req.request_id;
            service_.store().append_audit(event);
        } catch (const std::exception& e) {
            spdlog::warn("audit record for {} not written: {}", operation, e.what());
        }
    }
}

void RekognitionRoutes::install(Router& router) {
    Route route;
    route.method = "POST";
    route.pattern = "/";
    route.plan = [this](const HttpRequest& req) { return plan(req); };
    route.handle = [this](HttpRequest& req, HttpResponse& res) { handle(req, res); };
    route.render_error = render_rekognition_error;
    router.add(std::move(route));
}

} // namespace facegate
