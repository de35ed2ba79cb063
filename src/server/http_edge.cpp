// SPDX-License-Identifier: MIT
#include "server/http_edge.h"

#include "common/error.h"
#include "protocol/error_mapping.h"
#include "protocol/rekognition_json.h"
#include "server/log_field.h"
#include "store/store.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <spdlog/spdlog.h>

#include <sys/resource.h>

#include <atomic>
#include <ctime>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

namespace facegate {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr size_t kReadChunk = 16 * 1024;
constexpr std::chrono::seconds kTlsShutdownTimeout{2};

// RFC 7231 IMF-fixdate, what SDKs read to correct their clock skew
std::string http_date(std::chrono::system_clock::time_point now) {
    std::time_t t = std::chrono::system_clock::to_time_t(now);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return buf;
}

// the default rendering of errors found before a route is known (or thrown by the edge itself)
void render_default_error(const std::exception_ptr& error, HttpResponse& res) {
    try {
        std::rethrow_exception(error);
    } catch (const Error& e) {
        res.status = wire_error(e.code()).http_status;
        res.set_content(error_json(e).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                        "application/x-amz-json-1.1");
    } catch (const std::exception&) {
        res.status = 500;
        res.set_content(error_json(Error(ErrorCode::INTERNAL, "internal error")).dump(), "application/x-amz-json-1.1");
    }
}

void render_exception(const Route* route, const std::exception_ptr& error, HttpResponse& res) {
    try {
        if (route && route->render_error) {
            route->render_error(error, res);
        } else {
            render_default_error(error, res);
        }
    } catch (const std::exception& e) {
        // a renderer that throws must neither escape the event loop (std::terminate) nor leave a lane
        // job without its answer (the connection would hang)
        spdlog::error("rendering an error failed: {}", e.what());
        res = HttpResponse();
        res.status = 500;
        res.set_content(R"({"__type":"InternalServerError","message":"internal error"})", "application/x-amz-json-1.1");
    }
}

void render_error(const Route* route, const Error& error, HttpResponse& res) {
    render_exception(route, std::make_exception_ptr(error), res);
}

// raises the soft limit of open files to the hard one: every connection is a descriptor
void raise_open_file_limit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

std::shared_ptr<asio::ssl::context> load_tls_context(const std::filesystem::path& cert, const std::filesystem::path& key) {
    auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
    // TLS 1.2 and 1.3 only
    ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1 |
                     asio::ssl::context::single_dh_use);
    boost::system::error_code ec;
    ctx->use_certificate_chain_file(cert.string(), ec);
    if (ec) throw Error(ErrorCode::INVALID_PARAMETER, "cannot load the TLS certificate " + cert.string() + ": " + ec.message());
    ctx->use_private_key_file(key.string(), asio::ssl::context::pem, ec);
    if (ec) throw Error(ErrorCode::INVALID_PARAMETER, "cannot load the TLS key " + key.string() + ": " + ec.message());
    return ctx;
}

class Connection;

} // namespace

struct HttpEdge::State {
    HttpEdgeConfig config;
    const Router& routes;
    Metrics& metrics;
    asio::io_context io;
    tcp::acceptor acceptor{io};
    asio::signal_set signals{io};
    asio::steady_timer stop_timer{io};
    asio::steady_timer accept_backoff{io};           // after a failed accept (out of descriptors)
    Clock::time_point last_accept_warning{};
    WorkQueue store_lane;
    WorkQueue analysis_lane;
    std::atomic<bool> stopping{false};
    Clock::time_point stop_deadline{};

    mutable std::mutex tls_mutex;
    std::shared_ptr<asio::ssl::context> tls; // new connections take this one

    mutable std::mutex connections_mutex;
    std::unordered_map<const void*, std::weak_ptr<Connection>> connections;

    State(HttpEdgeConfig c, const Router& r, Metrics& m)
        : config(std::move(c)), routes(r), metrics(m), store_lane(config.store_lane), analysis_lane(config.analysis_lane) {}

