// SPDX-License-Identifier: MIT
// Templates at rest (docs/benchmarks.md, "Templates at rest"): what sealing costs.
//   bench_templates                       seal and open per embedding, against the plain encode/decode
//   bench_templates DATA_DIR COLLECTION   also: loading the collection's embeddings (what start-up does) plain
//                                         vs sealed, then `rotate-data-key` over the whole store
// DATA_DIR is made by populate_store; its KEK comes from FACEGATE_KEK or DATA/kek.
#include "index/vector_index.h"
#include "store/kek_source.h"
#include "store/sqlite_store.h"
#include "store/template_sealer.h"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <random>

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

std::vector<float> random_unit(std::mt19937& rng) {
    std::normal_distribution<float> gauss;
    std::vector<float> v(facegate::kEmbeddingDim);
    float norm = 0;
    for (float& x : v) {
        x = gauss(rng);
        norm += x * x;
    }
    for (float& x : v) x /= std::sqrt(norm);
    return v;
}

void per_embedding_costs() {
    constexpr int kRounds = 200'000;
    std::mt19937 rng(7);
    std::vector<std::vector<float>> embeddings;
    for (int i = 0; i < 64; ++i) embeddings.push_back(random_unit(rng));
    const facegate::SecretKey key = facegate::SecretKey::random();
    const std::string collection = "members", face = "0f8fad5b-d9cb-469f-a165-70867728950e";
    volatile float sink = 0;

    auto plain_start = Clock::now();
    for (int i = 0; i < kRounds; ++i) {
        std::string bytes = facegate::encode_embedding(embeddings[i % 64]);
        sink = sink + facegate::decode_embedding(bytes.data(), bytes.size())[i % 512];
    }
    const double plain = seconds_since(plain_start) / kRounds;

    std::vector<std::string> sealed;
    auto seal_start = Clock::now();
    for (int i = 0; i < kRounds; ++i) {
        std::string bytes = facegate::encode_embedding(embeddings[i % 64]);
        std::string blob = facegate::sealing::seal(key, 1, collection, face, bytes);
        if (i < 64) sealed.push_back(std::move(blob));
    }
    const double seal = seconds_since(seal_start) / kRounds;

    auto open_start = Clock::now();
    for (int i = 0; i < kRounds; ++i) {
        std::optional<std::string> bytes = facegate::sealing::open(key, collection, face, sealed[i % 64]);
        if (!bytes) std::abort();
        sink = sink + facegate::decode_embedding(bytes->data(), bytes->size())[i % 512];
    }
    const double open = seconds_since(open_start) / kRounds;
    (void)sink;
    std::printf("per embedding (one thread, %d rounds): plain encode+decode %.2f us; seal (encode + AES-256-GCM, "
                "random nonce) %.2f us; open (AES-256-GCM + decode) %.2f us; blob %zu -> %zu bytes\n",
                kRounds, plain * 1e6, seal * 1e6, open * 1e6, facegate::kEmbeddingDim * 4,
                facegate::sealing::sealed_size(facegate::kEmbeddingDim * 4));
}

// what a server's start-up does with the vectors (service/collection_indexes.cpp): into an exact-scan
// index in batches of 20,000
struct IndexLoad {
    std::unique_ptr<facegate::VectorIndex> index;
    std::vector<std::uint64_t> ids;
    std::vector<float> vectors;
    IndexLoad() {
        facegate::VectorIndexConfig config;
        config.approximate_from = std::numeric_limits<std::size_t>::max();
        index = std::make_unique<facegate::VectorIndex>(config);
    }
    void add(std::int64_t id, const float* v) {
        ids.push_back(std::uint64_t(id));
        vectors.insert(vectors.end(), v, v + facegate::kEmbeddingDim);
        if (ids.size() == 20000) flush();
    }
    void flush() {
        if (!ids.empty()) index->add_batch(ids, vectors);
        ids.clear();
        vectors.clear();
    }
};

