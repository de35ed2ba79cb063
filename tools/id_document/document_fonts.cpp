// SPDX-License-Identifier: MIT
// loading the document fonts and drawing text by capital height
#include "id_document/document_fonts.h"

#include "common/error.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <string>

namespace facegate {

namespace {

constexpr int kMeasureEm = 200;

// FreeType2 takes an integer em size in pixels
int em_for(float cap_height, float cap_ratio) {
    return std::max(1, int(std::lround(cap_height / cap_ratio)));
}

// the ink box of `text` drawn at kMeasureEm with its origin at (kMeasureEm / 8, kMeasureEm)
cv::Rect ink_box(cv::freetype::FreeType2& face, const char* text) {
    cv::Mat canvas(kMeasureEm * 3 / 2, kMeasureEm * 3, CV_8UC3, cv::Scalar::all(0));
    face.putText(canvas, text, {kMeasureEm / 8, kMeasureEm}, kMeasureEm, cv::Scalar::all(255), -1, cv::LINE_8, true);
    cv::Mat gray;
    cv::cvtColor(canvas, gray, cv::COLOR_BGR2GRAY);
    return cv::boundingRect(gray > 127);
}

const char* package_of(FontKind kind) {
    return kind == FontKind::OCR_B ? "fonts-ocr-b" : "fonts-dejavu-core";
}

} // namespace

FontPaths default_font_paths() {
    return {FACEGATE_FONT_REGULAR, FACEGATE_FONT_BOLD, FACEGATE_FONT_OCRB};
}

DocumentFonts::DocumentFonts(const FontPaths& paths) {
    auto load = [](Font& font, const std::filesystem::path& path, FontKind kind) {
        std::error_code ec;
        if (!std::filesystem::is_regular_file(path, ec)) {
            throw Error(ErrorCode::INVALID_PARAMETER, "font file not found: " + path.string() + " (install Debian's " +
                                                          package_of(kind) + " or point the font option at a copy)");
        }
        font.face = cv::freetype::createFreeType2();
        try {
            font.face->loadFontData(path.string(), 0);
        } catch (const cv::Exception& e) {
            throw Error(ErrorCode::INVALID_PARAMETER, "cannot load font " + path.string() + ": " + e.err);
        }
        // document type sizes are capital heights, and fonts differ (DejaVu 0.73 em, OCR-B 0.71 em);
        // a second H starts one advance after the first
        cv::Rect h = ink_box(*font.face, "H"), hh = ink_box(*font.face, "HH");
        if (h.height >= kMeasureEm / 4) { // else a font without an H: keep typical ratios
            font.cap_ratio = float(h.height) / kMeasureEm;
            font.advance_ratio = float(hh.br().x - h.br().x) / kMeasureEm;
        }
    };
    load(regular_, paths.regular, FontKind::REGULAR);
    load(bold_, paths.bold, FontKind::BOLD);
    load(ocr_b_, paths.ocr_b, FontKind::OCR_B);
}

DocumentFonts::Font& DocumentFonts::font(FontKind kind) {
    switch (kind) {
    case FontKind::REGULAR: return regular_;
    case FontKind::BOLD: return bold_;
    case FontKind::OCR_B: return ocr_b_;
    }
    return regular_;
}

void DocumentFonts::draw(cv::Mat& bgr, FontKind kind, std::string_view text, cv::Point2f origin, float cap_height,
                         const cv::Scalar& color) {
    if (text.empty()) return;
    Font& f = font(kind);
    f.face->putText(bgr, std::string(text), cv::Point(cvRound(origin.x), cvRound(origin.y)),
                    em_for(cap_height, f.cap_ratio), color, -1, cv::LINE_AA, true);
}

float DocumentFonts::width(FontKind kind, std::string_view text, float cap_height) {
    if (text.empty()) return 0;
    Font& f = font(kind);
    int baseline = 0;
    return float(f.face->getTextSize(std::string(text), em_for(cap_height, f.cap_ratio), -1, &baseline).width);
}

void DocumentFonts::draw_monospaced(cv::Mat& bgr, FontKind kind, std::string_view text, cv::Point2f origin,
                                    float pitch, float cap_height, const cv::Scalar& color) {
    Font& f = font(kind);
    int em = em_for(cap_height, f.cap_ratio);
    // the font's cell centred in ours: a pitch a little off the font's advance moves no glyph off centre
    float inset = (pitch - f.advance_ratio * float(em)) / 2;
    char glyph[2] = {0, 0};
    for (size_t i = 0; i < text.size(); ++i) {
        glyph[0] = text[i];
        float x = origin.x + float(i) * pitch + inset;
        f.face->putText(bgr, glyph, cv::Point(cvRound(x), cvRound(origin.y)), em, color, -1, cv::LINE_AA, true);
    }
}

} // namespace facegate
