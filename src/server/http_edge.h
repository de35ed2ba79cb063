// SPDX-License-Identifier: MIT
#pragma once

// the HTTP edge: event-driven connections on Boost.Beast/Asio (plain or TLS), so that idle, slow and
// kept-alive clients cost a socket and a few kilobytes, never a thread. per connection it enforces
// deadlines (headers, body at a minimum rate, idle keep-alive, writes) and limits checked before
// anything is read (header block and field count, the route's body limit, authentication on the
// headers). requests then run on the lane their route names: inline, the store pool, or the
// analysis pool behind admission control (server/work_queue.h). every response carries Date and
// x-amzn-RequestId; one log line and the metrics per request. SIGTERM/SIGINT stop it gracefully,
// SIGHUP reloads the TLS certificate.

#include "server/metrics.h"
#include "server/router.h"
#include "server/work_queue.h"

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

namespace facegate {

struct HttpEdgeConfig {
    std::string host = "127.0.0.1";
    int port = 8080;                                  // 0: any free port
    int io_threads = 2;                               // threads running the event loop
    size_t max_connections = 10000;                   // more are closed at accept
    size_t max_header_bytes = 16 * 1024;              // request line and headers
    size_t max_header_fields = 100;
    std::chrono::milliseconds header_timeout{10000};  // request line and headers, from accept or first byte
    std::chrono::milliseconds idle_timeout{5000};     // a kept-alive connection between requests
    std::chrono::milliseconds body_timeout{5000};     // a body's grace time, plus its length at body_min_rate
    size_t body_min_rate = 200 * 1024;                // bytes per second a body must arrive at, at least
    std::chrono::milliseconds write_timeout{30000};   // a response must be taken by the client within this
    std::chrono::milliseconds shutdown_timeout{10000}; // in-flight requests may finish within this after SIGTERM
    std::filesystem::path tls_cert;                   // PEM chain; with tls_key: serve HTTPS only
    std::filesystem::path tls_key;                    // PEM private key
    bool handle_signals = true;                       // SIGTERM/SIGINT stop, SIGHUP reloads TLS
    WorkQueueConfig store_lane{"store", 4, 256, std::chrono::milliseconds(2000)};
    WorkQueueConfig analysis_lane{"analysis", 2, 64, std::chrono::milliseconds(2000)};
};

class HttpEdge {
  public:
    // routes and metrics must outlive the edge
    HttpEdge(HttpEdgeConfig config, const Router& routes, Metrics& metrics);
    ~HttpEdge();
    HttpEdge(const HttpEdge&) = delete;
    HttpEdge& operator=(const HttpEdge&) = delete;

    // binds and listens; returns the port. throws Error(INVALID_PARAMETER) when it cannot, and
    // Error(INVALID_PARAMETER) for a TLS certificate or key that cannot be loaded
    int bind();
    // serves until stop() (or a stop signal), then lets in-flight requests finish within the
    // shutdown timeout; returns when every connection is closed and the lanes are drained
    void run();
    // thread-safe: begins the graceful stop
    void stop();
    // thread-safe: reads the certificate and key again for new connections (open ones keep theirs);
    // returns false, keeping the old ones, when they cannot be loaded
    bool reload_tls();

    // the lanes' counters, for /metrics
    WorkQueue::Stats lane_stats(Lane lane) const;
    size_t open_connections() const;
    bool tls() const;

    struct State; // the implementation's (http_edge.cpp): the event loop, lanes and connections

  private:
    std::unique_ptr<State> state_;
};

} // namespace facegate
