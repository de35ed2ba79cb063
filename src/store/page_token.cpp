// SPDX-License-Identifier: MIT
#include "store/page_token.h"

#include "common/error.h"

#include <charconv>
#include <cstdio>

namespace facegate {

namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url_encode(std::string_view in) {
    std::string out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (unsigned char c : in) {
        acc = (acc << 8) | c;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out.push_back(kAlphabet[(acc >> bits) & 0x3f]);
        }
    }
    if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 0x3f]);
    return out;
}

std::optional<std::string> base64url_decode(std::string_view in) {
    std::string out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : in) {
        std::size_t v = kAlphabet.find(c);
        if (v == std::string_view::npos) return std::nullopt;
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xff));
        }
    }
    // leftover bits must be zero padding of the last character
    if (bits >= 6 || (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
    return out;
}

// FNV-1a, 32 bits: binds a token to its listing (not a security measure)
std::uint32_t scope_hash(std::string_view scope) {
    std::uint32_t h = 2166136261u;
    for (unsigned char c : scope) {
        h ^= c;
        h *= 16777619u;
    }
    return h;
}

std::string prefix(char kind, std::string_view scope) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%c1.%08x.", kind, static_cast<unsigned>(scope_hash(scope)));
    return buf;
}

[[noreturn]] void bad_token() { throw Error(ErrorCode::INVALID_PAGINATION_TOKEN, "Invalid pagination token: NextToken must come from the previous page of this listing"); }

} // namespace

std::string encode_page_token(char kind, std::string_view scope, std::int64_t last_key) {
    return base64url_encode(prefix(kind, scope) + std::to_string(last_key));
}

std::optional<std::int64_t> decode_page_token(std::string_view token, char kind, std::string_view scope) {
    if (token.empty()) return std::nullopt;
    if (token.size() > 64) bad_token();
    std::optional<std::string> text = base64url_decode(token);
    if (!text) bad_token();
    std::string expected = prefix(kind, scope);
    if (text->size() <= expected.size() || text->compare(0, expected.size(), expected) != 0) bad_token();
    std::string_view digits = std::string_view(*text).substr(expected.size());
    std::int64_t key = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), key);
    if (ec != std::errc() || end != digits.data() + digits.size() || key < 0) bad_token();
    return key;
}

} // namespace facegate
