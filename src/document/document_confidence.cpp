// SPDX-License-Identifier: MIT
#include "document/document_confidence.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

namespace facegate {

namespace {

// glyph sizes on a document rectified to a 1000 px long side: 1.2 mm labels to 4 mm headings
constexpr int kGlyphMinHeight = 8, kGlyphMaxHeight = 45, kGlyphMinWidth = 2, kGlyphMaxWidth = 45;
constexpr double kGlyphMinFill = 0.15, kGlyphMaxFill = 0.9;
constexpr int kRowNeighbours = 3;
constexpr float kDocumentGlyphs = 150; // text_rows_score's full mark (the specimens carry 300 and more)
constexpr float kStrayGlyphs = 20;     // what leaves, bricks and hair give by chance

} // namespace

float document_confidence(const DocumentEvidence& e, const ConfidenceWeights& w) {
    double z = w.bias;
    if (e.outline_found) z += w.outline * e.outline_score;
    if (e.mrz_band_found) z += w.mrz_band;
    if (e.mrz_parsed) z += w.mrz_parsed + w.mrz_checks * e.mrz_checks_valid;
    if (e.mrz_conclusive) z += w.mrz_conclusive;
    if (e.portrait_found) {
        z += w.portrait * e.portrait_placement;
        z += w.printed_portrait * e.portrait_placement * e.portrait_printed;
    }
    z += w.text * e.text_rows;
    return float(100.0 / (1.0 + std::exp(-z)));
}

int count_text_row_glyphs(const cv::Mat& rectified_bgr) {
    if (rectified_bgr.empty()) return 0;
    cv::Mat gray, ink;
    cv::cvtColor(rectified_bgr, gray, cv::COLOR_BGR2GRAY);
    // dark print on a light ground, whatever the lighting across the document
    cv::adaptiveThreshold(gray, ink, 255, cv::ADAPTIVE_THRESH_MEAN_C, cv::THRESH_BINARY_INV, 31, 15);
    cv::Mat labels, stats, centroids;
    int n = cv::connectedComponentsWithStats(ink, labels, stats, centroids, 8, CV_32S);
    struct Glyph {
        int x, bottom, height;
    };
    std::vector<Glyph> glyphs;
    for (int i = 1; i < n; ++i) {
        int w = stats.at<int>(i, cv::CC_STAT_WIDTH), h = stats.at<int>(i, cv::CC_STAT_HEIGHT);
        if (h < kGlyphMinHeight || h > kGlyphMaxHeight || w < kGlyphMinWidth || w > kGlyphMaxWidth) continue;
        double fill = stats.at<int>(i, cv::CC_STAT_AREA) / double(w * h);
        if (fill < kGlyphMinFill || fill > kGlyphMaxFill) continue;
        glyphs.push_back({stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP) + h, h});
    }
    // glyphs sorted by baseline: each one's row mates are within a few pixels of it in that order
    std::sort(glyphs.begin(), glyphs.end(), [](const Glyph& a, const Glyph& b) { return a.bottom < b.bottom; });
    int in_rows = 0;
    for (size_t i = 0; i < glyphs.size(); ++i) {
        const Glyph& a = glyphs[i];
        int tolerance = std::max(3, a.height / 6);
        int neighbours = 0;
        auto visit = [&](size_t j) {
            const Glyph& b = glyphs[j];
            if (std::abs(a.height - b.height) <= a.height / 3 + 2 && std::abs(a.x - b.x) < 3 * a.height + 10) ++neighbours;
        };
        for (size_t j = i + 1; j < glyphs.size() && glyphs[j].bottom - a.bottom <= tolerance && neighbours < kRowNeighbours; ++j) visit(j);
        for (size_t j = i; j-- > 0 && a.bottom - glyphs[j].bottom <= tolerance && neighbours < kRowNeighbours;) visit(j);
        if (neighbours >= kRowNeighbours) ++in_rows;
    }
    return in_rows;
}

float text_rows_score(int glyphs) {
    return std::clamp((float(glyphs) - kStrayGlyphs) / (kDocumentGlyphs - kStrayGlyphs), 0.f, 1.f);
}

} // namespace facegate
