// SPDX-License-Identifier: MIT
// locating the MRZ as a group of long parallel text lines, straightening it, cutting its lines into
// fixed-pitch cells, classifying each as OCR-B and parsing the result
#include "document/mrz_reader.h"

#include "document/ocrb_glyphs.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <opencv2/imgcodecs.hpp> // TEMPDEBUG

#include <ctime>
#include <cstdio>
namespace facegate {
double g_prof[8];
static double pnow(){timespec t; clock_gettime(CLOCK_THREAD_CPUTIME_ID,&t); return t.tv_sec*1e3+t.tv_nsec/1e6;}
namespace {

constexpr int kWorkSize = 1000;        // the longest side the zone is searched at
constexpr float kReadHeight = 32.0f;   // glyph height (px) a zone is straightened to for reading
constexpr size_t kMaxCandidates = 4;   // zones read before giving up on the rest
constexpr float kRunnerUpMargin = 0.08f; // a second choice this close to the first may be tried
constexpr double kWeakInk = 0.6;       // ink as weak as this share of the Otsu level joins stronger ink
constexpr float kMinGridFit = 0.75f;    // share of glyphs on the fixed-pitch grid (see grid_fit)
constexpr float kPi = 3.14159265f;

// ---- finding the zone -------------------------------------------------------------------------

// a text line found at the working scale: its long side, along the line, and its angle in degrees
struct LineBlob {
    cv::Point2f center;
    float length = 0, thickness = 0, angle = 0;
    std::array<cv::Point2f, 4> corners;
};

struct Candidate {
    cv::Point2f center; // working-scale pixels
    float length = 0, thickness = 0, angle = 0;
    int lines = 0;         // how many line blobs it was grouped from (1: maybe lines merged)
    float line_height = 0; // working-scale pixels
    float priority = 0;
};

cv::Mat to_gray(const cv::Mat& in) {
    cv::Mat eight = in;
    if (in.depth() == CV_16U) in.convertTo(eight, CV_8U, 1.0 / 256);
    else if (in.depth() != CV_8U) in.convertTo(eight, CV_8U);
    cv::Mat gray;
    switch (eight.channels()) {
    case 1: gray = eight; break;
    case 3: cv::cvtColor(eight, gray, cv::COLOR_BGR2GRAY); break;
    case 4: cv::cvtColor(eight, gray, cv::COLOR_BGRA2GRAY); break;
    default: break;
    }
    return gray;
}

// `gray` at `scale` (<= 1): INTER_AREA is fast only for whole factors, so a whole factor first, then
// bilinear for the rest (under 2x, which does not alias)
cv::Mat shrink(const cv::Mat& gray, float scale) {
    if (scale >= 1.0f) return gray;
    cv::Mat out = gray;
    const int whole = int(1.0f / scale);
    if (whole >= 2) cv::resize(gray, out, {gray.cols / whole, gray.rows / whole}, 0, 0, cv::INTER_AREA);
    const cv::Size size(std::max(1, int(float(gray.cols) * scale)), std::max(1, int(float(gray.rows) * scale)));
    if (out.size() != size) cv::resize(out, out, size, 0, 0, cv::INTER_LINEAR);
    return out;
}

std::optional<LineBlob> make_blob(const cv::RotatedRect& r) {
    float w = r.size.width, h = r.size.height, a = r.angle;
    if (w < h) {
        std::swap(w, h);
        a += 90;
    }
    while (a > 90) a -= 180;
    while (a <= -90) a += 180;
    if (std::abs(a) > 30) return std::nullopt; // upright or upside down documents only
    LineBlob b{r.center, w, h, a, {}};
    r.points(b.corners.data());
    return b;
}

// pieces of one line that the closing left apart (glyphs that do not overlap vertically once the line
// is turned, such as L then T) joined: parallel, on one axis, a short gap between them
void merge_collinear(std::vector<LineBlob>& blobs) {
    for (bool merged = true; merged;) {
        merged = false;
        for (size_t i = 0; i < blobs.size() && !merged; ++i) {
            for (size_t j = i + 1; j < blobs.size() && !merged; ++j) {
                const LineBlob& a = blobs[i];
                const LineBlob& b = blobs[j];
                if (std::abs(a.angle - b.angle) > 4) continue;
                if (std::min(a.thickness, b.thickness) < 0.6f * std::max(a.thickness, b.thickness)) continue;
                const float angle = (a.length * a.angle + b.length * b.angle) / (a.length + b.length) * kPi / 180;
                const cv::Point2f u(std::cos(angle), std::sin(angle)), n(-u.y, u.x), d = b.center - a.center;
                const float t = std::max(a.thickness, b.thickness);
                const float gap = std::abs(d.dot(u)) - (a.length + b.length) / 2;
                if (std::abs(d.dot(n)) > 0.4f * t || gap > 1.5f * t) continue;
                std::vector<cv::Point2f> points(a.corners.begin(), a.corners.end());
                points.insert(points.end(), b.corners.begin(), b.corners.end());
                auto joined = make_blob(cv::minAreaRect(points));
                if (!joined) continue;
                blobs[i] = *joined;
                blobs.erase(blobs.begin() + long(j));
                merged = true;
            }
        }
    }
}

// dark text on a light ground, as long horizontal blobs: black-hat (dark detail smaller than the
// kernel) -> horizontal gradient (text texture, not rules or edges) -> closing along the line
std::vector<LineBlob> find_line_blobs(const cv::Mat& gray) {
    cv::Mat blackhat, gradient, closed, binary;
    cv::morphologyEx(gray, blackhat, cv::MORPH_BLACKHAT, cv::getStructuringElement(cv::MORPH_RECT, {13, 7}));
    cv::Sobel(blackhat, gradient, CV_32F, 1, 0, 3);
    gradient = cv::abs(gradient);
    double max_value = 0;
    cv::minMaxLoc(gradient, nullptr, &max_value);
    if (max_value < 1) return {};
    gradient.convertTo(gradient, CV_8U, 255.0 / max_value);
    cv::morphologyEx(gradient, closed, cv::MORPH_CLOSE, cv::getStructuringElement(cv::MORPH_RECT, {21, 3}));
    cv::threshold(closed, binary, 0, 255, cv::THRESH_BINARY | cv::THRESH_OTSU);
    cv::morphologyEx(binary, binary, cv::MORPH_OPEN, cv::getStructuringElement(cv::MORPH_RECT, {5, 3}));
    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(binary, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
    std::vector<LineBlob> blobs;
    for (const auto& c : contours) {
        if (c.size() < 4) continue;
        auto blob = make_blob(cv::minAreaRect(c));
        if (blob && blob->thickness >= 3 && blob->length >= 2 * blob->thickness && blob->length >= 0.02f * float(gray.cols))
            blobs.push_back(*blob);
    }
    // the longest pieces: noise makes thousands of blobs, and merging is quadratic
    constexpr size_t kMaxBlobs = 150;
    if (blobs.size() > kMaxBlobs) {
        std::nth_element(blobs.begin(), blobs.begin() + kMaxBlobs, blobs.end(),
                         [](const LineBlob& a, const LineBlob& b) { return a.length > b.length; });
        blobs.resize(kMaxBlobs);
    }
    merge_collinear(blobs);
    const float min_length = 0.1f * float(std::max(gray.cols, gray.rows));
    std::erase_if(blobs, [&](const LineBlob& b) { return b.length < min_length || b.length < 6 * b.thickness; });
    return blobs;
}

Candidate candidate_of(const std::vector<const LineBlob*>& group) {
    std::vector<cv::Point2f> points;
    float thickness = 0, angle = 0;
    for (const auto* b : group) {
        points.insert(points.end(), b->corners.begin(), b->corners.end());
        thickness += b->thickness;
        angle += b->angle;
    }
    thickness /= float(group.size());
    angle /= float(group.size());
    // the group's extent measured along its mean angle (minAreaRect could pick another side)
    const cv::Point2f u(std::cos(angle * kPi / 180), std::sin(angle * kPi / 180)), n(-u.y, u.x);
    float lo_u = 1e9f, hi_u = -1e9f, lo_n = 1e9f, hi_n = -1e9f;
    for (const auto& p : points) {
        lo_u = std::min(lo_u, p.dot(u));
        hi_u = std::max(hi_u, p.dot(u));
        lo_n = std::min(lo_n, p.dot(n));
        hi_n = std::max(hi_n, p.dot(n));
    }
    Candidate c;
    c.center = u * ((lo_u + hi_u) / 2) + n * ((lo_n + hi_n) / 2);
    c.length = hi_u - lo_u;
    c.thickness = hi_n - lo_n;
    c.angle = angle;
    c.lines = int(group.size());
    c.line_height = thickness;
    return c;
}

// lines of an MRZ: parallel, about as long as each other, starting at the same place, and one to
// `max_apart` line heights apart
bool compatible(const LineBlob& a, const LineBlob& b, float max_apart = 3.5f) {
    if (std::abs(a.angle - b.angle) > 3) return false;
    if (std::min(a.length, b.length) < 0.8f * std::max(a.length, b.length)) return false;
    if (std::min(a.thickness, b.thickness) < 0.6f * std::max(a.thickness, b.thickness)) return false;
    const float angle = (a.angle + b.angle) / 2 * kPi / 180;
    const cv::Point2f u(std::cos(angle), std::sin(angle)), n(-u.y, u.x), d = b.center - a.center;
    const float t = (a.thickness + b.thickness) / 2;
    const float across = std::abs(d.dot(n)), along = std::abs(d.dot(u));
    return across > 1.1f * t && across < max_apart * t && along < 0.15f * std::max(a.length, b.length);
}

std::vector<Candidate> find_candidates(const cv::Mat& work) {
    std::vector<LineBlob> blobs = find_line_blobs(work);
    // top to bottom, so that the middle line of three is the middle one
    std::sort(blobs.begin(), blobs.end(), [](const LineBlob& a, const LineBlob& b) { return a.center.y < b.center.y; });
    std::vector<Candidate> out;
    const size_t n = std::min<size_t>(blobs.size(), 60);
    for (size_t i = 0; i < n; ++i) {
        for (size_t j = i + 1; j < n; ++j) {
            if (!compatible(blobs[i], blobs[j])) continue;
            out.push_back(candidate_of({&blobs[i], &blobs[j]}));
            for (size_t k = j + 1; k < n; ++k) {
                if (compatible(blobs[j], blobs[k]) && compatible(blobs[i], blobs[k], 7.0f))
                    out.push_back(candidate_of({&blobs[i], &blobs[j], &blobs[k]}));
            }
        }
    }
    // two lines close enough to merge into one blob: a blob thick for its length
    for (const auto& b : blobs) {
        if (b.length < 20 * b.thickness) out.push_back(candidate_of({&b}));
    }
    // the zone is long, at the bottom of a page, and a group beats a lone blob
    for (auto& c : out) {
        c.priority = c.length / float(std::max(work.cols, work.rows)) + 0.3f * c.center.y / float(work.rows) +
                     (c.lines >= 2 ? 1.0f : 0.0f) + (c.lines == 3 ? 0.1f : 0.0f);
    }
    std::sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) { return a.priority > b.priority; });
    return out;
}

// ---- straightening and cutting ----------------------------------------------------------------

struct Band {
    cv::Mat gray;        // straightened, glyphs about kReadHeight tall
    cv::Mat ink;         // binarised, ink 255
    cv::Mat soft;        // ink strength, 0 paper (what the glyphs are read from)
    cv::Mat to_input;    // 2x3: band pixel -> input pixel
    float scale = 1;     // band pixels per input pixel
};

// ink above `high`, grown through ink above `low`: the faint diagonal strokes of a blurred M or W stay
// joined to their stems instead of falling apart into pieces too small to be glyphs
cv::Mat hysteresis(const cv::Mat& strength, double high, double low) {
    cv::Mat weak = strength > low, labels;
    const int count = cv::connectedComponents(weak, labels, 8, CV_32S);
    std::vector<uchar> keep(size_t(count), 0);
    for (int y = 0; y < strength.rows; ++y) {
        const uchar* s = strength.ptr<uchar>(y);
        const int* l = labels.ptr<int>(y);
        for (int x = 0; x < strength.cols; ++x) {
            if (s[x] > high) keep[size_t(l[x])] = 255;
        }
    }
    keep[0] = 0;
    cv::Mat out(strength.size(), CV_8U);
    for (int y = 0; y < strength.rows; ++y) {
        const int* l = labels.ptr<int>(y);
        uchar* o = out.ptr<uchar>(y);
        for (int x = 0; x < strength.cols; ++x) o[x] = keep[size_t(l[x])];
    }
    return out;
}

// the zone of `c` (input pixels, angle in degrees) straightened at `scale`, with margins
Band straighten(const cv::Mat& gray, cv::Point2f center, float length, float thickness, float angle, float char_height) {
    Band band;
    band.scale = std::clamp(kReadHeight / std::max(char_height, 1.0f), 0.2f, 5.0f);
    const float along = length + 2.0f * char_height, across = thickness + 1.5f * char_height;
    cv::Size size(std::max(8, int(along * band.scale)), std::max(8, int(across * band.scale)));
    const float a = angle * kPi / 180, k = 1.0f / band.scale;
    const float ca = std::cos(a) * k, sa = std::sin(a) * k;
    const cv::Point2f o(float(size.width) / 2, float(size.height) / 2);
    // band (x, y) -> input: center + R(angle) * ((x, y) - o) / scale
    band.to_input = (cv::Mat_<double>(2, 3) << ca, -sa, center.x - (ca * o.x - sa * o.y), sa, ca,
                     center.y - (sa * o.x + ca * o.y));

    // work on the input's region only (a huge photo is not copied), smoothed when shrinking
    std::vector<cv::Point2f> corners = {{0, 0}, {float(size.width), 0}, {0, float(size.height)}, {float(size.width), float(size.height)}};
    cv::transform(corners, corners, band.to_input);
    cv::Rect region = cv::boundingRect(corners) & cv::Rect(0, 0, gray.cols, gray.rows);
    if (region.area() == 0) return band;
    cv::Mat source = gray(region);
    if (band.scale < 0.7f) cv::GaussianBlur(source, source, {0, 0}, 0.4 / band.scale);
    cv::Mat m = band.to_input.clone();
    m.at<double>(0, 2) -= region.x;
    m.at<double>(1, 2) -= region.y;
    cv::warpAffine(source, band.gray, m, size, cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_REPLICATE);

    cv::Mat smooth, blackhat;
    cv::GaussianBlur(band.gray, smooth, {0, 0}, 0.8);
    cv::morphologyEx(smooth, blackhat, cv::MORPH_BLACKHAT, cv::getStructuringElement(cv::MORPH_RECT, {15, 15}));
    cv::Mat strong;
    double t = cv::threshold(blackhat, strong, 0, 255, cv::THRESH_BINARY | cv::THRESH_OTSU);
    t = std::max(t, 12.0); // no contrast: no ink
    band.ink = hysteresis(blackhat, t, t * kWeakInk);
    band.soft = blackhat;
    return band;
}

struct Component {
    cv::Rect box;
    int label = 0;
    float cx() const { return float(box.x) + float(box.width) / 2; }
};

struct Line {
    int top = 0, bottom = 0;   // rows of the band
    cv::Mat labels;            // components of the strip [top - pad, bottom + pad]
    cv::Mat soft;              // the band's ink strength over the same strip
    int strip_top = 0;
    std::vector<Component> glyphs; // the line's components, left to right
    float height = 0;          // median glyph height
    float first_center = 0, last_center = 0;
    float spacing = 0;         // median distance of neighbouring single glyphs (0: unknown)
    float coverage = 0;        // share of the line's extent covered by glyph ink columns
};

// rows of ink: the band's text lines, as [top, bottom] runs of the row projection
std::vector<std::pair<int, int>> find_rows(const cv::Mat& ink) {
    cv::Mat projection;
    cv::reduce(ink, projection, 1, cv::REDUCE_SUM, CV_32F);
    std::vector<float> p(projection.begin<float>(), projection.end<float>());
    std::vector<float> sorted = p;
    std::sort(sorted.begin(), sorted.end());
    const float high = sorted[size_t(0.95 * double(sorted.size() - 1))];
    if (high <= 0) return {};
    std::vector<std::pair<int, int>> runs;
    const float threshold = 0.2f * high;
    for (int y = 0; y < int(p.size());) {
        if (p[size_t(y)] <= threshold) {
            ++y;
            continue;
        }
        int start = y;
        while (y < int(p.size()) && p[size_t(y)] > threshold) ++y;
        if (!runs.empty() && start - runs.back().second <= 3) runs.back().second = y - 1;
        else runs.push_back({start, y - 1});
    }
    std::vector<std::pair<int, int>> lines;
    for (auto r : runs) {
        if (r.second - r.first + 1 >= int(0.4f * kReadHeight)) lines.push_back(r);
    }
    return lines;
}

// the glyphs of the line in rows [top, bottom]
std::optional<Line> cut_line(const Band& band, int top, int bottom) {
    const cv::Mat& ink = band.ink;
    Line line;
    line.top = top;
    line.bottom = bottom;
    const int h = bottom - top + 1;
    const int pad = std::max(2, h / 6);
    line.strip_top = std::max(0, top - pad);
    const int strip_bottom = std::min(ink.rows - 1, bottom + pad);
    cv::Mat stats, centroids;
    int count = cv::connectedComponentsWithStats(ink.rowRange(line.strip_top, strip_bottom + 1), line.labels, stats,
                                                 centroids, 8, CV_32S);
    line.soft = band.soft.rowRange(line.strip_top, strip_bottom + 1);
    std::vector<Component> comps;
    for (int i = 1; i < count; ++i) {
        cv::Rect box(stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP),
                     stats.at<int>(i, cv::CC_STAT_WIDTH), stats.at<int>(i, cv::CC_STAT_HEIGHT));
        const float cy = float(line.strip_top + box.y) + float(box.height) / 2;
        if (box.height < 0.4f * float(h) || box.height > 1.6f * float(h)) continue; // specks, rules, edges
        if (cy < float(top) || cy > float(bottom)) continue;                       // the next line's glyphs
        if (stats.at<int>(i, cv::CC_STAT_AREA) < 0.01f * float(h * h)) continue;
        comps.push_back({box, i});
    }
    if (comps.size() < 5) return std::nullopt;
    std::sort(comps.begin(), comps.end(), [](const Component& a, const Component& b) { return a.box.x < b.box.x; });

