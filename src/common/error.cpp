// SPDX-License-Identifier: MIT
#include "common/error.h"

namespace facegate {

std::string_view error_code_name(ErrorCode code) {
    switch (code) {
    case ErrorCode::INVALID_PARAMETER: return "INVALID_PARAMETER";
    case ErrorCode::INVALID_IMAGE_FORMAT: return "INVALID_IMAGE_FORMAT";
    case ErrorCode::IMAGE_TOO_LARGE: return "IMAGE_TOO_LARGE";
    case ErrorCode::NO_FACE: return "NO_FACE";
    case ErrorCode::RESOURCE_NOT_FOUND: return "RESOURCE_NOT_FOUND";
    case ErrorCode::RESOURCE_ALREADY_EXISTS: return "RESOURCE_ALREADY_EXISTS";
    case ErrorCode::IDEMPOTENT_PARAMETER_MISMATCH: return "IDEMPOTENT_PARAMETER_MISMATCH";
    case ErrorCode::CONFLICT: return "CONFLICT";
    case ErrorCode::INVALID_PAGINATION_TOKEN: return "INVALID_PAGINATION_TOKEN";
    case ErrorCode::SERVICE_QUOTA_EXCEEDED: return "SERVICE_QUOTA_EXCEEDED";
    case ErrorCode::MISSING_AUTHENTICATION: return "MISSING_AUTHENTICATION";
    case ErrorCode::UNRECOGNIZED_CLIENT: return "UNRECOGNIZED_CLIENT";
    case ErrorCode::INVALID_SIGNATURE: return "INVALID_SIGNATURE";
    case ErrorCode::ACCESS_DENIED: return "ACCESS_DENIED";
    case ErrorCode::THROTTLED: return "THROTTLED";
    case ErrorCode::OVERLOADED: return "OVERLOADED";
    case ErrorCode::PAYLOAD_TOO_LARGE: return "PAYLOAD_TOO_LARGE";
    case ErrorCode::HEADERS_TOO_LARGE: return "HEADERS_TOO_LARGE";
    case ErrorCode::BAD_REQUEST: return "BAD_REQUEST";
    case ErrorCode::STORE_UNAVAILABLE: return "STORE_UNAVAILABLE";
    case ErrorCode::UNKNOWN_OPERATION: return "UNKNOWN_OPERATION";
    case ErrorCode::SERIALIZATION: return "SERIALIZATION";
    case ErrorCode::MODEL_UNAVAILABLE: return "MODEL_UNAVAILABLE";
    case ErrorCode::INTERNAL: return "INTERNAL";
    }
    return "INTERNAL";
}

} // namespace facegate
