// SPDX-License-Identifier: MIT
// the synthetic ID document generator (tools/id_document): documents decode, their MRZ check digits
// hold, the portrait is the face the engine finds first and it is the source photo's person (flat and
// photographed), the ghost portrait stays small, and one seed gives one file.
#include "common/error.h"
#include "core/face_embedder.h"
#include "core/similarity.h"
#include "id_document/id_document_generator.h"
#include "test_support.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <map>

using namespace facegate;
using facegate::test::read_file;
using facegate::test::shared_engine;

namespace {

constexpr AnalyzeOptions kWithEmbeddings{.embeddings = true, .liveness = false, .attributes = false};

// a sample photo, the face a document would show and that face's embedding (analysed once per test
// program). the samples are group photos: the most frontal face, as document portraits are (a
// profile's embedding is not stable enough to test the generator with)
struct Source {
    PortraitSource portrait;
    std::vector<float> embedding;
};

const Source& source(int sample) {
    static std::map<int, Source> cache;
    auto it = cache.find(sample);
    if (it != cache.end()) return it->second;
    auto bytes = read_file(test::samples_dir() / ("sample" + std::to_string(sample) + ".jpg"));
    auto analysis = shared_engine().analyze_bytes(bytes, {.embeddings = true, .liveness = false, .attributes = true});
    if (analysis.faces.empty()) throw std::runtime_error("no face in sample " + std::to_string(sample));
    auto frontal = std::min_element(analysis.faces.begin(), analysis.faces.end(), [](const auto& a, const auto& b) {
        return std::abs(a.pose.yaw) < std::abs(b.pose.yaw);
    });
    return cache[sample] = Source{portrait_source(bytes, frontal->box.rect), frontal->embedding};
}

IdDocumentGenerator& generator() {
    static IdDocumentGenerator g;
    return g;
}

float similarity(const std::vector<float>& a, const std::vector<float>& b) {
    return similarity_from_cosine(cosine_similarity(a, b));
}

cv::Point2f center(const cv::Rect2f& r) { return {r.x + r.width / 2, r.y + r.height / 2}; }

bool inside(const std::array<cv::Point2f, 4>& quad, cv::Point2f p) {
    return cv::pointPolygonTest(std::vector<cv::Point2f>(quad.begin(), quad.end()), p, false) > 0;
}

// the MRZ's check digits, recomputed from the printed lines
void expect_valid_check_digits(const std::vector<std::string>& mrz, MrzFormat format) {
    auto check = [](const std::string& line, size_t from, size_t length, size_t digit) {
        auto d = mrz_check_digit(std::string_view(line).substr(from, length));
        ASSERT_TRUE(d.has_value()) << line;
        EXPECT_EQ(char('0' + *d), line[digit]) << line << " field at " << from;
    };
    if (format == MrzFormat::TD1) {
        ASSERT_EQ(mrz.size(), 3u);
        for (const auto& line : mrz) EXPECT_EQ(line.size(), 30u) << line;
        check(mrz[0], 5, 9, 14);  // document number
        check(mrz[1], 0, 6, 6);   // birth
        check(mrz[1], 8, 6, 14);  // expiry
        std::string composite = mrz[0].substr(5, 25) + mrz[1].substr(0, 7) + mrz[1].substr(8, 7) + mrz[1].substr(18, 11);
        EXPECT_EQ(char('0' + *mrz_check_digit(composite)), mrz[1][29]);
    } else {
        ASSERT_EQ(mrz.size(), 2u);
        for (const auto& line : mrz) EXPECT_EQ(line.size(), 44u) << line;
        check(mrz[1], 0, 9, 9);
        check(mrz[1], 13, 6, 19);
        check(mrz[1], 21, 6, 27);
        check(mrz[1], 28, 14, 42);
        std::string composite = mrz[1].substr(0, 10) + mrz[1].substr(13, 7) + mrz[1].substr(21, 22);
        EXPECT_EQ(char('0' + *mrz_check_digit(composite)), mrz[1][43]);
    }
}

IdDocumentFields person() {
    IdDocumentFields f;
    f.surname = "VAN DER BERG";
    f.given_names = "LISA MARIE";
    f.document_number = "X4RT7Q2M1";
    f.birth_date = "880229";
    f.expiry_date = "330917";
    f.nationality = "NLD";
    f.issuing_state = "UTO";
    f.optional_data = "ZE184226B";
    return f;
}

} // namespace

TEST(IdDocumentGenerator, MissingFontIsNamedInTheError) {
    try {
        IdDocumentGenerator g({"/nonexistent/DejaVuSans.ttf", default_font_paths().bold, default_font_paths().ocr_b});
        FAIL() << "a missing font must throw";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::INVALID_PARAMETER);
        EXPECT_NE(std::string(e.what()).find("/nonexistent/DejaVuSans.ttf"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("fonts-dejavu-core"), std::string::npos) << e.what();
    }
}

TEST(IdDocumentGenerator, RefusesFieldsAnMrzCannotCarry) {
    FACEGATE_REQUIRE_MODELS();
    IdDocumentFields f = person();
    f.birth_date = "1988-02-29";
    std::mt19937 rng(1);
    EXPECT_THROW(generator().render(source(2).portrait, f, {}, rng), Error);
}

class EachType : public ::testing::TestWithParam<IdDocumentType> {};
INSTANTIATE_TEST_SUITE_P(Td1AndTd3, EachType, ::testing::Values(IdDocumentType::TD1, IdDocumentType::TD3),
                         [](const auto& info) { return std::string(document_type_name(info.param)); });

