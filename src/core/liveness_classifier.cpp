// SPDX-License-Identifier: MIT
#include "core/liveness_classifier.h"

#include "core/crop.h"
#include "core/softmax.h"
#include "core/text_context.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>

namespace facegate {

namespace {
constexpr int kInputSize = 128;
constexpr float kContextFactor = 2.7f;
// channel order: BGR separates live photos from prints better than the RGB the package's demo feeds
// (measured over ../shared/data and the sample photos: docs/models.md)
constexpr bool kSwapToRgb = false;
// glyphs in rows of text around the face from which it reads as printed on a document: between the
// ramp's ends the model's score is scaled down linearly (photos: at most 42; specimen documents: 89 and more)
constexpr int kTextGlyphsNone = 48;
constexpr int kTextGlyphsDocument = 72;
constexpr int kLiveClass = 0; // softmax class 0 is a live face; 1 a print or replay (measured: docs/models.md)
} // namespace

Liveness LivenessClassifier::classify(const cv::Mat& bgr, const cv::Rect2f& box) {
    cv::Rect region = context_rect(bgr.size(), box, kContextFactor);
    cv::Mat crop;
    cv::resize(bgr(region), crop, cv::Size(kInputSize, kInputSize), 0, 0, cv::INTER_LINEAR);
    net_.setInput(cv::dnn::blobFromImage(crop, 1.0, cv::Size(), cv::Scalar(), kSwapToRgb, false));
    cv::Mat out = net_.forward();
    auto p = softmax(out.ptr<float>(), int(out.total()));
    Liveness result;
    result.model_score = 100.f * p[kLiveClass];
    result.text_glyphs = count_text_glyphs_around(bgr, box);
    float document = std::clamp(float(result.text_glyphs - kTextGlyphsNone) / (kTextGlyphsDocument - kTextGlyphsNone), 0.f, 1.f);
    result.score = result.model_score * (1.f - document);
    result.live = result.score >= threshold_;
    return result;
}

} // namespace facegate
