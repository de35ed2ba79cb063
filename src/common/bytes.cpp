// SPDX-License-Identifier: MIT
#include "common/bytes.h"

#include "common/error.h"

#include <openssl/rand.h>

namespace facegate {

std::string hex_of(std::string_view bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(2 * bytes.size());
    for (unsigned char c : bytes) {
        out += kDigits[c >> 4];
        out += kDigits[c & 15];
    }
    return out;
}

std::string random_bytes(std::size_t count) {
    std::string out(count, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), int(count)) != 1)
        throw Error(ErrorCode::INTERNAL, "the random generator failed");
    return out;
}

} // namespace facegate
