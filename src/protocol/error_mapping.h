// SPDX-License-Identifier: MIT
#pragma once

#include "common/error.h"

#include <string_view>

namespace facegate {

// the one place where our error codes become Rekognition's error types and HTTP statuses
struct WireError {
    std::string_view type; // the `__type` AWS SDKs turn into an exception class
    int http_status;
};

WireError wire_error(ErrorCode code);

} // namespace facegate