    std::shared_ptr<asio::ssl::context> tls_context() const {
        std::lock_guard lock(tls_mutex);
        return tls;
    }
    void accept();
    bool reload_tls();
    void begin_stop();
    void watch_stop();
    void wait_signals();
    WorkQueue& lane(Lane l) { return l == Lane::ANALYSIS ? analysis_lane : store_lane; }
};

namespace {

// one client connection: reads requests one at a time, answers each, keeps alive or closes.
// every handler runs on the connection's strand; lane work comes back to it through post.
class Connection : public std::enable_shared_from_this<Connection> {
  public:
    Connection(HttpEdge::State& edge, tcp::socket socket, std::shared_ptr<asio::ssl::context> tls)
        : edge_(edge), tls_context_(std::move(tls)), buffer_(edge.config.max_header_bytes + kReadChunk) {
        remote_ = socket.remote_endpoint(ignored_).address().to_string();
        if (tls_context_) {
            tls_stream_.emplace(beast::tcp_stream(std::move(socket)), *tls_context_);
        } else {
            plain_.emplace(std::move(socket));
        }
    }

    void start() {
        {
            std::lock_guard lock(edge_.connections_mutex);
            edge_.connections[this] = weak_from_this();
        }
        if (tls_stream_) {
            // the handshake counts against the header deadline
            tcp_stream().expires_after(edge_.config.header_timeout);
            tls_stream_->async_handshake(asio::ssl::stream_base::server,
                                         [self = shared_from_this()](beast::error_code ec) {
                                             if (ec) return self->close();
                                             self->read_request(true);
                                         });
        } else {
            read_request(true);
        }
    }

    ~Connection() {
        std::lock_guard lock(edge_.connections_mutex);
        edge_.connections.erase(this);
    }

    // on stop: a connection waiting for a request (no byte of it yet) is closed; one serving a request closes after it
    void stop_if_idle() {
        asio::post(tcp_stream().get_executor(), [self = shared_from_this()] {
            // a request whose first bytes have arrived (read, or still in the socket) is in flight, not
            // idle: it is read (within the header deadline) and answered with Connection: close
            beast::error_code ec;
            bool begun = self->buffer_.size() > 0 || self->tcp_stream().socket().available(ec) > 0;
            if (self->waiting_for_request_ && !begun) self->close();
        });
    }

  private:
    beast::tcp_stream& tcp_stream() { return tls_stream_ ? beast::get_lowest_layer(*tls_stream_) : *plain_; }

    // calls f with the stream, whichever kind it is
    template <class F> void with_stream(F&& f) {
        if (tls_stream_) {
            f(*tls_stream_);
        } else {
            f(*plain_);
        }
    }

    void read_request(bool first) {
        if (edge_.stopping) return close();
        parser_.emplace();
        parser_->header_limit(std::uint32_t(edge_.config.max_header_bytes));
        // the route sets the real limit once the headers are known (not boost::none: Beast 1.74 compares
        // a length with an empty optional as larger)
        parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
        route_ = nullptr;
        refused_early_ = false;
        plan_ = RoutePlan(); // a refusal before the route plans must not carry the previous request's operation
        request_ = HttpRequest();
        response_ = HttpResponse();
        waiting_for_request_ = true;
        // a new connection has header_timeout for its first request from accept; a kept-alive one
        // idle_timeout for the first byte, then header_timeout for the rest
        tcp_stream().expires_after(first ? edge_.config.header_timeout : edge_.config.idle_timeout);
        if (buffer_.size() > 0 || first) return read_header(first);
        with_stream([&](auto& stream) {
            stream.async_read_some(buffer_.prepare(kReadChunk),
                                   [self = shared_from_this()](beast::error_code ec, size_t n) {
                                       if (ec) return self->close();
                                       self->buffer_.commit(n);
                                       self->read_header(false);
                                   });
        });
    }

    void read_header(bool first) {
        if (!first) tcp_stream().expires_after(edge_.config.header_timeout);
        with_stream([&](auto& stream) {
            http::async_read_header(stream, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
                self->on_header(ec);
            });
        });
    }

