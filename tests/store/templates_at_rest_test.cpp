// SPDX-License-Identifier: MIT
// Templates at rest, seen from outside the store: the SQLite file (and its -wal) read directly with the
// sqlite3 C API and as raw bytes, the KEK missing or wrong, the rotations, erasure, older databases.
#include "store/store_test_util.h"

#include "common/sha256.h"
#include "store/kek_source.h"
#include "store/sqlite_schema.h"

#include <sqlite3.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <set>

namespace facegate {
namespace {

using test::TempDir;

const std::string kOtherKekHex = "f0e1d2c3b4a5968778695a4b3c2d1e0f00112233445566778899aabbccddeeff";

std::string file_bytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

std::filesystem::path wal_of(const std::filesystem::path& db) { return db.string() + "-wal"; }

// the main file and the WAL, as an attacker who copies the data directory gets them
std::string files_of(const std::filesystem::path& db) { return file_bytes(db) + file_bytes(wal_of(db)); }

// a direct connection, without the store (read-only unless asked)
class RawDb {
  public:
    explicit RawDb(const std::filesystem::path& path, bool writable = false) {
        int rc = sqlite3_open_v2(path.c_str(), &db_, writable ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY, nullptr);
        if (rc != SQLITE_OK) throw std::runtime_error("cannot open " + path.string());
    }
    ~RawDb() { sqlite3_close(db_); }
    RawDb(const RawDb&) = delete;
    RawDb& operator=(const RawDb&) = delete;

    void exec(const std::string& sql) {
        char* error = nullptr;
        if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
            std::string message = error ? error : "?";
            sqlite3_free(error);
            throw std::runtime_error(message + " in " + sql);
        }
    }

    // each row's columns as bytes (blobs and text; integers as decimal text)
    std::vector<std::vector<std::string>> rows(const std::string& sql) {
        sqlite3_stmt* st = nullptr;
        if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK)
            throw std::runtime_error(sqlite3_errmsg(db_));
        std::vector<std::vector<std::string>> out;
        while (sqlite3_step(st) == SQLITE_ROW) {
            std::vector<std::string> row;
            for (int i = 0; i < sqlite3_column_count(st); ++i) {
                const void* p = sqlite3_column_blob(st, i);
                int n = sqlite3_column_bytes(st, i);
                row.emplace_back(p ? std::string(static_cast<const char*>(p), std::size_t(n)) : std::string());
            }
            out.push_back(std::move(row));
        }
        sqlite3_finalize(st);
        return out;
    }

    void bind_exec(const std::string& sql, const std::string& blob, std::int64_t row) {
        sqlite3_stmt* st = nullptr;
        ASSERT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db_);
        sqlite3_bind_blob(st, 1, blob.data(), int(blob.size()), SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, row);
        ASSERT_EQ(sqlite3_step(st), SQLITE_DONE) << sqlite3_errmsg(db_);
        sqlite3_finalize(st);
    }

  private:
    sqlite3* db_ = nullptr;
};

// the stored embedding blobs by face id
std::map<std::string, std::string> stored_blobs(const std::filesystem::path& db) {
    RawDb raw(db);
    std::map<std::string, std::string> out;
    for (auto& row : raw.rows("SELECT f.face_id, e.embedding FROM face_embeddings e JOIN faces f ON f.row_id = e.row_id"))
        out[row[0]] = row[1];
    return out;
}

// whether 2048 bytes from `at` read as 512 little-endian float32 of (nearly) unit norm
bool reads_as_embedding(const std::string& bytes, std::size_t at) {
    double norm = 0;
    for (std::size_t i = 0; i < kEmbeddingDim; ++i) {
        std::uint32_t bits = 0;
        for (int b = 0; b < 4; ++b) bits |= std::uint32_t(static_cast<unsigned char>(bytes[at + 4 * i + b])) << (8 * b);
        float v;
        std::memcpy(&v, &bits, 4);
        if (!std::isfinite(v)) return false;
        norm += double(v) * v;
    }
    return std::fabs(std::sqrt(norm) - 1.0) < 0.01;
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

// 32 bytes from the middle of a blob: enough to find any copy of it in a file
std::string chunk_of(const std::string& blob) { return blob.substr(blob.size() / 2, 32); }

SqliteStoreOptions with_kek(SqliteStoreOptions o, std::optional<Kek> kek) {
    o.kek_source = [kek] { return kek; };
    return o;
}

std::string error_message_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "";
}

