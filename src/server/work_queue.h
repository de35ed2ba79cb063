// SPDX-License-Identifier: MIT
#pragma once

// a fixed pool of threads fed by a bounded FIFO queue, with admission control: a job is refused at
// once when the queue is full or when its expected wait (jobs ahead / threads x the recent mean
// service time) passes the queue timeout; a job that is admitted but still queued at its deadline
// is shed then (its callback runs with expired = true, on the sweeper thread), so no caller waits
// longer than the timeout for a thread. the edge answers refusals with 503 and Retry-After.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace facegate {

struct WorkQueueConfig {
    std::string name = "work";               // for logs and metrics
    int threads = 2;
    size_t max_queued = 64;                  // jobs waiting for a thread, beyond those running
    std::chrono::milliseconds queue_timeout{2000}; // 0: no deadline (jobs wait as long as it takes)
    std::chrono::milliseconds initial_service_time{100}; // the estimate before anything was measured
};

class WorkQueue {
  public:
    // job(expired): expired is true when the job was shed at its deadline and must only answer 503
    using Job = std::function<void(bool expired)>;

    struct Admission {
        bool admitted = false;
        std::chrono::seconds retry_after{1}; // when refused: a hint for the client
        const char* reason = "";             // when refused: "queue full" or "expected wait too long"
    };

    struct Stats {
        size_t queued = 0, running = 0;
        uint64_t completed = 0, refused = 0, expired = 0;
        double service_seconds = 0;          // the moving mean of a job's run time
    };

    explicit WorkQueue(WorkQueueConfig config);
    ~WorkQueue();
    WorkQueue(const WorkQueue&) = delete;
    WorkQueue& operator=(const WorkQueue&) = delete;

    // thread-safe. after stop() every submission is refused
    Admission submit(Job job);
    // whether a job submitted now would be admitted (nothing is queued; a refusal is counted): lets the
    // edge refuse a request on its headers, before it reads a body the queue has no room for
    Admission would_admit();
    // runs what is queued, then joins the threads; idempotent
    void stop();
    Stats stats() const;
    const WorkQueueConfig& config() const { return config_; }

  private:
    using Clock = std::chrono::steady_clock;
    struct Item {
        Job job;
        Clock::time_point deadline;
    };
    void work();
    void sweep();
    std::chrono::duration<double> expected_wait_locked() const;
    Admission admission_locked() const; // the refusal, if any, of a job arriving now

    WorkQueueConfig config_;
    mutable std::mutex mutex_;
    std::condition_variable ready_;     // workers: a job or stop
    std::condition_variable sweeper_;   // sweeper: a new front or stop
    std::deque<Item> queue_;
    bool stopping_ = false;
    size_t running_ = 0;
    uint64_t completed_ = 0, refused_ = 0, expired_ = 0;
    double service_seconds_;
    std::vector<std::thread> threads_;
    std::thread sweeper_thread_;
};

} // namespace facegate
