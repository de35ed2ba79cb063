// SPDX-License-Identifier: MIT
#include "core/image_probe.h"

#include "common/error.h"

#include <algorithm>
#include <cstring>

namespace facegate {

namespace {

[[noreturn]] void fail(std::string_view what) {
    throw Error(ErrorCode::INVALID_IMAGE_FORMAT, "Request has invalid image format: " + std::string(what));
}

uint32_t be16(const uint8_t* p) { return (uint32_t(p[0]) << 8) | p[1]; }
uint32_t be32(const uint8_t* p) { return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3]; }
uint32_t le16(const uint8_t* p) { return uint32_t(p[0]) | (uint32_t(p[1]) << 8); }
uint32_t le24(const uint8_t* p) { return le16(p) | (uint32_t(p[2]) << 16); }
uint32_t le32(const uint8_t* p) { return le24(p) | (uint32_t(p[3]) << 24); }

bool starts_with(std::span<const uint8_t> b, std::string_view magic, size_t at = 0) {
    return b.size() >= at + magic.size() && std::memcmp(b.data() + at, magic.data(), magic.size()) == 0;
}

ImageHeader probe_jpeg(std::span<const uint8_t> b) {
    // walk the marker segments up to the first start-of-frame, then look for the end-of-image
    // marker after the first scan: entropy-coded data never contains FF D9, so its absence means truncation
    size_t pos = 2;
    ImageHeader header{ImageFormat::JPEG, 0, 0, false};
    bool have_frame = false;
    while (pos + 4 <= b.size()) {
        if (b[pos] != 0xFF) fail("JPEG marker expected");
        uint8_t marker = b[pos + 1];
        if (marker == 0xFF) { ++pos; continue; } // fill byte
        if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) { pos += 2; continue; }
        if (marker == 0xD9) fail("JPEG ends before any image data");
        uint32_t length = be16(&b[pos + 2]);
        if (length < 2 || pos + 2 + length > b.size()) fail("JPEG segment runs past the end of the data");
        bool is_sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
        if (is_sof) {
            if (length < 7) fail("JPEG frame header too short");
            header.height = be16(&b[pos + 5]);
            header.width = be16(&b[pos + 7]);
            have_frame = true;
        }
        if (marker == 0xDA) {
            if (!have_frame) fail("JPEG scan before frame header");
            static constexpr uint8_t eoi[] = {0xFF, 0xD9};
            auto scan = b.subspan(pos + 2 + length);
            header.complete = std::search(scan.begin(), scan.end(), std::begin(eoi), std::end(eoi)) != scan.end();
            return header;
        }
        pos += 2 + length;
    }
    fail("JPEG data is truncated");
}

ImageHeader probe_png(std::span<const uint8_t> b) {
    if (b.size() < 33 || !starts_with(b, "IHDR", 12)) fail("PNG header is missing or truncated");
    // the IEND chunk closes every complete PNG (a few trailing bytes after it are tolerated)
    static constexpr std::string_view iend = "IEND";
    auto tail = b.subspan(b.size() - std::min<size_t>(b.size(), 64));
    bool complete = std::search(tail.begin(), tail.end(), iend.begin(), iend.end()) != tail.end();
    return {ImageFormat::PNG, be32(&b[16]), be32(&b[20]), complete};
}

ImageHeader probe_webp(std::span<const uint8_t> b) {
    if (b.size() < 30) fail("WebP header truncated");
    bool complete = uint64_t(le32(&b[4])) + 8 <= b.size();
    const uint8_t* d = &b[20];
    if (starts_with(b, "VP8 ", 12)) {
        if (d[3] != 0x9D || d[4] != 0x01 || d[5] != 0x2A) fail("WebP VP8 start code missing");
        return {ImageFormat::WEBP, le16(d + 6) & 0x3FFF, le16(d + 8) & 0x3FFF, complete};
    }
    if (starts_with(b, "VP8L", 12)) {
        if (d[0] != 0x2F) fail("WebP lossless signature missing");
        uint32_t bits = le32(d + 1);
        return {ImageFormat::WEBP, (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, complete};
    }
    if (starts_with(b, "VP8X", 12)) return {ImageFormat::WEBP, le24(d + 4) + 1, le24(d + 7) + 1, complete};
    fail("unknown WebP chunk");
}

ImageHeader probe_bmp(std::span<const uint8_t> b) {
    if (b.size() < 26) fail("BMP header truncated");
    uint32_t dib_size = le32(&b[14]);
    int64_t width = 0, height = 0;
    uint32_t bits = 0, compression = 0;
    if (dib_size == 12) {
        // OS/2 BITMAPCOREHEADER: unsigned 16-bit sides, as OpenCV's decoder reads them (read as signed,
        // 0xFFF0 rows looked like 16 and let a 3 GB allocation through: found by the fuzzer)
        width = le16(&b[18]);
        height = le16(&b[20]);
        bits = le16(&b[24]);
    } else if (dib_size >= 40 && b.size() >= 34) {
        width = int32_t(le32(&b[18]));
        height = int32_t(le32(&b[22]));
        bits = le16(&b[28]);
        compression = le32(&b[30]);
    } else {
        fail("unsupported BMP header");
    }
    height = height < 0 ? -height : height;
    bool complete = true;
    if (compression == 0 && bits > 0 && width > 0) { // uncompressed: rows are padded to 4 bytes
        uint64_t row = ((uint64_t(width) * bits + 31) / 32) * 4;
        complete = uint64_t(le32(&b[10])) + row * uint64_t(height) <= b.size();
    }
    return {ImageFormat::BMP, width, height, complete};
}

} // namespace

std::string_view image_format_name(ImageFormat format) {
    switch (format) {
    case ImageFormat::JPEG: return "JPEG";
    case ImageFormat::PNG: return "PNG";
    case ImageFormat::WEBP: return "WebP";
    case ImageFormat::BMP: return "BMP";
    }
    return "unknown";
}

ImageHeader probe_image(std::span<const uint8_t> bytes) {
    if (bytes.empty()) fail("the image is empty");
    if (bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF) return probe_jpeg(bytes);
    if (starts_with(bytes, "\x89PNG\r\n\x1a\n")) return probe_png(bytes);
    if (starts_with(bytes, "RIFF") && starts_with(bytes, "WEBP", 8)) return probe_webp(bytes);
    if (starts_with(bytes, "BM")) return probe_bmp(bytes);
    fail("not a JPEG, PNG, WebP or BMP image");
}

} // namespace facegate