class TemplatesAtRest : public test::SqliteStoreTest {
  protected:
    std::filesystem::path db() const { return options().data_dir / "facegate.db"; }

    // `images` images of 3 faces in collection c, under external ids x0, x1...
    std::vector<FaceRecord> add(const std::string& collection, int images, int seed = 1) {
        if (!store_->get_collection(collection)) store_->create_collection(collection, "facegate-1");
        std::vector<FaceRecord> faces;
        for (int i = 0; i < images; ++i) {
            auto added = store_->add_faces(collection, test::make_image(3, seed + i, test::numbered("x", i)));
            faces.insert(faces.end(), added.faces.begin(), added.faces.end());
        }
        return faces;
    }

    std::map<std::int64_t, std::vector<float>> embeddings(const std::string& collection) {
        std::map<std::int64_t, std::vector<float>> out;
        for (auto& f : store_->load_all_embeddings(collection).faces) out[f.row_id] = f.embedding;
        return out;
    }
};

TEST_F(TemplatesAtRest, NoStoredBlobIsAnEmbeddingAndNoEmbeddingIsInTheFiles) {
    std::vector<std::vector<float>> given;
    store_->create_collection("c", "facegate-1");
    for (int i = 0; i < 20; ++i) {
        NewImageFaces image = test::make_image(2, 100 + i, test::numbered("x", i));
        for (auto& f : image.faces) given.push_back(f.embedding);
        store_->add_faces("c", image);
    }
    auto check = [&](const char* when) {
        auto blobs = stored_blobs(db());
        ASSERT_EQ(blobs.size(), given.size());
        for (auto& [face_id, blob] : blobs) {
            EXPECT_NE(blob.size(), kEmbeddingDim * 4) << when;
            for (std::size_t at = 0; at + kEmbeddingDim * 4 <= blob.size(); ++at)
                EXPECT_FALSE(reads_as_embedding(blob, at)) << when << ": face " << face_id << " at " << at;
        }
        const std::string files = files_of(db());
        ASSERT_GT(files.size(), given.size() * 2048);
        for (const auto& e : given) {
            const std::string plain = encode_embedding(e);
            EXPECT_FALSE(contains(files, plain.substr(0, 32))) << when;
            EXPECT_FALSE(contains(files, plain.substr(1024, 32))) << when;
        }
    };
    check("while the store is open (the WAL holds the writes)");
    // and the store still gives them back exactly
    auto loaded = store_->load_all_embeddings("c").faces;
    ASSERT_EQ(loaded.size(), given.size());
    for (std::size_t i = 0; i < given.size(); ++i) EXPECT_EQ(loaded[i].embedding, given[i]);
    store_.reset();
    check("after the store closed");
}

TEST_F(TemplatesAtRest, EveryErasureLeavesNoSealedByteInTheFileOrTheWal) {
    struct Erasure {
        const char* name;
        std::function<void(Store&, const std::vector<FaceRecord>&)> erase;
    };
    std::vector<Erasure> erasures = {
        {"delete_faces_by_external_id", [](Store& s, auto&) { s.delete_faces_by_external_id("c", "x0"); }},
        {"delete_faces",
         [](Store& s, const std::vector<FaceRecord>& faces) {
             std::vector<std::string> ids;
             for (auto& f : faces)
                 if (f.external_image_id == "x0") ids.push_back(f.face_id);
             EXPECT_EQ(s.delete_faces("c", ids).deleted.size(), 3u);
         }},
        {"delete_collection", [](Store& s, auto&) { s.delete_collection("c"); }},
    };
    for (const Erasure& erasure : erasures) {
        SCOPED_TRACE(erasure.name);
        std::vector<FaceRecord> faces = add("c", 3);
        store_->create_collection("other", "facegate-1");
        store_->add_faces("other", test::make_image(2, 77));
        auto blobs = stored_blobs(db());
        std::vector<std::string> erased;
        for (auto& f : faces)
            if (f.external_image_id == "x0" || std::string(erasure.name) == "delete_collection")
                erased.push_back(blobs.at(f.face_id));
        ASSERT_FALSE(erased.empty());
        for (auto& blob : erased) ASSERT_TRUE(contains(files_of(db()), chunk_of(blob))) << "the test would prove nothing";

        erasure.erase(*store_, faces); // the store stays open, as a server's does
        EXPECT_EQ(file_bytes(wal_of(db())).size(), 0u) << "the WAL is checkpointed and truncated";
        const std::string files = files_of(db());
        for (auto& blob : erased) EXPECT_FALSE(contains(files, chunk_of(blob)));
        // what was not erased is still there and still opens
        EXPECT_EQ(store_->load_all_embeddings("other").faces.size(), 2u);
        if (std::string(erasure.name) != "delete_collection") {
            EXPECT_EQ(store_->load_all_embeddings("c").faces.size(), 6u);
            store_->delete_collection("c");
        }
        store_->delete_collection("other");
    }
}

