// SPDX-License-Identifier: MIT
#include "core/face_detector.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace facegate {

namespace {

constexpr int kInputWidth = 320;
constexpr int kInputHeight = 240;
// smallest face (input pixels) the RFB-320 finds reliably: its smallest anchors are 10 and 16
constexpr double kSmallestDetectablePx = 14.0;
// windows of the zoomed pass overlap by this many input pixels, more than the largest face
// the letterboxed pass can miss, so every such face lies whole inside one window
constexpr int kWindowOverlap = 64;
// the zoomed pass keeps faces up to this many times the smallest the whole-picture pass finds
constexpr double kZoomedRangeFactor = 2.0;
// a zoomed-pass window whose image is at most this much larger than the input is shrunk to fit it
constexpr double kSnapTolerance = 1.12;

float area(const cv::Rect2f& r) { return std::max(0.f, r.width) * std::max(0.f, r.height); }

// window origins along one axis so that windows of `window` cover `length` with at least `overlap`
std::vector<int> window_origins(int length, int window, int overlap) {
    if (length <= window) return {0};
    int count = int(std::ceil(double(length - overlap) / (window - overlap)));
    std::vector<int> origins;
    for (int i = 0; i < count; ++i) origins.push_back(int(std::lround(double(length - window) * i / (count - 1))));
    return origins;
}

} // namespace

std::vector<FaceBox> suppress_overlaps(std::vector<FaceBox> boxes, float iou_threshold) {
    std::sort(boxes.begin(), boxes.end(), [](const FaceBox& a, const FaceBox& b) { return a.confidence > b.confidence; });
    std::vector<FaceBox> kept;
    for (const auto& box : boxes) {
        bool duplicate = std::any_of(kept.begin(), kept.end(), [&](const FaceBox& k) {
            float inter = area(box.rect & k.rect);
            float uni = area(box.rect) + area(k.rect) - inter;
            float smaller = std::min(area(box.rect), area(k.rect));
            return (uni > 0 && inter / uni > iou_threshold) || (smaller > 0 && inter / smaller > 0.8f);
        });
        if (!duplicate) kept.push_back(box);
    }
    return kept;
}

FaceDetector::FaceDetector(cv::dnn::Net net, DetectorConfig config) : net_(std::move(net)), config_(config) {}

void FaceDetector::run_window(const cv::Mat& bgr, const cv::Rect& region, double scale_x, double scale_y,
                              bool drop_cut_faces, std::vector<FaceBox>& out) {
    // letterbox: the scaled region sits top-left on a mid-grey canvas, which normalises to zero
    cv::Mat canvas(kInputHeight, kInputWidth, CV_8UC3, cv::Scalar(127, 127, 127));
    int w = std::min(kInputWidth, int(std::lround(region.width * scale_x)));
    int h = std::min(kInputHeight, int(std::lround(region.height * scale_y)));
    if (w < 1 || h < 1) return;
    cv::resize(bgr(region), canvas(cv::Rect(0, 0, w, h)), cv::Size(w, h), 0, 0, cv::INTER_AREA);
    cv::Mat blob = cv::dnn::blobFromImage(canvas, 1.0 / 128, cv::Size(), cv::Scalar(127, 127, 127), true, false);
    net_.setInput(blob);
    std::vector<cv::Mat> outs;
    net_.forward(outs, std::vector<cv::String>{"scores", "boxes"});
    const cv::Mat& scores = outs[0];
    const cv::Mat& boxes = outs[1];
    int count = int(scores.total() / 2);
    const float* s = scores.ptr<float>();
    const float* b = boxes.ptr<float>();
    double sx = double(region.width) / w, sy = double(region.height) / h;
    bool open_left = region.x > 0, open_top = region.y > 0;
    bool open_right = region.x + region.width < bgr.cols, open_bottom = region.y + region.height < bgr.rows;
    for (int i = 0; i < count; ++i) {
        float p = s[2 * i + 1];
        if (p < config_.score_threshold) continue;
        // corner form in [0,1] of the 320x240 input, back to the region's pixels
        double x1 = b[4 * i] * kInputWidth, y1 = b[4 * i + 1] * kInputHeight;
        double x2 = b[4 * i + 2] * kInputWidth, y2 = b[4 * i + 3] * kInputHeight;
        x1 = std::clamp(x1, 0.0, double(w)); x2 = std::clamp(x2, 0.0, double(w));
        y1 = std::clamp(y1, 0.0, double(h)); y2 = std::clamp(y2, 0.0, double(h));
        if (x2 - x1 < 2 || y2 - y1 < 2) continue;
        if (drop_cut_faces && ((open_left && x1 < 2) || (open_top && y1 < 2) || (open_right && x2 > w - 2) ||
                               (open_bottom && y2 > h - 2))) {
            continue;
        }
        cv::Rect2f rect(float(region.x + x1 * sx), float(region.y + y1 * sy), float((x2 - x1) * sx),
                        float((y2 - y1) * sy));
        out.push_back({rect, p});
    }
}

