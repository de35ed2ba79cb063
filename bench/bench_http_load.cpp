// SPDX-License-Identifier: MIT
// HTTP load generator for facegate's server (any version: the Beast edge or the older cpp-httplib one).
//
// Requests (pre-built once, re-signed every minute for SigV4):
//   verify: POST /v1/verify, multipart/form-data {collectionId, externalId, selfie=IMAGE}, Bearer API key
//   search: POST / SearchFacesByImage {"CollectionId", "Image": {"Bytes": base64}, "MaxFaces": 1}, SigV4
//           signed with facegate's own signer (src/auth/sigv4.h)
// Modes:
//   closed: --clients C kept-alive connections, each sending its next request as soon as the previous
//           answer came, for --duration D seconds
//   open:   --rate R requests/s (--arrivals uniform|poisson) for D seconds; each request goes out at
//           its arrival time on a free pooled connection (a new one when none is free, up to
//           --max-connections; beyond that it waits for one, its latency still counted from its
//           arrival), so the server's slowness never slows the arrivals
//   idle:   opens --connections N connections that send nothing (or one GET /healthz each with
//           --idle-request), holds them, and reads the server's VmRSS and Threads from
//           /proc/--server-pid/status before and while they are open
//           (the connections are checked at the end of --hold: still open, or closed by the server)
// In closed and open mode a prober sends GET /healthz every --healthz-interval ms on its own
// connection. One line per run on stdout (and a JSON object appended to --json FILE).
// A closed-loop client sends its next request at once after a 503 unless --pause-on-503 S or
// --honor-retry-after (pause for the answer's Retry-After, as AWS SDKs back off).
//
// Accounting: requests sent in the measured window [warm-up, warm-up + D) count; those still in
// flight at its end are awaited (up to --timeout). Latency percentiles are over 2xx answers
// (open loop: from the scheduled arrival, so queueing in the client counts too). Throughput is
// 2xx answers received within the window / D. A reused kept-alive connection that the server had
// closed (nothing received) is retried once on a new connection and counted as stale_retries.
// Failures: conn_errors (connect refused, reset, EOF mid-answer), timeouts (no full answer within
// --timeout; open loop: also no free pooled connection within it).
//
// examples:
//   bench_http_load --target http://127.0.0.1:8080 --kind verify --image selfie.jpg --collection bench
//       --external-id bench-user --api-key-file api.json --mode closed --clients 8 --duration 20
//   bench_http_load --target http://127.0.0.1:8080 --kind search --image selfie.jpg --collection bench
//       --access-key-file key.json --mode open --rate 30 --arrivals poisson --duration 20
//   bench_http_load --target http://127.0.0.1:8080 --mode idle --connections 2000 --server-pid 1234
#include "auth/sigv4.h"

#include <CLI/CLI.hpp>
#include <boost/asio.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <deque>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using asio::awaitable;
using asio::use_awaitable;

namespace {

struct Options {
    std::string target = "http://127.0.0.1:8080";
    std::string kind = "verify";
    std::string mode = "closed";
    std::string image;
    std::string collection = "bench";
    std::string external_id = "bench-user";
    std::string api_key, api_key_file;
    std::string access_key_id, secret_access_key, access_key_file;
    std::string region = "us-east-1";
    int clients = 1;
    double rate = 10;
    std::string arrivals = "uniform";
    double duration = 10;
    double warmup = 1;
    double timeout = 30;
    size_t max_connections = 512;
    double healthz_interval_ms = 50;
    double pause_on_503 = 0;
    bool honor_retry_after = false;
    unsigned seed = 1;
    std::string json_file;
    std::string label;
    bool show_response = false;
    // idle mode
    size_t connections = 2000;
    int server_pid = 0;
    double hold = 3;
    bool idle_request = false;
};

// this process's CPU time (user + system): the load generator shares the machine with the server
double client_cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    return {std::istreambuf_iterator<char>(in), {}};
}

std::string base64(std::string_view in) {
    static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        uint32_t v = uint32_t(uint8_t(in[i])) << 16 | uint32_t(uint8_t(in[i + 1])) << 8 | uint8_t(in[i + 2]);
        out += table[v >> 18];
        out += table[(v >> 12) & 63];
        out += table[(v >> 6) & 63];
        out += table[v & 63];
    }
    if (i + 1 == in.size()) {
        uint32_t v = uint32_t(uint8_t(in[i])) << 16;
        out += table[v >> 18];
        out += table[(v >> 12) & 63];
        out += "==";
    } else if (i + 2 == in.size()) {
        uint32_t v = uint32_t(uint8_t(in[i])) << 16 | uint32_t(uint8_t(in[i + 1])) << 8;
        out += table[v >> 18];
        out += table[(v >> 12) & 63];
        out += table[(v >> 6) & 63];
        out += '=';
    }
    return out;
}

