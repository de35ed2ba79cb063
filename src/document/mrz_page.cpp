// SPDX-License-Identifier: MIT
// ICAO 9303 page sizes and where the zone sits on them (parts 4-7): the zone centred along the page,
// its last line a few millimetres above the bottom edge
#include "document/mrz_page.h"

#include <cmath>

namespace facegate {

namespace {

constexpr float kPitchMm = 2.54f;      // one character (10 per inch)
constexpr float kGlyphWidthMm = 2.0f;  // an OCR-B glyph's ink: the zone's text ends this far past the last cell's start
constexpr float kBottomMarginMm = 5.0f; // the last line's glyph bottoms above the page's edge (ICAO's nominal, about)

struct PageSize {
    float width_mm, height_mm;
    int chars; // characters per line
};

std::optional<PageSize> page_size(MrzFormat format) {
    switch (format) {
    case MrzFormat::TD1: return PageSize{85.6f, 54.0f, 30};   // ID-1 card
    case MrzFormat::TD2: return PageSize{105.0f, 74.0f, 36};  // ID-2
    case MrzFormat::TD3: return PageSize{125.0f, 88.0f, 44};  // passport data page
    case MrzFormat::MRV_A: return PageSize{120.0f, 80.0f, 44}; // visa sticker, full page width
    case MrzFormat::MRV_B: return PageSize{105.0f, 74.0f, 36};
    }
    return std::nullopt;
}

} // namespace

std::optional<MrzPage> page_around_mrz(MrzFormat format, const std::array<cv::Point2f, 4>& zone) {
    const auto size = page_size(format);
    if (!size) return std::nullopt;
    // along the lines (from the mean of the top and bottom edges), and down across them
    const cv::Point2f along = ((zone[1] - zone[0]) + (zone[2] - zone[3])) * 0.5f;
    const float length_px = float(std::hypot(along.x, along.y));
    const float text_mm = float(size->chars - 1) * kPitchMm + kGlyphWidthMm;
    if (!(length_px > 1.0f)) return std::nullopt;
    const float px_per_mm = length_px / text_mm;
    const cv::Point2f u = along * (1.0f / length_px), down(-u.y, u.x);

    const cv::Point2f bottom_centre = (zone[2] + zone[3]) * 0.5f + down * (kBottomMarginMm * px_per_mm);
    const cv::Point2f half_width = u * (size->width_mm / 2 * px_per_mm), height = down * (size->height_mm * px_per_mm);
    MrzPage page;
    page.corners = {bottom_centre - half_width - height, bottom_centre + half_width - height, bottom_centre + half_width,
                    bottom_centre - half_width};
    page.aspect = size->width_mm / size->height_mm;
    return page;
}

} // namespace facegate
