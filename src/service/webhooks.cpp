// SPDX-License-Identifier: MIT
#include "service/webhooks.h"

#include "common/bytes.h"
#include "common/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace facegate {

namespace {

constexpr std::string_view kDocument = "webhooks";

// `bytes` random bytes as hex: the ids and secrets
std::string random_hex(std::size_t bytes) { return hex_of(random_bytes(bytes)); }

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool printable(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) { return c > ' ' && c < 127; });
}

nlohmann::json to_json(const WebhookEndpoint& w) {
    return {{"webhookId", w.webhook_id}, {"owner", w.owner},   {"url", w.url},
            {"collectionId", w.collection_id}, {"keyId", w.key_id}, {"description", w.description},
            {"secret", w.secret},        {"createdMs", w.created_ms}};
}

WebhookEndpoint from_json(const nlohmann::json& j) {
    WebhookEndpoint w;
    w.webhook_id = j.at("webhookId").get<std::string>();
    w.owner = j.at("owner").get<std::string>();
    w.url = j.at("url").get<std::string>();
    w.collection_id = j.value("collectionId", "");
    w.key_id = j.value("keyId", "");
    w.description = j.value("description", "");
    w.secret = j.at("secret").get<std::string>();
    w.created_ms = j.value("createdMs", std::int64_t{0});
    return w;
}

std::vector<WebhookEndpoint> parse_document(const std::optional<std::string>& text) {
    std::vector<WebhookEndpoint> out;
    if (!text) return out;
    const nlohmann::json doc = nlohmann::json::parse(*text, nullptr, false);
    if (!doc.is_object() || !doc.contains("webhooks") || !doc["webhooks"].is_array())
        throw Error(ErrorCode::INTERNAL, "store: the webhooks document is damaged");
    try {
        for (const auto& item : doc["webhooks"]) out.push_back(from_json(item));
    } catch (const nlohmann::json::exception&) {
        throw Error(ErrorCode::INTERNAL, "store: the webhooks document is damaged");
    }
    return out;
}

std::string render_document(const std::vector<WebhookEndpoint>& webhooks) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& w : webhooks) list.push_back(to_json(w));
    return nlohmann::json{{"webhooks", list}}.dump();
}

bool valid_id(std::string_view id) {
    return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
    });
}

} // namespace

std::optional<WebhookUrl> parse_webhook_url(std::string_view url) {
    if (url.empty() || url.size() > kMaxWebhookUrlBytes || !printable(url)) return std::nullopt;
    WebhookUrl out;
    std::string_view rest;
    if (lower(url.substr(0, 8)) == "https://") {
        out.tls = true;
        rest = url.substr(8);
    } else if (lower(url.substr(0, 7)) == "http://") {
        rest = url.substr(7);
    } else {
        return std::nullopt;
    }
    if (rest.find('#') != std::string_view::npos) return std::nullopt;
    const std::size_t path_at = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, path_at);
    out.target = path_at == std::string_view::npos ? "/" : std::string(rest.substr(path_at));
    if (out.target.front() == '?') out.target.insert(out.target.begin(), '/');
    if (authority.empty() || authority.find('@') != std::string_view::npos || authority.find('\\') != std::string_view::npos)
        return std::nullopt;
    std::string_view host = authority, port;
    if (authority.front() == '[') {
        const std::size_t close = authority.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        host = authority.substr(1, close - 1);
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return std::nullopt;
            port = after.substr(1);
        }
    } else if (const std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
    }
    if (host.empty() || host.size() > 253) return std::nullopt;
    out.host = lower(host);
    out.port = out.tls ? 443 : 80;
    if (!port.empty()) {
        unsigned value = 0;
        auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) return std::nullopt;
        out.port = static_cast<std::uint16_t>(value);
    }
    return out;
}

Webhooks::Webhooks(Store& store, WebhooksConfig config, Clock clock)
    : store_(store), config_(std::move(config)), clock_(std::move(clock)) {
    if (!clock_) {
        clock_ = [] {
            return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                .count();
        };
    }
    for (std::string& host : config_.allowed_hosts) host = lower(host);
}