// percentile by nearest rank over a sorted vector
double percentile(const std::vector<double>& sorted, double q) {
    if (sorted.empty()) return 0;
    size_t rank = size_t(std::ceil(q * double(sorted.size())));
    return sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)];
}

struct Target {
    std::string host;
    unsigned short port = 80;
    tcp::endpoint endpoint;
    std::string host_header;
};

Target parse_target(const std::string& url) {
    std::string rest = url;
    if (rest.rfind("http://", 0) == 0) rest = rest.substr(7);
    else if (rest.find("://") != std::string::npos) throw std::runtime_error("only http:// targets: " + url);
    if (auto slash = rest.find('/'); slash != std::string::npos) rest = rest.substr(0, slash);
    Target t;
    auto colon = rest.rfind(':');
    t.host = colon == std::string::npos ? rest : rest.substr(0, colon);
    if (colon != std::string::npos) t.port = static_cast<unsigned short>(std::stoi(rest.substr(colon + 1)));
    if (t.host == "localhost") t.host = "127.0.0.1";
    boost::system::error_code ec;
    auto address = asio::ip::make_address(t.host, ec);
    if (ec) throw std::runtime_error("the target host must be an IP address: " + t.host);
    t.endpoint = tcp::endpoint(address, t.port);
    t.host_header = t.host + ":" + std::to_string(t.port);
    return t;
}

// the whole request on the wire, built once
class RequestFactory {
  public:
    RequestFactory(const Options& o, const Target& t) : options_(o), target_(t) {
        if (o.kind == "verify") {
            std::string key = o.api_key;
            if (key.empty() && !o.api_key_file.empty()) key = nlohmann::json::parse(read_file(o.api_key_file)).at("apiKey");
            if (key.empty()) throw std::runtime_error("verify needs --api-key or --api-key-file");
            std::string image = read_file(o.image);
            const std::string boundary = "----facegate-bench-7d1f3a9c";
            std::string body;
            auto field = [&](const std::string& name, const std::string& value) {
                body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n";
            };
            field("collectionId", o.collection);
            field("externalId", o.external_id);
            body += "--" + boundary +
                    "\r\nContent-Disposition: form-data; name=\"selfie\"; filename=\"selfie.jpg\"\r\n"
                    "Content-Type: image/jpeg\r\n\r\n";
            body += image;
            body += "\r\n--" + boundary + "--\r\n";
            auto wire = std::make_shared<std::string>();
            *wire = "POST /v1/verify HTTP/1.1\r\nHost: " + t.host_header + "\r\nAuthorization: Bearer " + key +
                    "\r\nContent-Type: multipart/form-data; boundary=" + boundary +
                    "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
            current_ = wire;
        } else if (o.kind == "search") {
            if (!o.access_key_file.empty()) {
                auto j = nlohmann::json::parse(read_file(o.access_key_file));
                credentials_.access_key_id = j.at("accessKeyId");
                credentials_.secret_access_key = j.at("secretAccessKey");
            } else {
                credentials_.access_key_id = o.access_key_id;
                credentials_.secret_access_key = o.secret_access_key;
            }
            if (credentials_.access_key_id.empty() || credentials_.secret_access_key.empty()) {
                throw std::runtime_error("search needs --access-key-file or --access-key-id and --secret-access-key");
            }
            nlohmann::json j = {{"CollectionId", o.collection}, {"Image", {{"Bytes", base64(read_file(o.image))}}}, {"MaxFaces", 1}};
            search_body_ = j.dump();
            resign();
        } else {
            throw std::runtime_error("--kind must be verify or search");
        }
    }

    std::shared_ptr<const std::string> current() const { return current_; }
    bool needs_signing() const { return options_.kind == "search"; }

    // SigV4 with X-Amz-Date = now (the server accepts 15 minutes of skew; we re-sign every minute)
    void resign() {
        std::string method = "POST", path = "/", query;
        facegate::HttpRequestView view{method, path, query,
                                       {{"Host", target_.host_header},
                                        {"Content-Type", "application/x-amz-json-1.1"},
                                        {"X-Amz-Target", "RekognitionService.SearchFacesByImage"}},
                                       search_body_};
        facegate::sign_request(view, credentials_, options_.region, std::chrono::system_clock::now());
        auto wire = std::make_shared<std::string>("POST / HTTP/1.1\r\n");
        for (auto& [name, value] : view.headers) *wire += name + ": " + value + "\r\n";
        *wire += "Content-Length: " + std::to_string(search_body_.size()) + "\r\n\r\n";
        *wire += search_body_;
        current_ = wire;
    }

  private:
    const Options& options_;
    const Target& target_;
    facegate::SigV4Credentials credentials_;
    std::string search_body_;
    std::shared_ptr<const std::string> current_;
};

