// SPDX-License-Identifier: MIT
#pragma once

// one HTTP request and its response as the routes see them, independent of the HTTP library the
// edge is built on (server/http_edge.cpp): the routes parse, authenticate and answer; the edge
// reads, limits, schedules and writes.

#include "auth/sigv4.h"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace facegate {

struct HttpRequest {
    std::string method;                 // "GET", "POST"...; HEAD is routed as GET
    std::string target;                 // exactly as on the wire: path?query, still percent-encoded
    std::string path;                   // the target's path, percent-decoded
    std::vector<std::pair<std::string, std::string>> headers; // in arrival order, names as sent
    std::string body;
    std::string remote_addr;            // the peer's IP address
    std::string request_id;             // a fresh UUID, echoed as x-amzn-RequestId, logged and audited
    bool tls = false;                   // whether it came over TLS
    std::vector<std::string> matches;   // the route pattern's captures, percent-decoded

    // the first header with this name (ASCII case-insensitive), if any
    std::optional<std::string_view> header(std::string_view name) const;
    // the first header's value, or "" when absent
    std::string header_value(std::string_view name) const;
    // the target's path and query as on the wire
    std::string_view wire_path() const;
    std::string_view wire_query() const;
    // a query parameter, percent-decoded ('+' as space); nullopt when absent or empty
    std::optional<std::string> query_param(std::string_view name) const;
};

struct HttpResponse {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    // what the edge logs and counts: a name from the metrics' closed set, and who called (both
    // filled by the route; "unknown" and "-" when it could not tell)
    std::string operation = "unknown";
    std::string client = "-";

    // replaces every header of that name
    void set_header(std::string_view name, std::string value);
    std::optional<std::string_view> header(std::string_view name) const;
    void set_content(std::string content, std::string_view content_type);
};

// the request as SigV4 sees it; the views point into `request`
HttpRequestView request_view(const HttpRequest& request);

// RFC 3986 percent-decoding; '+' becomes a space when plus_is_space (query strings). nullopt for a
// malformed escape
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space = false);

bool iequals(std::string_view a, std::string_view b);

} // namespace facegate
