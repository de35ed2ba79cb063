// SPDX-License-Identifier: MIT
#pragma once

// a process-wide budget of bytes for image decoding: each decode reserves its peak estimate (known
// from the image header before a pixel is decoded) and holds it while the picture is in use, so
// that concurrent large images wait for each other instead of exhausting memory. thread-safe.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>

namespace facegate {

class MemoryBudget {
  public:
    explicit MemoryBudget(size_t capacity_bytes);

    // released when the last copy is destroyed
    using Reservation = std::shared_ptr<void>;

    // reserves `bytes`, waiting up to `wait` for others to release theirs.
    // throws Error(IMAGE_TOO_LARGE) when `bytes` exceeds the whole capacity (it could never fit),
    // Error(OVERLOADED) when the wait ends first.
    Reservation reserve(size_t bytes, std::chrono::milliseconds wait);

    size_t capacity() const { return capacity_; }
    size_t in_use() const;
    size_t peak() const;

  private:
    void release(size_t bytes);

    size_t capacity_;
    mutable std::mutex mutex_;
    std::condition_variable freed_;
    size_t in_use_ = 0;
    size_t peak_ = 0;
};

} // namespace facegate