enum class Failure { NONE, CONNECT, TIMEOUT, IO };

struct Outcome {
    int status = 0;
    Failure failure = Failure::NONE;
    bool nothing_received = false; // failed before any byte of a response
    double retry_after = -1;        // seconds, from a Retry-After header
    std::string body;
    std::string error;
};

struct Conn {
    explicit Conn(asio::io_context& io) : stream(io) {}
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    bool open = false;
    uint64_t served = 0; // requests answered on this socket

    void close() {
        boost::system::error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        stream.close();
        open = false;
        served = 0;
        buffer.clear();
    }
};

// one request/response on a connection (connecting first when it is closed)
awaitable<Outcome> exchange(Conn& c, const tcp::endpoint& ep, std::shared_ptr<const std::string> request,
                            Clock::duration timeout, bool keep_body) {
    Outcome out;
    boost::system::error_code ec;
    c.stream.expires_after(timeout);
    if (!c.open) {
        c.buffer.clear();
        co_await c.stream.async_connect(ep, asio::redirect_error(use_awaitable, ec));
        if (ec) {
            out.failure = ec == beast::error::timeout ? Failure::TIMEOUT : Failure::CONNECT;
            out.nothing_received = true;
            out.error = "connect: " + ec.message();
            c.close();
            co_return out;
        }
        c.stream.socket().set_option(tcp::no_delay(true), ec);
        c.open = true;
    }
    co_await asio::async_write(c.stream, asio::buffer(*request), asio::redirect_error(use_awaitable, ec));
    if (ec) {
        out.failure = ec == beast::error::timeout ? Failure::TIMEOUT : Failure::IO;
        out.nothing_received = true;
        out.error = "write: " + ec.message();
        c.close();
        co_return out;
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(64u << 20);
    co_await http::async_read(c.stream, c.buffer, parser, asio::redirect_error(use_awaitable, ec));
    if (ec) {
        out.failure = ec == beast::error::timeout ? Failure::TIMEOUT : Failure::IO;
        out.nothing_received = !parser.got_some();
        out.error = "read: " + ec.message();
        c.close();
        co_return out;
    }
    c.stream.expires_never();
    out.status = parser.get().result_int();
    if (auto it = parser.get().find("Retry-After"); it != parser.get().end()) {
        try {
            out.retry_after = std::stod(std::string(it->value()));
        } catch (...) {
        }
    }
    if (keep_body) out.body = parser.get().body();
    ++c.served;
    if (!parser.get().keep_alive()) c.close();
    co_return out;
}

struct Stats {
    std::vector<double> ok_ms, shed_ms, health_ms;
    uint64_t sent = 0, completed = 0, ok = 0, ok_in_window = 0, s503 = 0, other_non2xx = 0;
    uint64_t conn_errors = 0, timeouts = 0, stale_retries = 0;
    uint64_t health_errors = 0, health_non200 = 0, health_unanswered = 0;
    double health_max_unanswered_ms = 0;
    std::map<int, uint64_t> statuses;
    std::map<std::string, uint64_t> errors;
    size_t max_connections = 0, max_waiting = 0;
};

class Load {
  public:
    Load(const Options& o, const Target& t) : o_(o), t_(t), factory_(o, t) {}

    int run() {
        auto now = Clock::now();
        start_ = now;
        window_start_ = now + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o_.warmup));
        window_end_ = window_start_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o_.duration));
        asio::co_spawn(io_, main_task(), [](std::exception_ptr e) {
            if (e) std::rethrow_exception(e);
        });
        io_.run();
        report();
        return 0;
    }

  private:
    bool in_window(Clock::time_point t) const { return t >= window_start_ && t < window_end_; }

    void record(Clock::time_point sent_at, Clock::time_point done, const Outcome& out) {
        if (out.status >= 200 && out.status < 300 && done >= window_start_ && done <= window_end_) ++s_.ok_in_window;
        if (!in_window(sent_at)) return;
        ++s_.completed;
        double latency = ms(done - sent_at);
        if (out.failure == Failure::TIMEOUT) {
            ++s_.timeouts;
            ++s_.errors[out.error];
        } else if (out.failure != Failure::NONE) {
            ++s_.conn_errors;
            ++s_.errors[out.error];
        } else {
            ++s_.statuses[out.status];
            if (out.status >= 200 && out.status < 300) {
                ++s_.ok;
                s_.ok_ms.push_back(latency);
            } else if (out.status == 503) {
                ++s_.s503;
                s_.shed_ms.push_back(latency);
            } else {
                ++s_.other_non2xx;
            }
        }
        if (o_.show_response && !shown_ && out.failure == Failure::NONE) {
            shown_ = true;
            std::fprintf(stderr, "first answer: %d %s\n", out.status, out.body.substr(0, 600).c_str());
        }
    }

    // one request with one retry on a fresh socket when a reused kept-alive one turned out closed
    awaitable<Outcome> send(Conn& c) {
        bool reused = c.open && c.served > 0;
        Outcome out = co_await exchange(c, t_.endpoint, factory_.current(), timeout(), o_.show_response && !shown_);
        if (reused && out.failure == Failure::IO && out.nothing_received) {
            ++s_.stale_retries;
            out = co_await exchange(c, t_.endpoint, factory_.current(), timeout(), o_.show_response && !shown_);
        }
        co_return out;
    }

    Clock::duration timeout() const {
        return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o_.timeout));
    }

    awaitable<void> sleep_until(Clock::time_point t) {
        asio::steady_timer timer(io_);
        timer.expires_at(t);
        boost::system::error_code ec;
        co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
    }

    awaitable<void> closed_client() {
        Conn c(io_);
        ++open_conns_;
        s_.max_connections = std::max(s_.max_connections, open_conns_);
        while (Clock::now() < window_end_) {
            auto sent_at = Clock::now();
            if (sent_at >= window_start_) ++s_.sent;
            Outcome out = co_await send(c);
            auto done = Clock::now();
            record(sent_at, done, out);
            // no reconnect storm when the server refuses or resets connections
            if (out.failure != Failure::NONE) co_await sleep_until(Clock::now() + std::chrono::milliseconds(10));
            double pause = out.status != 503                            ? 0
                           : o_.honor_retry_after && out.retry_after >= 0 ? out.retry_after
                                                                          : o_.pause_on_503;
            if (pause > 0) {
                co_await sleep_until(Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                                        std::chrono::duration<double>(pause)));
            }
        }
        c.close();
        --active_;
    }

    // the open loop's connection pool: LIFO (the most recently used socket is the least likely to be stale)
    struct Waiter {
        explicit Waiter(asio::io_context& io) : timer(io) {}
        asio::steady_timer timer;
        Conn* conn = nullptr;
    };

    awaitable<Conn*> acquire() {
        if (!idle_.empty()) {
            Conn* c = idle_.back();
            idle_.pop_back();
            co_return c;
        }
        if (pool_.size() < o_.max_connections) {
            pool_.push_back(std::make_unique<Conn>(io_));
            s_.max_connections = std::max(s_.max_connections, pool_.size());
            co_return pool_.back().get();
        }
        auto w = std::make_shared<Waiter>(io_);
        w->timer.expires_at(Clock::time_point::max());
        waiters_.push_back(w);
        s_.max_waiting = std::max(s_.max_waiting, waiters_.size());
        boost::system::error_code ec;
        co_await w->timer.async_wait(asio::redirect_error(use_awaitable, ec));
        co_return w->conn;
    }

    void release(Conn* c) {
        if (!waiters_.empty()) {
            auto w = waiters_.front();
            waiters_.pop_front();
            w->conn = c;
            w->timer.cancel();
            return;
        }
        idle_.push_back(c);
    }

    awaitable<void> open_request(Clock::time_point arrival) {
        Conn* c = co_await acquire();
        if (Clock::now() - arrival > timeout()) {
            // every pooled connection stayed busy past this request's whole timeout: never sent
            release(c);
            Outcome out;
            out.failure = Failure::TIMEOUT;
            out.error = "no free connection within the timeout";
            record(arrival, Clock::now(), out);
            --active_;
            co_return;
        }
        Outcome out = co_await send(*c);
        auto done = Clock::now();
        release(c);
        record(arrival, done, out);
        --active_;
    }

    awaitable<void> arrivals() {
        std::mt19937_64 rng(o_.seed);
        std::exponential_distribution<double> gap(o_.rate);
        bool poisson = o_.arrivals == "poisson";
        double t = 0; // seconds since start_
        for (uint64_t k = 0;; ++k) {
            t = poisson ? t + gap(rng) : double(k) / o_.rate;
            auto at = start_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(t));
            if (at >= window_end_) break;
            if (at > Clock::now()) co_await sleep_until(at);
            if (at >= window_start_) ++s_.sent;
            ++active_;
            asio::co_spawn(io_, open_request(at), asio::detached);
        }
        --active_;
    }

    awaitable<void> prober() {
        Conn c(io_);
        auto request = std::make_shared<const std::string>("GET /healthz HTTP/1.1\r\nHost: " + t_.host_header + "\r\n\r\n");
        auto interval = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::milli>(o_.healthz_interval_ms));
        auto next = Clock::now();
        while (!stopping_) {
            auto sent_at = Clock::now();
            probe_sent_at_ = sent_at;
            Outcome out = co_await exchange(c, t_.endpoint, request, timeout(), false);
            probe_sent_at_.reset();
            auto done = Clock::now();
            if (in_window(sent_at)) {
                if (out.failure != Failure::NONE) ++s_.health_errors;
                else if (out.status != 200) ++s_.health_non200;
                else s_.health_ms.push_back(ms(done - sent_at));
            }
            next = std::max(next + interval, Clock::now());
            if (!stopping_) co_await sleep_until(next);
        }
        c.close();
    }

    awaitable<void> resigner() {
        while (!stopping_) {
            co_await sleep_until(Clock::now() + std::chrono::seconds(1));
            if (Clock::now() - last_signed_ > std::chrono::seconds(60)) {
                factory_.resign();
                last_signed_ = Clock::now();
            }
        }
    }

    awaitable<void> main_task() {
        last_signed_ = Clock::now();
        asio::co_spawn(io_, prober(), asio::detached);
        if (factory_.needs_signing()) asio::co_spawn(io_, resigner(), asio::detached);
        if (o_.mode == "closed") {
            active_ = size_t(o_.clients);
            for (int i = 0; i < o_.clients; ++i) asio::co_spawn(io_, closed_client(), asio::detached);
        } else {
            active_ = 1;
            asio::co_spawn(io_, arrivals(), asio::detached);
        }
        // until every request is answered (each is bounded by --timeout)
        while (active_ > 0) co_await sleep_until(Clock::now() + std::chrono::milliseconds(20));
        finished_ = Clock::now();
        stopping_ = true;
        // a /healthz still unanswered at the end: an error, and its wait so far counts in the maximum
        if (probe_sent_at_ && in_window(*probe_sent_at_)) {
            ++s_.health_unanswered;
            s_.health_max_unanswered_ms = ms(finished_ - *probe_sent_at_);
        }
        for (auto& c : pool_) c->close();
        // the prober and the re-signer notice stopping_ within one interval
        co_await sleep_until(Clock::now() + std::chrono::milliseconds(100));
        io_.stop();
    }

    void report() {
        std::sort(s_.ok_ms.begin(), s_.ok_ms.end());
        std::sort(s_.shed_ms.begin(), s_.shed_ms.end());
        std::sort(s_.health_ms.begin(), s_.health_ms.end());
        double throughput = double(s_.ok_in_window) / o_.duration;
        auto max_of = [](const std::vector<double>& v) { return v.empty() ? 0.0 : v.back(); };
        double health_max = std::max(max_of(s_.health_ms), s_.health_max_unanswered_ms);
        char load[96];
        if (o_.mode == "closed") std::snprintf(load, sizeof load, "clients=%d", o_.clients);
        else std::snprintf(load, sizeof load, "rate=%g arrivals=%s", o_.rate, o_.arrivals.c_str());
        std::printf("%s%skind=%s mode=%s %s duration=%.0fs sent=%llu completed=%llu ok=%llu throughput=%.2f/s "
                    "p50=%.1fms p90=%.1fms p99=%.1fms max=%.1fms 503=%llu other_non2xx=%llu conn_errors=%llu "
                    "timeouts=%llu stale_retries=%llu 503_p50=%.1fms healthz_p50=%.1fms healthz_p99=%.1fms "
                    "healthz_max=%.1fms healthz_errors=%llu connections=%zu client_cpu=%.1fs\n",
                    o_.label.empty() ? "" : o_.label.c_str(), o_.label.empty() ? "" : " ", o_.kind.c_str(),
                    o_.mode.c_str(), load, o_.duration, (unsigned long long)s_.sent,
                    (unsigned long long)s_.completed, (unsigned long long)s_.ok, throughput, percentile(s_.ok_ms, 0.5),
                    percentile(s_.ok_ms, 0.9), percentile(s_.ok_ms, 0.99), max_of(s_.ok_ms), (unsigned long long)s_.s503,
                    (unsigned long long)s_.other_non2xx, (unsigned long long)s_.conn_errors,
                    (unsigned long long)s_.timeouts, (unsigned long long)s_.stale_retries, percentile(s_.shed_ms, 0.5),
                    percentile(s_.health_ms, 0.5), percentile(s_.health_ms, 0.99), health_max,
                    (unsigned long long)(s_.health_errors + s_.health_non200 + s_.health_unanswered), s_.max_connections,
                    client_cpu_seconds());
        for (auto& [status, n] : s_.statuses) {
            if (status < 200 || status >= 300) std::fprintf(stderr, "  status %d: %llu\n", status, (unsigned long long)n);
        }
        for (auto& [error, n] : s_.errors) std::fprintf(stderr, "  error %s: %llu\n", error.c_str(), (unsigned long long)n);
        std::fflush(stdout);
        if (!o_.json_file.empty()) {
            nlohmann::ordered_json j;
            j["label"] = o_.label;
            j["kind"] = o_.kind;
            j["mode"] = o_.mode;
            if (o_.mode == "closed") j["clients"] = o_.clients;
            else {
                j["rate"] = o_.rate;
                j["arrivals"] = o_.arrivals;
            }
            if (o_.mode == "closed") j["pause_on_503"] = o_.honor_retry_after ? std::string("Retry-After") : std::to_string(o_.pause_on_503);
            j["duration_s"] = o_.duration;
            j["warmup_s"] = o_.warmup;
            j["sent"] = s_.sent;
            j["completed"] = s_.completed;
            j["ok"] = s_.ok;
            j["throughput_per_s"] = throughput;
            j["p50_ms"] = percentile(s_.ok_ms, 0.5);
            j["p90_ms"] = percentile(s_.ok_ms, 0.9);
            j["p99_ms"] = percentile(s_.ok_ms, 0.99);
            j["max_ms"] = max_of(s_.ok_ms);
            j["status_503"] = s_.s503;
            j["status_503_p50_ms"] = percentile(s_.shed_ms, 0.5);
            j["status_503_max_ms"] = max_of(s_.shed_ms);
            j["other_non2xx"] = s_.other_non2xx;
            j["conn_errors"] = s_.conn_errors;
            j["timeouts"] = s_.timeouts;
            j["stale_retries"] = s_.stale_retries;
            nlohmann::ordered_json statuses = nlohmann::ordered_json::object();
            for (auto& [status, n] : s_.statuses) statuses[std::to_string(status)] = n;
            j["statuses"] = statuses;
            j["errors"] = s_.errors;
            j["healthz_count"] = s_.health_ms.size();
            j["healthz_p50_ms"] = percentile(s_.health_ms, 0.5);
            j["healthz_p99_ms"] = percentile(s_.health_ms, 0.99);
            j["healthz_max_ms"] = health_max;
            j["healthz_errors"] = s_.health_errors;
            j["healthz_unanswered_at_end"] = s_.health_unanswered;
            j["healthz_non200"] = s_.health_non200;
            j["max_connections"] = s_.max_connections;
            j["max_waiting_for_connection"] = s_.max_waiting;
            j["drain_s"] = std::chrono::duration<double>(finished_ - window_end_).count();
            j["client_cpu_s"] = client_cpu_seconds();
            std::ofstream(o_.json_file, std::ios::app) << j.dump() << "\n";
        }
    }

    const Options& o_;
    const Target& t_;
    asio::io_context io_;
    RequestFactory factory_;
    Clock::time_point start_, window_start_, window_end_, finished_, last_signed_;
    Stats s_;
    size_t active_ = 0, open_conns_ = 0;
    bool stopping_ = false, shown_ = false;
    std::optional<Clock::time_point> probe_sent_at_;
    std::vector<std::unique_ptr<Conn>> pool_;
    std::vector<Conn*> idle_;
    std::deque<std::shared_ptr<Waiter>> waiters_;
};

