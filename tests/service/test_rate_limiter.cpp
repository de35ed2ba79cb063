// SPDX-License-Identifier: MIT
// the sliding-window rate limiter: exact limits, sliding windows, Retry-After, exact counts under threads
// (checked against the times the limiter saw), and the bounded memory (idle keys forgotten, a key cap).
#include "service/rate_limiter.h"
#include "common/error.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <latch>
#include <map>
#include <thread>
#include <vector>

namespace facegate {
namespace {

using namespace std::chrono_literals;
using TimePoint = std::chrono::steady_clock::time_point;

// time that moves only when a test says so
class ManualClock {
  public:
    TimePoint now() const { return base_ + std::chrono::nanoseconds(offset_ns_.load()); }
    void set(std::chrono::nanoseconds since_start) { offset_ns_ = since_start.count(); }
    RateLimiter::Clock function() {
        return [this] { return now(); };
    }

  private:
    TimePoint base_ = std::chrono::steady_clock::now();
    std::atomic<int64_t> offset_ns_{0};
};

RateLimiter limiter_with(ManualClock& clock, uint32_t max_requests, std::chrono::milliseconds window,
                         size_t max_keys = 100'000) {
    return RateLimiter(RateLimit{max_requests, window, max_keys}, clock.function());
}

TEST(RateLimiter, RefusesInvalidLimits) {
    auto code_of = [](RateLimit limit) {
        try {
            RateLimiter limiter(limit);
        } catch (const Error& e) {
            return e.code();
        }
        return ErrorCode::INTERNAL;
    };
    EXPECT_EQ(code_of({0, 60s, 10}), ErrorCode::INVALID_PARAMETER);
    EXPECT_EQ(code_of({1, 0s, 10}), ErrorCode::INVALID_PARAMETER);
    EXPECT_EQ(code_of({1, -1s, 10}), ErrorCode::INVALID_PARAMETER);
    EXPECT_EQ(code_of({1, 60s, 0}), ErrorCode::INVALID_PARAMETER);
    EXPECT_EQ(kDefaultExternalIdRateLimit.max_requests, 10u);
    EXPECT_EQ(kDefaultExternalIdRateLimit.window, 60s);
    EXPECT_EQ(kDefaultClientRateLimit.max_requests, 60u);
    EXPECT_EQ(kDefaultClientRateLimit.window, 60s);
}

TEST(RateLimiter, EnforcesTheLimitExactly) {
    ManualClock clock;
    auto limiter = limiter_with(clock, 3, 60s);
    for (uint32_t remaining : {2u, 1u, 0u}) {
        RateDecision d = limiter.check("ana");
        EXPECT_TRUE(d.allowed);
        EXPECT_EQ(d.remaining, remaining);
        EXPECT_EQ(d.retry_after, 0s);
    }
    RateDecision refused = limiter.check("ana");
    EXPECT_FALSE(refused.allowed);
    EXPECT_EQ(refused.remaining, 0u);
    EXPECT_EQ(refused.retry_after, 60s);
    EXPECT_TRUE(limiter.check("bob").allowed); // keys are independent

    clock.set(60s - 1ns); // the first three are still in the window
    EXPECT_FALSE(limiter.check("ana").allowed);
    clock.set(60s); // and now they are not: exactly one window later
    EXPECT_TRUE(limiter.check("ana").allowed);
    EXPECT_TRUE(limiter.check("ana").allowed);
    EXPECT_TRUE(limiter.check("ana").allowed);
    EXPECT_FALSE(limiter.check("ana").allowed);
}

TEST(RateLimiter, TheWindowSlides) {
    ManualClock clock;
    auto limiter = limiter_with(clock, 3, 60s);
    for (auto t : {0s, 20s, 40s}) {
        clock.set(t);
        EXPECT_TRUE(limiter.check("k").allowed) << t.count();
    }
    clock.set(50s);
    EXPECT_EQ(limiter.check("k").retry_after, 10s); // the request of 0s leaves at 60s
    clock.set(60s);
    EXPECT_TRUE(limiter.check("k").allowed);
    clock.set(61s);
    RateDecision d = limiter.check("k");
    EXPECT_FALSE(d.allowed);
    EXPECT_EQ(d.retry_after, 19s); // the request of 20s leaves at 80s
    clock.set(80s);
    EXPECT_TRUE(limiter.check("k").allowed);
    clock.set(100s); // 40s leaves; 60s and 80s stay
    EXPECT_TRUE(limiter.check("k").allowed);
    d = limiter.check("k");
    EXPECT_FALSE(d.allowed);
    EXPECT_EQ(d.retry_after, 20s);
}

TEST(RateLimiter, RetryAfterIsWholeSecondsRoundedUp) {
    ManualClock clock;
    auto limiter = limiter_with(clock, 1, 10s);
    EXPECT_TRUE(limiter.check("k").allowed);
    clock.set(500ms);
    EXPECT_EQ(limiter.check("k").retry_after, 10s); // 9.5 s
    clock.set(9s);
    EXPECT_EQ(limiter.check("k").retry_after, 1s);
    clock.set(9999ms);
    EXPECT_EQ(limiter.check("k").retry_after, 1s); // 1 ms: never 0

    auto fast = limiter_with(clock, 1, 250ms);
    EXPECT_TRUE(fast.check("k").allowed);
    EXPECT_EQ(fast.check("k").retry_after, 1s);
}

TEST(RateLimiter, RefusedRequestsDoNotCount) {
    ManualClock clock;
    auto limiter = limiter_with(clock, 2, 10s);
    EXPECT_TRUE(limiter.check("k").allowed);
    EXPECT_TRUE(limiter.check("k").allowed);
    for (int i = 1; i < 100; ++i) {
        clock.set(std::chrono::milliseconds(i * 100)); // up to 9.9 s
        ASSERT_FALSE(limiter.check("k").allowed) << i;
    }
    clock.set(10s); // both leave; the refusals never entered
    EXPECT_TRUE(limiter.check("k").allowed);
    EXPECT_TRUE(limiter.check("k").allowed);
    EXPECT_FALSE(limiter.check("k").allowed);
}

TEST(RateLimiter, ManyThreadsOnAFrozenClockGetExactlyTheLimit) {
    ManualClock clock;
    constexpr uint32_t kLimit = 100;
    constexpr int kKeys = 16, kThreads = 8, kEach = 50000;
    auto limiter = limiter_with(clock, kLimit, 60s);
    std::vector<std::atomic<int>> allowed(kKeys);
    std::vector<std::string> keys;
    for (int k = 0; k < kKeys; ++k) keys.push_back("client-" + std::to_string(k));
    std::latch start(kThreads); // all at once, or a thread may finish before the next begins
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            start.arrive_and_wait();
            for (int i = 0; i < kEach; ++i) {
                int key = (i + t) % kKeys;
                if (limiter.check(keys[key]).allowed) ++allowed[key];
            }
        });
    for (auto& t : threads) t.join();
    for (int k = 0; k < kKeys; ++k) EXPECT_EQ(allowed[k].load(), int(kLimit)) << "key " << k;
    EXPECT_EQ(limiter.tracked_keys(), size_t(kKeys));
}

