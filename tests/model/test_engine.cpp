// SPDX-License-Identifier: MIT
// the face engine on the sample photos fetched from the npm registry and on synthesised images
#include "common/error.h"
#include "core/face_embedder.h"
#include "service/compare_faces.h"
#include "test_support.h"

#include <opencv2/imgproc.hpp>

#include <thread>

using namespace facegate;
using facegate::test::encode;
using facegate::test::read_file;
using facegate::test::shared_engine;

namespace {

ImageAnalysis analyze_sample(int n) {
    return shared_engine().analyze_bytes(read_file(test::samples_dir() / ("sample" + std::to_string(n) + ".jpg")));
}

// a picture of the `index`-th face of a sample photo, with `context` times the face box around it
cv::Mat face_portrait(int sample, size_t index, float context) {
    auto decoded = decode_image(read_file(test::samples_dir() / ("sample" + std::to_string(sample) + ".jpg")));
    auto analysis = shared_engine().analyze(decoded.bgr);
    const auto& box = analysis.faces.at(index).box.rect;
    cv::Point2f c(box.x + box.width / 2, box.y + box.height / 2);
    float side = std::max(box.width, box.height) * context;
    cv::Rect r = cv::Rect(cv::Rect2f(c.x - side / 2, c.y - side / 2, side, side)) &
                 cv::Rect(0, 0, decoded.bgr.cols, decoded.bgr.rows);
    return decoded.bgr(r).clone();
}

} // namespace

class SampleCounts : public ::testing::TestWithParam<std::pair<int, size_t>> {};

TEST_P(SampleCounts, FindsEveryFaceOfTheGroupPhoto) {
    FACEGATE_REQUIRE_MODELS();
    auto [sample, expected] = GetParam();
    auto analysis = analyze_sample(sample);
    EXPECT_EQ(analysis.faces.size(), expected) << "sample" << sample << ".jpg";
    for (size_t i = 1; i < analysis.faces.size(); ++i) {
        EXPECT_GE(analysis.faces[i - 1].box.rect.area(), analysis.faces[i].box.rect.area()) << "largest first";
    }
    for (const auto& face : analysis.faces) {
        EXPECT_GT(face.box.confidence, 0.85f);
        EXPECT_EQ(face.embedding.size(), size_t(kEmbeddingSize));
        // landmarks fall inside (or very near) the face box
        cv::Rect2f grown(face.box.rect.x - face.box.rect.width * 0.3f, face.box.rect.y - face.box.rect.height * 0.3f,
                         face.box.rect.width * 1.6f, face.box.rect.height * 1.6f);
        for (const auto& p : face.landmarks) EXPECT_TRUE(grown.contains(p)) << p;
    }
}

// counted by eye on each photo (docs/calibration.md)
INSTANTIATE_TEST_SUITE_P(FaceApiSamples, SampleCounts,
                         ::testing::Values(std::pair{1, size_t(3)}, std::pair{2, size_t(3)}, std::pair{3, size_t(3)},
                                           std::pair{4, size_t(4)}, std::pair{5, size_t(5)}, std::pair{6, size_t(4)}));

TEST(Engine, DifferentPeopleInOnePhotoStayBelowTheMatchThreshold) {
    FACEGATE_REQUIRE_MODELS();
    int pairs = 0;
    for (int sample = 1; sample <= 6; ++sample) {
        auto analysis = analyze_sample(sample);
        for (size_t i = 0; i < analysis.faces.size(); ++i) {
            for (size_t j = i + 1; j < analysis.faces.size(); ++j, ++pairs) {
                float s = similarity_from_cosine(cosine_similarity(analysis.faces[i].embedding, analysis.faces[j].embedding));
                EXPECT_LT(s, kDefaultMatchThreshold) << "sample" << sample << " faces " << i << " and " << j;
            }
        }
    }
    EXPECT_EQ(pairs, 3 + 3 + 3 + 6 + 10 + 6);
}

class SmallFace : public ::testing::TestWithParam<size_t> {};

// the two frontal faces of sample1 (face 0 leans and is blurred: at 40 px it is not reliably found)
INSTANTIATE_TEST_SUITE_P(FrontalFaces, SmallFace, ::testing::Values(size_t(1), size_t(2)));

