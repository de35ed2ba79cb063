// SPDX-License-Identifier: MIT
#include "document/document_analyzer.h"

#include "common/error.h"
#include "document/document_locator.h"
#include "document/document_orientation.h"
#include "document/mrz_page.h"
#include "document/mrz_reader.h"
#include "document/portrait_selector.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <chrono>

namespace facegate {

namespace {

// below this confidence, with neither an outline nor an MRZ band, the picture is not a document
constexpr float kNoDocumentBelow = 50;
constexpr float kPrintedFace = 0.5f; // printed_score from which a face is taken for the document's portrait
// the rectified page the MRZ is read from is at most this much larger than kRectifiedLongSide
constexpr double kMaxMrzRectifyScale = 2.0;

class Stopwatch {
  public:
    explicit Stopwatch(double* sink) : sink_(sink), start_(std::chrono::steady_clock::now()) {}
    ~Stopwatch() {
        if (sink_) *sink_ += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_).count();
    }
    Stopwatch(const Stopwatch&) = delete;
    Stopwatch& operator=(const Stopwatch&) = delete;

  private:
    double* sink_;
    std::chrono::steady_clock::time_point start_;
};

cv::Point2f map_point(const cv::Matx33d& h, cv::Point2f p) {
    cv::Vec3d v = h * cv::Vec3d(p.x, p.y, 1);
    return {float(v[0] / v[2]), float(v[1] / v[2])};
}

// a face found on the rectified document, moved back into the decoded image's pixels
FaceAnalysis to_image(FaceAnalysis face, const LocatedDocument& doc, double decode_scale) {
    cv::Matx33d back = doc.homography.inv();
    const cv::Rect2f& r = face.box.rect;
    cv::Point2f corners[4] = {map_point(back, r.tl()), map_point(back, {r.x + r.width, r.y}), map_point(back, r.br()),
                              map_point(back, {r.x, r.y + r.height})};
    float x0 = corners[0].x, y0 = corners[0].y, x1 = x0, y1 = y0;
    for (const auto& c : corners) {
        x0 = std::min(x0, c.x), y0 = std::min(y0, c.y), x1 = std::max(x1, c.x), y1 = std::max(y1, c.y);
    }
    face.box.rect = cv::Rect2f(x0, y0, x1 - x0, y1 - y0);
    for (auto& p : face.landmarks) p = map_point(back, p);
    for (auto& p : face.alignment_points) p = map_point(back, p);
    face.quality.face_width_px = float(face.box.rect.width / decode_scale);
    return face;
}

struct MrzEvidence {
    bool band_found = false;
    std::optional<MrzParseResult> parse;
    float glyph_score = 0;
    int doubtful_characters = 0; // MrzReadResult::doubtful_characters
    std::vector<std::string> raw_lines;
    std::vector<std::vector<MrzCharacter>> characters;
    std::array<cv::Point2f, 4> zone{}; // the zone's text corners in the picture's pixels (MrzReadResult::zone_corners)
};

// `to_picture`: from the pixels the zone was read in to the picture's
MrzEvidence evidence_of(MrzReadResult reading, const cv::Matx33d& to_picture = cv::Matx33d::eye()) {
    MrzEvidence out;
    for (size_t i = 0; i < 4; ++i) out.zone[i] = map_point(to_picture, reading.zone_corners[i]);
    out.band_found = reading.band_found;
    out.parse = std::move(reading.parsed);
    out.glyph_score = reading.mean_glyph_score;
    out.doubtful_characters = reading.doubtful_characters;
    out.raw_lines = std::move(reading.raw_lines);
    out.characters = std::move(reading.characters);
    return out;
}

bool conclusive(const MrzEvidence& m) { return m.parse && m.parse->all_checks_valid && m.parse->checks.size() >= 4; }

// read surely, every check holding, parsed, a zone seen, nothing
int rank_of(const MrzEvidence& m) {
    if (m.parse && m.parse->all_checks_valid) return m.doubtful_characters == 0 ? 4 : 3;
    return m.parse ? 2 : m.band_found ? 1 : 0;
}

bool better_evidence(const MrzEvidence& a, const MrzEvidence& b) {
    if (rank_of(a) != rank_of(b)) return rank_of(a) > rank_of(b);
    return rank_of(a) == 3 && a.doubtful_characters < b.doubtful_characters;
}

// the MRZ of the document: of its page rectified when an outline was found, and of the whole picture
// when the zone cannot be read there (an outline that cut the zone off) or without an outline: the
// reader finds zones in photos
MrzEvidence read_document_mrz(const LocatedDocument& doc, const cv::Mat& bgr) {
    // without an outline the rectified picture is the whole one made smaller: the picture itself
    // keeps the glyphs' detail
    if (!doc.outline_found) return evidence_of(read_mrz(bgr));
    // the page at the photo's own resolution: a rectified picture smaller than the page in the photo
    // blurs the zone's glyphs (an O's tail, a W's middle) into others
    MrzEvidence best;
    const double scale = native_scale(doc, kMaxMrzRectifyScale);
    if (scale > 1.05) {
        cv::Matx33d to_scaled;
        const cv::Mat page = rectify_scaled(bgr, doc, scale, to_scaled);
        best = evidence_of(read_mrz(page), to_scaled.inv());
    } else {
        best = evidence_of(read_mrz(doc.rectified), doc.homography.inv());
    }
    if (rank_of(best) < 4) {
        MrzEvidence whole = evidence_of(read_mrz(bgr));
        if (better_evidence(whole, best)) best = std::move(whole);
    }
    return best;
}

float share_of_valid_checks(const MrzParseResult& mrz) {
    if (mrz.checks.empty()) return 0;
    auto valid = std::count_if(mrz.checks.begin(), mrz.checks.end(), [](const MrzCheck& c) { return c.valid; });
    return float(valid) / float(mrz.checks.size());
}

std::string format_of(const DocumentAnalysis& a, const LocatedDocument& doc) {
    if (a.mrz) return std::string(mrz_format_name(a.mrz->format));
    // a scan filling the frame has the document's proportions too, but so has any photo: only say
    // so when the rest of the evidence makes it a document
    if (doc.outline_found || a.document_confidence >= kNoDocumentBelow) return std::string(document_shape_name(doc.shape));
    return "UNKNOWN";
}

// the centre of the largest face that reads as printed: the document's portrait, which its outline
// must hold (a live face beside the document, the holder's own, is not on it)
std::optional<cv::Point2f> printed_face_centre(const std::vector<FaceAnalysis>& faces) {
    for (const auto& f : faces) {
        if (printed_score(f) >= kPrintedFace) return cv::Point2f(f.box.rect.x + f.box.rect.width / 2, f.box.rect.y + f.box.rect.height / 2);
    }
    return std::nullopt;
}

DocumentEvidence gather_evidence(const LocatedDocument& doc, const PortraitChoice& portrait, const MrzEvidence& mrz,
                                 int text_glyphs) {
    DocumentEvidence e;
    e.outline_found = doc.outline_found && !doc.inferred; // an outline inferred from the MRZ is no more evidence
    e.outline_score = e.outline_found ? doc.outline_score : 0.f;
    e.mrz_band_found = mrz.band_found;
    e.mrz_parsed = mrz.parse.has_value();
    e.mrz_checks_valid = mrz.parse ? share_of_valid_checks(*mrz.parse) : 0.f;
    e.mrz_glyph_score = mrz.glyph_score;
    e.mrz_conclusive = conclusive(mrz);
    e.portrait_found = portrait.index.has_value();
    e.portrait_placement = portrait.placement;
    e.portrait_printed = portrait.printed;
    e.text_glyphs = text_glyphs;
    e.text_rows = text_rows_score(text_glyphs);
    return e;
}

// document reasons first (is it one, its MRZ, its validity), then the portrait's
std::vector<std::string> reasons_of(const DocumentAnalysis& a, const PortraitChoice& portrait) {
    std::vector<std::string> reasons;
    if (a.document_confidence < kNoDocumentBelow && !a.outline_found && !a.mrz_band_found) reasons.push_back("NO_DOCUMENT");
    if (a.mrz_band_found && !a.mrz) reasons.push_back("MRZ_UNREADABLE");
    if (a.mrz && !a.mrz->all_checks_valid) reasons.push_back("MRZ_CHECK_FAILED");
    if (a.expired.value_or(false)) reasons.push_back("DOCUMENT_EXPIRED");
    // an ID card's back (its MRZ side) is a genuine document without a portrait: ask for the other side
    const bool card_back = !portrait.index && a.mrz && a.mrz->all_checks_valid && a.mrz->format == MrzFormat::TD1;
    for (const auto& r : portrait.reasons) reasons.push_back(card_back && r == "NO_FACE" ? "DOCUMENT_SIDE_WITHOUT_PORTRAIT" : r);
    return reasons;
}

// whether a picture read as it came may be a document turned: its MRZ did not read, and it does not
// show an upright document's outline with a portrait placed on it as documents place it (a card whose
// MRZ is worn, which no turn helps; the detector finds faces upside down too, so a face alone says
// nothing of the document's orientation)
bool worth_turning(const DocumentAnalysis& a) {
    if (a.mrz && a.mrz->all_checks_valid) return false;
    // a zone that is there but does not read may be upside down: its lines look the same either way
    if (a.mrz_band_found) return true;
    return !(a.outline_found && a.portrait && a.evidence.portrait_placement >= 0.5f);
}

// the turns that bring a band found but not read to the horizontal, reading either way: its own
// direction is more exact than the print's, which a portrait or a guilloche can pull off by degrees
std::vector<float> zone_turns(const DocumentAnalysis& a) {
    if (!a.mrz_band_found) return {};
    const cv::Point2f along = a.mrz_zone[1] - a.mrz_zone[0];
    if (cv::norm(along) < 1) return {};
    const float degrees = float(std::atan2(along.y, along.x) * 180 / CV_PI);
    auto wrapped = [](float t) { return t > 180 ? t - 360 : t <= -180 ? t + 360 : t; };
    return {wrapped(degrees + 180), wrapped(degrees)};
}

// the analysis of the picture turned is the better one: its MRZ reads where the other's does not, or
// it is the more confident with the MRZ read as well as the other's
bool better_turned(const DocumentAnalysis& turned, const DocumentAnalysis& as_came) {
    auto reads = [](const DocumentAnalysis& a) { return a.mrz && a.mrz->all_checks_valid; };
    if (reads(turned) != reads(as_came)) return reads(turned);
    return turned.document_confidence > as_came.document_confidence;
}

cv::Point2f apply(const cv::Matx23d& m, cv::Point2f p) {
    return {float(m(0, 0) * p.x + m(0, 1) * p.y + m(0, 2)), float(m(1, 0) * p.x + m(1, 1) * p.y + m(1, 2))};
}

// an analysis of the turned picture, in the coordinates of the picture as it came
void map_back(DocumentAnalysis& a, const TurnedPicture& turned, const cv::Size& original) {
    for (auto& p : a.outline) p = apply(turned.back, p);
    for (auto& p : a.mrz_zone) p = apply(turned.back, p);
    if (a.portrait) {
        const cv::Rect2f& r = a.portrait->box.rect;
        std::vector<cv::Point2f> corners = {apply(turned.back, r.tl()), apply(turned.back, {r.x + r.width, r.y}),
                                            apply(turned.back, r.br()), apply(turned.back, {r.x, r.y + r.height})};
        a.portrait->box.rect = cv::boundingRect(corners);
        for (auto& p : a.portrait->landmarks) p = apply(turned.back, p);
        for (auto& p : a.portrait->alignment_points) p = apply(turned.back, p);
    }
    a.image_width = original.width;
    a.image_height = original.height;
}

} // namespace

