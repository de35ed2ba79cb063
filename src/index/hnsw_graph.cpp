// SPDX-License-Identifier: MIT
#include "index/hnsw_graph.h"

#include "common/error.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>

// hnswlib.h defines four non-inline functions at global scope (cpuid, xgetbv,
// AVXCapable, AVX512Capable); give them names private to this module so another
// translation unit that also includes hnswlib does not clash at link time.
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <x86intrin.h>
#endif
// hnswlib's prefetches read one link past the end of a node's upper-level list
// (harmless: only used as a prefetch address), which AddressSanitizer reports as
// an overflow; sanitizer builds go without them.
#if defined(__SANITIZE_ADDRESS__) && !defined(NO_MANUAL_VECTORIZATION)
#define NO_MANUAL_VECTORIZATION
#endif
#define cpuid facegate_index_hnswlib_cpuid
#define xgetbv facegate_index_hnswlib_xgetbv
#define AVXCapable facegate_index_hnswlib_avx_capable
#define AVX512Capable facegate_index_hnswlib_avx512_capable
#include <hnswlib/hnswlib.h>
#undef cpuid
#undef xgetbv
#undef AVXCapable
#undef AVX512Capable

namespace facegate {
namespace {

using Record = const std::byte*;

// what the distance functions need, fixed when the graph is made
struct DistanceParams {
    const VectorStore* store;
    size_t dims;
    size_t scale_offset; // INT8: where the float scale sits in a record
    float (*dot_f32)(const float*, const float*, size_t);
    int32_t (*dot_i8)(const int8_t*, const int8_t*, size_t);
};

// Each element's data is a Record (a pointer into the store), so both arguments
// are pointers to pointers. Distance = 1 - the store's score, computed the same way.
float distance_f32(const void* a, const void* b, const void* param) {
    const auto* p = static_cast<const DistanceParams*>(param);
    Record ra = nullptr;
    Record rb = nullptr;
    std::memcpy(&ra, a, sizeof ra);
    std::memcpy(&rb, b, sizeof rb);
    return 1.0f - p->dot_f32(reinterpret_cast<const float*>(ra), reinterpret_cast<const float*>(rb), p->dims);
}

float distance_i8(const void* a, const void* b, const void* param) {
    const auto* p = static_cast<const DistanceParams*>(param);
    Record ra = nullptr;
    Record rb = nullptr;
    std::memcpy(&ra, a, sizeof ra);
    std::memcpy(&rb, b, sizeof rb);
    float sa = 0.0f;
    float sb = 0.0f;
    std::memcpy(&sa, ra + p->scale_offset, sizeof sa);
    std::memcpy(&sb, rb + p->scale_offset, sizeof sb);
    const int32_t dot = p->dot_i8(reinterpret_cast<const int8_t*>(ra), reinterpret_cast<const int8_t*>(rb), p->dims);
    return 1.0f - float(dot) * sa * sb;
}

class RecordSpace final : public hnswlib::SpaceInterface<float> {
  public:
    explicit RecordSpace(const VectorStore& store)
        : params_{&store, store.dims(), store.scale_offset(), simd::kernels().dot_f32, simd::kernels().dot_i8} {}
    size_t get_data_size() override { return sizeof(Record); }
    hnswlib::DISTFUNC<float> get_dist_func() override {
        return params_.store->form() == VectorForm::INT8 ? distance_i8 : distance_f32;
    }
    void* get_dist_func_param() override { return &params_; }

  private:
    DistanceParams params_;
};

// what malloc adds to each upper-level link list hnswlib allocates
constexpr size_t kMallocOverhead = 16;
// share of a re-linked node's neighbours whose own links are recomputed, see insert()
constexpr float kUpdateNeighbourShare = 0.25f;

} // namespace

struct HnswGraph::Impl {
    Impl(const VectorStore& s, HnswParams p, size_t capacity)
        : store(s), space(s), hnsw(&space, std::max<size_t>(capacity, 1), p.m, p.ef_construction) {
        hnsw.setEf(p.ef_search);
    }

    // bytes hnswlib mallocs for the upper-level link lists of one element
    size_t upper_bytes(hnswlib::tableint internal) const {
        const int level = hnsw.element_levels_[internal];
        return level > 0 ? hnsw.size_links_per_element_ * size_t(level) + 1 + kMallocOverhead : 0;
    }

