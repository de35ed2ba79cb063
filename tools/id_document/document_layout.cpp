// SPDX-License-Identifier: MIT
// the two layouts, in millimetres (see document_layout.h for the choices)
#include "id_document/document_layout.h"

namespace facegate {

namespace {

DocumentLayout td1_layout() {
    DocumentLayout l;
    l.type = IdDocumentType::TD1;
    l.mrz_format = MrzFormat::TD1;
    l.size = {85.6f, 54.f};
    l.corner_radius = 3.18f;
    l.header = {0, 0, 85.6f, 7.f};
    l.title = "RESIDENCE PERMIT / TITRE DE SÉJOUR";
    l.portrait = {3.5f, 8.f, 26.5f * 35 / 45, 26.5f};
    l.ghost = {73.f, 19.5f, 9.f, 9.f * 45 / 35};
    l.signature = {50.f, 29.f, 20.f, 6.f};
    l.caption_height = 0.95f;
    l.value_height = 1.65f;
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

DocumentLayout td3_layout() {
    DocumentLayout l;
    l.type = IdDocumentType::TD3;
    l.mrz_format = MrzFormat::TD3;
    l.size = {125.f, 88.f};
    l.corner_radius = 0.f; // a page of a booklet: square corners
    l.header = {0, 0, 125.f, 10.f};
    l.title = "PASSPORT / PASSEPORT";
    l.portrait = {7.f, 14.f, 35.f, 45.f};
    l.ghost = {108.f, 38.f, 13.f, 13.f * 45 / 35};
    l.signature = {80.f, 52.f, 26.f, 9.f};
    l.caption_height = 1.2f;
    l.value_height = 2.1f;
    l.fields = {
        {FieldKey::DOCUMENT_CODE, "Type", {48.f, 14.5f}, 10.f},
        {FieldKey::ISSUING_STATE, "Code", {60.f, 14.5f}, 18.f},
        {FieldKey::DOCUMENT_NUMBER, "Passport No. / N° du passeport", {80.f, 14.5f}, 40.f},
        {FieldKey::SURNAME, "Surname / Nom", {48.f, 21.f}, 58.f},
        {FieldKey::GIVEN_NAMES, "Given names / Prénoms", {48.f, 27.5f}, 58.f},
        {FieldKey::NATIONALITY, "Nationality / Nationalité", {48.f, 34.f}, 58.f},
        {FieldKey::BIRTH_DATE, "Date of birth / Date de naissance", {48.f, 40.5f}, 30.f},
        {FieldKey::SEX, "Sex / Sexe", {88.f, 40.5f}, 12.f},
        {FieldKey::PLACE_OF_BIRTH, "Place of birth / Lieu de naissance", {48.f, 47.f}, 40.f},
        {FieldKey::ISSUE_DATE, "Date of issue / Date de délivrance", {48.f, 53.5f}, 30.f},
        {FieldKey::EXPIRY_DATE, "Date of expiry / Date d'expiration", {48.f, 60.f}, 30.f},
    };
    // two lines of 44: 111.76 mm wide, centred; the bottom line's centre 7.2 mm above the edge
    l.mrz.first_char = {(125.f - 44 * 2.54f) / 2, 88.f - 7.2f - 4.23f};
    l.mrz.band_top = 88.f - 23.2f;
    return l;
}

} // namespace

const DocumentLayout& document_layout(IdDocumentType type) {
    static const DocumentLayout td1 = td1_layout();
    static const DocumentLayout td3 = td3_layout();
    return type == IdDocumentType::TD1 ? td1 : td3;
}

std::string_view document_type_name(IdDocumentType type) {
    return type == IdDocumentType::TD1 ? "TD1" : "TD3";
}

} // namespace facegate