// VmRSS (kB) and Threads of a process, from /proc/PID/status
struct ProcStatus {
    long rss_kb = -1;
    long threads = -1;
    long fds = -1;
};

ProcStatus proc_status(int pid) {
    ProcStatus s;
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmRSS:", 0) == 0) s.rss_kb = std::stol(line.substr(6));
        if (line.rfind("Threads:", 0) == 0) s.threads = std::stol(line.substr(8));
    }
    std::error_code ec;
    long fds = 0;
    for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
        ++fds;
    }
    if (!ec) s.fds = fds;
    return s;
}

// N idle connections: the server's memory and threads with them open, and /healthz meanwhile
class Idle {
  public:
    Idle(const Options& o, const Target& t) : o_(o), t_(t) {}

    int run() {
        if (o_.server_pid <= 0) throw std::runtime_error("idle mode needs --server-pid");
        before_ = proc_status(o_.server_pid);
        asio::co_spawn(io_, main_task(), [](std::exception_ptr e) {
            if (e) std::rethrow_exception(e);
        });
        io_.run();
        std::sort(health_ms_.begin(), health_ms_.end());
        long delta = with_.rss_kb - before_.rss_kb;
        double per_conn = opened_ ? double(delta) * 1024.0 / double(opened_) : 0;
        std::printf("%s%smode=idle connections=%zu opened=%zu failed=%zu still_open=%zu open_ms=%.0f "
                    "rss_before=%ldkB rss_with=%ldkB rss_after_close=%ldkB delta=%ldkB per_connection=%.0fB "
                    "threads_before=%ld threads_with=%ld fds_with=%ld healthz_p50=%.1fms healthz_max=%.1fms healthz_errors=%zu\n",
                    o_.label.empty() ? "" : o_.label.c_str(), o_.label.empty() ? "" : " ", o_.connections, opened_,
                    failed_, still_open_, open_ms_, before_.rss_kb, with_.rss_kb, after_.rss_kb, delta, per_conn,
                    before_.threads, with_.threads, with_.fds, percentile(health_ms_, 0.5),
                    health_ms_.empty() ? 0.0 : health_ms_.back(), health_errors_);
        for (auto& [error, n] : errors_) std::fprintf(stderr, "  error %s: %zu\n", error.c_str(), n);
        if (!o_.json_file.empty()) {
            nlohmann::ordered_json j;
            j["label"] = o_.label;
            j["mode"] = "idle";
            j["connections"] = o_.connections;
            j["opened"] = opened_;
            j["failed"] = failed_;
            j["still_open"] = still_open_;
            j["open_ms"] = open_ms_;
            j["rss_before_kb"] = before_.rss_kb;
            j["rss_with_kb"] = with_.rss_kb;
            j["rss_after_close_kb"] = after_.rss_kb;
            j["rss_delta_kb"] = delta;
            j["bytes_per_connection"] = per_conn;
            j["threads_before"] = before_.threads;
            j["threads_with"] = with_.threads;
            j["fds_with"] = with_.fds;
            j["healthz_p50_ms"] = percentile(health_ms_, 0.5);
            j["healthz_max_ms"] = health_ms_.empty() ? 0.0 : health_ms_.back();
            j["healthz_errors"] = health_errors_;
            j["errors"] = errors_;
            std::ofstream(o_.json_file, std::ios::app) << j.dump() << "\n";
        }
        return 0;
    }

