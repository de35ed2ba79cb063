// SPDX-License-Identifier: MIT
// libFuzzer target for the decode path: any bytes must either decode or raise facegate::Error,
// never crash, hang or read out of bounds (built with ASan and UBSan by scripts/fuzz.sh)
#include "common/error.h"
#include "core/image_decoder.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    facegate::DecodeLimits limits;
    limits.max_pixels = 4'000'000; // keep each input quick; the limit logic itself is under test
    try {
        auto image = facegate::decode_image({data, size}, limits);
        if (image.bgr.empty() || image.bgr.type() != CV_8UC3) __builtin_trap();
    } catch (const facegate::Error&) {
    }
    return 0;
}