DocumentAnalyzer::DocumentAnalyzer(const FaceEngine& engine) : engine_(engine) {}

DocumentAnalysis DocumentAnalyzer::analyze(std::span<const uint8_t> bytes, std::chrono::year_month_day today,
                                           DocumentTimings* timings) const {
    auto start = std::chrono::steady_clock::now();
    DecodedImage image;
    {
        Stopwatch watch(timings ? &timings->decode : nullptr);
        image = decode_image(bytes, engine_.config().decode);
    }
    DocumentAnalysis result = analyze(image.bgr, today, image.scale, timings);
    if (timings) timings->total = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    return result;
}

DocumentAnalysis DocumentAnalyzer::analyze(const cv::Mat& bgr, std::chrono::year_month_day today, double decode_scale,
                                           DocumentTimings* timings) const {
    if (bgr.empty() || bgr.type() != CV_8UC3) throw Error(ErrorCode::INVALID_PARAMETER, "expected an 8-bit BGR image");
    try {
        const auto start = std::chrono::steady_clock::now();
        DocumentAnalysis result = run(bgr, today, decode_scale, timings);
        if (worth_turning(result)) {
            std::optional<float> turn;
            {
                Stopwatch watch(timings ? &timings->orientation : nullptr);
                turn = find_mrz_turn(bgr, zone_turns(result));
            }
            if (turn) {
                const TurnedPicture turned = turn_picture(bgr, *turn);
                DocumentAnalysis upright = run(turned.bgr, today, decode_scale, timings);
                if (better_turned(upright, result)) {
                    map_back(upright, turned, bgr.size());
                    upright.rotation_degrees = *turn;
                    result = std::move(upright);
                }
            }
        }
        if (timings) timings->total = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
        return result;
    } catch (const cv::Exception& e) {
        throw Error(ErrorCode::INTERNAL, std::string("document analysis failed: ") + e.what());
    }
}