    std::vector<float> heights;
    for (const auto& c : comps) heights.push_back(float(c.box.height));
    std::nth_element(heights.begin(), heights.begin() + long(heights.size() / 2), heights.end());
    line.height = heights[heights.size() / 2];

    // the longest chain without a gap an MRZ cannot have (it is filled with '<' to its end)
    size_t best_start = 0, best_end = 0, start = 0;
    for (size_t i = 1; i <= comps.size(); ++i) {
        bool breaks = i == comps.size() || float(comps[i].box.x - comps[i - 1].box.br().x) > 1.5f * line.height;
        if (!breaks) continue;
        if (i - start > best_end - best_start) {
            best_start = start;
            best_end = i;
        }
        start = i;
    }
    line.glyphs.assign(comps.begin() + long(best_start), comps.begin() + long(best_end));
    if (line.glyphs.size() < 5) return std::nullopt;

    // single glyphs: no wider than a glyph can be; their widths and spacing pin the pitch's ends
    std::vector<float> widths, spacings;
    const float single = 0.95f * line.height;
    for (size_t i = 0; i < line.glyphs.size(); ++i) {
        const auto& g = line.glyphs[i];
        if (float(g.box.width) <= single) widths.push_back(float(g.box.width));
        if (i > 0 && float(g.box.width) <= single && float(line.glyphs[i - 1].box.width) <= single)
            spacings.push_back(g.cx() - line.glyphs[i - 1].cx());
    }
    float width = 0.6f * line.height;
    if (!widths.empty()) {
        std::nth_element(widths.begin(), widths.begin() + long(widths.size() / 2), widths.end());
        width = widths[widths.size() / 2];
    }
    if (!spacings.empty()) {
        std::nth_element(spacings.begin(), spacings.begin() + long(spacings.size() / 2), spacings.end());
        line.spacing = spacings[spacings.size() / 2];
    }
    const auto& first = line.glyphs.front();
    const auto& last = line.glyphs.back();
    line.first_center = float(first.box.width) <= single ? first.cx() : float(first.box.x) + width / 2;
    line.last_center = float(last.box.width) <= single ? last.cx() : float(last.box.br().x) - width / 2;
    float covered = 0;
    for (const auto& g : line.glyphs) covered += float(g.box.width);
    line.coverage = covered / std::max(1.0f, float(last.box.br().x - first.box.x));
    return line;
}

