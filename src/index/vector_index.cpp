// SPDX-License-Identifier: MIT
#include "index/vector_index.h"

#include "common/error.h"

#include <algorithm>
#include <cmath>
#include <queue>
#include <string>
#include <thread>

namespace facegate {
namespace {

void check_config(const VectorIndexConfig& c) {
    auto bad = [](const std::string& what) { throw Error(ErrorCode::INVALID_PARAMETER, "vector index: " + what); };
    if (c.dims == 0 || c.dims > 65536) {
        bad("dims must be in 1..65536");
    }
    if (c.form != VectorForm::FLOAT32 && c.form != VectorForm::INT8) {
        bad("unknown vector form");
    }
    if (c.hnsw_m < 2 || c.hnsw_m > 256) {
        bad("hnsw_m must be in 2..256");
    }
    if (c.hnsw_ef_construction == 0 || c.hnsw_ef_search == 0) {
        bad("hnsw ef values must be positive");
    }
}

// orders hits best first: higher cosine, then lower id, so results are deterministic
bool better(const IndexHit& a, const IndexHit& b) { return a.cosine > b.cosine || (a.cosine == b.cosine && a.id < b.id); }

// quantised dot products can overshoot +-1 by ~1e-3; report true cosines
float clamp_cosine(float s) { return std::clamp(s, -1.0f, 1.0f); }

} // namespace

VectorIndex::VectorIndex(VectorIndexConfig config)
    : config_((check_config(config), config)), store_(config.dims, config.form) {}

VectorIndex::~VectorIndex() = default;

HnswParams VectorIndex::hnsw_params() const {
    return HnswParams{config_.hnsw_m, config_.hnsw_ef_construction, config_.hnsw_ef_search};
}

unsigned VectorIndex::build_threads() const {
    if (config_.build_threads != 0) {
        return config_.build_threads;
    }
    return std::max(1u, std::thread::hardware_concurrency());
}

void VectorIndex::encode_checked(std::span<const float> embedding, std::byte* out) const {
    if (embedding.size() != config_.dims) {
        throw Error(ErrorCode::INVALID_PARAMETER, "vector index: expected " + std::to_string(config_.dims) +
                                                      " dimensions, got " + std::to_string(embedding.size()));
    }
    double norm2 = 0.0;
    for (float v : embedding) {
        norm2 += double(v) * double(v);
    }
    // NaN or infinity anywhere makes norm2 non-finite
    if (!std::isfinite(norm2) || norm2 <= 0.0) {
        throw Error(ErrorCode::INVALID_PARAMETER, "vector index: embedding must be finite and non-zero");
    }
    const double inv = 1.0 / std::sqrt(norm2);
    std::vector<float> unit(embedding.size());
    for (size_t i = 0; i < unit.size(); ++i) {
        unit[i] = float(double(embedding[i]) * inv);
    }
    store_.encode(unit.data(), out);
}

void VectorIndex::add(uint64_t id, std::span<const float> embedding) {
    std::vector<std::byte> record(store_.record_bytes());
    encode_checked(embedding, record.data());
    std::lock_guard writer(writer_mutex_);
    {
        std::unique_lock lock(mutex_);
        const auto put = store_.put(id, record.data());
        if (graph_ && put.changed) {
            try {
                graph_->insert(put.slot);
            } catch (...) {
                graph_.reset(); // searches fall back to the exact scan, which has the new vector
                throw;
            }
        }
    }
    build_graph_if_due();
}

void VectorIndex::add_batch(std::span<const uint64_t> ids, std::span<const float> embeddings) {
    const size_t dims = config_.dims;
    if (embeddings.size() != ids.size() * dims) {
        throw Error(ErrorCode::INVALID_PARAMETER, "vector index: add_batch needs ids.size() x " +
                                                      std::to_string(dims) + " floats");
    }
    // encode every row before locking: a bad row then changes nothing, and searches
    // are not held up while rows are normalised (INT8 records are a quarter of the input)
    const size_t record_bytes = store_.record_bytes();
    std::vector<std::byte> records(ids.size() * record_bytes);
    for (size_t i = 0; i < ids.size(); ++i) {
        encode_checked(embeddings.subspan(i * dims, dims), records.data() + i * record_bytes);
    }
    std::lock_guard writer(writer_mutex_);
    {
        std::unique_lock lock(mutex_);
        store_.reserve(store_.size() + ids.size());  // total ids, at most
        std::vector<uint32_t> fresh; // slots the graph has never seen, linked in parallel below
        try {
            for (size_t i = 0; i < ids.size(); ++i) {
                const auto put = store_.put(ids[i], records.data() + i * record_bytes);
                if (!graph_ || !put.changed) {
                    continue;
                }
                if (graph_->contains(put.slot)) {
                    graph_->insert(put.slot); // re-link a replaced vector or a reused slot
                } else {
                    fresh.push_back(put.slot);
                }
            }
            if (graph_ && !fresh.empty()) {
                std::sort(fresh.begin(), fresh.end());
                fresh.erase(std::unique(fresh.begin(), fresh.end()), fresh.end()); // an id repeated in the batch
                graph_->insert_parallel(fresh, build_threads());
            }
        } catch (...) {
            graph_.reset(); // whatever was stored is found by the exact scan
            throw;
        }
    }
    build_graph_if_due();
}

void VectorIndex::build_graph_if_due() {
    // Holding writer_mutex_ (the caller does) nobody else can change store_, so it is
    // read here without mutex_: searches only read it too, and keep running meanwhile.
    if (graph_ || store_.size() < config_.approximate_from || store_.size() == 0) {
        return;
    }
    std::vector<uint32_t> slots;
    slots.reserve(store_.size());
    for (uint32_t slot = 0; slot < store_.slot_count(); ++slot) {
        if (store_.live(slot)) {
            slots.push_back(slot);
        }
    }
    auto graph = std::make_unique<HnswGraph>(store_, hnsw_params(), store_.slot_count());
    graph->insert_parallel(slots, build_threads());
    std::unique_lock lock(mutex_);
    graph_ = std::move(graph);
}

bool VectorIndex::remove(uint64_t id) {
    std::lock_guard writer(writer_mutex_);
    std::unique_lock lock(mutex_);
    const auto slot = store_.erase(id);
    if (!slot) {
        return false;
    }
    if (graph_) {
        graph_->remove(*slot); // cannot throw: a flag in the node
    }
    return true;
}

bool VectorIndex::contains(uint64_t id) const {
    std::shared_lock lock(mutex_);
    return store_.find(id).has_value();
}

std::vector<IndexHit> VectorIndex::search(std::span<const float> query, size_t k, float min_cosine) const {
    if (std::isnan(min_cosine)) {
        throw Error(ErrorCode::INVALID_PARAMETER, "vector index: min_cosine is NaN");
    }
    std::vector<std::byte> q(store_.record_bytes());
    encode_checked(query, q.data());
    std::shared_lock lock(mutex_);
    const size_t n = store_.size();
    if (k == 0 || n == 0) {
        return {};
    }
    k = std::min(k, n);
    if (graph_ && n >= config_.approximate_from && k < n) {
        return search_graph_locked(q.data(), k, min_cosine);
    }
    return search_exact_locked(q.data(), k, min_cosine);
}

std::vector<IndexHit> VectorIndex::search_exact(std::span<const float> query, size_t k, float min_cosine) const {
    if (std::isnan(min_cosine)) {
        throw Error(ErrorCode::INVALID_PARAMETER, "vector index: min_cosine is NaN");
    }
    std::vector<std::byte> q(store_.record_bytes());
    encode_checked(query, q.data());
    std::shared_lock lock(mutex_);
    if (k == 0 || store_.size() == 0) {
        return {};
    }
    return search_exact_locked(q.data(), std::min(k, store_.size()), min_cosine);
}

std::vector<IndexHit> VectorIndex::search_exact_locked(const std::byte* query, size_t k, float min_cosine) const {
    // min-heap on "better": top() is the worst hit kept so far
    auto worse_on_top = [](const IndexHit& a, const IndexHit& b) { return better(a, b); };
    std::priority_queue<IndexHit, std::vector<IndexHit>, decltype(worse_on_top)> top(worse_on_top);
    float floor = min_cosine;
    float scores[VectorStore::kBlockSlots];
    const size_t slots = store_.slot_count();
    for (size_t block = 0; block < store_.block_count(); ++block) {
        store_.score_block(query, block, scores);
        const size_t first = block * VectorStore::kBlockSlots;
        const size_t count = std::min<size_t>(VectorStore::kBlockSlots, slots - first);
        for (size_t i = 0; i < count; ++i) {
            const float cosine = clamp_cosine(scores[i]);
            if (cosine < floor) {
                continue;
            }
            const auto slot = uint32_t(first + i);
            if (!store_.live(slot)) {
                continue; // a removed face whose bytes wait for reuse
            }
            const IndexHit hit{store_.id_at(slot), cosine};
            if (top.size() < k) {
                top.push(hit);
            } else if (better(hit, top.top())) {
                top.pop();
                top.push(hit);
            } else {
                continue;
            }
            if (top.size() == k) {
                floor = std::max(min_cosine, top.top().cosine);
            }
        }
    }
    std::vector<IndexHit> out(top.size());
    for (size_t i = out.size(); i-- > 0; top.pop()) {
        out[i] = top.top();
    }
    return out;
}

std::vector<IndexHit> VectorIndex::search_graph_locked(const std::byte* query, size_t k, float min_cosine) const {
    std::vector<IndexHit> out;
    out.reserve(k);
    for (uint32_t slot : graph_->search(query, k)) {
        // the graph never returns removed slots; checking liveness costs nothing and guards it anyway
        if (!store_.live(slot)) {
            continue;
        }
        // rescored with the store's scorer: the very number the exact scan reports
        const float cosine = clamp_cosine(store_.score(query, store_.record(slot)));
        if (cosine >= min_cosine) {
            out.push_back({store_.id_at(slot), cosine});
        }
    }
    std::sort(out.begin(), out.end(), better);
    return out;
}

void VectorIndex::set_approximate_from(size_t faces) {
    std::lock_guard writer(writer_mutex_);
    {
        std::unique_lock lock(mutex_);
        config_.approximate_from = faces;
    }
    build_graph_if_due();
}

void VectorIndex::set_ef_search(size_t ef) {
    if (ef == 0) {
        throw Error(ErrorCode::INVALID_PARAMETER, "vector index: hnsw ef values must be positive");
    }
    std::lock_guard writer(writer_mutex_);
    std::unique_lock lock(mutex_);
    config_.hnsw_ef_search = ef;
    if (graph_) {
        graph_->set_ef_search(ef);
    }
}

VectorIndexConfig VectorIndex::config() const {
    std::shared_lock lock(mutex_);
    return config_;
}

size_t VectorIndex::size() const {
    std::shared_lock lock(mutex_);
    return store_.size();
}

bool VectorIndex::approximate() const {
    std::shared_lock lock(mutex_);
    return graph_ && store_.size() >= config_.approximate_from;
}

size_t VectorIndex::memory_bytes() const {
    std::shared_lock lock(mutex_);
    return sizeof(*this) + store_.memory_bytes() + (graph_ ? graph_->memory_bytes() : 0);
}

} // namespace facegate