  private:
    awaitable<void> open_one(size_t i) {
        auto& c = *conns_[i];
        boost::system::error_code ec;
        c.stream.expires_after(std::chrono::seconds(10));
        co_await c.stream.async_connect(t_.endpoint, asio::redirect_error(use_awaitable, ec));
        if (!ec && o_.idle_request) {
            auto request = std::make_shared<const std::string>("GET /healthz HTTP/1.1\r\nHost: " + t_.host_header + "\r\n\r\n");
            co_await asio::async_write(c.stream, asio::buffer(*request), asio::redirect_error(use_awaitable, ec));
            if (!ec) {
                http::response<http::string_body> res;
                co_await http::async_read(c.stream, c.buffer, res, asio::redirect_error(use_awaitable, ec));
            }
        }
        c.stream.expires_never();
        if (ec) {
            ++failed_;
            ++errors_[ec.message()];
            c.close();
        } else {
            c.open = true;
            ++opened_;
        }
        --connecting_;
    }

    awaitable<void> sleep_for(Clock::duration d) {
        asio::steady_timer timer(io_);
        timer.expires_after(d);
        boost::system::error_code ec;
        co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
    }

    // a few /healthz on a fresh connection while the idle ones are open
    awaitable<void> probe(Clock::time_point until) {
        Conn c(io_);
        auto request = std::make_shared<const std::string>("GET /healthz HTTP/1.1\r\nHost: " + t_.host_header + "\r\n\r\n");
        while (Clock::now() < until) {
            auto t0 = Clock::now();
            auto limit = std::max<Clock::duration>(until - t0, std::chrono::seconds(1));
            Outcome out = co_await exchange(c, t_.endpoint, request, limit, false);
            if (out.failure != Failure::NONE || out.status != 200) {
                ++health_errors_;
                ++errors_["healthz " + (out.error.empty() ? "status " + std::to_string(out.status) : out.error)];
            } else {
                health_ms_.push_back(ms(Clock::now() - t0));
            }
            co_await sleep_for(std::chrono::milliseconds(50));
        }
        c.close();
    }

