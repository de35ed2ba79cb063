// SPDX-License-Identifier: MIT
#pragma once

// the page around a machine readable zone: ICAO 9303 fixes where the zone sits on each document size
// (centred along the bottom edge, at a fixed pitch of 2.54 mm per character), so a zone read with
// every check digit valid says where its page is even when the page's edges cannot be seen (an open
// booklet whose facing page continues it, a card on a background of its own colour). the page found
// so guides the search for the portrait and the rows of text.

#include "document/mrz.h"

#include <opencv2/core/types.hpp>

#include <array>
#include <optional>

namespace facegate {

// the page's corners (top-left, top-right, bottom-right, bottom-left, in the zone's pixels) for a zone
// of `format` whose text has `zone` corners (MrzReadResult::zone_corners), and the page's aspect (long
// side / short side). a similarity (turn and scale) from the zone's bottom edge: perspective is left
// out, which a zone too short across to measure it could not give reliably.
struct MrzPage {
    std::array<cv::Point2f, 4> corners;
    float aspect = 0;
};

std::optional<MrzPage> page_around_mrz(MrzFormat format, const std::array<cv::Point2f, 4>& zone);

} // namespace facegate
