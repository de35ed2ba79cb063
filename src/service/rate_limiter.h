// SPDX-License-Identifier: MIT
#pragma once

// sliding-window rate limits keyed by a string (an external ID, a client): a request is allowed when fewer
// than max_requests requests of that key were allowed in the window before it, so no window of that length
// ever holds more than max_requests allowed requests (refused requests do not count). thread-safe; a check
// is O(1) amortised.
//
// memory is bounded: a key whose window is empty is forgotten (it would be allowed its full budget anyway),
// and at most max_keys keys are tracked; beyond that the least recently seen key is forgotten, i.e. under a
// flood of distinct keys a quiet key may get its budget back early rather than the server run out of memory.
// per tracked key: about 150 bytes + the key + 8 bytes per request in its window.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace facegate {

struct RateLimit {
    uint32_t max_requests = 10;             // allowed per window; at least 1
    std::chrono::milliseconds window{60'000}; // positive
    size_t max_keys = 100'000;              // keys tracked at once; at least 1
};

// the server's defaults: verifies per external ID, and requests per client
inline constexpr RateLimit kDefaultExternalIdRateLimit{10, std::chrono::minutes(1)};
inline constexpr RateLimit kDefaultClientRateLimit{60, std::chrono::minutes(1)};

struct RateDecision {
    bool allowed = false;
    // when refused: whole seconds (rounded up, at least 1) until this key is allowed one more request,
    // for a Retry-After header; 0 when allowed
    std::chrono::seconds retry_after{0};
    // requests this key may still make in the current window (after this one, when allowed)
    uint32_t remaining = 0;
};

class RateLimiter {
  public:
    using Clock = std::function<std::chrono::steady_clock::time_point()>;

    // `clock` is called under the limiter's lock; tests pass a manual one.
    // throws Error(INVALID_PARAMETER) for max_requests 0, a window <= 0 or max_keys 0.
    explicit RateLimiter(RateLimit limit, Clock clock = &std::chrono::steady_clock::now);

    // counts a request of `key` and says whether it is allowed
    RateDecision check(std::string_view key);

    // from now on, counts with `shared` instead of this process's memory: several nodes of one deployment
    // then share one budget per key (IdentityFlows counts in the store). shared(key) counts a request as
    // check() does. Set before the limiter is used by other threads.
    using SharedCounter = std::function<RateDecision(std::string_view key)>;
    void count_with(SharedCounter shared) { shared_ = std::move(shared); }

    const RateLimit& limit() const { return limit_; }
    // keys with state now (at most max_keys)
    size_t tracked_keys() const;
    // keys forgotten while their window still held requests, because max_keys was reached (for metrics)
    uint64_t evicted_active_keys() const;

  private:
    using TimePoint = std::chrono::steady_clock::time_point;

    // the times of the allowed requests of one key still in its window, oldest first, in a ring that
    // grows on demand up to max_requests
    struct Entry {
        std::string key;
        std::vector<TimePoint> times;
        size_t head = 0, count = 0;
        TimePoint last_seen;
    };
    using Lru = std::list<Entry>; // most recently seen first

    // SipHash-1-3 with a per-limiter random key: the keys are chosen by clients, and a fixed hash would
    // let them pick colliding ones and make every check O(n)
    struct KeyedHash {
        uint64_t k0 = 0, k1 = 0;
        size_t operator()(std::string_view s) const noexcept;
    };

    void evict_idle_locked(TimePoint now);
    Entry& entry_locked(std::string_view key, TimePoint now);
    void expire(Entry& entry, TimePoint now) const;
    void record(Entry& entry, TimePoint now) const;

    RateLimit limit_;
    Clock clock_;
    mutable std::mutex mutex_;
    Lru lru_;
    std::unordered_map<std::string_view, Lru::iterator, KeyedHash> index_; // views of the entries' keys
    uint64_t evicted_active_ = 0;
    SharedCounter shared_;
};

} // namespace facegate