// every decision made by many threads on a moving clock, checked against the definition: a request at t
// is allowed iff fewer than max_requests requests of its key were allowed in (t - window, t)
TEST(RateLimiter, ManyThreadsOnAMovingClockDecideExactly) {
    constexpr uint32_t kLimit = 5;
    constexpr auto kWindow = 2ms;
    constexpr int kKeys = 3, kThreads = 4, kEach = 20000;
    std::atomic<int64_t> ticks{0};
    TimePoint base = std::chrono::steady_clock::now();
    thread_local TimePoint seen; // the time the limiter used for this thread's last check
    RateLimiter limiter(RateLimit{kLimit, kWindow, 100}, [&] {
        seen = base + std::chrono::microseconds(ticks.fetch_add(1) + 1); // 1 µs per check, all distinct
        return seen;
    });

    struct Decision {
        TimePoint time;
        bool allowed;
    };
    std::vector<std::vector<std::pair<int, Decision>>> logs(kThreads);
    std::latch start(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            logs[t].reserve(kEach);
            start.arrive_and_wait();
            for (int i = 0; i < kEach; ++i) {
                int key = (i * 7 + t) % kKeys;
                bool allowed = limiter.check("user-" + std::to_string(key)).allowed;
                logs[t].push_back({key, {seen, allowed}});
            }
        });
    for (auto& t : threads) t.join();

    std::map<int, std::vector<Decision>> by_key;
    for (const auto& log : logs)
        for (const auto& [key, decision] : log) by_key[key].push_back(decision);
    size_t checked = 0, allowed_total = 0;
    for (auto& [key, decisions] : by_key) {
        std::sort(decisions.begin(), decisions.end(), [](const Decision& a, const Decision& b) { return a.time < b.time; });
        std::vector<TimePoint> allowed_times; // sorted, as decisions are
        for (const auto& d : decisions) {
            auto in_window = std::count_if(allowed_times.begin(), allowed_times.end(),
                                           [&](TimePoint a) { return a > d.time - kWindow; });
            ASSERT_EQ(d.allowed, in_window < kLimit) << "key " << key << ", " << in_window << " in the window";
            if (d.allowed) allowed_times.push_back(d.time);
            // only the window matters: keep the scan short
            while (allowed_times.size() > kLimit) allowed_times.erase(allowed_times.begin());
            ++checked;
        }
        allowed_total += std::count_if(decisions.begin(), decisions.end(), [](const Decision& d) { return d.allowed; });
    }
    EXPECT_EQ(checked, size_t(kThreads * kEach));
    EXPECT_GT(allowed_total, 0u);
    EXPECT_LT(allowed_total, checked); // the limit did refuse some
}

