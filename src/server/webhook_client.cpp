// SPDX-License-Identifier: MIT
#include "server/webhook_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <optional>

namespace facegate {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

constexpr std::size_t kMaxAnswerHeader = 16 * 1024;

// runs one asynchronous operation to its end or to the deadline. After a timeout the operation is abandoned
// with its io_context (never run again), so its handler's references are never used
template <class Start>
error_code step(asio::io_context& ioc, Clock::time_point deadline, Start&& start) {
    bool done = false;
    error_code result;
    start([&](error_code ec, auto&&...) {
        result = ec;
        done = true;
    });
    ioc.restart();
    while (!done && ioc.run_one_until(deadline) > 0) {
    }
    return done ? result : error_code(asio::error::timed_out);
}

WebhookResponse failure(std::string_view what, const error_code& ec) {
    return WebhookResponse{0, std::string(what) + ": " + ec.message()};
}

template <class Stream>
WebhookResponse exchange(asio::io_context& ioc, Clock::time_point deadline, Stream& stream, const WebhookUrl& url,
                         const std::vector<std::pair<std::string, std::string>>& headers, const std::string& body) {
    http::request<http::string_body> request{http::verb::post, url.target, 11};
    const bool default_port = url.port == (url.tls ? 443 : 80);
    const std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
    request.set(http::field::host, default_port ? host : host + ":" + std::to_string(url.port));
    for (const auto& [name, value] : headers) request.set(name, value);
    request.set(http::field::connection, "close");
    request.body() = body;
    request.prepare_payload();
    if (auto ec = step(ioc, deadline, [&](auto handler) { http::async_write(stream, request, handler); }))
        return failure("sending", ec);

    beast::flat_buffer buffer;
    http::response_parser<http::empty_body> parser;
    parser.header_limit(kMaxAnswerHeader);
    if (auto ec = step(ioc, deadline, [&](auto handler) { http::async_read_header(stream, buffer, parser, handler); }))
        return failure("reading the answer", ec);
    return WebhookResponse{static_cast<int>(parser.get().result_int()), {}};
}

} // namespace

WebhookResponse BeastWebhookClient::post(const WebhookUrl& url,
                                         const std::vector<std::pair<std::string, std::string>>& headers,
                                         const std::string& body, std::chrono::milliseconds timeout) {
    try {
        const Clock::time_point deadline = Clock::now() + timeout;
        asio::io_context ioc;
        tcp::resolver resolver(ioc);
        tcp::resolver::results_type endpoints;
        if (auto ec = step(ioc, deadline, [&](auto handler) {
                resolver.async_resolve(url.host, std::to_string(url.port),
                                       [&endpoints, handler](error_code ec, tcp::resolver::results_type results) mutable {
                                           endpoints = std::move(results);
                                           handler(ec);
                                       });
            }))
            return failure("resolving " + url.host, ec);

        tcp::socket socket(ioc);
        if (auto ec = step(ioc, deadline, [&](auto handler) { asio::async_connect(socket, endpoints, handler); }))
            return failure("connecting", ec);
        if (!url.tls) return exchange(ioc, deadline, socket, url, headers, body);

        asio::ssl::context tls(asio::ssl::context::tls_client);
        tls.set_default_verify_paths();
        tls.set_options(asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
        beast::ssl_stream<tcp::socket> stream(std::move(socket), tls);
        stream.set_verify_mode(asio::ssl::verify_peer);
        stream.set_verify_callback(asio::ssl::host_name_verification(url.host));
        if (!SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str()))
            return WebhookResponse{0, "TLS: cannot name the host"};
        if (auto ec = step(ioc, deadline,
                           [&](auto handler) { stream.async_handshake(asio::ssl::stream_base::client, handler); }))
            return failure("TLS handshake", ec);
        return exchange(ioc, deadline, stream, url, headers, body);
    } catch (const std::exception& e) {
        return WebhookResponse{0, std::string("HTTP client: ") + e.what()};
    }
}

} // namespace facegate
