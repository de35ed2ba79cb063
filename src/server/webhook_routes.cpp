// SPDX-License-Identifier: MIT
// the webhooks on the HTTP server (docs/sessions.md, "Webhooks"), for a flows or admin key:
//   POST /v1/webhooks, GET /v1/webhooks, DELETE /v1/webhooks/{id}
//   GET /v1/webhook-deliveries?webhookId=&status=&limit=, POST /v1/webhook-deliveries/{id}/replay
// An admin key sees and manages every webhook; another key only its own, which receive only its sessions.
#include "common/error.h"
#include "protocol/flow_json.h"
#include "server/flow_routes.h"
#include "server/route_json.h"
#include "service/webhooks.h"

#include <nlohmann/json.hpp>

namespace facegate {

namespace {

nlohmann::json or_null(const std::string& text) { return text.empty() ? nlohmann::json(nullptr) : nlohmann::json(text); }

nlohmann::json webhook_json(const WebhookEndpoint& w) {
    return {{"webhookId", w.webhook_id},       {"url", w.url},        {"collectionId", or_null(w.collection_id)},
            {"keyId", or_null(w.key_id)},       {"owner", w.owner},    {"description", w.description},
            {"createdAt", iso_time(w.created_ms)}};
}

nlohmann::json delivery_json(const DeliveryRecord& d) {
    nlohmann::json out{{"deliveryId", d.delivery_id},
                       {"webhookId", d.webhook_id},
                       {"eventId", d.event_id},
                       {"type", d.event_type},
                       {"sessionId", or_null(d.session_id)},
                       {"status", delivery_status_name(d.status)},
                       {"attempts", d.attempts},
                       {"createdAt", iso_time(d.created_ms)},
                       {"updatedAt", iso_time(d.updated_ms)}};
    if (d.last_status_code != 0) out["lastStatusCode"] = d.last_status_code;
    if (!d.last_error.empty()) out["lastError"] = d.last_error;
    if (d.status == DeliveryStatus::PENDING) out["nextAttemptAt"] = iso_time(d.next_attempt_ms);
    if (d.status == DeliveryStatus::DELIVERED) out["deliveredAt"] = iso_time(d.delivered_ms);
    return out;
}

std::string optional_text(const nlohmann::json& body, const char* name) {
    if (!body.contains(name) || body[name].is_null()) return "";
    if (!body[name].is_string()) throw Error(ErrorCode::INVALID_PARAMETER, std::string(name) + " must be a string");
    return body[name].get<std::string>();
}

} // namespace

void FlowRoutes::install_webhooks(Router& router, Webhooks& webhooks, std::function<void()> on_event) {
    on_webhook_event_ = std::move(on_event);
    add_action(router, "POST", "/v1/webhooks", "v1.webhooks", ApiKeyScope::FLOWS, Lane::STORE,
               [&webhooks](HttpRequest& req, const Caller& caller) {
        if (caller.demo) throw Error(ErrorCode::ACCESS_DENIED, "the demo session may not manage webhooks");
        const nlohmann::json body = json_object_body(req, {"url", "collectionId", "keyId", "description"});
        NewWebhook request;
        request.owner = caller.client;
        request.admin = caller.admin;
        request.url = optional_text(body, "url");
        if (request.url.empty()) throw Error(ErrorCode::INVALID_PARAMETER, "url is required (a string)");
        request.collection_id = optional_text(body, "collectionId");
        request.key_id = optional_text(body, "keyId");
        request.description = optional_text(body, "description");
        const WebhookEndpoint created = webhooks.create(request);
        nlohmann::json out = webhook_json(created);
        out["secret"] = created.secret; // shown once: the application keeps it to check the signatures
        return out;
    });
    add_action(router, "GET", "/v1/webhooks", "v1.webhooks", ApiKeyScope::FLOWS, Lane::STORE,
               [&webhooks](HttpRequest&, const Caller& caller) {
        if (caller.demo) throw Error(ErrorCode::ACCESS_DENIED, "the demo session may not manage webhooks");
        nlohmann::json list = nlohmann::json::array();
        for (const WebhookEndpoint& w : webhooks.list(caller.client, caller.admin)) list.push_back(webhook_json(w));
        return nlohmann::json{{"webhooks", list}};
    });
    add_action(router, "DELETE", "/v1/webhooks/*", "v1.webhook", ApiKeyScope::FLOWS, Lane::STORE,
               [&webhooks](HttpRequest& req, const Caller& caller) {
        if (caller.demo) throw Error(ErrorCode::ACCESS_DENIED, "the demo session may not manage webhooks");
        webhooks.remove(req.matches[0], caller.client, caller.admin);
        return nlohmann::json{{"webhookId", req.matches[0]}, {"deleted", true}};
    });
    add_action(router, "GET", "/v1/webhook-deliveries", "v1.webhook_deliveries", ApiKeyScope::FLOWS, Lane::STORE,
               [&webhooks](HttpRequest& req, const Caller& caller) {
        if (caller.demo) throw Error(ErrorCode::ACCESS_DENIED, "the demo session may not manage webhooks");
        std::optional<DeliveryStatus> status;
        if (auto name = req.query_param("status")) {
            if (*name != "pending" && *name != "delivered" && *name != "failed")
                throw Error(ErrorCode::INVALID_PARAMETER, "status must be pending, delivered or failed");
            status = parse_delivery_status(*name);
        }
        nlohmann::json list = nlohmann::json::array();
        for (const DeliveryRecord& d : webhooks.list_deliveries(caller.client, caller.admin,
                                                                req.query_param("webhookId").value_or(""), status,
                                                                query_limit(req)))
            list.push_back(delivery_json(d));
        return nlohmann::json{{"deliveries", list}};
    });
    add_action(router, "POST", "/v1/webhook-deliveries/*/replay", "v1.webhook_replay", ApiKeyScope::FLOWS, Lane::STORE,
               [this, &webhooks](HttpRequest& req, const Caller& caller) {
        if (caller.demo) throw Error(ErrorCode::ACCESS_DENIED, "the demo session may not manage webhooks");
        const DeliveryRecord replayed = webhooks.replay(req.matches[0], caller.client, caller.admin);
        if (on_webhook_event_) on_webhook_event_();
        return delivery_json(replayed);
    });
}

} // namespace facegate