TEST_F(TemplatesAtRest, DeleteUserWithFacesCheckpointsToo) {
    std::vector<FaceRecord> faces = add("c", 1);
    store_->create_user("c", "u");
    store_->associate_faces("c", "u", {faces[0].face_id});
    store_->create_collection("noise", "facegate-1"); // something in the WAL
    ASSERT_GT(file_bytes(wal_of(db())).size(), 0u);
    store_->delete_user("c", "u");
    EXPECT_EQ(file_bytes(wal_of(db())).size(), 0u);
}

TEST_F(TemplatesAtRest, WithoutAKekSealedDataIsRefusedClearly) {
    add("c", 2);
    store_.reset();
    bool created = false;
    SqliteStoreOptions o = with_kek(options(), std::nullopt);
    o.create_kek = [&] {
        created = true;
        return make_kek(SecretKey::random());
    };
    std::string message;
    try {
        SqliteStore s(o);
        ADD_FAILURE() << "opened without its KEK";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::STORE_UNAVAILABLE);
        message = e.what();
    }
    EXPECT_NE(message.find("no key-encryption key (KEK) is configured"), std::string::npos) << message;
    EXPECT_NE(message.find("--kek-file"), std::string::npos) << message;
    EXPECT_FALSE(created) << "a new KEK must never be made for sealed data";
}

TEST(TemplatesAtRestNew, AnEmptyDatabaseWithoutAKekMakesOneOnce) {
    TempDir dir;
    SqliteStoreOptions o = with_kek(test::options_for(dir.path()), std::nullopt);
    int made = 0;
    std::optional<Kek> kek;
    o.create_kek = [&] {
        ++made;
        kek = make_kek(SecretKey::random());
        return *kek;
    };
    {
        SqliteStore s(o);
        s.create_collection("c", "v");
        s.add_faces("c", test::make_image(1, 1));
        EXPECT_EQ(s.template_key_status().kek_id, kek->id);
    }
    EXPECT_EQ(made, 1);
    // the next open without it is refused; with it, fine
    EXPECT_STORE_ERROR(SqliteStore{o}, ErrorCode::STORE_UNAVAILABLE);
    EXPECT_EQ(made, 1);
    SqliteStore again(with_kek(test::options_for(dir.path()), kek));
    EXPECT_EQ(again.load_all_embeddings("c").faces.size(), 1u);
}

TEST(TemplatesAtRestNew, NoKekAndNoWayToMakeOneIsRefused) {
    TempDir dir;
    EXPECT_STORE_ERROR(SqliteStore(with_kek(test::options_for(dir.path()), std::nullopt)), ErrorCode::STORE_UNAVAILABLE);
}

TEST_F(TemplatesAtRest, AWrongKekIsRefusedClearlyAndChangesNothing) {
    add("c", 2);
    store_.reset();
    const std::string before = sha256_hex(file_bytes(db()));
    const std::string wal_before = file_bytes(wal_of(db()));
    const Kek wrong = parse_kek(kOtherKekHex, "test");
    std::string message = error_message_of([&] { SqliteStore s(with_kek(options(), wrong)); });
    EXPECT_NE(message.find("wrong key-encryption key"), std::string::npos) << message;
    EXPECT_NE(message.find(test::test_kek().id), std::string::npos) << "names the KEK that is needed: " << message;
    EXPECT_NE(message.find(wrong.id), std::string::npos) << message;
    EXPECT_EQ(sha256_hex(file_bytes(db())), before);
    EXPECT_EQ(file_bytes(wal_of(db())), wal_before);
    reopen(); // the right KEK still opens it
    EXPECT_EQ(store_->load_all_embeddings("c").faces.size(), 6u);
}

