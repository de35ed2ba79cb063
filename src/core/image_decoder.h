// SPDX-License-Identifier: MIT
#pragma once

#include "core/image_probe.h"
#include "core/memory_budget.h"

#include <opencv2/core/mat.hpp>

#include <cstdint>
#include <span>

namespace facegate {

struct DecodeLimits {
    size_t max_bytes = 5 * 1024 * 1024;  // Rekognition's limit for inline image bytes (5,242,880)
    int64_t max_side = 16384;            // larger sides are refused before decoding
    int64_t max_pixels = 100'000'000;    // decompression-bomb guard (a 108 MP phone photo still passes)
    int64_t min_side = 16;               // smaller cannot hold a face
    int64_t detection_side = 1920;       // JPEGs decode at 1/2, 1/4, 1/8 while the long side stays >= this
    // when set, each decode reserves its peak estimate here first (waiting up to budget_wait)
    MemoryBudget* budget = nullptr;
    std::chrono::milliseconds budget_wait{2000};
};

// the peak bytes a decode of this header at 1/reduction scale may hold: the 8-bit BGR picture, a
// working copy of it in the analysis, and the codec's own buffers
size_t decode_peak_bytes(const ImageHeader& header, int reduction);

struct DecodedImage {
    cv::Mat bgr;                  // 8-bit, 3 channels, EXIF orientation applied
    ImageFormat format;
    int source_width = 0;         // full-resolution size after orientation, in pixels
    int source_height = 0;
    double scale = 1.0;           // bgr.cols / source_width (< 1 when decoded at reduced scale)
    MemoryBudget::Reservation reservation; // the budget this picture holds while it lives
};

// decodes an image held in memory.
// throws Error(IMAGE_TOO_LARGE) past limits.max_bytes, Error(INVALID_IMAGE_FORMAT) for anything
// that is not a whole JPEG/PNG/WebP/BMP image of sane dimensions, and the budget's errors. thread-safe.
DecodedImage decode_image(std::span<const uint8_t> bytes, const DecodeLimits& limits = {});

} // namespace facegate
