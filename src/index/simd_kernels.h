// SPDX-License-Identifier: MIT
#pragma once

// Dot-product kernels behind the vector index. Two implementations: AVX2 (+FMA)
// intrinsics compiled with a function-level target attribute, and a portable one
// written so GCC auto-vectorises it for the baseline ISA. The AVX2 one is chosen
// at run time from CPUID, so the library needs no -march flag and runs anywhere.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace facegate::simd {

// one implementation; every function takes n (or dims) elements, unaligned pointers are fine
struct Kernels {
    std::string_view name;
    float (*dot_f32)(const float* a, const float* b, size_t n);
    // contract: every value in [-127, 127] (the quantiser never produces -128)
    int32_t (*dot_i8)(const int8_t* a, const int8_t* b, size_t n);
    // out[i] = dot(q, record i), where record i starts at first + i * stride;
    // bit-identical to calling dot_* on each record, so exact and approximate scores agree
    void (*dot_f32_strided)(const float* q, const std::byte* first, size_t stride, size_t count, size_t dims,
                            float* out);
    void (*dot_i8_strided)(const int8_t* q, const std::byte* first, size_t stride, size_t count, size_t dims,
                           int32_t* out);
};

const Kernels& portable_kernels();
// nullptr when the CPU (or the compiler's target) has no AVX2 and FMA
const Kernels* avx2_kernels();
// the implementation the index uses: AVX2 when available, else portable
const Kernels& kernels();

} // namespace facegate::simd