// the ink of cell `i` of a line cut into `n` cells: whole components centred in the cell, and the
// cell's share of components wider than a glyph (touching glyphs, runs of '<'); graded ink, taken
// within a pixel of those components' binarised pixels (their blurred rims, not their neighbours),
// scaled to 255 at its strongest
cv::Mat cell_ink(const Line& line, int i, int n) {
    const float pitch = (line.last_center - line.first_center) / float(n - 1);
    const float center = line.first_center + float(i) * pitch;
    const float lo = center - pitch / 2, hi = center + pitch / 2;
    const int x0 = std::max(0, int(std::floor(lo - 0.4f * pitch)));
    const int x1 = std::min(line.labels.cols, int(std::ceil(hi + 0.4f * pitch)));
    if (x1 <= x0) return {};
    cv::Mat selected = cv::Mat::zeros(line.labels.rows, x1 - x0, CV_8U);
    for (const auto& g : line.glyphs) {
        if (g.box.br().x <= x0 || g.box.x >= x1) continue;
        const bool whole = float(g.box.width) <= 1.1f * pitch;
        if (whole && (g.cx() < lo || g.cx() >= hi)) continue;
        const int gx0 = std::max(x0, g.box.x), gx1 = std::min(x1, g.box.br().x);
        for (int y = g.box.y; y < g.box.br().y; ++y) {
            const int* labels = line.labels.ptr<int>(y);
            uchar* dst = selected.ptr<uchar>(y);
            for (int x = gx0; x < gx1; ++x) {
                if (labels[x] != g.label) continue;
                if (whole || (float(x) >= lo && float(x) < hi)) dst[x - x0] = 255;
            }
        }
    }
    cv::dilate(selected, selected, cv::Mat());
    cv::Mat out;
    cv::min(selected, line.soft.colRange(x0, x1), out);
    // full ink at the glyph's darkest, as the templates are scaled
    cv::normalize(out, out, 0, 255, cv::NORM_MINMAX);
    return out;
}

