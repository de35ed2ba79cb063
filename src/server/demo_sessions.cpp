// SPDX-License-Identifier: MIT
#include "server/demo_sessions.h"

#include "common/error.h"

#include <openssl/rand.h>

#include <algorithm>

namespace facegate {

DemoSessions::DemoSessions(std::chrono::seconds lifetime) : lifetime_(lifetime) {}

std::string DemoSessions::create() {
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
    if (expiry_.size() >= kMaxSessions) evict_locked(now);
    expiry_[token] = now + lifetime_;
    return token;
}

bool DemoSessions::valid(std::string_view token) {
    if (token.size() != 64) return false;
    std::lock_guard lock(mutex_);
    auto it = expiry_.find(std::string(token));
    if (it == expiry_.end()) return false;
    if (it->second <= Clock::now()) {
        expiry_.erase(it);
        return false;
    }
    return true;
}

void DemoSessions::evict_locked(Clock::time_point now) {
    std::erase_if(expiry_, [&](const auto& entry) { return entry.second <= now; });
    while (expiry_.size() >= kMaxSessions) {
        auto oldest = std::min_element(expiry_.begin(), expiry_.end(),
                                       [](const auto& a, const auto& b) { return a.second < b.second; });
        expiry_.erase(oldest);
    }
}

} // namespace facegate