TEST_P(SmallFace, FindsA40PixelFaceIn1080p) {
    FACEGATE_REQUIRE_MODELS();
    cv::Mat portrait = face_portrait(1, GetParam(), 1.6f);
    // the face box is 1/1.6 of the portrait: scale so the face is about 40 px wide
    double scale = 40.0 * 1.6 / portrait.cols;
    cv::Mat small;
    cv::resize(portrait, small, cv::Size(), scale, scale, cv::INTER_AREA);
    for (cv::Point at : {cv::Point(1500, 700), cv::Point(300, 200), cv::Point(950, 520)}) {
        cv::Mat frame = test::synthetic_background(1920, 1080);
        small.copyTo(frame(cv::Rect(at, small.size())));
        auto analysis = shared_engine().analyze_bytes(encode(frame, ".jpg", {cv::IMWRITE_JPEG_QUALITY, 92}));
        ASSERT_EQ(analysis.faces.size(), 1u) << "face at " << at;
        auto center = (analysis.faces[0].box.rect.tl() + analysis.faces[0].box.rect.br()) * 0.5f;
        EXPECT_NEAR(center.x, at.x + small.cols / 2.0, 20);
        EXPECT_NEAR(center.y, at.y + small.rows / 2.0, 20);
        EXPECT_NEAR(analysis.faces[0].quality.face_width_px, 40, 16);
    }
}

TEST(Engine, FindsAFaceFillingTheFrame) {
    FACEGATE_REQUIRE_MODELS();
    cv::Mat portrait = face_portrait(3, 0, 1.15f);
    cv::Mat big;
    cv::resize(portrait, big, cv::Size(900, 900), 0, 0, cv::INTER_CUBIC);
    auto analysis = shared_engine().analyze_bytes(encode(big, ".png"));
    ASSERT_EQ(analysis.faces.size(), 1u);
    EXPECT_GT(analysis.faces[0].box.rect.width, 500);
}

TEST(Engine, NoFaceInAFacelessPicture) {
    FACEGATE_REQUIRE_MODELS();
    for (auto size : {cv::Size(640, 480), cv::Size(1920, 1080)}) {
        auto analysis = shared_engine().analyze_bytes(encode(test::synthetic_background(size.width, size.height), ".jpg"));
        EXPECT_TRUE(analysis.faces.empty()) << size;
    }
}

TEST(Engine, ExposesQualityPoseEyesAndLiveness) {
    FACEGATE_REQUIRE_MODELS();
    auto analysis = analyze_sample(4);
    ASSERT_FALSE(analysis.faces.empty());
    for (const auto& face : analysis.faces) {
        EXPECT_GT(face.quality.brightness, 10);
        EXPECT_LT(face.quality.brightness, 95);
        EXPECT_GT(face.quality.sharpness, 0);
        EXPECT_LT(std::abs(face.pose.yaw), 60);
        EXPECT_LT(std::abs(face.pose.pitch), 60);
        EXPECT_LT(std::abs(face.pose.roll), 60);
        EXPECT_GE(face.liveness.score, 0);
        EXPECT_LE(face.liveness.score, 100);
        EXPECT_EQ(face.liveness.live, face.liveness.score >= 50);
    }
    // a face rotated in the picture reports the roll: rotate a portrait by 20 degrees
    cv::Mat portrait = face_portrait(1, 1, 2.5f);
    auto roll_of = [&](double angle) {
        cv::Mat rotated;
        cv::Point2f c(portrait.cols / 2.f, portrait.rows / 2.f);
        cv::warpAffine(portrait, rotated, cv::getRotationMatrix2D(c, angle, 1.0), portrait.size(), cv::INTER_LINEAR,
                       cv::BORDER_REFLECT);
        auto a = shared_engine().analyze(rotated);
        EXPECT_EQ(a.faces.size(), 1u);
        return a.faces.empty() ? 0.f : a.faces[0].pose.roll;
    };
    float base = roll_of(0);
    EXPECT_NEAR(roll_of(-20) - base, 20, 6); // getRotationMatrix2D turns counter-clockwise for positive angles
    EXPECT_NEAR(roll_of(20) - base, -20, 6);
}