// ---- reading ----------------------------------------------------------------------------------

struct Reading {
    std::vector<std::string> raw;
    std::vector<std::vector<GlyphMatch>> glyphs;
    std::optional<MrzParseResult> parsed;
    float mean_score = 0, min_score = 0;
    int valid_checks = 0;

    // better: every check holds, more checks hold, parses at all, glyphs match better
    bool better_than(const Reading& o) const {
        auto key = [](const Reading& r) {
            return std::make_tuple(r.parsed && r.parsed->all_checks_valid, r.valid_checks, r.parsed.has_value());
        };
        if (key(*this) != key(o)) return key(*this) > key(o);
        return mean_score > o.mean_score;
    }
};

int count_valid(const std::optional<MrzParseResult>& p) {
    if (!p) return 0;
    return int(std::count_if(p->checks.begin(), p->checks.end(), [](const MrzCheck& c) { return c.valid; }));
}

void finish(Reading& r) {
    r.parsed = parse_mrz(r.raw);
    r.valid_checks = count_valid(r.parsed);
}

// a check that fails may be a glyph whose second choice was nearly as good: takes one such second
// choice at a time when it makes more check digits hold and none stop holding
void try_second_choices(Reading& r) {
    for (int round = 0; round < 3 && r.parsed && !r.parsed->all_checks_valid; ++round) {
        struct Option {
            size_t line, pos;
            float margin;
        };
        std::vector<Option> options;
        for (size_t l = 0; l < r.glyphs.size(); ++l) {
            for (size_t p = 0; p < r.glyphs[l].size(); ++p) {
                const auto& g = r.glyphs[l][p];
                float margin = g.score - g.runner_up_score;
                if (g.score > -1 && margin < kRunnerUpMargin) options.push_back({l, p, margin});
            }
        }
        std::sort(options.begin(), options.end(), [](const Option& a, const Option& b) { return a.margin < b.margin; });
        bool improved = false;
        for (const auto& o : options) {
            auto trial = r.raw;
            trial[o.line][o.pos] = r.glyphs[o.line][o.pos].runner_up;
            auto parsed = parse_mrz(trial);
            if (!parsed || count_valid(parsed) <= r.valid_checks) continue;
            bool keeps = true;
            for (size_t c = 0; c < parsed->checks.size() && c < r.parsed->checks.size(); ++c)
                keeps &= parsed->checks[c].valid || !r.parsed->checks[c].valid;
            if (!keeps) continue;
            std::swap(r.glyphs[o.line][o.pos].ch, r.glyphs[o.line][o.pos].runner_up);
            std::swap(r.glyphs[o.line][o.pos].score, r.glyphs[o.line][o.pos].runner_up_score);
            r.raw = std::move(trial);
            r.parsed = std::move(parsed);
            r.valid_checks = count_valid(r.parsed);
            improved = true;
            break;
        }
        if (!improved) break;
    }
}

