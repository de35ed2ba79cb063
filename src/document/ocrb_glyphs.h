// SPDX-License-Identifier: MIT
#pragma once

// an OCR-B classifier for the 37 characters of an MRZ (A-Z 0-9 <): a glyph's ink, cut to its
// bounding box and scaled to a small fixed cell, against templates rendered from Debian's
// fonts-ocr-b at several stroke weights, sizes and blurs, by normalised correlation. ink is graded
// (0 paper, 255 full ink), so a blurred glyph keeps the shape a binarised one loses; a binary mask
// works as well.

#include <opencv2/core.hpp>

#include <array>
#include <filesystem>
#include <string_view>
#include <utility>
#include <vector>

namespace facegate {

inline constexpr std::string_view kMrzAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<";

inline constexpr size_t kMrzAlphabetSize = 37;
static_assert(kMrzAlphabet.size() == kMrzAlphabetSize);

// the index of `c` in kMrzAlphabet (c must be one of its characters)
constexpr size_t mrz_alphabet_index(char c) {
    return c == '<' ? 36 : c >= 'A' && c <= 'Z' ? size_t(c - 'A') : size_t(26 + (c - '0'));
}

struct GlyphMatch {
    char ch = '<';
    float score = -1.0f;  // correlation with its best template: ~0.95 for clean print, <0.5 for junk, -1 no ink
    char runner_up = '<'; // the best other character
    float runner_up_score = -1.0f;
    // every character's score (its best template), in kMrzAlphabet's order: the ranked alternatives a
    // reader that knows which characters a position allows chooses among. -1 everywhere without ink
    std::array<float, kMrzAlphabetSize> scores{};
    // the ink's height in the cell (its pixels of at least half strength), px: the classifier scales
    // every glyph to one height, but OCR-B's digits stand taller than its capitals (0 and O differ
    // by little else), which a reader comparing glyphs of one zone can use
    float ink_height = 0;

    float score_of(char c) const { return scores[mrz_alphabet_index(c)]; }
    // the best-scoring character of `allowed` (its first without ink)
    char best_of(std::string_view allowed) const;
    // the `n` best characters, best first
    std::vector<std::pair<char, float>> ranked(size_t n) const;
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

    // the glyphs of one printed line (cut at one scale) rescored by their height: each character's
    // score loses what its height (relative_height) disagrees with the glyph's ink height, at the
    // scale the line's surely read glyphs give near it (a line in perspective shrinks along its
    // length). this tells a 0 from an O, an 8 from a B, which a shape scaled to one height cannot
    void weigh_heights(std::vector<GlyphMatch>& line) const;

    // the normalised feature of a glyph (kWidth*kHeight floats, zero mean, unit norm) and its
    // bounding-box aspect (width / height), and the box's size when `extent` is given; false when there is no ink
    static bool normalise(const cv::Mat& ink, cv::Mat& feature, float& aspect, cv::Size* extent = nullptr);

    explicit OcrbGlyphs(const std::filesystem::path& font); // renders the templates
    size_t template_count() const { return static_cast<size_t>(templates_.rows); }

    // the height of `c`'s ink as the reader measures it (at its reading height, over the variants'
    // blurs), relative to a capital H: OCR-B's digits stand 7-17% taller than H, its O 11%, its Q,
    // B and flat capitals 2-4%, its '<' 11% less
    float relative_height(char c) const { return heights_[mrz_alphabet_index(c)]; }

  private:
    void correlate(const float* feature, float* scores) const; // one score per template

    cv::Mat templates_;       // one normalised feature per row
    std::vector<char> chars_; // the character of each row
    std::vector<float> aspects_;
    std::array<float, kMrzAlphabetSize> heights_{};
};

} // namespace facegate
