// SPDX-License-Identifier: MIT
#pragma once

#include "service/collection_indexes.h"

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace facegate {

// request counters and latency histograms by operation, rendered in Prometheus' text format.
// labels come only from a closed set fixed at construction: any other operation name counts as
// "unknown" and statuses outside 100-599 as 0, so a client cannot grow the series. thread-safe.
class Metrics {
  public:
    explicit Metrics(std::vector<std::string> operations);

    void observe(const std::string& operation, int status, double seconds);

    // a gauge or counter sampled when /metrics is rendered (the lanes, connections, memory)
    struct Sample {
        std::string name;   // facegate_..., from the code, never from a client
        std::string help;
        std::string type;   // "gauge" or "counter"
        double value = 0;
    };
    // with gauges of each loaded collection index and `samples` appended
    std::string render(const std::vector<CollectionIndexes::IndexState>& indexes,
                       const std::vector<Sample>& samples = {});

  private:
    struct Latency {
        std::vector<uint64_t> buckets; // cumulative counts per bound
        uint64_t count = 0;
        double sum = 0;
    };
    const std::set<std::string, std::less<>> operations_;
    std::mutex mutex_;
    std::map<std::pair<std::string, int>, uint64_t> requests_; // (operation, status) -> count
    std::map<std::string, Latency> latency_;
};

} // namespace facegate
