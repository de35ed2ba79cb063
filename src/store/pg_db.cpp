// SPDX-License-Identifier: MIT
#include "store/pg_db.h"

#include <libpq-fe.h>

#include <poll.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <thread>

namespace facegate::pg {

namespace {

// type oids (pg_type.h): the ones the store's queries return
constexpr Oid kBool = 16, kBytea = 17, kInt8 = 20, kInt2 = 21, kInt4 = 23, kFloat4 = 700, kFloat8 = 701;

std::uint64_t read_be(const char* p, std::size_t n) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
    return v;
}

// the first line of a libpq message, without its trailing newline
std::string first_line(const char* message) {
    std::string text = message ? message : "";
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
}

ErrorCode code_for(const std::string& sqlstate) {
    // bugs: bad SQL, data or constraint errors; anything else means the database cannot serve now
    const std::string cls = sqlstate.substr(0, 2);
    if (cls == "22" || cls == "23" || cls == "42" || cls == "0A" || cls == "P0") return ErrorCode::INTERNAL;
    return ErrorCode::STORE_UNAVAILABLE;
}

[[noreturn]] void throw_result_error(std::string_view what, const PGresult* result) {
    const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
    std::string sqlstate = state ? state : "";
    std::string message = "store: " + std::string(what) + " failed: PostgreSQL " + (sqlstate.empty() ? "" : sqlstate + " ") +
                          first_line(primary ? primary : PQresultErrorMessage(result));
    throw DbError(code_for(sqlstate), std::move(message), std::move(sqlstate));
}

// waits until `fd` is ready for `events` or `stop_fd` is readable; false at the deadline
bool wait_for(int fd, short events, Clock::time_point deadline, int stop_fd = -1) {
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) return false;
        pollfd fds[2] = {{fd, events, 0}, {stop_fd, POLLIN, 0}};
        const int n = ::poll(fds, stop_fd >= 0 ? 2 : 1, static_cast<int>(std::min<long long>(left, 1000)));
        if (n < 0 && errno != EINTR) return true; // let libpq report the socket's problem
        if (stop_fd >= 0 && n > 0 && (fds[1].revents & POLLIN)) return false;
        if (n > 0 && fds[0].revents) return true;
    }
}

// cancels the running query without waiting for it: PQcancel connects to the server, which may itself hang
void cancel_in_background(PGconn* conn) {
    PGcancel* cancel = PQgetCancel(conn);
    if (!cancel) return;
    std::thread([cancel] {
        char buffer[256];
        PQcancel(cancel, buffer, sizeof buffer);
        PQfreeCancel(cancel);
    }).detach();
}

} // namespace

Param::Param(double value) {
    char buffer[64];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value); // shortest exact form
    value_ = std::isfinite(value) && ec == std::errc() ? std::string(buffer, end) : std::string("NaN");
}

//
// results
//

Result& Result::operator=(Result&& other) noexcept {
    if (this != &other) {
        if (result_) PQclear(result_);
        result_ = other.result_;
        other.result_ = nullptr;
    }
    return *this;
}

Result::~Result() {
    if (result_) PQclear(result_);
}

int Result::rows() const { return result_ ? PQntuples(result_) : 0; }

bool Result::is_null(int row, int column) const { return PQgetisnull(result_, row, column) != 0; }

std::int64_t Result::integer(int row, int column) const {
    if (is_null(row, column)) return 0;
    const char* p = PQgetvalue(result_, row, column);
    switch (PQftype(result_, column)) {
    case kInt8: return static_cast<std::int64_t>(read_be(p, 8));
    case kInt4: return static_cast<std::int32_t>(read_be(p, 4));
    case kInt2: return static_cast<std::int16_t>(read_be(p, 2));
    case kBool: return p[0] != 0;
    default: throw Error(ErrorCode::INTERNAL, "store: a PostgreSQL column is not an integer");
    }
}

std::optional<std::int64_t> Result::optional_integer(int row, int column) const {
    if (is_null(row, column)) return std::nullopt;
    return integer(row, column);
}

double Result::real(int row, int column) const {
    if (is_null(row, column)) return 0;
    const char* p = PQgetvalue(result_, row, column);
    switch (PQftype(result_, column)) {
    case kFloat8: return std::bit_cast<double>(read_be(p, 8));
    case kFloat4: return std::bit_cast<float>(static_cast<std::uint32_t>(read_be(p, 4)));
    default: return static_cast<double>(integer(row, column));
    }
}

bool Result::boolean(int row, int column) const { return integer(row, column) != 0; }

std::string_view Result::bytes(int row, int column) const {
    return {PQgetvalue(result_, row, column), static_cast<std::size_t>(PQgetlength(result_, row, column))};
}

std::string Result::text(int row, int column) const { return std::string(bytes(row, column)); }