void FaceDetector::run_zoomed_pass(const cv::Mat& bgr, double scale, std::vector<FaceBox>& out) {
    // shrink a little further when that saves a row or a column of windows
    if (bgr.rows * scale <= kInputHeight * kSnapTolerance) scale = std::min(scale, double(kInputHeight) / bgr.rows);
    if (bgr.cols * scale <= kInputWidth * kSnapTolerance) scale = std::min(scale, double(kInputWidth) / bgr.cols);
    int zw = int(std::lround(bgr.cols * scale)), zh = int(std::lround(bgr.rows * scale));
    for (int oy : window_origins(zh, kInputHeight, kWindowOverlap)) {
        for (int ox : window_origins(zw, kInputWidth, kWindowOverlap)) {
            // the window in source pixels, so that each window is resized straight from the source
            int x0 = int(std::floor(ox / scale)), y0 = int(std::floor(oy / scale));
            int x1 = std::min(bgr.cols, int(std::ceil((ox + kInputWidth) / scale)));
            int y1 = std::min(bgr.rows, int(std::ceil((oy + kInputHeight) / scale)));
            run_window(bgr, cv::Rect(x0, y0, x1 - x0, y1 - y0), scale, scale, true, out);
        }
    }
}

std::vector<FaceBox> FaceDetector::detect(const cv::Mat& bgr, float relevant_fraction) {
    std::vector<FaceBox> found;
    double global_scale = std::min(double(kInputWidth) / bgr.cols, double(kInputHeight) / bgr.rows);
    run_window(bgr, cv::Rect(0, 0, bgr.cols, bgr.rows), global_scale, global_scale, false, found);
    double zoom_scale = kSmallestDetectablePx / config_.min_face_px;
    // the zoomed pass is for faces too small for the whole-picture pass; what it finds beyond
    // that range is part of a larger face (a mouth, an eye) far more often than a face
    double largest = kZoomedRangeFactor * kSmallestDetectablePx / global_scale;
    // the zoomed pass only finds faces up to `largest`: when a face already found is so large that
    // those would all fall under the relevant fraction of it, the pass cannot change the answer
    bool answered = relevant_fraction > 0 && std::any_of(found.begin(), found.end(), [&](const FaceBox& f) {
        return std::max(f.rect.width, f.rect.height) * relevant_fraction > largest;
    });
    if (!answered && global_scale * kSnapTolerance < zoom_scale) {
        std::vector<FaceBox> zoomed;
        run_zoomed_pass(bgr, std::min(zoom_scale, 1.0), zoomed);
        for (const auto& face : zoomed) {
            if (std::max(face.rect.width, face.rect.height) <= largest) found.push_back(face);
        }
    }
    auto faces = suppress_overlaps(std::move(found), config_.nms_iou);
    std::sort(faces.begin(), faces.end(), [](const FaceBox& a, const FaceBox& b) { return area(a.rect) > area(b.rect); });
    return faces;
}

} // namespace facegate
