// SPDX-License-Identifier: MIT
#pragma once

// rate limits several nodes share: a RateLimiter that counts in the store (Store::count_in_window) instead of
// this process's memory, so that an attacker gets one budget per key, not one per node

#include "service/rate_limiter.h"

#include <string_view>

namespace facegate {

class Store;

// from now on `limiter` counts in `store`, under `name` (limiters with different names never share a count).
// Keys are stored as a digest: they hold client-chosen ids of any length. Call before serving.
void count_in_store(RateLimiter& limiter, Store& store, std::string_view name);

} // namespace facegate
