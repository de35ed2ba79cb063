// SPDX-License-Identifier: MIT
// the shared photo set (../shared/data): every genuine pair matches at the default threshold, no
// impostor pair does, the multi-face photos give the right faces, printed portraits read as not live.
// skipped, saying so, when ../shared/data is absent.
#include "core/face_embedder.h"
#include "service/compare_faces.h"
#include "test_support.h"

#include <map>

using namespace facegate;
using facegate::test::read_file;
using facegate::test::shared_engine;
namespace fs = std::filesystem;

namespace {

struct Portrait {
    std::string person;
    fs::path path;
    std::vector<float> embedding;
};

const std::vector<Portrait>& portraits() {
    static const std::vector<Portrait> list = [] {
        std::vector<Portrait> out;
        std::vector<fs::path> files;
        for (const auto& dir : fs::directory_iterator(test::shared_dir() / "faces")) {
            if (!dir.is_directory() || dir.path().filename().string().starts_with("_")) continue;
            for (const auto& file : fs::directory_iterator(dir.path())) files.push_back(file.path());
        }
        std::sort(files.begin(), files.end());
        for (const auto& file : files) {
            auto analysis = shared_engine().analyze_bytes(read_file(file));
            out.push_back({file.parent_path().filename(), file,
                           analysis.faces.empty() ? std::vector<float>{} : analysis.faces[0].embedding});
        }
        return out;
    }();
    return list;
}

float similarity(const std::vector<float>& a, const std::vector<float>& b) {
    return similarity_from_cosine(cosine_similarity(a, b));
}

fs::path face_file(const std::string& rel) { return test::shared_dir() / "faces" / rel; }

} // namespace

TEST(SharedPhotos, EveryPortraitHasAFace) {
    FACEGATE_REQUIRE_MODELS();
    FACEGATE_REQUIRE_SHARED_DATA();
    for (const auto& p : portraits()) EXPECT_FALSE(p.embedding.empty()) << p.path;
}

TEST(SharedPhotos, GenuinePairsMatchAndImpostorPairsDoNot) {
    FACEGATE_REQUIRE_MODELS();
    FACEGATE_REQUIRE_SHARED_DATA();
    int genuine = 0, impostor = 0;
    const auto& list = portraits();
    for (size_t i = 0; i < list.size(); ++i) {
        for (size_t j = i + 1; j < list.size(); ++j) {
            if (list[i].embedding.empty() || list[j].embedding.empty()) continue;
            float s = similarity(list[i].embedding, list[j].embedding);
            if (list[i].person == list[j].person) {
                ++genuine;
                EXPECT_GE(s, kDefaultMatchThreshold) << list[i].path << " vs " << list[j].path;
            } else {
                ++impostor;
                EXPECT_LT(s, kDefaultMatchThreshold) << list[i].path << " vs " << list[j].path;
            }
        }
    }
    EXPECT_EQ(genuine, 44);
    EXPECT_EQ(impostor, 146);
}

TEST(SharedPhotos, MultiFacePhotosGiveEveryoneInTheirPlace) {
    FACEGATE_REQUIRE_MODELS();
    FACEGATE_REQUIRE_SHARED_DATA();
    std::map<std::string, std::vector<float>> reference;
    for (const auto& p : portraits()) {
        if (!reference.count(p.person) && !p.embedding.empty()) reference[p.person] = p.embedding;
    }
    // file, people from left to right, minimum number of faces (more people stand behind in one)
    struct Case { std::string file; std::vector<std::string> left_to_right; size_t at_least; };
    for (const auto& c : {Case{"_multi/two_people.jpg", {"obama", "biden"}, 2},
                          Case{"_multi/obama_and_biden.jpg", {"biden", "obama"}, 2},
                          Case{"_multi/kit_with_rose.jpg", {"rose_leslie", "kit_harington"}, 2}}) {
        auto analysis = shared_engine().analyze_bytes(read_file(face_file(c.file)));
        ASSERT_GE(analysis.faces.size(), c.at_least) << c.file;
        if (c.at_least == c.left_to_right.size() && c.file != "_multi/obama_and_biden.jpg") {
            EXPECT_EQ(analysis.faces.size(), c.at_least) << c.file;
        }
        // who is who: the best match for each named person, then their order left to right
        std::vector<float> x_of;
        for (const auto& person : c.left_to_right) {
            size_t best = 0;
            for (size_t f = 1; f < analysis.faces.size(); ++f) {
                if (similarity(reference[person], analysis.faces[f].embedding) >
                    similarity(reference[person], analysis.faces[best].embedding)) best = f;
            }
            EXPECT_GE(similarity(reference[person], analysis.faces[best].embedding), kDefaultMatchThreshold)
                << person << " in " << c.file;
            x_of.push_back(analysis.faces[best].box.rect.x);
        }
        EXPECT_LT(x_of[0], x_of[1]) << c.file;
    }
}

TEST(SharedPhotos, EdgeCasesStillGiveTheFace) {
    FACEGATE_REQUIRE_MODELS();
    FACEGATE_REQUIRE_SHARED_DATA();
    std::vector<float> obama;
    for (const auto& p : portraits()) if (p.person == "obama" && !p.embedding.empty()) { obama = p.embedding; break; }
    for (const char* file : {"_edge/32bit.png", "_edge/obama_partial_face.jpg", "_edge/obama_partial_face2.jpg"}) {
        auto analysis = shared_engine().analyze_bytes(read_file(face_file(file)));
        ASSERT_EQ(analysis.faces.size(), 1u) << file;
        EXPECT_GE(similarity(obama, analysis.faces[0].embedding), kDefaultMatchThreshold) << file;
    }
}

TEST(SharedPhotos, PrintedPortraitsOfDocumentsAreNotLiveAndPhotosAre) {
    FACEGATE_REQUIRE_MODELS();
    FACEGATE_REQUIRE_SHARED_DATA();
    for (const char* file : {"passport-td2.jpg", "passport-td2.png", "passport-td3.jpg", "passport-td3.png"}) {
        auto analysis = shared_engine().analyze_bytes(read_file(test::shared_dir() / "documents" / file));
        ASSERT_EQ(analysis.faces.size(), 1u) << file;
        EXPECT_FALSE(analysis.faces[0].liveness.live) << file << " score " << analysis.faces[0].liveness.score;
    }
    int live = 0, total = 0;
    for (const auto& p : portraits()) {
        auto analysis = shared_engine().analyze_bytes(read_file(p.path));
        if (analysis.faces.empty()) continue;
        ++total;
        live += analysis.faces[0].liveness.live;
    }
    EXPECT_EQ(live, total) << "ordinary photos read as live";
}

TEST(SharedPhotos, TheSameShotAtEveryResolutionMatches) {
    FACEGATE_REQUIRE_MODELS();
    FACEGATE_REQUIRE_SHARED_DATA();
    auto reference = shared_engine().analyze_bytes(read_file(face_file("obama/obama-1080p.jpg")));
    ASSERT_EQ(reference.faces.size(), 1u);
    for (const char* file : {"obama/obama-240p.jpg", "obama/obama-480p.jpg", "obama/obama-720p.jpg"}) {
        auto other = shared_engine().analyze_bytes(read_file(face_file(file)));
        ASSERT_EQ(other.faces.size(), 1u) << file;
        EXPECT_GE(similarity(reference.faces[0].embedding, other.faces[0].embedding), 95) << file;
    }
}
