// SPDX-License-Identifier: MIT
// the document locator on synthetic scenes: a card or page with known corners, in perspective, on a
// textured or plain background, found within a few pixels with the right proportions; nothing found
// in noise, in a square or a small quad, or in a page that fills the frame. no models needed.
#include "document/document_locator.h"
#include "document/mrz_page.h"
#include "test_support.h"

#include <opencv2/imgproc.hpp>

#include <cmath>

using namespace facegate;

namespace {

using Quad = std::array<cv::Point2f, 4>;

constexpr float kCard = 85.6f / 54.f;
constexpr float kPage = 125.f / 88.f;

// a flat document of `aspect` at 600 px high: pale ground, a grey portrait box on the left, rows of
// dark "text", a red mark at a known spot, and (optionally) rounded corners
struct Flat {
    cv::Mat bgr;
    cv::Mat mask;
};

Flat flat_document(float aspect, cv::Scalar ground, int corner_radius = 0) {
    int h = 600, w = int(std::lround(h * aspect));
    Flat f;
    f.bgr = cv::Mat(h, w, CV_8UC3, ground);
    cv::rectangle(f.bgr, cv::Rect(int(0.05 * w), int(0.25 * h), int(0.28 * w), int(0.55 * h)), cv::Scalar(90, 100, 120), cv::FILLED);
    cv::RNG rng(3);
    for (int row = 0; row < 8; ++row) {
        int y = int(0.22 * h) + row * 45;
        for (int x = int(0.4 * w); x < int(0.92 * w); x += 14) {
            if (rng.uniform(0, 6) == 0) continue; // word gaps
            cv::rectangle(f.bgr, cv::Rect(x, y, 9, 20), cv::Scalar(30, 30, 30), cv::FILLED);
        }
    }
    cv::rectangle(f.bgr, cv::Rect(int(0.45 * w), int(0.05 * h), 60, 40), cv::Scalar(0, 0, 230), cv::FILLED);
    f.mask = cv::Mat(h, w, CV_8U, cv::Scalar(0));
    if (corner_radius == 0) {
        f.mask.setTo(255);
    } else {
        int r = corner_radius;
        cv::rectangle(f.mask, cv::Rect(r, 0, w - 2 * r, h), 255, cv::FILLED);
        cv::rectangle(f.mask, cv::Rect(0, r, w, h - 2 * r), 255, cv::FILLED);
        for (cv::Point c : {cv::Point(r, r), cv::Point(w - 1 - r, r), cv::Point(w - 1 - r, h - 1 - r), cv::Point(r, h - 1 - r)}) {
            cv::circle(f.mask, c, r, 255, cv::FILLED, cv::LINE_AA);
        }
    }
    return f;
}

// the flat document warped so that its corners land on `corners` of `background`
cv::Mat place(const Flat& flat, const Quad& corners, cv::Mat background) {
    float w = float(flat.bgr.cols), h = float(flat.bgr.rows);
    Quad source = {cv::Point2f(0, 0), cv::Point2f(w, 0), cv::Point2f(w, h), cv::Point2f(0, h)};
    cv::Mat m = cv::getPerspectiveTransform(source.data(), corners.data());
    cv::Mat warped, mask;
    cv::warpPerspective(flat.bgr, warped, m, background.size(), cv::INTER_LINEAR);
    cv::warpPerspective(flat.mask, mask, m, background.size(), cv::INTER_LINEAR);
    warped.copyTo(background, mask > 127);
    return background;
}

cv::Mat plain(int w, int h, cv::Scalar colour) { return cv::Mat(h, w, CV_8UC3, colour); }

double distance(cv::Point2f a, cv::Point2f b) { return std::hypot(a.x - b.x, a.y - b.y); }

void expect_corners(const LocatedDocument& doc, const Quad& expected, double tolerance) {
    ASSERT_TRUE(doc.outline_found);
    for (size_t i = 0; i < 4; ++i) {
        EXPECT_LE(distance(doc.corners[i], expected[i]), tolerance)
            << "corner " << i << " found at " << doc.corners[i] << ", drawn at " << expected[i];
    }
}

// the rectangle w x h around `centre` turned by `angle` degrees, then with its top edge shrunk by
// `keystone` (a phone tilted back from the document)
Quad tilted(cv::Point2f centre, float w, float h, float angle, float keystone) {
    Quad q = {cv::Point2f(-w / 2 * (1 - keystone), -h / 2), cv::Point2f(w / 2 * (1 - keystone), -h / 2),
              cv::Point2f(w / 2, h / 2), cv::Point2f(-w / 2, h / 2)};
    double a = angle * CV_PI / 180;
    for (auto& p : q) {
        p = cv::Point2f(float(std::cos(a) * p.x - std::sin(a) * p.y) + centre.x,
                        float(std::sin(a) * p.x + std::cos(a) * p.y) + centre.y);
    }
    return q;
}

} // namespace

