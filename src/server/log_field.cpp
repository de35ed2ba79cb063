// SPDX-License-Identifier: MIT
#include "server/log_field.h"

namespace facegate {

std::string log_field(std::string_view text, size_t max_bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    bool cut = text.size() > max_bytes;
    if (cut) text = text.substr(0, max_bytes);
    out.reserve(text.size() + 3);
    for (unsigned char c : text) {
        if (c < 0x20 || c >= 0x7f || c == '\\' || c == '"') {
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 15];
        } else {
            out += char(c);
        }
    }
    if (cut) out += "...";
    return out;
}

} // namespace facegate
