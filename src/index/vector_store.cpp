// SPDX-License-Identifier: MIT
#include "index/vector_store.h"

#include "common/error.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <new>

namespace facegate {
namespace {

constexpr std::align_val_t kBlockAlign{64};
// a libstdc++ hash node for pair<const uint64_t, uint32_t>: next pointer + pair, as malloc rounds it
constexpr size_t kMapNodeBytes = 32;

size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

} // namespace

void VectorStore::BlockDeleter::operator()(std::byte* p) const { ::operator delete[](p, kBlockAlign); }

VectorStore::VectorStore(size_t dims, VectorForm form)
    : dims_(dims), form_(form), kernels_(simd::kernels()) {
    if (form_ == VectorForm::FLOAT32) {
        record_bytes_ = dims_ * sizeof(float);
        scale_offset_ = 0;
    } else {
        scale_offset_ = round_up(dims_, alignof(float));
        record_bytes_ = scale_offset_ + sizeof(float);
    }
}

void VectorStore::encode(const float* unit, std::byte* out) const {
    if (form_ == VectorForm::FLOAT32) {
        std::memcpy(out, unit, record_bytes_);
        return;
    }
    float max_abs = 0.0f;
    for (size_t i = 0; i < dims_; ++i) {
        max_abs = std::max(max_abs, std::fabs(unit[i]));
    }
    // callers pass unit-length vectors, so max_abs > 0; guard anyway so a zero vector encodes as zeros
    const float to_int = max_abs > 0.0f ? 127.0f / max_abs : 0.0f;
    auto* q = reinterpret_cast<int8_t*>(out);
    int64_t norm2 = 0;
    for (size_t i = 0; i < dims_; ++i) {
        const long v = std::clamp(std::lrint(unit[i] * to_int), -127L, 127L);
        q[i] = int8_t(v);
        norm2 += v * v;
    }
    std::memset(out + dims_, 0, scale_offset_ - dims_);
    const float scale = norm2 > 0 ? float(1.0 / std::sqrt(double(norm2))) : 0.0f;
    std::memcpy(out + scale_offset_, &scale, sizeof scale);
}

float VectorStore::score(const std::byte* a, const std::byte* b) const {
    if (form_ == VectorForm::FLOAT32) {
        return kernels_.dot_f32(reinterpret_cast<const float*>(a), reinterpret_cast<const float*>(b), dims_);
    }
    float sa = 0.0f;
    float sb = 0.0f;
    std::memcpy(&sa, a + scale_offset_, sizeof sa);
    std::memcpy(&sb, b + scale_offset_, sizeof sb);
    const int32_t dot = kernels_.dot_i8(reinterpret_cast<const int8_t*>(a), reinterpret_cast<const int8_t*>(b), dims_);
    // same expression as score_block, so both paths give identical floats
    return float(dot) * sa * sb;
}

void VectorStore::score_block(const std::byte* query, size_t block, float* out) const {
    const size_t first = block * kBlockSlots;
    const size_t count = std::min<size_t>(kBlockSlots, slot_count() - first);
    const std::byte* records = blocks_[block].get();
    if (form_ == VectorForm::FLOAT32) {
        kernels_.dot_f32_strided(reinterpret_cast<const float*>(query), records, record_bytes_, count, dims_, out);
        return;
    }
    int32_t dots[kBlockSlots];
    kernels_.dot_i8_strided(reinterpret_cast<const int8_t*>(query), records, record_bytes_, count, dims_, dots);
    float sq = 0.0f;
    std::memcpy(&sq, query + scale_offset_, sizeof sq);
    for (size_t i = 0; i < count; ++i) {
        float sr = 0.0f;
        std::memcpy(&sr, records + i * record_bytes_ + scale_offset_, sizeof sr);
        out[i] = float(dots[i]) * sq * sr;
    }
}

uint32_t VectorStore::allocate_slot() {
    if (!free_.empty()) {
        const uint32_t slot = free_.back();
        free_.pop_back();
        return slot;
    }
    const size_t slot = slot_ids_.size();
    if (slot >= std::numeric_limits<uint32_t>::max()) {
        throw Error(ErrorCode::INVALID_PARAMETER, "vector index is full");
    }
    if (slot / kBlockSlots >= blocks_.size()) {
        blocks_.emplace_back(static_cast<std::byte*>(::operator new[](kBlockSlots * record_bytes_, kBlockAlign)));
    }
    slot_ids_.push_back(0);
    try {
        live_.push_back(0);
    } catch (...) {
        slot_ids_.pop_back(); // keep the two slot tables the same length
        throw;
    }
    return uint32_t(slot);
}

VectorStore::PutResult VectorStore::put(uint64_t id, const std::byte* record) {
    if (auto it = ids_.find(id); it != ids_.end()) {
        std::byte* dst = mutable_record(it->second);
        const bool changed = std::memcmp(dst, record, record_bytes_) != 0;
        std::memcpy(dst, record, record_bytes_);
        return {it->second, false, changed};
    }
    // reserve the map entry first so a throwing allocation leaves no half-made slot
    ids_.reserve(ids_.size() + 1);
    const uint32_t slot = allocate_slot();
    std::memcpy(mutable_record(slot), record, record_bytes_);
    slot_ids_[slot] = id;
    live_[slot] = 1;
    ids_.emplace(id, slot);
    return {slot, true, true};
}

std::optional<uint32_t> VectorStore::erase(uint64_t id) {
    auto it = ids_.find(id);
    if (it == ids_.end()) {
        return std::nullopt;
    }
    const uint32_t slot = it->second;
    free_.reserve(free_.size() + 1); // may throw; nothing changed yet
    ids_.erase(it);
    live_[slot] = 0;
    free_.push_back(slot);
    return slot;
}

std::optional<uint32_t> VectorStore::find(uint64_t id) const {
    auto it = ids_.find(id);
    if (it == ids_.end()) {
        return std::nullopt;
    }
    return it->second;
}

void VectorStore::reserve(size_t ids) {
    if (ids <= size()) {
        return;
    }
    const size_t more = ids - size();
    const size_t slots = slot_count() + (more > free_.size() ? more - free_.size() : 0);
    slot_ids_.reserve(slots);
    live_.reserve(slots);
    ids_.reserve(ids);
}

size_t VectorStore::memory_bytes() const {
    return blocks_.size() * (kBlockSlots * record_bytes_) + blocks_.capacity() * sizeof(Block) +
           slot_ids_.capacity() * sizeof(uint64_t) + live_.capacity() * sizeof(uint8_t) +
           free_.capacity() * sizeof(uint32_t) + ids_.bucket_count() * sizeof(void*) + ids_.size() * kMapNodeBytes;
}

} // namespace facegate
