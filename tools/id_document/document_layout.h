// SPDX-License-Identifier: MIT
#pragma once

// where everything goes on a synthetic document, in millimetres from the top-left corner of the
// document, so one layout renders at any resolution.
//
// several layouts per format and side (`variant`), as documents of different countries place their
// parts: the portrait left or right, larger or smaller, headers of several heights, MRZ bands of
// several heights with their lines a little closer or further apart. an ID card's back (TD1,
// DocumentSide::BACK) carries the MRZ, printed fields and a barcode, but no portrait.
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

// the side of the document: a TD1 card's BACK is its MRZ side without a portrait (ICAO's identity
// cards); a TD3 data page has only a FRONT
enum class DocumentSide { FRONT, BACK };

// which value of IdDocumentFields a printed field shows
enum class FieldKey {
    DOCUMENT_CODE, ISSUING_STATE, DOCUMENT_NUMBER, SURNAME, GIVEN_NAMES, NATIONALITY,
    BIRTH_DATE, SEX, EXPIRY_DATE, ISSUE_DATE, AUTHORITY, PLACE_OF_BIRTH, ADDRESS
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
    DocumentSide side = DocumentSide::FRONT;
    int variant = 0;
    std::string name;             // what it imitates, e.g. td1-front-portrait-right
    MrzFormat mrz_format;
    cv::Size2f size;              // mm
    float corner_radius;          // mm (ID-1: 3.18 mm)
    cv::Rect2f header;            // band with the state name and the document title (empty: none)
    std::string title;            // "PASSPORT / PASSEPORT"
    cv::Rect2f portrait;          // 35:45 like the ICAO photo (empty on a card's back)
    cv::Rect2f ghost;             // the small faded second portrait (empty: none)
    cv::Rect2f signature;         // where the holder's signature goes (empty: none)
    cv::Rect2f barcode;           // a block of bars, as on many card backs (empty: none)
    std::vector<FieldSlot> fields;
    float caption_height;         // mm: cap height of captions
    float value_height;           // mm: cap height of values
    MrzGeometry mrz;
};

// variant 0 of the front: the first layout, as before layouts had variants
const DocumentLayout& document_layout(IdDocumentType type);

// throws Error(INVALID_PARAMETER) for a variant outside 0 .. document_layout_count - 1, or a TD3 back
const DocumentLayout& document_layout(IdDocumentType type, DocumentSide side, int variant);

// how many layouts there are of a type and side (0 for a TD3 back)
int document_layout_count(IdDocumentType type, DocumentSide side);

// "front" / "back"
std::string_view document_side_name(DocumentSide side);

// "TD1" / "TD3"
std::string_view document_type_name(IdDocumentType type);

} // namespace facegate