TEST(Engine, ConcurrentAnalysesMatchSequentialOnes) {
    FACEGATE_REQUIRE_MODELS();
    std::vector<std::vector<uint8_t>> images;
    std::vector<ImageAnalysis> expected;
    for (int sample : {1, 2, 5}) {
        images.push_back(read_file(test::samples_dir() / ("sample" + std::to_string(sample) + ".jpg")));
        expected.push_back(shared_engine().analyze_bytes(images.back()));
    }
    std::vector<std::thread> threads;
    std::atomic<int> mismatches{0}, done{0};
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int round = 0; round < 3; ++round) {
                size_t i = size_t(t + round) % images.size();
                auto got = shared_engine().analyze_bytes(images[i]);
                if (got.faces.size() != expected[i].faces.size()) { ++mismatches; continue; }
                for (size_t f = 0; f < got.faces.size(); ++f) {
                    if (cosine_similarity(got.faces[f].embedding, expected[i].faces[f].embedding) < 0.9999f) ++mismatches;
                }
                ++done;
            }
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(mismatches.load(), 0);
    EXPECT_EQ(done.load(), 12);
}

TEST(Engine, RefusesModelsThatFailTheirChecksum) {
    FACEGATE_REQUIRE_MODELS();
    auto dir = std::filesystem::temp_directory_path() / ("facegate-models-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    for (const auto& model : model_files()) {
        std::filesystem::copy_file(test::model_dir() / model.file_name, dir / model.file_name,
                                   std::filesystem::copy_options::overwrite_existing);
    }
    {
        std::fstream f(dir / "fr_eye.onnx", std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(1000);
        f.put('\x5a');
    }
    EngineConfig config;
    config.model_dir = dir;
    config.workers = 1;
    try {
        FaceEngine engine(config);
        FAIL() << "a tampered model was loaded";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::MODEL_UNAVAILABLE);
        EXPECT_NE(std::string(e.what()).find("fr_eye.onnx"), std::string::npos);
    }
    config.model_dir = dir / "missing";
    EXPECT_THROW(FaceEngine{config}, Error);
    std::filesystem::remove_all(dir);
}

TEST(CompareFaces, MatchesTheSameFaceAndNotTheOthers) {
    FACEGATE_REQUIRE_MODELS();
    auto portrait = encode(face_portrait(5, 2, 2.5f), ".jpg");
    auto group = read_file(test::samples_dir() / "sample5.jpg");
    auto result = compare_faces(shared_engine(), portrait, group);
    ASSERT_EQ(result.matches.size(), 1u);
    EXPECT_EQ(result.unmatched.size(), 4u);
    EXPECT_GT(result.matches[0].similarity, 95);
    for (const auto& m : result.unmatched) EXPECT_LT(m.similarity, kDefaultMatchThreshold);
    for (size_t i = 1; i < result.unmatched.size(); ++i) EXPECT_GE(result.unmatched[i - 1].similarity, result.unmatched[i].similarity);
    // at threshold 0 every face matches, best first
    auto all = compare_faces(shared_engine(), portrait, group, 0.f);
    EXPECT_EQ(all.matches.size(), 5u);
    EXPECT_TRUE(all.unmatched.empty());
}

TEST(CompareFaces, NoFaceInTheSourceIsAnError) {
    FACEGATE_REQUIRE_MODELS();
    auto blank = encode(test::synthetic_background(400, 300), ".png");
    auto group = read_file(test::samples_dir() / "sample1.jpg");
    try {
        compare_faces(shared_engine(), blank, group);
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::NO_FACE);
    }
    // no face in the target is no error: nothing matches
    auto result = compare_faces(shared_engine(), group, blank);
    EXPECT_TRUE(result.matches.empty());
    EXPECT_TRUE(result.unmatched.empty());
    EXPECT_THROW(compare_faces(shared_engine(), group, group, 101.f), Error);
    EXPECT_THROW(compare_faces(shared_engine(), group, group, -1.f), Error);
}
