// SPDX-License-Identifier: MIT
#include "core/text_context.h"

#include "core/crop.h"

#include <opencv2/imgproc.hpp>

#include <cstdlib>
#include <vector>

namespace facegate {

namespace {
constexpr float kContextFactor = 4.f;
constexpr double kFaceHeightPx = 100.0; // the face is rescaled to this height before counting
// glyph sizes at that scale: document text is about a tenth of the portrait's height
constexpr int kGlyphMinHeight = 6, kGlyphMaxHeight = 30, kGlyphMinWidth = 2, kGlyphMaxWidth = 30;
constexpr double kGlyphMinFill = 0.15, kGlyphMaxFill = 0.9;
constexpr int kRowNeighbours = 3; // a glyph is in a row of text when this many others share its baseline
} // namespace

int count_text_glyphs_around(const cv::Mat& bgr, const cv::Rect2f& face) {
    cv::Rect context = context_rect(bgr.size(), face, kContextFactor);
    if (context.empty() || face.height < 1) return 0;
    double s = kFaceHeightPx / face.height;
    cv::Mat gray, scaled, ink;
    cv::cvtColor(bgr(context), gray, cv::COLOR_BGR2GRAY);
    cv::resize(gray, scaled, cv::Size(), s, s, s < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
    cv::adaptiveThreshold(scaled, ink, 255, cv::ADAPTIVE_THRESH_MEAN_C, cv::THRESH_BINARY_INV, 15, 15);
    cv::Mat labels, stats, centroids;
    int n = cv::connectedComponentsWithStats(ink, labels, stats, centroids, 8);
    cv::Rect face_scaled(int((face.x - context.x) * s), int((face.y - context.y) * s), int(face.width * s),
                         int(face.height * s));
    std::vector<cv::Rect> glyphs;
    for (int i = 1; i < n; ++i) {
        cv::Rect r(stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP),
                   stats.at<int>(i, cv::CC_STAT_WIDTH), stats.at<int>(i, cv::CC_STAT_HEIGHT));
        double fill = stats.at<int>(i, cv::CC_STAT_AREA) / double(r.area());
        if (r.height < kGlyphMinHeight || r.height > kGlyphMaxHeight || r.width < kGlyphMinWidth ||
            r.width > kGlyphMaxWidth || fill < kGlyphMinFill || fill > kGlyphMaxFill || (r & face_scaled).area() > 0) {
            continue;
        }
        glyphs.push_back(r);
    }
    int in_rows = 0;
    for (size_t i = 0; i < glyphs.size(); ++i) {
        const cv::Rect& a = glyphs[i];
        int neighbours = 0;
        for (size_t j = 0; j < glyphs.size() && neighbours < kRowNeighbours; ++j) {
            const cv::Rect& b = glyphs[j];
            bool same_baseline = std::abs((a.y + a.height) - (b.y + b.height)) <= 3;
            bool same_size = std::abs(a.height - b.height) <= 4;
            bool near = std::abs(a.x - b.x) < 3 * a.height + 20;
            if (i != j && same_baseline && same_size && near) ++neighbours;
        }
        if (neighbours >= kRowNeighbours) ++in_rows;
    }
    return in_rows;
}

} // namespace facegate
