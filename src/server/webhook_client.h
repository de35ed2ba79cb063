// SPDX-License-Identifier: MIT
#pragma once

// The webhooks' HTTP client (service/webhook_dispatcher.h's WebhookTransport) on Boost.Beast: one POST per
// connection, HTTP/1.1, TLS with the system's CAs and the host name checked for https URLs, no redirect
// followed, one deadline for the whole exchange (resolve, connect, handshake, write, the answer's header).

#include "service/webhook_dispatcher.h"

namespace facegate {

class BeastWebhookClient final : public WebhookTransport {
  public:
    WebhookResponse post(const WebhookUrl& url, const std::vector<std::pair<std::string, std::string>>& headers,
                         const std::string& body, std::chrono::milliseconds timeout) override;
};

} // namespace facegate
