// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace facegate {

// `bytes` as lower-case hex, two digits a byte
std::string hex_of(std::string_view bytes);
// `count` bytes from OpenSSL's generator (RAND_bytes); throws Error(INTERNAL) if it fails
std::string random_bytes(std::size_t count);

} // namespace facegate
