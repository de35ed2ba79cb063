// SPDX-License-Identifier: MIT
#pragma once

// how sure we are that a photo shows an identity document: the evidence gathered by the locator,
// the MRZ reader and the portrait selector, combined by a logistic over weighted evidence into
// documentConfidence 0-100 (formula, weights and their reasons: docs/documents.md).

#include <opencv2/core/mat.hpp>

namespace facegate {

struct DocumentEvidence {
    bool outline_found = false;     // a quad of document proportions was found
    float outline_score = 0;        // 0-1: its proportions and angles
    bool mrz_band_found = false;    // a band of OCR-B lines where an MRZ sits
    bool mrz_parsed = false;        // the lines parse as an MRZ of some format
    float mrz_checks_valid = 0;     // 0-1: share of the check digits that hold (0 when not parsed)
    float mrz_glyph_score = 0;      // 0-1: the OCR's mean glyph score (diagnostic, not weighted)
    bool mrz_conclusive = false;    // 4 or more check digits, every one valid (chance: 1 in 10^4 or less)
    bool portrait_found = false;    // a face lies on the document
    float portrait_placement = 0;   // 0-1: where and how large a document's portrait sits
    float portrait_printed = 0;     // 0-1: the portrait reads as a print
    float text_rows = 0;            // 0-1: rows of glyphs on the rectified document (text_rows_score)
    int text_glyphs = 0;            // glyphs standing in rows of text (what text_rows is scored from)
};

struct ConfidenceWeights {
    double bias = -7.0;
    double outline = 2.5;         // x outline_score, when an outline was found
    double mrz_band = 1.5;
    double mrz_parsed = 1.5;
    double mrz_checks = 3.0;      // x mrz_checks_valid
    double mrz_conclusive = 1.5;  // every one of 4 or more check digits holds (mrz_conclusive)
    double portrait = 2.0;        // x portrait_placement
    double printed_portrait = 2.0; // x portrait_placement x portrait_printed
    double text = 2.5;            // x text_rows
};

// 0-100: 100 / (1 + exp(-(bias + sum of weight x evidence)))
float document_confidence(const DocumentEvidence& evidence, const ConfidenceWeights& weights = {});

// glyph-like connected components of a rectified document that stand in rows of text (3 or more
// neighbours of about their height on their baseline). cheap: one adaptive threshold and one
// connected-components pass at the rectified size (long side kRectifiedLongSide)
int count_text_row_glyphs(const cv::Mat& rectified_bgr);

// 0-1 from that count: identity documents carry 150 or more, photos of people and scenery few
float text_rows_score(int glyphs);

} // namespace facegate
