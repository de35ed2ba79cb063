// SPDX-License-Identifier: MIT
#include "server/http_server.h"

#include "auth/sigv4.h"
#include "common/error.h"
#include "protocol/error_mapping.h"
#include "protocol/rekognition_json.h"
#include "server/rekognition_api.h"
#include "server/request_view.h"

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <chrono>

namespace facegate {

namespace {

constexpr std::string_view kTargetPrefix = "RekognitionService.";
constexpr const char* kJsonContentType = "application/x-amz-json-1.1";

// operations that change data: recorded in the audit table (ids only)
bool is_write(std::string_view op) {
    for (std::string_view w : {"CreateCollection", "DeleteCollection", "IndexFaces", "DeleteFaces", "CreateUser",
                               "DeleteUser", "AssociateFaces", "DisassociateFaces"}) {
        if (op == w) return true;
    }
    return false;
}

void send_error(httplib::Response& res, const Error& error) {
    WireError wire = wire_error(error.code());
    res.status = wire.http_status;
    res.set_content(error_json(error).dump(), kJsonContentType);
}

} // namespace

HttpServer::HttpServer(HttpServerConfig config, FaceCollections& service, AccessKeyStore& keys)
    : config_(std::move(config)), service_(service), keys_(keys), server_(std::make_unique<httplib::Server>()) {
    install_routes();
}

HttpServer::~HttpServer() = default;

void HttpServer::install_routes() {
    server_->new_task_queue = [threads = config_.threads] { return new httplib::ThreadPool(size_t(threads)); };
    // bodies over the limit are refused before they are read; the error handler gives them a Rekognition body
    server_->set_payload_max_length(config_.max_body_bytes);
    server_->set_read_timeout(30, 0);
    // idle keep-alive connections hold a worker: short enough that stopping the server is quick
    server_->set_keep_alive_timeout(2);
    // a response goes out as headers then body: without TCP_NODELAY the body waits for the client's
    // delayed ACK of the headers on a kept-alive connection (40 ms per request)
    server_->set_tcp_nodelay(true);
    server_->set_write_timeout(30, 0);
    server_->set_error_handler([](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty()) return;
        if (res.status == 413) {
            send_error(res, Error(ErrorCode::IMAGE_TOO_LARGE, "the request body exceeds the server's limit"));
            res.status = 413;
        } else if (res.status == 404) {
            res.set_content(R"({"__type":"UnknownOperationException","message":"no such resource"})", kJsonContentType);
        }
    });
    server_->set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        send_error(res, Error(ErrorCode::INTERNAL, "internal error"));
    });

    server_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
        res.set_content(R"({"status":"ok"})", "application/json");
    });
    server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
        res.set_content(metrics_.render(service_.index_states()), "text/plain; version=0.0.4");
    });

    server_->Post("/", [this](const httplib::Request& req, httplib::Response& res) {
        auto start = std::chrono::steady_clock::now();
        std::string operation = "unknown";
        std::string caller;
        std::string collection;
        try {
            auto target = req.get_header_value("X-Amz-Target");
            if (!target.starts_with(kTargetPrefix)) {
                throw Error(ErrorCode::UNKNOWN_OPERATION, "X-Amz-Target must be RekognitionService.<Operation>");
            }
            operation = target.substr(kTargetPrefix.size());
            if (!is_rekognition_operation(operation)) {
                throw Error(ErrorCode::UNKNOWN_OPERATION, "unknown operation " + operation);
            }
            if (config_.require_auth) {
                caller = verify_sigv4(request_view(req), keys_.lookup(), std::chrono::system_clock::now()).access_key_id;
            }
            nlohmann::json body;
            try {
                body = nlohmann::json::parse(req.body.empty() ? std::string("{}") : req.body);
            } catch (const nlohmann::json::exception&) {
                throw Error(ErrorCode::SERIALIZATION, "the request body is not valid JSON");
            }
            if (!body.is_object()) throw Error(ErrorCode::SERIALIZATION, "the request body must be a JSON object");
            if (auto it = body.find("CollectionId"); it != body.end() && it->is_string()) collection = *it;
            nlohmann::json response = handle_rekognition_operation(service_, operation, body);
            res.status = 200;
            res.set_content(response.dump(), kJsonContentType);
        } catch (const Error& e) {
            send_error(res, e);
        } catch (const std::exception& e) {
            spdlog::error("{} failed: {}", operation, e.what());
            send_error(res, Error(ErrorCode::INTERNAL, "internal error"));
        }
        double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        metrics_.observe(operation, res.status, seconds);
        if (is_write(operation) && !caller.empty()) {
            try {
                AuditEvent event;
                event.operation = operation;
                event.collection_id = collection;
                event.outcome = res.status == 200 ? "OK" : std::to_string(res.status);
                event.caller_key_id = caller;
                service_.store().append_audit(event);
            } catch (const std::exception& e) {
                spdlog::warn("audit record for {} not written: {}", operation, e.what());
            }
        }
        // one line per request: never bodies, images or embeddings
        spdlog::info("{} {} {} {} {:.1f}ms key={}", req.method, req.path, operation, res.status, seconds * 1000,
                     caller.empty() ? "-" : caller);
    });
}

void HttpServer::add_routes(const std::function<void(httplib::Server&, Metrics&)>& install) {
    install(*server_, metrics_);
}

int HttpServer::bind() {
    int port = config_.port == 0 ? server_->bind_to_any_port(config_.host) : config_.port;
    if (config_.port != 0 && !server_->bind_to_port(config_.host, config_.port)) port = -1;
    if (port <= 0) {
        throw Error(ErrorCode::INVALID_PARAMETER,
                    "cannot listen on " + config_.host + ":" + std::to_string(config_.port));
    }
    return port;
}

void HttpServer::run() { server_->listen_after_bind(); }

void HttpServer::stop() { server_->stop(); }

} // namespace facegate