Reading read_lines(const std::vector<Line>& lines, int n, const OcrbGlyphs& glyphs) {
    Reading r;
    float sum = 0;
    int count = 0;
    r.min_score = 1;
    for (const auto& line : lines) {
        std::vector<cv::Mat> cells;
        cells.reserve(size_t(n));
        for (int i = 0; i < n; ++i) cells.push_back(cell_ink(line, i, n));
        auto matches = glyphs.classify(cells);
        if (getenv("MRZCELLS")) { static int li = 0; cv::Mat row(60, 40 * n, CV_8U, cv::Scalar(0)); for (int i = 0; i < n; ++i) { cv::Mat c = cells[size_t(i)]; if (c.empty()) continue; cv::Rect r(40 * i, 0, std::min(40, c.cols), std::min(60, c.rows)); c(cv::Rect(0, 0, r.width, r.height)).copyTo(row(r)); } cv::imwrite("/tmp/mrzx/cells" + std::to_string(li++) + ".png", row); } // TEMPDEBUG
        std::string text;
        for (const auto& m : matches) {
            text += m.ch; // an empty cell reads '<' with score -1
            sum += m.score;
            r.min_score = std::min(r.min_score, m.score);
            ++count;
        }
        r.raw.push_back(std::move(text));
        r.glyphs.push_back(std::move(matches));
    }
    r.mean_score = count ? sum / float(count) : 0;
    finish(r);
    try_second_choices(r);
    return r;
}

