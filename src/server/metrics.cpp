// SPDX-License-Identifier: MIT
#include "server/metrics.h"

#include <sstream>

namespace facegate {

namespace {
const std::vector<double>& bounds() {
    static const std::vector<double> b = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    return b;
}

std::string escape_label(const std::string& value) {
    std::string out;
    for (char c : value) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') { out += "\\n"; continue; }
        out += c;
    }
    return out;
}
} // namespace

Metrics::Metrics(std::vector<std::string> operations)
    : operations_([&] {
          std::set<std::string, std::less<>> names(operations.begin(), operations.end());
          names.insert("unknown");
          return names;
      }()) {}

void Metrics::observe(const std::string& given, int status, double seconds) {
    const std::string& operation = operations_.contains(given) ? given : *operations_.find("unknown");
    if (status < 100 || status > 599) status = 0;
    std::lock_guard lock(mutex_);
    ++requests_[{operation, status}];
    Latency& l = latency_[operation];
    if (l.buckets.empty()) l.buckets.assign(bounds().size(), 0);
    for (size_t i = 0; i < bounds().size(); ++i) if (seconds <= bounds()[i]) ++l.buckets[i];
    ++l.count;
    l.sum += seconds;
}

std::string Metrics::render(const std::vector<CollectionIndexes::IndexState>& indexes,
                            const std::vector<Sample>& samples) {
    std::ostringstream out;
    std::lock_guard lock(mutex_);
    out << "# HELP facegate_requests_total Requests by operation and HTTP status.\n"
           "# TYPE facegate_requests_total counter\n";
    for (const auto& [key, count] : requests_) {
        out << "facegate_requests_total{operation=\"" << escape_label(key.first) << "\",status=\"" << key.second
            << "\"} " << count << "\n";
    }
    out << "# HELP facegate_request_duration_seconds Request latency by operation.\n"
           "# TYPE facegate_request_duration_seconds histogram\n";
    for (const auto& [op, l] : latency_) {
        std::string label = "operation=\"" + escape_label(op) + "\"";
        for (size_t i = 0; i < bounds().size(); ++i) {
            out << "facegate_request_duration_seconds_bucket{" << label << ",le=\"" << bounds()[i] << "\"} "
                << l.buckets[i] << "\n";
        }
        out << "facegate_request_duration_seconds_bucket{" << label << ",le=\"+Inf\"} " << l.count << "\n";
        out << "facegate_request_duration_seconds_sum{" << label << "} " << l.sum << "\n";
        out << "facegate_request_duration_seconds_count{" << label << "} " << l.count << "\n";
    }
    out << "# HELP facegate_collection_faces Faces in each collection loaded in memory.\n"
           "# TYPE facegate_collection_faces gauge\n";
    for (const auto& index : indexes) {
        out << "facegate_collection_faces{collection=\"" << escape_label(index.collection_id) << "\"} " << index.faces << "\n";
    }
    out << "# HELP facegate_collection_index_approximate 1 when the collection's searches use its HNSW graph.\n"
           "# TYPE facegate_collection_index_approximate gauge\n";
    for (const auto& index : indexes) {
        out << "facegate_collection_index_approximate{collection=\"" << escape_label(index.collection_id) << "\"} "
            << (index.approximate ? 1 : 0) << "\n";
    }
    for (const auto& sample : samples) {
        out << "# HELP " << sample.name << " " << sample.help << "\n# TYPE " << sample.name << " " << sample.type << "\n"
            << sample.name << " " << sample.value << "\n";
    }
    return out.str();
}

} // namespace facegate
