// SPDX-License-Identifier: MIT
// fills a data directory with a collection of N synthetic faces (random unit embeddings), plus
// the real faces of the given photos, for the HTTP search and start-up benchmarks.
// usage: populate_store DATA_DIR COLLECTION N [PHOTO...]
//        populate_store --store URI [--kek-file F] COLLECTION N [PHOTO...]
// The first form writes the SQLite store of DATA_DIR. The second (also FACEGATE_STORE=URI with the
// first form's arguments minus DATA_DIR) writes a shared store through facegate::open_store, e.g. a
// PostgreSQL database; its KEK must be given (--kek-file F or FACEGATE_KEK), as for `facegate serve`.
#include "common/error.h"
#include "core/face_engine.h"
#include "core/model_files.h"
#include "store/kek_source.h"
#include "store/open_store.h"
#include "store/sqlite_store.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>

static std::unique_ptr<facegate::Store> open_shared(const std::string& uri, const std::string& kek_file) {
    facegate::StoreLocation location;
    location.uri = uri;
    facegate::OpenStoreOptions options;
    options.may_create_kek = false;
    options.kek.file = kek_file;
    if (kek_file.empty())
        if (const char* text = std::getenv("FACEGATE_KEK")) options.kek.text = text;
    options.connections = 1;
    return facegate::open_store(location, options);
}

int main(int argc, char** argv) {
    // --store URI [--kek-file F] in front, or FACEGATE_STORE: a shared store instead of DATA_DIR's SQLite
    std::string uri, kek_file;
    if (const char* env = std::getenv("FACEGATE_STORE")) uri = env;
    int first = 1;
    while (first + 1 < argc && (std::string(argv[first]) == "--store" || std::string(argv[first]) == "--kek-file")) {
        (std::string(argv[first]) == "--store" ? uri : kek_file) = argv[first + 1];
        first += 2;
    }
    const int positional = uri.empty() ? 3 : 2;
    if (argc - first < positional) {
        std::fprintf(stderr, "usage: populate_store DATA_DIR COLLECTION N [PHOTO...]\n"
                             "       populate_store --store URI [--kek-file F] COLLECTION N [PHOTO...]\n");
        return 2;
    }
    std::unique_ptr<facegate::Store> owned;
    if (!uri.empty()) {
        owned = open_shared(uri, kek_file);
    } else {
        facegate::SqliteStoreOptions options;
        options.data_dir = argv[first++];
        options.synchronous_full = false; // a bulk load: a crash here only means loading again
        // the embeddings are sealed as facegate's commands seal them: FACEGATE_KEK, else DATA/kek (made when new)
        facegate::KekOptions kek;
        if (const char* text = std::getenv("FACEGATE_KEK")) kek.text = text;
        facegate::KekCallbacks callbacks = facegate::kek_callbacks(kek, options.data_dir);
        options.kek_source = callbacks.source;
        options.create_kek = callbacks.create;
        owned = std::make_unique<facegate::SqliteStore>(options);
    }
    facegate::Store& store = *owned;
    std::string collection = argv[first];
    size_t n = std::stoul(argv[first + 1]);
    const int photos = first + 2;
    try {
        store.create_collection(collection, facegate::embedding_model_version());
    } catch (const facegate::Error&) {
    }
    auto start = std::chrono::steady_clock::now();
    std::mt19937 rng(42);
    std::normal_distribution<float> gauss;
    for (size_t done = 0; done < n;) {
        facegate::NewImageFaces image;
        image.model_version = std::string(facegate::embedding_model_version());
        image.external_image_id = "synthetic-" + std::to_string(done);
        for (size_t i = 0; i < facegate::kMaxFacesPerImage && done < n; ++i, ++done) {
            facegate::NewFace face;
            face.bounding_box = {0.2f, 0.3f, 0.4f, 0.3f};
            face.confidence = 99.9f;
            face.embedding.resize(facegate::kEmbeddingDim);
            float norm = 0;
            for (float& v : face.embedding) norm += (v = gauss(rng)) * v;
            for (float& v : face.embedding) v /= std::sqrt(norm);
            image.faces.push_back(std::move(face));
        }
        store.add_faces(collection, image);
    }
    if (argc > photos) {
        facegate::FaceEngine engine({.workers = 1});
        for (int i = photos; i < argc; ++i) {
            std::ifstream in(argv[i], std::ios::binary);
            std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
            auto analysis = engine.analyze_bytes(bytes);
            facegate::NewImageFaces image;
            image.model_version = std::string(facegate::embedding_model_version());
            image.external_image_id = "photo-" + std::to_string(i - photos);
            for (const auto& f : analysis.faces) {
                image.faces.push_back({{f.box.rect.width / analysis.width, f.box.rect.height / analysis.height,
                                        f.box.rect.x / analysis.width, f.box.rect.y / analysis.height},
                                       f.box.confidence * 100, f.embedding});
            }
            if (!image.faces.empty()) store.add_faces(collection, image);
        }
    }
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%s: %zu synthetic faces (+%d photos) in %.1fs\n", collection.c_str(), n, argc - photos, seconds);
}
