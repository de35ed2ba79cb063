// SPDX-License-Identifier: MIT
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace facegate {

// what went wrong, independent of any wire protocol; protocol/error_mapping.cpp
// is the one place that turns these into Rekognition error types and HTTP statuses.
enum class ErrorCode {
    INVALID_PARAMETER,    // a request field is out of range or malformed
    INVALID_IMAGE_FORMAT, // bytes are not a decodable image, truncated, or absurd dimensions
    IMAGE_TOO_LARGE,      // more bytes than the inline-image limit
    NO_FACE,              // an operation needs a face and the image has none
    RESOURCE_NOT_FOUND,   // a collection, face or user that does not exist
    RESOURCE_ALREADY_EXISTS, // creating something that is already there
    IDEMPOTENT_PARAMETER_MISMATCH, // a ClientRequestToken reused with different parameters
    INVALID_PAGINATION_TOKEN, // a NextToken this listing did not give out
    SERVICE_QUOTA_EXCEEDED, // a limit such as 100 faces per user is reached
    CONFLICT,             // the request conflicts with the resource's state (e.g. a user being deleted)
    MISSING_AUTHENTICATION, // the request carries no signature
    UNRECOGNIZED_CLIENT,  // the access key id is unknown or revoked
    INVALID_SIGNATURE,    // the signature does not match, or its time is too far off
    ACCESS_DENIED,        // authenticated but not allowed
    THROTTLED,            // too many requests from this caller (a rate limit)
    OVERLOADED,           // the server is at capacity (its queue or memory budget): retry later
    PAYLOAD_TOO_LARGE,    // the request body exceeds the endpoint's limit (refused before it is read)
    HEADERS_TOO_LARGE,    // the request's header block exceeds the limit
    BAD_REQUEST,          // the HTTP request itself is malformed
    STORE_UNAVAILABLE,    // the database cannot be read or written
    UNKNOWN_OPERATION,    // the request names an operation this server does not have
    SERIALIZATION,        // the request body is not the JSON it must be
    MODEL_UNAVAILABLE,    // model files missing or failing their checksum
    INTERNAL,             // a bug or an unexpected library failure
};

std::string_view error_code_name(ErrorCode code);

// the typed error thrown at module edges (core, service); carries a message safe to show a client
class Error : public std::runtime_error {
  public:
    Error(ErrorCode code, std::string message) : std::runtime_error(std::move(message)), code_(code) {}
    ErrorCode code() const noexcept { return code_; }

  private:
    ErrorCode code_;
};

} // namespace facegate
