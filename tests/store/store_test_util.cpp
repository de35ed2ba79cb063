// SPDX-License-Identifier: MIT
#include "store/store_test_util.h"

#include "store/pg_test_server.h"

#include <cmath>
#include <cstdlib>
#include <random>

namespace facegate::test {

TempDir::TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "facegate-store-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

std::vector<float> make_embedding(int seed) {
    std::mt19937 rng(static_cast<unsigned>(seed) * 2654435761u + 1);
    std::normal_distribution<float> normal;
    std::vector<float> v(kEmbeddingDim);
    double norm = 0;
    for (float& x : v) {
        x = normal(rng);
        norm += double(x) * x;
    }
    for (float& x : v) x = static_cast<float>(x / std::sqrt(norm));
    return v;
}

NewImageFaces make_image(int faces, int seed, std::optional<std::string> external_image_id) {
    NewImageFaces image;
    image.external_image_id = std::move(external_image_id);
    image.model_version = "facegate-1";
    for (int i = 0; i < faces; ++i) {
        NewFace f;
        f.bounding_box = {0.25f + 0.01f * i, 0.5f, 0.125f, 0.0625f};
        f.confidence = 99.5f - i;
        f.embedding = make_embedding(seed * 1000 + i);
        image.faces.push_back(std::move(f));
    }
    return image;
}

const Kek& test_kek() {
    static const Kek kek = parse_kek("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "the test KEK");
    return kek;
}

SqliteStoreOptions options_for(const std::filesystem::path& dir) {
    SqliteStoreOptions o;
    o.data_dir = dir / "data";
    o.kek_source = [] { return std::optional<Kek>(test_kek()); };
    return o;
}

PgStoreOptions pg_options_for(const std::string& conninfo) {
    PgStoreOptions o;
    o.conninfo = conninfo;
    o.kek_source = [] { return std::optional<Kek>(test_kek()); };
    return o;
}

void SqliteStoreTest::SetUp() { store_ = std::make_unique<SqliteStore>(options()); }

SqliteStoreOptions SqliteStoreTest::options() const {
    SqliteStoreOptions o = options_for(dir_.path());
    o.clock_ms = clock_.function();
    return o;
}

void SqliteStoreTest::reopen() {
    store_.reset();
    store_ = std::make_unique<SqliteStore>(options());
}

std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
    return info.param == Backend::SQLITE ? "SQLite" : "PostgreSQL";
}

void StoreTest::SetUp() {
    if (GetParam() == Backend::POSTGRESQL) {
        try {
            conninfo_ = PgTestServer::instance().create_database();
        } catch (const std::exception& e) {
            // fail (never skip) with the reason; throwing keeps the suites' own SetUp from going on
            ADD_FAILURE() << e.what();
            throw;
        }
    }
    store_ = open_store();
}

void StoreTest::TearDown() {
    others_.clear();
    store_.reset();
    if (!conninfo_.empty()) PgTestServer::instance().drop_database(conninfo_);
}

std::unique_ptr<Store> StoreTest::open_store(std::size_t max_connections) const {
    if (GetParam() == Backend::POSTGRESQL) {
        PgStoreOptions o = pg_options_for(conninfo_);
        o.clock_ms = clock_.function();
        if (max_connections) o.max_connections = max_connections;
        return std::make_unique<PgStore>(std::move(o));
    }
    SqliteStoreOptions o = options_for(dir_.path());
    o.clock_ms = clock_.function();
    if (max_connections) o.max_connections = max_connections;
    return std::make_unique<SqliteStore>(std::move(o));
}

void StoreTest::reopen() {
    store_.reset();
    store_ = open_store();
}

Store& StoreTest::another_store(std::size_t max_connections) {
    others_.push_back(open_store(max_connections));
    return *others_.back();
}

std::vector<std::string> StoreTest::check_integrity() {
    if (GetParam() == Backend::SQLITE) return static_cast<SqliteStore&>(*store_).check_integrity();
    // the foreign keys are enforced by PostgreSQL; what they cannot say:
    static const char* const kChecks[][2] = {
        {"a face without its embedding",
         "SELECT f.face_id FROM faces f LEFT JOIN face_embeddings e ON e.row_id = f.row_id WHERE e.row_id IS NULL"},
        {"a face tied to a user of another collection",
         "SELECT f.face_id FROM faces f JOIN users u ON u.user_key = f.user_key WHERE u.collection_key <> f.collection_key"},
        {"a user whose status does not match its faces",
         "SELECT u.user_id FROM users u WHERE u.status <> CASE WHEN EXISTS (SELECT 1 FROM faces f "
         "WHERE f.user_key = u.user_key) THEN 'ACTIVE' ELSE 'CREATED' END"},
        {"a change feed entry beyond the feed's position",
         "SELECT c.seq::text FROM face_changes c WHERE c.seq > (SELECT last_seq FROM face_feed)"},
        {"a user with more than 100 faces",
         "SELECT user_key::text FROM faces WHERE user_key IS NOT NULL GROUP BY user_key HAVING count(*) > 100"},
    };
    std::vector<std::string> problems;
    for (const auto& [what, sql] : kChecks)
        for (const std::string& row : PgTestServer::instance().sql(conninfo_, sql)) problems.push_back(std::string(what) + ": " + row);
    return problems;
}

bool is_lower_uuid(const std::string& text) {
    if (text.size() != 36) return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return true;
}

std::string numbered(std::string_view prefix, long long n) {
    std::string out(prefix);
    out.append(std::to_string(n));
    return out;
}

} // namespace facegate::test