    awaitable<void> main_task() {
        auto t0 = Clock::now();
        for (size_t i = 0; i < o_.connections; ++i) conns_.push_back(std::make_unique<Conn>(io_));
        // at most 128 connects at once (the old server's listen backlog is small)
        for (size_t i = 0; i < o_.connections; ++i) {
            while (connecting_ >= 128) co_await sleep_for(std::chrono::milliseconds(1));
            ++connecting_;
            asio::co_spawn(io_, open_one(i), asio::detached);
        }
        while (connecting_ > 0) co_await sleep_for(std::chrono::milliseconds(5));
        open_ms_ = ms(Clock::now() - t0);
        co_await sleep_for(std::chrono::milliseconds(500));
        with_ = proc_status(o_.server_pid);
        // /healthz on a new connection until the hold ends (then the connections are checked and closed)
        auto hold_end = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o_.hold));
        co_await probe(hold_end);
        if (Clock::now() < hold_end) co_await sleep_for(hold_end - Clock::now());
        // which connections has the server closed meanwhile (a read would return EOF)
        for (auto& c : conns_) {
            if (!c->open) continue;
            auto& s = c->stream.socket();
            s.non_blocking(true);
            char byte;
            boost::system::error_code ec;
            s.receive(asio::buffer(&byte, 1), tcp::socket::message_peek, ec);
            if (ec == asio::error::would_block) ++still_open_;
        }
        for (auto& c : conns_) c->close();
        co_await sleep_for(std::chrono::milliseconds(1000));
        after_ = proc_status(o_.server_pid);
        io_.stop();
    }

    const Options& o_;
    const Target& t_;
    asio::io_context io_;
    std::vector<std::unique_ptr<Conn>> conns_;
    size_t connecting_ = 0, opened_ = 0, failed_ = 0, still_open_ = 0, health_errors_ = 0;
    double open_ms_ = 0;
    ProcStatus before_, with_, after_;
    std::vector<double> health_ms_;
    std::map<std::string, size_t> errors_;
};