TEST_F(TemplatesAtRest, RotateKekThenOnlyTheNewKekOpens) {
    add("c", 2);
    auto before = embeddings("c");
    const Kek next = parse_kek(kOtherKekHex, "test");
    store_->rotate_kek(next);
    EXPECT_EQ(store_->template_key_status().kek_id, next.id);
    EXPECT_EQ(embeddings("c"), before) << "the open store goes on";
    EXPECT_STORE_ERROR(store_->rotate_kek(next), ErrorCode::INVALID_PARAMETER);
    store_.reset();
    for (auto& row : RawDb(options().data_dir / "facegate.db").rows("SELECT kek_id FROM template_keys"))
        EXPECT_EQ(row[0], next.id);
    EXPECT_STORE_ERROR(SqliteStore{options()}, ErrorCode::STORE_UNAVAILABLE); // the old KEK
    SqliteStore reopened(with_kek(options(), next));
    std::map<std::int64_t, std::vector<float>> after;
    for (auto& f : reopened.load_all_embeddings("c").faces) after[f.row_id] = f.embedding;
    EXPECT_EQ(after, before);
}

TEST_F(TemplatesAtRest, AServerOpenDuringRotateKekPicksUpTheNewKekFromItsSource) {
    add("c", 1);
    // the server's KEK source: a file the operator replaces after the rotation
    auto path = dir_.path() / "kek.hex";
    std::ofstream(path) << kek_text(test::test_kek());
    SqliteStoreOptions server_options = options();
    server_options.kek_source = [path] { return load_kek({.file = path}, "/nonexistent"); };
    SqliteStore server(server_options);
    const Kek next = parse_kek(kOtherKekHex, "test");
    store_->rotate_kek(next);
    std::ofstream(path) << kek_text(next);
    store_->rotate_data_key(); // a new data key wrapped by the new KEK, made elsewhere
    EXPECT_EQ(server.load_all_embeddings("c").faces.size(), 3u);
    server.add_faces("c", test::make_image(1, 9));
    EXPECT_EQ(server.template_key_status().pending, 0u);
}

TEST_F(TemplatesAtRest, RotateDataKeyResealsEveryBlobAndChangesNoResult) {
    add("c", 40);      // 120 faces
    add("d", 10, 500); // 30 more in another collection
    auto before_c = embeddings("c"), before_d = embeddings("d");
    const std::vector<float> probe = test::make_embedding(4242);
    auto similarities = [&](const std::map<std::int64_t, std::vector<float>>& all) {
        std::vector<double> out;
        for (auto& [row, e] : all) {
            double dot = 0;
            for (std::size_t i = 0; i < e.size(); ++i) dot += double(e[i]) * probe[i];
            out.push_back(dot);
        }
        return out;
    };
    const auto blobs_before = stored_blobs(db());
    SqliteStore other_process(options()); // a second store on the file, e.g. the server beside the CLI
    other_process.load_all_embeddings("c");

    std::vector<std::pair<std::uint64_t, std::uint64_t>> progress;
    DataKeyRotation r = store_->rotate_data_key(16, [&](std::uint64_t done, std::uint64_t left) {
        progress.emplace_back(done, left);
    });
    EXPECT_EQ(r.version, 2u);
    EXPECT_FALSE(r.resumed);
    EXPECT_EQ(r.resealed, 150u);
    EXPECT_EQ(r.retired, std::vector<std::uint32_t>{1});
    ASSERT_FALSE(progress.empty());
    EXPECT_EQ(progress.back(), std::make_pair(std::uint64_t(150), std::uint64_t(0)));
    EXPECT_GE(progress.size(), 150u / 16);

    RawDb raw(db());
    for (auto& row : raw.rows("SELECT key_version, embedding FROM face_embeddings")) {
        EXPECT_EQ(row[0], "2");
        EXPECT_EQ(sealing::key_version_of(row[1]), 2u);
    }
    EXPECT_EQ(raw.rows("SELECT version FROM template_keys"), (std::vector<std::vector<std::string>>{{"2"}}));
    for (auto& [face, blob] : stored_blobs(db())) EXPECT_NE(blob, blobs_before.at(face));
    TemplateKeyStatus status = store_->template_key_status();
    EXPECT_EQ(status.active_version, 2u);
    EXPECT_EQ(status.versions, std::vector<std::uint32_t>{2});
    EXPECT_EQ(status.pending, 0u);

    EXPECT_EQ(embeddings("c"), before_c);
    EXPECT_EQ(embeddings("d"), before_d);
    EXPECT_EQ(similarities(embeddings("c")), similarities(before_c));
    // the other store never saw key 2 being made: it loads it when it meets it, and seals new faces with it
    std::map<std::int64_t, std::vector<float>> seen;
    for (auto& f : other_process.load_all_embeddings("c").faces) seen[f.row_id] = f.embedding;
    EXPECT_EQ(seen, before_c);
    auto added = other_process.add_faces("c", test::make_image(1, 999));
    EXPECT_EQ(RawDb(db()).rows("SELECT key_version FROM face_embeddings WHERE row_id = " +
                               std::to_string(added.faces[0].row_id))[0][0],
              "2");
    reopen();
    EXPECT_EQ(store_->rotate_data_key().version, 3u);
}