std::optional<std::string> Result::optional_text(int row, int column) const {
    if (is_null(row, column)) return std::nullopt;
    return text(row, column);
}

//
// connections
//

std::string describe_target(const std::string& conninfo) {
    char* error = nullptr;
    PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
    if (!options) {
        if (error) PQfreemem(error);
        return "an unparsable conninfo";
    }
    std::string host, port, dbname;
    for (PQconninfoOption* o = options; o->keyword; ++o) {
        if (!o->val) continue;
        const std::string_view key = o->keyword;
        if (key == "host" || (key == "hostaddr" && host.empty())) host = o->val;
        else if (key == "port") port = o->val;
        else if (key == "dbname") dbname = o->val;
    }
    PQconninfoFree(options);
    std::string out = "host " + (host.empty() ? std::string("(default)") : host);
    if (!port.empty()) out += ", port " + port;
    if (!dbname.empty()) out += ", database " + dbname;
    return out;
}

namespace {
// `text` with every "quoted" part replaced by "..."
std::string without_quoted(const std::string& text) {
    std::string out;
    bool inside = false;
    for (char c : text) {
        if (c == '"') {
            if (!inside) out += "\"...\"";
            inside = !inside;
            continue;
        }
        if (!inside) out += c;
    }
    return out;
}
} // namespace

Connection::Connection(const std::string& conninfo, std::chrono::milliseconds timeout, const std::string& settings,
                       int stop_fd) {
    const Clock::time_point deadline = Clock::now() + timeout;
    // the conninfo is expanded from "dbname"; what follows it overrides it (our timeout, UTF-8 text)
    const std::string seconds = std::to_string(std::max<long long>(2, (timeout.count() + 999) / 1000));
    const char* keywords[] = {"application_name", "dbname", "connect_timeout", "client_encoding", nullptr};
    const char* values[] = {"facegate", conninfo.c_str(), seconds.c_str(), "UTF8", nullptr};
    conn_ = PQconnectStartParams(keywords, values, 1);
    // a constructor that throws runs no destructor: every failure closes the connection here, or each
    // failed attempt during an outage would leak a socket
    auto fail = [&](const std::string& why) {
        if (conn_) PQfinish(conn_);
        conn_ = nullptr;
        throw DbError(ErrorCode::STORE_UNAVAILABLE,
                      "store: cannot connect to PostgreSQL (" + describe_target(conninfo) + "): " + why, "");
    };
    if (!conn_) fail("out of memory");
    // a connection string libpq cannot parse: its message quotes the part it choked on, which may be the
    // password, so the quoted parts are left out
    if (PQstatus(conn_) == CONNECTION_BAD) fail("cannot start (is the connection string valid?): " + without_quoted(first_line(PQerrorMessage(conn_))));
    PostgresPollingStatusType status = PGRES_POLLING_WRITING;
    while (status != PGRES_POLLING_OK) {
        if (status == PGRES_POLLING_FAILED) fail(first_line(PQerrorMessage(conn_)));
        const short events = status == PGRES_POLLING_READING ? POLLIN : POLLOUT;
        if (!wait_for(PQsocket(conn_), events, deadline, stop_fd))
            fail("no answer within " + std::to_string(timeout.count()) + " ms");
        status = PQconnectPoll(conn_);
    }
    if (PQsetnonblocking(conn_, 1) != 0) fail("cannot use non-blocking mode");
    // the server's notices and warnings (e.g. about its own shutdown) are not written to stderr
    PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
    try {
        if (!settings.empty()) exec("connection settings", settings, Clock::now() + timeout);
    } catch (...) {
        PQfinish(conn_);
        conn_ = nullptr;
        throw;
    }
}

Connection::~Connection() {
    if (conn_) PQfinish(conn_);
}

bool Connection::broken() const { return broken_ || PQstatus(conn_) != CONNECTION_OK; }

