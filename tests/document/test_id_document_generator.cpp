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

// ---------------------------------------------------------------------------------------------------
// issue 12: the options for the hard cases (card backs, layouts, booklets, tilt, turns, glare, old
// scans, small portraits), each shown to do what it says

namespace {

cv::Mat gray(const cv::Mat& bgr) {
    cv::Mat g;
    cv::cvtColor(bgr, g, cv::COLOR_BGR2GRAY);
    return g;
}

// the photo mapped back onto the flat document by the capture's homography, at a quarter of its
// size, correlated with the flat document (inner 90%, away from the edges): high only when the
// homography (and so the corners) says where the document really is in the photo
double rectified_correlation(const GeneratedDocument& doc, const cv::Mat& photo) {
    const cv::Mat& flat = doc.document.bgr;
    const cv::Size small(flat.cols / 4, flat.rows / 4);
    const cv::Matx33d quarter(double(small.width) / flat.cols, 0, 0, 0, double(small.height) / flat.rows, 0, 0, 0, 1);
    cv::Mat back, flat_small;
    cv::warpPerspective(gray(photo), back, cv::Mat(quarter * doc.capture.homography.inv()), small, cv::INTER_AREA);
    cv::resize(gray(flat), flat_small, small, 0, 0, cv::INTER_AREA);
    const cv::Rect inner(small.width / 20, small.height / 20, small.width * 9 / 10, small.height * 9 / 10);
    cv::Mat score;
    cv::matchTemplate(back(inner), flat_small(inner), score, cv::TM_CCOEFF_NORMED);
    return score.at<float>(0, 0);
}

std::array<cv::Point2f, 4> mapped(const SimulatedCapture& capture, const cv::Rect& r) {
    cv::Rect2f f(r);
    return {map_to_capture(capture, f.tl()), map_to_capture(capture, {f.br().x, f.y}), map_to_capture(capture, f.br()),
            map_to_capture(capture, {f.x, f.br().y})};
}

double side_length(const std::array<cv::Point2f, 4>& q, size_t i) { return cv::norm(q[(i + 1) % 4] - q[i]); }

// the share of `region` (photo pixels) where `a` and `b` differ by more than `levels` in grey
double changed_share(const cv::Mat& a, const cv::Mat& b, const std::array<cv::Point2f, 4>& region, int levels) {
    cv::Mat mask(a.size(), CV_8UC1, cv::Scalar(0));
    std::vector<cv::Point> poly;
    for (const auto& p : region) poly.emplace_back(cvRound(p.x), cvRound(p.y));
    cv::fillConvexPoly(mask, poly, cv::Scalar(255));
    cv::Mat diff;
    cv::absdiff(gray(a), gray(b), diff);
    return double(cv::countNonZero((diff > levels) & mask)) / std::max(1, cv::countNonZero(mask));
}

} // namespace

TEST(IdDocumentGeneratorOptions, CardBackHasAnMrzAndNoPortrait) {
    FACEGATE_REQUIRE_MODELS();
    ASSERT_EQ(document_layout_count(IdDocumentType::TD1, DocumentSide::BACK), 2);
    for (int layout = 0; layout < 2; ++layout) {
        std::mt19937 rng(3);
        // no photo is needed for a side without a portrait
        auto back = generator().render({}, person(), {.type = IdDocumentType::TD1, .side = DocumentSide::BACK,
                                                      .layout = layout}, rng);
        EXPECT_EQ(back.side, DocumentSide::BACK);
        EXPECT_TRUE(back.portrait.empty()) << "a back has no portrait region";
        EXPECT_TRUE(back.ghost.empty());
        EXPECT_EQ(back.mrz_format, MrzFormat::TD1);
        expect_valid_check_digits(back.mrz, MrzFormat::TD1);
        EXPECT_EQ(back.mrz, compose_mrz(MrzFormat::TD1, mrz_fields(person(), IdDocumentType::TD1)));
        EXPECT_EQ(shared_engine().analyze(back.bgr, kWithEmbeddings).faces.size(), 0u) << "a face on the back, layout " << layout;
        // the MRZ lies in the bottom band, its characters dark on a light band
        EXPECT_GT(back.mrz_region.y, back.bgr.rows / 2);
        cv::Mat mrz = gray(back.bgr(back.mrz_region));
        double lo, hi;
        cv::minMaxLoc(mrz, &lo, &hi);
        EXPECT_LT(lo, 80);
        EXPECT_GT(hi, 180);
    }
    std::mt19937 rng(3);
    EXPECT_THROW(generator().render(source(2).portrait, person(), {.type = IdDocumentType::TD3, .side = DocumentSide::BACK}, rng),
                 Error)
        << "a passport page has no back";
}

