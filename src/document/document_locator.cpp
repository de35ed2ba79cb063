// SPDX-License-Identifier: MIT
#include "document/document_locator.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

namespace facegate {

namespace {

constexpr double kWorkingSide = 800;      // edges and segmentation run with the long side at this size
constexpr double kMinAreaFraction = 0.15; // a smaller quad is a detail of the scene, not the document
constexpr float kCardAspect = 85.6f / 54.f;  // ID-1
constexpr float kPageAspect = 1.42f;         // ID-2 (1.419) and TD3 (125 x 88 = 1.420)
constexpr float kAspectTolerance = 0.3f;     // perspective and rounded corners move the measured ratio
constexpr float kCardPageBoundary = 1.50f;
constexpr double kMaxAngleDeviation = 40;    // degrees from a right angle a corner may show in perspective
constexpr double kMinOutlinePx = 300;        // a narrower document carries too little to read (its portrait, its MRZ)
constexpr double kBorderPx = 3;              // a side this close to the frame is the frame, not the document
constexpr int kSideSamples = 64;             // points measured along each side at full resolution
constexpr float kMinEdgeStep = 10;           // grey levels over 2 px: weaker is not the document's edge
constexpr float kOnLinePx = 1.5f;            // a measured edge point this close to the side's line supports it
constexpr float kMinSupport = 0.55f;         // every side needs this share of its samples on its line
constexpr size_t kMaxRefined = 6;            // best-ranked candidates measured at full resolution
constexpr size_t kMaxLargeRefined = 3;       // and largest ones whose sides run along edges
constexpr size_t kMaxAroundRefined = 3;      // and the best ranked around the portrait's centre
constexpr float kLargeMinCoverage = 0.6f;
constexpr size_t kPeaksPerSample = 3;        // edge candidates kept across each sample of a side
constexpr int kRansacIterations = 100;
constexpr double kContainSlackPx = 4;        // full-resolution pixels a contained quad may stick out
constexpr float kOuterSupportShare = 0.7f;   // an outer quad with edges this well supported is the outline
constexpr double kSameCornerPx = 4;          // working pixels: candidates this close are one
constexpr double kMinSegmentShare = 0.12;    // straight edges shorter than this share of the picture's short side are detail
constexpr double kSameLineDeg = 3, kSameLineOffsetPx = 4; // working-scale segments this close are one edge
constexpr size_t kEdgeLinesPerDirection = 16; // longest straight edges of each direction combined into quads
constexpr float kCoarseSearchShare = 0.04f;  // first refinement: search this share of the side's length across it

using Quad = std::array<cv::Point2f, 4>;

double angle_deg(cv::Point2f a, cv::Point2f vertex, cv::Point2f b) {
    cv::Point2f u = a - vertex, v = b - vertex;
    double c = (u.x * v.x + u.y * v.y) / (std::hypot(u.x, u.y) * std::hypot(v.x, v.y) + 1e-9);
    return std::acos(std::clamp(c, -1.0, 1.0)) * 180 / CV_PI;
}

double length(cv::Point2f a, cv::Point2f b) { return std::hypot(a.x - b.x, a.y - b.y); }

// top-left, top-right, bottom-right, bottom-left as the image shows them (documents are upright
// within +-45 degrees: the face detector would not see a portrait turned further)
Quad order_corners(const std::vector<cv::Point2f>& points) {
    cv::Point2f centre(0, 0);
    for (const auto& p : points) centre += p;
    centre *= 1.f / float(points.size());
    std::vector<cv::Point2f> sorted = points;
    std::sort(sorted.begin(), sorted.end(), [&](cv::Point2f a, cv::Point2f b) {
        return std::atan2(a.y - centre.y, a.x - centre.x) < std::atan2(b.y - centre.y, b.x - centre.x);
    });
    // atan2 order runs clockwise on screen from the left; start at the corner with the smallest x + y
    size_t first = 0;
    for (size_t i = 1; i < 4; ++i) {
        if (sorted[i].x + sorted[i].y < sorted[first].x + sorted[first].y) first = i;
    }
    Quad q;
    for (size_t i = 0; i < 4; ++i) q[i] = sorted[(first + i) % 4];
    return q;
}

float sample(const cv::Mat& gray, cv::Point2f p) {
    int x = int(std::floor(p.x)), y = int(std::floor(p.y));
    float fx = p.x - float(x), fy = p.y - float(y);
    const uchar* r0 = gray.ptr<uchar>(y);
    const uchar* r1 = gray.ptr<uchar>(y + 1);
    return (1 - fy) * ((1 - fx) * r0[x] + fx * r0[x + 1]) + fy * ((1 - fx) * r1[x] + fx * r1[x + 1]);
}

struct Side {
    cv::Vec4f line; // direction (0, 1), point (2, 3) as cv::fitLine gives it
    float support = 0;
};

float distance_to(const cv::Vec4f& line, cv::Point2f p) {
    return std::abs((p.x - line[2]) * line[1] - (p.y - line[3]) * line[0]);
}

// the line through the most samples (a sample counts once, by its nearest candidate point), refitted
// to those samples' points. samples[i] holds the candidate edge points across sample i.
std::optional<Side> fit_support(const std::vector<std::vector<cv::Point2f>>& samples, int iterations) {
    std::vector<const std::vector<cv::Point2f>*> used;
    for (const auto& s : samples) {
        if (!s.empty()) used.push_back(&s);
    }
    if (used.size() < size_t(kSideSamples / 3)) return std::nullopt;
    auto inliers = [&](const cv::Vec4f& line, std::vector<cv::Point2f>* out) {
        int count = 0;
        for (const auto* s : used) {
            const cv::Point2f* nearest = nullptr;
            float best = kOnLinePx;
            for (const auto& p : *s) {
                float d = distance_to(line, p);
                if (d <= best) best = d, nearest = &p;
            }
            if (nearest) {
                ++count;
                if (out) out->push_back(*nearest);
            }
        }
        return count;
    };
    // deterministic RANSAC: lines through candidates of two samples far apart along the side
    cv::RNG rng(0x5eed);
    cv::Vec4f best_line;
    int best_count = -1;
    for (int iteration = 0; iteration < iterations; ++iteration) {
        size_t i = size_t(rng.uniform(0, int(used.size()))), j = size_t(rng.uniform(0, int(used.size())));
        if (i == j) continue;
        cv::Point2f a = (*used[i])[size_t(rng.uniform(0, int(used[i]->size())))];
        cv::Point2f b = (*used[j])[size_t(rng.uniform(0, int(used[j]->size())))];
        float len = std::hypot(b.x - a.x, b.y - a.y);
        if (len < 4) continue;
        cv::Vec4f line((b.x - a.x) / len, (b.y - a.y) / len, a.x, a.y);
        int count = inliers(line, nullptr);
        if (count > best_count) best_count = count, best_line = line;
    }
    if (best_count < 2) return std::nullopt;
    std::vector<cv::Point2f> points;
    inliers(best_line, &points);
    Side side;
    cv::fitLine(points, side.line, cv::DIST_L2, 0, 0.01, 0.01);
    side.support = float(inliers(side.line, nullptr)) / kSideSamples;
    return side;
}

// the document's edge near the side p -> q, measured on the full-resolution picture: at kSideSamples
// points of the side's middle (rounded corners stay out), the strongest steps of grey along the
// normal within `reach` px, each polarity apart; the line through most samples wins. its support is
// the share of samples on it: a real edge gives most (a thumb over it hides some), clutter few.
std::optional<Side> measure_side(const cv::Mat& gray, cv::Point2f p, cv::Point2f q, float reach_px) {
    cv::Point2f d = q - p;
    float len = std::hypot(d.x, d.y);
    if (len < 8) return std::nullopt;
    cv::Point2f n(-d.y / len, d.x / len);
    int reach = int(std::ceil(reach_px));
    std::array<std::vector<std::vector<cv::Point2f>>, 2> candidates; // rising, falling along n
    for (auto& c : candidates) c.resize(kSideSamples);
    std::vector<float> profile(size_t(2 * reach + 3));
    for (int i = 0; i < kSideSamples; ++i) {
        cv::Point2f c = p + d * (0.1f + 0.8f * float(i) / (kSideSamples - 1));
        // the profile across the side, as far as the picture goes (a page may nearly touch the frame)
        int lo = reach + 1, hi = -reach - 2;
        for (int k = -reach - 1; k <= reach + 1; ++k) {
            cv::Point2f at = c + n * float(k);
            if (at.x >= 0 && at.y >= 0 && at.x < float(gray.cols - 1) && at.y < float(gray.rows - 1)) {
                profile[size_t(k + reach + 1)] = sample(gray, at);
                lo = std::min(lo, k), hi = std::max(hi, k);
            }
        }
        if (hi - lo < 4) continue;
        for (int polarity = 0; polarity < 2; ++polarity) {
            float sign = polarity == 0 ? 1.f : -1.f;
            auto step = [&](int k) {
                if (k - 1 < lo || k + 1 > hi) return 0.f;
                return sign * (profile[size_t(k + reach + 2)] - profile[size_t(k + reach)]);
            };
            // local maxima of the step, strongest first
            std::vector<std::pair<float, int>> peaks;
            for (int k = -reach; k <= reach; ++k) {
                float v = step(k);
                if (v >= kMinEdgeStep && v >= step(k - 1) && v > step(k + 1)) peaks.push_back({v, k});
            }
            std::sort(peaks.begin(), peaks.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
            if (peaks.size() > kPeaksPerSample) peaks.resize(kPeaksPerSample);
            for (auto [v, k] : peaks) {
                float a = step(k - 1), c2 = step(k + 1);
                float curvature = a - 2 * v + c2;
                float offset = curvature < 0 ? 0.5f * (a - c2) / curvature : 0.f;
                candidates[size_t(polarity)][size_t(i)].push_back(c + n * (float(k) + offset));
            }
        }
    }
    std::optional<Side> best;
    for (const auto& samples : candidates) {
        // a narrow window leaves few wrong candidates: fewer draws find the line
        auto side = fit_support(samples, reach <= 4 ? kRansacIterations / 4 : kRansacIterations);
        if (side && (!best || side->support > best->support)) best = side;
    }
    return best;
}

std::optional<cv::Point2f> intersect(const cv::Vec4f& a, const cv::Vec4f& b) {
    double det = double(b[0]) * a[1] - double(a[0]) * b[1];
    if (std::abs(det) < 1e-9) return std::nullopt;
    double dx = b[2] - a[2], dy = b[3] - a[3];
    double s = (b[0] * dy - b[1] * dx) / det;
    return cv::Point2f(float(a[2] + s * a[0]), float(a[3] + s * a[1]));
}

// the quad (full-resolution pixels) moved onto the document's edges, with the weakest side's
// support; nullopt when a side has no edge to speak of
std::optional<std::pair<Quad, float>> refine(const cv::Mat& gray, const Quad& quad, float search, float search_share) {
    std::array<Side, 4> sides;
    float weakest = 1;
    for (size_t i = 0; i < 4; ++i) {
        float reach = search + search_share * float(length(quad[i], quad[(i + 1) % 4]));
        auto side = measure_side(gray, quad[i], quad[(i + 1) % 4], reach);
        if (!side) return std::nullopt;
        sides[i] = *side;
        weakest = std::min(weakest, side->support);
    }
    Quad refined;
    for (size_t i = 0; i < 4; ++i) {
        auto corner = intersect(sides[(i + 3) % 4].line, sides[i].line);
        if (!corner || length(*corner, quad[i]) > 4 * search + 0.1 * length(quad[i], quad[(i + 1) % 4])) return std::nullopt;
        refined[i] = *corner;
    }
    return std::pair{refined, weakest};
}

// a convex quad approximating the contour's hull, or its minimum-area rectangle when the hull is a
// rounded rectangle that no polygon of 4 vertices fits
std::optional<Quad> quad_of(const std::vector<cv::Point>& contour) {
    std::vector<cv::Point> hull;
    cv::convexHull(contour, hull);
    double perimeter = cv::arcLength(hull, true);
    for (double eps : {0.02, 0.03, 0.045, 0.06}) {
        std::vector<cv::Point> poly;
        cv::approxPolyDP(hull, poly, eps * perimeter, true);
        if (poly.size() < 4) break;
        if (poly.size() == 4 && cv::isContourConvex(poly)) {
            std::vector<cv::Point2f> pts(poly.begin(), poly.end());
            return order_corners(pts);
        }
    }
    cv::RotatedRect box = cv::minAreaRect(hull);
    if (cv::contourArea(hull) < 0.9 * box.size.area()) return std::nullopt;
    std::vector<cv::Point2f> pts(4);
    box.points(pts.data());
    return order_corners(pts);
}

bool contains(const Quad& q, cv::Point2f p) {
    return cv::pointPolygonTest(std::vector<cv::Point2f>(q.begin(), q.end()), p, false) >= 0;
}

// a full-resolution point at the working scale
std::optional<cv::Point2f> to_working_scale(std::optional<cv::Point2f> p, double scale) {
    if (!p) return std::nullopt;
    return (*p + cv::Point2f(0.5f, 0.5f)) * float(scale) - cv::Point2f(0.5f, 0.5f);
}

struct Candidate {
    Quad quad;
    float coverage = 0; // the weakest side's share on edge pixels at the working scale
    float support = 0; // the weakest side's share of samples on its edge (once measured)
    float aspect = 0;
    float outline_score = 0;
    float area_fraction = 0;
    double rank = 0;
};

bool along_border(cv::Point2f a, cv::Point2f b, cv::Size size) {
    auto near = [&](float v, float edge) { return std::abs(v - edge) <= kBorderPx; };
    return (near(a.x, 0) && near(b.x, 0)) || (near(a.y, 0) && near(b.y, 0)) ||
           (near(a.x, float(size.width - 1)) && near(b.x, float(size.width - 1))) ||
           (near(a.y, float(size.height - 1)) && near(b.y, float(size.height - 1)));
}

std::optional<Candidate> evaluate(const Quad& q, cv::Size size) {
    std::vector<cv::Point2f> poly(q.begin(), q.end());
    double area = cv::contourArea(poly);
    double fraction = area / (double(size.width) * size.height);
    if (fraction < kMinAreaFraction || !cv::isContourConvex(poly)) return std::nullopt;
    double worst = 0;
    for (size_t i = 0; i < 4; ++i) {
        if (along_border(q[i], q[(i + 1) % 4], size)) return std::nullopt;
        worst = std::max(worst, std::abs(90 - angle_deg(q[(i + 3) % 4], q[i], q[(i + 1) % 4])));
    }
    if (worst > kMaxAngleDeviation) return std::nullopt;
    double horizontal = (length(q[0], q[1]) + length(q[3], q[2])) / 2;
    double vertical = (length(q[0], q[3]) + length(q[1], q[2])) / 2;
    // documents lie landscape in the picture: the portrait on them must be upright for the face
    // detector, and a taller quad is more often a photo, a window or a screen on the document's page
    if (vertical > horizontal) return std::nullopt;
    float aspect = float(horizontal / std::max(1.0, vertical));
    float proportions = proportion_score(aspect);
    if (proportions <= 0) return std::nullopt;
    Candidate c;
    c.quad = q;
    c.aspect = aspect;
    c.area_fraction = float(fraction);
    c.outline_score = proportions * float(1 - worst / kMaxAngleDeviation / 2);
    return c;
}

void add_candidates(const cv::Mat& binary, int mode, cv::Size size, std::vector<Candidate>& out) {
    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(binary, contours, mode, cv::CHAIN_APPROX_NONE);
    double min_area = kMinAreaFraction * size.area();
    for (const auto& contour : contours) {
        if (contour.size() < 20) continue;
        cv::Rect bounds = cv::boundingRect(contour);
        if (bounds.area() < min_area) continue; // cheap test before the hull
        if (auto quad = quad_of(contour)) {
            if (auto candidate = evaluate(*quad, size)) out.push_back(*candidate);
        }
    }
}

// straight edges of the picture (working scale), collinear pieces merged: a document's side broken
// by a thumb or by a paper of the same colour still gives one line
struct EdgeLine {
    cv::Vec4f line; // direction, point
    float length = 0; // summed length of its pieces
};

std::vector<EdgeLine> straight_edges(const cv::Mat& edges) {
    std::vector<cv::Vec4i> segments;
    double min_length = kMinSegmentShare * std::min(edges.cols, edges.rows);
    cv::HoughLinesP(edges, segments, 1, CV_PI / 180, 50, min_length, 8);
    std::sort(segments.begin(), segments.end(), [](const cv::Vec4i& a, const cv::Vec4i& b) {
        return std::hypot(a[2] - a[0], a[3] - a[1]) > std::hypot(b[2] - b[0], b[3] - b[1]);
    });
    std::vector<EdgeLine> lines;
    for (const auto& segment : segments) {
        cv::Point2f a{float(segment[0]), float(segment[1])}, b{float(segment[2]), float(segment[3])};
        float len = float(length(a, b));
        cv::Vec4f line((b.x - a.x) / len, (b.y - a.y) / len, a.x, a.y);
        bool merged = false;
        for (auto& l : lines) {
            bool parallel = std::abs(l.line[0] * line[1] - l.line[1] * line[0]) < std::sin(kSameLineDeg * CV_PI / 180);
            if (parallel && distance_to(l.line, a) < kSameLineOffsetPx && distance_to(l.line, b) < kSameLineOffsetPx) {
                l.length += len;
                merged = true;
                break;
            }
        }
        if (!merged) lines.push_back({line, len});
    }
    std::sort(lines.begin(), lines.end(), [](const EdgeLine& a, const EdgeLine& b) { return a.length > b.length; });
    return lines;
}

// quads of two roughly horizontal and two roughly vertical straight edges
void add_line_candidates(const cv::Mat& edges, cv::Size size, std::vector<Candidate>& out) {
    // the longest of each direction: a striped table must not crowd the document's sides out
    std::vector<cv::Vec4f> horizontal, vertical;
    for (const auto& l : straight_edges(edges)) {
        auto& group = std::abs(l.line[0]) >= std::abs(l.line[1]) ? horizontal : vertical;
        if (group.size() < kEdgeLinesPerDirection) group.push_back(l.line);
    }
    for (size_t t = 0; t < horizontal.size(); ++t) {
        for (size_t b = t + 1; b < horizontal.size(); ++b) {
            for (size_t l = 0; l < vertical.size(); ++l) {
                for (size_t r = l + 1; r < vertical.size(); ++r) {
                    std::array<cv::Vec4f, 4> sides = {horizontal[t], vertical[r], horizontal[b], vertical[l]};
                    std::vector<cv::Point2f> corners;
                    for (size_t k = 0; k < 4; ++k) {
                        auto corner = intersect(sides[(k + 3) % 4], sides[k]);
                        if (!corner) break;
                        corners.push_back(*corner);
                    }
                    if (corners.size() < 4 || !cv::isContourConvex(corners)) continue;
                    if (auto candidate = evaluate(order_corners(corners), size)) out.push_back(*candidate);
                }
            }
        }
    }
}

// the share of the weakest side of `q` that runs along edge pixels (within a tolerance that lets a
// polygon cut a rounded corner): outlines the picture really has rank before shapes made up of a
// contour's hull. edge_distance: each pixel's distance to the nearest edge pixel.
float edge_coverage(const cv::Mat& edge_distance, const Quad& q) {
    constexpr int kSamples = 40;
    float weakest = 1;
    for (size_t i = 0; i < 4; ++i) {
        float tolerance = 2.f + 0.015f * float(length(q[i], q[(i + 1) % 4]));
        int on = 0;
        for (int k = 0; k < kSamples; ++k) {
            cv::Point2f p = q[i] + (q[(i + 1) % 4] - q[i]) * (0.05f + 0.9f * float(k) / (kSamples - 1));
            cv::Point pi(int(std::lround(p.x)), int(std::lround(p.y)));
            if (pi.inside(cv::Rect(0, 0, edge_distance.cols, edge_distance.rows)) && edge_distance.at<float>(pi) <= tolerance) ++on;
        }
        weakest = std::min(weakest, float(on) / kSamples);
    }
    return weakest;
}

std::vector<Candidate> find_candidates(const cv::Mat& gray) {
    std::vector<Candidate> out;
    cv::Size size = gray.size();
    cv::Mat blurred;
    cv::GaussianBlur(gray, blurred, cv::Size(5, 5), 0);
    // outlines: edges closed by a dilation, every contour (a card on a busy table is an inner one)
    cv::Mat kernel = cv::getStructuringElement(cv::MORPH_RECT, cv::Size(3, 3));
    cv::Mat edge_distance;
    for (auto [low, high] : {std::pair{30.0, 90.0}, std::pair{60.0, 180.0}}) {
        cv::Mat edges, closed;
        cv::Canny(blurred, edges, low, high);
        if (edge_distance.empty()) {
            // a cluttered scene merges the document's contour with its neighbours': its straight
            // sides are still there
            add_line_candidates(edges, size, out);
            cv::distanceTransform(~edges, edge_distance, cv::DIST_L2, 3);
        }
        cv::dilate(edges, closed, kernel);
        add_candidates(closed, cv::RETR_LIST, size, out);
    }
    // a bright page on a darker background (or a dark card on a light one) whose edge is too soft
    // for Canny: Otsu's split of the whole picture, both ways round
    cv::Mat bright;
    cv::threshold(blurred, bright, 0, 255, cv::THRESH_BINARY | cv::THRESH_OTSU);
    cv::Mat close_kernel = cv::getStructuringElement(cv::MORPH_RECT, cv::Size(9, 9));
    for (bool invert : {false, true}) {
        cv::Mat mask = invert ? ~bright : bright.clone();
        cv::morphologyEx(mask, mask, cv::MORPH_OPEN, close_kernel);
        cv::morphologyEx(mask, mask, cv::MORPH_CLOSE, close_kernel);
        add_candidates(mask, cv::RETR_EXTERNAL, size, out);
    }
    for (auto& c : out) {
        c.coverage = edge_coverage(edge_distance, c.quad);
        c.rank = (0.3 + 0.7 * c.coverage) * c.outline_score + 0.2 * std::min(1.0, c.area_fraction / 0.5);
    }
    return out;
}

// the candidates to measure at full resolution: the best ranked, and the largest well-covered ones
// (perspective can make a document's true outline look worse proportioned than a rectangle printed
// on it); each outline once, though the passes find most several times
std::vector<const Candidate*> worth_measuring(const std::vector<Candidate>& candidates, std::optional<cv::Point2f> inside) {
    std::vector<const Candidate*> by_rank, by_area, around;
    for (const auto& c : candidates) {
        by_rank.push_back(&c);
        if (c.coverage >= kLargeMinCoverage) by_area.push_back(&c);
        if (inside && contains(c.quad, *inside)) around.push_back(&c);
    }
    std::sort(around.begin(), around.end(), [](const Candidate* a, const Candidate* b) { return a->rank > b->rank; });
    std::sort(by_rank.begin(), by_rank.end(), [](const Candidate* a, const Candidate* b) { return a->rank > b->rank; });
    std::sort(by_area.begin(), by_area.end(), [](const Candidate* a, const Candidate* b) { return a->area_fraction > b->area_fraction; });
    std::vector<const Candidate*> out;
    auto pick = [&](const std::vector<const Candidate*>& from, size_t count) {
        size_t added = 0;
        for (const Candidate* c : from) {
            if (added == count) break;
            bool seen = std::any_of(out.begin(), out.end(), [&](const Candidate* t) {
                for (size_t k = 0; k < 4; ++k) {
                    if (length(t->quad[k], c->quad[k]) > kSameCornerPx) return false;
                }
                return true;
            });
            if (!seen) out.push_back(c), ++added;
        }
    };
    pick(by_rank, kMaxRefined);
    pick(by_area, kMaxLargeRefined);
    pick(around, kMaxAroundRefined);
    return out;
}

// a working-scale candidate moved onto the full-resolution edges and judged again; nullopt when its
// sides are not edges of the picture
std::optional<Candidate> measure(const cv::Mat& full_gray, const Candidate& c, double scale) {
    Quad coarse;
    for (size_t k = 0; k < 4; ++k) {
        // pixel centres: working pixel x covers source [x / scale, (x + 1) / scale)
        coarse[k] = (c.quad[k] + cv::Point2f(0.5f, 0.5f)) * float(1 / scale) - cv::Point2f(0.5f, 0.5f);
    }
    // the coarse quad may be off by a few percent (a rounded corner cut, a thumb merged with the
    // outline): search widely, then once more narrowly around the edges found
    float search = float(2 / scale + 3);
    auto refined = refine(full_gray, coarse, search, kCoarseSearchShare);
    if (!refined || refined->second < kMinSupport) return std::nullopt;
    // the wide pass's support counts: in a narrow window any texture has steps on the line
    float wide_support = refined->second;
    refined = refine(full_gray, refined->first, 2, 0);
    if (!refined) return std::nullopt;
    auto out = evaluate(refined->first, full_gray.size());
    if (!out || length(out->quad[0], out->quad[1]) < kMinOutlinePx) return std::nullopt;
    out->support = std::min(refined->second, wide_support);
    out->rank = out->outline_score * out->support + 0.2 * std::min(1.0, double(out->area_fraction) / 0.5);
    return out;
}

// the best measured quad, or a larger one around it with well-supported edges: a document's outline
// is its outermost edge, and the lines inside it (a header band, the MRZ band's edge) make quads of
// document proportions too, cards and pages differing in proportions. the outer quad's proportions
// may look worse (perspective), so its edges decide, not its rank.
std::optional<Candidate> outermost_best(const std::vector<Candidate>& measured, std::optional<cv::Point2f> inside) {
    const Candidate* best = nullptr;
    for (const auto& c : measured) {
        if (inside && !contains(c.quad, *inside)) continue;
        if (!best || c.rank > best->rank) best = &c;
    }
    if (!best) return std::nullopt;
    const Candidate* chosen = best;
    for (const auto& c : measured) {
        std::vector<cv::Point2f> outer(c.quad.begin(), c.quad.end());
        bool contains_chosen = std::all_of(chosen->quad.begin(), chosen->quad.end(), [&](cv::Point2f p) {
            return cv::pointPolygonTest(outer, p, true) > -kContainSlackPx;
        });
        if (contains_chosen && c.support >= kOuterSupportShare * chosen->support && c.area_fraction > best->area_fraction) best = &c;
    }
    return *best;
}

LocatedDocument whole_image(const cv::Mat& bgr) {
    LocatedDocument doc;
    float w = float(bgr.cols), h = float(bgr.rows);
    doc.corners = {cv::Point2f(0, 0), cv::Point2f(w, 0), cv::Point2f(w, h), cv::Point2f(0, h)};
    doc.aspect = std::max(w, h) / std::min(w, h);
    doc.shape = shape_from_aspect(doc.aspect);
    doc.area_fraction = 1;
    double s = kRectifiedLongSide / double(std::max(bgr.cols, bgr.rows));
    cv::resize(bgr, doc.rectified, cv::Size(), s, s, s < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
    doc.homography = cv::Matx33d(doc.rectified.cols / double(bgr.cols), 0, 0, 0, doc.rectified.rows / double(bgr.rows),
                                 0, 0, 0, 1);
    return doc;
}

cv::Point2f apply(const cv::Matx33d& h, cv::Point2f p) {
    cv::Vec3d v = h * cv::Vec3d(p.x, p.y, 1);
    double w = std::abs(v[2]) < 1e-12 ? 1e-12 : v[2];
    return cv::Point2f(float(v[0] / w), float(v[1] / w));
}

} // namespace

std::string_view document_shape_name(DocumentShape shape) {
    switch (shape) {
    case DocumentShape::CARD: return "CARD";
    case DocumentShape::PAGE: return "PAGE";
    case DocumentShape::UNKNOWN: break;
    }
    return "UNKNOWN";
}

float proportion_score(float aspect) {
    float d = std::min(std::abs(aspect - kCardAspect), std::abs(aspect - kPageAspect));
    float r = d / kAspectTolerance;
    return std::max(0.f, 1.f - r * r);
}

DocumentShape shape_from_aspect(float aspect) {
    if (proportion_score(aspect) <= 0) return DocumentShape::UNKNOWN;
    return aspect >= kCardPageBoundary ? DocumentShape::CARD : DocumentShape::PAGE;
}

cv::Point2f LocatedDocument::to_document(cv::Point2f image_point) const { return apply(homography, image_point); }

cv::Point2f LocatedDocument::to_image(cv::Point2f document_point) const {
    return apply(homography.inv(), document_point);
}

bool LocatedDocument::contains(cv::Point2f image_point, float margin) const {
    cv::Point2f p = to_document(image_point);
    float mx = margin * float(rectified.cols), my = margin * float(rectified.rows);
    return p.x >= -mx && p.y >= -my && p.x <= float(rectified.cols) + mx && p.y <= float(rectified.rows) + my;
}

LocatedDocument locate_document(const cv::Mat& bgr, std::optional<cv::Point2f> inside) {
    if (bgr.empty()) return {};
    double scale = std::min(1.0, kWorkingSide / std::max(bgr.cols, bgr.rows));
    cv::Mat small, gray;
    cv::resize(bgr, small, cv::Size(), scale, scale, cv::INTER_AREA);
    cv::cvtColor(small, gray, cv::COLOR_BGR2GRAY);
    auto candidates = find_candidates(gray);
    if (candidates.empty()) return whole_image(bgr);

    // the working scale finds the outline; the full resolution places it
    cv::Mat full_gray;
    cv::cvtColor(bgr, full_gray, cv::COLOR_BGR2GRAY);
    std::vector<Candidate> measured;
    for (const Candidate* c : worth_measuring(candidates, to_working_scale(inside, scale))) {
        if (auto m = measure(full_gray, *c, scale)) measured.push_back(*m);
    }
    auto best = outermost_best(measured, inside);
    if (!best) return whole_image(bgr);

    LocatedDocument doc = document_at(bgr, best->quad, best->aspect);
    doc.outline_score = best->outline_score;
    doc.edge_support = best->support;
    doc.area_fraction = best->area_fraction;
    return doc;
}

cv::Mat rectify_scaled(const cv::Mat& bgr, const LocatedDocument& doc, double scale, cv::Matx33d& to_scaled) {
    to_scaled = cv::Matx33d(scale, 0, 0, 0, scale, 0, 0, 0, 1) * doc.homography;
    const cv::Size size(int(std::lround(doc.rectified.cols * scale)), int(std::lround(doc.rectified.rows * scale)));
    cv::Mat out;
    cv::warpPerspective(bgr, out, cv::Mat(to_scaled), size, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    return out;
}

double native_scale(const LocatedDocument& doc, double max_scale) {
    double longest = 0;
    for (size_t i = 0; i < 4; ++i) longest = std::max(longest, length(doc.corners[i], doc.corners[(i + 1) % 4]));
    return std::clamp(longest / kRectifiedLongSide, 1.0, max_scale);
}

LocatedDocument document_at(const cv::Mat& bgr, const std::array<cv::Point2f, 4>& corners, float aspect) {
    LocatedDocument doc;
    doc.outline_found = true;
    doc.corners = corners;
    doc.aspect = aspect;
    doc.shape = shape_from_aspect(aspect);
    cv::Size size(kRectifiedLongSide, int(std::lround(kRectifiedLongSide / aspect)));
    std::array<cv::Point2f, 4> target = {cv::Point2f(0, 0), cv::Point2f(float(size.width), 0),
                                         cv::Point2f(float(size.width), float(size.height)),
                                         cv::Point2f(0, float(size.height))};
    cv::Mat h = cv::getPerspectiveTransform(doc.corners.data(), target.data());
    doc.homography = cv::Matx33d(h);
    cv::warpPerspective(bgr, doc.rectified, h, size, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    return doc;
}

} // namespace facegate
