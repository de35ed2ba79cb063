// SPDX-License-Identifier: MIT
#pragma once

// the routes of the server: method + path pattern -> what the edge must know before it reads the
// body (its size limit, a check of the headers such as authentication, which lane runs it) and the
// handler. the edge (server/http_edge.cpp) consults these; the routes never see a socket.

#include "server/http_message.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace facegate {

// where a handler runs. INLINE: on the I/O thread, for answers that take microseconds (health, static
// files). STORE: a small pool for reads and writes of the store without image analysis. ANALYSIS:
// the bounded --workers pool behind admission control (decoding included).
enum class Lane { INLINE, STORE, ANALYSIS };

struct RoutePlan {
    Lane lane = Lane::STORE;
    size_t max_body = 0;                 // bytes; a larger body is refused (413) before it is read
    std::string operation = "unknown";   // the metrics' name of the request, known from the headers
};

using Handler = std::function<void(HttpRequest&, HttpResponse&)>;
// decides the plan from the request line and headers (the body is not read yet); may throw Error to
// refuse at once (authentication, an unknown operation). `request.body` is empty here.
using Planner = std::function<RoutePlan(const HttpRequest&)>;
// renders an error thrown by a planner (or by the edge, e.g. 413) in the route's wire format
using ErrorRenderer = std::function<void(const std::exception_ptr&, HttpResponse&)>;

struct Route {
    std::string method;   // GET also answers HEAD
    // the decoded path: literal text, where "*" captures one non-empty segment (no '/') and a final
    // "**" captures the non-empty rest, slashes included. e.g. "/v1/collections/*/users/**"
    std::string pattern;
    Planner plan;
    Handler handle;
    ErrorRenderer render_error;
};

class Router {
  public:
    void add(Route route);
    // the route for a method and decoded path (captures into `matches`), or nullptr
    const Route* match(std::string_view method, const std::string& path, std::vector<std::string>& matches) const;
    // whether some route has this path under another method (405 rather than 404)
    bool path_known(const std::string& path) const;

  private:
    std::vector<Route> routes_;
};

} // namespace facegate