// the slope the band is still turned by (rows per column), from the glyph centres of its lines
float residual_slope(const std::vector<Line>& lines) {
    double sxx = 0, sxy = 0;
    for (const auto& line : lines) {
        double mx = 0, my = 0;
        for (const auto& g : line.glyphs) {
            mx += g.cx();
            my += g.box.y + g.box.height / 2.0;
        }
        mx /= double(line.glyphs.size());
        my /= double(line.glyphs.size());
        for (const auto& g : line.glyphs) {
            sxx += (g.cx() - mx) * (g.cx() - mx);
            sxy += (g.cx() - mx) * (g.box.y + g.box.height / 2.0 - my);
        }
    }
    return sxx > 0 ? float(sxy / sxx) : 0.0f;
}

struct BandRead {
    bool structure = false; // lines of an MRZ's shape
    Band band;
    std::vector<Line> lines;
    Reading reading;
    float angle = 0;
    cv::Point2f center;
    float length = 0, thickness = 0, char_height = 0;
};

// the lines of a straightened band: `expected` (2 or 3; 0: either) rows with the most ink
std::vector<Line> band_lines(const Band& band, int expected) {
    auto rows = find_rows(band.ink);
    std::vector<Line> lines;
    for (auto [top, bottom] : rows) {
        if (auto line = cut_line(band, top, bottom)) lines.push_back(std::move(*line));
    }
    const size_t want = expected ? size_t(expected) : (lines.size() >= 3 ? 3 : 2);
    if (lines.size() < want) {
        if (expected == 3 || lines.size() < 2) return {};
        return lines;
    }
    // the `want` consecutive lines with the most glyphs
    size_t best = 0, best_glyphs = 0;
    for (size_t s = 0; s + want <= lines.size(); ++s) {
        size_t g = 0;
        for (size_t i = s; i < s + want; ++i) g += lines[i].glyphs.size();
        if (g > best_glyphs) {
            best_glyphs = g;
            best = s;
        }
    }
    return {lines.begin() + long(best), lines.begin() + long(best + want)};
}

