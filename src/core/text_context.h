// SPDX-License-Identifier: MIT
#pragma once

#include <opencv2/core/mat.hpp>

namespace facegate {

// how many glyph-like blobs standing in rows of text surround a face (within 4x its box, outside it).
// a face printed on an identity document sits among rows of text; a live face in front of a camera
// almost never does, so this is a presentation-attack cue beside the liveness model (docs/models.md).
// the count is measured with the face scaled to 100 px high, so it does not depend on resolution.
int count_text_glyphs_around(const cv::Mat& bgr, const cv::Rect2f& face);

} // namespace facegate