TEST(RateLimiter, IdleKeysAreForgotten) {
    ManualClock clock;
    auto limiter = limiter_with(clock, 2, 60s);
    for (int i = 0; i < 50; ++i) limiter.check("idle-" + std::to_string(i));
    EXPECT_EQ(limiter.tracked_keys(), 50u);
    clock.set(30s);
    limiter.check("recent");
    clock.set(60s); // the 50 have an empty window now; "recent" has not
    EXPECT_TRUE(limiter.check("new").allowed);
    EXPECT_EQ(limiter.tracked_keys(), 2u);
    EXPECT_EQ(limiter.evicted_active_keys(), 0u); // forgetting idle keys loses nothing
    clock.set(95s);
    limiter.check("other");
    EXPECT_EQ(limiter.tracked_keys(), 2u); // "recent" went (at 90s); "new" and "other" stay
    clock.set(200s);
    limiter.check("x");
    EXPECT_EQ(limiter.tracked_keys(), 1u);
}

TEST(RateLimiter, TheNumberOfKeysIsCapped) {
    ManualClock clock;
    constexpr size_t kCap = 100;
    auto limiter = limiter_with(clock, 3, 60s, kCap);
    for (int i = 0; i < 1000; ++i) {
        EXPECT_TRUE(limiter.check("key-" + std::to_string(i)).allowed);
        ASSERT_LE(limiter.tracked_keys(), kCap);
    }
    EXPECT_EQ(limiter.tracked_keys(), kCap);
    EXPECT_EQ(limiter.evicted_active_keys(), 900u);
    // the most recent keys kept their counts
    EXPECT_TRUE(limiter.check("key-999").allowed);
    EXPECT_TRUE(limiter.check("key-999").allowed);
    EXPECT_FALSE(limiter.check("key-999").allowed);
}

TEST(RateLimiter, AKeyInUseSurvivesAFloodOfNewKeys) {
    ManualClock clock;
    auto limiter = limiter_with(clock, 3, 60s, 10);
    int allowed = 0;
    for (int round = 0; round < 100; ++round) {
        clock.set(std::chrono::milliseconds(round * 100)); // 10 s in all: one window
        if (limiter.check("victim").allowed) ++allowed;
        for (int i = 0; i < 5; ++i) limiter.check("flood-" + std::to_string(round) + "-" + std::to_string(i));
    }
    EXPECT_EQ(allowed, 3); // never forgotten, so never a fresh budget
    EXPECT_LE(limiter.tracked_keys(), 10u);
    EXPECT_GT(limiter.evicted_active_keys(), 0u);
}

TEST(RateLimiter, WorksWithTheSteadyClock) {
    RateLimiter limiter(RateLimit{2, 60s});
    EXPECT_TRUE(limiter.check("a").allowed);
    EXPECT_TRUE(limiter.check("a").allowed);
    RateDecision d = limiter.check("a");
    EXPECT_FALSE(d.allowed);
    EXPECT_GE(d.retry_after, 59s);
    EXPECT_LE(d.retry_after, 60s);
    EXPECT_TRUE(limiter.check(std::string_view("a\0b", 3)).allowed); // any bytes make a key
}

} // namespace
} // namespace facegate
