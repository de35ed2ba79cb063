// SPDX-License-Identifier: MIT
#pragma once

// AWS Signature Version 4 (header form, AWS4-HMAC-SHA256), as AWS SDKs sign Rekognition requests.
// verify_sigv4 checks a received request; sign_sigv4 signs one (for tests and C++ clients).

#include "common/sha256.h"

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace facegate {

inline constexpr std::string_view kSigV4Algorithm = "AWS4-HMAC-SHA256";
inline constexpr std::string_view kSigV4Service = "rekognition";

// a received (or to-be-sent) HTTP request; the views must outlive it.
// path and query are exactly as on the wire (still percent-encoded), query without the '?'.
struct HttpRequestView {
    std::string_view method;
    std::string_view path;
    std::string_view query;
    std::vector<std::pair<std::string, std::string>> headers; // in arrival order, names in any case
    std::string_view body;

    // the first header with this name (ASCII case-insensitive), if any
    std::optional<std::string_view> header(std::string_view name) const;
    // every value of this header, in arrival order
    std::vector<std::string_view> header_values(std::string_view name) const;
    // replaces every header of that name by one with this value
    void set_header(std::string_view name, std::string value);
};

struct VerifiedCaller {
    std::string access_key_id;
    std::string region; // from the credential scope, e.g. "us-east-1"
};

// the secret of an active access key, or nullopt when the id is unknown or revoked
using KeyLookup = std::function<std::optional<std::string>(std::string_view access_key_id)>;

struct SigV4Options {
    std::string_view service = kSigV4Service;            // the credential scope's service must be this
    std::chrono::seconds max_skew = std::chrono::minutes(15); // |X-Amz-Date - now| may be at most this
};

// checks the request's Authorization header against the caller's secret.
// throws Error(MISSING_AUTHENTICATION) without an Authorization header,
// Error(INVALID_SIGNATURE) for a malformed header, a wrong scope, a time more than max_skew off,
// or a signature mismatch, and Error(UNRECOGNIZED_CLIENT) for an unknown or revoked access key id
// or a session token (facegate has no temporary credentials). Messages never contain secrets.
VerifiedCaller verify_sigv4(const HttpRequestView& request, const KeyLookup& keys,
                            std::chrono::system_clock::time_point now, const SigV4Options& options = {});

struct SigV4Credentials {
    std::string access_key_id;
    std::string secret_access_key;
};

struct SigV4Signature {
    std::string amz_date;      // the X-Amz-Date value signed, e.g. "20261123T101500Z"
    std::string authorization; // the Authorization header value
};

// signs the request as botocore does: every header except Authorization, User-Agent, Expect and
// X-Amzn-Trace-Id is signed, with X-Amz-Date (if present) taken to be `amz_date`. the request must have a
// Host header. the caller then sends the request with X-Amz-Date and Authorization set to the result.
SigV4Signature sign_sigv4(const HttpRequestView& request, const SigV4Credentials& credentials,
                          std::string_view region, std::chrono::system_clock::time_point now,
                          std::string_view service = kSigV4Service);

// sign_sigv4, then sets the X-Amz-Date and Authorization headers of `request` to the result
void sign_request(HttpRequestView& request, const SigV4Credentials& credentials, std::string_view region,
                  std::chrono::system_clock::time_point now, std::string_view service = kSigV4Service);

// building blocks, exposed for tests against AWS's published examples

// RFC 3986 percent-encoding as SigV4 wants it: unreserved characters (A-Z a-z 0-9 - _ . ~) stay,
// everything else becomes %XX (upper-case hex); '/' stays too when keep_slash.
std::string sigv4_uri_encode(std::string_view text, bool keep_slash);
// the path with empty and dot segments removed, then encoded again (as AWS does for every service but S3)
std::string sigv4_canonical_uri(std::string_view wire_path);
// the query's name=value pairs decoded, strictly re-encoded, sorted by name then value, joined with '&'
std::string sigv4_canonical_query(std::string_view wire_query);
// a header value with leading/trailing whitespace removed and inner runs of whitespace made one space
std::string sigv4_trim_header_value(std::string_view value);
// the canonical request for the given signed header names (lower-case, in the order given)
std::string sigv4_canonical_request(const HttpRequestView& request, const std::vector<std::string>& signed_headers,
                                    std::string_view payload_hash);
std::string sigv4_string_to_sign(std::string_view amz_date, std::string_view credential_scope,
                                 std::string_view canonical_request);
// the 32-byte key HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")
std::string sigv4_signing_key(std::string_view secret, std::string_view date, std::string_view region,
                              std::string_view service);
std::string hmac_sha256(std::string_view key, std::string_view data);
std::string to_hex(std::string_view bytes);
// "YYYYMMDDTHHMMSSZ" for a time point (UTC, whole seconds)
std::string sigv4_amz_date(std::chrono::system_clock::time_point time);

} // namespace facegate
