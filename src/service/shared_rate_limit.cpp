// SPDX-License-Identifier: MIT
#include "service/shared_rate_limit.h"

#include "common/sha256.h"
#include "store/store.h"

#include <algorithm>
#include <string>

namespace facegate {

void count_in_store(RateLimiter& limiter, Store& store, std::string_view name) {
    const RateLimit limit = limiter.limit();
    limiter.count_with([&store, limit, prefix = std::string(name) + '\n'](std::string_view key) {
        const WindowCount counted =
            store.count_in_window(sha256_hex(prefix + std::string(key)), limit.window.count(), limit.max_requests);
        RateDecision decision;
        decision.allowed = counted.allowed;
        decision.remaining = counted.remaining;
        if (!counted.allowed)
            decision.retry_after = std::chrono::seconds(std::max<std::int64_t>(1, (counted.retry_after_ms + 999) / 1000));
        return decision;
    });
}

} // namespace facegate
