// SPDX-License-Identifier: MIT
// cutting the 35:45 portrait around a detected face
#include "id_document/portrait_crop.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace facegate {

namespace {

// the detector's box spans brows to chin; the portrait is this many box heights tall
constexpr float kHeightPerFace = 1.8f;
// where the box centre sits, from the portrait's top, as a fraction of its height (room for hair)
constexpr float kFaceCenterY = 0.54f;
const cv::Scalar kBackdrop(205, 205, 200);

} // namespace

cv::Rect2f portrait_region(cv::Size photo, const cv::Rect2f& face) {
    float height = face.height * kHeightPerFace;
    float width = height * 35.f / 45.f;
    float cx = face.x + face.width / 2, cy = face.y + face.height / 2;
    cv::Rect2f region(cx - width / 2, cy - height * kFaceCenterY, width, height);
    // shift along one axis: into the photo, but never so far that the face comes within a quarter of
    // its size of the region's edge
    auto shift = [](float start, float length, float limit, float face_start, float face_length) {
        float margin = face_length / 4;
        float lo = face_start + face_length + margin - length, hi = face_start - margin; // keeps the face inside
        float inside = std::clamp(start, 0.f, std::max(0.f, limit - length));         // keeps the photo inside
        return std::clamp(inside, std::min(lo, hi), std::max(lo, hi));
    };
    region.x = shift(region.x, width, float(photo.width), face.x, face.width);
    region.y = shift(region.y, height, float(photo.height), face.y, face.height);
    return region;
}

cv::Mat crop_portrait(const cv::Mat& photo, const cv::Rect2f& face, cv::Size size) {
    cv::Rect2f region = portrait_region(photo.size(), face);
    cv::Rect whole(int(std::floor(region.x)), int(std::floor(region.y)), int(std::ceil(region.width)),
                   int(std::ceil(region.height)));
    cv::Rect inside = whole & cv::Rect(0, 0, photo.cols, photo.rows);
    cv::Mat framed;
    if (inside == whole) {
        framed = photo(whole);
    } else {
        // pad only what falls outside, then resize once: INTER_AREA keeps a large face from aliasing
        framed = cv::Mat(whole.size(), photo.type(), kBackdrop);
        if (!inside.empty()) photo(inside).copyTo(framed(inside - whole.tl()));
    }
    cv::Mat out;
    int interpolation = framed.cols > size.width ? cv::INTER_AREA : cv::INTER_CUBIC;
    cv::resize(framed, out, size, 0, 0, interpolation);
    return out;
}

} // namespace facegate
