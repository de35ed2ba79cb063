// SPDX-License-Identifier: MIT
#pragma once

#include "index/simd_kernels.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

namespace facegate {

// how the index keeps each vector in memory
enum class VectorForm {
    FLOAT32, // 4 bytes a dimension; exact cosines
    INT8,    // 1 byte a dimension + a float scale; cosines within ~1e-3 of FLOAT32
};

// Slot-addressed storage of encoded vectors plus the id <-> slot maps.
// Records live in fixed-size blocks and never move, so the HNSW graph can keep
// plain pointers to them; a removed slot keeps its bytes until the slot is reused,
// because the graph may still route through it. Not thread-safe: VectorIndex
// serialises writers and lets readers share.
class VectorStore {
  public:
    static constexpr uint32_t kBlockSlots = 1024;

    VectorStore(size_t dims, VectorForm form);

    size_t dims() const { return dims_; }
    VectorForm form() const { return form_; }
    // bytes of one encoded record (also the stride between records in a block)
    size_t record_bytes() const { return record_bytes_; }
    // INT8: byte offset of the float scale inside a record (after the padded int8 values)
    size_t scale_offset() const { return scale_offset_; }

    // encodes a unit-length vector (dims() floats) into record_bytes() bytes at out.
    // INT8: symmetric per-vector quantisation to [-127, 127], then a scale that makes
    // the decoded vector unit-length again, so scores stay cosines
    void encode(const float* unit, std::byte* out) const;
    // cosine between two encoded records (a query is encoded the same way)
    float score(const std::byte* a, const std::byte* b) const;
    // scores of every slot in a block, out has kBlockSlots room; slots past slot_count() are left unset
    void score_block(const std::byte* query, size_t block, float* out) const;

    struct PutResult {
        uint32_t slot;
        bool added;   // the id was new (else its vector was replaced in place)
        bool changed; // the stored bytes differ from before (always true when added)
    };
    // stores id's record, replacing the id's previous vector; reuses a freed slot when one exists
    PutResult put(uint64_t id, const std::byte* record);
    // frees id's slot; the record bytes stay until reuse. nullopt when id is absent
    std::optional<uint32_t> erase(uint64_t id);
    std::optional<uint32_t> find(uint64_t id) const;

    bool live(uint32_t slot) const { return slot < live_.size() && live_[slot] != 0; }
    uint64_t id_at(uint32_t slot) const { return slot_ids_[slot]; }
    const std::byte* record(uint32_t slot) const {
        return blocks_[slot / kBlockSlots].get() + size_t(slot % kBlockSlots) * record_bytes_;
    }

    size_t size() const { return ids_.size(); }
    // slots handed out so far, live or freed: the scan range of an exact search
    size_t slot_count() const { return slot_ids_.size(); }
    size_t block_count() const { return blocks_.size(); }
    // makes room for `ids` live ids in total, so a bulk load does not over-allocate
    void reserve(size_t ids);
    // bytes held, counting capacity and estimated hash-node overhead
    size_t memory_bytes() const;

  private:
    struct BlockDeleter {
        void operator()(std::byte* p) const;
    };
    using Block = std::unique_ptr<std::byte[], BlockDeleter>;

    std::byte* mutable_record(uint32_t slot) {
        return blocks_[slot / kBlockSlots].get() + size_t(slot % kBlockSlots) * record_bytes_;
    }
    uint32_t allocate_slot();

    size_t dims_;
    VectorForm form_;
    size_t record_bytes_;
    size_t scale_offset_; // INT8: where the float scale sits in a record
    const simd::Kernels& kernels_;
    std::vector<Block> blocks_;
    std::vector<uint64_t> slot_ids_; // slot -> id (meaningful only while live)
    std::vector<uint8_t> live_;      // slot -> 1 when it holds a current vector
    std::vector<uint32_t> free_;     // freed slots, reused last-in first-out
    std::unordered_map<uint64_t, uint32_t> ids_; // id -> slot
};

} // namespace facegate
