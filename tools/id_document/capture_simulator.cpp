// SPDX-License-Identifier: MIT
// the phone: placement, perspective, light, focus, noise and JPEG
#include "id_document/capture_simulator.h"

#include "common/error.h"
#include "id_document/smooth_field.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace facegate {

namespace {

using Uniform = std::uniform_real_distribution<double>;

void validate(const cv::Mat& document, float corner_radius, const CaptureOptions& o) {
    auto fail = [](const char* what) { throw Error(ErrorCode::INVALID_PARAMETER, what); };
    if (document.empty() || document.type() != CV_8UC3) fail("the document must be an 8-bit BGR image");
    if (!(corner_radius >= 0 && 2 * corner_radius <= std::min(document.cols, document.rows))) {
        fail("the corner radius must be 0 to half the document's shorter side");
    }
    if (o.output_size.width < 64 || o.output_size.height < 64) fail("the capture must be at least 64x64");
    if (!(o.min_fill > 0 && o.min_fill <= o.max_fill && o.max_fill <= 1)) fail("fill must satisfy 0 < min <= max <= 1");
    if (!(o.max_corner_jitter >= 0 && o.max_corner_jitter <= 0.25)) fail("corner jitter must be 0-0.25");
    if (!(o.max_rotation_deg >= 0 && o.max_rotation_deg <= 180)) fail("rotation must be 0-180 degrees");
    if (!(o.min_tilt_deg >= 0 && o.min_tilt_deg <= o.max_tilt_deg && o.max_tilt_deg <= 60)) {
        fail("tilt must satisfy 0 <= min <= max <= 60 degrees");
    }
    if (!(o.min_contrast >= 0.2 && o.min_contrast <= o.max_contrast && o.max_contrast <= 1)) {
        fail("contrast must satisfy 0.2 <= min <= max <= 1");
    }
    if (!(o.hand_probability >= 0 && o.hand_probability <= 1)) fail("the hand's probability must be 0-1");
    if (!(o.max_blur_sigma >= 0 && o.max_blur_sigma <= 10)) fail("blur sigma must be 0-10");
    if (!(o.max_noise_sigma >= 0 && o.max_noise_sigma <= 50)) fail("noise sigma must be 0-50");
    if (!(o.min_jpeg_quality >= 1 && o.min_jpeg_quality <= o.max_jpeg_quality && o.max_jpeg_quality <= 100)) {
        fail("JPEG quality must satisfy 1 <= min <= max <= 100");
    }
}

cv::Rect2f bounds(const std::array<cv::Point2f, 4>& quad) {
    float x0 = quad[0].x, y0 = quad[0].y, x1 = x0, y1 = y0;
    for (const auto& p : quad) {
        x0 = std::min(x0, p.x), y0 = std::min(y0, p.y), x1 = std::max(x1, p.x), y1 = std::max(y1, p.y);
    }
    return {x0, y0, x1 - x0, y1 - y0};
}

// a phone's focal length in pixels: about 65 degrees across the frame's width
double focal_length(const CaptureOptions& o) { return 0.5 * o.output_size.width / std::tan(32.5 * CV_PI / 180); }

// where the document lands: rotated, corners jittered, seen tilted by `tilt_deg` about the axis at
// `tilt_axis_deg` in its plane (0: no tilt), scaled to fit and placed at random in the frame
std::array<cv::Point2f, 4> place_document(cv::Size document, const CaptureOptions& o, double rotation_deg,
                                          double jitter, double tilt_deg, double tilt_axis_deg, std::mt19937& rng) {
    const double width = Uniform(o.min_fill, o.max_fill)(rng) * o.output_size.width;
    const double height = width * document.height / document.width;
    const double angle = rotation_deg * CV_PI / 180, c = std::cos(angle), s = std::sin(angle);
    const cv::Point2d unit[4] = {{-0.5, -0.5}, {0.5, -0.5}, {0.5, 0.5}, {-0.5, 0.5}};
    Uniform shift(-jitter, jitter);
    // the camera model: the plane turned by tilt about the unit axis (ax, ay, 0) (Rodrigues), seen from
    // the focal length away, so that the document's centre keeps its scale
    const double t = tilt_deg * CV_PI / 180, ax = std::cos(tilt_axis_deg * CV_PI / 180),
                 ay = std::sin(tilt_axis_deg * CV_PI / 180), ct = std::cos(t), st = std::sin(t);
    const double f = focal_length(o);
    std::array<cv::Point2f, 4> quad;
    for (int i = 0; i < 4; ++i) {
        // jitter in the document's own frame, then rotate: like tilting the phone
        double x = (unit[i].x + shift(rng)) * width, y = (unit[i].y + shift(rng)) * height;
        double rx = x * c - y * s, ry = x * s + y * c;
        if (tilt_deg > 0) {
            // v' = v cos t + (k x v) sin t + k (k . v)(1 - cos t), with v = (rx, ry, 0): k x v = (0, 0, ax ry - ay rx)
            const double dot = rx * ax + ry * ay;
            const double px = rx * ct + ax * dot * (1 - ct);
            const double py = ry * ct + ay * dot * (1 - ct);
            const double pz = (ax * ry - ay * rx) * st;
            const double k = f / (f + pz);
            rx = px * k, ry = py * k;
        }
        quad[size_t(i)] = cv::Point2f(float(rx), float(ry));
    }
    // shrink to leave a margin inside the frame, then choose the centre among the places that fit
    const float margin = 0.03f * float(std::min(o.output_size.width, o.output_size.height));
    cv::Rect2f box = bounds(quad);
    float fit = std::min({1.f, (o.output_size.width - 2 * margin) / box.width, (o.output_size.height - 2 * margin) / box.height});
    for (auto& p : quad) p *= fit;
    box = cv::Rect2f(box.x * fit, box.y * fit, box.width * fit, box.height * fit);
    auto between = [&rng](float lo, float hi) { return float(Uniform(lo, std::max(lo, hi))(rng)); };
    float cx = between(margin - box.x, o.output_size.width - margin - box.br().x);
    float cy = between(margin - box.y, o.output_size.height - margin - box.br().y);
    for (auto& p : quad) p += cv::Point2f(cx, cy);
    return quad;
}

// the document's outline in its own pixels: the rectangle, its corners rounded with radius r
std::vector<cv::Point2f> outline(cv::Size size, float r) {
    float w = float(size.width), h = float(size.height);
    if (r < 0.5f) return {{0, 0}, {w, 0}, {w, h}, {0, h}};
    const cv::Point2f centers[4] = {{w - r, r}, {w - r, h - r}, {r, h - r}, {r, r}};
    std::vector<cv::Point2f> points;
    constexpr int kSteps = 8; // per quarter circle
    for (int corner = 0; corner < 4; ++corner) {
        for (int i = 0; i <= kSteps; ++i) {
            double a = (corner - 1 + double(i) / kSteps) * CV_PI / 2; // -90 deg at the top-right, clockwise
            points.emplace_back(centers[corner] + cv::Point2f(float(std::cos(a)), float(std::sin(a))) * r);
        }
    }
    return points;
}

// a `size` view into `buffer`, grown to `capacity` when too small: the views of successive captures
// differ in size, the buffer stays
cv::Mat view(cv::Mat& buffer, cv::Size capacity, cv::Size size, int type) {
    if (buffer.type() != type || buffer.cols < size.width || buffer.rows < size.height) buffer.create(capacity, type);
    return buffer(cv::Rect(cv::Point(0, 0), size));
}

// the document's coverage of `roi` (0-255, anti-aliased edges) drawn into `alpha`: its outline mapped
// by `warp` and filled. cheaper than warping a mask image
void coverage(cv::Size document, float corner_radius, const cv::Matx33d& warp, const cv::Rect& roi, cv::Mat& alpha) {
    std::vector<cv::Point2f> mapped;
    cv::perspectiveTransform(outline(document, corner_radius), mapped, warp);
    constexpr int kShift = 4; // sub-pixel vertices
    std::vector<cv::Point> polygon;
    for (const auto& p : mapped) {
        polygon.emplace_back(cvRound((p.x - roi.x) * (1 << kShift)), cvRound((p.y - roi.y) * (1 << kShift)));
    }
    alpha.setTo(0);
    cv::fillPoly(alpha, std::vector<std::vector<cv::Point>>{polygon}, cv::Scalar(255), cv::LINE_AA, kShift);
}

// pastes `warped` (covering `roi` of the scene) where `alpha` (0-255, anti-aliased at the edges) covers it
void composite(cv::Mat& scene, const cv::Mat& warped, const cv::Mat& alpha, const cv::Rect& roi) {
    for (int y = 0; y < roi.height; ++y) {
        const uchar* a = alpha.ptr<uchar>(y);
        const cv::Vec3b* w = warped.ptr<cv::Vec3b>(y);
        cv::Vec3b* s = scene.ptr<cv::Vec3b>(roi.y + y) + roi.x;
        for (int x = 0; x < roi.width; ++x) {
            int k = a[x];
            if (k == 255) s[x] = w[x];
            else if (k > 0) {
                for (int c = 0; c < 3; ++c) s[x][c] = uchar((w[x][c] * k + s[x][c] * (255 - k) + 127) / 255);
            }
        }
    }
}

// smooth gain over the image: a gradient in a random direction, a vignette and sometimes a soft
// highlight, on a coarse grid; plus a colour cast (warm or cool light)
struct Lighting {
    SmoothField gain;
    cv::Vec3f cast;
};

Lighting make_lighting(cv::Size size, std::mt19937& rng) {
    cv::Size grid(32, 24);
    cv::Mat coarse(grid, CV_32F);
    double direction = Uniform(0, 2 * CV_PI)(rng);
    double low = Uniform(0.7, 0.95)(rng), high = Uniform(1.0, 1.12)(rng);
    double vignette = Uniform(0.08, 0.3)(rng);
    bool highlight = Uniform(0, 1)(rng) < 0.4;
    cv::Point2d spot(Uniform(0.2, 0.8)(rng), Uniform(0.2, 0.8)(rng));
    double spot_gain = Uniform(0.05, 0.15)(rng), spot_radius = Uniform(0.1, 0.25)(rng);
    double warmth = Uniform(-0.06, 0.08)(rng); // > 0: tungsten, < 0: daylight in shade
    cv::Point2d dir(std::cos(direction), std::sin(direction));
    for (int y = 0; y < grid.height; ++y) {
        for (int x = 0; x < grid.width; ++x) {
            cv::Point2d p((x + 0.5) / grid.width, (y + 0.5) / grid.height);
            double along = (p - cv::Point2d(0.5, 0.5)).dot(dir) + 0.5; // 0-1 across the frame, roughly
            double g = low + (high - low) * std::clamp(along, 0.0, 1.0);
            double r2 = (p.x - 0.5) * (p.x - 0.5) + (p.y - 0.5) * (p.y - 0.5);
            g *= 1 - vignette * r2 * 2;
            double d2 = (p - spot).dot(p - spot);
            if (highlight) g += spot_gain * std::exp(-d2 / (2 * spot_radius * spot_radius));
            coarse.at<float>(y, x) = float(g);
        }
    }
    return {SmoothField(coarse, size), cv::Vec3f(float(1 - warmth), 1.f, float(1 + warmth * 0.6))};
}

// one pass, one row at a time: light times pixel plus sensor noise (a luminance noise shared by the
// channels and a weaker chroma noise: closer to a demosaicked sensor than independent channels).
// millions of draws: normal samples come from a table indexed by a xorshift generator, not from
// std::normal_distribution, which would cost more than everything else here
void light_and_noise(cv::Mat& bgr, const Lighting& light, double noise_sigma, std::mt19937& rng) {
    constexpr uint32_t kTable = 4096;
    std::vector<float> normal(kTable);
    std::normal_distribution<float> gauss(0.f, std::max(1e-6f, float(noise_sigma)));
    for (auto& v : normal) v = gauss(rng);
    uint32_t state = uint32_t(rng()) | 1u;
    std::vector<float> gain(size_t(bgr.cols));
    const cv::Vec3f cast = light.cast;
    for (int y = 0; y < bgr.rows; ++y) {
        light.gain.row(y, gain.data());
        cv::Vec3b* p = bgr.ptr<cv::Vec3b>(y);
        for (int x = 0; x < bgr.cols; ++x) {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            float n = normal[state & (kTable - 1)], m = 0.5f * normal[(state >> 16) & (kTable - 1)];
            float g = gain[size_t(x)];
            p[x][0] = cv::saturate_cast<uchar>(p[x][0] * g * cast[0] + n + m);
            p[x][1] = cv::saturate_cast<uchar>(p[x][1] * g * cast[1] + n);
            p[x][2] = cv::saturate_cast<uchar>(p[x][2] * g * cast[2] + n - m);
        }
    }
}

// a generator for one optional effect, seeded from a copy of `rng`: `rng` itself draws nothing, so the
// capture with the effect is the capture without it, plus the effect
std::mt19937 fork(const std::mt19937& rng, uint32_t salt) {
    std::mt19937 copy = rng;
    std::seed_seq seq{uint32_t(copy()), uint32_t(copy()), salt};
    return std::mt19937(seq);
}

// the glare's shape in the flat document's pixels, around `target` (the MRZ): a streak crossing it
// a little off its ends, 1-3 characters wide; a reflection over a fifth to half of its length
CaptureGlare make_glare(const CaptureOptions& o, cv::Size document, std::mt19937 rng) {
    CaptureGlare g;
    cv::Rect2f target = o.glare_target;
    if (target.area() <= 0) target = cv::Rect2f(0, document.height * 2.f / 3, float(document.width), document.height / 3.f);
    const float cy = target.y + target.height / 2;
    auto u = [&rng](double lo, double hi) { return float(Uniform(lo, hi)(rng)); };
    g.streak = o.glare_streak;
    g.streak_point = {target.x + target.width * u(0.15, 0.85), cy + target.height * u(-0.3, 0.3)};
    g.streak_angle_deg = u(35, 90) * (u(0, 1) < 0.5 ? -1.f : 1.f);
    g.streak_sigma = target.width * u(0.012, 0.03);
    g.streak_peak = u(0.6, 0.85);
    g.reflection = o.laminate_reflection;
    cv::Point2f centre(target.x + target.width * u(0.1, 0.9), target.y + target.height * u(0, 1));
    g.reflection_ellipse = cv::RotatedRect(centre, cv::Size2f(target.width * u(0.2, 0.5), target.height * u(1.0, 2.5)),
                                           u(-25, 25));
    g.reflection_peak = u(0.45, 0.75);
    return g;
}

// lightens the photo where the glare falls on the document: each pixel of `roi` the document covers
// (`alpha`) is mapped back into the flat document by `to_flat`, and moved towards the glare's colour
// (white; the reflection faintly iridescent along its length)
void apply_glare(cv::Mat& scene, const CaptureGlare& glare, const cv::Matx33d& to_flat, const cv::Mat& alpha,
                 const cv::Rect& roi) {
    const cv::RotatedRect& e = glare.reflection_ellipse;
    const float period = std::max(1.f, e.size.width * 0.6f);
    for (int y = 0; y < roi.height; ++y) {
        const uchar* a8 = alpha.ptr<uchar>(y);
        cv::Vec3b* p = scene.ptr<cv::Vec3b>(roi.y + y) + roi.x;
        for (int x = 0; x < roi.width; ++x) {
            if (!a8[x]) continue;
            const double X = roi.x + x + 0.5, Y = roi.y + y + 0.5;
            const double w = to_flat(2, 0) * X + to_flat(2, 1) * Y + to_flat(2, 2);
            const cv::Point2f flat(float((to_flat(0, 0) * X + to_flat(0, 1) * Y + to_flat(0, 2)) / w),
                                   float((to_flat(1, 0) * X + to_flat(1, 1) * Y + to_flat(1, 2)) / w));
            const float k = glare_alpha(glare, flat) * a8[x] / 255.f;
            if (k < 0.004f) continue;
            // iridescence: a faint colour wave along the reflection
            const float phase = float(2 * CV_PI) * (flat.x - e.center.x) / period;
            const cv::Vec3f tint(255.f, 250.f + 5 * std::sin(phase), 244.f + 11 * std::cos(phase));
            for (int c = 0; c < 3; ++c) p[x][c] = cv::saturate_cast<uchar>(p[x][c] + (tint[c] - p[x][c]) * k);
        }
    }
}

// a flatbed's lid: light, even, a faint texture
cv::Mat scanner_lid(cv::Size size, std::mt19937& rng) {
    const double tone = Uniform(215, 245)(rng);
    cv::Mat small(6, 8, CV_8UC3);
    cv::RNG cv_rng(rng());
    cv_rng.fill(small, cv::RNG::UNIFORM, cv::Scalar::all(tone - 6), cv::Scalar::all(tone + 6));
    cv::Mat out;
    cv::resize(small, out, size, 0, 0, cv::INTER_LINEAR);
    return out;
}

// a scanner's light: even, white
Lighting flat_lighting(cv::Size size) {
    return {SmoothField(cv::Mat(2, 2, CV_32F, cv::Scalar(1.f)), size), cv::Vec3f(1.f, 1.f, 1.f)};
}

// an old print or scan: contrast `c` around a lifted grey (blacks become dark greys, whites dull),
// yellowed when `yellow`
void fade(cv::Mat& bgr, double c, bool yellow) {
    const double mean = 150;
    const cv::Vec3d tone = yellow ? cv::Vec3d(0.88, 0.96, 1.0) : cv::Vec3d(1, 1, 1);
    uchar lut[3][256];
    for (int ch = 0; ch < 3; ++ch) {
        for (int v = 0; v < 256; ++v) lut[ch][v] = cv::saturate_cast<uchar>((mean + (v - mean) * c) * tone[ch]);
    }
    for (int y = 0; y < bgr.rows; ++y) {
        cv::Vec3b* p = bgr.ptr<cv::Vec3b>(y);
        for (int x = 0; x < bgr.cols; ++x) {
            for (int ch = 0; ch < 3; ++ch) p[x][ch] = lut[ch][p[x][ch]];
        }
    }
}

// the finished photo turned by `degrees` on a canvas that holds it all; corners and homography follow
void turn(cv::Mat& scene, double degrees, SimulatedCapture& out) {
    const cv::Point2f centre(float(scene.cols) / 2, float(scene.rows) / 2);
    cv::Mat m = cv::getRotationMatrix2D(centre, degrees, 1.0);
    const cv::Rect2f bounds = cv::RotatedRect(centre, cv::Size2f(scene.size()), float(-degrees)).boundingRect2f();
    const cv::Size size(int(std::lround(bounds.width)), int(std::lround(bounds.height)));
    m.at<double>(0, 2) += size.width / 2.0 - centre.x;
    m.at<double>(1, 2) += size.height / 2.0 - centre.y;
    cv::Mat turned;
    cv::warpAffine(scene, turned, m, size, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    scene = turned;
    const cv::Matx33d t(m.at<double>(0, 0), m.at<double>(0, 1), m.at<double>(0, 2), m.at<double>(1, 0),
                        m.at<double>(1, 1), m.at<double>(1, 2), 0, 0, 1);
    for (auto& c : out.corners) {
        const cv::Vec3d p = t * cv::Vec3d(c.x, c.y, 1);
        c = cv::Point2f(float(p[0]), float(p[1]));
    }
    out.homography = t * out.homography;
    out.turn_deg = degrees;
}

} // namespace

SimulatedCapture simulate_capture(const cv::Mat& document, float corner_radius, const CaptureOptions& o,
                                  std::mt19937& rng, CaptureScratch* scratch) {
    validate(document, corner_radius, o);
    CaptureScratch fresh;
    CaptureScratch& buffers = scratch ? *scratch : fresh;
    SimulatedCapture out;
    // every draw happens in a fixed order whatever the options, so one seed gives one photo; the
    // options added later (tilt, contrast) draw after the first ones, and only when asked for
    out.background = o.background ? *o.background : (Uniform(0, 1)(rng) < 0.5 ? SceneBackground::TABLE : SceneBackground::CLUTTER);
    out.hand = Uniform(0, 1)(rng) < o.hand_probability;
    out.rotation_deg = Uniform(-o.max_rotation_deg, o.max_rotation_deg)(rng);
    out.corner_jitter = Uniform(std::min(0.02, o.max_corner_jitter), o.max_corner_jitter)(rng);
    out.blur_sigma = Uniform(0, o.max_blur_sigma)(rng);
    out.noise_sigma = Uniform(std::min(1.0, o.max_noise_sigma), o.max_noise_sigma)(rng);
    out.jpeg_quality = std::uniform_int_distribution<int>(o.min_jpeg_quality, o.max_jpeg_quality)(rng);
    if (o.max_tilt_deg > 0 && !o.scan) {
        out.tilt_deg = Uniform(o.min_tilt_deg, o.max_tilt_deg)(rng);
        out.tilt_axis_deg = Uniform(0, 360)(rng);
        out.corner_jitter = std::min(out.corner_jitter, 0.02);
    }
    if (o.min_contrast < 1) out.contrast = Uniform(o.min_contrast, o.max_contrast)(rng);
    out.scan = o.scan;
    if (o.scan) {
        // a flatbed: the document square to the glass, no hand
        out.hand = false;
        out.rotation_deg = std::clamp(out.rotation_deg, -3.0, 3.0);
        out.corner_jitter = 0;
    }
    out.corners = place_document(document.size(), o, out.rotation_deg, out.corner_jitter, out.tilt_deg,
                                 out.tilt_axis_deg, rng);

    // photo pixels per document pixel, roughly
    double photo_scale = (cv::norm(out.corners[1] - out.corners[0]) + cv::norm(out.corners[2] - out.corners[3])) /
                         (2.0 * document.cols);
    cv::Mat scene = o.scan ? scanner_lid(o.output_size, rng) : scene_background(out.background, o.output_size, rng);
    // the shadow must reach under the card's rounded corners: its radius in the photo, with room for
    // perspective and anti-aliasing
    draw_document_shadow(scene, out.corners, float(corner_radius * photo_scale * 1.5 + 3), rng);

    // shrink a much larger document close to its size in the photo first: warpPerspective does not
    // filter, and the guilloche lines would alias
    double shrink = 1.15 * photo_scale;
    cv::Mat doc = document;
    if (shrink < 0.6) cv::resize(document, doc, cv::Size(), shrink, shrink, cv::INTER_AREA);
    float w = float(doc.cols), h = float(doc.rows);
    cv::Point2f source[4] = {{0, 0}, {w, 0}, {w, h}, {0, h}};
    cv::Matx33d warp(cv::getPerspectiveTransform(source, out.corners.data()));
    cv::Matx33d to_small(double(doc.cols) / document.cols, 0, 0, 0, double(doc.rows) / document.rows, 0, 0, 0, 1);
    out.homography = warp * to_small;

    // warp only the document's bounding box (plus the blur's reach), into a view the blur reuses
    cv::Rect frame(0, 0, scene.cols, scene.rows);
    cv::Rect roi = cv::boundingRect(std::vector<cv::Point2f>(out.corners.begin(), out.corners.end())) & frame;
    int margin = int(std::ceil(3 * out.blur_sigma)) + 1;
    cv::Rect area = cv::Rect(roi.x - margin, roi.y - margin, roi.width + 2 * margin, roi.height + 2 * margin) & frame;
    cv::Mat region = view(buffers.region, frame.size(), area.size(), CV_8UC3);
    cv::Mat warped = region(cv::Rect(roi.tl() - area.tl(), roi.size()));
    cv::Matx33d to_roi(1, 0, -roi.x, 0, 1, -roi.y, 0, 0, 1);
    // replicated borders: the anti-aliased outline blends with the document's own edge, not with black
    cv::warpPerspective(doc, warped, to_roi * warp, roi.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    cv::Mat alpha = view(buffers.coverage, frame.size(), roi.size(), CV_8UC1);
    coverage(document.size(), corner_radius, out.homography, roi, alpha);
    composite(scene, warped, alpha, roi);
    if (o.glare_streak || o.laminate_reflection) {
        out.glare = make_glare(o, document.size(), fork(rng, 0x6c617265u));
        apply_glare(scene, out.glare, out.homography.inv(), alpha, roi);
    }
    if (out.hand) draw_holding_hand(scene, out.corners, rng);

    Lighting light = make_lighting(scene.size(), rng);
    if (o.scan) light = flat_lighting(scene.size());
    if (out.blur_sigma > 0.3) {
        // defocus where there is detail to lose: the document (the surfaces are smooth already)
        cv::GaussianBlur(scene(area), region, cv::Size(0, 0), out.blur_sigma);
        region.copyTo(scene(area));
    }
    light_and_noise(scene, light, out.noise_sigma, rng);
    if (out.contrast < 1 || o.scan) fade(scene, out.contrast, o.scan);
    if (o.turn_deg != 0) turn(scene, o.turn_deg, out);

    out.bgr = scene;
    if (!cv::imencode(".jpg", scene, out.jpeg, {cv::IMWRITE_JPEG_QUALITY, out.jpeg_quality})) {
        throw Error(ErrorCode::INTERNAL, "JPEG encoding failed");
    }
    return out;
}

float glare_alpha(const CaptureGlare& glare, cv::Point2f p) {
    float streak = 0, reflection = 0;
    if (glare.streak && glare.streak_sigma > 0) {
        const double a = glare.streak_angle_deg * CV_PI / 180;
        const cv::Point2f d = p - glare.streak_point;
        const double across = -d.x * std::sin(a) + d.y * std::cos(a);
        streak = glare.streak_peak * float(std::exp(-across * across / (2.0 * glare.streak_sigma * glare.streak_sigma)));
    }
    const cv::RotatedRect& e = glare.reflection_ellipse;
    if (glare.reflection && e.size.width > 0 && e.size.height > 0) {
        const double a = e.angle * CV_PI / 180;
        const cv::Point2f d = p - e.center;
        const double along = (d.x * std::cos(a) + d.y * std::sin(a)) / (e.size.width / 2);
        const double across = (-d.x * std::sin(a) + d.y * std::cos(a)) / (e.size.height / 2);
        const double r2 = along * along + across * across;
        reflection = glare.reflection_peak * float(std::exp(-r2 * r2)); // a plateau with a soft edge
    }
    return std::min(0.88f, 1 - (1 - streak) * (1 - reflection));
}

cv::Point2f map_to_capture(const SimulatedCapture& capture, cv::Point2f point) {
    cv::Vec3d p = capture.homography * cv::Vec3d(point.x, point.y, 1);
    return {float(p[0] / p[2]), float(p[1] / p[2])};
}

} // namespace facegate
