// SPDX-License-Identifier: MIT
// procedural surfaces, the document's shadow and a holding hand
#include "id_document/capture_scene.h"

#include "id_document/smooth_field.h"

#include <opencv2/imgproc.hpp>

#include <cmath>
#include <limits>
#include <utility>
#include <vector>

namespace facegate {

namespace {

using Uniform = std::uniform_real_distribution<double>;

int pick(std::mt19937& rng, int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); }

// a grid of uniform random values in [0, 1]
cv::Mat noise_grid(cv::Size grid, std::mt19937& rng) {
    cv::Mat small(std::max(2, grid.height), std::max(2, grid.width), CV_32F);
    cv::RNG cv_rng(rng());
    cv_rng.fill(small, cv::RNG::UNIFORM, 0.f, 1.f);
    return small;
}

cv::Scalar jitter_color(const cv::Scalar& c, double amount, std::mt19937& rng) {
    Uniform d(-amount, amount);
    return {c[0] + d(rng), c[1] + d(rng), c[2] + d(rng)};
}

cv::Vec3b to_pixel(const cv::Scalar& c) {
    return {cv::saturate_cast<uchar>(c[0]), cv::saturate_cast<uchar>(c[1]), cv::saturate_cast<uchar>(c[2])};
}

// an ellipse as a polygon (for bounding boxes and drawing into a region)
std::vector<cv::Point> ellipse_polygon(cv::Point2f center, cv::Size2f axes, double angle_deg) {
    std::vector<cv::Point> poly;
    cv::ellipse2Poly(cv::Point(cvRound(center.x), cvRound(center.y)),
                     cv::Size(cvRound(axes.width / 2), cvRound(axes.height / 2)), int(std::lround(angle_deg)), 0, 360, 4,
                     poly);
    return poly;
}

// where row `y` crosses the convex quad: [from, to] in x (empty, from > to, when it misses it)
std::pair<float, float> row_span(const std::array<cv::Point2f, 4>& quad, float y) {
    float from = std::numeric_limits<float>::max(), to = std::numeric_limits<float>::lowest();
    for (size_t i = 0; i < 4; ++i) {
        cv::Point2f a = quad[i], b = quad[(i + 1) % 4];
        if ((y < a.y && y < b.y) || (y > a.y && y > b.y) || a.y == b.y) continue;
        float x = a.x + (y - a.y) * (b.x - a.x) / (b.y - a.y);
        from = std::min(from, x), to = std::max(to, x);
    }
    return {from, to};
}

} // namespace

cv::Mat table_background(cv::Size size, std::mt19937& rng) {
    static const cv::Scalar kSurfaces[] = {
        {80, 130, 180},  // oak
        {45, 75, 110},   // walnut
        {205, 208, 210}, // white laminate
        {140, 140, 135}, // grey laminate
        {50, 50, 52},    // black desk
        {95, 150, 195},  // pine
    };
    cv::Scalar base = jitter_color(kSurfaces[pick(rng, int(std::size(kSurfaces)))], 10, rng);
    bool vertical = pick(rng, 2) == 1;
    // computed at a quarter of the resolution and scaled up: the camera focuses on the document, and
    // the small buffer keeps the capture's memory churn low
    cv::Size quarter((size.width + 3) / 4, (size.height + 3) / 4);
    // streaks: many cells across the grain, few along it
    cv::Size grid = vertical ? cv::Size(quarter.width / 2, 6) : cv::Size(6, quarter.height / 2);
    SmoothField streaks(noise_grid(grid, rng), quarter);
    SmoothField tone(noise_grid({6, 5}, rng), quarter);
    float depth = float(Uniform(0.08, 0.22)(rng));
    cv::Mat surface(quarter, CV_8UC3);
    std::vector<float> s(size_t(quarter.width)), t(size_t(quarter.width));
    for (int y = 0; y < quarter.height; ++y) {
        streaks.row(y, s.data());
        tone.row(y, t.data());
        cv::Vec3b* p = surface.ptr<cv::Vec3b>(y);
        for (int x = 0; x < quarter.width; ++x) {
            float g = 1.f - depth * s[size_t(x)] - 0.12f * t[size_t(x)];
            p[x] = cv::Vec3b(cv::saturate_cast<uchar>(base[0] * g), cv::saturate_cast<uchar>(base[1] * g),
                             cv::saturate_cast<uchar>(base[2] * g));
        }
    }
    cv::Mat out;
    cv::resize(surface, out, size, 0, 0, cv::INTER_LINEAR);
    return out;
}