bool Connection::in_transaction() const {
    const PGTransactionStatusType t = PQtransactionStatus(conn_);
    return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

int Connection::socket() const { return PQsocket(conn_); }

void Connection::consume_input() {
    if (!PQconsumeInput(conn_)) {
        broken_ = true;
        throw DbError(ErrorCode::STORE_UNAVAILABLE, "store: lost the PostgreSQL connection: " +
                                                        first_line(PQerrorMessage(conn_)), "", true);
    }
}

std::optional<Connection::Notification> Connection::next_notification() {
    PGnotify* n = PQnotifies(conn_);
    if (!n) return std::nullopt;
    Notification out{n->relname ? n->relname : "", n->extra ? n->extra : ""};
    PQfreemem(n);
    return out;
}

// after a PQsend*: flushes the request and collects every result, within the deadline
void Connection::send_and_wait(std::string_view what, Clock::time_point deadline, bool sent,
                               std::vector<pg_result*>& out) {
    auto lost = [&]() {
        broken_ = true;
        for (PGresult* r : out) PQclear(r);
        out.clear();
        throw DbError(ErrorCode::STORE_UNAVAILABLE,
                      "store: " + std::string(what) + " failed: PostgreSQL connection lost: " +
                          first_line(PQerrorMessage(conn_)),
                      "", true);
    };
    auto timed_out = [&]() {
        cancel_in_background(conn_);
        broken_ = true; // the answer may still come: never reuse this connection
        for (PGresult* r : out) PQclear(r);
        out.clear();
        throw DbError(ErrorCode::STORE_UNAVAILABLE,
                      "store: " + std::string(what) + " failed: PostgreSQL did not answer in time", "");
    };
    if (!sent) lost();
    for (;;) {
        const int flushed = PQflush(conn_);
        if (flushed == 0) break;
        if (flushed < 0) lost();
        if (!wait_for(PQsocket(conn_), POLLOUT | POLLIN, deadline)) timed_out();
        if (!PQconsumeInput(conn_)) lost();
    }
    for (;;) {
        while (!PQisBusy(conn_)) {
            PGresult* r = PQgetResult(conn_);
            if (!r) {
                if (PQstatus(conn_) != CONNECTION_OK) lost();
                return;
            }
            out.push_back(r);
        }
        if (!wait_for(PQsocket(conn_), POLLIN, deadline)) timed_out();
        if (!PQconsumeInput(conn_)) lost();
    }
}

void Connection::prepare(std::string_view what, const std::string& name, const std::string& sql,
                         Clock::time_point deadline) {
    std::vector<PGresult*> results;
    send_and_wait(what, deadline, PQsendPrepare(conn_, name.c_str(), sql.c_str(), 0, nullptr) == 1, results);
    const PGresult* error = nullptr;
    for (PGresult* r : results)
        if (PQresultStatus(r) != PGRES_COMMAND_OK && !error) error = r;
    if (error) {
        try {
            throw_result_error(what, error);
        } catch (...) {
            for (PGresult* r : results) PQclear(r);
            throw;
        }
    }
    for (PGresult* r : results) PQclear(r);
    prepared_.emplace(sql, name);
}

Result Connection::query(std::string_view what, const std::string& sql, const std::vector<Param>& params,
                         Clock::time_point deadline) {
    if (broken()) {
        broken_ = true;
        throw DbError(ErrorCode::STORE_UNAVAILABLE, "store: " + std::string(what) + " failed: PostgreSQL connection lost", "",
                      true);
    }
    auto found = prepared_.find(sql);
    if (found == prepared_.end()) {
        prepare(what, "s" + std::to_string(prepared_.size()), sql, deadline);
        found = prepared_.find(sql);
    }
    std::vector<const char*> values(params.size());
    std::vector<int> lengths(params.size()), formats(params.size());
    for (std::size_t i = 0; i < params.size(); ++i) {
        const std::optional<std::string>& v = params[i].value();
        values[i] = v ? v->data() : nullptr;
        lengths[i] = v ? static_cast<int>(v->size()) : 0;
        formats[i] = params[i].binary() ? 1 : 0;
    }
    std::vector<PGresult*> results;
    const bool sent = PQsendQueryPrepared(conn_, found->second.c_str(), static_cast<int>(params.size()),
                                          values.data(), lengths.data(), formats.data(), 1) == 1;
    send_and_wait(what, deadline, sent, results);
    PGresult* error = nullptr;
    for (PGresult* r : results) {
        const ExecStatusType s = PQresultStatus(r);
        if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK && !error) error = r;
    }
    if (error || results.empty()) {
        try {
            if (!error) throw DbError(ErrorCode::INTERNAL, "store: " + std::string(what) + " returned nothing", "");
            throw_result_error(what, error);
        } catch (...) {
            for (PGresult* r : results) PQclear(r);
            throw;
        }
    }
    for (std::size_t i = 0; i + 1 < results.size(); ++i) PQclear(results[i]);
    return Result(results.back());
}

void Connection::exec(std::string_view what, const std::string& sql, Clock::time_point deadline) {
    if (broken()) {
        broken_ = true;
        throw DbError(ErrorCode::STORE_UNAVAILABLE, "store: " + std::string(what) + " failed: PostgreSQL connection lost", "",
                      true);
    }
    std::vector<PGresult*> results;
    send_and_wait(what, deadline, PQsendQuery(conn_, sql.c_str()) == 1, results);
    PGresult* error = nullptr;
    for (PGresult* r : results) {
        const ExecStatusType s = PQresultStatus(r);
        if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK && !error) error = r;
    }
    try {
        if (error) throw_result_error(what, error);
    } catch (...) {
        for (PGresult* r : results) PQclear(r);
        throw;
    }
    for (PGresult* r : results) PQclear(r);
}

} // namespace facegate::pg