// MRZ lines: long for their height, densely inked, as long as each other and starting together
bool mrz_shaped(const std::vector<Line>& lines) {
    if (lines.size() < 2 || lines.size() > 3) return false;
    float min_len = 1e9f, max_len = 0, min_left = 1e9f, max_left = -1e9f;
    for (const auto& l : lines) {
        const float left = float(l.glyphs.front().box.x), right = float(l.glyphs.back().box.br().x);
        const float len = right - left;
        if (len < 12 * l.height || l.coverage < 0.4f || l.glyphs.size() < 10) return false;
        min_len = std::min(min_len, len);
        max_len = std::max(max_len, len);
        min_left = std::min(min_left, left);
        max_left = std::max(max_left, left);
    }
    return min_len > 0.85f * max_len && max_left - min_left < 2 * lines[0].height;
}

// how well the lines' glyphs sit on a grid of `n` cells: the share of single glyphs centred within a
// fifth of a pitch of a cell's centre, on the worst line. an MRZ is printed at a fixed pitch, so
// nearly all do; proportional print, or lines cut into the wrong number of cells, drift off it.
float grid_fit(const std::vector<Line>& lines, int n) {
    float worst = 1;
    for (const auto& line : lines) {
        const float pitch = (line.last_center - line.first_center) / float(n - 1);
        if (pitch < 0.45f * line.height || pitch > 1.4f * line.height) return 0;
        int singles = 0, on_grid = 0;
        for (const auto& g : line.glyphs) {
            if (float(g.box.width) > 1.1f * pitch) continue;
            ++singles;
            const float cells = (g.cx() - line.first_center) / pitch;
            on_grid += std::abs(cells - std::round(cells)) <= 0.2f;
        }
        worst = std::min(worst, singles ? float(on_grid) / float(singles) : 0.0f);
    }
    return worst;
}

BandRead read_candidate(const cv::Mat& gray, const Candidate& c, float work_scale, const OcrbGlyphs& glyphs) {
    BandRead out;
    out.center = c.center / work_scale;
    out.length = c.length / work_scale;
    out.thickness = c.thickness / work_scale;
    out.angle = c.angle;
    // a blob is a little thicker than its glyphs (closing, gradient)
    out.char_height = std::max(3.0f, (c.line_height - 2.0f) / work_scale);
    if (c.lines == 1) out.char_height = out.char_height / 2.3f; // two lines merged into one blob
    const int expected = c.lines >= 2 ? c.lines : 0;

    for (int pass = 0; pass < 2; ++pass) {
        double t5=pnow();
        out.band = straighten(gray, out.center, out.length, out.thickness, out.angle, out.char_height);
        g_prof[4]+=pnow()-t5;
        if (out.band.ink.empty()) return out;
        out.lines = band_lines(out.band, expected);
        if (out.lines.size() < 2) return out;
        // glyph height measured: refine the scale once, and the angle from the baselines
        float height = 0;
        for (const auto& l : out.lines) height += l.height;
        height /= float(out.lines.size()) * out.band.scale;
        const float slope = residual_slope(out.lines);
        const bool rescale = std::abs(height - out.char_height) > 0.15f * out.char_height;
        const bool rotate = std::abs(slope) * float(out.band.ink.cols) > 0.1f * kReadHeight;
        if (pass == 1 || (!rescale && !rotate)) break;
        out.char_height = height;
        out.angle += std::atan(slope) * 180 / kPi;
        if (c.lines == 1) out.thickness = std::max(out.thickness, 4.0f * height);
    }
    if (!mrz_shaped(out.lines)) return out;
    std::vector<int> lengths = out.lines.size() == 3 ? std::vector<int>{30} : std::vector<int>{44, 36};
    for (int n : lengths) {
        if (grid_fit(out.lines, n) < kMinGridFit) continue;
        Reading r = read_lines(out.lines, n, glyphs);
        if (!out.structure || r.better_than(out.reading)) out.reading = std::move(r);
        out.structure = true;
    }
    return out;
}

