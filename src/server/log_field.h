// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>

namespace facegate {

// a client-supplied string made safe for one log line: control characters, quotes, backslashes and
// bytes outside printable ASCII as \xNN, cut to `max_bytes` of input with "..." appended, so that
// nobody can forge a log line or fill the disk through a header
std::string log_field(std::string_view text, size_t max_bytes = 64);

} // namespace facegate