TEST(DocumentLocator, FindsACardInPerspectiveOnATexturedTable) {
    for (float angle : {-12.f, 0.f, 8.f}) {
        for (float keystone : {0.f, 0.08f}) {
            Quad corners = tilted({820, 610}, 1100, 1100 / kCard, angle, keystone);
            cv::Mat photo = place(flat_document(kCard, cv::Scalar(235, 240, 238)), corners, test::synthetic_background(1600, 1200));
            LocatedDocument doc = locate_document(photo);
            SCOPED_TRACE(::testing::Message() << "angle " << angle << " keystone " << keystone);
            expect_corners(doc, corners, 5);
            EXPECT_EQ(doc.shape, DocumentShape::CARD);
            EXPECT_NEAR(doc.aspect, kCard, keystone > 0 ? 0.12 : 0.05);
            EXPECT_EQ(std::max(doc.rectified.cols, doc.rectified.rows), kRectifiedLongSide);
            EXPECT_GT(doc.rectified.cols, doc.rectified.rows);
        }
    }
}

TEST(DocumentLocator, FindsARoundedCardByItsSidesNotItsCornerArcs) {
    Quad corners = tilted({800, 600}, 1000, 1000 / kCard, 5, 0.05f);
    // ID-1's corner radius is 3.18 mm of 54: 35 px of 600
    cv::Mat photo = place(flat_document(kCard, cv::Scalar(225, 235, 240), 35), corners, plain(1600, 1200, {70, 60, 50}));
    LocatedDocument doc = locate_document(photo);
    expect_corners(doc, corners, 5);
    EXPECT_EQ(doc.shape, DocumentShape::CARD);
}

TEST(DocumentLocator, FindsAPassportPageAsAPage) {
    Quad corners = tilted({800, 640}, 1300, 1300 / kPage, -4, 0.06f);
    cv::Mat photo = place(flat_document(kPage, cv::Scalar(215, 230, 225)), corners, test::synthetic_background(1600, 1200, 11));
    LocatedDocument doc = locate_document(photo);
    expect_corners(doc, corners, 5);
    EXPECT_EQ(doc.shape, DocumentShape::PAGE);
    EXPECT_NEAR(doc.aspect, kPage, 0.1);
}

TEST(DocumentLocator, FindsADarkCardOnALightDesk) {
    Quad corners = tilted({640, 480}, 860, 860 / kCard, 3, 0);
    cv::Mat photo = place(flat_document(kCard, cv::Scalar(120, 60, 40)), corners, plain(1280, 960, {225, 225, 225}));
    LocatedDocument doc = locate_document(photo);
    expect_corners(doc, corners, 4);
    EXPECT_EQ(doc.shape, DocumentShape::CARD);
}

TEST(DocumentLocator, RectifiesSoThatTheDocumentsContentIsWhereItWasDrawn) {
    Quad corners = tilted({800, 600}, 1100, 1100 / kCard, 10, 0.1f);
    cv::Mat photo = place(flat_document(kCard, cv::Scalar(235, 240, 238)), corners, test::synthetic_background(1600, 1200));
    LocatedDocument doc = locate_document(photo);
    ASSERT_TRUE(doc.outline_found);
    // the red mark: x 45% of the width, y 5% of the height, 60 x 40 of a 600 px high document
    double s = doc.rectified.rows / 600.0;
    cv::Rect mark(int(0.45 * doc.rectified.cols + 10 * s), int(0.05 * doc.rectified.rows + 8 * s), int(40 * s), int(24 * s));
    cv::Scalar colour = cv::mean(doc.rectified(mark));
    EXPECT_GT(colour[2], 180) << colour;
    EXPECT_LT(colour[0], 60) << colour;
    // image -> document -> image is the identity, and the drawn corners map onto the rectified corners
    cv::Point2f p(700, 650);
    EXPECT_LT(distance(doc.to_image(doc.to_document(p)), p), 0.01);
    EXPECT_LT(distance(doc.to_document(corners[2]), cv::Point2f(float(doc.rectified.cols), float(doc.rectified.rows))), 6);
    EXPECT_TRUE(doc.contains({800, 600}));
    EXPECT_FALSE(doc.contains({30, 30}));
}