DocumentAnalysis DocumentAnalyzer::run(const cv::Mat& bgr, std::chrono::year_month_day today, double decode_scale,
                                       DocumentTimings* timings) const {
    DocumentAnalysis result;
    result.image_width = bgr.cols;
    result.image_height = bgr.rows;

    ImageAnalysis faces;
    {
        Stopwatch watch(timings ? &timings->faces : nullptr);
        faces = engine_.analyze(bgr, {}, decode_scale);
    }
    result.faces_found = int(faces.faces.size());

    LocatedDocument doc;
    {
        Stopwatch watch(timings ? &timings->locate : nullptr);
        doc = locate_document(bgr, printed_face_centre(faces.faces));
    }
    PortraitChoice portrait;
    {
        Stopwatch watch(timings ? &timings->portrait : nullptr);
        portrait = find_portrait(faces.faces, doc, decode_scale);
    }
    if (portrait.index) result.portrait = faces.faces[*portrait.index];

    MrzEvidence mrz;
    {
        Stopwatch watch(timings ? &timings->mrz : nullptr);
        mrz = read_document_mrz(doc, bgr);
    }
    // no outline seen, but a zone that reads: the page lies where ICAO puts it around its zone, and
    // the portrait and the rows of text are looked for there
    if (!doc.outline_found && conclusive(mrz)) {
        if (auto page = page_around_mrz(mrz.parse->format, mrz.zone)) {
            Stopwatch watch(timings ? &timings->portrait : nullptr);
            doc = document_at(bgr, page->corners, page->aspect);
            doc.inferred = true;
            portrait = find_portrait(faces.faces, doc, decode_scale);
            result.portrait.reset();
            if (portrait.index) result.portrait = faces.faces[*portrait.index];
        }
    }
    result.outline_found = doc.outline_found && !doc.inferred;
    result.page_from_mrz = doc.inferred;
    result.outline = doc.corners;
    result.mrz_band_found = mrz.band_found;
    result.mrz_zone = mrz.zone;
    result.mrz = mrz.parse;
    result.mrz_raw_lines = mrz.raw_lines;
    result.mrz_characters = mrz.characters;
    if (result.mrz) result.expired = mrz_expired(result.mrz->fields, today);

    int text_glyphs = 0;
    {
        Stopwatch watch(timings ? &timings->text : nullptr);
        text_glyphs = count_text_row_glyphs(doc.rectified);
    }
    result.evidence = gather_evidence(doc, portrait, mrz, text_glyphs);
    result.document_confidence = document_confidence(result.evidence);
    result.format = format_of(result, doc);
    result.reasons = reasons_of(result, portrait);
    return result;
}

// the portrait among the faces of the whole picture; when the document has an outline but none of
// them lies on it, the faces of the rectified document (it enlarges a portrait too small for the
// whole-picture pass), moved back into the picture's pixels. `faces` then holds those.
PortraitChoice DocumentAnalyzer::find_portrait(std::vector<FaceAnalysis>& faces, const LocatedDocument& doc,
                                               double decode_scale) const {
    PortraitChoice portrait = select_portrait(faces, doc);
    if (portrait.index || !doc.outline_found) return portrait;
    ImageAnalysis on_document = engine_.analyze(doc.rectified, {}, 1.0);
    if (on_document.faces.empty()) return portrait;
    std::vector<FaceAnalysis> mapped;
    for (auto& f : on_document.faces) mapped.push_back(to_image(std::move(f), doc, decode_scale));
    PortraitChoice retry = select_portrait(mapped, doc);
    if (!retry.index) return portrait;
    faces = std::move(mapped);
    return retry;
}

} // namespace facegate
