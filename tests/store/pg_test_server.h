// SPDX-License-Identifier: MIT
#pragma once

// The PostgreSQL server of the store tests: started on first use (initdb into a fresh temporary
// directory, pg_ctl on a Unix socket in it, no TCP, fsync off), one for the whole test binary, stopped
// and removed at exit by a gtest Environment. Run as the `postgres` user when the tests run as root.
// FACEGATE_TEST_PG=<conninfo> uses an existing server instead (each test still gets its own database).

#include <string>
#include <vector>

namespace facegate::test {

class PgTestServer {
  public:
    static PgTestServer& instance();

    // a fresh, empty database; its conninfo. Throws std::runtime_error with the reason when no server runs
    std::string create_database();
    void drop_database(const std::string& conninfo) noexcept;
    // runs SQL on the database of `conninfo` as the administrator (tests that alter a store's tables);
    // the first column of each row, as text
    std::vector<std::string> sql(const std::string& conninfo, const std::string& statement);

    // the fault tests: `pg_ctl stop -m immediate`, then start again (same data, same socket)
    bool can_restart() const { return !external_; }
    void stop_immediately();
    void start(); // when stopped

    void shutdown() noexcept; // at exit

  private:
    PgTestServer() = default;
    void ensure_started();
    void start_locked();
    std::string run(const std::string& command, bool as_postgres); // "" on success, else the reason

    bool tried_ = false, external_ = false, running_ = false;
    std::string failure_;
    std::string dir_, bindir_, admin_conninfo_;
    int next_db_ = 0;
};

// `conninfo` with its database replaced
std::string with_database(const std::string& conninfo, const std::string& database);

} // namespace facegate::test