cv::Mat clutter_background(cv::Size size, std::mt19937& rng) {
    // drawn at a quarter of the resolution and scaled up: out of focus (the camera focuses on the
    // document) and cheap
    cv::Size q((size.width + 3) / 4, (size.height + 3) / 4);
    cv::Mat scene(q, CV_8UC3, to_pixel(jitter_color({120, 125, 130}, 40, rng)));
    Uniform ux(0, q.width), uy(0, q.height);
    const int objects = std::uniform_int_distribution<int>(8, 16)(rng);
    for (int i = 0; i < objects; ++i) {
        cv::Scalar color = jitter_color({128, 128, 128}, 110, rng);
        cv::Point2f at(float(ux(rng)), float(uy(rng)));
        switch (pick(rng, 4)) {
        case 0: { // a sheet of paper or a book: a large rotated rectangle, often light
            cv::Size2f extent(float(Uniform(0.15, 0.45)(rng) * q.width), float(Uniform(0.15, 0.45)(rng) * q.height));
            cv::Point2f pts[4];
            cv::RotatedRect(at, extent, float(Uniform(0, 180)(rng))).points(pts);
            std::vector<cv::Point> poly(pts, pts + 4);
            cv::Scalar paper = pick(rng, 2) ? jitter_color({235, 235, 232}, 15, rng) : color;
            cv::fillConvexPoly(scene, poly, paper, cv::LINE_AA);
            break;
        }
        case 1: { // a pen
            double angle = Uniform(0, CV_PI)(rng), length = Uniform(0.1, 0.25)(rng) * q.width;
            cv::Point2f d(float(std::cos(angle) * length / 2), float(std::sin(angle) * length / 2));
            cv::line(scene, at - d, at + d, color, std::max(2, q.width / 120), cv::LINE_AA);
            break;
        }
        case 2: { // a mug or a roll of tape seen from above
            int r = std::max(2, int(Uniform(0.04, 0.1)(rng) * q.width));
            cv::circle(scene, at, r, color, cv::FILLED, cv::LINE_AA);
            cv::circle(scene, at, r * 3 / 4, color * 0.7, std::max(1, r / 6), cv::LINE_AA);
            break;
        }
        default: { // a phone or a remote: a dark rounded block
            cv::Size2f extent(float(Uniform(0.06, 0.12)(rng) * q.width), float(Uniform(0.12, 0.22)(rng) * q.width));
            cv::ellipse(scene, cv::RotatedRect(at, extent, float(Uniform(0, 180)(rng))), jitter_color({40, 40, 40}, 20, rng),
                        cv::FILLED, cv::LINE_AA);
            break;
        }
        }
    }
    cv::Mat out;
    cv::resize(scene, out, size, 0, 0, cv::INTER_LINEAR);
    return out;
}

cv::Mat scene_background(SceneBackground kind, cv::Size size, std::mt19937& rng) {
    return kind == SceneBackground::TABLE ? table_background(size, rng) : clutter_background(size, rng);
}

