// SPDX-License-Identifier: MIT
#pragma once

// the document portrait cut from a face photo: a 35:45 region around the face, framed about as ICAO
// asks for passport photos (the head fills about two thirds of the height, a little room above it).

#include <opencv2/core/mat.hpp>

namespace facegate {

// the region of a `photo` sized image (pixels) that a portrait of the face `face` shows: centred on
// the face, then shifted towards the inside of the photo as far as the face stays well inside the
// region; it reaches outside the photo only when the face is at its very edge
cv::Rect2f portrait_region(cv::Size photo, const cv::Rect2f& face);

// that region resampled to `size`; parts outside the photo are a plain light grey, like a photo
// studio's backdrop
cv::Mat crop_portrait(const cv::Mat& photo, const cv::Rect2f& face, cv::Size size);

} // namespace facegate