bool Webhooks::target_allowed(const WebhookUrl& url) const {
    const std::string host_port = url.host + ":" + std::to_string(url.port);
    const std::string bracketed = "[" + url.host + "]:" + std::to_string(url.port);
    for (const std::string& allowed : config_.allowed_hosts) {
        if (allowed == url.host || allowed == host_port || allowed == "[" + url.host + "]" || allowed == bracketed)
            return true;
    }
    return false;
}

std::vector<WebhookEndpoint> Webhooks::load() {
    std::optional<StoredDocument> doc = store_.read_document(kDocument);
    return parse_document(doc ? std::optional<std::string>(doc->text) : std::nullopt);
}

bool Webhooks::may_see(const WebhookEndpoint& webhook, const std::string& owner, bool admin) const {
    return admin || webhook.owner == owner;
}

WebhookEndpoint Webhooks::create(const NewWebhook& request) {
    std::optional<WebhookUrl> url = parse_webhook_url(request.url);
    if (!url) throw Error(ErrorCode::INVALID_PARAMETER, "url must be an absolute http(s) URL without credentials or fragment");
    if (!target_allowed(*url))
        throw Error(ErrorCode::INVALID_PARAMETER, "url's host is not one this server may call (--webhook-allow)");
    if (!request.collection_id.empty()) validate_collection_id(request.collection_id);
    if (request.description.size() > kMaxWebhookDescriptionBytes)
        throw Error(ErrorCode::INVALID_PARAMETER, "description is longer than 256 bytes");
    std::string key_id = request.key_id;
    if (!request.admin) {
        if (!key_id.empty() && key_id != request.owner)
            throw Error(ErrorCode::ACCESS_DENIED, "this key may only receive the sessions it creates");
        key_id = request.owner;
    }
    if (!key_id.empty() && (key_id.size() > 128 || !printable(key_id)))
        throw Error(ErrorCode::INVALID_PARAMETER, "keyId must be a key id");

    WebhookEndpoint w;
    w.webhook_id = "fgw_" + random_hex(12);
    w.owner = request.owner;
    w.url = request.url;
    w.collection_id = request.collection_id;
    w.key_id = key_id;
    w.description = request.description;
    w.secret = "whsec_" + random_hex(24);
    w.created_ms = clock_();
    store_.update_document(kDocument, [&](const std::optional<std::string>& text) {
        std::vector<WebhookEndpoint> all = parse_document(text);
        if (all.size() >= kMaxWebhooks)
            throw Error(ErrorCode::SERVICE_QUOTA_EXCEEDED, "at most 100 webhooks: delete one first");
        all.push_back(w);
        return render_document(all);
    });
    return w;
}

std::vector<WebhookEndpoint> Webhooks::list(const std::string& owner, bool admin) {
    std::vector<WebhookEndpoint> out;
    for (WebhookEndpoint& w : load())
        if (may_see(w, owner, admin)) out.push_back(std::move(w));
    return out;
}

std::optional<WebhookEndpoint> Webhooks::find(const std::string& webhook_id) {
    for (WebhookEndpoint& w : load())
        if (w.webhook_id == webhook_id) return std::move(w);
    return std::nullopt;
}

void Webhooks::remove(const std::string& webhook_id, const std::string& owner, bool admin) {
    bool removed = false;
    store_.update_document(kDocument, [&](const std::optional<std::string>& text) {
        std::vector<WebhookEndpoint> all = parse_document(text);
        auto it = std::find_if(all.begin(), all.end(), [&](const WebhookEndpoint& w) {
            return w.webhook_id == webhook_id && may_see(w, owner, admin);
        });
        if (it == all.end()) throw Error(ErrorCode::RESOURCE_NOT_FOUND, "no such webhook");
        all.erase(it);
        removed = true;
        return render_document(all);
    });
    if (!removed) throw Error(ErrorCode::RESOURCE_NOT_FOUND, "no such webhook");
}

