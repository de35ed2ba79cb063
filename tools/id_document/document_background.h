// SPDX-License-Identifier: MIT
#pragma once

// the security print under a document's text: a pale two-tone gradient crossed by fine wavy lines and
// a rosette, like the guilloches of real documents but cheap to draw (a few ms at 12 px/mm). the MRZ
// band stays plain, as ICAO asks.

#include "id_document/document_layout.h"

#include <opencv2/core/mat.hpp>

#include <random>

namespace facegate {

// a document-sized BGR image with the background drawn; colours and line phases come from `rng`
cv::Mat draw_security_background(const DocumentLayout& layout, double px_per_mm, std::mt19937& rng);

} // namespace facegate
