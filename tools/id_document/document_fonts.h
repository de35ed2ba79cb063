// SPDX-License-Identifier: MIT
#pragma once

// the three fonts of a document, drawn with OpenCV's FreeType module at a size given as the height of
// the capitals (how document specifications give type sizes), not FreeType's em size.
//
// not thread-safe: cv::freetype::FreeType2 keeps state between calls. one instance per thread.

#include <opencv2/core/mat.hpp>
#include <opencv2/freetype.hpp>

#include <filesystem>
#include <string_view>

namespace facegate {

struct FontPaths {
    std::filesystem::path regular; // printed fields (DejaVu Sans)
    std::filesystem::path bold;    // headers (DejaVu Sans Bold)
    std::filesystem::path ocr_b;   // the MRZ (OCR-B)
};

// the build's configured fonts (CMake cache FACEGATE_FONT_REGULAR / _BOLD / _OCRB)
FontPaths default_font_paths();

enum class FontKind { REGULAR, BOLD, OCR_B };

class DocumentFonts {
  public:
    // throws facegate::Error(INVALID_PARAMETER) naming the font file and the Debian package it comes
    // from when a file is missing or FreeType cannot load it
    explicit DocumentFonts(const FontPaths& paths = default_font_paths());

    // draws UTF-8 `text` with its baseline starting at `origin` (pixels), capitals `cap_height` px tall
    void draw(cv::Mat& bgr, FontKind font, std::string_view text, cv::Point2f origin, float cap_height,
              const cv::Scalar& color);

    // width in pixels of `text` drawn at `cap_height`
    float width(FontKind font, std::string_view text, float cap_height);

    // draws one character per `pitch` px from `origin` (the left edge of the first character's cell on
    // the baseline): the fixed pitch of an MRZ, each glyph placed in its cell as the font places it in
    // its own advance
    void draw_monospaced(cv::Mat& bgr, FontKind font, std::string_view text, cv::Point2f origin, float pitch,
                         float cap_height, const cv::Scalar& color);

  private:
    struct Font {
        cv::Ptr<cv::freetype::FreeType2> face;
        float cap_ratio = 0.72f;     // capital height / em size, measured at load
        float advance_ratio = 0.71f; // advance of a capital H / em size (a monospaced font's cell)
    };
    Font& font(FontKind kind);
    Font regular_, bold_, ocr_b_;
};

} // namespace facegate
