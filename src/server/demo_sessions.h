// SPDX-License-Identifier: MIT
#pragma once

// sessions of the demo pages (/signup, /signin): a random token in an HttpOnly, SameSite=Strict
// cookie that allows register and verify on the demo collection only, for a limited time. the pages
// never hold a key; another site cannot ride the cookie (SameSite=Strict). thread-safe, bounded.

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace facegate {

class DemoSessions {
  public:
    using Clock = std::chrono::steady_clock;
    static constexpr size_t kMaxSessions = 10000;

    explicit DemoSessions(std::chrono::seconds lifetime = std::chrono::hours(1));

    // a new session token (64 hex digits of 256 random bits); the oldest sessions go past kMaxSessions
    std::string create();
    // whether `token` is a live session
    bool valid(std::string_view token);
    std::chrono::seconds lifetime() const { return lifetime_; }

  private:
    void evict_locked(Clock::time_point now);

    std::chrono::seconds lifetime_;
    std::mutex mutex_;
    std::unordered_map<std::string, Clock::time_point> expiry_; // token -> expiry
};

} // namespace facegate
