// SPDX-License-Identifier: MIT
#include "protocol/error_mapping.h"

namespace facegate {

WireError wire_error(ErrorCode code) {
    switch (code) {
    case ErrorCode::INVALID_PARAMETER: return {"InvalidParameterException", 400};
    case ErrorCode::NO_FACE: return {"InvalidParameterException", 400}; // as Rekognition's CompareFaces
    case ErrorCode::INVALID_IMAGE_FORMAT: return {"InvalidImageFormatException", 400};
    case ErrorCode::IMAGE_TOO_LARGE: return {"ImageTooLargeException", 400};
    case ErrorCode::RESOURCE_NOT_FOUND: return {"ResourceNotFoundException", 400};
    case ErrorCode::RESOURCE_ALREADY_EXISTS: return {"ResourceAlreadyExistsException", 400};
    case ErrorCode::IDEMPOTENT_PARAMETER_MISMATCH: return {"IdempotentParameterMismatchException", 400};
    case ErrorCode::CONFLICT: return {"ConflictException", 400};
    case ErrorCode::INVALID_PAGINATION_TOKEN: return {"InvalidPaginationTokenException", 400};
    case ErrorCode::SERVICE_QUOTA_EXCEEDED: return {"ServiceQuotaExceededException", 400};
    case ErrorCode::MISSING_AUTHENTICATION: return {"MissingAuthenticationTokenException", 403};
    case ErrorCode::UNRECOGNIZED_CLIENT: return {"UnrecognizedClientException", 403};
    case ErrorCode::INVALID_SIGNATURE: return {"InvalidSignatureException", 403};
    case ErrorCode::ACCESS_DENIED: return {"AccessDeniedException", 403};
    case ErrorCode::THROTTLED: return {"ThrottlingException", 400};
    // 503 with Retry-After: SDKs retry it with backoff, as they do AWS's own throttling
    case ErrorCode::OVERLOADED: return {"ThrottlingException", 503};
    // the old server's answer to an oversize body, which SDK users already handle
    case ErrorCode::PAYLOAD_TOO_LARGE: return {"ImageTooLargeException", 413};
    case ErrorCode::HEADERS_TOO_LARGE: return {"RequestHeaderFieldsTooLargeException", 431};
    case ErrorCode::BAD_REQUEST: return {"SerializationException", 400};
    // the database cannot be reached now (PostgreSQL down, a lock held too long): worth a retry
    case ErrorCode::STORE_UNAVAILABLE: return {"ServiceUnavailable", 503};
    case ErrorCode::UNKNOWN_OPERATION: return {"UnknownOperationException", 400};
    case ErrorCode::SERIALIZATION: return {"SerializationException", 400};
    case ErrorCode::MODEL_UNAVAILABLE: return {"InternalServerError", 500};
    case ErrorCode::INTERNAL: return {"InternalServerError", 500};
    }
    return {"InternalServerError", 500};
}

WireError flow_wire_error(ErrorCode code) {
    WireError wire = wire_error(code);
    switch (code) {
    case ErrorCode::MISSING_AUTHENTICATION:
    case ErrorCode::UNRECOGNIZED_CLIENT:
    case ErrorCode::INVALID_SIGNATURE: wire.http_status = 401; break;
    case ErrorCode::RESOURCE_NOT_FOUND: wire.http_status = 404; break;
    case ErrorCode::IMAGE_TOO_LARGE: wire.http_status = 413; break;
    case ErrorCode::THROTTLED: wire.http_status = 429; break;
    case ErrorCode::CONFLICT: wire.http_status = 409; break;
    default: break;
    }
    return wire;
}

} // namespace facegate