TEST_F(TemplatesAtRest, ACrashMidRotationLeavesAConsistentStoreAndTheNextRunFinishesIt) {
    add("c", 20); // 60 faces
    auto before = embeddings("c");
    struct Crash {};
    int batches = 0;
    try {
        store_->rotate_data_key(8, [&](std::uint64_t, std::uint64_t) {
            if (++batches == 3) throw Crash{}; // the process dies after its third batch committed
        });
        FAIL() << "no crash";
    } catch (const Crash&) {
    }
    // both keys are stored, the blobs name one or the other, and everything opens, here and after a restart
    RawDb raw(db());
    EXPECT_EQ(raw.rows("SELECT version, active FROM template_keys ORDER BY version"),
              (std::vector<std::vector<std::string>>{{"1", "0"}, {"2", "1"}}));
    std::map<std::string, int> versions;
    for (auto& row : raw.rows("SELECT key_version FROM face_embeddings")) ++versions[row[0]];
    EXPECT_EQ(versions["2"], 24);
    EXPECT_EQ(versions["1"], 36);
    reopen();
    EXPECT_EQ(embeddings("c"), before);
    store_->add_faces("c", test::make_image(1, 4321)); // sealed with key 2 already
    EXPECT_EQ(store_->template_key_status().pending, 36u);

    DataKeyRotation r = store_->rotate_data_key(8);
    EXPECT_TRUE(r.resumed);
    EXPECT_EQ(r.version, 2u);
    EXPECT_EQ(r.resealed, 36u);
    EXPECT_EQ(r.retired, std::vector<std::uint32_t>{1});
    auto after = embeddings("c");
    after.erase(std::prev(after.end())); // the face added in between
    EXPECT_EQ(after, before);
    EXPECT_EQ(RawDb(db()).rows("SELECT DISTINCT key_version FROM face_embeddings"),
              (std::vector<std::vector<std::string>>{{"2"}}));
}

TEST_F(TemplatesAtRest, ABlobMovedToAnotherFaceDoesNotOpen) {
    std::vector<FaceRecord> faces = add("c", 1);
    auto blobs = stored_blobs(db());
    {
        RawDb raw(db(), true);
        raw.bind_exec("UPDATE face_embeddings SET embedding = ?1 WHERE row_id = ?2", blobs.at(faces[0].face_id),
                      faces[1].row_id);
    }
    EXPECT_EQ(store_->get_faces("c", {faces[0].face_id}, true).at(0).embedding.size(), kEmbeddingDim);
    std::string message = error_message_of([&] { store_->get_faces("c", {faces[1].face_id}, true); });
    EXPECT_NE(message.find("does not open"), std::string::npos) << message;
    EXPECT_STORE_ERROR(store_->load_all_embeddings("c"), ErrorCode::INTERNAL);
}

TEST_F(TemplatesAtRest, APlainBlobPlantedInASealedStoreIsRefused) {
    std::vector<FaceRecord> faces = add("c", 1);
    {
        RawDb raw(db(), true);
        raw.bind_exec("UPDATE face_embeddings SET embedding = ?1, key_version = 0 WHERE row_id = ?2",
                      encode_embedding(test::make_embedding(5)), faces[0].row_id);
    }
    EXPECT_STORE_ERROR(store_->get_faces("c", {faces[0].face_id}, true), ErrorCode::INTERNAL);
    // and a forged marker that would let it through makes the store refuse to open
    store_.reset();
    RawDb(options().data_dir / "facegate.db", true)
        .exec("INSERT INTO template_keys(version, kek_id, wrapped, active, created_ms) VALUES (0, '', x'', 0, 0)");
    std::string message = error_message_of([&] { SqliteStore s(options()); });
    EXPECT_NE(message.find("altered"), std::string::npos) << message;
}