    const VectorStore& store;
    RecordSpace space;
    hnswlib::HierarchicalNSW<float> hnsw;
    size_t upper_level_bytes = 0;
    // visited lists are created on demand, one per concurrent search or build
    // thread, and kept until the next resize; track how many for memory_bytes()
    mutable std::atomic<size_t> active_searches{0};
    mutable std::atomic<size_t> visited_lists{1};
};

HnswGraph::HnswGraph(const VectorStore& store, HnswParams params, size_t capacity)
    : impl_(std::make_unique<Impl>(store, params, capacity)) {}

HnswGraph::~HnswGraph() = default;

size_t HnswGraph::capacity() const { return impl_->hnsw.max_elements_; }

void HnswGraph::reserve(size_t capacity) {
    if (capacity > impl_->hnsw.max_elements_) {
        impl_->hnsw.resizeIndex(capacity);
        impl_->visited_lists = 1; // resizeIndex starts a fresh pool
    }
}

void HnswGraph::insert(uint32_t slot) {
    auto& h = impl_->hnsw;
    Record record = impl_->store.record(slot);
    if (auto it = h.label_lookup_.find(slot); it != h.label_lookup_.end()) {
        // A replaced vector or a reused slot: re-link the existing node in place.
        // hnswlib's own path (addPoint on a known label) recomputes the links of all
        // ~2M neighbours from their ~(2M)^2 two-hop candidates: ~(2M)^3 distances,
        // 33k at M=16. A quarter of the neighbours keeps the cost near one insert;
        // a neighbour not refreshed just keeps one longer edge to this node.
        const hnswlib::tableint internal = it->second;
        if (h.isMarkedDeleted(internal)) {
            h.unmarkDeletedInternal(internal);
        }
        h.updatePoint(&record, internal, kUpdateNeighbourShare);
        return;
    }
    if (h.cur_element_count >= h.max_elements_) {
        // grow by a quarter: resizing reallocates the per-element tables, so not every add
        reserve(h.max_elements_ + std::max<size_t>(h.max_elements_ / 4, VectorStore::kBlockSlots));
    }
    const hnswlib::tableint internal = h.addPoint(&record, slot, -1);
    impl_->upper_level_bytes += impl_->upper_bytes(internal);
}

// hnswlib supports concurrent addPoint of distinct labels (per-node locks); this is
// how its own Python binding builds in parallel. The one unguarded state is its
// level RNG (a single integer): formally a data race (ThreadSanitizer reports it),
// in practice it can only make two nodes draw the same random level.
void HnswGraph::insert_parallel(std::span<const uint32_t> slots, unsigned threads) {
    reserve(impl_->hnsw.cur_element_count + slots.size());
    threads = std::max(1u, std::min<unsigned>(threads, unsigned(std::max<size_t>(slots.size() / 64, 1))));
    std::atomic<size_t> next{0};
    std::atomic<bool> failed{false};
    std::exception_ptr error;
    std::mutex error_mutex;
    auto work = [&] {
        try {
            for (size_t i = next++; i < slots.size() && !failed; i = next++) {
                Record record = impl_->store.record(slots[i]);
                impl_->hnsw.addPoint(&record, slots[i], -1);
            }
        } catch (...) {
            std::lock_guard lock(error_mutex);
            if (!error) {
                error = std::current_exception();
            }
            failed = true;
        }
    };
    std::vector<std::thread> workers;
    workers.reserve(threads - 1);
    for (unsigned t = 1; t < threads; ++t) {
        workers.emplace_back(work);
    }
    work();
    for (auto& w : workers) {
        w.join();
    }
    impl_->visited_lists = std::max<size_t>(impl_->visited_lists, threads);
    if (error) {
        std::rethrow_exception(error);
    }
    for (uint32_t slot : slots) {
        impl_->upper_level_bytes += impl_->upper_bytes(impl_->hnsw.label_lookup_.at(slot));
    }
}

bool HnswGraph::contains(uint32_t slot) const {
    return impl_->hnsw.label_lookup_.find(slot) != impl_->hnsw.label_lookup_.end();
}

void HnswGraph::remove(uint32_t slot) {
    auto it = impl_->hnsw.label_lookup_.find(slot);
    if (it != impl_->hnsw.label_lookup_.end() && !impl_->hnsw.isMarkedDeleted(it->second)) {
        impl_->hnsw.markDeletedInternal(it->second);
    }
}

void HnswGraph::set_ef_search(size_t ef) { impl_->hnsw.setEf(ef); }

std::vector<uint32_t> HnswGraph::search(const std::byte* query, size_t k) const {
    std::vector<uint32_t> out;
    if (k == 0 || impl_->hnsw.cur_element_count == 0) {
        return out;
    }
    // count concurrent searches: each holds one visited list, see memory_bytes()
    struct ActiveSearch {
        std::atomic<size_t>& active;
        explicit ActiveSearch(std::atomic<size_t>& a) : active(a) { ++active; }
        ~ActiveSearch() { --active; }
    } guard(impl_->active_searches);
    const size_t active = impl_->active_searches.load();
    size_t lists = impl_->visited_lists.load();
    while (active > lists && !impl_->visited_lists.compare_exchange_weak(lists, active)) {
    }
    auto result = impl_->hnsw.searchKnn(&query, k);
    out.resize(result.size());
    // the queue pops furthest first
    for (size_t i = out.size(); i-- > 0; result.pop()) {
        out[i] = uint32_t(result.top().second);
    }
    return out;
}

size_t HnswGraph::element_count() const { return impl_->hnsw.cur_element_count; }

size_t HnswGraph::memory_bytes() const {
    const auto& h = impl_->hnsw;
    return h.max_elements_ * (h.size_data_per_element_ + sizeof(void*)) + // level 0 block + upper-level pointers
           h.element_levels_.capacity() * sizeof(int) + h.link_list_locks_.size() * sizeof(std::mutex) +
           h.link_list_update_locks_.size() * sizeof(std::mutex) + impl_->upper_level_bytes +
           h.label_lookup_.bucket_count() * sizeof(void*) + h.label_lookup_.size() * 32 +
           impl_->visited_lists.load() * h.max_elements_ * sizeof(hnswlib::vl_type);
}

} // namespace facegate
