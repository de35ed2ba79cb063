// SPDX-License-Identifier: MIT
#include "core/memory_budget.h"

#include "common/error.h"

#include <string>

namespace facegate {

namespace {
std::string megabytes(size_t bytes) { return std::to_string((bytes + (1 << 20) - 1) >> 20) + " MB"; }
} // namespace

MemoryBudget::MemoryBudget(size_t capacity_bytes) : capacity_(capacity_bytes) {}

MemoryBudget::Reservation MemoryBudget::reserve(size_t bytes, std::chrono::milliseconds wait) {
    if (bytes > capacity_) {
        throw Error(ErrorCode::IMAGE_TOO_LARGE, "the image needs about " + megabytes(bytes) +
                                                    " to decode, more than this server's image memory budget of " +
                                                    megabytes(capacity_));
    }
    std::unique_lock lock(mutex_);
    if (!freed_.wait_for(lock, wait, [&] { return in_use_ + bytes <= capacity_; })) {
        throw Error(ErrorCode::OVERLOADED, "the server is decoding other large images; retry shortly");
    }
    in_use_ += bytes;
    peak_ = std::max(peak_, in_use_);
    // a shared_ptr with no object: its deleter gives the bytes back
    return Reservation(static_cast<void*>(nullptr), [this, bytes](void*) { release(bytes); });
}

void MemoryBudget::release(size_t bytes) {
    {
        std::lock_guard lock(mutex_);
        in_use_ -= bytes;
    }
    freed_.notify_all();
}

size_t MemoryBudget::in_use() const {
    std::lock_guard lock(mutex_);
    return in_use_;
}

size_t MemoryBudget::peak() const {
    std::lock_guard lock(mutex_);
    return peak_;
}

} // namespace facegate