TEST_P(EachType, DocumentsDecodeWithTheirSizeAndValidCheckDigits) {
    FACEGATE_REQUIRE_MODELS();
    auto doc = generator().generate(source(2).portrait, person(), {.type = GetParam()}, {}, 11);
    const auto& layout = document_layout(GetParam());
    EXPECT_EQ(doc.document.bgr.cols, int(std::lround(layout.size.width * 12)));
    EXPECT_EQ(doc.document.bgr.rows, int(std::lround(layout.size.height * 12)));
    EXPECT_EQ(doc.document.mrz_format, GetParam() == IdDocumentType::TD1 ? MrzFormat::TD1 : MrzFormat::TD3);
    expect_valid_check_digits(doc.document.mrz, doc.document.mrz_format);
    EXPECT_EQ(doc.document.mrz, compose_mrz(doc.document.mrz_format, mrz_fields(person(), GetParam())));

    auto decoded = decode_image(doc.capture.jpeg);
    EXPECT_EQ(decoded.bgr.cols, 1600);
    EXPECT_EQ(decoded.bgr.rows, 1200);
    EXPECT_GE(doc.capture.jpeg_quality, 75);
    EXPECT_LE(doc.capture.jpeg_quality, 92);
    // the corners lie in the frame and are where the homography sends the flat document's corners
    float w = float(doc.document.bgr.cols), h = float(doc.document.bgr.rows);
    cv::Point2f flat[4] = {{0, 0}, {w, 0}, {w, h}, {0, h}};
    for (size_t i = 0; i < 4; ++i) {
        const auto& c = doc.capture.corners[i];
        EXPECT_TRUE(cv::Rect2f(0, 0, 1600, 1200).contains(c)) << c;
        EXPECT_LT(cv::norm(map_to_capture(doc.capture, flat[i]) - c), 0.01) << i;
    }
}

TEST_P(EachType, SameSeedGivesTheSameBytes) {
    FACEGATE_REQUIRE_MODELS();
    auto a = generator().generate(source(2).portrait, person(), {.type = GetParam()}, {}, 5);
    auto b = generator().generate(source(2).portrait, person(), {.type = GetParam()}, {}, 5);
    auto c = generator().generate(source(2).portrait, person(), {.type = GetParam()}, {}, 6);
    EXPECT_EQ(a.capture.jpeg, b.capture.jpeg);
    EXPECT_EQ(cv::norm(a.document.bgr, b.document.bgr, cv::NORM_INF), 0);
    EXPECT_NE(a.capture.jpeg, c.capture.jpeg);
}

// (sample photo, type, seed): the portrait found and matched on the flat render and on the photo
class PortraitMatch : public ::testing::TestWithParam<std::tuple<int, IdDocumentType, uint32_t>> {};
INSTANTIATE_TEST_SUITE_P(
    Samples, PortraitMatch,
    ::testing::Values(std::tuple{1, IdDocumentType::TD3, 1u}, std::tuple{2, IdDocumentType::TD1, 2u},
                      std::tuple{3, IdDocumentType::TD3, 3u}, std::tuple{4, IdDocumentType::TD1, 4u},
                      std::tuple{5, IdDocumentType::TD3, 5u}, std::tuple{6, IdDocumentType::TD1, 6u}),
    [](const auto& info) {
        return "sample" + std::to_string(std::get<0>(info.param)) + "_" +
               std::string(document_type_name(std::get<1>(info.param))) + "_seed" + std::to_string(std::get<2>(info.param));
    });

TEST_P(PortraitMatch, PortraitIsTheLargestFaceAndTheSourcePerson) {
    FACEGATE_REQUIRE_MODELS();
    auto [sample, type, seed] = GetParam();
    const Source& src = source(sample);
    auto doc = generator().generate(src.portrait, person(), {.type = type}, {}, seed);
    const RenderedDocument& flat = doc.document;
    ASSERT_FALSE(flat.ghost.empty());
    EXPECT_LT(flat.ghost.area(), flat.portrait.area() / 4) << "the ghost is much smaller than the portrait";

    auto on_flat = shared_engine().analyze(flat.bgr, kWithEmbeddings);
    ASSERT_FALSE(on_flat.faces.empty()) << "no face on the flat document";
    const auto& portrait = on_flat.faces.front();
    EXPECT_TRUE(cv::Rect2f(flat.portrait).contains(center(portrait.box.rect))) << portrait.box.rect;
    EXPECT_GE(similarity(portrait.embedding, src.embedding), kDefaultMatchThreshold);
    for (size_t i = 1; i < on_flat.faces.size(); ++i) {
        // the ghost (or a face at the edge of the portrait) may be found too, but much smaller
        EXPECT_LT(on_flat.faces[i].box.rect.area(), 0.3f * portrait.box.rect.area()) << on_flat.faces[i].box.rect;
    }

    auto on_photo = shared_engine().analyze_bytes(doc.capture.jpeg, kWithEmbeddings);
    ASSERT_FALSE(on_photo.faces.empty()) << "no face on the simulated photo";
    cv::Rect2f p(flat.portrait);
    std::array<cv::Point2f, 4> portrait_quad = {map_to_capture(doc.capture, p.tl()),
                                                map_to_capture(doc.capture, {p.br().x, p.y}),
                                                map_to_capture(doc.capture, p.br()),
                                                map_to_capture(doc.capture, {p.x, p.br().y})};
    EXPECT_TRUE(inside(portrait_quad, center(on_photo.faces.front().box.rect))) << on_photo.faces.front().box.rect;
    EXPECT_GE(similarity(on_photo.faces.front().embedding, src.embedding), kDefaultMatchThreshold);
}
