// SPDX-License-Identifier: MIT
// What only the PostgreSQL backend has: its schema table, several stores (nodes) on one database, and
// the server going away and coming back.
#include "store/pg_schema.h"
#include "store/pg_test_server.h"
#include "store/store_test_util.h"

#include <chrono>
#include <cmath>
#include <cstring>
#include <set>
#include <thread>

namespace facegate {
namespace {

using namespace std::chrono_literals;
using test::PgTestServer;

class PgStoreTest : public ::testing::Test {
  protected:
    void SetUp() override {
        try {
            conninfo_ = PgTestServer::instance().create_database();
        } catch (const std::exception& e) {
            ADD_FAILURE() << e.what();
            throw;
        }
    }
    void TearDown() override { PgTestServer::instance().drop_database(conninfo_); }

    PgStoreOptions options() const {
        PgStoreOptions o = test::pg_options_for(conninfo_);
        o.clock_ms = clock_.function();
        return o;
    }
    std::vector<std::string> sql(const std::string& statement) { return PgTestServer::instance().sql(conninfo_, statement); }

    std::string conninfo_;
    test::FakeClock clock_;
};

std::string error_of(const std::function<void()>& f, ErrorCode* code = nullptr) {
    try {
        f();
    } catch (const Error& e) {
        if (code) *code = e.code();
        return e.what();
    }
    return "";
}

// waits up to 5 s for `condition` (a write of another node reaches this one's listener asynchronously)
bool eventually(const std::function<bool()>& condition) {
    for (auto until = std::chrono::steady_clock::now() + 5s; std::chrono::steady_clock::now() < until;
         std::this_thread::sleep_for(5ms))
        if (condition()) return true;
    return condition();
}

TEST_F(PgStoreTest, SchemaVersionTableAndRefusalOfANewerSchema) {
    {
        PgStore store(options());
        EXPECT_EQ(store.schema_version(), pg_schema::kSchemaVersion);
        EXPECT_EQ(sql("SELECT version FROM facegate_schema"),
                  std::vector<std::string>{std::to_string(pg_schema::kSchemaVersion)});
    }
    PgStore again(options()); // opening again migrates nothing
    EXPECT_EQ(again.schema_version(), pg_schema::kSchemaVersion);
    sql("UPDATE facegate_schema SET version = 7");
    ErrorCode code{};
    const std::string message = error_of([&] { PgStore newer(options()); }, &code);
    EXPECT_EQ(code, ErrorCode::STORE_UNAVAILABLE);
    EXPECT_NE(message.find("has schema version 7, newer than this build's " + std::to_string(pg_schema::kSchemaVersion) + "; upgrade facegate"), std::string::npos)
        << message;
}

TEST_F(PgStoreTest, RefusesADatabaseThatIsNotFacegates) {
    sql("CREATE TABLE invoices (id integer)");
    ErrorCode code{};
    const std::string message = error_of([&] { PgStore store(options()); }, &code);
    EXPECT_EQ(code, ErrorCode::STORE_UNAVAILABLE);
    EXPECT_NE(message.find("not a facegate database"), std::string::npos) << message;
    EXPECT_EQ(sql("SELECT count(*) FROM pg_tables WHERE tablename = 'faces'"), std::vector<std::string>{"0"});
}

TEST_F(PgStoreTest, SeveralNodesStartingAtOnceMigrateOnce) {
    std::vector<std::thread> threads;
    std::atomic<int> opened{0};
    for (int i = 0; i < 4; ++i)
        threads.emplace_back([&] {
            try {
                PgStore store(options());
                ++opened;
            } catch (const std::exception& e) {
                ADD_FAILURE() << e.what();
            }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(opened, 4);
    EXPECT_EQ(sql("SELECT count(*) FROM template_keys"), std::vector<std::string>{"1"}) << "one first data key";
}

TEST_F(PgStoreTest, ConnectionFailuresNameTheHostNeverThePassword) {
    PgStoreOptions o = test::pg_options_for("host=/nonexistent/facegate-socket user=x password=s3cr3t-pw dbname=y");
    o.connect_timeout = 500ms;
    ErrorCode code{};
    const std::string message = error_of([&] { PgStore store(o); }, &code);
    EXPECT_EQ(code, ErrorCode::STORE_UNAVAILABLE);
    EXPECT_NE(message.find("/nonexistent/facegate-socket"), std::string::npos) << message;
    EXPECT_EQ(message.find("s3cr3t-pw"), std::string::npos) << message;
}

// libpq's own message for a URI it cannot parse quotes the part it choked on, which may be the password
TEST_F(PgStoreTest, UnparsableUrisNeverEchoThePassword) {
    for (const std::string uri : {"postgresql://facegate:LeakMe2@[::1/facegate",
                                  "postgresql://facegate:Leak%zzMe10@127.0.0.1:1/x"}) {
        PgStoreOptions o = test::pg_options_for(uri);
        o.connect_timeout = 500ms;
        ErrorCode code{};
        const std::string message = error_of([&] { PgStore store(o); }, &code);
        EXPECT_EQ(code, ErrorCode::STORE_UNAVAILABLE) << uri;
        EXPECT_FALSE(message.empty()) << uri;
        EXPECT_EQ(message.find("LeakMe2"), std::string::npos) << message;
        EXPECT_EQ(message.find("Leak%zzMe10"), std::string::npos) << message;
    }
}

TEST_F(PgStoreTest, TwoNodesSeeEachOthersWrites) {
    PgStore a(options()), b(options());
    a.create_collection("c", "facegate-1");
    const std::int64_t start = b.face_changes_since(0).last_seq;
    AddFacesResult added = a.add_faces("c", test::make_image(2, 1));
    // the feed: b hears of a's commit (its own listener or a query), and reads the changes
    ASSERT_TRUE(eventually([&] { return b.face_changes_since(start).changes.size() == 2; }));
    FaceChangeBatch batch = b.face_changes_since(start);
    EXPECT_EQ(batch.changes[0].face_id, added.faces[0].face_id);
    EXPECT_EQ(b.load_all_embeddings("c").faces.size(), 2u);
    EXPECT_TRUE(b.face_changes_since(batch.last_seq).changes.empty());

    // documents: read at once, the version as soon as the notification came
    EXPECT_EQ(b.document_version("keys"), 0);
    a.update_document("keys", [](const std::optional<std::string>& current) { return current.value_or("") + "x"; });
    EXPECT_EQ(b.read_document("keys")->text, "x");
    EXPECT_TRUE(eventually([&] { return b.document_version("keys") == 1; }));
    b.update_document("keys", [](const std::optional<std::string>& current) { return current.value_or("") + "y"; });
    EXPECT_EQ(b.document_version("keys"), 2); // its own write, at once
    EXPECT_TRUE(eventually([&] { return a.document_version("keys") == 2; }));
    EXPECT_EQ(a.read_document("keys")->text, "xy");

    // tokens: a token remembered by one node is recalled by the other
    a.remember("CreateUser", "tok", "h", "{}");
    ASSERT_TRUE(b.recall("CreateUser", "tok"));
    EXPECT_EQ(b.remember("CreateUser", "tok", "other", "{...}").request_hash, "h");
}

TEST_F(PgStoreTest, OneTokenFromTwoNodesAtOnceHasOneEffect) {
    PgStore a(options()), b(options());
    a.create_collection("c", "facegate-1");
    std::atomic<int> ran{0}, replayed{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i)
        threads.emplace_back([&, i] {
            Store& s = i % 2 ? static_cast<Store&>(a) : b;
            TokenRecord<AddFacesResult> token{"same-token", "same-hash", [](const AddFacesResult& r) { return r.image_id; }};
            try {
                s.add_faces("c", test::make_image(2, 5), &token);
                ++ran;
            } catch (const TokenReplayed&) {
                ++replayed;
            } catch (const std::exception& e) {
                ADD_FAILURE() << e.what();
            }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(ran, 1);
    EXPECT_EQ(replayed, 7);
    EXPECT_EQ(a.describe_collection("c").face_count, 2u);
}

TEST_F(PgStoreTest, AssociationsFromTwoNodesNeverExceedTheUserLimit) {
    PgStore a(options()), b(options());
    a.create_collection("c", "facegate-1");
    std::vector<std::string> faces;
    for (int i = 0; i < 3; ++i)
        for (const FaceRecord& f : a.add_faces("c", test::make_image(40, i)).faces) faces.push_back(f.face_id);
    a.create_user("c", "u");
    std::atomic<std::size_t> associated{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 6; ++t)
        threads.emplace_back([&, t] {
            Store& s = t % 2 ? static_cast<Store&>(a) : b;
            std::vector<std::string> mine(faces.begin() + t * 20, faces.begin() + (t + 1) * 20);
            associated += s.associate_faces("c", "u", mine).associated.size();
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(associated, kMaxFacesPerUser);
    EXPECT_EQ(b.get_user("c", "u")->face_count, kMaxFacesPerUser);
}

TEST_F(PgStoreTest, CountInWindowIsSharedByTwoNodes) {
    PgStore a(options()), b(options());
    std::atomic<int> allowed{0}, refused{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 6; ++t)
        threads.emplace_back([&, t] {
            Store& s = t % 2 ? static_cast<Store&>(a) : b;
            for (int i = 0; i < 5; ++i) {
                WindowCount c = s.count_in_window("key:1", 60'000, 10);
                (c.allowed ? allowed : refused)++;
                if (!c.allowed) {
                    EXPECT_GT(c.retry_after_ms, 0);
                }
            }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(allowed, 10);
    EXPECT_EQ(refused, 20);
    clock_.advance_ms(60'001); // the window passed
    WindowCount later = b.count_in_window("key:1", 60'000, 10);
    EXPECT_TRUE(later.allowed);
    EXPECT_EQ(later.remaining, 9u);
}

TEST_F(PgStoreTest, RunExclusivelyExcludesAcrossNodes) {
    PgStoreOptions small = options();
    small.max_connections = 1; // work() uses the pool while the lock holds a connection of its own
    PgStore a(small), b(options());
    a.create_collection("c", "facegate-1");
    std::atomic<int> inside{0}, most{0}, runs{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            Store& s = t % 2 ? static_cast<Store&>(a) : b;
            for (int i = 0; i < 5; ++i) {
                s.run_exclusively("rotation", [&] {
                    most = std::max(most.load(), ++inside);
                    s.describe_collection("c"); // the store may be called from inside
                    std::this_thread::sleep_for(2ms);
                    --inside;
                    ++runs;
                });
            }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(runs, 20);
    EXPECT_EQ(most, 1);

    // held elsewhere for longer than query_timeout: STORE_UNAVAILABLE, and other names are not held up
    PgStoreOptions impatient = options();
    impatient.query_timeout = 300ms;
    PgStore c(impatient);
    std::atomic<bool> release{false}, held{false};
    std::thread holder([&] {
        a.run_exclusively("rotation", [&] {
            held = true;
            while (!release) std::this_thread::sleep_for(1ms);
        });
    });
    while (!held) std::this_thread::sleep_for(1ms);
    const auto started = std::chrono::steady_clock::now();
    ErrorCode code{};
    error_of([&] { c.run_exclusively("rotation", [] {}); }, &code);
    EXPECT_EQ(code, ErrorCode::STORE_UNAVAILABLE);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
    bool other = false;
    c.run_exclusively("another", [&] { other = true; });
    EXPECT_TRUE(other);
    release = true;
    holder.join();
}

TEST_F(PgStoreTest, TheServerGoingAwayGivesStoreUnavailableAndItsReturnIsPickedUp) {
    if (!PgTestServer::instance().can_restart()) GTEST_SKIP() << "FACEGATE_TEST_PG: the tests cannot restart that server";
    PgStoreOptions o = options();
    o.query_timeout = 1000ms;
    o.connect_timeout = 1000ms;
    PgStore store(o);
    store.create_collection("c", "facegate-1");
    store.add_faces("c", test::make_image(1, 1));
    const std::int64_t seq = store.face_changes_since(0).last_seq;
    EXPECT_TRUE(store.ping());

    PgTestServer::instance().stop_immediately();
    struct Restart {
        ~Restart() { PgTestServer::instance().start(); }
    } restart_at_the_end;
    for (const auto& [what, call] : std::vector<std::pair<std::string, std::function<void()>>>{
             {"describe", [&] { store.describe_collection("c"); }},
             {"add", [&] { store.add_faces("c", test::make_image(1, 2)); }},
             {"feed", [&] { store.face_changes_since(0); }},
             {"document", [&] { store.update_document("d", [](const auto&) { return std::string("x"); }); }},
             {"count", [&] { store.count_in_window("k", 1000, 5); }},
             {"exclusive", [&] { store.run_exclusively("x", [] {}); }},
         }) {
        const auto started = std::chrono::steady_clock::now();
        ErrorCode code{};
        const std::string message = error_of(call, &code);
        EXPECT_EQ(code, ErrorCode::STORE_UNAVAILABLE) << what << ": " << message;
        EXPECT_LT(std::chrono::steady_clock::now() - started, 3s) << what;
    }
    const auto started = std::chrono::steady_clock::now();
    EXPECT_FALSE(store.ping());
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);

    PgTestServer::instance().start();
    // the same store object, without being re-created
    EXPECT_TRUE(store.ping());
    EXPECT_EQ(store.describe_collection("c").face_count, 1u);
    store.add_faces("c", test::make_image(1, 3));
    EXPECT_EQ(store.face_changes_since(seq).changes.size(), 1u);
    EXPECT_EQ(store.update_document("d", [](const auto&) { return std::string("y"); }).version, 1);
    EXPECT_TRUE(eventually([&] { return store.document_version("d") == 1; }));
}

TEST_F(PgStoreTest, ImportsRowsAndTokensFromSQLiteOnce) {
    test::TempDir dir;
    SqliteStore from(test::options_for(dir.path()));
    from.create_collection("c", "facegate-1");
    AddFacesResult added = from.add_faces("c", test::make_image(3, 4, "img"));
    from.create_user("c", "u");
    from.associate_faces("c", "u", {added.faces[1].face_id});
    from.remember("CreateUser", "tok", "h", "{}");

    CollectionRows rows;
    rows.info = *from.get_collection("c");
    rows.users = from.list_users("c", {}).users;
    rows.faces = from.get_faces("c", {added.faces[0].face_id, added.faces[1].face_id, added.faces[2].face_id}, true);
    PgStore to(options());
    ImportCounts first = to.import_rows(rows);
    EXPECT_EQ(first.collections, 1u);
    EXPECT_EQ(first.users, 1u);
    EXPECT_EQ(first.faces, 3u);
    EXPECT_EQ(to.import_tokens(from.export_tokens()).tokens, 1u);
    ImportCounts second = to.import_rows(rows);
    EXPECT_EQ(second.collections + second.users + second.faces, 0u);
    EXPECT_EQ(to.import_tokens(from.export_tokens()).tokens, 0u);

    std::vector<FaceRecord> copied = to.get_faces("c", {added.faces[1].face_id}, true);
    ASSERT_EQ(copied.size(), 1u);
    EXPECT_EQ(copied[0].embedding, test::make_embedding(4001));
    EXPECT_EQ(copied[0].user_id, "u");
    EXPECT_EQ(copied[0].created_ms, added.faces[1].created_ms);
    EXPECT_EQ(to.get_user("c", "u")->status, UserStatus::ACTIVE);
    EXPECT_TRUE(to.recall("CreateUser", "tok"));
    EXPECT_EQ(to.face_changes_since(0).changes.size(), 3u);
}

// issue 10 on PostgreSQL: what the database holds of a face is sealed. Read straight from the table, no
// blob decodes to an embedding (no 2048-byte value reads as 512 unit-norm float32), the stored vectors'
// plain bytes appear nowhere in it, and every blob still opens through the store
TEST_F(PgStoreTest, NoStoredBlobDecodesToAnEmbedding) {
    PgStore store(options());
    store.create_collection("c", "facegate-1");
    AddFacesResult added = store.add_faces("c", test::make_image(4, 7, "img"));
    std::vector<std::string> blobs = sql("SELECT encode(embedding, 'hex') FROM face_embeddings ORDER BY row_id");
    ASSERT_EQ(blobs.size(), 4u);
    auto unhex = [](const std::string& hex) {
        std::string bytes;
        for (std::size_t i = 0; i + 1 < hex.size(); i += 2) bytes.push_back(char(std::stoi(hex.substr(i, 2), nullptr, 16)));
        return bytes;
    };
    std::string all;
    for (const std::string& hex : blobs) {
        const std::string blob = unhex(hex);
        EXPECT_NE(blob.size(), kEmbeddingDim * sizeof(float)) << "a blob has exactly the size of a plain embedding";
        all += blob;
        // any 2048-byte window read as float32: never a unit vector
        for (std::size_t at = 0; at + kEmbeddingDim * sizeof(float) <= blob.size(); at += 4) {
            double norm = 0;
            for (std::size_t i = 0; i < kEmbeddingDim; ++i) {
                float v;
                std::memcpy(&v, blob.data() + at + i * sizeof(float), sizeof v);
                norm += std::isfinite(v) ? double(v) * v : 1e9;
            }
            EXPECT_FALSE(std::abs(norm - 1.0) < 1e-3) << "a window of a blob reads as a unit embedding";
        }
    }
    for (int i = 0; i < 4; ++i) {
        const std::string plain = encode_embedding(test::make_embedding(7000 + i));
        EXPECT_EQ(all.find(plain.substr(0, 64)), std::string::npos) << "face " << i << "'s plain bytes are stored";
    }
    std::vector<std::string> ids;
    for (const FaceRecord& face : added.faces) ids.push_back(face.face_id);
    std::vector<FaceRecord> opened = store.get_faces("c", ids, true);
    ASSERT_EQ(opened.size(), 4u);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(opened[i].embedding, test::make_embedding(7000 + i));
}

} // namespace
} // namespace facegate