// a database as facegate wrote it before sealing (schema 3, plain float32 blobs): sealed on open
TEST_F(TemplatesAtRest, ADatabaseFromBeforeSealingIsSealedOnOpen) {
    std::vector<FaceRecord> faces = add("c", 30); // 90 faces: more than one batch
    auto before = embeddings("c");
    store_.reset();
    const auto path = options().data_dir / "facegate.db";
    {
        // take the file back to schema 3: plain blobs, no key table, no key_version column
        RawDb raw(path, true);
        for (auto& [row, e] : before)
            raw.bind_exec("UPDATE face_embeddings SET embedding = ?1 WHERE row_id = ?2", encode_embedding(e), row);
        raw.exec("DROP INDEX face_embeddings_by_key_version; ALTER TABLE face_embeddings DROP COLUMN key_version; "
                 "DROP TABLE template_keys; DROP TABLE documents; DROP TABLE rate_events; DROP TABLE webhook_deliveries; DROP TABLE sessions; PRAGMA user_version = 3; "
                 "PRAGMA wal_checkpoint(TRUNCATE)");
        for (auto& row : raw.rows("SELECT embedding FROM face_embeddings")) ASSERT_EQ(row[0].size(), 2048u);
    }
    ASSERT_TRUE(contains(files_of(path), encode_embedding(before.begin()->second).substr(0, 32)));

    reopen(); // with a KEK: migrates to the current schema and seals every embedding
    EXPECT_EQ(store_->schema_version(), sqlite_schema::kSchemaVersion);
    EXPECT_EQ(embeddings("c"), before);
    TemplateKeyStatus status = store_->template_key_status();
    EXPECT_EQ(status.versions, std::vector<std::uint32_t>{1}) << "the plain marker is gone";
    EXPECT_EQ(status.pending, 0u);
    for (auto& [face, blob] : stored_blobs(db())) EXPECT_EQ(sealing::key_version_of(blob), 1u);
    const std::string files = files_of(db());
    for (auto& [row, e] : before) {
        const std::string plain = encode_embedding(e);
        EXPECT_FALSE(contains(files, plain.substr(0, 32)));
        EXPECT_FALSE(contains(files, plain.substr(1000, 32)));
    }
}

TEST(TemplatesAtRestNew, APlainDatabaseOpenedWithoutAKekGetsANewOne) {
    TempDir dir;
    std::filesystem::path path;
    {
        SqliteStore s(test::options_for(dir.path()));
        s.create_collection("c", "v");
        s.add_faces("c", test::make_image(2, 3));
        path = s.database_path();
    }
    {
        RawDb raw(path, true);
        raw.exec("DROP INDEX face_embeddings_by_key_version; ALTER TABLE face_embeddings DROP COLUMN key_version; "
                 "DROP TABLE template_keys; DROP TABLE documents; DROP TABLE rate_events; DROP TABLE webhook_deliveries; DROP TABLE sessions; PRAGMA user_version = 3");
        NewImageFaces image = test::make_image(2, 3);
        int i = 0;
        for (auto& row : raw.rows("SELECT row_id FROM face_embeddings ORDER BY row_id"))
            raw.bind_exec("UPDATE face_embeddings SET embedding = ?1 WHERE row_id = ?2",
                          encode_embedding(image.faces[i++].embedding), std::stoll(row[0]));
    }
    SqliteStoreOptions o = with_kek(test::options_for(dir.path()), std::nullopt);
    int made = 0;
    o.create_kek = [&] {
        ++made;
        return make_kek(SecretKey::random());
    };
    SqliteStore s(o); // nothing sealed yet: the same as a new data directory
    EXPECT_EQ(made, 1);
    auto faces = s.load_all_embeddings("c").faces;
    ASSERT_EQ(faces.size(), 2u);
    EXPECT_EQ(faces[0].embedding, test::make_image(2, 3).faces[0].embedding);
    EXPECT_EQ(s.template_key_status().pending, 0u);
}

} // namespace
} // namespace facegate
