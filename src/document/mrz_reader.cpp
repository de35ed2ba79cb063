// SPDX-License-Identifier: MIT
// locating the MRZ as a group of long parallel text lines, straightening it, cutting its lines into
// fixed-pitch cells, classifying each as OCR-B and parsing the result
#include "document/mrz_reader.h"

#include "document/ocrb_glyphs.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <tuple>

namespace facegate {

namespace {

constexpr int kWorkSize = 1000;        // the longest side the zone is searched at
constexpr float kLargeWorkSize = 1800; // and, in a larger picture where none read, at
constexpr float kReadHeight = 32.0f;   // glyph height (px) a zone is straightened to for reading
constexpr float kLookHeight = 20.0f;   // and for a first look at its shape and angle
constexpr size_t kMaxTried = 10;       // groups of lines looked at closely, best first
constexpr size_t kMaxZones = 4;        // MRZ-shaped zones read before giving up on the rest
// a cell's best template correlation below this is no glyph (a reflection's remains, a smudge): a
// reading that holds only by choosing among such cells' alternatives is doubtful
constexpr float kDoubtfulGlyph = 0.35f;
constexpr double kWeakInk = 0.6;       // ink as weak as this share of the Otsu level joins stronger ink
constexpr int kFaintInk = 12;          // ink strength (blackhat levels) below which a cell's pixel is paper
constexpr float kMinGridFit = 0.75f;   // share of glyphs on the fixed-pitch grid (see fit_grid)
constexpr float kMaxBandWidth = 3000;  // px of a straightened zone: 44 glyphs of kReadHeight need ~1200
constexpr float kMaxBandHeight = 800;
constexpr float kMaxLineAspect = 65;   // 44 glyphs at the widest pitch (1.4 heights) are ~62 heights long
constexpr int kLengths[] = {30, 36, 44}; // characters per line: TD1, TD2 / MRV-B, TD3 / MRV-A
constexpr double kMaxPitchChange = 0.4; // share by which a zone's pitch may change from end to end (perspective)
constexpr double kMaxOrderedPitchChange = 0.6; // and when each glyph's cell is known by its order
constexpr float kOrderedOffCell = 0.4f;        // cells a glyph may then lie off its cell's centre
constexpr float kEvenLineHeight = 16;  // a text line's height at the working scale, for even_out_ink
// pieces of one line further apart than this (x the line's thickness) are two lines: a glare streak
// across a zone leaves a gap of about 2
constexpr float kMaxLineGap = 3.0f;
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

// buffers kept from call to call on a thread: fresh multi-megabyte buffers page-fault on every call,
// which on some virtual machines costs more than the filtering done in them
struct Scratch {
    cv::Mat gray, half, work, blackhat, gradient16, gradient, closed, binary, upright; // finding the zone
    cv::Mat straight, smooth, strong, weak, labels;                             // straightening it

