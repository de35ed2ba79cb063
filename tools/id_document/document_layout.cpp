// SPDX-License-Identifier: MIT
// the layouts, in millimetres (see document_layout.h for the choices)
#include "id_document/document_layout.h"

#include "common/error.h"

#include <string>
#include <vector>

namespace facegate {

namespace {

// an MRZ of `lines` lines of `chars` characters, centred across a document `size` wide and `height`
// tall: the bottom line's centre `bottom` mm above the lower edge, `spacing` mm between line centres,
// and the plain band beginning `clearance` mm above the top line's capitals
MrzGeometry mrz_geometry(float width, float height, int lines, int chars, float bottom, float spacing,
                         float clearance) {
    MrzGeometry g;
    g.line_spacing = spacing;
    g.first_char = {(width - float(chars) * g.pitch) / 2, height - bottom - float(lines - 1) * spacing};
    g.band_top = g.first_char.y - g.cap_height / 2 - clearance;
    return g;
}

DocumentLayout td1_base() {
    DocumentLayout l;
    l.type = IdDocumentType::TD1;
    l.mrz_format = MrzFormat::TD1;
    l.size = {85.6f, 54.f};
    l.corner_radius = 3.18f;
    l.caption_height = 0.95f;
    l.value_height = 1.65f;
    return l;
}

// a residence permit: portrait left, fields right of it, MRZ on the same side (the first layout)
DocumentLayout td1_front_portrait_left() {
    DocumentLayout l = td1_base();
    l.name = "td1-front-portrait-left";
    l.header = {0, 0, 85.6f, 7.f};
    l.title = "RESIDENCE PERMIT / TITRE DE SÉJOUR";
    l.portrait = {3.5f, 8.f, 26.5f * 35 / 45, 26.5f};
    l.ghost = {73.f, 19.5f, 9.f, 9.f * 45 / 35};
    l.signature = {50.f, 29.f, 20.f, 6.f};
    l.fields = {
        {FieldKey::SURNAME, "Surname / Nom", {27.f, 10.f}, 43.f},
        {FieldKey::GIVEN_NAMES, "Given names / Prénoms", {27.f, 15.f}, 43.f},
        {FieldKey::SEX, "Sex / Sexe", {27.f, 20.f}, 8.f},
        {FieldKey::NATIONALITY, "Nationality", {36.f, 20.f}, 13.f},
        {FieldKey::BIRTH_DATE, "Date of birth", {50.f, 20.f}, 21.f},
        {FieldKey::DOCUMENT_NUMBER, "Document No.", {27.f, 25.f}, 22.f},
        {FieldKey::EXPIRY_DATE, "Date of expiry", {50.f, 25.f}, 21.f},
        {FieldKey::AUTHORITY, "Authority / Autorité", {27.f, 30.f}, 22.f},
    };
    // three lines of 30: 76.2 mm wide, centred; the bottom line's centre 4.9 mm above the edge
    l.mrz.first_char = {(85.6f - 30 * 2.54f) / 2, 54.f - 4.9f - 2 * 4.23f};
    l.mrz.band_top = 54.f - 17.9f;
    return l;
}

// a national identity card with the portrait on the right (fields left, ghost between them), lines
// 4.0 mm apart
DocumentLayout td1_front_portrait_right() {
    DocumentLayout l = td1_base();
    l.name = "td1-front-portrait-right";
    l.header = {0, 0, 85.6f, 7.f};
    l.title = "IDENTITY CARD / CARTE D'IDENTITÉ";
    l.portrait = {85.6f - 3.5f - 26.5f * 35 / 45, 8.f, 26.5f * 35 / 45, 26.5f};
    l.ghost = {51.f, 21.f, 8.f, 8.f * 45 / 35};
    l.signature = {30.f, 29.5f, 19.f, 5.5f};
    l.fields = {
        {FieldKey::SURNAME, "Surname / Nom", {4.f, 10.f}, 54.f},
        {FieldKey::GIVEN_NAMES, "Given names / Prénoms", {4.f, 15.f}, 54.f},
        {FieldKey::SEX, "Sex / Sexe", {4.f, 20.f}, 8.f},
        {FieldKey::NATIONALITY, "Nationality", {13.f, 20.f}, 13.f},
        {FieldKey::BIRTH_DATE, "Date of birth", {27.f, 20.f}, 22.f},
        {FieldKey::DOCUMENT_NUMBER, "Document No.", {4.f, 25.f}, 22.f},
        {FieldKey::EXPIRY_DATE, "Date of expiry", {27.f, 25.f}, 22.f},
        {FieldKey::AUTHORITY, "Authority / Autorité", {4.f, 30.f}, 24.f},
    };
    l.mrz = mrz_geometry(85.6f, 54.f, 3, 30, 5.3f, 4.0f, 2.8f);
    return l;
}

// a card with a large portrait and a narrow MRZ band, lines 3.75 mm apart close to the edge
DocumentLayout td1_front_large_portrait() {
    DocumentLayout l = td1_base();
    l.name = "td1-front-large-portrait";
    l.header = {0, 0, 85.6f, 6.2f};
    l.title = "IDENTITY CARD / CARTE D'IDENTITÉ";
    l.portrait = {3.f, 7.2f, 30.5f * 35 / 45, 30.5f};
    l.ghost = {74.f, 8.5f, 8.f, 8.f * 45 / 35};
    l.signature = {53.f, 30.f, 19.f, 5.5f};
    l.fields = {
        {FieldKey::SURNAME, "Surname / Nom", {29.5f, 9.5f}, 43.f},
        {FieldKey::GIVEN_NAMES, "Given names / Prénoms", {29.5f, 14.5f}, 43.f},
        {FieldKey::SEX, "Sex", {29.5f, 19.5f}, 6.f},
        {FieldKey::NATIONALITY, "Nationality", {37.f, 19.5f}, 14.f},
        {FieldKey::BIRTH_DATE, "Date of birth", {53.f, 19.5f}, 21.f},
        {FieldKey::DOCUMENT_NUMBER, "Card No.", {29.5f, 24.5f}, 22.f},
        {FieldKey::EXPIRY_DATE, "Valid until", {53.f, 24.5f}, 21.f},
        {FieldKey::ISSUE_DATE, "Date of issue", {29.5f, 29.5f}, 21.f},
    };
    l.mrz = mrz_geometry(85.6f, 54.f, 3, 30, 4.4f, 3.75f, 1.9f);
    return l;
}

// an identity card's back (ICAO's layout): address and issue above, a barcode, the MRZ below; no
// portrait, no header
DocumentLayout td1_back_plain() {
    DocumentLayout l = td1_base();
    l.side = DocumentSide::BACK;
    l.name = "td1-back-barcode";
    l.barcode = {60.f, 3.5f, 22.f, 15.f};
    l.fields = {
        {FieldKey::ADDRESS, "Address / Adresse", {4.f, 4.5f}, 52.f},
        {FieldKey::PLACE_OF_BIRTH, "Place of birth", {4.f, 10.5f}, 30.f},
        {FieldKey::ISSUE_DATE, "Date of issue", {36.f, 10.5f}, 20.f},
        {FieldKey::AUTHORITY, "Authority / Autorité", {4.f, 16.5f}, 52.f},
    };
    l.mrz = mrz_geometry(85.6f, 54.f, 3, 30, 4.9f, 4.23f, 3.3f);
    return l;
}

// a back with the state's name on top, fields in two columns, a signature, a tall barcode and a
// taller MRZ band with lines 4.4 mm apart
DocumentLayout td1_back_header() {
    DocumentLayout l = td1_base();
    l.side = DocumentSide::BACK;
    l.variant = 1;
    l.name = "td1-back-header";
    l.header = {0, 0, 85.6f, 5.5f};
    l.title = "IDENTITY CARD";
    l.barcode = {65.f, 8.f, 17.f, 19.f};
    l.signature = {36.f, 22.f, 24.f, 6.f};
    l.fields = {
        {FieldKey::ISSUE_DATE, "Date of issue", {4.f, 9.5f}, 24.f},
        {FieldKey::AUTHORITY, "Authority", {31.f, 9.5f}, 31.f},
        {FieldKey::ADDRESS, "Address", {4.f, 15.f}, 57.f},
        {FieldKey::PLACE_OF_BIRTH, "Place of birth", {4.f, 20.5f}, 30.f},
    };
    l.mrz = mrz_geometry(85.6f, 54.f, 3, 30, 4.5f, 4.4f, 5.f);
    return l;
}

DocumentLayout td3_base() {
    DocumentLayout l;
    l.type = IdDocumentType::TD3;
    l.mrz_format = MrzFormat::TD3;
    l.size = {125.f, 88.f};
    l.corner_radius = 0.f; // a page of a booklet: square corners
    l.title = "PASSPORT / PASSEPORT";
    l.caption_height = 1.2f;
    l.value_height = 2.1f;
    return l;
}

// fields of a data page in one column block starting at (x, y), 6.5 mm apart
std::vector<FieldSlot> td3_fields(float x, float y, float width) {
    return {
        {FieldKey::DOCUMENT_CODE, "Type", {x, y}, 10.f},
        {FieldKey::ISSUING_STATE, "Code", {x + 12.f, y}, 18.f},
        {FieldKey::DOCUMENT_NUMBER, "Passport No. / N° du passeport", {x + 32.f, y}, 40.f},
        {FieldKey::SURNAME, "Surname / Nom", {x, y + 6.5f}, width},
        {FieldKey::GIVEN_NAMES, "Given names / Prénoms", {x, y + 13.f}, width},
        {FieldKey::NATIONALITY, "Nationality / Nationalité", {x, y + 19.5f}, width},
        {FieldKey::BIRTH_DATE, "Date of birth / Date de naissance", {x, y + 26.f}, 30.f},
        {FieldKey::SEX, "Sex / Sexe", {x + 40.f, y + 26.f}, 12.f},
        {FieldKey::PLACE_OF_BIRTH, "Place of birth / Lieu de naissance", {x, y + 32.5f}, 40.f},
        {FieldKey::ISSUE_DATE, "Date of issue / Date de délivrance", {x, y + 39.f}, 30.f},
        {FieldKey::EXPIRY_DATE, "Date of expiry / Date d'expiration", {x, y + 45.5f}, 30.f},
    };
}

// a data page as ICAO draws it: portrait left (the first layout)
DocumentLayout td3_portrait_left() {
    DocumentLayout l = td3_base();
    l.name = "td3-portrait-left";
    l.header = {0, 0, 125.f, 10.f};
    l.portrait = {7.f, 14.f, 35.f, 45.f};
    l.ghost = {108.f, 38.f, 13.f, 13.f * 45 / 35};
    l.signature = {80.f, 52.f, 26.f, 9.f};
    l.fields = td3_fields(48.f, 14.5f, 58.f);
    // two lines of 44: 111.76 mm wide, centred; the bottom line's centre 7.2 mm above the edge
    l.mrz.first_char = {(125.f - 44 * 2.54f) / 2, 88.f - 7.2f - 4.23f};
    l.mrz.band_top = 88.f - 23.2f;
    return l;
}

// a taller header, a smaller portrait lower down, and a narrow MRZ band close to the edge with lines
// 4.0 mm apart
DocumentLayout td3_narrow_band() {
    DocumentLayout l = td3_base();
    l.variant = 1;
    l.name = "td3-narrow-band";
    l.header = {0, 0, 125.f, 12.5f};
    l.portrait = {6.f, 17.5f, 31.f, 31.f * 45 / 35};
    l.ghost = {106.f, 40.f, 12.f, 12.f * 45 / 35};
    l.signature = {80.f, 55.f, 24.f, 8.f};
    l.fields = td3_fields(44.f, 17.5f, 58.f);
    l.mrz = mrz_geometry(125.f, 88.f, 2, 44, 6.3f, 4.0f, 3.5f);
    return l;
}

// the portrait on the right, fields left, the ghost between them; a tall MRZ band with lines 4.6 mm
// apart
DocumentLayout td3_portrait_right() {
    DocumentLayout l = td3_base();
    l.variant = 2;
    l.name = "td3-portrait-right";
    l.header = {0, 0, 125.f, 10.f};
    l.portrait = {83.f, 14.f, 35.f, 45.f};
    l.ghost = {64.f, 44.f, 13.f, 13.f * 45 / 35};
    l.signature = {38.f, 52.f, 24.f, 8.f};
    l.fields = td3_fields(7.f, 14.5f, 72.f);
    l.mrz = mrz_geometry(125.f, 88.f, 2, 44, 7.8f, 4.6f, 4.f);
    return l;
}

const std::vector<DocumentLayout>& layouts(IdDocumentType type, DocumentSide side) {
    static const std::vector<DocumentLayout> td1_front = [] {
        std::vector<DocumentLayout> v{td1_front_portrait_left(), td1_front_portrait_right(), td1_front_large_portrait()};
        for (size_t i = 0; i < v.size(); ++i) v[i].variant = int(i);
        return v;
    }();
    static const std::vector<DocumentLayout> td1_back{td1_back_plain(), td1_back_header()};
    static const std::vector<DocumentLayout> td3_front{td3_portrait_left(), td3_narrow_band(), td3_portrait_right()};
    static const std::vector<DocumentLayout> none;
    if (type == IdDocumentType::TD1) return side == DocumentSide::FRONT ? td1_front : td1_back;
    return side == DocumentSide::FRONT ? td3_front : none;
}

} // namespace

const DocumentLayout& document_layout(IdDocumentType type) { return document_layout(type, DocumentSide::FRONT, 0); }

const DocumentLayout& document_layout(IdDocumentType type, DocumentSide side, int variant) {
    const auto& all = layouts(type, side);
    if (all.empty()) {
        throw Error(ErrorCode::INVALID_PARAMETER, std::string(document_type_name(type)) + " has no " +
                                                      std::string(document_side_name(side)) + " layout");
    }
    if (variant < 0 || variant >= int(all.size())) {
        throw Error(ErrorCode::INVALID_PARAMETER, std::string(document_type_name(type)) + " " +
                                                      std::string(document_side_name(side)) + " layouts are 0-" +
                                                      std::to_string(all.size() - 1));
    }
    return all[size_t(variant)];
}

int document_layout_count(IdDocumentType type, DocumentSide side) { return int(layouts(type, side).size()); }

std::string_view document_type_name(IdDocumentType type) {
    return type == IdDocumentType::TD1 ? "TD1" : "TD3";
}

std::string_view document_side_name(DocumentSide side) { return side == DocumentSide::FRONT ? "front" : "back"; }

} // namespace facegate