void draw_document_shadow(cv::Mat& scene, const std::array<cv::Point2f, 4>& corners, float inset, std::mt19937& rng) {
    // a quarter-resolution mask, blurred, read back at full resolution only where it falls
    constexpr int kFactor = 4;
    cv::Size small((scene.cols + kFactor - 1) / kFactor, (scene.rows + kFactor - 1) / kFactor);
    cv::Mat mask(small, CV_8UC1, cv::Scalar(0));
    cv::Point2f offset(float(Uniform(-4, 10)(rng)), float(Uniform(2, 12)(rng)));
    double sigma = Uniform(3, 7)(rng), strength = Uniform(0.25, 0.45)(rng);
    std::vector<cv::Point> quad;
    for (const auto& c : corners) quad.emplace_back((c + offset) / float(kFactor));
    cv::fillConvexPoly(mask, quad, cv::Scalar(255), cv::LINE_AA);
    cv::GaussianBlur(mask, mask, cv::Size(0, 0), sigma);
    cv::Mat darkness;
    mask.convertTo(darkness, CV_32F, strength / 255);
    SmoothField field(darkness, scene.size());

    int reach = int(std::ceil(3 * sigma * kFactor)) + 2;
    cv::Rect area = cv::boundingRect(std::vector<cv::Point2f>(corners.begin(), corners.end())) +
                    cv::Point(cvRound(offset.x), cvRound(offset.y));
    area = cv::Rect(area.x - reach, area.y - reach, area.width + 2 * reach, area.height + 2 * reach) &
           cv::Rect(0, 0, scene.cols, scene.rows);
    std::vector<float> d(size_t(scene.cols));
    for (int y = area.y; y < area.br().y; ++y) {
        field.row(y, d.data());
        cv::Vec3b* p = scene.ptr<cv::Vec3b>(y);
        // the document will cover its interior: skip it, keeping `inset` pixels of edge (rounded corners)
        auto [inside_from, inside_to] = row_span(corners, float(y));
        int skip_from = -1, skip_to = -1;
        if (inside_to - inside_from > 2 * inset) {
            skip_from = int(std::ceil(inside_from + inset)), skip_to = int(std::floor(inside_to - inset));
        }
        for (int x = area.x; x < area.br().x; ++x) {
            if (x == skip_from && skip_from < skip_to) x = skip_to;
            float keep = 1.f - d[size_t(x)];
            for (int c = 0; c < 3; ++c) p[x][c] = uchar(p[x][c] * keep);
        }
    }
}