MrzReadResult result_of(const BandRead& b, const cv::Size& image) {
    MrzReadResult r;
    r.band_found = true;
    r.line_count = int(b.lines.size());
    r.char_height = b.char_height;
    // the lines' extent, back in input pixels
    float left = 1e9f, right = -1e9f, ink = 0, area = 0;
    for (const auto& l : b.lines) {
        left = std::min(left, float(l.glyphs.front().box.x));
        right = std::max(right, float(l.glyphs.back().box.br().x));
    }
    const float top = float(b.lines.front().top), bottom = float(b.lines.back().bottom + 1);
    std::vector<cv::Point2f> corners = {{left, top}, {right, top}, {right, bottom}, {left, bottom}};
    cv::transform(corners, corners, b.band.to_input);
    r.band_box = cv::RotatedRect((corners[0] + corners[2]) / 2, cv::Size2f((right - left) / b.band.scale, (bottom - top) / b.band.scale), b.angle);
    r.band = cv::boundingRect(corners) & cv::Rect(0, 0, image.width, image.height);
    for (const auto& l : b.lines) {
        cv::Rect rows(int(left), l.top, std::max(1, int(right - left)), l.bottom - l.top + 1);
        rows &= cv::Rect(0, 0, b.band.ink.cols, b.band.ink.rows);
        ink += float(cv::countNonZero(b.band.ink(rows)));
        area += float(rows.area());
    }
    r.ink_fraction = area > 0 ? ink / area : 0;
    r.raw_lines = b.reading.raw;
    r.parsed = b.reading.parsed;
    r.lines = r.parsed ? r.parsed->lines : r.raw_lines;
    r.mean_glyph_score = b.reading.mean_score;
    r.min_glyph_score = b.reading.min_score;
    return r;
}

} // namespace

MrzReadResult read_mrz(const cv::Mat& bgr) {
    const OcrbGlyphs& glyphs = OcrbGlyphs::instance(); // a missing font is an error, not "no MRZ"
    MrzReadResult none;
    if (bgr.empty() || bgr.dims != 2 || bgr.cols < 32 || bgr.rows < 16) return none;
    cv::Mat gray = to_gray(bgr);
    if (gray.empty()) return none;

    const float work_scale = std::min(1.0f, float(kWorkSize) / float(std::max(gray.cols, gray.rows)));
    double t0=pnow();
    cv::Mat work = shrink(gray, work_scale);
    double t1=pnow(); g_prof[0]+=t1-t0;
    auto cands = find_candidates(work);
    double t2=pnow(); g_prof[1]+=t2-t1; g_prof[7]+=cands.size();

    std::optional<BandRead> best;
    size_t read = 0;
    for (const auto& c : cands) {
        if (read == kMaxCandidates) break;
        double t3=pnow();
        BandRead b = read_candidate(gray, c, work_scale, glyphs);
        if (getenv("MRZDBG")) { fprintf(stderr, "cand lines=%d c=(%.0f,%.0f) len=%.0f th=%.1f lh=%.1f -> band lines %zu structure %d\n", c.lines, c.center.x, c.center.y, c.length, c.thickness, c.line_height, b.lines.size(), b.structure); for (auto& l : b.lines) fprintf(stderr, "   line %d-%d glyphs %zu h=%.1f cov=%.2f first=%.0f last=%.0f sp=%.1f\n", l.top, l.bottom, l.glyphs.size(), l.height, l.coverage, l.first_center, l.last_center, l.spacing); } // TEMPDEBUG
        g_prof[2]+=pnow()-t3; g_prof[6]+=1;
        if (!b.structure) continue;
        ++read;
        if (!best || b.reading.better_than(best->reading)) best = std::move(b);
        if (best->reading.parsed && best->reading.parsed->all_checks_valid) break;
    }
    if (!best) return none;
    return result_of(*best, gray.size());
}

} // namespace facegate
