// SPDX-License-Identifier: MIT
#pragma once

// the register action's look at an identity document photo: is it a document (documentConfidence),
// what its MRZ says, whether it expired, and the portrait to store (with its embedding).
//
//   facegate::DocumentAnalyzer analyzer(engine);
//   auto doc = analyzer.analyze(bytes, facegate::mrz_today_utc()); // throws facegate::Error
//   if (doc.portrait && doc.document_confidence >= 70) ... doc.portrait->embedding ...
//
// pipeline (docs/documents.md): decode -> faces of the whole picture (one engine run) -> document
// outline (around the face that reads as printed, if any) and rectified picture -> portrait =
// largest face inside the outline -> MRZ read on the rectified picture (on the whole picture too
// when that fails) -> without an outline, the page inferred from a zone that reads (the portrait
// looked for again there) -> rows of text -> evidence -> confidence and reasons.
//
// thread-safety: analyze() is const and keeps no state; any number of threads may call it at once
// (the engine lends each call its own networks).

#include "core/face_engine.h"
#include "core/face_types.h"
#include "document/document_confidence.h"
#include "document/document_locator.h"
#include "document/mrz.h"
#include "document/mrz_choice.h"
#include "document/portrait_selector.h"

#include <opencv2/core/mat.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace facegate {

// wall time of each stage of one analysis, milliseconds
struct DocumentTimings {
    double decode = 0;   // bytes -> pixels
    double faces = 0;    // the face engine on the whole picture (detect, landmarks, embed, liveness, quality)
    double locate = 0;   // outline and rectification
    double portrait = 0; // choosing the portrait (and, rarely, the engine again on the rectified document)
    double mrz = 0;      // finding and reading the MRZ band
    double text = 0;     // counting the rows of text
    double orientation = 0; // looking for the MRZ at other rotations (only when none is read upright)
    double total = 0;
};

struct DocumentAnalysis {
    std::string format = "UNKNOWN";      // TD1 TD2 TD3 MRV-A MRV-B (MRZ), CARD PAGE (proportions), UNKNOWN
    std::optional<MrzParseResult> mrz;   // the MRZ parsed, check digits included
    std::vector<std::string> mrz_raw_lines; // the zone's cells as first classified (explain, debugging)
    std::vector<std::vector<MrzCharacter>> mrz_characters; // per character: read or corrected, alternatives
    bool mrz_band_found = false;         // a band of MRZ-like lines was seen (read or not)
    // where that band's text runs (first glyph's top-left, last glyph's top-right, the bottom corners
    // of its last line), in the picture's pixels, when a band was found: its direction, read or not
    std::array<cv::Point2f, 4> mrz_zone{};
    std::optional<bool> expired;         // from the MRZ expiry date vs `today`; nullopt without an MRZ
    float document_confidence = 0;       // 0-100
    std::optional<FaceAnalysis> portrait; // the document's portrait, embedding included, decoded-image pixels
    int image_width = 0;                 // the decoded image: divide coordinates by these for ratios
    int image_height = 0;
    // NO_DOCUMENT, MRZ_UNREADABLE, MRZ_CHECK_FAILED, DOCUMENT_EXPIRED, NO_FACE (or, on an ID card's MRZ
    // side with every check digit valid, DOCUMENT_SIDE_WITHOUT_PORTRAIT), FACE_TOO_SMALL, MULTIPLE_FACES,
    // LOW_QUALITY
    std::vector<std::string> reasons;
    DocumentEvidence evidence;           // what the confidence was computed from (docs, debugging)
    bool outline_found = false;
    std::array<cv::Point2f, 4> outline{}; // the document's corners in the decoded image (TL, TR, BR, BL)
    // no outline was seen, and `outline` is the page inferred from the MRZ's place on it (mrz_page.h)
    bool page_from_mrz = false;
    int faces_found = 0;                 // faces in the whole picture, on the document or not
    // degrees (counter-clockwise) the picture was turned by to read the document upright; 0 when it was
    // read as it came. coordinates above are in the picture as it came
    float rotation_degrees = 0;
};

class DocumentAnalyzer {
  public:
    // the engine must outlive the analyzer
    explicit DocumentAnalyzer(const FaceEngine& engine);

    // decodes with the engine's limits; throws Error(IMAGE_TOO_LARGE | INVALID_IMAGE_FORMAT) as the
    // face operations do. `today` decides `expired`.
    DocumentAnalysis analyze(std::span<const uint8_t> bytes, std::chrono::year_month_day today,
                             DocumentTimings* timings = nullptr) const;

    // a decoded BGR picture; decode_scale is its width / the source's width (face sizes in source pixels)
    DocumentAnalysis analyze(const cv::Mat& bgr, std::chrono::year_month_day today, double decode_scale = 1.0,
                             DocumentTimings* timings = nullptr) const;

  private:
    DocumentAnalysis run(const cv::Mat& bgr, std::chrono::year_month_day today, double decode_scale,
                         DocumentTimings* timings) const;
    PortraitChoice find_portrait(std::vector<FaceAnalysis>& faces, const LocatedDocument& doc, double decode_scale) const;

    const FaceEngine& engine_;
};

} // namespace facegate