    void on_header(beast::error_code ec) {
        waiting_for_request_ = false;
        started_ = Clock::now();
        request_.request_id = new_uuid();
        if (ec == http::error::header_limit) {
            return refuse(Error(ErrorCode::HEADERS_TOO_LARGE, "the request's headers exceed " +
                                                                  std::to_string(edge_.config.max_header_bytes) + " bytes"),
                          431);
        }
        if (ec == http::error::bad_content_length || ec == http::error::bad_transfer_encoding) {
            return refuse(Error(ErrorCode::BAD_REQUEST, "conflicting Content-Length or Transfer-Encoding"), 400);
        }
        if (ec) {
            // a timeout, a reset, or bytes that are not HTTP: nothing worth an answer unless it was HTTP garbage
            if (ec == beast::error::timeout || ec == asio::error::eof || ec == asio::error::connection_reset ||
                ec == asio::error::operation_aborted || ec == http::error::end_of_stream) {
                return close();
            }
            spdlog::debug("unparsable request: {}", ec.message());
            return refuse(Error(ErrorCode::BAD_REQUEST, "the request is not valid HTTP/1.1: " + ec.message()), 400);
        }
        const auto& header = parser_->get();
        request_.method = std::string(header.method_string());
        request_.target = std::string(header.target());
        request_.remote_addr = remote_;
        request_.tls = tls_stream_.has_value();
        size_t fields = 0, content_lengths = 0;
        for (const auto& field : header) {
            if (++fields > edge_.config.max_header_fields) {
                return refuse(Error(ErrorCode::HEADERS_TOO_LARGE,
                                    "more than " + std::to_string(edge_.config.max_header_fields) + " header fields"),
                              431);
            }
            if (field.name() == http::field::content_length) {
                // "2, 2" is two lengths in one field (Beast takes equal ones as one): as two fields, refused
                content_lengths += field.value().find(',') == beast::string_view::npos ? 1 : 2;
            }
            request_.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
        }
        // request smuggling: one length, stated once
        if (content_lengths > 1 || (content_lengths == 1 && parser_->chunked())) {
            return refuse(Error(ErrorCode::BAD_REQUEST, "duplicate Content-Length, or Content-Length with chunked"), 400);
        }
        auto path = percent_decode(request_.wire_path());
        if (!path || request_.target.empty() || request_.target.front() != '/') {
            return refuse(Error(ErrorCode::BAD_REQUEST, "the request target is not a valid path"), 400);
        }
        request_.path = std::move(*path);
        route_ = edge_.routes.match(request_.method, request_.path, request_.matches);
        if (!route_) {
            bool other_method = edge_.routes.path_known(request_.path);
            return refuse(Error(ErrorCode::UNKNOWN_OPERATION, other_method ? "method not allowed" : "no such resource"),
                          other_method ? 405 : 404);
        }
        try {
            plan_ = route_->plan(request_);
        } catch (...) {
            render_exception(route_, std::current_exception(), response_);
            response_.operation = plan_.operation;
            return respond(!body_done());
        }
        response_.operation = plan_.operation;
        // a lane with no room decides now: the 503 is ready and the body is only drained (within its
        // limit and deadline), never parsed, queued or analysed. Draining rather than closing keeps the
        // connection (SDKs retry on it) and spares the client a reset in the middle of its upload
        if (plan_.lane != Lane::INLINE) {
            auto admission = edge_.lane(plan_.lane).would_admit();
            if (!admission.admitted) {
                overloaded(admission.retry_after, admission.reason);
                refused_early_ = true;
            }
        }
        // the body limit, before a byte of it is read
        auto length = parser_->content_length();
        if (length && *length > plan_.max_body) {
            return refuse(Error(ErrorCode::PAYLOAD_TOO_LARGE, "the request body of " + std::to_string(*length) +
                                                                  " bytes exceeds this endpoint's limit of " +
                                                                  std::to_string(plan_.max_body)),
                          413);
        }
        parser_->body_limit(plan_.max_body);
        if (body_done()) return refused_early_ ? respond(false) : dispatch();
        // at least body_min_rate for the whole body (chunked: as if it were the largest allowed)
        size_t expected = length ? size_t(*length) : plan_.max_body;
        auto body_time = edge_.config.body_timeout +
                         std::chrono::milliseconds(expected * 1000 / std::max<size_t>(1, edge_.config.body_min_rate));
        tcp_stream().expires_after(body_time);
        if (iequals(request_.header_value("Expect"), "100-continue")) {
            continue_.emplace(http::status::continue_, header.version());
            with_stream([&](auto& stream) {
                http::async_write(stream, *continue_, [self = shared_from_this()](beast::error_code ec, size_t) {
                    if (ec) return self->close();
                    self->read_body();
                });
            });
            return;
        }
        read_body();
    }

