// SPDX-License-Identifier: MIT
// the document analyzer on real pictures of ../shared/data: the ICAO specimen documents are documents
// (MRZ read with every check digit, TD2/TD3, expired in 2012, portrait found); no photo of people is.
// DocumentConfidence.Distribution prints the table of docs/documents.md. skipped, saying so, when
// ../shared/data is absent.
#include "document/document_analyzer.h"
#include "document/document_orientation.h"
#include "document/document_test_support.h"
#include "document/mrz_reader.h"
#include "document/ocrb_glyphs.h"

#if FACEGATE_HAVE_ID_DOCUMENT_GENERATOR
#include "id_document/id_document_generator.h"
#endif

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstdio>
#include <map>

using namespace facegate;
using facegate::test::read_file;
using facegate::test::shared_engine;
using facegate::test::analyzer;
using facegate::test::has;
using facegate::test::joined;
using facegate::test::kToday;
namespace fs = std::filesystem;

namespace {

constexpr AnalyzeOptions kBoxesOnly{.embeddings = false, .liveness = false, .attributes = false, .max_faces = 100};
std::vector<fs::path> files_under(const fs::path& dir) {
    std::vector<fs::path> out;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
        if (entry.is_regular_file()) out.push_back(entry.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::string evidence_line(const DocumentEvidence& e) {
    char line[256];
    std::snprintf(line, sizeof line, "outline %d (%.2f) band %d parsed %d checks %.2f portrait %d (placed %.2f printed %.2f) text %d",
                  e.outline_found, e.outline_score, e.mrz_band_found, e.mrz_parsed, e.mrz_checks_valid, e.portrait_found,
                  e.portrait_placement, e.portrait_printed, e.text_glyphs);
    return line;
}

} // namespace

TEST(DocumentSpecimens, AreDocumentsWithAValidMrzAndAPortrait) {
    FACEGATE_REQUIRE_MODELS();
    FACEGATE_REQUIRE_SHARED_DATA();
    if (!fs::exists(test::shared_dir() / "documents")) GTEST_SKIP() << "no documents/ in " << test::shared_dir();
    auto files = files_under(test::shared_dir() / "documents");
    ASSERT_EQ(files.size(), 4u);
    for (const auto& file : files) {
        SCOPED_TRACE(file.string());
        DocumentAnalysis a = analyzer().analyze(read_file(file), kToday);
        SCOPED_TRACE(evidence_line(a.evidence));
        EXPECT_GE(a.document_confidence, 90);
        bool td2 = file.filename().string().find("td2") != std::string::npos;
        EXPECT_EQ(a.format, td2 ? "TD2" : "TD3");
        ASSERT_TRUE(a.mrz.has_value()) << joined(a.reasons);
        EXPECT_TRUE(a.mrz->all_checks_valid);
        EXPECT_EQ(a.mrz->fields.surname, "ERIKSSON");
        EXPECT_EQ(a.mrz->fields.expiry_date, "120415");
        EXPECT_EQ(a.expired, std::optional<bool>(true)); // 15 April 2012
        EXPECT_TRUE(has(a.reasons, "DOCUMENT_EXPIRED"));
        ASSERT_TRUE(a.portrait.has_value()) << joined(a.reasons);
        EXPECT_FALSE(a.portrait->embedding.empty());
        // the portrait is on the left third of the page
        EXPECT_LT(a.portrait->box.rect.x + a.portrait->box.rect.width / 2, a.image_width / 3.f);
        for (const char* face_reason : {"NO_FACE", "MULTIPLE_FACES", "FACE_TOO_SMALL", "LOW_QUALITY", "NO_DOCUMENT"}) {
            EXPECT_FALSE(has(a.reasons, face_reason)) << face_reason;
        }
    }
}

TEST(DocumentSpecimens, NoPhotoOfPeopleIsADocument) {
    FACEGATE_REQUIRE_MODELS();
    FACEGATE_REQUIRE_SHARED_DATA();
    for (const auto& file : files_under(test::shared_dir() / "faces")) {
        DocumentAnalysis a = analyzer().analyze(read_file(file), kToday);
        EXPECT_LE(a.document_confidence, 20) << file << ": " << evidence_line(a.evidence);
        EXPECT_FALSE(a.mrz.has_value()) << file;
    }
}

// documentConfidence over documents and non-documents, min / median / max, and the time per stage of
// analyze() on the photographed documents (1600x1200 JPEGs): the tables of docs/documents.md.
// prints only; the thresholds are asserted by the tests above.
TEST(DocumentConfidence, Distribution) {
    FACEGATE_REQUIRE_MODELS();
    FACEGATE_REQUIRE_SHARED_DATA();
    std::map<std::string, std::vector<float>> groups;
    std::vector<DocumentTimings> timings;
    auto add = [&](const std::string& group, std::span<const uint8_t> bytes, DocumentTimings* t = nullptr) {
        DocumentAnalysis a = analyzer().analyze(bytes, kToday, t);
        groups[group].push_back(a.document_confidence);
    };
    if (fs::exists(test::shared_dir() / "documents")) {
        for (const auto& file : files_under(test::shared_dir() / "documents")) add("documents: specimens", read_file(file));
    }
#if FACEGATE_HAVE_ID_DOCUMENT_GENERATOR
    IdDocumentGenerator generator;
    for (int sample = 1; sample <= 6; ++sample) {
        auto bytes = read_file(test::samples_dir() / ("sample" + std::to_string(sample) + ".jpg"));
        auto faces = shared_engine().analyze_bytes(bytes, kBoxesOnly);
        if (faces.faces.empty()) continue;
        auto portrait = portrait_source(bytes, faces.faces.front().box.rect);
        for (IdDocumentType type : {IdDocumentType::TD1, IdDocumentType::TD3}) {
            for (uint32_t seed = 0; seed < 2; ++seed) {
                auto doc = generator.generate(portrait, {}, {.type = type}, {}, uint32_t(100 * sample + 10 * int(type) + seed));
                add("documents: generated, flat", test::encode(doc.document.bgr, ".png"));
                DocumentTimings t;
                add("documents: generated, photographed", doc.capture.jpeg, &t);
                timings.push_back(t);
            }
        }
    }
#endif
    for (const auto& file : files_under(test::shared_dir() / "faces")) add("non-documents: ../shared/data/faces", read_file(file));
    for (const auto& file : files_under(test::samples_dir())) add("non-documents: testdata/samples", read_file(file));

    std::printf("\n| set | n | min | median | max |\n| --- | --- | --- | --- | --- |\n");
    for (auto& [name, values] : groups) {
        std::sort(values.begin(), values.end());
        std::printf("| %s | %zu | %.1f | %.1f | %.1f |\n", name.c_str(), values.size(), values.front(),
                    values[values.size() / 2], values.back());
    }
    if (!timings.empty()) {
        auto median = [&](double DocumentTimings::*stage) {
            std::vector<double> v;
            for (const auto& t : timings) v.push_back(t.*stage);
            std::sort(v.begin(), v.end());
            return v[v.size() / 2];
        };
        std::printf("\nanalyze() of %zu photographed documents (1600x1200 JPEG), median ms per stage:\n", timings.size());
        std::printf("| decode | faces | locate | portrait | mrz | text | total |\n| --- | --- | --- | --- | --- | --- | --- |\n");
        std::printf("| %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f |\n", median(&DocumentTimings::decode),
                    median(&DocumentTimings::faces), median(&DocumentTimings::locate), median(&DocumentTimings::portrait),
                    median(&DocumentTimings::mrz), median(&DocumentTimings::text), median(&DocumentTimings::total));
        double slowest = 0;
        for (const auto& t : timings) slowest = std::max(slowest, t.total);
        std::printf("slowest total: %.1f ms\n", slowest);
    }
}

namespace {

// a picture turned by `degrees` (counter-clockwise on screen) on a table-coloured canvas that holds it
cv::Mat turned_on_table(const cv::Mat& image, double degrees) {
    cv::Mat canvas(image.rows + 80, image.cols + 80, CV_8UC3, cv::Scalar(70, 95, 120));
    image.copyTo(canvas(cv::Rect(40, 40, image.cols, image.rows)));
    const cv::Point2f centre(canvas.cols / 2.0f, canvas.rows / 2.0f);
    cv::Mat m = cv::getRotationMatrix2D(centre, degrees, 1.0);
    const cv::Rect2f bounds = cv::RotatedRect(centre, cv::Size2f(canvas.size()), float(-degrees)).boundingRect2f();
    m.at<double>(0, 2) += bounds.width / 2.0 - centre.x;
    m.at<double>(1, 2) += bounds.height / 2.0 - centre.y;
    cv::Mat out;
    cv::warpAffine(canvas, out, m, cv::Size(int(bounds.width), int(bounds.height)), cv::INTER_LINEAR,
                   cv::BORDER_CONSTANT, cv::Scalar(70, 95, 120));
    return out;
}

} // namespace

// issue 12: the specimens read the same MRZ at every quarter turn and every 10 degrees: upright as
// they come, else under the turn find_mrz_turn gives
TEST(DocumentSpecimens, EveryRotationReadsTheSameMrz) {
    FACEGATE_REQUIRE_SHARED_DATA();
    if (!fs::exists(test::shared_dir() / "documents")) GTEST_SKIP() << "no documents/ in " << test::shared_dir();
    if (!fs::exists(ocrb_font_path())) GTEST_SKIP() << "OCR-B font absent at " << ocrb_font_path();
    for (const char* name : {"passport-td3.jpg", "passport-td2.jpg"}) {
        cv::Mat image = cv::imread((test::shared_dir() / "documents" / name).string(), cv::IMREAD_COLOR);
        ASSERT_FALSE(image.empty()) << name;
        const std::vector<std::string> expected = read_mrz(image).lines;
        ASSERT_EQ(expected.size(), 2u) << name;
        for (int degrees = 0; degrees < 360; degrees += 10) {
            SCOPED_TRACE(std::string(name) + " at " + std::to_string(degrees) + " degrees");
            cv::Mat picture = turned_on_table(image, degrees);
            MrzReadResult r = read_mrz(picture);
            if (!r.readable()) {
                auto turn = find_mrz_turn(picture);
                ASSERT_TRUE(turn.has_value());
                r = read_mrz(turn_picture(picture, *turn).bgr);
            }
            EXPECT_TRUE(r.readable());
            EXPECT_EQ(r.lines, expected);
        }
    }
}

// and the whole analysis of a quarter-turned specimen: the MRZ, the portrait (found once upright),
// and the outline and portrait given in the picture as it came
TEST(DocumentSpecimens, QuarterTurnsAreAnalysedUpright) {
    FACEGATE_REQUIRE_MODELS();
    FACEGATE_REQUIRE_SHARED_DATA();
    if (!fs::exists(test::shared_dir() / "documents")) GTEST_SKIP() << "no documents/ in " << test::shared_dir();
    cv::Mat image = cv::imread((test::shared_dir() / "documents" / "passport-td3.jpg").string(), cv::IMREAD_COLOR);
    ASSERT_FALSE(image.empty());
    for (int degrees : {90, 180, 270, 130}) {
        SCOPED_TRACE(std::to_string(degrees) + " degrees");
        cv::Mat picture = turned_on_table(image, degrees);
        DocumentAnalysis a = analyzer().analyze(picture, kToday);
        SCOPED_TRACE(evidence_line(a.evidence));
        ASSERT_TRUE(a.mrz);
        EXPECT_TRUE(a.mrz->all_checks_valid);
        EXPECT_EQ(a.format, "TD3");
        EXPECT_GE(a.document_confidence, 90);
        ASSERT_TRUE(a.portrait);
        EXPECT_EQ(a.image_width, picture.cols);
        const cv::Point2f centre(a.portrait->box.rect.x + a.portrait->box.rect.width / 2,
                                 a.portrait->box.rect.y + a.portrait->box.rect.height / 2);
        EXPECT_TRUE(cv::Rect(0, 0, picture.cols, picture.rows).contains(centre));
        EXPECT_NE(a.rotation_degrees, 0.0f);
    }
}
