// SPDX-License-Identifier: MIT
#pragma once

#include "index/hnsw_graph.h"
#include "index/vector_store.h"

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <vector>

namespace facegate {

struct VectorIndexConfig {
    size_t dims = 512;
    // INT8 keeps ~0.52 KB a face (cosine error ~1e-3); FLOAT32 keeps 4 bytes a dimension
    VectorForm form = VectorForm::INT8;
    // search() uses the HNSW graph once the index holds this many faces; below it
    // (and for search_exact) every face is scanned. SIZE_MAX: never build a graph.
    // 100k: an INT8 scan of 100k faces takes ~2 ms on AVX2, about what the graph
    // needs for recall@1 >= 0.99 there (docs/benchmarks-index.md), and it is exact
    size_t approximate_from = 100000;
    size_t hnsw_m = 16;                // graph links per node, 2..256 (level 0 keeps 2*M)
    size_t hnsw_ef_construction = 100; // build-time candidate list, >= 1
    size_t hnsw_ef_search = 256;       // search-time candidate list, >= 1 (raised to k)
    // threads for building the graph in one go (reaching approximate_from, add_batch); 0: all cores
    unsigned build_threads = 0;
};

struct IndexHit {
    uint64_t id;
    float cosine; // in [-1, 1]; for INT8 within ~1e-3 of the float32 cosine
};

// The in-memory search index of one collection. Ids are the store's row ids.
// Embeddings are normalised on the way in (any non-zero finite vector is accepted),
// so scores are cosines. Thread-safe: any number of concurrent searches; writers
// are serialised and take priority over new searches. A search sees each write
// either wholly or not at all.
//
// When the size first reaches approximate_from the graph is built by the writer
// that crossed it, on build_threads threads, while searches carry on with the exact
// scan; other writers wait for the build. After that every write updates the graph
// in place, and the graph is kept even if the size drops below the threshold again
// (search() goes back to the exact scan then).
class VectorIndex {
  public:
    // throws Error(INVALID_PARAMETER) for an unusable config
    explicit VectorIndex(VectorIndexConfig config = {});
    ~VectorIndex();
    VectorIndex(const VectorIndex&) = delete;
    VectorIndex& operator=(const VectorIndex&) = delete;

    // adds id, or replaces its vector. Error(INVALID_PARAMETER) when the size is not
    // dims, or the vector is zero or not finite (then nothing changes). Any other
    // exception (memory exhaustion in the graph) comes after the vector is stored:
    // the graph is then dropped, search() scans exactly, and the next write rebuilds it
    void add(uint64_t id, std::span<const float> embedding);
    // adds or replaces many (row-major, ids.size() x dims floats), building or
    // updating the graph on build_threads threads: the way to load a collection at
    // start. All rows are checked before any is applied; a repeated id keeps its last row
    void add_batch(std::span<const uint64_t> ids, std::span<const float> embeddings);
    // false when id is absent; a removed id is never returned by a later search
    bool remove(uint64_t id);
    bool contains(uint64_t id) const;

    // up to k hits with cosine >= min_cosine, best first (ties: lower id first).
    // Uses the graph when approximate() and k < size(), otherwise the exact scan.
    // Error(INVALID_PARAMETER) for a query of the wrong size, zero or not finite, or a NaN min_cosine
    std::vector<IndexHit> search(std::span<const float> query, size_t k, float min_cosine = -1.0f) const;
    // the same, always scanning every face (small collections, and to measure recall)
    std::vector<IndexHit> search_exact(std::span<const float> query, size_t k, float min_cosine = -1.0f) const;

    size_t size() const;
    // whether search() currently goes through the graph
    bool approximate() const;
    // bytes held by the vectors, id maps and graph (capacity included; hash-node sizes estimated)
    size_t memory_bytes() const;
    // changes the size from which search() uses the graph; when the index is already that large the
    // graph is built now, on this thread, while searches carry on with the exact scan (writers wait)
    void set_approximate_from(size_t faces);
    // retunes the search-time candidate list (>= 1); Error(INVALID_PARAMETER) for 0
    void set_ef_search(size_t ef);
    VectorIndexConfig config() const;

  private:
    // std::shared_mutex on glibc prefers readers, so a steady stream of searches
    // could starve writers. Every locker passes a turnstile first, and a writer
    // holds it until it owns the lock, which stops new searches from overtaking it.
    class WriterPreferringMutex {
      public:
        void lock() {
            std::lock_guard turnstile(turnstile_);
            rw_.lock();
        }
        void unlock() { rw_.unlock(); }
        void lock_shared() {
            std::lock_guard turnstile(turnstile_);
            rw_.lock_shared();
        }
        void unlock_shared() { rw_.unlock_shared(); }

      private:
        std::mutex turnstile_;
        std::shared_mutex rw_;
    };

    // checks size and values, then normalises and encodes into record_bytes() bytes at out
    void encode_checked(std::span<const float> embedding, std::byte* out) const;
    std::vector<IndexHit> search_exact_locked(const std::byte* query, size_t k, float min_cosine) const;
    std::vector<IndexHit> search_graph_locked(const std::byte* query, size_t k, float min_cosine) const;
    // builds the graph when the size has reached the threshold; caller holds writer_mutex_ only
    void build_graph_if_due();
    HnswParams hnsw_params() const;
    unsigned build_threads() const;

    VectorIndexConfig config_;             // approximate_from, hnsw_ef_search change under both locks
    std::mutex writer_mutex_;              // one writer at a time, held across a graph build
    mutable WriterPreferringMutex mutex_;  // shared by searches, exclusive for changes
    VectorStore store_;
    std::unique_ptr<HnswGraph> graph_; // when present, holds every live slot
};

} // namespace facegate
