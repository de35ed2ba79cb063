// SPDX-License-Identifier: MIT
#pragma once

// sessions of the demo pages (/signup, /signin): a random token in an HttpOnly, SameSite=Strict
// cookie that allows register and verify on the demo collection only, for a limited time. the pages
// never hold a key; another site cannot ride the cookie (SameSite=Strict, and the routes refuse a
// foreign Origin). bounded: at most max_sessions at once, and each client address may create only
// so many per minute; when full, the least recently used session idle for a while makes room, and
// a session in use is never evicted (creation is refused instead). thread-safe.
//
// several nodes on one shared store (docs/deployment.md): share_through(store) makes the sessions
// stateless, so a session created on one node is valid on every node: the token carries its expiry and an
// HMAC-SHA256 under a key all nodes read from the store (document "demo-session-key"), and the creation
// limit per address is counted in the store. A node then keeps nothing per session, so nothing needs a
// cap or an eviction; the creation limit bounds how many exist.

#include "service/rate_limiter.h"

#include <optional>

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace facegate {

struct DemoSessionLimits {
    std::chrono::seconds lifetime = std::chrono::hours(1);
    size_t max_sessions = 10000;
    std::chrono::seconds idle_before_eviction = std::chrono::minutes(5); // younger activity: never evicted
    uint32_t creations_per_minute = 10;                                  // per client address
};

class Store;

class DemoSessions {
  public:
    using Clock = std::chrono::steady_clock;

    explicit DemoSessions(DemoSessionLimits limits = {});

    // a new session token (64 hex digits of 256 random bits) for a client address.
    // throws RateLimitExceeded past the address's creations per minute, Error(OVERLOADED) when every
    // session is in use
    std::string create(std::string_view client_address);
    // whether `token` is a live session; marks it used
    bool valid(std::string_view token);
    std::chrono::seconds lifetime() const { return limits_.lifetime; }
    size_t size();

    // stateless sessions signed with the store's key (see above); call before serving. Error
    // STORE_UNAVAILABLE when the key cannot be read or made
    void share_through(Store& store);

  private:
    struct Session {
        Clock::time_point expiry;
        Clock::time_point last_used;
    };
    bool make_room_locked(Clock::time_point now);
    std::string signed_token(const std::string& payload) const;

    std::optional<std::string> signing_key_; // shared mode: 32 bytes

    DemoSessionLimits limits_;
    RateLimiter creations_;
    std::mutex mutex_;
    std::unordered_map<std::string, Session> sessions_;
};

} // namespace facegate
