// SPDX-License-Identifier: MIT
#include "index/simd_kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define FACEGATE_HAVE_X86 1
#endif

namespace facegate::simd {
namespace {

// ---- portable: plain loops shaped for GCC's auto-vectoriser ----

// 16 independent partial sums: each lane is its own accumulator, so the loop
// vectorises without -ffast-math (no reassociation of a single sum is needed)
inline float dot_f32_portable_inline(const float* a, const float* b, size_t n) {
    float acc[16] = {};
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        for (size_t j = 0; j < 16; ++j) {
            acc[j] += a[i + j] * b[i + j];
        }
    }
    float tail = 0.0f;
    for (; i < n; ++i) {
        tail += a[i] * b[i];
    }
    float sum = 0.0f;
    for (float v : acc) {
        sum += v;
    }
    return sum + tail;
}

// integer sums are associative, so this vectorises as written
inline int32_t dot_i8_portable_inline(const int8_t* a, const int8_t* b, size_t n) {
    int32_t sum = 0;
    for (size_t i = 0; i < n; ++i) {
        sum += int32_t(a[i]) * int32_t(b[i]);
    }
    return sum;
}

float dot_f32_portable(const float* a, const float* b, size_t n) { return dot_f32_portable_inline(a, b, n); }

int32_t dot_i8_portable(const int8_t* a, const int8_t* b, size_t n) { return dot_i8_portable_inline(a, b, n); }

void dot_f32_strided_portable(const float* q, const std::byte* first, size_t stride, size_t count, size_t dims,
                              float* out) {
    for (size_t r = 0; r < count; ++r) {
        out[r] = dot_f32_portable_inline(q, reinterpret_cast<const float*>(first + r * stride), dims);
    }
}

void dot_i8_strided_portable(const int8_t* q, const std::byte* first, size_t stride, size_t count, size_t dims,
                             int32_t* out) {
    for (size_t r = 0; r < count; ++r) {
        out[r] = dot_i8_portable_inline(q, reinterpret_cast<const int8_t*>(first + r * stride), dims);
    }
}

// ---- AVX2 + FMA intrinsics, compiled for that target only inside these functions ----
#if defined(FACEGATE_HAVE_X86)
#define FACEGATE_AVX2 __attribute__((target("avx2,fma")))

FACEGATE_AVX2 inline float hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

FACEGATE_AVX2 inline int32_t hsum256_epi32(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    return _mm_cvtsi128_si32(s);
}

FACEGATE_AVX2 inline float dot_f32_avx2_inline(const float* a, const float* b, size_t n) {
    __m256 acc0 = _mm256_setzero_ps();
    __m256 acc1 = _mm256_setzero_ps();
    __m256 acc2 = _mm256_setzero_ps();
    __m256 acc3 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
        acc2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), acc2);
        acc3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), acc3);
    }
    for (; i + 8 <= n; i += 8) {
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    }
    float sum = hsum256(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
    for (; i < n; ++i) {
        sum += a[i] * b[i];
    }
    return sum;
}

// |a| (unsigned) times b carrying a's sign, pairwise-summed to int16 by maddubs: exact
// because |a|,|b| <= 127 keeps each pair within 2*127*127 < 32767; then widened to int32
FACEGATE_AVX2 inline int32_t dot_i8_avx2_inline(const int8_t* a, const int8_t* b, size_t n) {
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i acc0 = _mm256_setzero_si256();
    __m256i acc1 = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        __m256i a0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + i));
        __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + i));
        __m256i a1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + i + 32));
        __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + i + 32));
        __m256i p0 = _mm256_maddubs_epi16(_mm256_abs_epi8(a0), _mm256_sign_epi8(b0, a0));
        __m256i p1 = _mm256_maddubs_epi16(_mm256_abs_epi8(a1), _mm256_sign_epi8(b1, a1));
        acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(p0, ones));
        acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(p1, ones));
    }
    for (; i + 32 <= n; i += 32) {
        __m256i a0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + i));
        __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + i));
        __m256i p0 = _mm256_maddubs_epi16(_mm256_abs_epi8(a0), _mm256_sign_epi8(b0, a0));
        acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(p0, ones));
    }
    int32_t sum = hsum256_epi32(_mm256_add_epi32(acc0, acc1));
    for (; i < n; ++i) {
        sum += int32_t(a[i]) * int32_t(b[i]);
    }
    return sum;
}

FACEGATE_AVX2 float dot_f32_avx2(const float* a, const float* b, size_t n) { return dot_f32_avx2_inline(a, b, n); }

FACEGATE_AVX2 int32_t dot_i8_avx2(const int8_t* a, const int8_t* b, size_t n) {
    return dot_i8_avx2_inline(a, b, n);
}

FACEGATE_AVX2 void dot_f32_strided_avx2(const float* q, const std::byte* first, size_t stride, size_t count,
                                        size_t dims, float* out) {
    for (size_t r = 0; r < count; ++r) {
        out[r] = dot_f32_avx2_inline(q, reinterpret_cast<const float*>(first + r * stride), dims);
    }
}

FACEGATE_AVX2 void dot_i8_strided_avx2(const int8_t* q, const std::byte* first, size_t stride, size_t count,
                                       size_t dims, int32_t* out) {
    for (size_t r = 0; r < count; ++r) {
        out[r] = dot_i8_avx2_inline(q, reinterpret_cast<const int8_t*>(first + r * stride), dims);
    }
}

bool cpu_has_avx2_fma() {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#endif

} // namespace

const Kernels& portable_kernels() {
    static const Kernels k{"portable", dot_f32_portable, dot_i8_portable, dot_f32_strided_portable,
                           dot_i8_strided_portable};
    return k;
}

const Kernels* avx2_kernels() {
#if defined(FACEGATE_HAVE_X86)
    static const Kernels k{"avx2", dot_f32_avx2, dot_i8_avx2, dot_f32_strided_avx2, dot_i8_strided_avx2};
    static const bool supported = cpu_has_avx2_fma();
    return supported ? &k : nullptr;
#else
    return nullptr;
#endif
}

const Kernels& kernels() {
    static const Kernels& chosen = avx2_kernels() != nullptr ? *avx2_kernels() : portable_kernels();
    return chosen;
}

} // namespace facegate::simd
