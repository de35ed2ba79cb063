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

// the same error types with the HTTP statuses of a REST API, for the /v1 flow endpoints:
// 401 without valid credentials, 403 without the scope, 404 for what does not exist, 413 for
// an oversize image, 429 past a rate limit
WireError flow_wire_error(ErrorCode code);

} // namespace facegate
