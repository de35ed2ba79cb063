// SPDX-License-Identifier: MIT
// drawing a flat document from its layout
#include "id_document/document_renderer.h"

#include "common/error.h"
#include "id_document/document_background.h"
#include "id_document/portrait_crop.h"

#include <opencv2/imgproc.hpp>

#include <cmath>
#include <string>
#include <vector>

namespace facegate {

namespace {

const cv::Scalar kCaptionColor(120, 85, 60);
const cv::Scalar kValueColor(28, 24, 22);
const cv::Scalar kHeaderColor(95, 45, 25);
const cv::Scalar kSignatureColor(120, 40, 30);
const cv::Scalar kMrzColor(20, 20, 20);

// millimetres to pixels
struct Scale {
    double px_per_mm;
    float operator()(float mm) const { return float(mm * px_per_mm); }
    cv::Point2f operator()(cv::Point2f mm) const { return mm * float(px_per_mm); }
    cv::Rect operator()(const cv::Rect2f& mm) const {
        auto px = [&](float v) { return int(std::lround(v * px_per_mm)); };
        return {px(mm.x), px(mm.y), px(mm.width), px(mm.height)};
    }
};

// "740812" -> "12 AUG 1974"; anything that is not YYMMDD is printed as it is
std::string printed_date(const std::string& yymmdd, bool birth) {
    static const char* kMonths[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
    if (yymmdd.size() != 6 || yymmdd.find_first_not_of("0123456789") != std::string::npos) return yymmdd;
    int yy = std::stoi(yymmdd.substr(0, 2)), mm = std::stoi(yymmdd.substr(2, 2));
    if (mm < 1 || mm > 12) return yymmdd;
    int year = (birth && yy > 29) ? 1900 + yy : 2000 + yy;
    return yymmdd.substr(4, 2) + " " + kMonths[mm - 1] + " " + std::to_string(year);
}

std::string printed_value(FieldKey key, const IdDocumentFields& f, const std::string& code) {
    switch (key) {
    case FieldKey::DOCUMENT_CODE: return code;
    case FieldKey::ISSUING_STATE: return f.issuing_state;
    case FieldKey::DOCUMENT_NUMBER: return f.document_number;
    case FieldKey::SURNAME: return f.surname;
    case FieldKey::GIVEN_NAMES: return f.given_names;
    case FieldKey::NATIONALITY: return f.nationality;
    case FieldKey::BIRTH_DATE: return printed_date(f.birth_date, true);
    case FieldKey::SEX: return f.sex;
    case FieldKey::EXPIRY_DATE: return printed_date(f.expiry_date, false);
    case FieldKey::ISSUE_DATE: return printed_date(f.issue_date, false);
    case FieldKey::AUTHORITY: return f.authority;
    case FieldKey::PLACE_OF_BIRTH: return f.place_of_birth;
    }
    return {};
}

std::string default_code(IdDocumentType type) { return type == IdDocumentType::TD3 ? "P" : "ID"; }

// paints white what lies outside the rounded corners of radius `r`: a card's flat image is still a rectangle
void whiten_outside_corners(cv::Mat& doc, int r) {
    if (r < 1) return;
    const cv::Point squares[4] = {{0, 0}, {doc.cols - r, 0}, {0, doc.rows - r}, {doc.cols - r, doc.rows - r}};
    const cv::Point centers[4] = {{r, r}, {-1, r}, {r, -1}, {-1, -1}}; // each arc's centre, in its square
    for (int i = 0; i < 4; ++i) {
        cv::Mat inside(r, r, CV_8UC1, cv::Scalar(0));
        cv::circle(inside, centers[i], r, cv::Scalar(255), cv::FILLED, cv::LINE_8);
        doc(cv::Rect(squares[i], cv::Size(r, r))).setTo(cv::Scalar::all(255), inside == 0);
    }
}

void draw_header(cv::Mat& doc, DocumentFonts& fonts, const DocumentLayout& layout, const IdDocumentFields& fields,
                 const Scale& px) {
    const cv::Rect2f& h = layout.header;
    float name_cap = px(h.height * 0.3f), title_cap = px(h.height * 0.18f);
    float name_width = fonts.width(FontKind::BOLD, fields.state_name, name_cap);
    float title_width = fonts.width(FontKind::REGULAR, layout.title, title_cap);
    float center = px(h.x + h.width / 2);
    fonts.draw(doc, FontKind::BOLD, fields.state_name, {center - name_width / 2, px(h.y + h.height * 0.48f)}, name_cap,
               kHeaderColor);
    fonts.draw(doc, FontKind::REGULAR, layout.title, {center - title_width / 2, px(h.y + h.height * 0.84f)}, title_cap,
               kHeaderColor);
    cv::line(doc, px(cv::Point2f(3, h.br().y)), px(cv::Point2f(layout.size.width - 3, h.br().y)), kHeaderColor,
             std::max(1, int(px(0.12f))), cv::LINE_AA);
}

void draw_fields(cv::Mat& doc, DocumentFonts& fonts, const DocumentLayout& layout, const IdDocumentFields& fields,
                 const std::string& code, const Scale& px) {
    float caption_cap = px(layout.caption_height), value_cap = px(layout.value_height);
    float value_drop = px(layout.value_height + layout.caption_height * 1.0f);
    for (const auto& slot : layout.fields) {
        cv::Point2f origin = px(slot.origin);
        fonts.draw(doc, FontKind::REGULAR, slot.caption, origin, caption_cap, kCaptionColor);
        std::string value = printed_value(slot.key, fields, code);
        // a value too long for its slot is printed smaller, as issuers do, rather than cut
        float cap = value_cap, width = fonts.width(FontKind::REGULAR, value, cap);
        if (width > px(slot.max_width)) cap *= px(slot.max_width) / width;
        fonts.draw(doc, FontKind::REGULAR, value, {origin.x, origin.y + value_drop}, cap, kValueColor);
    }
}

// the portrait lightly printed over the background (8% of it shows through, as with dye sublimation)
void draw_portrait(cv::Mat& doc, const PortraitSource& source, const cv::Rect& where) {
    cv::Mat portrait = crop_portrait(source.bgr, source.face, where.size());
    cv::Mat area = doc(where);
    cv::addWeighted(portrait, 0.92, area, 0.08, 0, area);
}

// the ghost: a small grey, light copy multiplied into the background like a second print pass
void draw_ghost(cv::Mat& doc, const PortraitSource& source, const cv::Rect& where) {
    cv::Mat gray, light, light3;
    cv::cvtColor(crop_portrait(source.bgr, source.face, where.size()), gray, cv::COLOR_BGR2GRAY);
    gray.convertTo(light, CV_8U, 0.45, 255 * 0.55);
    cv::cvtColor(light, light3, cv::COLOR_GRAY2BGR);
    cv::Mat area = doc(where);
    cv::multiply(area, light3, area, 1.0 / 255);
}

// a random smooth scribble through control points (Catmull-Rom)
void draw_signature(cv::Mat& doc, DocumentFonts& fonts, const DocumentLayout& layout, const Scale& px,
                    std::mt19937& rng) {
    const cv::Rect2f& s = layout.signature;
    fonts.draw(doc, FontKind::REGULAR, "Signature", px(cv::Point2f(s.x, s.y + layout.caption_height)),
               px(layout.caption_height), kCaptionColor);
    std::uniform_real_distribution<float> unit(0, 1);
    std::vector<cv::Point2f> knots;
    const int n = 9;
    for (int i = 0; i < n; ++i) {
        float x = s.x + s.width * (0.05f + 0.8f * i / (n - 1) + 0.08f * unit(rng));
        float y = s.y + s.height * (0.35f + 0.55f * unit(rng));
        knots.push_back(px(cv::Point2f(x, y)));
    }
    std::vector<cv::Point> curve;
    for (int i = 0; i + 1 < n; ++i) {
        cv::Point2f p0 = knots[std::max(0, i - 1)], p1 = knots[i], p2 = knots[i + 1], p3 = knots[std::min(n - 1, i + 2)];
        for (int k = 0; k < 12; ++k) {
            float t = k / 12.f, t2 = t * t, t3 = t2 * t;
            cv::Point2f p = 0.5f * ((2 * p1) + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t2 +
                                    (-p0 + 3 * p1 - 3 * p2 + p3) * t3);
            curve.emplace_back(int(std::lround(p.x)), int(std::lround(p.y)));
        }
    }
    cv::polylines(doc, curve, false, kSignatureColor, std::max(1, int(px(0.22f))), cv::LINE_AA);
}

cv::Rect draw_mrz(cv::Mat& doc, DocumentFonts& fonts, const MrzGeometry& g, const std::vector<std::string>& lines,
                  const Scale& px) {
    float cap = px(g.cap_height);
    for (size_t i = 0; i < lines.size(); ++i) {
        cv::Point2f center = px(cv::Point2f(g.first_char.x, g.first_char.y + float(i) * g.line_spacing));
        fonts.draw_monospaced(doc, FontKind::OCR_B, lines[i], {center.x, center.y + cap / 2}, px(g.pitch), cap,
                              kMrzColor);
    }
    size_t chars = lines.empty() ? 0 : lines.front().size();
    return px(cv::Rect2f(g.first_char.x, g.first_char.y - g.cap_height / 2, float(chars) * g.pitch,
                         float(lines.size() - 1) * g.line_spacing + g.cap_height));
}

} // namespace

MrzFields mrz_fields(const IdDocumentFields& f, IdDocumentType type) {
    MrzFields m;
    m.document_code = f.document_code.empty() ? default_code(type) : f.document_code;
    m.issuing_state = f.issuing_state;
    m.surname = f.surname;
    m.given_names = f.given_names;
    m.document_number = f.document_number;
    m.nationality = f.nationality;
    m.birth_date = f.birth_date;
    m.sex = f.sex;
    m.expiry_date = f.expiry_date;
    m.optional_data = f.optional_data;
    return m;
}

DocumentRenderer::DocumentRenderer(const FontPaths& fonts) : fonts_(fonts) {}

RenderedDocument DocumentRenderer::render(const PortraitSource& portrait, const IdDocumentFields& fields,
                                          const RenderOptions& options, std::mt19937& rng) {
    if (!(options.px_per_mm >= 2 && options.px_per_mm <= 40)) {
        throw Error(ErrorCode::INVALID_PARAMETER, "resolution must be 2-40 px/mm");
    }
    if (portrait.bgr.empty() || portrait.bgr.type() != CV_8UC3) {
        throw Error(ErrorCode::INVALID_PARAMETER, "the face photo must be a decoded 8-bit BGR image");
    }
    if ((portrait.face & cv::Rect2f(0, 0, float(portrait.bgr.cols), float(portrait.bgr.rows))).area() <= 0) {
        throw Error(ErrorCode::INVALID_PARAMETER, "the face box lies outside the photo");
    }
    const DocumentLayout& layout = document_layout(options.type);
    const Scale px{options.px_per_mm};

    RenderedDocument out;
    out.type = options.type;
    out.mrz_format = layout.mrz_format;
    out.px_per_mm = options.px_per_mm;
    MrzFields mrz = mrz_fields(fields, options.type);
    out.document_code = mrz.document_code;
    out.mrz = compose_mrz(layout.mrz_format, mrz); // first: refuses bad fields before any drawing

    cv::Mat doc = draw_security_background(layout, options.px_per_mm, rng);
    draw_header(doc, fonts_, layout, fields, px);
    out.portrait = px(layout.portrait) & cv::Rect(0, 0, doc.cols, doc.rows);
    draw_portrait(doc, portrait, out.portrait);
    if (options.ghost_portrait) {
        out.ghost = px(layout.ghost) & cv::Rect(0, 0, doc.cols, doc.rows);
        draw_ghost(doc, portrait, out.ghost);
    }
    draw_fields(doc, fonts_, layout, fields, out.document_code, px);
    if (options.signature) draw_signature(doc, fonts_, layout, px, rng);
    out.mrz_region = draw_mrz(doc, fonts_, layout.mrz, out.mrz, px);

    out.corner_radius = px(layout.corner_radius);
    whiten_outside_corners(doc, int(std::lround(out.corner_radius)));
    out.bgr = doc;
    return out;
}

} // namespace facegate