// the store's scan query read straight from the file, each face decoded from its blob without the cipher
// (the ciphertext's 2048 bytes stand for the plain ones) exactly as the plain store did it: the work a
// start-up did before sealing
double plain_scan(const std::filesystem::path& db, const std::string& collection, std::size_t& faces,
                  IndexLoad* load) {
    sqlite3* c = nullptr;
    if (sqlite3_open_v2(db.c_str(), &c, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) std::abort();
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(c,
                       "SELECT f.row_id, f.face_id, u.user_id, e.key_version, e.embedding FROM faces f "
                       "JOIN face_embeddings e ON e.row_id = f.row_id LEFT JOIN users u ON u.user_key = f.user_key "
                       "WHERE f.collection_key = (SELECT collection_key FROM collections WHERE collection_id = ?1) "
                       "AND f.row_id > 0 ORDER BY f.row_id",
                       -1, &st, nullptr);
    sqlite3_bind_text(st, 1, collection.c_str(), -1, SQLITE_TRANSIENT);
    auto start = Clock::now();
    faces = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const auto* blob = static_cast<const unsigned char*>(sqlite3_column_blob(st, 4));
        const auto* user = sqlite3_column_text(st, 2);
        facegate::FaceEmbedding face{
            sqlite3_column_int64(st, 0), std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 1))),
            user ? std::optional<std::string>(reinterpret_cast<const char*>(user)) : std::nullopt,
            facegate::decode_embedding(blob + 17, facegate::kEmbeddingDim * 4)};
        if (load) {
            // the ciphertext's bits are no vector: index random values in [-1, 1] instead, like real embeddings
            for (std::size_t i = 0; i < face.embedding.size(); ++i)
                face.embedding[i] = float(static_cast<signed char>(blob[17 + i])) / 128;
            load->add(face.row_id, face.embedding.data());
        }
        ++faces;
    }
    if (load) load->flush();
    const double s = seconds_since(start);
    sqlite3_finalize(st);
    sqlite3_close(c);
    return s;
}

} // namespace

int main(int argc, char** argv) {
    per_embedding_costs();
    if (argc < 3) return 0;
    const std::filesystem::path data = argv[1];
    const std::string collection = argv[2];
    facegate::SqliteStoreOptions options;
    options.data_dir = data;
    facegate::KekOptions kek;
    if (const char* text = std::getenv("FACEGATE_KEK")) kek.text = text;
    options.kek_source = facegate::kek_callbacks(kek, data).source;
    auto open_start = Clock::now();
    facegate::SqliteStore store(options);
    std::printf("store opened (data keys unwrapped) in %.3f s\n", seconds_since(open_start));

    for (bool with_index : {false, true}) {
        double best_plain = 1e9, best_sealed = 1e9;
        std::size_t plain_faces = 0, sealed_faces = 0;
        for (int pass = 0; pass < 3; ++pass) {
            {
                IndexLoad load;
                auto start = Clock::now();
                plain_scan(store.database_path(), collection, plain_faces, with_index ? &load : nullptr);
                best_plain = std::min(best_plain, seconds_since(start));
            }
            IndexLoad load;
            auto start = Clock::now();
            sealed_faces = 0;
            store.scan_embeddings(collection, 0, [&](facegate::FaceEmbedding&& face) {
                ++sealed_faces;
                if (with_index) load.add(face.row_id, face.embedding.data());
            });
            if (with_index) load.flush();
            best_sealed = std::min(best_sealed, seconds_since(start));
        }
        std::printf("%s %zu faces (best of 3, warm page cache): plain %.3f s; sealed %.3f s (+%.3f s, %.2f us a "
                    "face)\n",
                    with_index ? "loading into the index (as start-up does)," : "reading", sealed_faces, best_plain,
                    best_sealed, best_sealed - best_plain,
                    (best_sealed - best_plain) / double(std::max<std::size_t>(sealed_faces, 1)) * 1e6);
        if (plain_faces != sealed_faces) std::printf("MISMATCH: %zu faces read plain\n", plain_faces);
    }

    auto rotate_start = Clock::now();
    facegate::DataKeyRotation rotation = store.rotate_data_key(512);
    const double rotate = seconds_since(rotate_start);
    std::printf("rotate-data-key (batches of 512, synchronous=FULL): %llu templates re-sealed in %.1f s = %.1f s "
                "per 100k faces; data key v%u\n",
                static_cast<unsigned long long>(rotation.resealed), rotate,
                rotate / double(std::max<std::uint64_t>(rotation.resealed, 1)) * 100'000, rotation.version);
}
