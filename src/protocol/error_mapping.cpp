// SPDX-License-Identifier: MIT
#include "protocol/error_mapping.h"

namespace facegate {

WireError wire_error(ErrorCode code) {
    switch (code) {
    case ErrorCode::INVALID_PARAMETER: return {"InvalidParameterException", 400};
    case ErrorCode::NO_FACE: return {"InvalidParameterException", 400}; // as Rekognition's CompareFaces
    case ErrorCode::INVALID_IMAGE_FORMAT: return {"InvalidImageFormatException", 400};
    case ErrorCode::IMAGE_TOO_LARGE: return {"ImageTooLargeException", 400};
    case ErrorCode::MODEL_UNAVAILABLE: return {"InternalServerError", 500};
    case ErrorCode::INTERNAL: return {"InternalServerError", 500};
    }
    return {"InternalServerError", 500};
}

} // namespace facegate
