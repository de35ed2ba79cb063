// SPDX-License-Identifier: MIT
#pragma once

// Thin RAII helpers over the SQLite C API, private to the store module.
// A Connection is used by one thread at a time (the store's pool hands it out); it is opened with
// SQLITE_OPEN_NOMUTEX for that reason.

#include "common/error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace facegate::sqlite {

// throws Error: STORE_UNAVAILABLE for I/O, locking, full-disk, corruption and open failures (the
// database cannot be used now), INTERNAL for anything else (SQL errors, constraint violations: bugs)
[[noreturn]] void throw_error(sqlite3* db, int rc, std::string_view context);

// the STORE_UNAVAILABLE thrown for SQLITE_BUSY and SQLITE_LOCKED: another connection holds the lock.
// SQLite answers so without calling the busy handler where waiting could deadlock, so a caller that
// knows the whole step is safe to repeat (opening the file) may try again
class BusyError : public Error {
  public:
    using Error::Error;
};

// a prepared statement borrowed from a Connection's cache; reset and unbound on destruction
class Statement {
  public:
    Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
    Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) { other.stmt_ = nullptr; }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    Statement& operator=(Statement&&) = delete;
    ~Statement();

    // parameters are 1-based; text and blobs are copied
    Statement& bind(int index, std::int64_t value);
    Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
    Statement& bind(int index, double value);
    Statement& bind(int index, std::string_view value);
    Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
    Statement& bind(int index, const std::string& value) { return bind(index, std::string_view(value)); }
    Statement& bind(int index, const std::optional<std::string>& value);
    Statement& bind(int index, std::optional<std::int64_t> value);
    Statement& bind_null(int index);
    Statement& bind_blob(int index, std::string_view bytes);

    bool step(); // true when a row is available, false when done
    void run();  // steps to completion; the statement must not return rows

    // columns are 0-based, valid while the current row is
    bool is_null(int column) const;
    std::int64_t integer(int column) const;
    double real(int column) const;
    std::string text(int column) const;
    std::optional<std::string> optional_text(int column) const;
    std::optional<std::int64_t> optional_integer(int column) const;
    std::string_view blob(int column) const;

  private:
    sqlite3* db_;
    sqlite3_stmt* stmt_;
};

class Connection {
  public:
    // opens (creating if `create`) the database file; Error STORE_UNAVAILABLE on failure
    Connection(const std::string& path, bool create);
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection();

    // a cached prepared statement for `sql` (one statement); do not hold two guards of the same SQL at once
    Statement prepare(const std::string& sql);
    // runs one or more statements that return no rows of interest
    void exec(const char* sql);
    // the first column of the first row of `sql` as text ("" when no row)
    std::string query_text(const char* sql);
    std::int64_t query_integer(const char* sql);

    std::int64_t last_insert_rowid() const;
    int changes() const; // rows changed by the last INSERT, UPDATE or DELETE
    bool in_transaction() const;
    sqlite3* handle() const { return db_; }

  private:
    sqlite3* db_ = nullptr;
    std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

} // namespace facegate::sqlite
