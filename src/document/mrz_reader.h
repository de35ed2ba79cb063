// SPDX-License-Identifier: MIT
#pragma once

// finding and reading the machine readable zone in an image: a photo of a document (the zone
// anywhere, turned up to about 10 degrees) or a rectified page or card. the zone is located as two
// or three long, parallel, evenly pitched text lines, straightened, cut into fixed-pitch character
// cells, each classified as OCR-B (ocrb_glyphs.h), and the lines parsed (mrz.h).

#include "document/mrz.h"
#include "document/mrz_choice.h"

#include <opencv2/core.hpp>

#include <array>
#include <optional>
#include <string>
#include <vector>

namespace facegate {

struct MrzReadResult {
    // a zone was found: two or three long parallel lines of evenly pitched glyphs. when true and
    // `parsed` is empty or fails a check, the zone is there but unreadable (blur, glare, cut off)
    bool band_found = false;
    cv::Rect band;             // the zone's bounding box in input pixels (clipped to the image)
    cv::RotatedRect band_box;  // the zone: centre, size (along, across the lines), angle in degrees
    // the zone's text as it reads (first glyph's top-left, last glyph's top-right, then the bottom
    // corners of the last line), in input pixels: which way is up, which a RotatedRect does not say
    std::array<cv::Point2f, 4> zone_corners{};
    int line_count = 0;        // lines in the zone (2 or 3 when found)
    float char_height = 0;     // glyph height in input pixels
    float ink_fraction = 0;    // share of the zone's line area that is ink: a cheap text density

    std::vector<std::string> raw_lines; // as the glyphs were classified (each cell's first choice)
    std::vector<std::string> lines;     // after the choice by position and check digit and parse_mrz's corrections
    // per line, per position: the character, whether it was read or corrected (and how), its alternatives
    std::vector<std::vector<MrzCharacter>> characters;
    std::optional<MrzParseResult> parsed;
    float mean_glyph_score = 0; // mean template correlation of the glyphs read (about 0.9 when clean)
    float min_glyph_score = 0;
    // characters that hold only because a check digit chose them among a glyph's alternatives, or
    // cells no glyph matches: a zone read with all checks valid and none of these is read surely
    int doubtful_characters = 0;

    // found, parsed, and every check digit holds
    bool readable() const { return parsed && parsed->all_checks_valid; }
};

// reads the MRZ of a BGR (or gray, or BGRA) image of any size; never throws for image content.
// throws Error(MODEL_UNAVAILABLE) when the OCR-B font is missing (ocrb_glyphs.h).
MrzReadResult read_mrz(const cv::Mat& bgr);

} // namespace facegate