void raise_open_file_limit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

} // namespace

int main(int argc, char** argv) {
    Options o;
    CLI::App app{"HTTP load generator for facegate (closed loop, open loop, idle connections)"};
    app.add_option("--target", o.target, "http://HOST:PORT of the server")->capture_default_str();
    app.add_option("--kind", o.kind, "verify (POST /v1/verify) or search (SearchFacesByImage)")
        ->check(CLI::IsMember({"verify", "search"}))->capture_default_str();
    app.add_option("--mode", o.mode, "closed, open or idle")->check(CLI::IsMember({"closed", "open", "idle"}))->capture_default_str();
    app.add_option("--image", o.image, "the selfie (JPEG)");
    app.add_option("--collection", o.collection)->capture_default_str();
    app.add_option("--external-id", o.external_id, "verify: the external ID")->capture_default_str();
    app.add_option("--api-key", o.api_key, "verify: Bearer key");
    app.add_option("--api-key-file", o.api_key_file, "verify: JSON from `facegate keys create --kind api` ({\"apiKey\"})");
    app.add_option("--access-key-file", o.access_key_file, "search: JSON from `facegate keys create` ({\"accessKeyId\", \"secretAccessKey\"})");
    app.add_option("--access-key-id", o.access_key_id);
    app.add_option("--secret-access-key", o.secret_access_key);
    app.add_option("--region", o.region)->capture_default_str();
    app.add_option("--clients", o.clients, "closed loop: concurrent kept-alive clients")->capture_default_str();
    app.add_option("--rate", o.rate, "open loop: arrivals per second")->capture_default_str();
    app.add_option("--arrivals", o.arrivals, "open loop: uniform or poisson")
        ->check(CLI::IsMember({"uniform", "poisson"}))->capture_default_str();
    app.add_option("--duration", o.duration, "seconds measured")->capture_default_str();
    app.add_option("--warmup", o.warmup, "seconds of load before the measured window")->capture_default_str();
    app.add_option("--timeout", o.timeout, "seconds a request may take (connect + send + answer)")->capture_default_str();
    app.add_option("--max-connections", o.max_connections, "open loop: connection pool cap")->capture_default_str();
    app.add_option("--healthz-interval", o.healthz_interval_ms, "ms between /healthz probes")->capture_default_str();
    app.add_option("--pause-on-503", o.pause_on_503, "closed loop: seconds a client pauses after a 503")->capture_default_str();
    app.add_flag("--honor-retry-after", o.honor_retry_after,
                 "closed loop: after a 503 a client pauses for its Retry-After (else --pause-on-503)");
    app.add_option("--seed", o.seed, "Poisson arrivals' seed")->capture_default_str();
    app.add_option("--json", o.json_file, "append one JSON object per run to this file");
    app.add_option("--label", o.label, "a prefix for the output line (e.g. new, old)");
    app.add_flag("--show-response", o.show_response, "print the first answer's status and body on stderr");
    app.add_option("--connections", o.connections, "idle: connections to open")->capture_default_str();
    app.add_option("--server-pid", o.server_pid, "idle: the server's pid (for /proc/PID/status)");
    app.add_option("--hold", o.hold, "idle: seconds to hold them open")->capture_default_str();
    app.add_flag("--idle-request", o.idle_request, "idle: send one GET /healthz on each first (kept-alive idle)");
    CLI11_PARSE(app, argc, argv);
    try {
        raise_open_file_limit();
        Target target = parse_target(o.target);
        if (o.mode == "idle") return Idle(o, target).run();
        if (o.image.empty()) throw std::runtime_error("--image is required");
        if (o.mode == "open" && o.rate <= 0) throw std::runtime_error("--rate must be positive");
        if (o.mode == "closed" && o.clients < 1) throw std::runtime_error("--clients must be at least 1");
        return Load(o, target).run();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_http_load: %s\n", e.what());
        return 1;
    }
}