    // what a huge image left behind is not worth keeping
    void trim() {
        constexpr size_t kKeep = size_t(4) << 20;
        for (cv::Mat* m : {&gray, &half, &work, &blackhat, &gradient16, &gradient, &closed, &binary, &upright, &straight,
                           &smooth, &strong, &weak, &labels})
            if (m->total() * m->elemSize() > kKeep) m->release();
    }
};

Scratch& scratch() {
    thread_local Scratch s;
    return s;
}

// 8-bit gray of a gray, BGR or BGRA image of 8 or 16 bits; empty for anything else
cv::Mat to_gray(const cv::Mat& in, cv::Mat& buffer) {
    cv::Mat eight = in;
    if (in.depth() == CV_16U) in.convertTo(eight, CV_8U, 1.0 / 256);
    else if (in.depth() != CV_8U) in.convertTo(eight, CV_8U);
    switch (eight.channels()) {
    case 1: return eight;
    case 3: cv::cvtColor(eight, buffer, cv::COLOR_BGR2GRAY); return buffer;
    case 4: cv::cvtColor(eight, buffer, cv::COLOR_BGRA2GRAY); return buffer;
    default: return {};
    }
}

// `gray` at `scale` (<= 1): INTER_AREA is fast only for whole factors, so a whole factor first, then
// bilinear for the rest (under 2x, which does not alias)
cv::Mat shrink(const cv::Mat& gray, float scale, Scratch& s) {
    if (scale >= 1.0f) return gray;
    cv::Mat out = gray;
    const int whole = int(1.0f / scale);
    if (whole >= 2) {
        cv::resize(gray, s.half, {gray.cols / whole, gray.rows / whole}, 0, 0, cv::INTER_AREA);
        out = s.half;
    }
    const cv::Size size(std::max(1, int(float(gray.cols) * scale)), std::max(1, int(float(gray.rows) * scale)));
    if (out.size() == size) return out;
    cv::resize(out, s.work, size, 0, 0, cv::INTER_LINEAR);
    return s.work;
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
                if (std::abs(d.dot(n)) > 0.4f * t || gap > kMaxLineGap * t) continue;
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

// each pixel of `ink` scaled by `target` / the strongest ink within the `reach` x `reach` square
// around it (never by less than `floor_share` of the strongest anywhere): ink faded in one part rises
// to the strength of the rest. `target` < 0: the strongest anywhere. pixels under `faint` become 0
void scale_by_local_max(cv::Mat& ink, int reach, double floor_share, int target, int faint, cv::Mat& local_max) {
    double strongest = 0;
    cv::minMaxLoc(ink, nullptr, &strongest);
    if (strongest <= 0) return;
    if (target < 0) target = int(strongest);
    cv::dilate(ink, local_max, cv::getStructuringElement(cv::MORPH_RECT, {reach, reach}));
    const int floor = std::max(1, int(floor_share * strongest));
    for (int y = 0; y < ink.rows; ++y) {
        uchar* p = ink.ptr<uchar>(y);
        const uchar* m = local_max.ptr<uchar>(y);
        for (int x = 0; x < ink.cols; ++x)
            p[x] = p[x] < faint ? 0 : cv::saturate_cast<uchar>(int(p[x]) * target / std::max(int(m[x]), floor));
    }
}

// ink strength made even along the zone: a laminate's reflection or a light streak over part of it
// adds light and halves the ink's contrast there, so that one threshold for the whole zone would
// lose the glyphs under it. each pixel is scaled by the strongest ink within a glyph or so of it,
// never by less than a share of the zone's strongest (blank paper's speckle stays faint)
void even_out_ink(cv::Mat& soft, float glyph_height, cv::Mat& local_max) {
    constexpr double kFloorShare = 0.4; // glare leaves at least this share of the ink's contrast
    constexpr int kFaint = 6;           // blackhat levels below this are paper, not ink
    scale_by_local_max(soft, std::max(3, int(1.5f * glyph_height)) | 1, kFloorShare, -1, kFaint, local_max);
}

// long thin upright strokes (a page's or booklet's side edge, a table rule, up to kUprightSlant
// degrees off vertical) cut out of the binary: a zone whose line ends at one would join it into a single
// contour that is no line at all. a run of kUprightRun pixels along such a direction that is
// narrower than kUprightWidth is such a stroke; a block of merged lines is as tall but far wider,
// and stays.
void cut_thin_uprights(cv::Mat& binary, cv::Mat& upright, cv::Mat& scratch) {
    constexpr int kUprightRun = 25, kUprightWidth = 13, kEdgeLength = 80; // px at the working scale
    constexpr float kUprightSlant = 12;
    static const std::vector<cv::Mat> kernels = [] {
        std::vector<cv::Mat> out;
        for (float slant = -kUprightSlant; slant <= kUprightSlant + 0.1f; slant += kUprightSlant / 3) {
            const int half = kUprightRun / 2;
            const int reach = int(std::ceil(std::abs(std::tan(slant * kPi / 180)) * half));
            cv::Mat k = cv::Mat::zeros(kUprightRun, 2 * reach + 1, CV_8U);
            cv::line(k, {reach - int(std::lround(std::tan(slant * kPi / 180) * half)), 0},
                     {reach + int(std::lround(std::tan(slant * kPi / 180) * half)), kUprightRun - 1}, 255, 1);
            out.push_back(k);
        }
        return out;
    }();
    upright = cv::Mat::zeros(binary.size(), CV_8U);
    for (const auto& k : kernels) {
        cv::morphologyEx(binary, scratch, cv::MORPH_OPEN, k);
        cv::bitwise_or(upright, scratch, upright);
    }
    cv::morphologyEx(upright, scratch, cv::MORPH_OPEN, cv::getStructuringElement(cv::MORPH_RECT, {kUprightWidth, 1}));
    cv::subtract(upright, scratch, upright);
    // a narrow neck of a thick line of big glyphs is as tall as kUprightRun: only strokes far taller
    // than any line are edges
    cv::Mat labels, stats, centroids;
    const int n = cv::connectedComponentsWithStats(upright, labels, stats, centroids, 8, CV_32S);
    std::vector<uchar> edge(size_t(n), 0);
    for (int i = 1; i < n; ++i) edge[size_t(i)] = stats.at<int>(i, cv::CC_STAT_HEIGHT) >= kEdgeLength ? 255 : 0;
    for (int y = 0; y < upright.rows; ++y) {
        const int* l = labels.ptr<int>(y);
        uchar* u = upright.ptr<uchar>(y);
        for (int x = 0; x < upright.cols; ++x) u[x] = edge[size_t(l[x])];
    }
    cv::subtract(binary, upright, binary);
}

// dark text on a light ground, as long horizontal blobs: black-hat (dark detail smaller than the
// kernel) -> horizontal gradient (text texture, not rules or edges) -> closing along the line
std::vector<LineBlob> find_line_blobs(const cv::Mat& gray, bool even, Scratch& s) {
    cv::morphologyEx(gray, s.blackhat, cv::MORPH_BLACKHAT, cv::getStructuringElement(cv::MORPH_RECT, {13, 7}));
    cv::Sobel(s.blackhat, s.gradient16, CV_16S, 1, 0, 3);
    cv::convertScaleAbs(s.gradient16, s.gradient, 0.25); // |d/dx| of 8-bit ink is at most 4 * 255
    cv::morphologyEx(s.gradient, s.closed, cv::MORPH_CLOSE, cv::getStructuringElement(cv::MORPH_RECT, {21, 3}));
    if (even) even_out_ink(s.closed, kEvenLineHeight, s.upright);
    cv::threshold(s.closed, s.binary, 0, 255, cv::THRESH_BINARY | cv::THRESH_OTSU);
    cv::morphologyEx(s.binary, s.binary, cv::MORPH_OPEN, cv::getStructuringElement(cv::MORPH_RECT, {5, 3}));
    cut_thin_uprights(s.binary, s.upright, s.closed); // `closed` is spent: its buffer serves
    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(s.binary, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
    std::vector<LineBlob> blobs;
    for (const auto& c : contours) {
        if (c.size() < 4) continue;
        auto blob = make_blob(cv::minAreaRect(c));
        if (!blob || blob->thickness < 3 || blob->length < 2 * blob->thickness) continue;
        if (blob->length >= 0.02f * float(gray.cols)) blobs.push_back(*blob);
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

// lines of an MRZ: not too long for their height, parallel, about as long as each other, starting at
// the same place, and one to `max_apart` line heights apart
bool compatible(const LineBlob& a, const LineBlob& b, float max_apart = 3.5f) {
    if (a.length > kMaxLineAspect * a.thickness || b.length > kMaxLineAspect * b.thickness) return false;
    if (std::abs(a.angle - b.angle) > 3) return false;
    if (std::min(a.length, b.length) < 0.8f * std::max(a.length, b.length)) return false;
    if (std::min(a.thickness, b.thickness) < 0.6f * std::max(a.thickness, b.thickness)) return false;
    const float angle = (a.angle + b.angle) / 2 * kPi / 180;
    const cv::Point2f u(std::cos(angle), std::sin(angle)), n(-u.y, u.x), d = b.center - a.center;
    const float t = (a.thickness + b.thickness) / 2;
    const float across = std::abs(d.dot(n)), along = std::abs(d.dot(u));
    return across > 1.1f * t && across < max_apart * t && along < 0.15f * std::max(a.length, b.length);
}

std::vector<Candidate> find_candidates(const cv::Mat& work, bool even, Scratch& s) {
    std::vector<LineBlob> blobs = find_line_blobs(work, even, s);
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
    cv::Mat ink;         // straightened (glyphs about `glyph_height` tall) and binarised, ink 255
    cv::Mat soft;        // ink strength, 0 paper (what the glyphs are read from)
    cv::Mat to_input;    // 2x3: band pixel -> input pixel
    float scale = 1;     // band pixels per input pixel
    float glyph_height = kReadHeight; // what the glyphs were meant to measure in the band
};

// ink above `high`, grown through ink above `low`: the faint diagonal strokes of a blurred M or W stay
// joined to their stems instead of falling apart into pieces too small to be glyphs
cv::Mat hysteresis(const cv::Mat& strength, double high, double low, Scratch& s) {
    cv::threshold(strength, s.weak, low, 255, cv::THRESH_BINARY);
    const int count = cv::connectedComponents(s.weak, s.labels, 8, CV_32S);
    const cv::Mat& labels = s.labels;
    std::vector<uchar> keep(size_t(count), 0);
    for (int y = 0; y < strength.rows; ++y) {
        const uchar* v = strength.ptr<uchar>(y);
        const int* l = labels.ptr<int>(y);
        for (int x = 0; x < strength.cols; ++x) {
            if (v[x] > high) keep[size_t(l[x])] = 255;
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

// the zone (input pixels, angle in degrees) straightened so that glyphs of `char_height` become
// `glyph_height` tall, with margins
Band straighten(const cv::Mat& gray, cv::Point2f center, float length, float thickness, float angle, float char_height,
                float glyph_height, bool even, Scratch& s) {
    Band band;
    band.glyph_height = glyph_height;
    const float along = length + 2.0f * char_height, across = thickness + 1.5f * char_height;
    // unless that makes a band larger than any MRZ needs (a stray blob in a huge image)
    band.scale = std::clamp(glyph_height / std::max(char_height, 1.0f), 0.05f, 5.0f);
    band.scale = std::min({band.scale, kMaxBandWidth / along, kMaxBandHeight / across});
    cv::Size size(std::max(8, int(along * band.scale)), std::max(8, int(across * band.scale)));
    const float a = angle * kPi / 180, k = 1.0f / band.scale;
    const float ca = std::cos(a) * k, sa = std::sin(a) * k;
    const cv::Point2f o(float(size.width) / 2, float(size.height) / 2);
    // band (x, y) -> input: center + R(angle) * ((x, y) - o) / scale
    band.to_input = (cv::Mat_<double>(2, 3) << ca, -sa, center.x - (ca * o.x - sa * o.y), sa, ca,
                     center.y - (sa * o.x + ca * o.y));

    // work on the input's region only (a huge photo is not copied), smoothed when shrinking
    const float w = float(size.width), h = float(size.height);
    std::vector<cv::Point2f> corners = {{0, 0}, {w, 0}, {0, h}, {w, h}};
    cv::transform(corners, corners, band.to_input);
    cv::Rect region = cv::boundingRect(corners) & cv::Rect(0, 0, gray.cols, gray.rows);
    if (region.area() == 0) return band;
    cv::Mat source = gray(region);
    if (band.scale < 0.7f) {
        cv::Mat smoothed; // not in place: `gray` may be the caller's image
        cv::GaussianBlur(source, smoothed, {0, 0}, 0.4 / band.scale);
        source = smoothed;
    }
    cv::Mat m = band.to_input.clone();
    m.at<double>(0, 2) -= region.x;
    m.at<double>(1, 2) -= region.y;
    // outside the image: white, which holds no ink (replicating the edge would smear any glyph there)
    cv::warpAffine(source, s.straight, m, size, cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_CONSTANT,
                   cv::Scalar(255));

    cv::GaussianBlur(s.straight, s.smooth, {0, 0}, 0.8);
    cv::morphologyEx(s.smooth, band.soft, cv::MORPH_BLACKHAT, cv::getStructuringElement(cv::MORPH_RECT, {15, 15}));
    if (even) even_out_ink(band.soft, glyph_height, s.weak);
    double t = cv::threshold(band.soft, s.strong, 0, 255, cv::THRESH_BINARY | cv::THRESH_OTSU);
    t = std::max(t, 12.0); // no contrast: no ink
    band.ink = hysteresis(band.soft, t, t * kWeakInk, s);
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
    float first_center = 0;    // of the first glyph (cell 0)
    float spacing = 0;         // median distance of neighbouring single glyphs (0: unknown)
    // the fixed-pitch grid the glyphs sit on: centre of cell 0 (the first glyph), pitch, the share
    // of single glyphs within a fifth of a pitch of a cell centre, and how many cells the line spans
    float grid_first = 0, pitch = 0, grid_fit = 0, cells = 0;
    // the pitch's change along the line (px per cell, halved): a zone photographed at an angle is
    // foreshortened, its far end's cells narrower than its near end's
    float bend = 0;
    float coverage = 0;        // share of the line's extent covered by glyph ink columns

    float cell_center(float i) const { return grid_first + pitch * i + bend * i * i; }
    float pitch_at(float i) const { return pitch + 2 * bend * i; }
    // the (fractional) cell at x: the grid's equation solved by two Newton steps from the linear guess
    float cell_at(float x) const {
        float i = (x - grid_first) / pitch;
        for (int step = 0; step < 2 && bend != 0; ++step) i -= (cell_center(i) - x) / pitch_at(i);
        return i;
    }
};

// rows of ink: the band's text lines, as [top, bottom] runs of the row projection
std::vector<std::pair<int, int>> find_rows(const cv::Mat& ink, float glyph_height) {
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
        if (r.second - r.first + 1 >= int(0.4f * glyph_height)) lines.push_back(r);
    }
    return lines;
}

// a line of exactly as many glyphs as an MRZ line has characters (every cell filled, '<' included)
// gives each glyph its cell by its order: the grid is then fitted to all of them at once, which
// holds where the walk loses its way (a line foreshortened to half its pitch, an open booklet close
// to the camera), the pitch allowed to change more. taken only when every glyph then lies well
// within its own cell (a quadratic grid follows a strong perspective to a third of a pitch)
template <typename Fit>
void fit_one_glyph_per_cell(Line& line, Fit& fit) {
    const int n = int(line.glyphs.size());
    if (std::find(std::begin(kLengths), std::end(kLengths), n) == std::end(kLengths)) return;
    const float first = line.grid_first, pitch = line.pitch, bend = line.bend; // what `fit` changes
    std::vector<cv::Point2f> ordered;
    for (int k = 0; k < n; ++k) ordered.push_back({float(k), line.glyphs[size_t(k)].cx()});
    bool fits = fit(ordered, kMaxOrderedPitchChange);
    for (int k = 0; fits && k < n; ++k)
        fits = std::abs(line.cell_at(line.glyphs[size_t(k)].cx()) - float(k)) <= kOrderedOffCell;
    if (!fits) {
        line.grid_first = first;
        line.pitch = pitch;
        line.bend = bend;
        return;
    }
    line.grid_fit = 1;
    line.cells = float(n);
}

// the grid of a line's cells: each single glyph given its cell by walking the line from the first
// glyph (cell 0), then a least-squares grid with a pitch that may change along the line (a zone in
// perspective), refitted over every glyph near one of its cells, so that an end glyph touching a
// speck, a missing glyph or a broken one does not skew every cell. `width`: a single glyph's
// typical width.
void fit_grid(Line& line, float width) {
    if (line.spacing <= 0) return;
    const float single = 0.95f * line.height;
    // least squares of centre = first + pitch k + bend k^2 over (k, centre) pairs; the bend only once
    // they span enough cells to tell it from noise. false when the pairs do not fix a grid
    auto fit = [&](const std::vector<cv::Point2f>& cells_and_centres, double max_change = kMaxPitchChange) {
        if (cells_and_centres.size() < 5) return false;
        const bool bent = cells_and_centres.back().x - cells_and_centres.front().x >= 24;
        cv::Matx33d a = cv::Matx33d::zeros();
        cv::Vec3d b(0, 0, 0);
        for (const auto& p : cells_and_centres) {
            const cv::Vec3d basis(1, p.x, bent ? double(p.x) * p.x : 0);
            a += basis * basis.t();
            b += basis * double(p.y);
        }
        if (!bent) a(2, 2) = 1; // bend fixed at 0
        if (std::abs(cv::determinant(a)) < 1e-9) return false;
        const cv::Vec3d x = a.solve(b, cv::DECOMP_LU);
        if (x[1] < 0.3 * line.height) return false;
        // foreshortening changes the pitch by at most max_change (its share) over the cells seen
        const double span = std::max(8.0f, cells_and_centres.back().x);
        const double max_bend = max_change * x[1] / (2 * span);
        line.grid_first = float(x[0]);
        line.pitch = float(x[1]);
        line.bend = float(std::clamp(x[2], -max_bend, max_bend));
        return true;
    };
    // first by walking the line: each single glyph is a whole number of local pitches past the one
    // before it, the local pitch measured over the last few; a pitch that changes along the line
    // (foreshortening) or a missing glyph does not throw the far end's glyphs into the wrong cells
    constexpr size_t kLocal = 8;
    std::vector<cv::Point2f> walked = {{0.0f, line.first_center}};
    float pitch = line.spacing, cell = 0, previous = line.first_center;
    for (const auto& g : line.glyphs) {
        if (float(g.box.width) > single || g.cx() < previous + 0.3f * pitch) continue;
        const float steps = (g.cx() - previous) / pitch;
        const float n = std::max(1.0f, std::round(steps));
        if (std::abs(steps - n) > 0.35f) continue; // a broken glyph's piece, between two cells: the walk goes on from the last glyph
        cell += n;
        previous = g.cx();
        walked.push_back({cell, g.cx()});
        const cv::Point2f& from = walked[walked.size() > kLocal ? walked.size() - kLocal : 0];
        if (walked.back().x - from.x >= 3) pitch = (walked.back().y - from.y) / (walked.back().x - from.x);
    }
    line.grid_first = line.first_center;
    line.pitch = line.spacing;
    line.bend = 0;
    if (!fit(walked)) return;
    // then again over every single glyph near a cell of that grid: one misstep of the walk is undone
    std::vector<cv::Point2f> near;
    for (const auto& g : line.glyphs) {
        if (float(g.box.width) > single) continue;
        const float cells = line.cell_at(g.cx());
        if (cells > -0.5f && std::abs(cells - std::round(cells)) <= 0.35f) near.push_back({std::round(cells), g.cx()});
    }
    std::sort(near.begin(), near.end(), [](const cv::Point2f& a, const cv::Point2f& b) { return a.x < b.x; });
    fit(near);
    int singles = 0, on_grid = 0;
    for (const auto& g : line.glyphs) {
        if (float(g.box.width) > single) continue;
        ++singles;
        const float cells = line.cell_at(g.cx());
        on_grid += cells > -0.5f && std::abs(cells - std::round(cells)) <= 0.2f;
    }
    line.grid_fit = singles ? float(on_grid) / float(singles) : 0.0f;
    // the last glyph's right edge is half a glyph past its cell's centre
    line.cells = line.cell_at(float(line.glyphs.back().box.br().x) - width / 2) + 1;
    // and a line of exactly an MRZ line's glyphs that the walk spread over more cells (it took a gap
    // for a missing glyph: seen under a reflection and in open booklets) is tried by order too
    if (line.grid_fit < kMinGridFit || std::abs(line.cells - float(line.glyphs.size())) > 1.2f)
        fit_one_glyph_per_cell(line, fit);
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

    // single glyphs: no wider than a glyph can be; their widths and spacing start the grid
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
    float covered = 0;
    for (const auto& g : line.glyphs) covered += float(g.box.width);
    line.coverage = covered / std::max(1.0f, float(last.box.br().x - first.box.x));
    fit_grid(line, width);
    return line;
}

// `selected` (a glyph's pixels) grown through the ink around it that is faint for the glyph but not
// for paper: a reflection over part of a glyph fades that part below the zone's threshold (the top of
// an O, which then reads U; an E's bars, read L), though it still stands out from the paper around
// it. grown only through pixels no other glyph holds, within the cell
void grow_into_faint_ink(cv::Mat& selected, const cv::Mat& soft, const cv::Mat& labels) {
    constexpr double kFaintShare = 0.3; // of the glyph's strongest ink
    constexpr int kMaxSteps = 8;        // px: the reach of the growth (a third of a glyph's height)
    double strongest = 0;
    cv::minMaxLoc(soft, nullptr, &strongest, nullptr, nullptr, selected);
    if (strongest <= 0) return;
    cv::Mat allowed = soft >= std::max(double(kFaintInk), kFaintShare * strongest);
    allowed.setTo(0, (labels != 0) & (selected == 0)); // another glyph's pixels
    allowed |= selected;
    cv::Mat grown;
    for (int step = 0; step < kMaxSteps; ++step) {
        cv::dilate(selected, grown, cv::Mat());
        grown &= allowed;
        if (cv::countNonZero(grown != selected) == 0) break;
        std::swap(grown, selected);
    }
}

// a glyph's ink scaled to full strength at its darkest, as the templates are, and its strokes made
// even: a reflection over part of a glyph fades that part (an O's top), which the classifier, cutting
// a glyph to where its ink is at least half strength, would otherwise leave out (the O read as U).
// each pixel is scaled by the strongest ink within a third of the cell's height, never by less than a
// share of the glyph's strongest
void even_out_strokes(cv::Mat& ink) {
    constexpr double kFloorShare = 0.3;
    cv::Mat local_max;
    scale_by_local_max(ink, std::max(3, ink.rows / 3) | 1, kFloorShare, 255, 0, local_max);
}

// the ink of cell `i` of a line cut into `n` cells: whole components centred in the cell, and the
// cell's share of components wider than a glyph (touching glyphs, runs of '<'); graded ink, taken
// within a pixel of those components' binarised pixels (their blurred rims, not their neighbours),
// scaled to 255 at its strongest
cv::Mat cell_ink(const Line& line, int i) {
    const float pitch = line.pitch_at(float(i));
    const float center = line.cell_center(float(i));
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
    const cv::Mat soft = line.soft.colRange(x0, x1), labels = line.labels.colRange(x0, x1);
    if (cv::countNonZero(selected) == 0) {
        // every position of an MRZ is printed ('<' too): a cell without a glyph is one a reflection
        // faded below the zone's threshold, whose faint ink is still read better than not at all
        const cv::Rect cell(std::max(0, int(lo) - x0), std::max(0, line.top - line.strip_top),
                            std::max(1, int(hi) - int(lo)), line.bottom - line.top + 1);
        const cv::Rect inside = cell & cv::Rect(0, 0, selected.cols, selected.rows);
        selected(inside).setTo(255, (soft(inside) >= kFaintInk) & (labels(inside) == 0));
    }
    cv::dilate(selected, selected, cv::Mat());
    grow_into_faint_ink(selected, soft, labels);
    cv::Mat out;
    cv::min(selected, soft, out);
    even_out_strokes(out);
    return out;
}

// ---- reading ----------------------------------------------------------------------------------

struct Reading {
    std::vector<std::string> raw;
    std::vector<std::vector<GlyphMatch>> glyphs;
    MrzChoice choice;
    std::optional<MrzParseResult> parsed;
    float mean_score = 0, min_score = 0;
    int valid_checks = 0;
    int doubtful = 0; // characters that hold only by a check digit, or are cells no glyph matches

    // every check holds without a doubtful character: no other reading of the zone can do better
    bool sure() const { return parsed && parsed->all_checks_valid && doubtful == 0; }
    // better: every check holds, more checks hold, parses at all, fewer doubtful characters, glyphs
    // match better
    bool better_than(const Reading& o) const {
        auto key = [](const Reading& r) {
            return std::make_tuple(r.parsed && r.parsed->all_checks_valid, r.valid_checks, r.parsed.has_value(),
                                   -r.doubtful);
        };
        if (key(*this) != key(o)) return key(*this) > key(o);
        return mean_score > o.mean_score;
    }
};

int count_valid(const std::optional<MrzParseResult>& p) {
    if (!p) return 0;
    return int(std::count_if(p->checks.begin(), p->checks.end(), [](const MrzCheck& c) { return c.valid; }));
}

// the characters chosen by position and check digit, parsed; what the parser changed is marked
void finish(Reading& r) {
    r.choice = choose_mrz_characters(r.glyphs);
    r.parsed = parse_mrz(r.choice.lines);
    r.valid_checks = count_valid(r.parsed);
    r.doubtful = 0;
    for (size_t l = 0; l < r.glyphs.size() && l < r.choice.characters.size(); ++l) {
        for (size_t p = 0; p < r.glyphs[l].size() && p < r.choice.characters[l].size(); ++p) {
            const float score = r.glyphs[l][p].score;
            if (r.choice.characters[l][p].source == MrzCharacterSource::CHECK_DIGIT ||
                (score >= 0 && score < kDoubtfulGlyph))
                ++r.doubtful;
        }
    }
    if (!r.parsed) return;
    for (size_t l = 0; l < r.choice.characters.size() && l < r.parsed->lines.size(); ++l) {
        auto& chars = r.choice.characters[l];
        for (size_t p = 0; p < chars.size() && p < r.parsed->lines[l].size(); ++p) {
            const char now = r.parsed->lines[l][p];
            if (now == chars[p].value) continue;
            chars[p].value = now;
            chars[p].source = MrzCharacterSource::PARSER;
            if (r.glyphs[l][p].score > -1) chars[p].score = r.glyphs[l][p].score_of(now);
        }
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
        for (int i = 0; i < n; ++i) cells.push_back(cell_ink(line, i));
        auto matches = glyphs.classify(cells);
        glyphs.weigh_heights(matches);
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
    auto rows = find_rows(band.ink, band.glyph_height);
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
// the lines' first glyphs within two glyph heights of each other, as an MRZ's lines start
bool start_together(const std::vector<Line>& lines) {
    float min_left = 1e9f, max_left = -1e9f;
    for (const auto& l : lines) {
        min_left = std::min(min_left, float(l.glyphs.front().box.x));
        max_left = std::max(max_left, float(l.glyphs.front().box.x));
    }
    return max_left - min_left < 2 * lines[0].height;
}

// a pitch an OCR-B glyph of the line's height can be printed at
bool plausible_pitch(const Line& line) { return line.pitch >= 0.45f * line.height && line.pitch <= 1.4f * line.height; }

bool mrz_shaped(const std::vector<Line>& lines) {
    if (lines.size() < 2 || lines.size() > 3) return false;
    float min_len = 1e9f, max_len = 0;
    for (const auto& l : lines) {
        const float len = float(l.glyphs.back().box.br().x - l.glyphs.front().box.x);
        if (len < 12 * l.height || l.coverage < 0.4f || l.glyphs.size() < 10) return false;
        min_len = std::min(min_len, len);
        max_len = std::max(max_len, len);
    }
    return min_len > 0.85f * max_len && start_together(lines);
}

// whether the lines are MRZ lines of `n` characters: their glyphs sit on a fixed-pitch grid (an MRZ
// is printed at a fixed pitch; proportional print drifts off it) of a pitch a glyph of their height
// can have, spanning `n` cells (give or take `cells_off`: a glyph touching a speck at an end)
bool lines_of(const std::vector<Line>& lines, int n, float min_fit = kMinGridFit, float cells_off = 1.2f) {
    for (const auto& line : lines) {
        if (line.grid_fit < min_fit || std::abs(line.cells - float(n)) > cells_off || !plausible_pitch(line)) return false;
    }
    return true;
}

// lines that may yet prove an MRZ once straightened better: a looser lines_of, for any length
bool may_be_mrz(const std::vector<Line>& lines) {
    if (!mrz_shaped(lines)) return false;
    return std::any_of(std::begin(kLengths), std::end(kLengths), [&](int n) { return lines_of(lines, n, 0.5f, 3.0f); });
}

// lines that may be an MRZ cut short: on a fixed pitch, starting together, but fewer cells than any
// MRZ line has. a reflection across the zone breaks the line finder's lines, and a group of lines
// found on one side of it covers only part of the zone
bool cut_short(const std::vector<Line>& lines) {
    if (lines.size() < 2 || lines.size() > 3) return false;
    for (const auto& l : lines) {
        if (l.grid_fit < kMinGridFit || l.cells < 10 || l.cells > float(kLengths[0]) - 3 || !plausible_pitch(l)) return false;
    }
    return start_together(lines);
}

BandRead read_candidate(const cv::Mat& gray, const Candidate& c, float work_scale, const OcrbGlyphs& glyphs,
                        bool even, Scratch& s) {
    BandRead out;
    out.center = c.center / work_scale;
    out.length = c.length / work_scale;
    out.thickness = c.thickness / work_scale;
    out.angle = c.angle;
    // a blob is a little thicker than its glyphs (closing, gradient)
    out.char_height = std::max(3.0f, (c.line_height - 2.0f) / work_scale);
    if (c.lines == 1) out.char_height = out.char_height / 2.3f; // two lines merged into one blob
    const int expected = c.lines >= 2 ? c.lines : 0;

    // a first look, small: is it an MRZ, how tall are its glyphs, how turned is it still
    out.band = straighten(gray, out.center, out.length, out.thickness, out.angle, out.char_height, kLookHeight, even, s);
    if (out.band.ink.empty()) return out;
    out.lines = band_lines(out.band, expected);
    if (cut_short(out.lines)) {
        // looked at again along the whole length an MRZ line of this pitch can have, both ways
        float cells = 1e9f, pitch = 0;
        for (const auto& l : out.lines) {
            cells = std::min(cells, l.cells);
            pitch = std::max(pitch, l.pitch);
        }
        out.length += 2.0f * (float(kLengths[2]) - cells) * pitch / out.band.scale;
        out.band = straighten(gray, out.center, out.length, out.thickness, out.angle, out.char_height, kLookHeight, even, s);
        if (out.band.ink.empty()) return out;
        out.lines = band_lines(out.band, expected);
    }
    if (out.lines.size() < 2 || !may_be_mrz(out.lines)) return out;
    float height = 0;
    for (const auto& l : out.lines) height += l.height;
    out.char_height = height / (float(out.lines.size()) * out.band.scale);
    out.angle += std::atan(residual_slope(out.lines)) * 180 / kPi;
    if (c.lines == 1) out.thickness = std::max(out.thickness, 4.0f * out.char_height);

    // then straightened for reading
    out.band = straighten(gray, out.center, out.length, out.thickness, out.angle, out.char_height, kReadHeight, even, s);
    if (out.band.ink.empty()) return out;
    out.lines = band_lines(out.band, expected);
    if (!mrz_shaped(out.lines)) return out;
    std::vector<int> lengths = out.lines.size() == 3 ? std::vector<int>{30} : std::vector<int>{44, 36};
    for (int n : lengths) {
        if (!lines_of(out.lines, n)) continue;
        Reading r = read_lines(out.lines, n, glyphs);
        if (!out.structure || r.better_than(out.reading)) out.reading = std::move(r);
        out.structure = true;
    }
    return out;
}

// read as it is, and when that fails, with its ink evened out (even_out_ink): glare is the
// exception, and evening out also lifts a page's faint patterns that a clean zone's lines do not need
BandRead read_candidate(const cv::Mat& gray, const Candidate& c, float work_scale, const OcrbGlyphs& glyphs, Scratch& s) {
    BandRead plain = read_candidate(gray, c, work_scale, glyphs, false, s);
    if (plain.structure && plain.reading.sure()) return plain;
    BandRead evened = read_candidate(gray, c, work_scale, glyphs, true, s);
    if (evened.structure && (!plain.structure || evened.reading.better_than(plain.reading))) return evened;
    return plain;
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
    const cv::Size2f size((right - left) / b.band.scale, (bottom - top) / b.band.scale);
    r.band_box = cv::RotatedRect((corners[0] + corners[2]) / 2, size, b.angle);
    std::copy(corners.begin(), corners.end(), r.zone_corners.begin());
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
    r.lines = r.parsed ? r.parsed->lines : b.reading.choice.lines;
    r.characters = b.reading.choice.characters;
    r.mean_glyph_score = b.reading.mean_score;
    r.doubtful_characters = b.reading.doubtful;
    r.min_glyph_score = b.reading.min_score;
    return r;
}

} // namespace

MrzReadResult read_mrz(const cv::Mat& bgr) {
    const OcrbGlyphs& glyphs = OcrbGlyphs::instance(); // a missing font is an error, not "no MRZ"
    if (bgr.empty() || bgr.dims != 2 || bgr.cols < 32 || bgr.rows < 16) return {};
    Scratch& s = scratch();
    const cv::Mat gray = to_gray(bgr, s.gray);
    if (gray.empty()) return {};

    const float long_side = float(std::max(gray.cols, gray.rows));
    std::optional<BandRead> best;
    auto readable = [&] { return best && best->reading.sure(); };
    std::vector<Candidate> looked_at; // in the picture's pixels
    auto looked_at_before = [&](const Candidate& c) {
        return std::any_of(looked_at.begin(), looked_at.end(), [&](const Candidate& o) {
            return cv::norm(c.center - o.center) < 0.5f * o.thickness && std::abs(c.length - o.length) < 0.1f * o.length &&
                   c.lines == o.lines;
        });
    };
    // at the working scale; then, in a large picture where no zone read, at a larger one: a zone that
    // is a small part of it (a document far from the camera, a photo turned onto a wider canvas) has
    // glyphs too small at the first to make lines
    std::vector<float> work_scales = {std::min(1.0f, float(kWorkSize) / long_side)};
    if (long_side > kLargeWorkSize) work_scales.push_back(kLargeWorkSize / long_side);
    for (float work_scale : work_scales) {
        // the picture as it is; then, when no zone read, with the line finder's contrast evened out: a
        // reflection over part of the zone breaks its lines below the one threshold of the picture
        for (bool even : {false, true}) {
            if (readable()) break;
            std::vector<Candidate> candidates;
            try {
                candidates = find_candidates(shrink(gray, work_scale, s), even, s);
            } catch (const cv::Exception&) {
                break; // an image OpenCV cannot filter holds no zone we can read
            }
            size_t tried = 0, zones = 0;
            for (const auto& c : candidates) {
                if (tried == kMaxTried || zones == kMaxZones) break;
                Candidate in_picture = c;
                in_picture.center = c.center / work_scale;
                in_picture.length = c.length / work_scale;
                in_picture.thickness = c.thickness / work_scale;
                if (looked_at_before(in_picture)) continue;
                ++tried;
                looked_at.push_back(in_picture);
                BandRead b;
                try {
                    b = read_candidate(gray, c, work_scale, glyphs, s);
                } catch (const cv::Exception&) {
                    continue; // an image OpenCV cannot process in some step holds no zone we can read
                }
                if (!b.structure) continue;
                ++zones;
                if (!best || b.reading.better_than(best->reading)) best = std::move(b);
                if (readable()) break;
            }
        }
    }
    MrzReadResult result = best ? result_of(*best, gray.size()) : MrzReadResult{};
    s.trim();
    return result;
}

} // namespace facegate
