// SPDX-License-Identifier: MIT
#include "service/external_id.h"

#include "common/error.h"
#include "common/sha256.h"

#include <utf8proc.h>

#include <cstdlib>
#include <memory>

namespace facegate {

namespace {

constexpr std::string_view kAliasPrefix = "::";
constexpr size_t kMaxExternalImageId = 255;
constexpr char kHex[] = "0123456789ABCDEF";

bool kept_as_is(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '-';
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

[[noreturn]] void invalid(const std::string& what) {
    throw Error(ErrorCode::INVALID_PARAMETER, "externalId " + what);
}

// well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF) without control characters
void check_text(std::string_view text) {
    for (size_t i = 0; i < text.size();) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7f) invalid("must not hold control characters");
            ++i;
            continue;
        }
        size_t extra = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
        if (extra == 0 || c >= 0xf5 || i + extra >= text.size()) invalid("must be valid UTF-8");
        uint32_t cp = c & (0x3f >> extra);
        for (size_t k = 1; k <= extra; ++k) {
            auto cc = static_cast<unsigned char>(text[i + k]);
            if ((cc & 0xc0) != 0x80) invalid("must be valid UTF-8");
            cp = (cp << 6) | (cc & 0x3f);
        }
        static constexpr uint32_t kMinForLength[4] = {0, 0x80, 0x800, 0x10000};
        if (cp < kMinForLength[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) invalid("must be valid UTF-8");
        if (cp >= 0x80 && cp < 0xa0) invalid("must not hold control characters");
        i += extra + 1;
    }
}

// invisible format characters (Unicode category Cf: bidirectional controls such as U+202E, zero-width
// spaces and joiners U+200B-U+200D, U+2060, U+FEFF, the soft hyphen...) make two identifiers that look
// the same on screen different strings: refused rather than silently removed, so nobody is surprised
void refuse_invisible(std::string_view text) {
    auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
    utf8proc_ssize_t at = 0, size = utf8proc_ssize_t(text.size());
    while (at < size) {
        utf8proc_int32_t cp = 0;
        utf8proc_ssize_t n = utf8proc_iterate(bytes + at, size - at, &cp);
        if (n <= 0) invalid("must be valid UTF-8");
        if (utf8proc_category(cp) == UTF8PROC_CATEGORY_CF) {
            invalid("must not hold invisible formatting characters (bidirectional controls, zero-width characters)");
        }
        at += n;
    }
}

std::string alias_for(std::string_view external_id) { return std::string(kAliasPrefix) + sha256_hex(external_id); }

} // namespace

std::string external_id_prefix(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char ch : text) {
        auto c = static_cast<unsigned char>(ch);
        if (kept_as_is(c)) {
            out += ch;
        } else {
            out += ':';
            out += kHex[c >> 4];
            out += kHex[c & 0xf];
        }
    }
    return out;
}

std::string canonical_external_id(std::string_view external_id) {
    if (external_id.empty()) invalid("must not be empty");
    if (external_id.size() > kMaxExternalIdBytes) invalid("must be at most 255 bytes of UTF-8");
    check_text(external_id);
    refuse_invisible(external_id);
    std::string text(external_id); // utf8proc wants a NUL-terminated string
    std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> nfc(
        utf8proc_NFC(reinterpret_cast<const utf8proc_uint8_t*>(text.c_str())), &std::free);
    if (!nfc) invalid("must be valid UTF-8");
    std::string out(reinterpret_cast<const char*>(nfc.get()));
    if (out.size() > kMaxExternalIdBytes) invalid("must be at most 255 bytes of UTF-8 (after NFC normalisation)");
    return out;
}

EncodedExternalId encode_external_id(std::string_view given) {
    const std::string external_id = canonical_external_id(given);
    std::string out = external_id_prefix(external_id);
    if (out.size() <= kMaxExternalImageId) return {std::move(out), false};
    return {alias_for(external_id), true};
}

std::optional<std::string> decode_external_id(std::string_view id) {
    if (id.empty() || is_external_id_alias(id)) return std::nullopt;
    std::string out;
    out.reserve(id.size());
    for (size_t i = 0; i < id.size(); ++i) {
        auto c = static_cast<unsigned char>(id[i]);
        if (kept_as_is(c)) {
            out += char(c);
            continue;
        }
        if (c != ':' || i + 2 >= id.size()) return std::nullopt;
        int hi = hex_value(id[i + 1]), lo = hex_value(id[i + 2]);
        if (hi < 0 || lo < 0) return std::nullopt;
        auto byte = static_cast<unsigned char>(hi * 16 + lo);
        if (kept_as_is(byte)) return std::nullopt; // not what encode_external_id makes
        out += char(byte);
        i += 2;
    }
    try {
        check_text(out);
    } catch (const Error&) {
        return std::nullopt;
    }
    return out;
}

bool is_external_id_alias(std::string_view id) { return id.starts_with(kAliasPrefix); }

} // namespace facegate
