// SPDX-License-Identifier: MIT
#pragma once

// Thin RAII helpers over libpq (the PostgreSQL C API), private to the store module.
//
// A Connection is used by one thread at a time (the store's pool hands it out). Every round trip runs
// on libpq's asynchronous API against a deadline: the socket is polled for the time left, and a query
// still running at the deadline is cancelled and the connection marked broken (the pool then drops it),
// so a stalled or vanished server gives Error STORE_UNAVAILABLE instead of a hang.
//
// Statements are prepared once per connection, lazily, named after their SQL text's slot in the
// connection's cache. Parameters go as text (the server parses them into the column's type), except
// bytea, which goes binary; results come back in binary format and are decoded by column type.
//
// Errors never carry the conninfo's password or a parameter value: they name the operation and
// PostgreSQL's SQLSTATE and message.

#include "common/error.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct pg_conn;
struct pg_result;

namespace facegate::pg {

using Clock = std::chrono::steady_clock;

// an Error from the server or the connection; sqlstate is "" when the connection failed
class DbError : public Error {
  public:
    DbError(ErrorCode code, std::string message, std::string sqlstate, bool connection_lost = false)
        : Error(code, std::move(message)), sqlstate_(std::move(sqlstate)), connection_lost_(connection_lost) {}
    const std::string& sqlstate() const noexcept { return sqlstate_; }
    // the connection broke (not a timeout, not an error of the statement)
    bool connection_lost() const noexcept { return connection_lost_; }
    // 40001 serialization_failure, 40P01 deadlock_detected: the transaction may simply be run again
    bool retryable() const noexcept { return sqlstate_ == "40001" || sqlstate_ == "40P01"; }

  private:
    std::string sqlstate_;
    bool connection_lost_ = false;
};

// a query parameter: text (or NULL), or bytes sent as binary bytea
class Param {
  public:
    Param(std::nullopt_t) {}
    Param(std::string_view text) : value_(std::string(text)) {}
    Param(const std::string& text) : value_(text) {}
    Param(const char* text) : value_(std::string(text)) {}
    Param(std::int64_t value) : value_(std::to_string(value)) {}
    Param(int value) : value_(std::to_string(value)) {}
    Param(std::uint32_t value) : value_(std::to_string(value)) {}
    Param(bool value) : value_(value ? "true" : "false") {}
    Param(double value);
    Param(const std::optional<std::string>& text) : value_(text) {}
    Param(std::optional<std::int64_t> value) {
        if (value) value_ = std::to_string(*value);
    }
    static Param bytes(std::string_view bytes) {
        Param p{std::string(bytes)};
        p.binary_ = true;
        return p;
    }

    const std::optional<std::string>& value() const { return value_; }
    bool binary() const { return binary_; }

  private:
    std::optional<std::string> value_;
    bool binary_ = false;
};

// a query's rows, binary format; columns are 0-based
class Result {
  public:
    Result() = default;
    explicit Result(pg_result* result) : result_(result) {}
    Result(Result&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
    Result& operator=(Result&& other) noexcept;
    Result(const Result&) = delete;
    Result& operator=(const Result&) = delete;
    ~Result();

    int rows() const;
    bool empty() const { return rows() == 0; }
    bool is_null(int row, int column) const;
    // int2/int4/int8 (and bool as 0/1)
    std::int64_t integer(int row, int column) const;
    std::optional<std::int64_t> optional_integer(int row, int column) const;
    double real(int row, int column) const; // float4/float8
    bool boolean(int row, int column) const;
    // text-like and bytea columns: their bytes
    std::string text(int row, int column) const;
    std::optional<std::string> optional_text(int row, int column) const;
    std::string_view bytes(int row, int column) const;

  private:
    pg_result* result_ = nullptr;
};

class Connection {
  public:
    // connects within `timeout` (Error STORE_UNAVAILABLE naming the host and database, never the password);
    // `conninfo` is a URI or key=value string; `settings` are run once connected (SET ...).
    // `stop_fd` (optional, readable = give up) lets a thread that must stop promptly abandon the attempt
    Connection(const std::string& conninfo, std::chrono::milliseconds timeout, const std::string& settings,
               int stop_fd = -1);
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection();

    // runs `sql` (one statement, prepared once per connection) with `params`; `what` names the
    // operation in errors. Throws DbError. A deadline passed cancels the query and breaks the connection
    Result query(std::string_view what, const std::string& sql, const std::vector<Param>& params,
                 Clock::time_point deadline);
    // runs one or more statements through the simple protocol (BEGIN, COMMIT, VACUUM, LISTEN)
    void exec(std::string_view what, const std::string& sql, Clock::time_point deadline);

    // the connection cannot be used any more (lost, cancelled mid-query, or in an unknown state)
    bool broken() const;
    void mark_broken() { broken_ = true; }
    // whether a transaction is open (or failed and not yet rolled back)
    bool in_transaction() const;

    // notifications (LISTEN): the socket to poll, read what arrived, then take them one by one
    int socket() const;
    void consume_input(); // throws DbError when the connection is lost
    struct Notification {
        std::string channel, payload;
    };
    std::optional<Notification> next_notification();

  private:
    void send_and_wait(std::string_view what, Clock::time_point deadline, bool sent, std::vector<pg_result*>& out);
    void prepare(std::string_view what, const std::string& name, const std::string& sql, Clock::time_point deadline);

    pg_conn* conn_ = nullptr;
    bool broken_ = false;
    std::unordered_map<std::string, std::string> prepared_; // sql -> statement name
};

// where a conninfo points, for messages: "host H, port P, database D" (never the password)
std::string describe_target(const std::string& conninfo);

} // namespace facegate::pg
