// SPDX-License-Identifier: MIT
#pragma once

// helpers shared by the store tests: a temporary directory per test, embeddings, images, and the
// fixture that runs the contract tests against every backend (SQLite, and PostgreSQL on the server
// of store/pg_test_server.h)

#include "store/pg_store.h"
#include "store/sqlite_store.h"

#include "common/error.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace facegate::test {

// a fresh directory under the system temp dir, removed with its contents on destruction
class TempDir {
  public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

// a deterministic unit-length embedding for `seed`
std::vector<float> make_embedding(int seed);

// an image with `faces` faces (embeddings seeded from `seed`)
NewImageFaces make_image(int faces, int seed, std::optional<std::string> external_image_id = std::nullopt);

// a settable clock for SqliteStoreOptions::clock_ms
struct FakeClock {
    std::shared_ptr<std::atomic<std::int64_t>> now = std::make_shared<std::atomic<std::int64_t>>(1'700'000'000'000);
    std::function<std::int64_t()> function() const {
        auto p = now;
        return [p] { return p->load(); };
    }
    void advance_ms(std::int64_t ms) const { *now += ms; }
};

// a fixed key-encryption key for the tests' stores
const Kek& test_kek();

// options for a store in dir/data, sealed under test_kek()
SqliteStoreOptions options_for(const std::filesystem::path& dir);

// options for a PgStore on `conninfo`, sealed under test_kek()
PgStoreOptions pg_options_for(const std::string& conninfo);

// a SQLite store in its own temp directory (synchronous=FULL, as in production): the SQLite-only tests
class SqliteStoreTest : public ::testing::Test {
  protected:
    void SetUp() override;
    void reopen();          // closes and reopens the same database file
    SqliteStoreOptions options() const;

    TempDir dir_;
    FakeClock clock_;
    std::unique_ptr<SqliteStore> store_;
};

enum class Backend { SQLITE, POSTGRESQL };
std::string backend_name(const ::testing::TestParamInfo<Backend>& info);

// the contract tests: a store of the backend under test, on a fresh database (PostgreSQL: a new
// database on the tests' server; the test fails, with the reason, when that server cannot be started)
class StoreTest : public ::testing::TestWithParam<Backend> {
  protected:
    void SetUp() override;
    void TearDown() override;
    void reopen(); // closes the store and opens the same database again
    // another store on the same database, as another process (or node) would have; kept until the test ends.
    // max_connections 0: the default
    Store& another_store(std::size_t max_connections = 0);
    // problems the database shows (SQLite: integrity and foreign key checks; PostgreSQL: consistency queries)
    std::vector<std::string> check_integrity();

    std::unique_ptr<Store> open_store(std::size_t max_connections = 0) const;

    TempDir dir_;
    FakeClock clock_;
    std::string conninfo_; // PostgreSQL
    std::vector<std::unique_ptr<Store>> others_;
    std::unique_ptr<Store> store_;
};

// runs a StoreTest suite against both backends
#define FACEGATE_STORE_BACKENDS(suite)                                                                  \
    INSTANTIATE_TEST_SUITE_P(Backends, suite,                                                       \
                             ::testing::Values(::facegate::test::Backend::SQLITE,                   \
                                               ::facegate::test::Backend::POSTGRESQL),              \
                             ::facegate::test::backend_name)

// checks that `statement` throws facegate::Error with `code`
#define EXPECT_STORE_ERROR(statement, expected_code)                                                \
    do {                                                                                                 \
        try {                                                                                            \
            statement;                                                                                   \
            ADD_FAILURE() << "expected " << ::facegate::error_code_name(expected_code) << " from " #statement; \
        } catch (const ::facegate::Error& store_error_) {                                                \
            EXPECT_EQ(::facegate::error_code_name(store_error_.code()), ::facegate::error_code_name(expected_code)) \
                << store_error_.what();                                                                  \
        }                                                                                                \
    } while (0)

bool is_lower_uuid(const std::string& text);

// prefix + decimal number (spelled out because GCC 12 gives a false -Wrestrict on "lit" + std::to_string(n))
std::string numbered(std::string_view prefix, long long n);

} // namespace facegate::test