std::vector<DeliveryRecord> Webhooks::deliveries_for(const SessionRecord& session, const std::string& type,
                                                     const std::string& data_json) {
    std::vector<DeliveryRecord> out;
    std::vector<WebhookEndpoint> matching;
    for (WebhookEndpoint& w : load()) {
        if (!w.collection_id.empty() && w.collection_id != session.collection_id) continue;
        if (!w.key_id.empty() && w.key_id != session.owner) continue;
        matching.push_back(std::move(w));
    }
    if (matching.empty()) return out;
    const std::int64_t now = clock_();
    const std::string event_id = "evt_" + random_hex(16);
    // one body for every webhook: the event, whoever receives it
    nlohmann::json event{{"id", event_id}, {"type", type}, {"created", now / 1000},
                         {"data", nlohmann::json::parse(data_json, nullptr, false)}};
    const std::string body = event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    for (const WebhookEndpoint& w : matching) {
        DeliveryRecord d;
        d.delivery_id = "fgd_" + random_hex(16);
        d.webhook_id = w.webhook_id;
        d.event_id = event_id;
        d.event_type = type;
        d.session_id = session.session_id;
        d.body = body;
        d.created_ms = now;
        d.updated_ms = now;
        d.next_attempt_ms = now;
        d.give_up_ms = now + config_.retry_for.count();
        out.push_back(std::move(d));
    }
    return out;
}

std::vector<DeliveryRecord> Webhooks::list_deliveries(const std::string& owner, bool admin, const std::string& webhook_id,
                                                      std::optional<DeliveryStatus> status, std::size_t limit) {
    DeliveryQuery query;
    query.status = status;
    query.limit = limit;
    if (!webhook_id.empty()) {
        if (!valid_id(webhook_id)) throw Error(ErrorCode::INVALID_PARAMETER, "webhookId is not a webhook id");
        std::optional<WebhookEndpoint> w = find(webhook_id);
        // a deleted webhook's deliveries stay visible to admins (the console's history)
        if (w ? !may_see(*w, owner, admin) : !admin) throw Error(ErrorCode::RESOURCE_NOT_FOUND, "no such webhook");
        query.webhook_ids = {webhook_id};
    } else if (!admin) {
        for (const WebhookEndpoint& w : list(owner, false)) query.webhook_ids.push_back(w.webhook_id);
        if (query.webhook_ids.empty()) return {};
    }
    return store_.list_deliveries(query);
}

DeliveryRecord Webhooks::replay(const std::string& delivery_id, const std::string& owner, bool admin) {
    if (!valid_id(delivery_id)) throw Error(ErrorCode::RESOURCE_NOT_FOUND, "no such delivery");
    std::optional<DeliveryRecord> d = store_.get_delivery(delivery_id);
    if (!d) throw Error(ErrorCode::RESOURCE_NOT_FOUND, "no such delivery");
    std::optional<WebhookEndpoint> w = find(d->webhook_id);
    if (!w || !may_see(*w, owner, admin))
        throw Error(w || !admin ? ErrorCode::RESOURCE_NOT_FOUND : ErrorCode::CONFLICT,
                    w || !admin ? "no such delivery" : "the delivery's webhook was deleted");
    const std::int64_t now = clock_();
    d->status = DeliveryStatus::PENDING;
    d->next_attempt_ms = now;
    d->give_up_ms = now + config_.retry_for.count();
    d->updated_ms = now;
    if (!store_.record_delivery(*d)) throw Error(ErrorCode::RESOURCE_NOT_FOUND, "no such delivery");
    return *d;
}

DeliveryRecord Webhooks::after_failure(DeliveryRecord d, int status_code, std::string error) const {
    const std::int64_t now = clock_();
    d.updated_ms = now;
    d.last_status_code = status_code;
    if (error.size() > kMaxDeliveryErrorBytes) error.resize(kMaxDeliveryErrorBytes);
    d.last_error = std::move(error);
    // first_retry, doubled for every earlier failure, at most max_retry_interval
    std::int64_t wait = config_.first_retry.count();
    for (std::uint32_t i = 1; i < d.attempts && wait < config_.max_retry_interval.count(); ++i) wait *= 2;
    wait = std::min<std::int64_t>(wait, config_.max_retry_interval.count());
    if (now + wait > d.give_up_ms) {
        d.status = DeliveryStatus::FAILED;
    } else {
        d.status = DeliveryStatus::PENDING;
        d.next_attempt_ms = now + wait;
    }
    return d;
}

} // namespace facegate
