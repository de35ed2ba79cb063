// SPDX-License-Identifier: MIT
#include "service/rate_limiter.h"

#include "common/error.h"

#include <algorithm>
#include <random>

namespace facegate {

namespace {

uint64_t rotl(uint64_t x, int bits) { return (x << bits) | (x >> (64 - bits)); }

struct SipState {
    uint64_t v0, v1, v2, v3;
    void round() {
        v0 += v1, v1 = rotl(v1, 13), v1 ^= v0, v0 = rotl(v0, 32);
        v2 += v3, v3 = rotl(v3, 16), v3 ^= v2;
        v0 += v3, v3 = rotl(v3, 21), v3 ^= v0;
        v2 += v1, v1 = rotl(v1, 17), v1 ^= v2, v2 = rotl(v2, 32);
    }
    void absorb(uint64_t m) {
        v3 ^= m;
        round(); // 1 compression round
        v0 ^= m;
    }
};

uint64_t load_le64(const unsigned char* p) {
    uint64_t m = 0;
    for (int i = 7; i >= 0; --i) m = (m << 8) | p[i];
    return m;
}

uint64_t siphash13(uint64_t k0, uint64_t k1, std::string_view data) {
    SipState s{k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL, k0 ^ 0x6c7967656e657261ULL,
               k1 ^ 0x7465646279746573ULL};
    const auto* p = reinterpret_cast<const unsigned char*>(data.data());
    size_t whole = data.size() - data.size() % 8;
    for (size_t i = 0; i < whole; i += 8) s.absorb(load_le64(p + i));
    uint64_t last = uint64_t(data.size()) << 56;
    for (size_t i = whole; i < data.size(); ++i) last |= uint64_t(p[i]) << (8 * (i - whole));
    s.absorb(last);
    s.v2 ^= 0xff;
    s.round(), s.round(), s.round(); // 3 finalisation rounds
    return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

uint64_t random_u64() {
    std::random_device device;
    return (uint64_t(device()) << 32) ^ device();
}

} // namespace

size_t RateLimiter::KeyedHash::operator()(std::string_view s) const noexcept { return size_t(siphash13(k0, k1, s)); }

RateLimiter::RateLimiter(RateLimit limit, Clock clock)
    : limit_(limit), clock_(std::move(clock)), index_(0, KeyedHash{random_u64(), random_u64()}) {
    if (limit_.max_requests == 0 || limit_.window <= std::chrono::milliseconds::zero() || limit_.max_keys == 0)
        throw Error(ErrorCode::INVALID_PARAMETER,
                    "a rate limit needs at least 1 request, a positive window and at least 1 tracked key");
    if (!clock_) throw Error(ErrorCode::INVALID_PARAMETER, "a rate limiter needs a clock");
}

// the least recently seen keys are at the back; once the back one was seen within the window, all are
void RateLimiter::evict_idle_locked(TimePoint now) {
    while (!lru_.empty() && lru_.back().last_seen + limit_.window <= now) {
        index_.erase(lru_.back().key);
        lru_.pop_back();
    }
}

RateLimiter::Entry& RateLimiter::entry_locked(std::string_view key, TimePoint now) {
    if (auto it = index_.find(key); it != index_.end()) {
        lru_.splice(lru_.begin(), lru_, it->second); // iterators stay valid
        return lru_.front();
    }
    if (index_.size() >= limit_.max_keys) { // every tracked key is active: forget the least recent one
        index_.erase(lru_.back().key);
        lru_.pop_back();
        ++evicted_active_;
    }
    lru_.push_front(Entry{std::string(key), {}, 0, 0, now});
    index_.emplace(lru_.front().key, lru_.begin()); // the node never moves, so the view stays valid
    return lru_.front();
}

void RateLimiter::expire(Entry& entry, TimePoint now) const {
    while (entry.count > 0 && entry.times[entry.head] + limit_.window <= now) {
        entry.head = (entry.head + 1) % entry.times.size();
        --entry.count;
    }
}

void RateLimiter::record(Entry& entry, TimePoint now) const {
    if (entry.count == entry.times.size()) { // full: grow, oldest first, up to max_requests
        size_t capacity = std::min<size_t>(limit_.max_requests, std::max<size_t>(4, 2 * entry.times.size()));
        std::vector<TimePoint> grown;
        grown.reserve(capacity);
        for (size_t i = 0; i < entry.count; ++i) grown.push_back(entry.times[(entry.head + i) % entry.times.size()]);
        grown.resize(capacity);
        entry.times = std::move(grown);
        entry.head = 0;
    }
    entry.times[(entry.head + entry.count) % entry.times.size()] = now;
    ++entry.count;
}

RateDecision RateLimiter::check(std::string_view key) {
    if (shared_) return shared_(key);
    std::lock_guard guard(mutex_);
    // read under the lock so that times are recorded in order, which keeps each ring sorted
    TimePoint now = clock_();
    evict_idle_locked(now);
    Entry& entry = entry_locked(key, now);
    entry.last_seen = now;
    expire(entry, now);

    if (entry.count < limit_.max_requests) {
        record(entry, now);
        return {true, std::chrono::seconds(0), uint32_t(limit_.max_requests - entry.count)};
    }
    // refused until the oldest allowed request leaves the window
    auto wait = entry.times[entry.head] + limit_.window - now;
    return {false, std::max(std::chrono::seconds(1), std::chrono::ceil<std::chrono::seconds>(wait)), 0};
}

size_t RateLimiter::tracked_keys() const {
    std::lock_guard guard(mutex_);
    return index_.size();
}

uint64_t RateLimiter::evicted_active_keys() const {
    std::lock_guard guard(mutex_);
    return evicted_active_;
}

} // namespace facegate