TEST(IdDocumentGeneratorOptions, EveryLayoutPutsThePortraitAndTheMrzWhereItSays) {
    FACEGATE_REQUIRE_MODELS();
    for (auto type : {IdDocumentType::TD1, IdDocumentType::TD3}) {
        ASSERT_GE(document_layout_count(type, DocumentSide::FRONT), 3);
        std::vector<float> spacings, band_tops;
        for (int layout = 0; layout < document_layout_count(type, DocumentSide::FRONT); ++layout) {
            SCOPED_TRACE(std::string(document_type_name(type)) + " layout " + std::to_string(layout));
            std::mt19937 rng(5);
            auto doc = generator().render(source(2).portrait, person(), {.type = type, .layout = layout}, rng);
            const auto& l = document_layout(type, DocumentSide::FRONT, layout);
            EXPECT_EQ(doc.layout_name, l.name);
            expect_valid_check_digits(doc.mrz, doc.mrz_format);
            auto faces = shared_engine().analyze(doc.bgr, kWithEmbeddings).faces;
            ASSERT_FALSE(faces.empty());
            EXPECT_TRUE(cv::Rect2f(doc.portrait).contains(center(faces.front().box.rect))) << faces.front().box.rect;
            // the MRZ region is where the layout puts it, in its plain band
            EXPECT_NEAR(doc.mrz_region.y, (l.mrz.first_char.y - l.mrz.cap_height / 2) * 12, 2);
            EXPECT_GT(doc.mrz_region.y, l.mrz.band_top * 12);
            EXPECT_LT(doc.portrait.br().y, l.mrz.band_top * 12) << "the portrait stays out of the MRZ band";
            spacings.push_back(l.mrz.line_spacing);
            band_tops.push_back(l.mrz.band_top);
        }
        // the layouts differ where documents of different countries differ: the MRZ band, the portrait's side
        EXPECT_GT(*std::max_element(spacings.begin(), spacings.end()) - *std::min_element(spacings.begin(), spacings.end()), 0.2f);
        EXPECT_GT(*std::max_element(band_tops.begin(), band_tops.end()) - *std::min_element(band_tops.begin(), band_tops.end()), 2.f);
        const int right = type == IdDocumentType::TD1 ? 1 : 2;
        const auto& r = document_layout(type, DocumentSide::FRONT, right);
        EXPECT_GT(r.portrait.x + r.portrait.width / 2, r.size.width * 0.6f) << "portrait right";
        EXPECT_LT(document_layout(type).portrait.x + document_layout(type).portrait.width / 2, r.size.width * 0.4f);
    }
    EXPECT_THROW(document_layout(IdDocumentType::TD3, DocumentSide::FRONT, 3), Error);
}

TEST(IdDocumentGeneratorOptions, OpenBookletShowsTheFacingPageBesideTheDataPage) {
    FACEGATE_REQUIRE_MODELS();
    std::mt19937 plain_rng(9);
    auto page = generator().render(source(3).portrait, person(), {.type = IdDocumentType::TD3}, plain_rng);
    for (auto facing : {FacingPage::ABOVE, FacingPage::BELOW}) {
        std::mt19937 rng(9);
        auto open = generator().render(source(3).portrait, person(), {.type = IdDocumentType::TD3, .facing_page = facing}, rng);
        ASSERT_EQ(open.data_page.size(), page.bgr.size());
        ASSERT_EQ(open.facing_page.size(), page.bgr.size());
        EXPECT_EQ(open.data_page.x, open.facing_page.x);
        EXPECT_EQ(open.data_page.y > open.facing_page.y, facing == FacingPage::ABOVE);
        EXPECT_GT(open.bgr.rows, 2 * page.bgr.rows) << "two pages and the cover's edge";
        EXPECT_TRUE((open.data_page & open.facing_page).empty());
        // the data page's parts moved with it; its MRZ and portrait are the single page's, pixel for pixel
        EXPECT_EQ(open.mrz_region, page.mrz_region + open.data_page.tl());
        EXPECT_EQ(open.portrait, page.portrait + open.data_page.tl());
        // (away from the spine, whose shadow darkens the data page's edge beside it)
        if (facing == FacingPage::ABOVE) {
            EXPECT_EQ(cv::norm(open.bgr(open.mrz_region), page.bgr(page.mrz_region), cv::NORM_INF), 0);
        } else {
            EXPECT_EQ(cv::norm(open.bgr(open.portrait), page.bgr(page.portrait), cv::NORM_INF), 0);
        }
        // the facing page is printed (text, a heading) but is not the data page
        cv::Mat facing_gray = gray(open.bgr(open.facing_page));
        EXPECT_GT(cv::countNonZero(facing_gray < 100), 500);
        EXPECT_GT(cv::norm(open.bgr(open.facing_page), page.bgr, cv::NORM_L1) / double(page.bgr.total()), 10);
        // photographed: the booklet's corners are where the homography puts them
        auto doc = generator().generate(source(3).portrait, person(), {.type = IdDocumentType::TD3, .facing_page = facing},
                                        {.max_tilt_deg = 25}, 9);
        EXPECT_GT(rectified_correlation(doc, decode_image(doc.capture.jpeg).bgr), 0.6);
    }
    std::mt19937 rng(9);
    EXPECT_THROW(generator().render(source(3).portrait, person(), {.type = IdDocumentType::TD1, .facing_page = FacingPage::ABOVE}, rng),
                 Error);
}

