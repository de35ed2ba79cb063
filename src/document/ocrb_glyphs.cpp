// SPDX-License-Identifier: MIT
// OCR-B glyph templates rendered with cv::freetype, and classification by normalised correlation
#include "document/ocrb_glyphs.h"

#include "common/error.h"

#include <opencv2/freetype.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#ifndef FACEGATE_OCRB_FONT_DEFAULT
#define FACEGATE_OCRB_FONT_DEFAULT "/usr/share/fonts/opentype/ocr-b/OCRB.otf"
#endif

namespace facegate {

namespace {

constexpr int kRenderHeight = 96; // font size the glyphs are rendered at before the variants are made
constexpr int kHalfInk = 128;     // a glyph's extent: where its ink is at least half strength
// glyphs at least this wide for their height fill the cell's width; narrower ones (1, I in some
// fonts) keep their proportion, so a stroke is not stretched into a block
constexpr float kFullWidthAspect = 0.55f;
// how much an aspect far from the template's costs: separates O from 0, nothing more
constexpr float kAspectWeight = 0.1f;
// a variant this close to one already kept adds nothing
constexpr double kDuplicateCorrelation = 0.985;
// weigh_heights: glyphs read this surely give a line its scale, from this many of them, the nearest
// this many; a glyph's height off by a factor f costs kHeightWeight x |ln f| (a 0 read at an O's
// height, 5.5% lower, loses about 0.055: what separates them in shape is less)
constexpr float kSureScore = 0.85f, kSureLead = 0.05f;
constexpr size_t kMinSureGlyphs = 5, kScaleNeighbours = 9;
constexpr float kHeightWeight = 1.0f;
constexpr float kMaxHeightOff = 0.18f; // |ln f|: an ink height 20% off its first choice's is no measurement
constexpr int kMeasuredAt = 32; // px: the glyph height mrz_reader straightens a zone to for reading

// the glyph of `c` as ink (white on black), rendered large
cv::Mat render(cv::freetype::FreeType2& font, char c) {
    cv::Mat canvas(kRenderHeight * 3 / 2, kRenderHeight * 3 / 2, CV_8UC3, cv::Scalar::all(255));
    font.putText(canvas, std::string(1, c), {kRenderHeight / 4, kRenderHeight * 5 / 4}, kRenderHeight,
                 cv::Scalar::all(0), -1, cv::LINE_AA, true);
    cv::Mat gray;
    cv::cvtColor(canvas, gray, cv::COLOR_BGR2GRAY);
    return 255 - gray;
}

constexpr double kBlurs[] = {0.0, 0.05, 0.09, 0.13}; // Gaussian sigma as a share of the glyph's height
constexpr double kSlant = 0.2; // the slanted variants' shear (top's shift / height)

// `large` made `height` px tall (a capital's height) and blurred by `blur`, ink scaled to 255 at its
// strongest, as the reader scales a glyph's cell
cv::Mat small_variant(const cv::Mat& large, int height, double blur) {
    const double scale = height / (0.7 * kRenderHeight); // a capital is about 0.7 of the font size
    cv::Mat small;
    cv::resize(large, small, {}, scale, scale, cv::INTER_AREA);
    cv::Mat b = small;
    if (blur > 0) cv::GaussianBlur(small, b, {0, 0}, blur * height);
    cv::Mat soft;
    cv::normalize(b, soft, 0, 255, cv::NORM_MINMAX);
    return soft;
}

// `glyph` slanted: its top moved right by `shear` x its height, about its middle
cv::Mat slanted(const cv::Mat& glyph, double shear) {
    const cv::Matx23d m(1, shear, -shear * glyph.rows / 2.0, 0, 1, 0);
    cv::Mat out;
    cv::warpAffine(glyph, out, m, glyph.size());
    return out;
}

// the variants the reader meets: stroke weight (ink spread or thinned print), size (a glyph of 14 px
// loses detail that one of 26 keeps), blur, and slant (a page read without its outline, an open
// booklet's, keeps the perspective's shear: its glyphs lean by up to a fifth of their height)
std::vector<cv::Mat> variants(const cv::Mat& large) {
    std::vector<cv::Mat> out;
    for (int weight : {-2, 0, 2, 4}) {
        cv::Mat weighted = large;
        if (weight != 0) {
            const int size = 2 * std::abs(weight) + 1;
            cv::Mat kernel = cv::getStructuringElement(cv::MORPH_ELLIPSE, {size, size});
            if (weight < 0) cv::erode(large, weighted, kernel);
            else cv::dilate(large, weighted, kernel);
        }
        for (int height : {14, 26})
            for (double blur : kBlurs) out.push_back(small_variant(weighted, height, blur));
        if (weight != 0 && weight != 2) continue; // the commonest weights only: each variant costs every read
        for (double shear : {-kSlant, kSlant})
            for (double blur : {kBlurs[0], kBlurs[1]}) out.push_back(small_variant(slanted(weighted, shear), 26, blur));
    }
    return out;
}

// the height of a glyph's ink (at least half strength) as the reader measures it: at the height it
// reads glyphs at, over the blurs the variants cover. blur moves a round glyph's overshoot and a flat
// one's edges differently (an O measures 10% over an H there, 1.5% when rendered large and sharp)
float measured_height(const cv::Mat& large) {
    float sum = 0;
    for (double blur : kBlurs) sum += float(cv::boundingRect(small_variant(large, kMeasuredAt, blur) >= kHalfInk).height);
    return sum / float(std::size(kBlurs));
}

// each character's best template score for a glyph of `aspect`
void scores_of(const float* row, const std::vector<char>& chars, const std::vector<float>& aspects, float aspect,
               std::array<float, kMrzAlphabetSize>& out) {
    out.fill(-2.0f);
    const float log_aspect = std::log(aspect);
    for (size_t k = 0; k < chars.size(); ++k) {
        float s = row[k] - kAspectWeight * std::abs(log_aspect - std::log(aspects[k]));
        float& best = out[mrz_alphabet_index(chars[k])];
        best = std::max(best, s);
    }
}

} // namespace

std::filesystem::path ocrb_font_path() {
    const char* env = std::getenv("FACEGATE_OCRB_FONT");
    if (env && *env) return env;
    return FACEGATE_OCRB_FONT_DEFAULT;
}

bool OcrbGlyphs::normalise(const cv::Mat& ink, cv::Mat& feature, float& aspect, cv::Size* extent) {
    if (ink.empty() || ink.type() != CV_8UC1) return false;
    cv::Rect box = cv::boundingRect(ink >= kHalfInk);
    if (box.area() == 0) return false;
    if (extent) *extent = box.size();
    aspect = float(box.width) / float(box.height);
    int width = std::clamp(int(std::lround(kWidth * std::min(1.0f, aspect / kFullWidthAspect))), 1, kWidth);
    cv::Mat scaled;
    cv::resize(ink(box), scaled, {width, kHeight}, 0, 0, cv::INTER_AREA);
    cv::Mat cell = cv::Mat::zeros(kHeight, kWidth, CV_32F);
    scaled.convertTo(cell(cv::Rect((kWidth - width) / 2, 0, width, kHeight)), CV_32F, 1.0 / 255);
    cell -= cv::mean(cell)[0];
    double norm = cv::norm(cell);
    if (norm < 1e-3) return false; // a solid block: no shape to compare
    feature = cell.reshape(1, 1) / norm;
    return true;
}

OcrbGlyphs::OcrbGlyphs(const std::filesystem::path& font_path) {
    const std::string hint = "install the Debian package fonts-ocr-b or point FACEGATE_OCRB_FONT at OCRB.otf";
    std::error_code ec;
    if (!std::filesystem::is_regular_file(font_path, ec)) {
        throw Error(ErrorCode::MODEL_UNAVAILABLE,
                    "the OCR-B font for reading MRZs is missing (" + font_path.string() + "): " + hint);
    }
    cv::Ptr<cv::freetype::FreeType2> font;
    try {
        font = cv::freetype::createFreeType2();
        font->loadFontData(font_path.string(), 0);
    } catch (const cv::Exception&) {
        throw Error(ErrorCode::MODEL_UNAVAILABLE, "the OCR-B font " + font_path.string() + " cannot be read: " + hint);
    }
    std::vector<cv::Mat> rows;
    const float capital = std::max(measured_height(render(*font, 'H')), 1.0f);
    for (char c : kMrzAlphabet) {
        const cv::Mat large = render(*font, c);
        heights_[mrz_alphabet_index(c)] = measured_height(large) / capital;
        std::vector<cv::Mat> kept;
        for (const cv::Mat& v : variants(large)) {
            cv::Mat feature;
            float aspect = 0;
            if (!normalise(v, feature, aspect)) continue;
            bool duplicate = std::any_of(kept.begin(), kept.end(),
                                         [&](const cv::Mat& k) { return feature.dot(k) > kDuplicateCorrelation; });
            if (duplicate) continue;
            kept.push_back(feature);
            chars_.push_back(c);
            aspects_.push_back(aspect);
        }
        if (kept.empty()) {
            throw Error(ErrorCode::MODEL_UNAVAILABLE,
                        "the OCR-B font " + font_path.string() + " has no glyph for " + std::string(1, c));
        }
        rows.insert(rows.end(), kept.begin(), kept.end());
    }
    cv::vconcat(rows, templates_);
}

const OcrbGlyphs& OcrbGlyphs::instance() {
    // a throwing initialiser leaves it uninitialised: the next call tries (and reports) again
    static const OcrbGlyphs glyphs(ocrb_font_path());
    return glyphs;
}

void OcrbGlyphs::correlate(const float* feature, float* scores) const {
    // eight running sums: the compiler vectorises this, and it is several times faster than cv::gemm
    // at these sizes
    constexpr int kSize = kWidth * kHeight;
    static_assert(kSize % 8 == 0);
    for (int k = 0; k < templates_.rows; ++k) {
        const float* t = templates_.ptr<float>(k);
        float s[8] = {};
        for (int d = 0; d < kSize; d += 8) {
            for (int j = 0; j < 8; ++j) s[j] += feature[d + j] * t[d + j];
        }
        scores[k] = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    }
}

GlyphMatch OcrbGlyphs::classify(const cv::Mat& ink) const { return classify(std::vector<cv::Mat>{ink})[0]; }

std::vector<GlyphMatch> OcrbGlyphs::classify(const std::vector<cv::Mat>& inks) const {
    std::vector<GlyphMatch> out(inks.size());
    for (auto& m : out) m.scores.fill(-1.0f);
    if (inks.empty()) return out;
    cv::Mat features(int(inks.size()), kWidth * kHeight, CV_32F, cv::Scalar(0));
    std::vector<float> aspects(inks.size(), 1.0f);
    std::vector<bool> has_ink(inks.size(), false);
    for (size_t i = 0; i < inks.size(); ++i) {
        cv::Mat feature;
        cv::Size extent;
        if (!normalise(inks[i], feature, aspects[i], &extent)) continue;
        out[i].ink_height = float(extent.height);
        feature.copyTo(features.row(int(i)));
        has_ink[i] = true;
    }
    cv::Mat scores(int(inks.size()), templates_.rows, CV_32F, cv::Scalar(0)); // glyphs x templates
    for (size_t i = 0; i < inks.size(); ++i) {
        if (has_ink[i]) correlate(features.ptr<float>(int(i)), scores.ptr<float>(int(i)));
    }
    for (size_t i = 0; i < inks.size(); ++i) {
        if (!has_ink[i]) continue;
        const float* row = scores.ptr<float>(int(i));
        GlyphMatch& m = out[i];
        scores_of(row, chars_, aspects_, aspects[i], m.scores);
        auto top = m.ranked(2);
        m.ch = top[0].first;
        m.score = top[0].second;
        m.runner_up = top[1].first;
        m.runner_up_score = top[1].second;
    }
    return out;
}

void OcrbGlyphs::weigh_heights(std::vector<GlyphMatch>& line) const {
    // the line's scale (ink px per font height) where a glyph is read surely: a clear first choice
    struct Sure {
        size_t at;
        float scale;
    };
    std::vector<Sure> sure;
    for (size_t i = 0; i < line.size(); ++i) {
        const GlyphMatch& g = line[i];
        if (g.score < kSureScore || g.score - g.runner_up_score < kSureLead || g.ink_height <= 0) continue;
        sure.push_back({i, g.ink_height / relative_height(g.ch)});
    }
    if (sure.size() < kMinSureGlyphs) return;
    std::vector<float> near;
    for (size_t i = 0; i < line.size(); ++i) {
        GlyphMatch& g = line[i];
        if (g.score <= -1 || g.ink_height <= 0) continue;
        // the median scale of the sure glyphs nearest this one
        std::vector<Sure> by_distance = sure;
        const size_t n = std::min(by_distance.size(), kScaleNeighbours);
        std::partial_sort(by_distance.begin(), by_distance.begin() + long(n), by_distance.end(), [&](const Sure& a, const Sure& b) {
            return std::abs(long(a.at) - long(i)) < std::abs(long(b.at) - long(i));
        });
        near.clear();
        for (size_t k = 0; k < n; ++k) near.push_back(by_distance[k].scale);
        std::nth_element(near.begin(), near.begin() + long(near.size() / 2), near.end());
        const float scale = near[near.size() / 2];
        std::array<float, kMrzAlphabetSize> off{};
        for (size_t k = 0; k < kMrzAlphabetSize; ++k) off[k] = std::abs(std::log(g.ink_height / (scale * heights_[k])));
        // far from the height of what its shape reads as: the height was not measured (a reflection
        // faded part of the glyph below half strength, a smudge joined it), and says nothing
        if (off[mrz_alphabet_index(g.ch)] > kMaxHeightOff) continue;
        for (size_t k = 0; k < kMrzAlphabetSize; ++k) g.scores[k] -= kHeightWeight * off[k];
        auto top = g.ranked(2);
        g.ch = top[0].first;
        g.score = top[0].second;
        g.runner_up = top[1].first;
        g.runner_up_score = top[1].second;
    }
}

char GlyphMatch::best_of(std::string_view allowed) const {
    char best = 0;
    float best_score = -3.0f;
    for (char c : allowed) {
        if (score_of(c) > best_score) {
            best_score = score_of(c);
            best = c;
        }
    }
    return best;
}

std::vector<std::pair<char, float>> GlyphMatch::ranked(size_t n) const {
    std::vector<std::pair<char, float>> all;
    for (size_t k = 0; k < kMrzAlphabetSize; ++k) all.push_back({kMrzAlphabet[k], scores[k]});
    n = std::min(n, all.size());
    std::partial_sort(all.begin(), all.begin() + long(n), all.end(),
                      [](const auto& a, const auto& b) { return a.second > b.second; });
    all.resize(n);
    return all;
}

} // namespace facegate
