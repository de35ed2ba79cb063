// SPDX-License-Identifier: MIT
#pragma once

#include "index/vector_store.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace facegate {

struct HnswParams {
    size_t m = 16;                // links per node (level 0 keeps 2*m)
    size_t ef_construction = 100; // candidate list while linking a new node
    size_t ef_search = 256;       // candidate list while searching (raised to k when k is larger)
};

// An HNSW graph (Debian's header-only hnswlib) over the records of a VectorStore.
// Each graph element is a pointer to its record in the store and its label is the
// slot, so a vector is held once, in its compact form, and the graph's distance is
// the same compact dot product the exact search uses.
// Threading: search() may run concurrently with other search() calls; every other
// member needs exclusive access (insert_parallel runs its own worker threads).
// hnswlib is included only by hnsw_graph.cpp.
class HnswGraph {
  public:
    HnswGraph(const VectorStore& store, HnswParams params, size_t capacity);
    ~HnswGraph();
    HnswGraph(const HnswGraph&) = delete;
    HnswGraph& operator=(const HnswGraph&) = delete;

    size_t capacity() const;
    // grows the element capacity to at least `capacity` (never shrinks)
    void reserve(size_t capacity);
    // links a slot whose record is in the store; a slot already in the graph is
    // re-linked for its new record and un-marked if it had been removed
    void insert(uint32_t slot);
    // links many slots not yet in the graph using `threads` workers (>= 1)
    void insert_parallel(std::span<const uint32_t> slots, unsigned threads);
    bool contains(uint32_t slot) const;
    // marks the slot deleted: searches route through it but never return it
    void remove(uint32_t slot);
    void set_ef_search(size_t ef);
    // up to k live slots nearest to the encoded query, nearest first
    std::vector<uint32_t> search(const std::byte* query, size_t k) const;
    // elements in the graph, including removed ones
    size_t element_count() const;
    size_t memory_bytes() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace facegate
