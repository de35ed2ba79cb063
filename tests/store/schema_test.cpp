// SPDX-License-Identifier: MIT
#include "store/sqlite_db.h"
#include "store/sqlite_schema.h"

#include "store/store_test_util.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <fstream>
#include <thread>

namespace facegate {
namespace {

using test::TempDir;

std::string pragma(const std::filesystem::path& db, const std::string& name) {
    sqlite::Connection c(db.string(), false);
    return c.query_text(("PRAGMA " + name).c_str());
}

TEST(Schema, NewDatabaseIsMigratedMarkedAndInWalMode) {
    TempDir dir;
    SqliteStore store(test::options_for(dir.path()));
    EXPECT_EQ(store.schema_version(), sqlite_schema::kSchemaVersion);
    EXPECT_EQ(pragma(store.database_path(), "user_version"), std::to_string(sqlite_schema::kSchemaVersion));
    EXPECT_EQ(pragma(store.database_path(), "application_id"), std::to_string(sqlite_schema::kApplicationId));
    EXPECT_EQ(pragma(store.database_path(), "journal_mode"), "wal");
    EXPECT_TRUE(store.check_integrity().empty());
}

TEST(Schema, FilesAreOwnerOnly) {
    TempDir dir;
    SqliteStore store(test::options_for(dir.path()));
    store.create_collection("c", "v1"); // makes the WAL file exist
    struct stat st {};
    ASSERT_EQ(::stat(store.database_path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    ASSERT_EQ(::stat(store.database_path().parent_path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    std::string wal = store.database_path().string() + "-wal";
    ASSERT_EQ(::stat(wal.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0077, 0u);
}

TEST(Schema, MigrateIsIdempotentAndReportsTheVersionFound) {
    TempDir dir;
    std::string path = (dir.path() / "x.db").string();
    sqlite::Connection c(path, true);
    EXPECT_EQ(sqlite_schema::migrate(c), 0);
    EXPECT_EQ(sqlite_schema::schema_version(c), sqlite_schema::kSchemaVersion);
    EXPECT_EQ(sqlite_schema::migrate(c), sqlite_schema::kSchemaVersion);
    EXPECT_EQ(c.query_integer("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'faces'"), 1);
}

TEST(Schema, RefusesANewerSchema) {
    TempDir dir;
    std::filesystem::path db;
    {
        SqliteStore store(test::options_for(dir.path()));
        db = store.database_path();
    }
    {
        sqlite::Connection c(db.string(), false);
        c.exec("PRAGMA user_version = 99");
    }
    EXPECT_STORE_ERROR(SqliteStore(test::options_for(dir.path())), ErrorCode::STORE_UNAVAILABLE);
}

TEST(Schema, RefusesAnotherApplicationsDatabase) {
    TempDir dir;
    auto options = test::options_for(dir.path());
    std::filesystem::create_directories(options.data_dir);
    {
        sqlite::Connection c((options.data_dir / options.file_name).string(), true);
        c.exec("CREATE TABLE stuff(x); INSERT INTO stuff VALUES (1)");
    }
    EXPECT_STORE_ERROR(SqliteStore{options}, ErrorCode::STORE_UNAVAILABLE);

    options.file_name = "other.db";
    {
        sqlite::Connection c((options.data_dir / options.file_name).string(), true);
        c.exec("PRAGMA application_id = 12345");
    }
    EXPECT_STORE_ERROR(SqliteStore{options}, ErrorCode::STORE_UNAVAILABLE);
}

TEST(Schema, RefusesAFileThatIsNotADatabase) {
    TempDir dir;
    auto options = test::options_for(dir.path());
    std::filesystem::create_directories(options.data_dir);
    std::ofstream(options.data_dir / options.file_name) << std::string(8192, 'x');
    EXPECT_STORE_ERROR(SqliteStore{options}, ErrorCode::STORE_UNAVAILABLE);
}

TEST(Schema, SeveralProcessesMayCreateTheDatabaseAtOnce) {
    TempDir dir;
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int i = 0; i < 4; ++i)
        threads.emplace_back([&] {
            SqliteStore store(test::options_for(dir.path())); // separate stores: separate write mutexes
            if (store.schema_version() == sqlite_schema::kSchemaVersion) ++ok;
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(ok, 4);
}

} // namespace
} // namespace facegate
