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
    case FieldKey::ADDRESS: return f.address;
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
    if (h.area() <= 0) return;
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
    if (s.area() <= 0) return;
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

// a 1D barcode as on many card backs: bars of 1-3 modules, gaps of 1-3, and digits under them
void draw_barcode(cv::Mat& doc, DocumentFonts& fonts, const DocumentLayout& layout, const Scale& px, std::mt19937& rng) {
    const cv::Rect2f& b = layout.barcode;
    if (b.area() <= 0) return;
    const float digits_height = layout.caption_height * 1.3f;
    const float bars_bottom = b.br().y - digits_height * 1.8f;
    const float module = b.width / 95;
    std::uniform_int_distribution<int> width(1, 3);
    float x = b.x;
    bool bar = true;
    while (x < b.br().x) {
        float w = module * float(width(rng));
        if (bar) {
            cv::rectangle(doc, px(cv::Point2f(x, b.y)), px(cv::Point2f(std::min(x + w, b.br().x), bars_bottom)),
                          kValueColor, cv::FILLED, cv::LINE_AA);
        }
        x += w;
        bar = !bar;
    }
    std::string digits;
    std::uniform_int_distribution<int> digit(0, 9);
    for (int i = 0; i < 13; ++i) digits += char('0' + digit(rng));
    float cap = px(digits_height), w = fonts.width(FontKind::REGULAR, digits, cap);
    float scale = std::min(1.f, px(b.width) / std::max(1.f, w));
    fonts.draw(doc, FontKind::REGULAR, digits, {px(b.x + b.width / 2) - w * scale / 2, px(b.br().y)}, cap * scale,
               kValueColor);
}

cv::Rect2f scaled_about_centre(const cv::Rect2f& r, double scale) {
    float w = float(r.width * scale), h = float(r.height * scale);
    return {r.x + (r.width - w) / 2, r.y + (r.height - h) / 2, w, h};
}

// an open booklet's facing page: security print (no MRZ band), a heading, endorsement lines, a page
// number and, sometimes, an entry stamp
cv::Mat draw_facing_page(DocumentFonts& fonts, const DocumentLayout& data_layout, const Scale& px, std::mt19937& rng) {
    DocumentLayout page = data_layout;
    page.mrz.band_top = page.size.height; // no plain band: the facing page has no MRZ
    cv::Mat bgr = draw_security_background(page, px.px_per_mm, rng);
    std::uniform_real_distribution<float> unit(0, 1);
    static const char* kHeadings[] = {"OBSERVATIONS / OBSERVATIONS", "VISAS / VISAS", "ENDORSEMENTS / MENTIONS"};
    std::string heading = kHeadings[std::uniform_int_distribution<int>(0, 2)(rng)];
    float cap = px(2.2f), w = fonts.width(FontKind::BOLD, heading, cap);
    fonts.draw(bgr, FontKind::BOLD, heading, {px(page.size.width / 2) - w / 2, px(9.f)}, cap, kHeaderColor);
    static const char* kLines[] = {"THE HOLDER OF THIS PASSPORT IS ALSO A CITIZEN OF", "VALID FOR ALL COUNTRIES",
                                   "THIS PASSPORT CONTAINS 32 PAGES", "NAME AT BIRTH: SEE PAGE 2",
                                   "ISSUED IN REPLACEMENT OF A LOST PASSPORT", "RESIDENCE: ZENITH, UTOPIA"};
    const int lines = std::uniform_int_distribution<int>(2, 5)(rng);
    for (int i = 0; i < lines; ++i) {
        const char* line = kLines[std::uniform_int_distribution<int>(0, int(std::size(kLines)) - 1)(rng)];
        fonts.draw(bgr, FontKind::REGULAR, line, px(cv::Point2f(10.f, 18.f + 6.f * float(i))), px(1.7f), kValueColor);
    }
    std::string number = std::to_string(std::uniform_int_distribution<int>(3, 9)(rng));
    fonts.draw(bgr, FontKind::REGULAR, number, px(cv::Point2f(page.size.width - 8.f, page.size.height - 4.f)), px(1.8f),
               kCaptionColor);
    if (unit(rng) < 0.7f) {
        // an entry stamp: a rounded box of ink with a port, a date and an arrow, at an angle, faded
        static const cv::Scalar kInks[] = {{140, 40, 40}, {110, 30, 120}, {40, 40, 160}, {60, 90, 30}};
        cv::Scalar ink = kInks[std::uniform_int_distribution<int>(0, 3)(rng)];
        cv::Size box(int(px(34.f)), int(px(20.f)));
        cv::Mat stamp(box, CV_8UC1, cv::Scalar(0));
        int t = std::max(1, int(px(0.5f)));
        cv::rectangle(stamp, cv::Rect(t, t, box.width - 2 * t, box.height - 2 * t), cv::Scalar(255), t, cv::LINE_AA);
        cv::Mat stamp_bgr(box, CV_8UC3, cv::Scalar::all(0));
        fonts.draw(stamp_bgr, FontKind::BOLD, "ZENITH AIRPORT", {px(3.f), px(6.f)}, px(2.2f), cv::Scalar::all(255));
        fonts.draw(stamp_bgr, FontKind::BOLD, std::to_string(std::uniform_int_distribution<int>(10, 28)(rng)) + " MAR 2024",
                   {px(3.f), px(11.5f)}, px(2.6f), cv::Scalar::all(255));
        fonts.draw(stamp_bgr, FontKind::REGULAR, "ENTRY / ENTRÉE", {px(3.f), px(16.5f)}, px(1.8f), cv::Scalar::all(255));
        cv::Mat text;
        cv::cvtColor(stamp_bgr, text, cv::COLOR_BGR2GRAY);
        stamp = cv::max(stamp, text);
        cv::Point2f centre(px(page.size.width * (0.45f + 0.35f * unit(rng))), px(page.size.height * (0.55f + 0.2f * unit(rng))));
        cv::Mat m = cv::getRotationMatrix2D(cv::Point2f(float(box.width) / 2, float(box.height) / 2),
                                            double(-25 + 50 * unit(rng)), 1.0);
        m.at<double>(0, 2) += centre.x - box.width / 2.0;
        m.at<double>(1, 2) += centre.y - box.height / 2.0;
        cv::Mat placed;
        cv::warpAffine(stamp, placed, m, bgr.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(0));
        const float strength = 0.55f + 0.3f * unit(rng);
        for (int y = 0; y < bgr.rows; ++y) {
            const uchar* a = placed.ptr<uchar>(y);
            cv::Vec3b* p = bgr.ptr<cv::Vec3b>(y);
            for (int x = 0; x < bgr.cols; ++x) {
                if (!a[x]) continue;
                float k = strength * a[x] / 255.f;
                for (int c = 0; c < 3; ++c) p[x][c] = cv::saturate_cast<uchar>(p[x][c] * (1 - k) + ink[c] * k);
            }
        }
    }
    return bgr;
}