    bool body_done() const { return parser_->is_done(); }

    void read_body() {
        with_stream([&](auto& stream) {
            http::async_read(stream, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
                self->on_body(ec);
            });
        });
    }

    void on_body(beast::error_code ec) {
        if (ec == http::error::body_limit) {
            return refuse(Error(ErrorCode::PAYLOAD_TOO_LARGE,
                                "the request body exceeds this endpoint's limit of " + std::to_string(plan_.max_body)),
                          413);
        }
        if (ec == beast::error::timeout) {
            // too slow: the request is dropped; a short answer, then the connection goes
            return refuse(Error(ErrorCode::BAD_REQUEST, "the request body arrived too slowly"), 408);
        }
        if (ec) return close();
        if (refused_early_) return respond(false);
        dispatch();
    }

    void dispatch() {
        request_.body = std::move(parser_->get().body());
        tcp_stream().expires_never();
        if (plan_.lane == Lane::INLINE) {
            run_handler();
            return respond(false);
        }
        WorkQueue& lane = edge_.lane(plan_.lane);
        auto self = shared_from_this();
        auto admission = lane.submit([self](bool expired) {
            if (expired) {
                self->overloaded(std::chrono::seconds(1), "waited past the queue timeout");
            } else {
                self->run_handler();
            }
            asio::post(self->tcp_stream().get_executor(), [self] { self->respond(false); });
        });
        if (!admission.admitted) {
            overloaded(admission.retry_after, admission.reason);
            respond(false);
        }
    }

    // 503 ThrottlingException with Retry-After, in the route's error format
    void overloaded(std::chrono::seconds retry_after, const char* reason) {
        response_ = HttpResponse();
        response_.operation = plan_.operation;
        render_error(route_, Error(ErrorCode::OVERLOADED, std::string("the server is at capacity (") + reason +
                                                              "); retry after " + std::to_string(retry_after.count()) + " s"),
                     response_);
        response_.status = 503;
        response_.set_header("Retry-After", std::to_string(retry_after.count()));
    }

    void run_handler() {
        std::string operation = response_.operation;
        try {
            route_->handle(request_, response_);
        } catch (...) {
            render_exception(route_, std::current_exception(), response_);
        }
        if (response_.operation == "unknown") response_.operation = operation;
    }

    // answers an error and closes: the rest of the request (if any) is never read
    void refuse(const Error& error, int status) {
        response_ = HttpResponse();
        response_.operation = plan_.operation;
        render_error(route_, error, response_);
        response_.status = status;
        respond(true);
    }

    void respond(bool close_after) {
        auto seconds = std::chrono::duration<double>(Clock::now() - started_).count();
        edge_.metrics.observe(response_.operation, response_.status, seconds);
        // one line per request: never the path (it may hold an external ID), a body or a secret
        spdlog::info("{} {} {} {:.1f}ms client={} request={}", log_field(request_.method, 16),
                     log_field(response_.operation, 48), response_.status, seconds * 1000,
                     log_field(response_.client, 80), request_.request_id);

        unsigned version = parser_ && parser_->is_header_done() ? parser_->get().version() : 11;
        bool keep_alive = !close_after && !edge_.stopping && parser_ && parser_->is_header_done() &&
                          parser_->get().keep_alive();
        out_.emplace();
        auto& out = *out_;
        out.version(version);
        out.result(static_cast<unsigned>(response_.status));
        for (auto& [name, value] : response_.headers) out.insert(name, value);
        out.set(http::field::date, http_date(std::chrono::system_clock::now()));
        out.set("x-amzn-RequestId", request_.request_id.empty() ? new_uuid() : request_.request_id);
        out.keep_alive(keep_alive);
        size_t length = response_.body.size();
        if (request_.method != "HEAD") out.body() = std::move(response_.body);
        out.content_length(length);
        tcp_stream().expires_after(edge_.config.write_timeout);
        with_stream([&](auto& stream) {
            http::async_write(stream, out, [self = shared_from_this(), keep_alive](beast::error_code ec, size_t) {
                self->out_.reset();
                if (ec || !keep_alive) return self->close();
                self->read_request(false);
            });
        });
    }

    void close() {
        if (closed_) return;
        closed_ = true;
        if (tls_stream_) {
            // send our close_notify without waiting for the client's (HTTP frames its messages; RFC 8446
            // 6.1 lets the closing side go). Waiting would read behind a read still pending on an idle
            // connection closed by the stop, whose idle or header deadline expires_after cannot shorten:
            // such a connection then held the graceful stop until the shutdown timeout.
            SSL_set_shutdown(tls_stream_->native_handle(), SSL_RECEIVED_SHUTDOWN);
            tcp_stream().expires_after(kTlsShutdownTimeout);
            tls_stream_->async_shutdown([self = shared_from_this()](beast::error_code) {
                self->tcp_stream().socket().close(self->ignored_);
            });
            return;
        }
        plain_->socket().shutdown(tcp::socket::shutdown_send, ignored_);
        plain_->close();
    }

    HttpEdge::State& edge_;
    std::shared_ptr<asio::ssl::context> tls_context_; // outlives tls_stream_
    std::optional<beast::tcp_stream> plain_;
    std::optional<beast::ssl_stream<beast::tcp_stream>> tls_stream_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    std::optional<http::response<http::empty_body>> continue_;
    std::optional<http::response<http::string_body>> out_;
    const Route* route_ = nullptr;
    RoutePlan plan_;
    HttpRequest request_;
    HttpResponse response_;
    std::string remote_;
    Clock::time_point started_ = Clock::now();
    bool waiting_for_request_ = true;
    bool refused_early_ = false; // the lane had no room: the 503 is in response_, the body is drained
    bool closed_ = false;
    beast::error_code ignored_;
};

} // namespace

