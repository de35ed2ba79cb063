// SPDX-License-Identifier: MIT
#include "server/demo_sessions.h"

#include "common/error.h"
#include "service/identity_flows.h"

#include <openssl/rand.h>

#include <algorithm>

namespace facegate {

DemoSessions::DemoSessions(DemoSessionLimits limits)
    : limits_(limits), creations_(RateLimit{std::max<uint32_t>(1, limits.creations_per_minute), std::chrono::minutes(1)}) {}

std::string DemoSessions::create(std::string_view client_address) {
    RateDecision decision = creations_.check(client_address);
    if (!decision.allowed) {
        throw RateLimitExceeded("too many demo sessions from this address; retry later",
                                int(decision.retry_after.count()));
    }
    unsigned char random[32];
    if (RAND_bytes(random, sizeof random) != 1) throw Error(ErrorCode::INTERNAL, "the random generator failed");
    static constexpr char kHex[] = "0123456789abcdef";
    std::string token;
    for (unsigned char c : random) {
        token += kHex[c >> 4];
        token += kHex[c & 15];
    }
    auto now = Clock::now();
    std::lock_guard lock(mutex_);
    if (sessions_.size() >= limits_.max_sessions && !make_room_locked(now)) {
        throw Error(ErrorCode::OVERLOADED, "the demo has as many sessions as it can hold; retry later");
    }
    sessions_[token] = Session{now + limits_.lifetime, now};
    return token;
}

bool DemoSessions::valid(std::string_view token) {
    if (token.size() != 64) return false;
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(std::string(token));
    if (it == sessions_.end()) return false;
    auto now = Clock::now();
    if (it->second.expiry <= now) {
        sessions_.erase(it);
        return false;
    }
    it->second.last_used = now;
    return true;
}

size_t DemoSessions::size() {
    std::lock_guard lock(mutex_);
    return sessions_.size();
}

bool DemoSessions::make_room_locked(Clock::time_point now) {
    std::erase_if(sessions_, [&](const auto& entry) { return entry.second.expiry <= now; });
    if (sessions_.size() < limits_.max_sessions) return true;
    auto idlest = std::min_element(sessions_.begin(), sessions_.end(), [](const auto& a, const auto& b) {
        return a.second.last_used < b.second.last_used;
    });
    if (idlest == sessions_.end() || now - idlest->second.last_used < limits_.idle_before_eviction) return false;
    sessions_.erase(idlest);
    return true;
}

} // namespace facegate