TEST(IdDocumentGeneratorOptions, TiltOf35DegreesIsAStrongPerspectiveWithTheCornersWhereTheyAre) {
    FACEGATE_REQUIRE_MODELS();
    int strong = 0;
    for (uint32_t seed = 1; seed <= 4; ++seed) {
        auto doc = generator().generate(source(2).portrait, person(), {.type = IdDocumentType::TD1},
                                        {.min_tilt_deg = 35, .max_tilt_deg = 35}, seed);
        EXPECT_DOUBLE_EQ(doc.capture.tilt_deg, 35);
        for (const auto& c : doc.capture.corners) EXPECT_TRUE(cv::Rect2f(0, 0, 1600, 1200).contains(c)) << c;
        EXPECT_GT(rectified_correlation(doc, decode_image(doc.capture.jpeg).bgr), 0.6) << "seed " << seed;
        // a 35 degree tilt shortens one side against its opposite (by 25% or more when the axis is
        // near one of the document's own axes)
        const auto& q = doc.capture.corners;
        double ratio = std::max({side_length(q, 0) / side_length(q, 2), side_length(q, 2) / side_length(q, 0),
                                 side_length(q, 1) / side_length(q, 3), side_length(q, 3) / side_length(q, 1)});
        EXPECT_GT(ratio, 1.08) << "seed " << seed;
        strong += ratio > 1.25;
    }
    EXPECT_GE(strong, 1);
    // no tilt: only the small corner jitter
    auto flat = generator().generate(source(2).portrait, person(), {.type = IdDocumentType::TD1}, {.max_corner_jitter = 0}, 1);
    const auto& q = flat.capture.corners;
    EXPECT_NEAR(side_length(q, 0) / side_length(q, 2), 1, 0.05);
}

class Turns : public ::testing::TestWithParam<double> {};
INSTANTIATE_TEST_SUITE_P(QuarterAndAny, Turns, ::testing::Values(90.0, 180.0, 270.0, 33.0, 212.0),
                         [](const auto& info) { return "deg" + std::to_string(int(info.param)); });

TEST_P(Turns, TurnedPhotoHasTheDocumentWhereTheCornersSay) {
    FACEGATE_REQUIRE_MODELS();
    const double turn = GetParam();
    auto upright = generator().generate(source(4).portrait, person(), {.type = IdDocumentType::TD3}, {}, 21);
    auto doc = generator().generate(source(4).portrait, person(), {.type = IdDocumentType::TD3}, {.turn_deg = turn}, 21);
    auto photo = decode_image(doc.capture.jpeg).bgr;
    if (turn == 90 || turn == 270) {
        EXPECT_EQ(photo.size(), cv::Size(1200, 1600));
    } else if (turn == 180) {
        EXPECT_EQ(photo.size(), cv::Size(1600, 1200));
    } else {
        EXPECT_GT(photo.cols, 1600);
    }
    EXPECT_GT(rectified_correlation(doc, photo), 0.6);
    // the document turned with the photo: its top edge points the way the turn says (counter-clockwise
    // on screen, y down)
    auto direction = [](const SimulatedCapture& c) {
        cv::Point2f d = c.corners[1] - c.corners[0];
        return std::atan2(-d.y, d.x) * 180 / CV_PI;
    };
    double turned_by = direction(doc.capture) - direction(upright.capture);
    EXPECT_NEAR(std::remainder(turned_by - turn, 360.0), 0, 0.5) << turned_by;
}

