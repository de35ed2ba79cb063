// SPDX-License-Identifier: MIT
#include "store/pg_test_server.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <pwd.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <mutex>
#include <stdexcept>

namespace facegate::test {

namespace {

std::mutex g_mutex;

std::string quote_conninfo_value(const std::string& value) {
    std::string out = "'";
    for (char c : value) {
        if (c == '\'' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
    return out + "'";
}

std::string shell_quote(const std::string& text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'')
            out += "'\\''";
        else
            out.push_back(c);
    }
    return out + "'";
}

std::string file_text(const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

struct Conn {
    PGconn* c = nullptr;
    explicit Conn(const std::string& conninfo) : c(PQconnectdb(conninfo.c_str())) {
        if (PQstatus(c) != CONNECTION_OK) {
            std::string why = PQerrorMessage(c);
            PQfinish(c);
            throw std::runtime_error("cannot connect to the test PostgreSQL: " + why);
        }
    }
    ~Conn() { PQfinish(c); }
    std::vector<std::string> exec(const std::string& sql) {
        std::unique_ptr<PGresult, void (*)(PGresult*)> r(PQexec(c, sql.c_str()), PQclear);
        const ExecStatusType s = PQresultStatus(r.get());
        if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
            throw std::runtime_error(std::string(PQresultErrorMessage(r.get())) + " in " + sql);
        std::vector<std::string> rows;
        for (int i = 0; i < PQntuples(r.get()); ++i)
            rows.emplace_back(PQnfields(r.get()) > 0 ? PQgetvalue(r.get(), i, 0) : "");
        return rows;
    }
};

class PgEnvironment : public ::testing::Environment {
  public:
    void TearDown() override { PgTestServer::instance().shutdown(); }
};

[[maybe_unused]] ::testing::Environment* const g_environment = ::testing::AddGlobalTestEnvironment(new PgEnvironment);

} // namespace

std::string with_database(const std::string& conninfo, const std::string& database) {
    char* error = nullptr;
    PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
    if (!options) {
        if (error) PQfreemem(error);
        throw std::runtime_error("FACEGATE_TEST_PG is not a valid conninfo");
    }
    std::string out;
    for (PQconninfoOption* o = options; o->keyword; ++o) {
        if (std::string(o->keyword) == "dbname" || !o->val) continue;
        out += std::string(o->keyword) + "=" + quote_conninfo_value(o->val) + " ";
    }
    PQconninfoFree(options);
    return out + "dbname=" + quote_conninfo_value(database);
}

PgTestServer& PgTestServer::instance() {
    static PgTestServer server;
    return server;
}

std::string PgTestServer::run(const std::string& command, bool as_postgres) {
    const std::string log = dir_ + "/command.log";
    std::string full = command;
    if (as_postgres && ::geteuid() == 0) full = "runuser -u postgres -- " + command;
    const int rc = std::system((full + " > " + shell_quote(log) + " 2>&1").c_str());
    if (rc == 0) return "";
    return "`" + full + "` failed (status " + std::to_string(rc) + "): " + file_text(log);
}

void PgTestServer::ensure_started() {
    if (tried_) {
        if (!failure_.empty()) throw std::runtime_error(failure_);
        return;
    }
    tried_ = true;
    if (const char* given = std::getenv("FACEGATE_TEST_PG"); given && *given) {
        external_ = true;
        admin_conninfo_ = given;
        return;
    }
    auto fail = [&](const std::string& why) {
        failure_ = "cannot start the test PostgreSQL server: " + why;
        throw std::runtime_error(failure_);
    };
    for (const char* candidate : {"/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin"})
        if (std::filesystem::exists(std::string(candidate) + "/initdb")) {
            bindir_ = candidate;
            break;
        }
    if (bindir_.empty()) {
        if (FILE* p = ::popen("pg_config --bindir 2>/dev/null", "r")) {
            char line[512] = {};
            if (std::fgets(line, sizeof line, p)) bindir_ = line;
            ::pclose(p);
            while (!bindir_.empty() && (bindir_.back() == '\n' || bindir_.back() == ' ')) bindir_.pop_back();
        }
    }
    if (bindir_.empty() || !std::filesystem::exists(bindir_ + "/initdb"))
        fail("initdb not found (apt-get install postgresql-15, or set FACEGATE_TEST_PG to a conninfo)");
    std::string pattern = (std::filesystem::temp_directory_path() / "facegate-pg-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) fail("mkdtemp failed");
    dir_ = pattern;
    if (::geteuid() == 0) {
        const passwd* pw = ::getpwnam("postgres");
        if (!pw) fail("running as root and there is no postgres user to run the server as");
        if (::chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) fail("cannot chown " + dir_);
    }
    if (std::string why = run(shell_quote(bindir_ + "/initdb") + " -D " + shell_quote(dir_ + "/data") +
                                  " -A trust -U postgres -E UTF8 --locale=C.UTF-8 --no-sync",
                              true);
        !why.empty())
        fail(why);
    admin_conninfo_ = "host=" + quote_conninfo_value(dir_) + " user=postgres dbname=postgres";
    start_locked();
}

void PgTestServer::start() {
    std::lock_guard lock(g_mutex);
    if (!external_ && !running_ && !dir_.empty()) start_locked();
}

void PgTestServer::start_locked() {
    const std::string options = "-k " + dir_ +
                                " -c listen_addresses='' -c fsync=off -c max_connections=300";
    if (std::string why = run(shell_quote(bindir_ + "/pg_ctl") + " -w -t 60 -D " + shell_quote(dir_ + "/data") +
                                  " -l " + shell_quote(dir_ + "/server.log") + " -o " + shell_quote(options) + " start",
                              true);
        !why.empty()) {
        failure_ = "cannot start the test PostgreSQL server: " + why + "\n" + file_text(dir_ + "/server.log");
        throw std::runtime_error(failure_);
    }
    running_ = true;
}

void PgTestServer::stop_immediately() {
    std::lock_guard lock(g_mutex);
    if (external_ || !running_) return;
    run(shell_quote(bindir_ + "/pg_ctl") + " -w -D " + shell_quote(dir_ + "/data") + " stop -m immediate", true);
    running_ = false;
}

std::string PgTestServer::create_database() {
    std::lock_guard lock(g_mutex);
    ensure_started();
    if (!running_ && !external_) start_locked();
    const std::string name = "facegate_test_" + std::to_string(::getpid()) + "_" + std::to_string(++next_db_);
    Conn(admin_conninfo_).exec("CREATE DATABASE " + name);
    return with_database(admin_conninfo_, name);
}

void PgTestServer::drop_database(const std::string& conninfo) noexcept {
    std::lock_guard lock(g_mutex);
    if (!running_ && !external_) return;
    try {
        char* error = nullptr;
        PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
        std::string name;
        for (PQconninfoOption* o = options; o && o->keyword; ++o)
            if (std::string(o->keyword) == "dbname" && o->val) name = o->val;
        PQconninfoFree(options);
        if (!name.empty()) Conn(admin_conninfo_).exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    } catch (...) {
    }
}

std::vector<std::string> PgTestServer::sql(const std::string& conninfo, const std::string& statement) {
    return Conn(conninfo).exec(statement);
}

void PgTestServer::shutdown() noexcept {
    std::lock_guard lock(g_mutex);
    if (external_ || dir_.empty()) return;
    if (running_)
        run(shell_quote(bindir_ + "/pg_ctl") + " -w -D " + shell_quote(dir_ + "/data") + " stop -m fast", true);
    running_ = false;
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    dir_.clear();
}

} // namespace facegate::test
