// SPDX-License-Identifier: MIT
#pragma once

// WebhookDispatcher: POSTs the store's due webhook deliveries (see webhooks.h), on a thread of its own, from
// every node: a delivery is claimed with a lease (Store::claim_deliveries), so one node sends it at a time, and
// one that dies mid-POST leaves it to the next claim. A 2xx answer delivers it; anything else (another status,
// a redirect, a refused connection, a timeout, a host no longer allowed, a deleted webhook) schedules the next
// try after the backoff, or fails it past the retry window.

#include "service/webhooks.h"

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace facegate {

// the answer to one POST: status 0 when there was none (error says why)
struct WebhookResponse {
    int status = 0;
    std::string error;
};

// one HTTP POST, never following a redirect, within `timeout` (the server's edge implements it)
class WebhookTransport {
  public:
    virtual ~WebhookTransport() = default;
    virtual WebhookResponse post(const WebhookUrl& url, const std::vector<std::pair<std::string, std::string>>& headers,
                                 const std::string& body, std::chrono::milliseconds timeout) = 0;
};

// `Facegate-Signature`'s value: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
std::string webhook_signature(const std::string& secret, std::int64_t unix_seconds, const std::string& body);

class WebhookDispatcher {
  public:
    WebhookDispatcher(Store& store, Webhooks& webhooks, WebhookTransport& transport);
    ~WebhookDispatcher(); // stops

    void start();
    void stop();
    void wake(); // a delivery was just added: look now rather than at the next poll

    // claims the due deliveries and POSTs them; returns how many were tried. Called by the thread
    std::size_t run_once();

  private:
    void deliver(DeliveryRecord delivery);

    Store& store_;
    Webhooks& webhooks_;
    WebhookTransport& transport_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    bool woken_ = false;
    std::thread thread_;
};

} // namespace facegate
