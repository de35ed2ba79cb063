// SPDX-License-Identifier: MIT
#pragma once

// what surrounds a document in a phone photo: the surface it lies on and the hand that holds it.
// both are cheap procedural drawings with no faces and no text, so they only test that a locator
// ignores clutter.

#include <opencv2/core/mat.hpp>

#include <array>
#include <random>

namespace facegate {

enum class SceneBackground { TABLE, CLUTTER };

// a wood or laminate table top: a base tone with streaks along one direction and fine grain
cv::Mat table_background(cv::Size size, std::mt19937& rng);

// an untidy desk: out-of-focus papers, pens and objects in random colours over a surface
cv::Mat clutter_background(cv::Size size, std::mt19937& rng);

cv::Mat scene_background(SceneBackground kind, cv::Size size, std::mt19937& rng);

// darkens the surface under and beside the document (corners TL TR BR BL): a soft contact shadow.
// the document is pasted over it afterwards, so its interior is skipped but for `inset` pixels along
// its edges (at least its corner radius, where the surface shows through)
void draw_document_shadow(cv::Mat& scene, const std::array<cv::Point2f, 4>& corners, float inset, std::mt19937& rng);

// a skin-coloured hand holding the document by its right or top edge: palm outside, a thumb reaching
// a few percent of the document's size over it (away from the MRZ band and the portrait's side)
void draw_holding_hand(cv::Mat& scene, const std::array<cv::Point2f, 4>& corners, std::mt19937& rng);

} // namespace facegate