// the open booklet: the cover's edge around both pages (rounded corners), the facing page above or
// below the data page, the fold's shadow on both sides of the spine and the stack of pages along the
// outer edges
cv::Mat compose_booklet(const cv::Mat& data, const cv::Mat& facing, bool facing_above, const Scale& px, std::mt19937& rng,
                        cv::Rect& data_rect, cv::Rect& facing_rect, float& corner_radius) {
    static const cv::Scalar kCovers[] = {{45, 30, 125}, {90, 40, 20}, {40, 70, 25}, {30, 30, 30}, {50, 25, 95}};
    cv::Scalar cover = kCovers[std::uniform_int_distribution<int>(0, int(std::size(kCovers)) - 1)(rng)];
    const int edge = int(std::lround(px(2.5f)));
    cv::Mat booklet(data.rows * 2 + 2 * edge, data.cols + 2 * edge, CV_8UC3, cover);
    data_rect = cv::Rect(edge, facing_above ? edge + data.rows : edge, data.cols, data.rows);
    facing_rect = cv::Rect(edge, facing_above ? edge : edge + data.rows, data.cols, data.rows);
    data.copyTo(booklet(data_rect));
    facing.copyTo(booklet(facing_rect));
    // the stack of pages: a few thin light lines just inside the cover along the outer edges
    const int spine = facing_above ? data_rect.y : facing_rect.y;
    for (int i = 1; i <= 3; ++i) {
        int inset = int(std::lround(px(0.35f * float(i))));
        cv::Scalar line = cv::Scalar::all(200 + 15 * i);
        cv::line(booklet, {edge - inset, edge}, {edge - inset, booklet.rows - edge}, line, 1);
        cv::line(booklet, {booklet.cols - edge + inset - 1, edge}, {booklet.cols - edge + inset - 1, booklet.rows - edge},
                 line, 1);
    }
    // the fold: each page darkens towards the spine (within a few mm), a thin dark line at it
    const float reach = px(std::uniform_real_distribution<float>(2.5f, 5.f)(rng));
    const float depth = std::uniform_real_distribution<float>(0.25f, 0.45f)(rng);
    for (int y = std::max(0, spine - int(4 * reach)); y < std::min(booklet.rows, spine + int(4 * reach)); ++y) {
        float d = std::abs(float(y) + 0.5f - float(spine));
        float keep = 1.f - depth * std::exp(-d / reach);
        cv::Vec3b* p = booklet.ptr<cv::Vec3b>(y);
        for (int x = edge; x < booklet.cols - edge; ++x) {
            for (int c = 0; c < 3; ++c) p[x][c] = uchar(float(p[x][c]) * keep);
        }
    }
    cv::line(booklet, {edge, spine}, {booklet.cols - edge, spine}, cv::Scalar::all(70), std::max(1, int(px(0.15f))),
             cv::LINE_AA);
    corner_radius = px(4.f);
    return booklet;
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
    if (!(options.portrait_scale >= 0.1 && options.portrait_scale <= 1)) {
        throw Error(ErrorCode::INVALID_PARAMETER, "the portrait scale must be 0.1-1");
    }
    if (options.facing_page != FacingPage::NONE && options.type != IdDocumentType::TD3) {
        throw Error(ErrorCode::INVALID_PARAMETER, "only a passport (TD3) opens as a booklet");
    }
    const DocumentLayout& layout = document_layout(options.type, options.side, options.layout);
    const Scale px{options.px_per_mm};
    const bool with_portrait = layout.portrait.area() > 0; // a card's back has none: no photo needed
    if (with_portrait && (portrait.bgr.empty() || portrait.bgr.type() != CV_8UC3)) {
        throw Error(ErrorCode::INVALID_PARAMETER, "the face photo must be a decoded 8-bit BGR image");
    }
    if (with_portrait && (portrait.face & cv::Rect2f(0, 0, float(portrait.bgr.cols), float(portrait.bgr.rows))).area() <= 0) {
        throw Error(ErrorCode::INVALID_PARAMETER, "the face box lies outside the photo");
    }

    RenderedDocument out;
    out.type = options.type;
    out.side = options.side;
    out.layout = options.layout;
    out.layout_name = layout.name;
    out.mrz_format = layout.mrz_format;
    out.px_per_mm = options.px_per_mm;
    MrzFields mrz = mrz_fields(fields, options.type);
    out.document_code = mrz.document_code;
    out.mrz = compose_mrz(layout.mrz_format, mrz); // first: refuses bad fields before any drawing

    cv::Mat doc = draw_security_background(layout, options.px_per_mm, rng);
    draw_header(doc, fonts_, layout, fields, px);
    const cv::Rect frame(0, 0, doc.cols, doc.rows);
    if (with_portrait) {
        out.portrait = px(scaled_about_centre(layout.portrait, options.portrait_scale)) & frame;
        draw_portrait(doc, portrait, out.portrait);
        if (options.ghost_portrait && layout.ghost.area() > 0) {
            out.ghost = px(scaled_about_centre(layout.ghost, options.portrait_scale)) & frame;
            if (out.ghost.width >= 2 && out.ghost.height >= 2) draw_ghost(doc, portrait, out.ghost);
            else out.ghost = {};
        }
    }
    draw_fields(doc, fonts_, layout, fields, out.document_code, px);
    if (options.signature) draw_signature(doc, fonts_, layout, px, rng);
    draw_barcode(doc, fonts_, layout, px, rng);
    out.mrz_region = draw_mrz(doc, fonts_, layout.mrz, out.mrz, px);

    out.corner_radius = px(layout.corner_radius);
    out.data_page = frame;
    if (options.facing_page != FacingPage::NONE) {
        cv::Mat facing = draw_facing_page(fonts_, layout, px, rng);
        cv::Rect data_rect, facing_rect;
        doc = compose_booklet(doc, facing, options.facing_page == FacingPage::ABOVE, px, rng, data_rect, facing_rect,
                              out.corner_radius);
        const cv::Point shift = data_rect.tl();
        out.data_page = data_rect;
        out.facing_page = facing_rect;
        if (!out.portrait.empty()) out.portrait += shift;
        if (!out.ghost.empty()) out.ghost += shift;
        out.mrz_region += shift;
    }
    whiten_outside_corners(doc, int(std::lround(out.corner_radius)));
    out.bgr = doc;
    return out;
}

} // namespace facegate
