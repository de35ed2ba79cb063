// SPDX-License-Identifier: MIT
#pragma once

// finds an identity document (card or passport page) in a photo: its outline as a convex quad,
// its proportions and a rectified (perspective-free) picture of it.
//
//   LocatedDocument doc = locate_document(bgr);
//   if (!doc.outline_found) ...   // a scan filling the frame: the whole image is the document
//   cv::Point2f p = doc.to_document(face_centre); // image -> rectified coordinates

#include <opencv2/core/mat.hpp>

#include <array>
#include <optional>
#include <string_view>

namespace facegate {

// the document's kind by its proportions only (the MRZ, when read, says more)
enum class DocumentShape {
    UNKNOWN,
    CARD, // ID-1: 85.6 x 54 mm (1.585), identity cards, driving licences, residence permits
    PAGE, // ID-2 (105 x 74 mm, 1.419) or a TD3 passport page (125 x 88 mm, 1.42)
};

std::string_view document_shape_name(DocumentShape shape); // "UNKNOWN", "CARD", "PAGE"

// the shape whose proportions are nearest to `aspect` (long side / short side), UNKNOWN when none
// is close (outside 1.25-1.85)
DocumentShape shape_from_aspect(float aspect);

// 0-1: how close `aspect` is to ID-1 or ID-2/TD3 proportions (1 on them, 0 from 0.3 away)
float proportion_score(float aspect);

struct LocatedDocument {
    bool outline_found = false;        // false: no outline, the whole image stands for the document
    // the outline was not seen but inferred from where the MRZ lies (mrz_page.h): good for finding
    // the portrait and the rows of text, no evidence of a document by itself
    bool inferred = false;
    std::array<cv::Point2f, 4> corners; // in the image: top-left, top-right, bottom-right, bottom-left
    float aspect = 0;                  // long side / short side of the rectified document
    DocumentShape shape = DocumentShape::UNKNOWN;
    float outline_score = 0;           // 0-1: how document-like the outline is (angles, proportions)
    float edge_support = 0;            // 0-1: the weakest side's share of its length on an edge of the picture
    float area_fraction = 0;           // the quad's share of the image
    cv::Mat rectified;                 // BGR, kRectifiedLongSide px wide (landscape, upright as in the image)
    cv::Matx33d homography = cv::Matx33d::eye(); // image -> rectified

    cv::Point2f to_document(cv::Point2f image_point) const;
    cv::Point2f to_image(cv::Point2f document_point) const;
    // whether an image point lies inside the document's outline, `margin` (fraction of the
    // rectified size) outside it still counting
    bool contains(cv::Point2f image_point, float margin = 0.f) const;
};

inline constexpr int kRectifiedLongSide = 1000;

// finds the document in a BGR image (any size): a landscape convex quad of at least 15% of the
// picture whose sides are real edges (measured at full resolution) and whose proportions are a
// document's. `inside`: an image point the document must hold (the centre of its printed portrait,
// when the caller knows one): outlines that leave it out are a detail or a neighbour of the document.
// never fails: without such an outline the whole image is the document (outline_found false;
// rectified is then the picture scaled to a long side of kRectifiedLongSide). thread-safe.
LocatedDocument locate_document(const cv::Mat& bgr, std::optional<cv::Point2f> inside = std::nullopt);

// the document rectified at `scale` x its rectified size (scale > 1: more of the photo's detail where
// the document fills more than kRectifiedLongSide px of it); `to_scaled` receives image -> that picture
cv::Mat rectify_scaled(const cv::Mat& bgr, const LocatedDocument& doc, double scale, cv::Matx33d& to_scaled);

// the scale at which the rectified document keeps the photo's resolution: its outline's longest side
// over kRectifiedLongSide, 1 to `max_scale`
double native_scale(const LocatedDocument& doc, double max_scale);

// the document whose corners in `bgr` are known (top-left, top-right, bottom-right, bottom-left),
// rectified to `aspect` (long side / short side); outline_found is set, the scores are left at 0
LocatedDocument document_at(const cv::Mat& bgr, const std::array<cv::Point2f, 4>& corners, float aspect);

} // namespace facegate
