// SPDX-License-Identifier: MIT
#pragma once

// the flat document: security background, header, portrait (and its faded ghost), printed fields,
// signature and the OCR-B machine readable zone, drawn from a DocumentLayout at a chosen resolution.
// options: the side (a TD1 card's back: MRZ, fields and a barcode, no portrait), the layout variant,
// a smaller printed portrait, and an open passport booklet (the data page with its facing page, the
// fold between them and the cover's edge around them).

#include "id_document/document_fonts.h"
#include "id_document/document_layout.h"

#include <opencv2/core/mat.hpp>

#include <random>
#include <string>
#include <utility>
#include <vector>

namespace facegate {

// what the document says. MRZ fields are ICAO's (A-Z 0-9, dates YYMMDD); the rest is only printed.
// printed dates read YYMMDD as 20YY, except birth years above 29 (19YY).
struct IdDocumentFields {
    std::string document_code;            // empty: "P" on TD3, "ID" on TD1
    std::string issuing_state = "UTO";
    std::string state_name = "UTOPIA";    // the header
    std::string surname = "ERIKSSON";
    std::string given_names = "ANNA MARIA";
    std::string nationality = "UTO";
    std::string birth_date = "740812";
    std::string sex = "F";
    std::string document_number = "L898902C3";
    std::string expiry_date = "340415";
    std::string optional_data;            // TD3 personal number, TD1 line-1 optional data
    std::string issue_date = "240416";    // printed only
    std::string place_of_birth = "ZENITH";
    std::string authority = "MINISTRY OF THE INTERIOR";
    std::string address = "12 RUE DES LILAS ZENITH";  // printed only (a card's back)
};

// the face photo and its face: a box from FaceEngine (the largest face), so the engine runs once
struct PortraitSource {
    cv::Mat bgr;
    cv::Rect2f face;
};

// where the facing page of an open passport booklet lies, seen with the data page upright
enum class FacingPage { NONE, ABOVE, BELOW };

struct RenderOptions {
    IdDocumentType type = IdDocumentType::TD3;
    double px_per_mm = 12;     // 12 px/mm is about 300 dpi
    bool ghost_portrait = true; // the small faded second portrait of real documents
    bool signature = true;
    DocumentSide side = DocumentSide::FRONT; // BACK: a TD1 card's MRZ side, without a portrait
    int layout = 0;            // the layout variant, 0 .. document_layout_count(type, side) - 1
    // the printed portrait (and its ghost) at this fraction of the layout's size, about its centre,
    // 0.1-1: small portraits, down to a couple of dozen pixels in a photo
    double portrait_scale = 1;
    // TD3 only: an open booklet, the data page beside its facing page (visas, observations, a
    // stamp), the fold's shadow between them and the cover's edge around them
    FacingPage facing_page = FacingPage::NONE;
};

struct RenderedDocument {
    cv::Mat bgr;                     // the flat document; outside a card's rounded corners is white
    float corner_radius = 0;         // pixels: the card's rounded corners (0: square, a passport page)
    IdDocumentType type = IdDocumentType::TD3;
    DocumentSide side = DocumentSide::FRONT;
    int layout = 0;                  // the layout variant
    std::string layout_name;         // DocumentLayout::name
    MrzFormat mrz_format = MrzFormat::TD3;
    std::vector<std::string> mrz;    // the MRZ lines as printed
    std::string document_code;       // after the per-type default
    cv::Rect portrait;               // pixels of bgr; empty on a card's back
    cv::Rect ghost;                  // empty when not drawn
    cv::Rect mrz_region;             // the cells of the MRZ characters
    cv::Rect data_page;              // the document itself: all of bgr but in an open booklet
    cv::Rect facing_page;            // an open booklet's other page (empty: none)
    double px_per_mm = 12;
};

// the MrzFields a document with `fields` carries ("P"/"ID" filled in as the code when empty)
MrzFields mrz_fields(const IdDocumentFields& fields, IdDocumentType type);

// not thread-safe (FreeType state): one renderer per thread
class DocumentRenderer {
  public:
    // throws Error(INVALID_PARAMETER) for a missing font
    explicit DocumentRenderer(const FontPaths& fonts = default_font_paths());

    // throws Error(INVALID_PARAMETER) for MRZ fields an MRZ cannot carry, an empty photo or a face
    // box that misses it (on a side with a portrait), a resolution outside 2-40 px/mm, a layout or
    // side the type does not have, a portrait scale outside 0.1-1, or a booklet of a TD1 card
    RenderedDocument render(const PortraitSource& portrait, const IdDocumentFields& fields,
                            const RenderOptions& options, std::mt19937& rng);

  private:
    DocumentFonts fonts_;
};

} // namespace facegate