TEST(DocumentLocator, FindsNothingInNoiseAndTakesTheWholeImage) {
    cv::Mat noise(900, 1200, CV_8UC3);
    cv::RNG(5).fill(noise, cv::RNG::UNIFORM, 0, 256);
    LocatedDocument doc = locate_document(noise);
    EXPECT_FALSE(doc.outline_found);
    EXPECT_EQ(doc.rectified.cols, kRectifiedLongSide);
    EXPECT_EQ(doc.rectified.rows, 750);
    EXPECT_NEAR(doc.aspect, 1200.0 / 900, 1e-4);
    EXPECT_TRUE(doc.contains({10, 10}));
    EXPECT_FALSE(locate_document(test::synthetic_background(1200, 900)).outline_found);
}

TEST(DocumentLocator, TakesAPageThatFillsTheFrameAsTheWholeImage) {
    // a scan: the page is the picture, its content touches nothing like an outline
    Flat flat = flat_document(kPage, cv::Scalar(245, 245, 245));
    LocatedDocument doc = locate_document(flat.bgr);
    EXPECT_FALSE(doc.outline_found);
    EXPECT_EQ(doc.shape, DocumentShape::PAGE);
    EXPECT_EQ(doc.rectified.cols, kRectifiedLongSide);
}

TEST(DocumentLocator, IgnoresSquaresAndSmallCards) {
    Quad square = tilted({800, 600}, 800, 800, 0, 0);
    cv::Mat photo = place(flat_document(1.0f, cv::Scalar(235, 240, 238)), square, plain(1600, 1200, {60, 70, 80}));
    EXPECT_FALSE(locate_document(photo).outline_found);
    Quad small = tilted({800, 600}, 400, 400 / kCard, 0, 0); // 5% of the picture
    photo = place(flat_document(kCard, cv::Scalar(235, 240, 238)), small, plain(1600, 1200, {60, 70, 80}));
    EXPECT_FALSE(locate_document(photo).outline_found);
}

TEST(DocumentLocator, ShapeAndProportionScores) {
    EXPECT_EQ(shape_from_aspect(1.585f), DocumentShape::CARD);
    EXPECT_EQ(shape_from_aspect(1.42f), DocumentShape::PAGE);
    EXPECT_EQ(shape_from_aspect(1.0f), DocumentShape::UNKNOWN);
    EXPECT_EQ(shape_from_aspect(2.2f), DocumentShape::UNKNOWN);
    EXPECT_NEAR(proportion_score(1.585f), 1.f, 1e-5);
    EXPECT_GT(proportion_score(1.5f), 0.9f);
    EXPECT_EQ(proportion_score(1.0f), 0.f);
    EXPECT_EQ(document_shape_name(DocumentShape::CARD), "CARD");
}

// the page around a zone: a TD3 zone of 44 characters at 4 px/mm, its text 111.22 mm long, puts a
// 125 x 88 mm page centred on it with its bottom edge 5 mm below the zone; turned with the zone
TEST(MrzPage, APageLiesWhereIcaoPutsItAroundItsZone) {
    const float px = 4; // px per mm
    const float left = 200, right = left + (43 * 2.54f + 2.0f) * px, top = 500, bottom = 540;
    const Quad zone = {cv::Point2f(left, top), cv::Point2f(right, top), cv::Point2f(right, bottom), cv::Point2f(left, bottom)};
    auto page = page_around_mrz(MrzFormat::TD3, zone);
    ASSERT_TRUE(page);
    EXPECT_NEAR(page->aspect, 125.f / 88.f, 1e-3);
    const float centre = (left + right) / 2, page_bottom = bottom + 5 * px;
    const Quad expected = {cv::Point2f(centre - 62.5f * px, page_bottom - 88 * px), cv::Point2f(centre + 62.5f * px, page_bottom - 88 * px),
                           cv::Point2f(centre + 62.5f * px, page_bottom), cv::Point2f(centre - 62.5f * px, page_bottom)};
    for (size_t i = 0; i < 4; ++i) EXPECT_LT(cv::norm(page->corners[i] - expected[i]), 0.5) << i;

    // the same zone turned upside down (its text read from the other end): so is the page
    const Quad turned = {zone[2], zone[3], zone[0], zone[1]};
    auto upside_down = page_around_mrz(MrzFormat::TD3, turned);
    ASSERT_TRUE(upside_down);
    const cv::Point2f mid((left + right) / 2, (top + bottom) / 2);
    for (size_t i = 0; i < 4; ++i) EXPECT_LT(cv::norm((upside_down->corners[i] - mid) + (expected[i] - mid)), 0.5) << i;

    // a card's zone is 30 characters on an ID-1 card
    auto card = page_around_mrz(MrzFormat::TD1, zone);
    ASSERT_TRUE(card);
    EXPECT_NEAR(card->aspect, 85.6f / 54.f, 1e-3);
    // a degenerate zone has no page
    EXPECT_FALSE(page_around_mrz(MrzFormat::TD3, Quad{zone[0], zone[0], zone[0], zone[0]}));
}
