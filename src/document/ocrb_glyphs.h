// SPDX-License-Identifier: MIT
#pragma once

// an OCR-B classifier for the 37 characters of an MRZ (A-Z 0-9 <): a glyph's ink, cut to its
// bounding box and scaled to a small fixed cell, against templates rendered from Debian's
// fonts-ocr-b at several stroke weights, sizes and blurs, by normalised correlation. ink is graded
// (0 paper, 255 full ink), so a blurred glyph keeps the shape a binarised one loses; a binary mask
// works as well.

#include <opencv2/core.hpp>

#include <filesystem>
#include <string_view>
#include <vector>

namespace facegate {

inline constexpr std::string_view kMrzAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<";

struct GlyphMatch {
    char ch = '<';
    float score = -1.0f;  // correlation with its best template: ~0.95 for clean print, <0.5 for junk, -1 no ink
    char runner_up = '<'; // the best other character
    float runner_up_score = -1.0f;
};

// the OCR-B font: env FACEGATE_OCRB_FONT when set, else the build's FACEGATE_OCRB_FONT (CMake cache)
std::filesystem::path ocrb_font_path();

class OcrbGlyphs {
  public:
    // the normalised cell every glyph is scaled to
    static constexpr int kWidth = 16;
    static constexpr int kHeight = 24;

    // the templates, rendered on first use (thread-safe, some tens of ms); throws
    // Error(MODEL_UNAVAILABLE) when the font is missing or unreadable
    static const OcrbGlyphs& instance();

    // `ink`: CV_8UC1 ink strength (0 paper, 255 full ink; a binary mask will do), cut to the box of
    // its pixels of at least half strength. no ink: score -1
    GlyphMatch classify(const cv::Mat& ink) const;

    // several glyphs at once
    std::vector<GlyphMatch> classify(const std::vector<cv::Mat>& inks) const;

    // the normalised feature of a glyph (kWidth*kHeight floats, zero mean, unit norm) and its
    // bounding-box aspect (width / height); false when there is no ink
    static bool normalise(const cv::Mat& ink, cv::Mat& feature, float& aspect);

    explicit OcrbGlyphs(const std::filesystem::path& font); // renders the templates
    size_t template_count() const { return static_cast<size_t>(templates_.rows); }

  private:
    void correlate(const float* feature, float* scores) const; // one score per template

    cv::Mat templates_;       // one normalised feature per row
    std::vector<char> chars_; // the character of each row
    std::vector<float> aspects_;
};

} // namespace facegate
