// SPDX-License-Identifier: MIT
#pragma once

#include "auth/access_keys.h"
#include "server/metrics.h"
#include "service/face_collections.h"

#include <atomic>
#include <functional>
#include <memory>
#include <string>

namespace httplib {
class Server;
}

namespace facegate {

struct HttpServerConfig {
    std::string host = "127.0.0.1";
    int port = 8080;                          // 0: any free port
    size_t max_body_bytes = 8 * 1024 * 1024;  // a 5 MB image in base64 plus the JSON around it
    int threads = 8;                          // HTTP worker threads (face analysis is bounded by the engine's workers)
    bool require_auth = true;                 // SigV4 on every Rekognition request
};

// the HTTP front: Rekognition's JSON 1.1 protocol on POST /, /healthz and /metrics.
// parses, authenticates and validates; the operations run in the service layer.
class HttpServer {
  public:
    HttpServer(HttpServerConfig config, FaceCollections& service, AccessKeyStore& keys);
    ~HttpServer();

    // more routes on the same server (the /v1 flows, the web pages); call before bind()
    void add_routes(const std::function<void(httplib::Server&, Metrics&)>& install);

    // binds the socket; returns the bound port. throws Error(INVALID_PARAMETER) when it cannot
    int bind();
    // serves until stop(); call bind() first
    void run();
    // thread-safe; makes run() return
    void stop();

  private:
    void install_routes();

    HttpServerConfig config_;
    FaceCollections& service_;
    AccessKeyStore& keys_;
    Metrics metrics_;
    std::unique_ptr<httplib::Server> server_;
};

} // namespace facegate
