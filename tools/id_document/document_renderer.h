// SPDX-License-Identifier: MIT
#pragma once

// the flat document: security background, header, portrait (and its faded ghost), printed fields,
// signature and the OCR-B machine readable zone, drawn from a DocumentLayout at a chosen resolution.

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
};

// the face photo and its face: a box from FaceEngine (the largest face), so the engine runs once
struct PortraitSource {
    cv::Mat bgr;
    cv::Rect2f face;
};

struct RenderOptions {
    IdDocumentType type = IdDocumentType::TD3;
    double px_per_mm = 12;     // 12 px/mm is about 300 dpi
    bool ghost_portrait = true; // the small faded second portrait of real documents
    bool signature = true;
};

struct RenderedDocument {
    cv::Mat bgr;                     // the flat document; outside a card's rounded corners is white
    float corner_radius = 0;         // pixels: the card's rounded corners (0: square, a passport page)
    IdDocumentType type = IdDocumentType::TD3;
    MrzFormat mrz_format = MrzFormat::TD3;
    std::vector<std::string> mrz;    // the MRZ lines as printed
    std::string document_code;       // after the per-type default
    cv::Rect portrait;               // pixels of bgr
    cv::Rect ghost;                  // empty when not drawn
    cv::Rect mrz_region;             // the cells of the MRZ characters
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
    // box that misses it, or a resolution outside 2-40 px/mm
    RenderedDocument render(const PortraitSource& portrait, const IdDocumentFields& fields,
                            const RenderOptions& options, std::mt19937& rng);

  private:
    DocumentFonts fonts_;
};

} // namespace facegate
