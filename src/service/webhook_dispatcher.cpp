// SPDX-License-Identifier: MIT
#include "service/webhook_dispatcher.h"

#include "common/bytes.h"
#include "common/error.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <spdlog/spdlog.h>

namespace facegate {

namespace {

constexpr std::size_t kClaimBatch = 8;
// the deliveries of one claim are POSTed one after the other: the lease outlasts them all, and the store's
// writes around them
constexpr std::chrono::milliseconds kLeaseMargin{5'000};

} // namespace

std::string webhook_signature(const std::string& secret, std::int64_t unix_seconds, const std::string& body) {
    const std::string t = std::to_string(unix_seconds);
    const std::string signed_text = t + "." + body;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (!HMAC(EVP_sha256(), secret.data(), int(secret.size()), reinterpret_cast<const unsigned char*>(signed_text.data()),
              signed_text.size(), mac, &length))
        throw Error(ErrorCode::INTERNAL, "HMAC failed");
    return "t=" + t + ",v1=" + hex_of(std::string_view(reinterpret_cast<const char*>(mac), length));
}

WebhookDispatcher::WebhookDispatcher(Store& store, Webhooks& webhooks, WebhookTransport& transport)
    : store_(store), webhooks_(webhooks), transport_(transport) {}

WebhookDispatcher::~WebhookDispatcher() { stop(); }

void WebhookDispatcher::start() {
    thread_ = std::thread([this] {
        std::unique_lock lock(mutex_);
        while (!stopping_) {
            lock.unlock();
            try {
                // a full batch: more may be due at once
                while (run_once() == kClaimBatch) {
                    std::lock_guard check(mutex_);
                    if (stopping_) break;
                }
            } catch (const std::exception& e) {
                spdlog::warn("webhooks: {}", e.what()); // the store is down: the next poll tries again
            }
            lock.lock();
            wake_.wait_for(lock, webhooks_.config().poll, [this] { return stopping_ || woken_; });
            woken_ = false;
        }
    });
}

void WebhookDispatcher::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void WebhookDispatcher::wake() {
    {
        std::lock_guard lock(mutex_);
        woken_ = true;
    }
    wake_.notify_all();
}

std::size_t WebhookDispatcher::run_once() {
    const auto lease = webhooks_.config().timeout * static_cast<int>(kClaimBatch) + kLeaseMargin;
    std::vector<DeliveryRecord> due = store_.claim_deliveries(webhooks_.now(), lease.count(), kClaimBatch);
    for (DeliveryRecord& delivery : due) deliver(std::move(delivery));
    return due.size();
}

void WebhookDispatcher::deliver(DeliveryRecord delivery) {
    delivery.attempts += 1;
    auto fail = [&](int status, std::string error) {
        DeliveryRecord next = webhooks_.after_failure(std::move(delivery), status, std::move(error));
        store_.record_delivery(next);
        if (next.status == DeliveryStatus::FAILED)
            spdlog::warn("webhooks: delivery {} of webhook {} failed for good after {} tries", next.delivery_id,
                         next.webhook_id, next.attempts);
    };
    std::optional<WebhookEndpoint> webhook = webhooks_.find(delivery.webhook_id);
    if (!webhook) return fail(0, "the webhook was deleted");
    std::optional<WebhookUrl> url = parse_webhook_url(webhook->url);
    // the allow-list of this node, now: a host removed from it since the registration is never called
    if (!url || !webhooks_.target_allowed(*url)) return fail(0, "the webhook's host is not allowed (--webhook-allow)");

    const std::int64_t now = webhooks_.now();
    const std::vector<std::pair<std::string, std::string>> headers = {
        {"Content-Type", "application/json"},
        {"User-Agent", "facegate-webhooks/1"},
        {"Facegate-Event-Id", delivery.event_id},
        {"Facegate-Delivery-Id", delivery.delivery_id},
        {"Facegate-Signature", webhook_signature(webhook->secret, now / 1000, delivery.body)}};
    WebhookResponse response = transport_.post(*url, headers, delivery.body, webhooks_.config().timeout);
    if (response.status >= 200 && response.status < 300) {
        delivery.status = DeliveryStatus::DELIVERED;
        delivery.last_status_code = response.status;
        delivery.last_error.clear();
        delivery.updated_ms = webhooks_.now();
        delivery.delivered_ms = delivery.updated_ms;
        store_.record_delivery(delivery);
        return;
    }
    if (response.status >= 300 && response.status < 400 && response.error.empty())
        response.error = "a redirect (never followed)";
    else if (response.error.empty())
        response.error = "HTTP " + std::to_string(response.status);
    fail(response.status, std::move(response.error));
}

} // namespace facegate