TEST(IdDocumentGeneratorOptions, GlareCoversPartOfTheMrzButNeverAllOfIt) {
    FACEGATE_REQUIRE_MODELS();
    for (uint32_t seed = 1; seed <= 6; ++seed) {
        SCOPED_TRACE("seed " + std::to_string(seed));
        const auto type = seed % 2 ? IdDocumentType::TD1 : IdDocumentType::TD3;
        CaptureOptions with{.hand_probability = 0};
        with.glare_streak = seed % 3 != 1;
        with.laminate_reflection = seed % 3 != 0;
        auto plain = generator().generate(source(5).portrait, person(), {.type = type}, {.hand_probability = 0}, seed);
        auto glared = generator().generate(source(5).portrait, person(), {.type = type}, with, seed);
        EXPECT_EQ(glared.capture.glare.streak, with.glare_streak);
        EXPECT_EQ(glared.capture.glare.reflection, with.laminate_reflection);
        // the same photo but for the glare: nothing changes off the document
        EXPECT_EQ(plain.capture.corners, glared.capture.corners);
        cv::Mat off(plain.capture.bgr.size(), CV_8UC1, cv::Scalar(255));
        std::vector<cv::Point> quad;
        for (const auto& c : plain.capture.corners) quad.emplace_back(cvRound(c.x), cvRound(c.y));
        cv::fillConvexPoly(off, quad, cv::Scalar(0));
        cv::dilate(~off, off, cv::Mat::ones(15, 15, CV_8U)); // the document and the blur's reach around it
        cv::Mat diff;
        cv::absdiff(plain.capture.bgr, glared.capture.bgr, diff);
        EXPECT_EQ(cv::countNonZero(gray(diff) & ~off), 0);
        // over the MRZ: a part is lightened a lot, never all of it, and never all the way to white
        const cv::Rect& mrz = glared.document.mrz_region;
        int covered = 0, samples = 0;
        float strongest = 0;
        for (int y = mrz.y; y < mrz.br().y; y += 3) {
            for (int x = mrz.x; x < mrz.br().x; x += 3, ++samples) {
                float a = glare_alpha(glared.capture.glare, cv::Point2f(float(x), float(y)));
                strongest = std::max(strongest, a);
                covered += a > 0.4f;
            }
        }
        EXPECT_LE(strongest, 0.9f);
        EXPECT_GT(covered, 0) << "the glare misses the MRZ";
        EXPECT_LT(double(covered) / samples, 0.65) << "the glare hides too much of the MRZ";
        // in the photo: the MRZ's ink lightened where the glare crosses it, most of the MRZ untouched
        const auto mrz_quad = mapped(glared.capture, mrz);
        EXPECT_GT(changed_share(plain.capture.bgr, glared.capture.bgr, mrz_quad, 60), 0.002);
        EXPECT_LT(changed_share(plain.capture.bgr, glared.capture.bgr, mrz_quad, 12), 0.75);
    }
}

TEST(IdDocumentGeneratorOptions, OldScanIsFadedLowContrastAndBlocky) {
    FACEGATE_REQUIRE_MODELS();
    CaptureOptions scan{.output_size = {1400, 1000}, .max_blur_sigma = 0.5, .max_noise_sigma = 2,
                        .min_jpeg_quality = 15, .max_jpeg_quality = 15};
    scan.scan = true;
    auto crisp = generator().generate(source(1).portrait, person(), {.type = IdDocumentType::TD3}, scan, 4);
    scan.min_contrast = 0.4, scan.max_contrast = 0.4;
    auto faded = generator().generate(source(1).portrait, person(), {.type = IdDocumentType::TD3}, scan, 4);
    EXPECT_TRUE(faded.capture.scan);
    EXPECT_FALSE(faded.capture.hand);
    EXPECT_LE(std::abs(faded.capture.rotation_deg), 3);
    EXPECT_DOUBLE_EQ(faded.capture.contrast, 0.4);
    EXPECT_EQ(faded.capture.jpeg_quality, 15);
    // the range of grey levels on the document shrinks with the contrast
    auto spread = [](const GeneratedDocument& d) {
        cv::Mat g = gray(decode_image(d.capture.jpeg).bgr);
        cv::Mat mask(g.size(), CV_8UC1, cv::Scalar(0));
        std::vector<cv::Point> quad;
        for (const auto& c : d.capture.corners) quad.emplace_back(cvRound(c.x), cvRound(c.y));
        cv::fillConvexPoly(mask, quad, cv::Scalar(255));
        std::vector<uchar> v;
        for (int y = 0; y < g.rows; ++y) {
            for (int x = 0; x < g.cols; ++x) {
                if (mask.at<uchar>(y, x)) v.push_back(g.at<uchar>(y, x));
            }
        }
        std::sort(v.begin(), v.end());
        return int(v[v.size() * 99 / 100]) - int(v[v.size() / 100]);
    };
    EXPECT_LT(spread(faded), 0.6 * spread(crisp));
    EXPECT_GT(spread(faded), 40) << "faded, not blank";
    // blocks: grey steps across the JPEG's 8-pixel block boundaries are larger than inside the blocks
    cv::Mat g;
    gray(decode_image(faded.capture.jpeg).bgr).convertTo(g, CV_32F);
    double at_boundary = 0, inside_blocks = 0;
    int n_boundary = 0, n_inside = 0;
    for (int y = 0; y < g.rows; ++y) {
        for (int x = 1; x < g.cols; ++x) {
            double step = std::abs(g.at<float>(y, x) - g.at<float>(y, x - 1));
            if (x % 8 == 0) at_boundary += step, ++n_boundary;
            else inside_blocks += step, ++n_inside;
        }
    }
    EXPECT_GT(at_boundary / n_boundary, 1.2 * inside_blocks / n_inside);
}

