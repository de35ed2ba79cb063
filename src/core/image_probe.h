// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace facegate {

enum class ImageFormat { JPEG, PNG, WEBP, BMP };

std::string_view image_format_name(ImageFormat format);

// what the container header says, read without decoding any pixel
struct ImageHeader {
    ImageFormat format;
    int64_t width;
    int64_t height;
    bool complete; // false when the stream visibly ends early (JPEG without EOI, BMP short of its pixels)
};

// reads the header of a JPEG, PNG, WebP or BMP image.
// throws Error(INVALID_IMAGE_FORMAT) when the bytes are none of those or the header itself is cut short.
// why: dimensions must be known before decoding so that decompression bombs are refused cheaply.
ImageHeader probe_image(std::span<const uint8_t> bytes);

} // namespace facegate