void draw_holding_hand(cv::Mat& scene, const std::array<cv::Point2f, 4>& corners, std::mt19937& rng) {
    static const cv::Scalar kSkins[] = {{170, 195, 235}, {140, 170, 215}, {110, 145, 195}, {80, 110, 160}, {55, 75, 115}};
    cv::Scalar skin = jitter_color(kSkins[pick(rng, int(std::size(kSkins)))], 8, rng);

    // the edge held: right (TR-BR) or top (TL-TR), never the MRZ's bottom or the portrait's left
    bool right = pick(rng, 2) == 0;
    cv::Point2f a = right ? corners[1] : corners[0], b = right ? corners[2] : corners[1];
    cv::Point2f center = (corners[0] + corners[1] + corners[2] + corners[3]) * 0.25f;
    cv::Point2f at = a + (b - a) * float(Uniform(0.35, 0.6)(rng));
    cv::Point2f along = (b - a) / float(cv::norm(b - a));
    cv::Point2f outward(along.y, -along.x);
    if ((at - center).dot(outward) < 0) outward = -outward;
    float side = float(std::min(cv::norm(corners[1] - corners[0]), cv::norm(corners[3] - corners[0])));
    double edge_angle = std::atan2(outward.y, outward.x) * 180 / CV_PI;

    // the palm beyond the edge (often partly out of frame), the thumb reaching from the palm's middle
    // over the document, its tip `reach` inside the edge
    float palm = side * float(Uniform(0.25, 0.35)(rng));
    float reach = side * float(Uniform(0.06, 0.12)(rng)), thumb_width = side * float(Uniform(0.1, 0.13)(rng));
    cv::Point2f palm_center = at + outward * palm * 1.2f + along * (palm * float(Uniform(-0.5, 0.5)(rng)));
    cv::Point2f tip = at - outward * reach;
    cv::Point2f thumb_axis = palm_center - tip; // from the tip to the base
    float thumb_length = float(cv::norm(thumb_axis)) + thumb_width / 2;
    thumb_axis /= float(cv::norm(thumb_axis));
    double thumb_angle = std::atan2(thumb_axis.y, thumb_axis.x) * 180 / CV_PI;
    auto palm_poly = ellipse_polygon(palm_center, {palm * 2.f, palm * 2.4f}, edge_angle);
    auto thumb_poly = ellipse_polygon(tip + thumb_axis * (thumb_length / 2 - thumb_width * 0.05f),
                                      {thumb_length, thumb_width}, thumb_angle);

    std::vector<cv::Point> all(palm_poly);
    all.insert(all.end(), thumb_poly.begin(), thumb_poly.end());
    cv::Rect roi = cv::boundingRect(all) & cv::Rect(0, 0, scene.cols, scene.rows);
    if (roi.empty()) return;
    cv::Mat mask(roi.size(), CV_8UC1, cv::Scalar(0));
    // one call per shape: fillPoly's even-odd rule would leave the overlap empty
    for (const auto* shape : {&palm_poly, &thumb_poly}) {
        std::vector<cv::Point> local;
        for (const auto& p : *shape) local.push_back(p - roi.tl());
        cv::fillConvexPoly(mask, local, cv::Scalar(255), cv::LINE_AA);
    }
    // the thumb's outline, a shade darker: where it meets the palm a crease shows
    std::vector<cv::Point> thumb_local;
    for (const auto& p : thumb_poly) thumb_local.push_back(p - roi.tl());
    cv::polylines(mask, thumb_local, true, cv::Scalar(200), std::max(1, int(thumb_width / 25)), cv::LINE_AA);

    // shading: skin darker towards the outline, a lighter nail near the thumb's tip
    cv::Mat alpha, small, inner;
    cv::GaussianBlur(mask > 0, alpha, cv::Size(0, 0), 1.2);
    // the wide blur that shades the outline, at a quarter of the resolution (it is smooth anyway)
    cv::resize(mask, small, cv::Size(), 0.25, 0.25, cv::INTER_AREA);
    cv::GaussianBlur(small, small, cv::Size(0, 0), std::max(0.5, double(thumb_width) / 20));
    cv::resize(small, inner, roi.size(), 0, 0, cv::INTER_LINEAR);
    cv::Vec3b shades[256];
    for (int i = 0; i < 256; ++i) shades[i] = to_pixel(skin * (0.7 + 0.3 * i / 255.0));
    cv::Mat hand(roi.size(), CV_8UC3);
    for (int y = 0; y < roi.height; ++y) {
        const uchar* in = inner.ptr<uchar>(y);
        cv::Vec3b* out = hand.ptr<cv::Vec3b>(y);
        for (int x = 0; x < roi.width; ++x) out[x] = shades[in[x]];
    }
    cv::Point2f nail = tip + thumb_axis * (thumb_width * 0.4f) - cv::Point2f(roi.tl());
    cv::ellipse(hand, cv::RotatedRect(nail, cv::Size2f(thumb_width * 0.6f, thumb_width * 0.62f), float(thumb_angle)),
                jitter_color(skin * 1.1 + cv::Scalar::all(12), 4, rng), cv::FILLED, cv::LINE_AA);
    cv::Mat area = scene(roi);
    for (int y = 0; y < roi.height; ++y) {
        const uchar* a8 = alpha.ptr<uchar>(y);
        const cv::Vec3b* h = hand.ptr<cv::Vec3b>(y);
        cv::Vec3b* s = area.ptr<cv::Vec3b>(y);
        for (int x = 0; x < roi.width; ++x) {
            int w = a8[x];
            if (w == 0) continue;
            for (int c = 0; c < 3; ++c) s[x][c] = uchar((h[x][c] * w + s[x][c] * (255 - w) + 127) / 255);
        }
    }
}

} // namespace facegate
