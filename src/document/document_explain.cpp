// SPDX-License-Identifier: MIT
#include "document/document_explain.h"

#include <nlohmann/json.hpp>

#include <cmath>

namespace facegate {

namespace {

using nlohmann::ordered_json;

double round2(double v) { return std::round(v * 100.0) / 100.0; }

std::string snake_to_camel(std::string_view name) {
    std::string out;
    bool upper = false;
    for (char c : name) {
        if (c == '_') {
            upper = true;
            continue;
        }
        out += upper ? char(std::toupper(static_cast<unsigned char>(c))) : c;
        upper = false;
    }
    return out;
}

ordered_json mrz_json(const DocumentAnalysis& a, std::chrono::year_month_day today) {
    if (!a.mrz) return nullptr;
    const MrzFields& f = a.mrz->fields;
    ordered_json checks = ordered_json::object();
    for (const auto& c : a.mrz->checks) checks[snake_to_camel(c.name)] = c.valid;
    auto date = [&](const std::string& d, MrzDateKind kind) -> ordered_json {
        auto iso = mrz_iso_date(d, kind, today);
        return iso ? ordered_json(*iso) : ordered_json(nullptr);
    };
    return {{"lines", a.mrz->lines},
            {"fields",
             {{"documentType", f.document_code},
              {"issuingState", f.issuing_state},
              {"documentNumber", f.document_number},
              {"surname", f.surname},
              {"givenNames", f.given_names},
              {"nationality", f.nationality},
              {"birthDate", date(f.birth_date, MrzDateKind::BIRTH)},
              {"sex", f.sex},
              {"expiryDate", date(f.expiry_date, MrzDateKind::EXPIRY)},
              {"optionalData", f.optional_data}}},
            {"checkDigits", checks},
            {"checkDigitsValid", a.mrz->all_checks_valid}};
}

// one entry per character: its value, how it was chosen, its score and alternatives
ordered_json characters_json(const std::vector<std::vector<MrzCharacter>>& lines) {
    ordered_json out = ordered_json::array();
    for (const auto& line : lines) {
        ordered_json row = ordered_json::array();
        for (const auto& c : line) {
            ordered_json alternatives = ordered_json::array();
            for (const auto& [ch, score] : c.alternatives) alternatives.push_back({{"char", std::string(1, ch)}, {"score", round2(score)}});
            ordered_json entry = {{"char", std::string(1, c.value)},
                                  {"source", std::string(mrz_character_source_name(c.source))},
                                  {"score", round2(c.score)}};
            if (c.read != c.value) entry["read"] = std::string(1, c.read);
            entry["alternatives"] = std::move(alternatives);
            row.push_back(std::move(entry));
        }
        out.push_back(std::move(row));
    }
    return out;
}

ordered_json evidence_json(const DocumentEvidence& e) {
    return {{"outlineFound", e.outline_found},
            {"outlineScore", round2(e.outline_score)},
            {"mrzBandFound", e.mrz_band_found},
            {"mrzParsed", e.mrz_parsed},
            {"mrzChecksValid", round2(e.mrz_checks_valid)},
            {"mrzGlyphScore", round2(e.mrz_glyph_score)},
            {"mrzConclusive", e.mrz_conclusive},
            {"portraitFound", e.portrait_found},
            {"portraitPlacement", round2(e.portrait_placement)},
            {"portraitPrinted", round2(e.portrait_printed)},
            {"textRows", round2(e.text_rows)},
            {"textGlyphs", e.text_glyphs}};
}

} // namespace

std::string document_analysis_json(const DocumentAnalysis& a, const DocumentTimings& t,
                                   std::chrono::year_month_day today, bool explain) {
    ordered_json out = {{"format", a.format},
                        {"documentConfidence", round2(a.document_confidence)},
                        {"reasons", a.reasons},
                        {"mrz", mrz_json(a, today)},
                        {"expired", a.expired ? ordered_json(*a.expired) : ordered_json(nullptr)},
                        {"portraitFound", a.portrait.has_value()}};
    if (explain) {
        ordered_json outline = ordered_json::array();
        for (const auto& p : a.outline) outline.push_back({round2(p.x), round2(p.y)});
        ordered_json zone = ordered_json::array();
        for (const auto& p : a.mrz_zone) zone.push_back({round2(p.x), round2(p.y)});
        out["explain"] = {{"imageWidth", a.image_width},
                          {"imageHeight", a.image_height},
                          {"rotationDegrees", round2(a.rotation_degrees)},
                          {"outlineFound", a.outline_found},
                          {"outline", a.outline_found ? outline : ordered_json(nullptr)},
                          {"pageFromMrz", a.page_from_mrz ? outline : ordered_json(nullptr)},
                          {"mrzZone", a.mrz_band_found ? zone : ordered_json(nullptr)},
                          {"facesFound", a.faces_found},
                          {"evidence", evidence_json(a.evidence)},
                          {"mrzRawLines", a.mrz_raw_lines},
                          {"mrzCharacters", characters_json(a.mrz_characters)},
                          {"timingsMs",
                           {{"decode", round2(t.decode)},
                            {"faces", round2(t.faces)},
                            {"locate", round2(t.locate)},
                            {"portrait", round2(t.portrait)},
                            {"mrz", round2(t.mrz)},
                            {"text", round2(t.text)},
                            {"orientation", round2(t.orientation)},
                            {"total", round2(t.total)}}}};
    }
    return out.dump(2);
}

} // namespace facegate
