// SPDX-License-Identifier: MIT
#pragma once

// documents photographed at any rotation: sideways or upside down (with or without an EXIF
// orientation) and any angle in between. the MRZ gives the orientation: its glyphs' strokes give the
// angle modulo a quarter turn (a histogram of gradient directions of the small dark print), and the
// quarter turn is the one whose MRZ reads with every check digit valid. the document is then
// analysed on the picture turned upright.

#include <opencv2/core.hpp>

#include <optional>
#include <vector>

namespace facegate {

// the dominant direction of a picture's print modulo 90 degrees, in (-45, 45]: turning the picture by
// it (cv::getRotationMatrix2D's sense) brings text lines to the horizontal or the vertical
float print_angle_mod90(const cv::Mat& gray);

// the turn (degrees, cv::getRotationMatrix2D's sense, counter-clockwise on screen) under which the
// picture's MRZ reads with every check digit valid; nullopt when none does. `hints` are tried first
// (the turns a zone seen but not read suggests), then the quarter turns from the print's angle; the
// upright picture is not tried (the caller read it already). costs a few MRZ reads of the turned
// picture.
std::optional<float> find_mrz_turn(const cv::Mat& bgr, const std::vector<float>& hints = {});

struct TurnedPicture {
    cv::Mat bgr;
    cv::Matx23d forward; // picture -> turned picture
    cv::Matx23d back;    // turned picture -> picture
};

// the picture turned by `degrees` about its centre on a canvas that holds all of it (the corners
// filled by replicating the edge, which draws no new outline)
TurnedPicture turn_picture(const cv::Mat& bgr, float degrees);

} // namespace facegate
