// SPDX-License-Identifier: MIT
#include "index/simd_kernels.h"
#include "index/vector_index.h"

#include "common/error.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <cstdint>
#include <limits>
#include <ostream>
#include <random>
#include <set>
#include <thread>
#include <vector>

namespace facegate {

// readable parameter names in test listings (found by argument-dependent lookup)
void PrintTo(VectorForm form, std::ostream* os) { *os << (form == VectorForm::INT8 ? "INT8" : "FLOAT32"); }

namespace {

constexpr size_t kDims = 512;

// row-major unit vectors
std::vector<float> random_unit_vectors(size_t n, size_t dims, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> out(n * dims);
    for (size_t i = 0; i < n; ++i) {
        float* v = out.data() + i * dims;
        double norm2 = 0.0;
        for (size_t d = 0; d < dims; ++d) {
            v[d] = normal(rng);
            norm2 += double(v[d]) * v[d];
        }
        const float inv = float(1.0 / std::sqrt(norm2));
        for (size_t d = 0; d < dims; ++d) {
            v[d] *= inv;
        }
    }
    return out;
}

// another "photo" of the same face: the vector plus isotropic noise, cosine ~0.8 to the source
std::vector<float> noisy_copy(std::span<const float> v, std::mt19937& rng, float noise_norm = 0.75f) {
    std::normal_distribution<float> normal(0.0f, noise_norm / std::sqrt(float(v.size())));
    std::vector<float> out(v.begin(), v.end());
    double norm2 = 0.0;
    for (float& x : out) {
        x += normal(rng);
        norm2 += double(x) * x;
    }
    for (float& x : out) {
        x = float(x / std::sqrt(norm2));
    }
    return out;
}

std::span<const float> row(const std::vector<float>& m, size_t i, size_t dims = kDims) {
    return std::span<const float>(m).subspan(i * dims, dims);
}

double dot(std::span<const float> a, std::span<const float> b) {
    double s = 0.0;
    for (size_t i = 0; i < a.size(); ++i) {
        s += double(a[i]) * b[i];
    }
    return s;
}

struct RefHit {
    uint64_t id;
    double cosine;
};

// brute force in double over the original float vectors
std::vector<RefHit> reference_search(const std::vector<float>& data, const std::vector<uint64_t>& ids,
                                     std::span<const float> q, size_t k, double min_cosine = -2.0) {
    std::vector<RefHit> all;
    for (size_t i = 0; i < ids.size(); ++i) {
        const double c = dot(row(data, i), q);
        if (c >= min_cosine) {
            all.push_back({ids[i], c});
        }
    }
    std::sort(all.begin(), all.end(), [](const RefHit& a, const RefHit& b) {
        return a.cosine > b.cosine || (a.cosine == b.cosine && a.id < b.id);
    });
    all.resize(std::min(k, all.size()));
    return all;
}

void expect_sorted(const std::vector<IndexHit>& hits) {
    for (size_t i = 1; i < hits.size(); ++i) {
        EXPECT_TRUE(hits[i - 1].cosine > hits[i].cosine ||
                    (hits[i - 1].cosine == hits[i].cosine && hits[i - 1].id < hits[i].id));
    }
}

template <typename F>
void expect_invalid_parameter(F&& f) {
    try {
        f();
        ADD_FAILURE() << "expected facegate::Error INVALID_PARAMETER";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::INVALID_PARAMETER) << e.what();
    }
}

// ---- kernels ----

TEST(SimdKernels, MatchScalarReferenceForAllLengths) {
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> uf(-1.0f, 1.0f);
    std::uniform_int_distribution<int> ui(-127, 127);
    std::vector<const simd::Kernels*> impls{&simd::portable_kernels()};
    if (simd::avx2_kernels() != nullptr) {
        impls.push_back(simd::avx2_kernels());
    }
    for (size_t n : {0u, 1u, 3u, 7u, 8u, 15u, 16u, 17u, 31u, 32u, 33u, 63u, 64u, 65u, 100u, 512u, 515u}) {
        std::vector<float> a(n), b(n);
        std::vector<int8_t> ia(n), ib(n);
        double ref = 0.0;
        int64_t iref = 0;
        for (size_t i = 0; i < n; ++i) {
            a[i] = uf(rng);
            b[i] = uf(rng);
            ia[i] = int8_t(ui(rng));
            ib[i] = int8_t(ui(rng));
            ref += double(a[i]) * b[i];
            iref += int64_t(ia[i]) * ib[i];
        }
        if (n >= 2) { // the extremes, where a careless int16 path would saturate
            ia[0] = 127, ib[0] = 127, ia[1] = -127, ib[1] = -127;
            iref = 0;
            for (size_t i = 0; i < n; ++i) {
                iref += int64_t(ia[i]) * ib[i];
            }
        }
        for (const auto* k : impls) {
            EXPECT_NEAR(k->dot_f32(a.data(), b.data(), n), ref, 1e-4) << k->name << " n=" << n;
            EXPECT_EQ(k->dot_i8(ia.data(), ib.data(), n), iref) << k->name << " n=" << n;
        }
    }
}

TEST(SimdKernels, StridedEqualsSingleCalls) {
    const size_t dims = 515, stride = 520 * sizeof(float), count = 9;
    std::vector<std::byte> recs(stride * count);
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> uf(-1.0f, 1.0f);
    std::vector<float> q(dims);
    for (auto& x : q) {
        x = uf(rng);
    }
    for (size_t r = 0; r < count; ++r) {
        auto* f = reinterpret_cast<float*>(recs.data() + r * stride);
        for (size_t d = 0; d < dims; ++d) {
            f[d] = uf(rng);
        }
    }
    const auto& k = simd::kernels();
    std::vector<float> out(count);
    k.dot_f32_strided(q.data(), recs.data(), stride, count, dims, out.data());
    for (size_t r = 0; r < count; ++r) {
        EXPECT_EQ(out[r], k.dot_f32(q.data(), reinterpret_cast<const float*>(recs.data() + r * stride), dims));
    }
    std::vector<int8_t> qi(dims);
    std::uniform_int_distribution<int> ui(-127, 127);
    for (auto& x : qi) {
        x = int8_t(ui(rng));
    }
    const size_t istride = 520;
    std::vector<std::byte> irecs(istride * count);
    for (auto& b : irecs) {
        b = std::byte(uint8_t(int8_t(ui(rng))));
    }
    std::vector<int32_t> iout(count);
    k.dot_i8_strided(qi.data(), irecs.data(), istride, count, dims, iout.data());
    for (size_t r = 0; r < count; ++r) {
        EXPECT_EQ(iout[r], k.dot_i8(qi.data(), reinterpret_cast<const int8_t*>(irecs.data() + r * istride), dims));
    }
}

// ---- exact search, both storage forms ----

class ExactSearch : public ::testing::TestWithParam<VectorForm> {};

TEST_P(ExactSearch, MatchesBruteForce) {
    const size_t n = 3000;
    const auto data = random_unit_vectors(n, kDims, 11);
    std::vector<uint64_t> ids(n);
    for (size_t i = 0; i < n; ++i) {
        ids[i] = 1000 + i * 7; // ids need not be dense
    }
    VectorIndex index(VectorIndexConfig{.form = GetParam()});
    index.add_batch(ids, data);
    ASSERT_EQ(index.size(), n);
    EXPECT_FALSE(index.approximate());

    const double tolerance = GetParam() == VectorForm::FLOAT32 ? 1e-5 : 0.01;
    std::mt19937 rng(5);
    double worst = 0.0;
    size_t top1_agree = 0;
    const size_t queries = 40;
    for (size_t qi = 0; qi < queries; ++qi) {
        const auto q = qi % 2 == 0 ? noisy_copy(row(data, qi * 31), rng) : random_unit_vectors(1, kDims, 100 + qi);
        const auto ref = reference_search(data, ids, q, 10);
        const auto hits = index.search(q, 10);
        ASSERT_EQ(hits.size(), 10u);
        expect_sorted(hits);
        top1_agree += hits[0].id == ref[0].id;
        for (const auto& h : hits) {
            const auto pos = size_t((h.id - 1000) / 7);
            const double truth = dot(row(data, pos), q);
            worst = std::max(worst, std::fabs(truth - h.cosine));
        }
        // every reference hit clearly above the 10th is found
        for (const auto& r : ref) {
            if (r.cosine > ref.back().cosine + 2 * tolerance) {
                EXPECT_TRUE(std::any_of(hits.begin(), hits.end(), [&](const IndexHit& h) { return h.id == r.id; }));
            }
        }
    }
    EXPECT_LT(worst, tolerance);
    // noisy copies always; random queries too for FLOAT32, and nearly always for INT8
    EXPECT_GE(top1_agree, GetParam() == VectorForm::FLOAT32 ? queries : queries / 2 + queries / 2 * 8 / 10);
}

TEST_P(ExactSearch, CosineErrorBoundOverAllPairs) {
    const size_t n = 1000;
    const auto data = random_unit_vectors(n, kDims, 21);
    std::vector<uint64_t> ids(n);
    for (size_t i = 0; i < n; ++i) {
        ids[i] = i;
    }
    VectorIndex index(VectorIndexConfig{.form = GetParam()});
    index.add_batch(ids, data);
    std::mt19937 rng(9);
    double worst = 0.0;
    for (size_t qi = 0; qi < 20; ++qi) {
        const auto q = noisy_copy(row(data, qi), rng, 0.5f);
        for (const auto& h : index.search_exact(q, n)) { // every stored vector
            worst = std::max(worst, std::fabs(dot(row(data, h.id), q) - h.cosine));
        }
    }
    EXPECT_LT(worst, GetParam() == VectorForm::FLOAT32 ? 1e-5 : 0.01);
    RecordProperty("worst_cosine_error", std::to_string(worst));
}

INSTANTIATE_TEST_SUITE_P(Forms, ExactSearch, ::testing::Values(VectorForm::FLOAT32, VectorForm::INT8),
                         [](const auto& info) { return info.param == VectorForm::INT8 ? "Int8" : "Float32"; });

// ---- semantics ----

TEST(VectorIndex, AddReplaceRemove) {
    const auto v = random_unit_vectors(3, kDims, 1);
    VectorIndex index;
    index.add(7, row(v, 0));
    EXPECT_EQ(index.size(), 1u);
    EXPECT_TRUE(index.contains(7));
    auto hits = index.search(row(v, 0), 5);
    ASSERT_EQ(hits.size(), 1u);
    EXPECT_EQ(hits[0].id, 7u);
    EXPECT_NEAR(hits[0].cosine, 1.0, 0.01);

    index.add(7, row(v, 1)); // replace
    EXPECT_EQ(index.size(), 1u);
    hits = index.search(row(v, 0), 5);
    ASSERT_EQ(hits.size(), 1u);
    EXPECT_NEAR(hits[0].cosine, dot(row(v, 0), row(v, 1)), 0.01);
    hits = index.search(row(v, 1), 5);
    EXPECT_NEAR(hits[0].cosine, 1.0, 0.01);

    index.add(9, row(v, 2));
    EXPECT_EQ(index.size(), 2u);
    EXPECT_TRUE(index.remove(7));
    EXPECT_FALSE(index.remove(7));
    EXPECT_FALSE(index.remove(12345));
    EXPECT_FALSE(index.contains(7));
    EXPECT_EQ(index.size(), 1u);
    hits = index.search(row(v, 1), 5);
    ASSERT_EQ(hits.size(), 1u);
    EXPECT_EQ(hits[0].id, 9u);

    // the freed slot is reused by the next new id
    index.add(11, row(v, 0));
    EXPECT_EQ(index.size(), 2u);
    hits = index.search(row(v, 0), 1);
    ASSERT_EQ(hits.size(), 1u);
    EXPECT_EQ(hits[0].id, 11u);
}

TEST(VectorIndex, EmbeddingsAreNormalised) {
    auto v = random_unit_vectors(1, kDims, 2);
    std::vector<float> scaled(v);
    for (auto& x : scaled) {
        x *= 37.5f;
    }
    VectorIndex index(VectorIndexConfig{.form = VectorForm::FLOAT32});
    index.add(1, scaled);
    const auto hits = index.search(v, 1);
    ASSERT_EQ(hits.size(), 1u);
    EXPECT_NEAR(hits[0].cosine, 1.0, 1e-5);
}

TEST(VectorIndex, EmptyIndexAndZeroK) {
    VectorIndex index;
    const auto q = random_unit_vectors(1, kDims, 3);
    EXPECT_EQ(index.size(), 0u);
    EXPECT_TRUE(index.search(q, 10).empty());
    EXPECT_TRUE(index.search_exact(q, 10).empty());
    index.add(1, q);
    EXPECT_TRUE(index.search(q, 0).empty());
    EXPECT_GT(index.memory_bytes(), 0u);
}

TEST(VectorIndex, KLargerThanSizeReturnsAllSorted) {
    const auto v = random_unit_vectors(5, kDims, 4);
    VectorIndex index;
    for (uint64_t i = 0; i < 5; ++i) {
        index.add(i, row(v, i));
    }
    for (size_t k : {5ul, 6ul, 100ul, std::numeric_limits<size_t>::max()}) {
        const auto hits = index.search(row(v, 2), k);
        ASSERT_EQ(hits.size(), 5u) << k;
        expect_sorted(hits);
        EXPECT_EQ(hits[0].id, 2u);
    }
}

TEST(VectorIndex, MinCosineFilters) {
    const size_t n = 2000;
    const auto data = random_unit_vectors(n, kDims, 12);
    std::vector<uint64_t> ids(n);
    for (size_t i = 0; i < n; ++i) {
        ids[i] = i;
    }
    VectorIndex index;
    index.add_batch(ids, data);
    std::mt19937 rng(1);
    const auto q = noisy_copy(row(data, 5), rng);
    // only the source clears 0.5; the rest are near 0
    auto hits = index.search(q, 10, 0.5f);
    ASSERT_EQ(hits.size(), 1u);
    EXPECT_EQ(hits[0].id, 5u);
    EXPECT_GE(hits[0].cosine, 0.5f);
    hits = index.search(q, 10, 0.99f);
    EXPECT_TRUE(hits.empty());
    // a threshold inside the bulk: the count matches brute force up to INT8 error at the edge
    const float threshold = 0.05f;
    hits = index.search(q, n, threshold);
    for (const auto& h : hits) {
        EXPECT_GE(h.cosine, threshold);
    }
    const auto ref_hi = reference_search(data, ids, q, n, threshold + 0.01);
    const auto ref_lo = reference_search(data, ids, q, n, threshold - 0.01);
    EXPECT_GE(hits.size(), ref_hi.size());
    EXPECT_LE(hits.size(), ref_lo.size());
}

TEST(VectorIndex, InvalidInputIsRejected) {
    VectorIndex index;
    const auto v = random_unit_vectors(2, kDims, 5);
    std::vector<float> short_vec(kDims - 1, 0.1f);
    std::vector<float> long_vec(kDims + 1, 0.1f);
    std::vector<float> zero(kDims, 0.0f);
    std::vector<float> with_nan(v.begin(), v.begin() + kDims);
    with_nan[10] = std::numeric_limits<float>::quiet_NaN();
    std::vector<float> with_inf(v.begin(), v.begin() + kDims);
    with_inf[3] = std::numeric_limits<float>::infinity();

    expect_invalid_parameter([&] { index.add(1, short_vec); });
    expect_invalid_parameter([&] { index.add(1, long_vec); });
    expect_invalid_parameter([&] { index.add(1, std::span<const float>()); });
    expect_invalid_parameter([&] { index.add(1, zero); });
    expect_invalid_parameter([&] { index.add(1, with_nan); });
    expect_invalid_parameter([&] { index.add(1, with_inf); });
    expect_invalid_parameter([&] { index.search(short_vec, 1); });
    expect_invalid_parameter([&] { index.search_exact(long_vec, 1); });
    expect_invalid_parameter([&] { index.search(zero, 1); });
    expect_invalid_parameter([&] { index.search(row(v, 0), 1, std::numeric_limits<float>::quiet_NaN()); });
    EXPECT_EQ(index.size(), 0u);

    // add_batch checks every row before applying any
    const std::vector<uint64_t> ids{1, 2};
    std::vector<float> batch(v);
    batch[kDims + 4] = std::numeric_limits<float>::quiet_NaN();
    expect_invalid_parameter([&] { index.add_batch(ids, batch); });
    expect_invalid_parameter([&] { index.add_batch(ids, row(v, 0)); });
    EXPECT_EQ(index.size(), 0u);

    expect_invalid_parameter([] { VectorIndex bad(VectorIndexConfig{.dims = 0}); });
    expect_invalid_parameter([] { VectorIndex bad(VectorIndexConfig{.hnsw_m = 1}); });
    expect_invalid_parameter([] { VectorIndex bad(VectorIndexConfig{.hnsw_ef_search = 0}); });
}

TEST(VectorIndex, AddBatchRepeatedIdKeepsLastRow) {
    const auto v = random_unit_vectors(3, kDims, 6);
    VectorIndex index;
    const std::vector<uint64_t> ids{4, 5, 4};
    index.add_batch(ids, v);
    EXPECT_EQ(index.size(), 2u);
    const auto hits = index.search(row(v, 2), 1);
    ASSERT_EQ(hits.size(), 1u);
    EXPECT_EQ(hits[0].id, 4u);
    EXPECT_NEAR(hits[0].cosine, 1.0, 0.01);
}

TEST(VectorIndex, OtherDimensions) {
    const size_t dims = 100; // not a multiple of the SIMD width
    const auto v = random_unit_vectors(50, dims, 8);
    for (auto form : {VectorForm::FLOAT32, VectorForm::INT8}) {
        VectorIndex index(VectorIndexConfig{.dims = dims, .form = form});
        for (uint64_t i = 0; i < 50; ++i) {
            index.add(i, row(v, i, dims));
        }
        for (uint64_t i = 0; i < 50; ++i) {
            const auto hits = index.search(row(v, i, dims), 1);
            ASSERT_EQ(hits.size(), 1u);
            EXPECT_EQ(hits[0].id, i);
        }
        expect_invalid_parameter([&] { index.add(99, row(v, 0)); });
    }
}

// ---- approximate index ----

// recall@1 of search() against search_exact() on noisy copies of stored vectors
double recall_at_1(const VectorIndex& index, const std::vector<float>& data, const std::vector<size_t>& rows,
                   uint32_t seed) {
    std::mt19937 rng(seed);
    size_t agree = 0;
    for (size_t r : rows) {
        const auto q = noisy_copy(row(data, r), rng);
        const auto approx = index.search(q, 1);
        const auto exact = index.search_exact(q, 1);
        agree += !approx.empty() && !exact.empty() && approx[0].id == exact[0].id;
    }
    return double(agree) / double(rows.size());
}

TEST(ApproximateIndex, RecallAt20kRandomVectors) {
    const size_t n = 20000;
    const auto data = random_unit_vectors(n, kDims, 31);
    std::vector<uint64_t> ids(n);
    for (size_t i = 0; i < n; ++i) {
        ids[i] = i;
    }
    VectorIndex index(VectorIndexConfig{.approximate_from = n, .build_threads = 2});
    index.add_batch(ids, data);
    ASSERT_TRUE(index.approximate());
    std::vector<size_t> rows;
    for (size_t i = 0; i < 400; ++i) {
        rows.push_back(i * 49 % n);
    }
    const double recall = recall_at_1(index, data, rows, 77);
    RecordProperty("recall_at_1", std::to_string(recall));
    EXPECT_GE(recall, 0.99);
    // memory per face stays within the 1.2 KB budget (the fixed graph tables weigh more at 20k than at 1M)
    EXPECT_LT(double(index.memory_bytes()) / double(n), 1200.0);
    // a random query (no true match) still gets k sorted hits
    const auto hits = index.search(random_unit_vectors(1, kDims, 999), 10);
    EXPECT_EQ(hits.size(), 10u);
    expect_sorted(hits);
}

TEST(ApproximateIndex, StaysCorrectUnderWrites) {
    // threshold crossed inside add(); then removals, replacements and slot reuse hit the live graph
    const size_t n = 3000, extra = 600, replaced = 200;
    const auto data = random_unit_vectors(n + extra, kDims, 41);
    VectorIndex index(VectorIndexConfig{.approximate_from = 1000, .build_threads = 2});
    for (size_t i = 0; i < n; ++i) {
        index.add(i, row(data, i));
        EXPECT_EQ(index.approximate(), i + 1 >= 1000);
    }
    std::set<uint64_t> removed;
    for (uint64_t id = 0; id < n; id += 5) {
        ASSERT_TRUE(index.remove(id));
        removed.insert(id);
    }
    // replace ids 1, 11, 21, ... with fresh vectors (rows n..n+replaced)
    std::vector<size_t> row_of(n);
    for (size_t i = 0; i < n; ++i) {
        row_of[i] = i;
    }
    for (size_t j = 0, id = 1; j < replaced; id += 10, ++j) {
        index.add(id, row(data, n + j));
        row_of[id] = n + j;
    }
    // new ids 10000+j reuse freed slots
    for (size_t j = replaced; j < extra; ++j) {
        index.add(10000 + j, row(data, n + j));
    }
    EXPECT_EQ(index.size(), n - removed.size() + (extra - replaced));
    ASSERT_TRUE(index.approximate());

    std::mt19937 rng(3);
    size_t agree = 0, total = 0;
    auto check = [&](std::span<const float> source, uint64_t expect_id) {
        const auto hits = index.search(noisy_copy(source, rng), 5);
        ASSERT_FALSE(hits.empty());
        for (const auto& h : hits) {
            EXPECT_EQ(removed.count(h.id), 0u) << h.id;
        }
        agree += hits[0].id == expect_id;
        ++total;
    };
    for (uint64_t id = 0; id < n; id += 3) {
        if (removed.count(id) != 0) {
            // a removed face is never returned, even for its own vector
            for (const auto& h : index.search(row(data, id), 20)) {
                EXPECT_EQ(removed.count(h.id), 0u) << h.id;
            }
        } else {
            check(row(data, row_of[id]), id);
        }
    }
    for (size_t j = replaced; j < extra; j += 2) {
        check(row(data, n + j), 10000 + j);
    }
    EXPECT_GE(double(agree) / double(total), 0.99) << agree << "/" << total;
}

TEST(ApproximateIndex, GraphKeptWhenShrinkingBelowThreshold) {
    const auto data = random_unit_vectors(1200, kDims, 51);
    VectorIndex index(VectorIndexConfig{.approximate_from = 1000, .build_threads = 1});
    std::vector<uint64_t> ids(1200);
    for (size_t i = 0; i < ids.size(); ++i) {
        ids[i] = i;
    }
    index.add_batch(ids, data);
    EXPECT_TRUE(index.approximate());
    for (uint64_t id = 0; id < 300; ++id) {
        index.remove(id);
    }
    EXPECT_FALSE(index.approximate()); // exact again below the threshold
    for (uint64_t id = 0; id < 300; ++id) {
        index.add(id, row(data, id));
    }
    EXPECT_TRUE(index.approximate());
    for (uint64_t id = 0; id < 1200; id += 37) {
        const auto hits = index.search(row(data, id), 1);
        ASSERT_EQ(hits.size(), 1u);
        EXPECT_EQ(hits[0].id, id);
    }
}

TEST(ApproximateIndex, GraphBuiltWhenThresholdLowered) {
    // a loader fills the vectors first and builds the graph later, while searches go on
    const size_t n = 3000;
    const auto data = random_unit_vectors(n, kDims, 71);
    std::vector<uint64_t> ids(n);
    for (size_t i = 0; i < n; ++i) {
        ids[i] = i;
    }
    VectorIndex index(VectorIndexConfig{.approximate_from = std::numeric_limits<size_t>::max(), .build_threads = 2});
    index.add_batch(ids, data);
    EXPECT_FALSE(index.approximate());
    const size_t exact_memory = index.memory_bytes();

    std::atomic<bool> built{false};
    std::atomic<size_t> wrong{0};
    std::thread reader([&] {
        size_t i = 0;
        do { // the exact scan answers until the graph is published
            const auto hits = index.search(row(data, i), 1);
            wrong += hits.empty() || hits[0].id != i;
            i = (i + 97) % n;
        } while (!built);
    });
    index.set_approximate_from(1000);
    built = true;
    reader.join();
    EXPECT_EQ(wrong.load(), 0u);
    EXPECT_TRUE(index.approximate());
    EXPECT_GT(index.memory_bytes(), exact_memory); // the graph exists now
    for (uint64_t id = 0; id < n; id += 101) {
        const auto hits = index.search(row(data, id), 1);
        ASSERT_EQ(hits.size(), 1u);
        EXPECT_EQ(hits[0].id, id);
    }
    index.set_approximate_from(std::numeric_limits<size_t>::max()); // back to exact; the graph is kept
    EXPECT_FALSE(index.approximate());
    EXPECT_EQ(index.config().approximate_from, std::numeric_limits<size_t>::max());
}

// ---- threads ----

TEST(VectorIndex, ConcurrentReadersAndWriters) {
    constexpr size_t kWriters = 2, kPerWriter = 900, kReaders = 3;
    const auto data = random_unit_vectors(kWriters * kPerWriter, kDims, 61);
    // the graph gets built while readers search and the other writer waits
    VectorIndex index(VectorIndexConfig{.approximate_from = 600, .build_threads = 2});
    std::atomic<bool> writers_done{false};
    std::atomic<size_t> searches{0};
    std::atomic<size_t> bad_results{0};

    std::vector<std::thread> threads;
    for (size_t w = 0; w < kWriters; ++w) {
        threads.emplace_back([&, w] {
            for (size_t i = 0; i < kPerWriter; ++i) {
                const uint64_t id = w * kPerWriter + i;
                index.add(id, row(data, id));
                if (i % 3 == 2) {
                    index.remove(id - 1); // every third add removes the previous id
                }
            }
        });
    }
    for (size_t r = 0; r < kReaders; ++r) {
        threads.emplace_back([&, r] {
            std::mt19937 rng(uint32_t(100 + r));
            std::uniform_int_distribution<size_t> pick(0, data.size() / kDims - 1);
            while (!writers_done) {
                const auto q = noisy_copy(row(data, pick(rng)), rng);
                const auto hits = r == 0 ? index.search_exact(q, 5) : index.search(q, 5);
                std::set<uint64_t> seen;
                for (size_t i = 0; i < hits.size(); ++i) {
                    const bool ok = hits[i].id < data.size() / kDims && seen.insert(hits[i].id).second &&
                                    (i == 0 || hits[i - 1].cosine >= hits[i].cosine);
                    bad_results += !ok;
                }
                (void)index.size();
                ++searches;
            }
        });
    }
    for (size_t w = 0; w < kWriters; ++w) {
        threads[w].join();
    }
    writers_done = true;
    for (size_t t = kWriters; t < threads.size(); ++t) {
        threads[t].join();
    }

    EXPECT_EQ(bad_results.load(), 0u);
    EXPECT_GT(searches.load(), 0u);
    const size_t removed_per_writer = kPerWriter / 3;
    EXPECT_EQ(index.size(), kWriters * (kPerWriter - removed_per_writer));
    EXPECT_TRUE(index.approximate());
    size_t present = 0;
    for (uint64_t id = 0; id < kWriters * kPerWriter; ++id) {
        const bool removed = id % kPerWriter % 3 == 1;
        EXPECT_EQ(index.contains(id), !removed) << id;
        present += index.contains(id);
        if (id % 11 == 0) {
            const auto hits = index.search(row(data, id), 3);
            ASSERT_FALSE(hits.empty());
            if (!removed) {
                EXPECT_EQ(hits[0].id, id);
            }
            for (const auto& h : hits) {
                EXPECT_NE(h.id % kPerWriter % 3, 1u) << "removed id returned: " << h.id;
            }
        }
    }
    EXPECT_EQ(present, index.size());
}

} // namespace
} // namespace facegate
