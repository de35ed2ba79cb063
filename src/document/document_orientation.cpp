// SPDX-License-Identifier: MIT
#include "document/document_orientation.h"

#include "document/document_locator.h"
#include "document/mrz_reader.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

namespace facegate {

namespace {

constexpr int kAngleSize = 800;    // long side the print's direction is measured at
constexpr int kBins = 90;          // one degree each, modulo 90
constexpr float kUpright = 1.5f;   // degrees: a print this close to upright was read upright already
constexpr int kTrySize = 1200;     // long side the turns are tried at
constexpr float kSameTurn = 3.0f;  // degrees: a quarter turn this close to a hint is that hint
constexpr float kPi = 3.14159265f;

enum class TurnRead { READS, ZONE_SEEN, NOTHING };

// whether the MRZ of a turned picture reads: on the picture itself (a scan) or on the outline located
// on it (a photo, whose zone is small and in perspective)
TurnRead mrz_reads(const cv::Mat& turned) {
    const MrzReadResult whole = read_mrz(turned);
    if (whole.readable()) return TurnRead::READS;
    const LocatedDocument doc = locate_document(turned, std::nullopt);
    if (!doc.outline_found) return whole.band_found ? TurnRead::ZONE_SEEN : TurnRead::NOTHING;
    const MrzReadResult on_page = read_mrz(doc.rectified);
    if (on_page.readable()) return TurnRead::READS;
    return whole.band_found || on_page.band_found ? TurnRead::ZONE_SEEN : TurnRead::NOTHING;
}

} // namespace

float print_angle_mod90(const cv::Mat& gray) {
    if (gray.empty()) return 0;
    cv::Mat small = gray;
    const float scale = std::min(1.0f, float(kAngleSize) / float(std::max(gray.cols, gray.rows)));
    if (scale < 1) cv::resize(gray, small, {}, scale, scale, cv::INTER_AREA);
    // small dark detail (print), not the shading of the scene
    cv::Mat print, gx, gy;
    cv::morphologyEx(small, print, cv::MORPH_BLACKHAT, cv::getStructuringElement(cv::MORPH_ELLIPSE, {9, 9}));
    cv::Sobel(print, gx, CV_32F, 1, 0, 3);
    cv::Sobel(print, gy, CV_32F, 0, 1, 3);
    std::array<double, kBins> histogram{};
    for (int y = 0; y < gx.rows; ++y) {
        const float* px = gx.ptr<float>(y);
        const float* py = gy.ptr<float>(y);
        for (int x = 0; x < gx.cols; ++x) {
            const float m2 = px[x] * px[x] + py[x] * py[x];
            if (m2 < 400) continue; // flat
            float a = std::atan2(py[x], px[x]) * 180 / kPi; // -180..180
            a = std::fmod(a + 360.0f, 90.0f);
            histogram[size_t(int(a) % kBins)] += std::sqrt(m2);
        }
    }
    // smoothed around the circle, then the peak refined by a parabola through its neighbours
    std::array<double, kBins> smooth{};
    for (int i = 0; i < kBins; ++i)
        for (int d = -2; d <= 2; ++d) smooth[size_t(i)] += histogram[size_t((i + d + kBins) % kBins)] * (3 - std::abs(d));
    int peak = 0;
    for (int i = 1; i < kBins; ++i)
        if (smooth[size_t(i)] > smooth[size_t(peak)]) peak = i;
    const double l = smooth[size_t((peak + kBins - 1) % kBins)], c = smooth[size_t(peak)], r = smooth[size_t((peak + 1) % kBins)];
    const double denom = l - 2 * c + r;
    const float offset = denom < 0 ? float(0.5 * (l - r) / denom) : 0.0f;
    float angle = float(peak) + 0.5f + offset; // bin centres
    if (angle > 45) angle -= 90;
    return angle;
}

TurnedPicture turn_picture(const cv::Mat& bgr, float degrees) {
    const cv::Point2f centre(float(bgr.cols) / 2, float(bgr.rows) / 2);
    cv::Mat m = cv::getRotationMatrix2D(centre, degrees, 1.0);
    const cv::Rect2f bounds = cv::RotatedRect(centre, cv::Size2f(float(bgr.cols), float(bgr.rows)), -degrees).boundingRect2f();
    const cv::Size size(int(std::lround(bounds.width)), int(std::lround(bounds.height)));
    m.at<double>(0, 2) += size.width / 2.0 - centre.x;
    m.at<double>(1, 2) += size.height / 2.0 - centre.y;
    TurnedPicture out;
    cv::warpAffine(bgr, out.bgr, m, size, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    out.forward = cv::Matx23d(m);
    cv::Mat inverse;
    cv::invertAffineTransform(m, inverse);
    out.back = cv::Matx23d(inverse);
    return out;
}

std::optional<float> find_mrz_turn(const cv::Mat& bgr, const std::vector<float>& hints) {
    // cheaply: on a smaller copy (the turn found is then applied to the full picture)
    cv::Mat small = bgr;
    const float scale = std::min(1.0f, float(kTrySize) / float(std::max(bgr.cols, bgr.rows)));
    if (scale < 1) cv::resize(bgr, small, {}, scale, scale, cv::INTER_AREA);
    cv::Mat gray;
    if (small.channels() == 3) cv::cvtColor(small, gray, cv::COLOR_BGR2GRAY);
    else gray = small;
    const float angle = print_angle_mod90(gray);
    std::vector<float> turns;
    for (int k = 0; k < 4; ++k) {
        if (k == 0 && std::abs(angle) < kUpright) continue;
        float t = angle + 90.0f * float(k);
        if (t > 180) t -= 360;
        turns.push_back(t);
    }
    // sideways first (the commonest way a phone turns a photo), upside down last
    std::stable_sort(turns.begin(), turns.end(), [](float a, float b) {
        auto rank = [](float t) { return std::abs(std::abs(t) - 90.0f) < 45.0f ? 0 : std::abs(t) < 45 ? 1 : 2; };
        return rank(a) < rank(b);
    });
    // the hints first (but the picture as it came, read already), then the quarter turns not within
    // a few degrees of one of them
    std::vector<float> tried;
    for (float h : hints)
        if (std::abs(std::remainder(h, 360.0f)) >= kSameTurn) tried.push_back(h);
    for (float t : turns) {
        const bool near_hint = std::any_of(hints.begin(), hints.end(), [&](float h) {
            const float d = std::abs(std::remainder(t - h, 360.0f));
            return d < kSameTurn;
        });
        if (!near_hint) tried.push_back(t);
    }
    std::vector<float> seen;
    for (float t : tried) {
        const TurnRead r = mrz_reads(turn_picture(small, t).bgr);
        if (r == TurnRead::READS) return t;
        if (r == TurnRead::ZONE_SEEN) seen.push_back(t);
    }
    // a zone seen on the smaller copy but not read there may read at full resolution (small glyphs:
    // an ID card's MRZ far from the camera). only those turns: a picture with no zone (a selfie)
    // pays nothing more
    if (scale < 1) {
        for (float t : seen) {
            if (mrz_reads(turn_picture(bgr, t).bgr) == TurnRead::READS) return t;
        }
    }
    return std::nullopt;
}

} // namespace facegate