void HttpEdge::State::accept() {
    acceptor.async_accept(asio::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
        if (ec) {
            if (stopping || ec == asio::error::operation_aborted) return;
            // EMFILE and the like: the pending connection stays queued, so accepting again at once would
            // spin (and flood the log). Wait a little, say so at most once a second, then accept again
            const auto now = Clock::now();
            if (now - last_accept_warning >= std::chrono::seconds(1)) {
                last_accept_warning = now;
                spdlog::warn("accept failed: {} (accepting again in 50 ms)", ec.message());
            }
            accept_backoff.expires_after(std::chrono::milliseconds(50));
            accept_backoff.async_wait([this](beast::error_code wait_ec) {
                if (!wait_ec && !stopping) accept();
            });
            return;
        }
        size_t open;
        {
            std::lock_guard lock(connections_mutex);
            open = connections.size();
        }
        if (open >= config.max_connections) {
            socket.close(ec);
        } else {
            // a response goes out as headers then body: without TCP_NODELAY a kept-alive client waits
            // for its delayed ACK (40 ms)
            socket.set_option(tcp::no_delay(true), ec);
            std::make_shared<Connection>(*this, std::move(socket), tls_context())->start();
        }
        accept();
    });
}

void HttpEdge::State::begin_stop() {
    if (stopping.exchange(true)) return;
    spdlog::info("stopping: no new connections; in-flight requests have {} ms", config.shutdown_timeout.count());
    beast::error_code ec;
    acceptor.close(ec);
    accept_backoff.cancel();
    signals.cancel(ec);
    stop_deadline = Clock::now() + config.shutdown_timeout;
    std::vector<std::shared_ptr<Connection>> open;
    {
        std::lock_guard lock(connections_mutex);
        for (auto& [key, weak] : connections) {
            if (auto c = weak.lock()) open.push_back(std::move(c));
        }
    }
    for (auto& c : open) c->stop_if_idle();
    watch_stop();
}

