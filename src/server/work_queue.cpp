// SPDX-License-Identifier: MIT
#include "server/work_queue.h"

#include <spdlog/spdlog.h>

#include <cmath>

namespace facegate {

namespace {
constexpr double kServiceTimeWeight = 0.2; // of the newest job in the moving mean
}

WorkQueue::WorkQueue(WorkQueueConfig config)
    : config_(std::move(config)),
      service_seconds_(std::chrono::duration<double>(config_.initial_service_time).count()) {
    if (config_.threads < 1) config_.threads = 1;
    for (int i = 0; i < config_.threads; ++i) threads_.emplace_back([this] { work(); });
    if (config_.queue_timeout.count() > 0) sweeper_thread_ = std::thread([this] { sweep(); });
}

WorkQueue::~WorkQueue() { stop(); }

std::chrono::duration<double> WorkQueue::expected_wait_locked() const {
    // a free thread takes the job at once; otherwise every job ahead (and the running ones) must
    // get through the pool first
    size_t ahead = queue_.size() + running_;
    if (ahead < size_t(config_.threads)) return std::chrono::duration<double>(0);
    double rounds = double(ahead + 1 - size_t(config_.threads)) / config_.threads;
    return std::chrono::duration<double>(rounds * service_seconds_);
}

WorkQueue::Admission WorkQueue::admission_locked() const {
    Admission admission;
    if (stopping_) {
        admission.reason = "the server is stopping";
        return admission;
    }
    auto wait = expected_wait_locked();
    admission.retry_after = std::chrono::seconds(std::max<int64_t>(1, int64_t(std::ceil(wait.count()))));
    if (queue_.size() >= config_.max_queued) {
        admission.reason = "queue full";
    } else if (config_.queue_timeout.count() > 0 && wait > config_.queue_timeout) {
        admission.reason = "expected wait too long";
    } else {
        admission.admitted = true;
    }
    return admission;
}

WorkQueue::Admission WorkQueue::would_admit() {
    std::lock_guard lock(mutex_);
    Admission admission = admission_locked();
    if (!admission.admitted) ++refused_;
    return admission;
}

WorkQueue::Admission WorkQueue::submit(Job job) {
    std::unique_lock lock(mutex_);
    Admission admission = admission_locked();
    if (!admission.admitted) {
        ++refused_;
        return admission;
    }
    auto deadline = config_.queue_timeout.count() > 0 ? Clock::now() + config_.queue_timeout : Clock::time_point::max();
    queue_.push_back({std::move(job), deadline});
    if (queue_.size() == 1) sweeper_.notify_one();
    ready_.notify_one();
    return admission;
}

void WorkQueue::work() {
    std::unique_lock lock(mutex_);
    while (true) {
        ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return; // stopping, and nothing left to run
        Item item = std::move(queue_.front());
        queue_.pop_front();
        sweeper_.notify_one();
        bool expired = Clock::now() > item.deadline;
        if (expired) ++expired_;
        ++running_;
        lock.unlock();
        auto start = Clock::now();
        try {
            item.job(expired);
        } catch (const std::exception& e) {
            spdlog::error("{} job failed: {}", config_.name, e.what());
        }
        double seconds = std::chrono::duration<double>(Clock::now() - start).count();
        lock.lock();
        --running_;
        if (!expired) {
            ++completed_;
            service_seconds_ = (1 - kServiceTimeWeight) * service_seconds_ + kServiceTimeWeight * seconds;
        }
    }
}

void WorkQueue::sweep() {
    std::unique_lock lock(mutex_);
    while (true) {
        if (stopping_) return;
        if (queue_.empty()) {
            sweeper_.wait(lock);
            continue;
        }
        auto deadline = queue_.front().deadline;
        if (Clock::now() < deadline) {
            sweeper_.wait_until(lock, deadline);
            continue;
        }
        // FIFO with one timeout: the expired jobs are at the front
        std::vector<Job> shed;
        while (!queue_.empty() && queue_.front().deadline <= Clock::now()) {
            shed.push_back(std::move(queue_.front().job));
            queue_.pop_front();
            ++expired_;
        }
        lock.unlock();
        for (auto& job : shed) {
            try {
                job(true);
            } catch (const std::exception& e) {
                spdlog::error("{} shed job failed: {}", config_.name, e.what());
            }
        }
        lock.lock();
    }
}

void WorkQueue::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ && threads_.empty()) return;
        stopping_ = true;
    }
    ready_.notify_all();
    sweeper_.notify_all();
    for (auto& t : threads_) t.join();
    threads_.clear();
    if (sweeper_thread_.joinable()) sweeper_thread_.join();
}

WorkQueue::Stats WorkQueue::stats() const {
    std::lock_guard lock(mutex_);
    return {queue_.size(), running_, completed_, refused_, expired_, service_seconds_};
}

} // namespace facegate
