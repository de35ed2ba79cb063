// SPDX-License-Identifier: MIT
#pragma once

#include "service/collection_indexes.h"

#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace facegate {

// request counters and latency histograms by operation, rendered in Prometheus' text format.
// thread-safe.
class Metrics {
  public:
    void observe(const std::string& operation, int status, double seconds);
    // with gauges of each loaded collection index appended
    std::string render(const std::vector<CollectionIndexes::IndexState>& indexes);

  private:
    struct Latency {
        std::vector<uint64_t> buckets; // cumulative counts per bound
        uint64_t count = 0;
        double sum = 0;
    };
    std::mutex mutex_;
    std::map<std::pair<std::string, int>, uint64_t> requests_; // (operation, status) -> count
    std::map<std::string, Latency> latency_;
};

} // namespace facegate
