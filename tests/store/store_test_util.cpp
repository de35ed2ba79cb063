// SPDX-License-Identifier: MIT
#include "store/store_test_util.h"

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

void StoreTest::SetUp() { store_ = std::make_unique<SqliteStore>(options()); }

SqliteStoreOptions StoreTest::options() const {
    SqliteStoreOptions o = options_for(dir_.path());
    o.clock_ms = clock_.function();
    return o;
}

void StoreTest::reopen() {
    store_.reset();
    store_ = std::make_unique<SqliteStore>(options());
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
