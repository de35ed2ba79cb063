// SPDX-License-Identifier: MIT
#pragma once

// where everything goes on a synthetic document, in millimetres from the top-left corner of the
// document, so one layout renders at any resolution.
//
// TD1 is an ID-1 card (85.6 x 54 mm) carrying the portrait, the printed fields and the 3x30 MRZ on the
// same side, as many residence permits do: one photo then holds both the face and the MRZ (ICAO's
// identity cards usually put the MRZ on the back). TD3 is a passport data page (125 x 88 mm, 2x44 MRZ).
// MRZ geometry follows ICAO 9303 parts 3-5 approximately: OCR-B size I, 2.54 mm pitch (10 cpi),
// about 4.2 mm between line centres, the lines centred across the document in a bottom band.

#include "document/mrz.h"

#include <opencv2/core/types.hpp>

#include <string>
#include <vector>

namespace facegate {

enum class IdDocumentType { TD1, TD3 };

// which value of IdDocumentFields a printed field shows
enum class FieldKey {
    DOCUMENT_CODE, ISSUING_STATE, DOCUMENT_NUMBER, SURNAME, GIVEN_NAMES, NATIONALITY,
    BIRTH_DATE, SEX, EXPIRY_DATE, ISSUE_DATE, AUTHORITY, PLACE_OF_BIRTH
};

// a caption above a value; both start at `origin` (the caption's baseline) and may be cut at max_width
struct FieldSlot {
    FieldKey key;
    std::string caption; // bilingual as on real documents, e.g. "Surname / Nom"
    cv::Point2f origin;  // mm
    float max_width;     // mm
};

struct MrzGeometry {
    cv::Point2f first_char;       // mm: left edge and vertical centre of the first character of line 1
    float pitch = 2.54f;          // mm between character origins (ICAO: 10 characters per inch)
    float line_spacing = 4.23f;   // mm between line centres
    float cap_height = 2.4f;      // mm: height of the OCR-B capitals (size I)
    float band_top = 0;           // mm: top of the plain band the MRZ sits in
};

struct DocumentLayout {
    IdDocumentType type;
    MrzFormat mrz_format;
    cv::Size2f size;              // mm
    float corner_radius;          // mm (ID-1: 3.18 mm)
    cv::Rect2f header;            // band with the state name and the document title
    std::string title;            // "PASSPORT / PASSEPORT"
    cv::Rect2f portrait;          // 35:45 like the ICAO photo
    cv::Rect2f ghost;             // the small faded second portrait
    cv::Rect2f signature;         // where the holder's signature goes
    std::vector<FieldSlot> fields;
    float caption_height;         // mm: cap height of captions
    float value_height;           // mm: cap height of values
    MrzGeometry mrz;
};

const DocumentLayout& document_layout(IdDocumentType type);

// "TD1" / "TD3"
std::string_view document_type_name(IdDocumentType type);

} // namespace facegate
