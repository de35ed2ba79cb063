// SPDX-License-Identifier: MIT
#include "common/error.h"

namespace facegate {

std::string_view error_code_name(ErrorCode code) {
    switch (code) {
    case ErrorCode::INVALID_PARAMETER: return "INVALID_PARAMETER";
    case ErrorCode::INVALID_IMAGE_FORMAT: return "INVALID_IMAGE_FORMAT";
    case ErrorCode::IMAGE_TOO_LARGE: return "IMAGE_TOO_LARGE";
    case ErrorCode::NO_FACE: return "NO_FACE";
    case ErrorCode::MODEL_UNAVAILABLE: return "MODEL_UNAVAILABLE";
    case ErrorCode::INTERNAL: return "INTERNAL";
    }
    return "INTERNAL";
}

} // namespace facegate