TEST(IdDocumentGeneratorOptions, SmallPortraitIsAsSmallAsAsked) {
    FACEGATE_REQUIRE_MODELS();
    // a TD1 card 0.45 of a 1600 px photo: 8.4 px/mm, its 26.5 mm portrait 223 px; at 0.11: about 24 px
    CaptureOptions far{.min_fill = 0.45, .max_fill = 0.45, .max_corner_jitter = 0.02};
    auto doc = generator().generate(source(6).portrait, person(), {.type = IdDocumentType::TD1, .portrait_scale = 0.11}, far, 8);
    auto q = mapped(doc.capture, doc.document.portrait);
    double height = (side_length(q, 1) + side_length(q, 3)) / 2;
    EXPECT_GT(height, 20);
    EXPECT_LT(height, 30);
    EXPECT_FALSE(doc.document.ghost.empty());
    EXPECT_LT(doc.document.ghost.area(), doc.document.portrait.area());
    // the printed portrait shrinks about its centre; the rest of the layout stays
    std::mt19937 a(1), b(1);
    auto full = generator().render(source(6).portrait, person(), {.type = IdDocumentType::TD1}, a);
    auto small = generator().render(source(6).portrait, person(), {.type = IdDocumentType::TD1, .portrait_scale = 0.5}, b);
    EXPECT_NEAR(small.portrait.height, full.portrait.height / 2.0, 1);
    EXPECT_LT(cv::norm(center(cv::Rect2f(small.portrait)) - center(cv::Rect2f(full.portrait))), 1.5);
    EXPECT_EQ(small.mrz_region, full.mrz_region);
    std::mt19937 c(1);
    EXPECT_THROW(generator().render(source(6).portrait, person(), {.type = IdDocumentType::TD1, .portrait_scale = 0.05}, c), Error);
}

TEST(IdDocumentGeneratorOptions, EveryOptionTogetherIsStillOneDocumentPerSeed) {
    FACEGATE_REQUIRE_MODELS();
    CaptureOptions all{.max_rotation_deg = 180, .min_tilt_deg = 10, .max_tilt_deg = 35, .turn_deg = 123};
    all.glare_streak = all.laminate_reflection = true;
    all.min_contrast = 0.5, all.max_contrast = 0.8;
    RenderOptions render{.type = IdDocumentType::TD3, .layout = 2, .portrait_scale = 0.6, .facing_page = FacingPage::BELOW};
    auto a = generator().generate(source(2).portrait, person(), render, all, 77);
    auto b = generator().generate(source(2).portrait, person(), render, all, 77);
    EXPECT_EQ(a.capture.jpeg, b.capture.jpeg);
    EXPECT_EQ(a.document.mrz, b.document.mrz);
    // and the options out of range are refused
    EXPECT_THROW(generator().generate(source(2).portrait, person(), render, {.max_tilt_deg = 70}, 1), Error);
    CaptureOptions washed;
    washed.min_contrast = 0.1;
    EXPECT_THROW(generator().generate(source(2).portrait, person(), render, washed, 1), Error);
    EXPECT_THROW(generator().generate(source(2).portrait, person(), {.type = IdDocumentType::TD1, .layout = 7}, {}, 1), Error);
}