void HttpEdge::State::watch_stop() {
    stop_timer.expires_after(std::chrono::milliseconds(20));
    stop_timer.async_wait([this](beast::error_code) {
        size_t open;
        {
            std::lock_guard lock(connections_mutex);
            open = connections.size();
        }
        if (open == 0 || Clock::now() >= stop_deadline) {
            if (open > 0) spdlog::warn("stopping with {} connections still open after the shutdown timeout", open);
            io.stop();
            return;
        }
        watch_stop();
    });
}

void HttpEdge::State::wait_signals() {
    signals.async_wait([this](beast::error_code ec, int signal) {
        if (ec) return;
        if (signal == SIGHUP) {
            reload_tls();
            return wait_signals();
        }
        begin_stop();
    });
}

HttpEdge::HttpEdge(HttpEdgeConfig config, const Router& routes, Metrics& metrics)
    : state_(std::make_unique<State>(std::move(config), routes, metrics)) {}

HttpEdge::~HttpEdge() {
    state_->store_lane.stop();
    state_->analysis_lane.stop();
}

int HttpEdge::bind() {
    auto& s = *state_;
    raise_open_file_limit();
    if (!s.config.tls_cert.empty() || !s.config.tls_key.empty()) {
        if (s.config.tls_cert.empty() || s.config.tls_key.empty()) {
            throw Error(ErrorCode::INVALID_PARAMETER, "TLS needs both --tls-cert and --tls-key");
        }
        s.tls = load_tls_context(s.config.tls_cert, s.config.tls_key);
    }
    beast::error_code ec;
    auto address = asio::ip::make_address(s.config.host, ec);
    if (ec) throw Error(ErrorCode::INVALID_PARAMETER, "cannot listen on " + s.config.host + ": not an IP address");
    tcp::endpoint endpoint(address, static_cast<unsigned short>(s.config.port));
    s.acceptor.open(endpoint.protocol(), ec);
    if (!ec) s.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) s.acceptor.bind(endpoint, ec);
    if (!ec) s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        throw Error(ErrorCode::INVALID_PARAMETER,
                    "cannot listen on " + s.config.host + ":" + std::to_string(s.config.port) + ": " + ec.message());
    }
    return s.acceptor.local_endpoint().port();
}

void HttpEdge::run() {
    auto& s = *state_;
    if (s.config.handle_signals) {
        s.signals.add(SIGINT);
        s.signals.add(SIGTERM);
        s.signals.add(SIGHUP);
        s.wait_signals();
    }
    s.accept();
    std::vector<std::thread> threads;
    // a handler that throws is a bug; it must cost that one connection, never the whole server
    auto run_loop = [&s] {
        while (true) {
            try {
                s.io.run();
                return;
            } catch (const std::exception& e) {
                spdlog::error("an HTTP handler failed, the event loop goes on: {}", e.what());
            }
        }
    };
    for (int i = 1; i < std::max(1, s.config.io_threads); ++i) threads.emplace_back(run_loop);
    run_loop();
    for (auto& t : threads) t.join();
    // the lanes finish what they hold (their answers are no longer sent: the connections are gone)
    s.store_lane.stop();
    s.analysis_lane.stop();
}

void HttpEdge::stop() {
    asio::post(state_->io, [s = state_.get()] { s->begin_stop(); });
}

bool HttpEdge::State::reload_tls() {
    if (config.tls_cert.empty()) return false;
    try {
        auto ctx = load_tls_context(config.tls_cert, config.tls_key);
        std::lock_guard lock(tls_mutex);
        tls = std::move(ctx);
        spdlog::info("TLS certificate reloaded: new connections use it, open ones keep theirs");
        return true;
    } catch (const std::exception& e) {
        spdlog::error("TLS reload failed, keeping the current certificate: {}", e.what());
        return false;
    }
}

bool HttpEdge::reload_tls() { return state_->reload_tls(); }

WorkQueue::Stats HttpEdge::lane_stats(Lane lane) const { return state_->lane(lane).stats(); }

size_t HttpEdge::open_connections() const {
    std::lock_guard lock(state_->connections_mutex);
    return state_->connections.size();
}

bool HttpEdge::tls() const { return state_->tls_context() != nullptr; }

} // namespace facegate
