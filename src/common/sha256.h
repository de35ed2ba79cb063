// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>

namespace facegate {

// SHA-256 of `bytes` as lowercase hex (OpenSSL EVP); throws Error(INTERNAL) if OpenSSL fails
std::string sha256_hex(std::string_view bytes);

} // namespace facegate
