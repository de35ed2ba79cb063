// SPDX-License-Identifier: MIT
// pale gradient, guilloche-like wavy lines and a rosette
#include "id_document/document_background.h"

#include <opencv2/imgproc.hpp>

#include <cmath>
#include <numbers>
#include <vector>

namespace facegate {

namespace {

using Uniform = std::uniform_real_distribution<double>;

// a pale tint: one hue from a few document-like ones, lightness near white
cv::Scalar pale_tint(std::mt19937& rng, double lightness) {
    static const cv::Scalar kHues[] = {
        {200, 225, 205}, // green
        {225, 205, 220}, // violet-pink
        {230, 215, 190}, // blue
        {195, 215, 235}, // peach
        {215, 230, 230}, // olive-grey
    };
    cv::Scalar hue = kHues[std::uniform_int_distribution<size_t>(0, std::size(kHues) - 1)(rng)];
    return hue * (1 - lightness) + cv::Scalar::all(255) * lightness;
}

// horizontal lines modulated by two sines: the "guilloche" of cheap prints
void draw_wavy_lines(cv::Mat& doc, double px_per_mm, const cv::Scalar& color, std::mt19937& rng) {
    const double spacing = 1.1 * px_per_mm;
    const double wavelength1 = Uniform(18, 30)(rng) * px_per_mm;
    const double wavelength2 = Uniform(5, 9)(rng) * px_per_mm;
    const double amplitude1 = Uniform(1.5, 3.0)(rng) * px_per_mm;
    const double amplitude2 = Uniform(0.3, 0.8)(rng) * px_per_mm;
    const double phase = Uniform(0, 2 * std::numbers::pi)(rng);
    const int step = std::max(2, int(px_per_mm / 2));
    std::vector<std::vector<cv::Point>> lines;
    for (double y0 = -amplitude1; y0 < doc.rows + amplitude1; y0 += spacing) {
        std::vector<cv::Point> line;
        line.reserve(size_t(doc.cols / step + 2));
        double drift = y0 / spacing * 0.35; // each line slightly shifted: the moiré look
        for (int x = 0; x <= doc.cols + step; x += step) {
            double y = y0 + amplitude1 * std::sin(2 * std::numbers::pi * x / wavelength1 + phase + drift) +
                       amplitude2 * std::sin(2 * std::numbers::pi * x / wavelength2 - 2 * drift);
            line.emplace_back(x, int(std::lround(y)));
        }
        lines.push_back(std::move(line));
    }
    cv::polylines(doc, lines, false, color, 1, cv::LINE_AA);
}

// a hypotrochoid: the rosette at the centre of many security prints
void draw_rosette(cv::Mat& doc, cv::Point2d center, double radius, const cv::Scalar& color, std::mt19937& rng) {
    const int petals = std::uniform_int_distribution<int>(9, 17)(rng);
    const double r = radius / petals, d = radius * Uniform(0.25, 0.45)(rng);
    const double big = radius - r;
    std::vector<cv::Point> curve;
    const int n = 60 * petals;
    for (int i = 0; i <= n; ++i) {
        double t = 2 * std::numbers::pi * i / n;
        double x = big * std::cos(t) + d * std::cos(big / r * t);
        double y = big * std::sin(t) - d * std::sin(big / r * t);
        curve.emplace_back(int(std::lround(center.x + x)), int(std::lround(center.y + y)));
    }
    cv::polylines(doc, curve, false, color, 1, cv::LINE_AA);
}

} // namespace

cv::Mat draw_security_background(const DocumentLayout& layout, double px_per_mm, std::mt19937& rng) {
    cv::Size size(int(std::lround(layout.size.width * px_per_mm)), int(std::lround(layout.size.height * px_per_mm)));
    // a bilinear gradient between four pale corner tints: a 2x2 image resized
    cv::Mat corners(2, 2, CV_8UC3);
    for (int i = 0; i < 4; ++i) {
        cv::Scalar c = pale_tint(rng, Uniform(0.35, 0.6)(rng));
        corners.at<cv::Vec3b>(i / 2, i % 2) = cv::Vec3b(cv::saturate_cast<uchar>(c[0]), cv::saturate_cast<uchar>(c[1]),
                                                        cv::saturate_cast<uchar>(c[2]));
    }
    cv::Mat doc;
    cv::resize(corners, doc, size, 0, 0, cv::INTER_LINEAR);

    cv::Scalar line_color = pale_tint(rng, 0.0) * 0.82;
    draw_wavy_lines(doc, px_per_mm, line_color, rng);
    cv::Point2d rosette_center(Uniform(0.55, 0.8)(rng) * size.width, Uniform(0.35, 0.55)(rng) * size.height);
    draw_rosette(doc, rosette_center, Uniform(0.18, 0.25)(rng) * size.height, line_color, rng);

    // the MRZ band: plain and paler, so OCR meets only the characters
    int band_top = int(std::lround(layout.mrz.band_top * px_per_mm));
    if (band_top < doc.rows) {
        cv::Mat band = doc.rowRange(band_top, doc.rows);
        cv::Scalar plain = pale_tint(rng, 0.8);
        band.convertTo(band, -1, 0.25);
        band += plain * 0.75;
    }
    return doc;
}

} // namespace facegate
