// SPDX-License-Identifier: MIT
// eval_documents: the acceptance measurement of issue 12. It generates seeded sets of synthetic ID
// documents covering every hard case (card backs, open booklets, perspective up to 35 degrees, quarter
// and arbitrary turns, glare over the MRZ, old low-contrast blocky scans, small portraits, every
// layout, flat renders), runs facegate's document analysis on each (DocumentAnalyzer, the analysis of
// `facegate document FILE` and /v1/register, from the encoded bytes), and prints a table per case:
//
//   - documentConfidence >= 90 (every genuine side, backs included),
//   - the MRZ read with every check digit valid,
//   - every MRZ field equal to what was rendered,
//
// then the largest documentConfidence of non-documents (the sample photos, ../shared/data/faces when
// present, and synthesised scenery, text, monospaced text, tables, blank and noise pictures), and the
// MRZ of the two shared specimens (../shared/data/documents) turned by 0-350 degrees in 10-degree steps.
//
//   eval_documents [--per-case 20] [--seed 1] [--cases booklet,glare] [--jobs 1] [--save-failures DIR]
//                  [--json results.json]
//
// every document is reproducible: the failures are listed with their seed and the make_id_document
// command that writes the same document.
#include "common/error.h"
#include "core/face_engine.h"
#include "core/image_decoder.h"
#include "document/document_analyzer.h"
#include "document/mrz.h"
#include "id_document/capture_scene.h"
#include "id_document/document_fonts.h"
#include "id_document/id_document_generator.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;
using facegate::CaptureOptions;
using facegate::DocumentSide;
using facegate::FacingPage;
using facegate::IdDocumentType;
using facegate::RenderOptions;
using nlohmann::json;
using Uniform = std::uniform_real_distribution<double>;

int pick(std::mt19937& rng, int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); }
double uniform(std::mt19937& rng, double lo, double hi) { return Uniform(lo, hi)(rng); }

std::vector<uint8_t> read_bytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path.string());
    return {std::istreambuf_iterator<char>(in), {}};
}

std::vector<uint8_t> encode(const cv::Mat& image, const std::string& ext, std::vector<int> params = {}) {
    std::vector<uint8_t> out;
    if (!cv::imencode(ext, image, out, params)) throw std::runtime_error("cannot encode " + ext);
    return out;
}

std::string lower(std::string s) {
    for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// ---------------------------------------------------------------------------------------------------
// portrait sources: the sample photos (and the shared single-person photos when asked), each with the
// face a document would show: the most frontal one

struct PhotoSource {
    fs::path path;
    int face_index = 0; // make_id_document --face: in the engine's order, largest first
    facegate::PortraitSource portrait;
};

std::vector<PhotoSource> load_sources(const facegate::FaceEngine& engine, const std::vector<fs::path>& photos) {
    std::vector<PhotoSource> out;
    for (const auto& path : photos) {
        auto bytes = read_bytes(path);
        auto decoded = facegate::decode_image(bytes);
        auto analysis = engine.analyze(decoded.bgr, {.embeddings = false, .liveness = false, .attributes = true},
                                       decoded.scale);
        if (analysis.faces.empty()) continue;
        size_t best = 0;
        for (size_t i = 1; i < analysis.faces.size(); ++i) {
            if (std::abs(analysis.faces[i].pose.yaw) < std::abs(analysis.faces[best].pose.yaw)) best = i;
        }
        out.push_back({path, int(best), {decoded.bgr, analysis.faces[best].box.rect}});
    }
    return out;
}

// ---------------------------------------------------------------------------------------------------
// the holder: names, numbers and dates drawn from the document's own generator

facegate::IdDocumentFields random_fields(std::mt19937& rng) {
    static const char* kSurnames[] = {"ERIKSSON", "VAN DER BERG", "O'NEIL", "GARCIA LOPEZ", "NGUYEN", "MUELLER",
                                      "SMITH-JONES", "KOWALSKI", "OKAFOR", "TANAKA", "DUBOIS", "ROSSI",
                                      "MACDONALD", "PAPADOPOULOS", "HALVORSEN", "SILVA", "KIM", "LINDQVIST"};
    static const char* kGiven[] = {"ANNA MARIA", "JOHN", "LISA MARIE", "PETER", "MOHAMMED ALI", "SOFIA", "JEAN PIERRE",
                                   "OLGA", "KENJI", "AMARA", "LUCAS", "EMMA", "NOAH", "CHIARA", "YUKI", "ZOE"};
    static const char* kStates[] = {"UTO", "NLD", "FRA", "CAN", "GBR", "ESP", "ITA", "SWE", "BEL", "AUS", "IND",
                                    "BRA", "JPN", "NOR", "POL", "DEU"};
    static const char kAlnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    facegate::IdDocumentFields f;
    f.surname = kSurnames[pick(rng, int(std::size(kSurnames)))];
    f.given_names = kGiven[pick(rng, int(std::size(kGiven)))];
    f.issuing_state = kStates[pick(rng, int(std::size(kStates)))];
    f.nationality = pick(rng, 3) == 0 ? kStates[pick(rng, int(std::size(kStates)))] : f.issuing_state;
    f.state_name = f.issuing_state == "UTO" ? "UTOPIA" : "REPUBLIC OF " + f.issuing_state;
    // document numbers: letters and digits mixed as issuers do (L898902C3, AB1234567, X4RT7Q2M1)
    std::string number;
    const int letters = pick(rng, 3);
    for (int i = 0; i < 9; ++i) {
        number += i < letters || pick(rng, 5) == 0 ? kAlnum[pick(rng, 26)] : char('0' + pick(rng, 10));
    }
    f.document_number = number;
    auto two = [](int v) { return (v < 10 ? "0" : "") + std::to_string(v); };
    auto date = [&](int year_from, int year_to) {
        int y = year_from + pick(rng, year_to - year_from + 1), m = 1 + pick(rng, 12);
        static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        int days = kDays[m - 1] + (m == 2 && y % 4 == 0 ? 1 : 0);
        return two(y % 100) + two(m) + two(1 + pick(rng, days));
    };
    f.birth_date = date(1940, 2007);
    f.expiry_date = date(2026, 2036);
    f.issue_date = date(2016, 2025);
    static const char* kSexes[] = {"F", "M", "F", "M", "X"};
    f.sex = kSexes[pick(rng, 5)];
    if (pick(rng, 2) == 0) {
        std::string optional;
        int n = 6 + pick(rng, 6);
        for (int i = 0; i < n; ++i) optional += pick(rng, 3) == 0 ? kAlnum[pick(rng, 26)] : char('0' + pick(rng, 10));
        f.optional_data = optional;
    }
    return f;
}

// ---------------------------------------------------------------------------------------------------
// the cases

struct DocumentSpec {
    RenderOptions render;
    CaptureOptions capture;
    bool flat = false; // the flat render as a JPEG instead of a photo
    bool portrait_scaled = false;
};

struct Case {
    std::string name;
    std::string what;
    std::function<void(DocumentSpec&, std::mt19937&, int index)> configure;
};

IdDocumentType any_type(std::mt19937& rng) { return pick(rng, 2) == 0 ? IdDocumentType::TD1 : IdDocumentType::TD3; }

// a type, side and layout at random (backs are TD1 only)
void any_document(DocumentSpec& s, std::mt19937& rng, bool backs) {
    s.render.type = any_type(rng);
    s.render.side = backs && s.render.type == IdDocumentType::TD1 && pick(rng, 3) == 0 ? DocumentSide::BACK
                                                                                        : DocumentSide::FRONT;
    s.render.layout = pick(rng, facegate::document_layout_count(s.render.type, s.render.side));
}

std::vector<Case> all_cases() {
    std::vector<Case> cases;
    cases.push_back({"td1-front", "TD1 card, portrait side, layouts 0-2, phone photo", [](DocumentSpec& s, std::mt19937& rng, int) {
                         s.render.type = IdDocumentType::TD1;
                         s.render.layout = pick(rng, facegate::document_layout_count(IdDocumentType::TD1, DocumentSide::FRONT));
                     }});
    cases.push_back({"td1-back", "TD1 card, MRZ side without portrait, layouts 0-1, phone photo",
                     [](DocumentSpec& s, std::mt19937& rng, int) {
                         s.render.type = IdDocumentType::TD1;
                         s.render.side = DocumentSide::BACK;
                         s.render.layout = pick(rng, facegate::document_layout_count(IdDocumentType::TD1, DocumentSide::BACK));
                     }});
    cases.push_back({"td3-page", "TD3 data page, layouts 0-2, phone photo", [](DocumentSpec& s, std::mt19937& rng, int) {
                         s.render.type = IdDocumentType::TD3;
                         s.render.layout = pick(rng, facegate::document_layout_count(IdDocumentType::TD3, DocumentSide::FRONT));
                     }});
    cases.push_back({"booklet", "open TD3 booklet, facing page above (3/4) or below, tilt 0-30, streak 1/2, portrait-held phone 1/2",
                     [](DocumentSpec& s, std::mt19937& rng, int) {
                         s.render.type = IdDocumentType::TD3;
                         s.render.layout = pick(rng, facegate::document_layout_count(IdDocumentType::TD3, DocumentSide::FRONT));
                         s.render.facing_page = pick(rng, 4) == 0 ? FacingPage::BELOW : FacingPage::ABOVE;
                         s.capture.max_tilt_deg = 30;
                         s.capture.glare_streak = pick(rng, 2) == 0;
                         if (pick(rng, 2) == 0) s.capture.output_size = {1200, 1600};
                         s.capture.min_fill = 0.45, s.capture.max_fill = 0.9;
                     }});
    cases.push_back({"perspective-35", "tilt 20-35 degrees (camera model), any type/side/layout, 1600x1200",
                     [](DocumentSpec& s, std::mt19937& rng, int) {
                         any_document(s, rng, true);
                         s.capture.min_tilt_deg = 20, s.capture.max_tilt_deg = 35;
                     }});
    cases.push_back({"turn-90-180-270", "the photo turned by 90, 180 or 270 degrees (no EXIF), any type/side/layout",
                     [](DocumentSpec& s, std::mt19937& rng, int index) {
                         any_document(s, rng, true);
                         s.capture.turn_deg = 90.0 * (1 + index % 3);
                     }});
    cases.push_back({"turn-any", "the photo turned by any angle (not a quarter turn), any type/side/layout",
                     [](DocumentSpec& s, std::mt19937& rng, int) {
                         any_document(s, rng, true);
                         double turn = std::round(uniform(rng, 5, 355) * 10) / 10; // printable exactly
                         if (std::fmod(turn, 90.0) < 3 || std::fmod(turn, 90.0) > 87) turn += 10;
                         s.capture.turn_deg = turn;
                     }});
    cases.push_back({"glare", "glare streak / laminate reflection / both across part of the MRZ, any type/side/layout",
                     [](DocumentSpec& s, std::mt19937& rng, int index) {
                         any_document(s, rng, true);
                         s.capture.glare_streak = index % 3 != 1;
                         s.capture.laminate_reflection = index % 3 != 0;
                     }});
    cases.push_back({"old-scan", "flatbed scan, contrast 0.35-0.6, yellowed, JPEG quality 12-30, any type/side/layout",
                     [](DocumentSpec& s, std::mt19937& rng, int) {
                         any_document(s, rng, true);
                         s.capture.scan = true;
                         s.capture.output_size = {1400, 1000};
                         s.capture.min_fill = 0.55, s.capture.max_fill = 0.85;
                         s.capture.min_contrast = 0.35, s.capture.max_contrast = 0.6;
                         s.capture.min_jpeg_quality = 12, s.capture.max_jpeg_quality = 30;
                         s.capture.max_blur_sigma = 1.0;
                         s.capture.max_noise_sigma = 3;
                     }});
    cases.push_back({"small-portrait", "printed portrait scaled to 24-48 px high in the 1600x1200 photo",
                     [](DocumentSpec& s, std::mt19937& rng, int) {
                         s.render.type = any_type(rng);
                         s.render.layout = pick(rng, facegate::document_layout_count(s.render.type, DocumentSide::FRONT));
                         const auto& layout = facegate::document_layout(s.render.type, DocumentSide::FRONT, s.render.layout);
                         const double fill = std::round(uniform(rng, 0.42, 0.6) * 1000) / 1000, target = uniform(rng, 24, 48);
                         s.capture.min_fill = s.capture.max_fill = fill;
                         const double full = layout.portrait.height * fill * s.capture.output_size.width / layout.size.width;
                         s.render.portrait_scale = std::clamp(std::round(target / full * 1000) / 1000, 0.1, 1.0);
                         s.portrait_scaled = true;
                     }});
    cases.push_back({"layouts", "every layout of every type and side in turn, phone photo",
                     [](DocumentSpec& s, std::mt19937&, int index) {
                         struct L { IdDocumentType type; DocumentSide side; };
                         std::vector<std::pair<L, int>> all;
                         for (L l : {L{IdDocumentType::TD1, DocumentSide::FRONT}, L{IdDocumentType::TD1, DocumentSide::BACK},
                                     L{IdDocumentType::TD3, DocumentSide::FRONT}}) {
                             for (int v = 0; v < facegate::document_layout_count(l.type, l.side); ++v) all.push_back({l, v});
                         }
                         const auto& [l, v] = all[size_t(index) % all.size()];
                         s.render.type = l.type, s.render.side = l.side, s.render.layout = v;
                     }});
    cases.push_back({"flat", "the flat render itself (a crop or a good scan), JPEG 90, any type/side/layout",
                     [](DocumentSpec& s, std::mt19937& rng, int) {
                         any_document(s, rng, true);
                         s.flat = true;
                     }});
    return cases;
}

// ---------------------------------------------------------------------------------------------------
// one document: generated, analysed, judged

struct DocumentResult {
    std::string case_name;
    uint32_t seed = 0;
    std::string type, side, layout_name;
    bool front = true;
    float confidence = 0;
    bool mrz_valid = false, fields_equal = false, portrait_found = false;
    double portrait_height_px = 0;
    std::vector<std::string> reasons;
    std::vector<std::string> expected_mrz, read_mrz;
    std::string format;
    double analysis_ms = 0;
    float rotation_degrees = 0;
    std::string command; // make_id_document arguments that write the same document
    std::string error;
};

bool same_fields(const facegate::MrzFields& a, const facegate::MrzFields& b) {
    return a.document_code == b.document_code && a.issuing_state == b.issuing_state && a.surname == b.surname &&
           a.given_names == b.given_names && a.document_number == b.document_number &&
           a.nationality == b.nationality && a.birth_date == b.birth_date && a.sex == b.sex &&
           a.expiry_date == b.expiry_date && a.optional_data == b.optional_data && a.optional_data2 == b.optional_data2;
}

std::string quote(const std::string& s) {
    if (s.find_first_of(" '\"") == std::string::npos) return s;
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string cli_command(const DocumentSpec& s, const facegate::IdDocumentFields& f, const PhotoSource* photo, uint32_t seed,
                        const std::string& out) {
    std::ostringstream c;
    c << "make_id_document";
    if (photo) c << " --photo " << quote(photo->path.string()) << " --face " << photo->face_index;
    c << " --type " << (s.render.type == IdDocumentType::TD1 ? "td1" : "td3");
    if (s.render.side == DocumentSide::BACK) c << " --side back";
    if (s.render.layout) c << " --layout " << s.render.layout;
    if (s.render.portrait_scale != 1) c << " --portrait-scale " << s.render.portrait_scale;
    if (s.render.facing_page != FacingPage::NONE) c << " --booklet " << (s.render.facing_page == FacingPage::ABOVE ? "above" : "below");
    c << " --issuing-state " << f.issuing_state << " --state-name " << quote(f.state_name) << " --surname "
      << quote(f.surname) << " --given-names " << quote(f.given_names) << " --number " << f.document_number
      << " --birth " << f.birth_date << " --expiry " << f.expiry_date << " --issue-date " << f.issue_date << " --sex "
      << f.sex << " --nationality " << f.nationality;
    if (!f.optional_data.empty()) c << " --optional-data " << f.optional_data;
    c << " --seed " << seed;
    if (s.flat) {
        c << " --flat";
    } else {
        const CaptureOptions& o = s.capture;
        const CaptureOptions d;
        if (o.output_size != d.output_size) c << " --width " << o.output_size.width << " --height " << o.output_size.height;
        if (o.min_fill != d.min_fill) c << " --fill-min " << o.min_fill;
        if (o.max_fill != d.max_fill) c << " --fill-max " << o.max_fill;
        if (o.min_tilt_deg != d.min_tilt_deg) c << " --tilt-min " << o.min_tilt_deg;
        if (o.max_tilt_deg != d.max_tilt_deg) c << " --tilt-max " << o.max_tilt_deg;
        if (o.turn_deg != 0) c << " --turn " << o.turn_deg;
        if (o.glare_streak || o.laminate_reflection) {
            c << " --glare " << (o.glare_streak && o.laminate_reflection ? "both" : o.glare_streak ? "streak" : "reflection");
        }
        if (o.scan) c << " --scan";
        if (o.min_contrast != d.min_contrast) c << " --contrast-min " << o.min_contrast;
        if (o.max_contrast != d.max_contrast) c << " --contrast-max " << o.max_contrast;
        if (o.min_jpeg_quality != d.min_jpeg_quality) c << " --jpeg-quality-min " << o.min_jpeg_quality;
        if (o.max_jpeg_quality != d.max_jpeg_quality) c << " --jpeg-quality-max " << o.max_jpeg_quality;
        if (o.max_blur_sigma != d.max_blur_sigma) c << " --blur-max " << o.max_blur_sigma;
        if (o.max_noise_sigma != d.max_noise_sigma) c << " --noise-max " << o.max_noise_sigma;
    }
    c << " --out " << out;
    return c.str();
}

bool inside(const std::array<cv::Point2f, 4>& quad, cv::Point2f p) {
    return cv::pointPolygonTest(std::vector<cv::Point2f>(quad.begin(), quad.end()), p, false) >= 0;
}

DocumentResult run_document(const Case& c, int index, uint32_t seed, const std::vector<PhotoSource>& sources,
                            facegate::IdDocumentGenerator& generator, const facegate::DocumentAnalyzer& analyzer,
                            std::chrono::year_month_day today, const std::optional<fs::path>& save_failures,
                            bool save_all) {
    DocumentResult r;
    r.case_name = c.name;
    r.seed = seed;
    // the case's choices and the holder from their own generator; the document's from `seed`
    std::mt19937 choices(seed * 2654435761u + 12345u);
    DocumentSpec spec;
    c.configure(spec, choices, index);
    facegate::IdDocumentFields fields = random_fields(choices);
    const PhotoSource& photo = sources[size_t(pick(choices, int(sources.size())))];
    r.front = spec.render.side == DocumentSide::FRONT;
    r.type = std::string(facegate::document_type_name(spec.render.type));
    r.side = std::string(facegate::document_side_name(spec.render.side));
    const std::string file = c.name + "-" + std::to_string(seed) + (spec.flat ? ".jpg" : ".jpg");
    r.command = cli_command(spec, fields, r.front ? &photo : nullptr, seed, file);
    try {
        auto doc = generator.generate(photo.portrait, fields, spec.render, spec.capture, seed);
        r.layout_name = doc.document.layout_name;
        r.expected_mrz = doc.document.mrz;
        std::vector<uint8_t> bytes = spec.flat ? encode(doc.document.bgr, ".jpg", {cv::IMWRITE_JPEG_QUALITY, 90})
                                               : doc.capture.jpeg;
        // where the printed portrait is in the analysed picture
        std::array<cv::Point2f, 4> portrait_quad{};
        if (!doc.document.portrait.empty()) {
            cv::Rect2f p(doc.document.portrait);
            cv::Point2f corners[4] = {p.tl(), {p.br().x, p.y}, p.br(), {p.x, p.br().y}};
            for (int i = 0; i < 4; ++i) {
                portrait_quad[size_t(i)] = spec.flat ? corners[i] : facegate::map_to_capture(doc.capture, corners[i]);
            }
            r.portrait_height_px = (cv::norm(portrait_quad[3] - portrait_quad[0]) + cv::norm(portrait_quad[2] - portrait_quad[1])) / 2;
        }
        auto expected = facegate::parse_mrz(doc.document.mrz);
        auto started = std::chrono::steady_clock::now();
        auto a = analyzer.analyze(bytes, today);
        r.analysis_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
        r.confidence = a.document_confidence;
        r.reasons = a.reasons;
        r.format = a.format;
        r.rotation_degrees = a.rotation_degrees;
        if (a.mrz) {
            r.read_mrz = a.mrz->lines;
            r.mrz_valid = a.mrz->all_checks_valid;
            r.fields_equal = expected && a.mrz->format == expected->format && a.mrz->lines == expected->lines &&
                             same_fields(a.mrz->fields, expected->fields);
        }
        if (a.portrait && r.front) {
            const cv::Rect2f& box = a.portrait->box.rect;
            r.portrait_found = inside(portrait_quad, {box.x + box.width / 2, box.y + box.height / 2});
        }
        const bool failed = r.confidence < 90 || !r.mrz_valid || !r.fields_equal;
        if ((failed || save_all) && save_failures) {
            fs::create_directories(*save_failures);
            std::ofstream(*save_failures / file, std::ios::binary)
                .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
        }
    } catch (const std::exception& e) {
        r.error = e.what();
    }
    return r;
}

// ---------------------------------------------------------------------------------------------------
// non-documents

struct NonDocument {
    std::string group;
    std::string name;
    std::vector<uint8_t> bytes;
};

cv::Mat scenery(int seed) {
    std::mt19937 rng{uint32_t(seed)};
    cv::Mat img(900, 1200, CV_8UC3);
    cv::Scalar top(uniform(rng, 180, 250), uniform(rng, 120, 200), uniform(rng, 60, 140));
    cv::Scalar bottom(uniform(rng, 200, 255), uniform(rng, 200, 240), uniform(rng, 180, 230));
    for (int y = 0; y < img.rows; ++y) img.row(y).setTo(top + (bottom - top) * (double(y) / img.rows));
    cv::circle(img, {int(uniform(rng, 100, 1100)), int(uniform(rng, 80, 300))}, int(uniform(rng, 30, 70)),
               cv::Scalar(170, 240, 255), cv::FILLED, cv::LINE_AA);
    for (int layer = 0; layer < 3; ++layer) {
        std::vector<cv::Point> hill{{0, img.rows}};
        double base = 450 + layer * 120, amp = uniform(rng, 40, 120), f = uniform(rng, 0.003, 0.01), ph = uniform(rng, 0, 6);
        for (int x = 0; x <= img.cols; x += 20) hill.emplace_back(x, int(base + amp * std::sin(x * f + ph)));
        hill.emplace_back(img.cols, img.rows);
        cv::fillPoly(img, std::vector<std::vector<cv::Point>>{hill},
                     cv::Scalar(uniform(rng, 40, 90), uniform(rng, 90, 160) - layer * 20, uniform(rng, 40, 90)), cv::LINE_AA);
    }
    for (int t = 0; t < 25; ++t) { // trees
        cv::Point at(int(uniform(rng, 0, 1200)), int(uniform(rng, 600, 880)));
        int h = int(uniform(rng, 40, 120));
        cv::rectangle(img, {at.x - 3, at.y - h / 3}, {at.x + 3, at.y}, cv::Scalar(30, 50, 70), cv::FILLED);
        cv::circle(img, {at.x, at.y - h / 2}, h / 3, cv::Scalar(30, uniform(rng, 90, 140), 40), cv::FILLED, cv::LINE_AA);
    }
    cv::Mat noise(img.size(), CV_8UC3);
    cv::randn(noise, cv::Scalar::all(0), cv::Scalar::all(6));
    cv::add(img, noise, img, cv::noArray(), CV_8UC3);
    return img;
}

cv::Mat text_page(facegate::DocumentFonts& fonts, int seed, bool monospaced) {
    std::mt19937 rng{uint32_t(seed)};
    static const char* kWords[] = {"the", "document", "analysis", "register", "photo", "policy", "session", "face",
                                   "verification", "service", "returns", "within", "seconds", "request", "error",
                                   "identity", "machine", "readable", "zone", "page", "table", "engine", "score"};
    static const char* kCode[] = {"int main(int argc, char** argv) {", "    for (size_t i = 0; i < n; ++i) {",
                                  "        total += values[i] * 2;", "    }", "    return total > 0 ? 0 : 1;", "}",
                                  "#include <vector>", "std::vector<int> values(64, 0);", "// TODO: check the limits",
                                  "SELECT id, name FROM users WHERE id < 100;"};
    cv::Mat page(1100, 850, CV_8UC3, cv::Scalar::all(250));
    float y = 70;
    while (y < page.rows - 50) {
        std::string line;
        if (monospaced) {
            line = kCode[pick(rng, int(std::size(kCode)))];
            fonts.draw_monospaced(page, facegate::FontKind::OCR_B, line, {50, y}, 15.f, 14.f, cv::Scalar::all(20));
        } else {
            while (line.size() < 70) line += std::string(kWords[pick(rng, int(std::size(kWords)))]) + " ";
            fonts.draw(page, facegate::FontKind::REGULAR, line, {50, y}, 13.f, cv::Scalar::all(20));
        }
        y += 26;
        if (pick(rng, 8) == 0) y += 26; // paragraph
    }
    return page;
}

std::vector<NonDocument> non_documents(const fs::path& samples, const std::optional<fs::path>& shared_faces) {
    std::vector<NonDocument> out;
    for (const auto& e : fs::directory_iterator(samples)) {
        if (e.path().extension() == ".jpg") out.push_back({"sample photos", e.path().filename().string(), read_bytes(e.path())});
    }
    if (shared_faces && fs::is_directory(*shared_faces)) {
        for (const auto& e : fs::recursive_directory_iterator(*shared_faces)) {
            std::string ext = lower(e.path().extension().string());
            if (e.is_regular_file() && (ext == ".jpg" || ext == ".jpeg" || ext == ".png")) {
                out.push_back({"shared faces", fs::relative(e.path(), *shared_faces).string(), read_bytes(e.path())});
            }
        }
    }
    facegate::DocumentFonts fonts;
    for (int i = 0; i < 4; ++i) out.push_back({"scenery", "scenery-" + std::to_string(i), encode(scenery(i + 1), ".jpg")});
    for (int i = 0; i < 3; ++i) {
        out.push_back({"text", "text-" + std::to_string(i), encode(text_page(fonts, i + 1, false), ".png")});
        out.push_back({"text", "monospaced-" + std::to_string(i), encode(text_page(fonts, i + 11, true), ".png")});
    }
    for (int i = 0; i < 2; ++i) {
        std::mt19937 rng{uint32_t(100 + i)};
        out.push_back({"empty desk", "table-" + std::to_string(i), encode(facegate::table_background({1600, 1200}, rng), ".jpg")});
        out.push_back({"empty desk", "clutter-" + std::to_string(i), encode(facegate::clutter_background({1600, 1200}, rng), ".jpg")});
    }
    for (auto [name, value] : {std::pair{"white", 255}, std::pair{"black", 0}, std::pair{"grey", 128}}) {
        out.push_back({"blank", std::string("blank-") + name, encode(cv::Mat(900, 1200, CV_8UC3, cv::Scalar::all(value)), ".png")});
    }
    cv::Mat noise(900, 1200, CV_8UC3);
    cv::RNG cv_rng(7);
    cv_rng.fill(noise, cv::RNG::UNIFORM, 0, 256);
    out.push_back({"noise", "uniform", encode(noise, ".jpg")});
    cv_rng.fill(noise, cv::RNG::NORMAL, 128, 50);
    out.push_back({"noise", "gaussian", encode(noise, ".png")});
    return out;
}

// ---------------------------------------------------------------------------------------------------
// the shared specimens, turned

cv::Mat turned(const cv::Mat& image, double degrees) {
    const cv::Point2f centre(float(image.cols) / 2, float(image.rows) / 2);
    cv::Mat m = cv::getRotationMatrix2D(centre, degrees, 1.0);
    const cv::Rect2f bounds = cv::RotatedRect(centre, cv::Size2f(image.size()), float(-degrees)).boundingRect2f();
    const cv::Size size(int(std::lround(bounds.width)), int(std::lround(bounds.height)));
    m.at<double>(0, 2) += size.width / 2.0 - centre.x;
    m.at<double>(1, 2) += size.height / 2.0 - centre.y;
    cv::Mat out;
    cv::warpAffine(image, out, m, size, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    return out;
}

std::string percent(int k, int n) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%%", n ? 100.0 * k / n : 0.0);
    return buf;
}

std::string fixed(double v, int decimals = 1) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"eval_documents: generated ID documents of every hard case through facegate's document analysis "
                 "(issue 12's acceptance measurement)"};
    int per_case = 20, jobs = 1;
    uint32_t base_seed = 1;
    std::string cases_arg, save_failures, json_path;
    std::string model_dir = facegate::default_model_dir().string();
    const char* samples_env = std::getenv("FACEGATE_SAMPLES_DIR");
    std::string samples = samples_env ? samples_env : FACEGATE_EVAL_SAMPLES_DIR;
    std::string shared = FACEGATE_EVAL_SHARED_DIR;
    bool shared_photos = false, no_rotations = false, no_non_documents = false, save_all = false;
    app.add_option("--per-case", per_case, "documents per case")->capture_default_str();
    app.add_option("--seed", base_seed, "first seed: case k's document i has seed + 1000 k + i")->capture_default_str();
    app.add_option("--cases", cases_arg, "comma-separated case names (default: all)");
    app.add_option("--jobs", jobs, "documents analysed at once")->capture_default_str();
    app.add_option("--samples", samples, "the sample photos (FACEGATE_SAMPLES_DIR)")->capture_default_str();
    app.add_option("--shared", shared, "../shared/data: specimens to turn, faces as non-documents")->capture_default_str();
    app.add_flag("--shared-photos", shared_photos, "also take portraits from ../shared/data/faces");
    app.add_flag("--no-rotations", no_rotations, "skip the turned specimens");
    app.add_flag("--no-non-documents", no_non_documents, "skip the non-documents");
    app.add_option("--save-failures", save_failures, "write the documents that fail a criterion here");
    app.add_flag("--save-all", save_all, "with --save-failures: write every document there, not only the failures");
    app.add_option("--json", json_path, "write every document's result here");
    app.add_option("--models", model_dir, "directory of the ONNX models")->envname("FACEGATE_MODEL_DIR")->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    try {
        facegate::EngineConfig config;
        config.model_dir = model_dir;
        config.workers = std::max(1, jobs);
        facegate::FaceEngine engine(config);
        facegate::DocumentAnalyzer analyzer(engine);
        const auto today = facegate::mrz_today_utc();

        std::vector<fs::path> photos;
        for (const auto& e : fs::directory_iterator(samples)) {
            if (e.path().extension() == ".jpg") photos.push_back(e.path());
        }
        const fs::path shared_faces = fs::path(shared) / "faces";
        if (shared_photos && fs::is_directory(shared_faces)) {
            for (const auto& e : fs::directory_iterator(shared_faces)) {
                if (!e.is_directory() || e.path().filename().string().starts_with("_")) continue; // one person each
                for (const auto& f : fs::directory_iterator(e.path())) photos.push_back(f.path());
            }
        }
        std::sort(photos.begin(), photos.end());
        auto sources = load_sources(engine, photos);
        if (sources.empty()) throw std::runtime_error("no face in the photos of " + samples);
        std::cerr << sources.size() << " portrait sources\n";

        auto cases = all_cases();
        if (!cases_arg.empty()) {
            std::vector<Case> chosen;
            std::stringstream list(cases_arg);
            for (std::string name; std::getline(list, name, ',');) {
                auto it = std::find_if(cases.begin(), cases.end(), [&](const Case& c) { return c.name == name; });
                if (it == cases.end()) throw std::runtime_error("no case " + name);
                chosen.push_back(*it);
            }
            cases = chosen;
        }
        const auto every = all_cases();
        struct Job { size_t case_index; int index; uint32_t seed; };
        std::vector<Job> work;
        for (size_t k = 0; k < cases.size(); ++k) {
            // the seed follows the case's place in the full list: --cases picks, it does not renumber
            size_t global = size_t(std::find_if(every.begin(), every.end(), [&](const Case& c) { return c.name == cases[k].name; }) - every.begin());
            for (int i = 0; i < per_case; ++i) work.push_back({k, i, base_seed + uint32_t(1000 * global) + uint32_t(i)});
        }
        std::vector<DocumentResult> results(work.size());
        std::atomic<size_t> next{0};
        std::mutex log;
        std::optional<fs::path> failures_dir;
        if (!save_failures.empty()) failures_dir = fs::path(save_failures);
        auto worker = [&] {
            facegate::IdDocumentGenerator generator;
            for (size_t j; (j = next++) < work.size();) {
                const Job& w = work[j];
                results[j] = run_document(cases[w.case_index], w.index, w.seed, sources, generator, analyzer, today, failures_dir,
                                          save_all);
                const auto& r = results[j];
                std::lock_guard lock(log);
                std::cerr << "[" << j + 1 << "/" << work.size() << "] " << r.case_name << " seed " << r.seed << " "
                          << r.type << " " << r.side << " " << r.layout_name << ": conf " << fixed(r.confidence)
                          << (r.mrz_valid ? " mrz-valid" : " mrz-INVALID") << (r.fields_equal ? " fields-equal" : " fields-DIFFER")
                          << " " << fixed(r.analysis_ms, 0) << " ms" << (r.error.empty() ? "" : " ERROR " + r.error) << "\n";
            }
        };
        std::vector<std::thread> threads;
        for (int t = 0; t < std::max(1, jobs); ++t) threads.emplace_back(worker);
        for (auto& t : threads) t.join();

        // the table
        std::cout << "## Generated documents (" << work.size() << ", seeds from " << base_seed << ")\n\n"
                  << "| case | n | documentConfidence >= 90 | MRZ all check digits valid | every field as rendered | "
                     "confidence min / median | portrait found (fronts) | analysis median ms |\n"
                  << "| --- | --- | --- | --- | --- | --- | --- | --- |\n";
        auto row = [&](const std::string& name, const std::vector<const DocumentResult*>& rs) {
            int conf = 0, mrz = 0, fields = 0, fronts = 0, portraits = 0;
            std::vector<double> confidences, ms;
            for (const auto* r : rs) {
                conf += r->confidence >= 90, mrz += r->mrz_valid, fields += r->fields_equal;
                if (r->front) fronts++, portraits += r->portrait_found;
                confidences.push_back(r->confidence);
                ms.push_back(r->analysis_ms);
            }
            double lowest = confidences.empty() ? 0 : *std::min_element(confidences.begin(), confidences.end());
            std::cout << "| " << name << " | " << rs.size() << " | " << percent(conf, int(rs.size())) << " | "
                      << percent(mrz, int(rs.size())) << " | " << percent(fields, int(rs.size())) << " | "
                      << fixed(lowest) << " / " << fixed(median(confidences)) << " | "
                      << (fronts ? percent(portraits, fronts) + " of " + std::to_string(fronts) : std::string("-"))
                      << " | " << fixed(median(ms), 0) << " |\n";
        };
        std::vector<const DocumentResult*> all;
        for (const auto& c : cases) {
            std::vector<const DocumentResult*> rs;
            for (const auto& r : results) {
                if (r.case_name == c.name) rs.push_back(&r);
            }
            row(c.name, rs);
            all.insert(all.end(), rs.begin(), rs.end());
        }
        row("**all**", all);
        int backs = 0, backs_reason = 0, fronts_reason = 0, confident_unread = 0;
        for (const auto* r : all) {
            const bool side_reason = std::find(r->reasons.begin(), r->reasons.end(), "DOCUMENT_SIDE_WITHOUT_PORTRAIT") != r->reasons.end();
            if (r->front) fronts_reason += side_reason;
            else backs++, backs_reason += side_reason;
            confident_unread += r->confidence >= 90 && !r->mrz_valid;
        }
        std::cout << "\nTargets: >= 98% / >= 97% / >= 95%.\n\n"
                  << "- card backs saying DOCUMENT_SIDE_WITHOUT_PORTRAIT: " << backs_reason << " of " << backs
                  << "; fronts saying it (their portrait missed): " << fronts_reason << "\n"
                  << "- documentConfidence >= 90 although the MRZ's check digits failed or no MRZ was read: "
                  << confident_unread << "\n\nCases:\n";
        for (const auto& c : cases) std::cout << "- `" << c.name << "`: " << c.what << "\n";

        std::vector<const DocumentResult*> failed;
        for (const auto& r : results) {
            if (r.confidence < 90 || !r.mrz_valid || !r.fields_equal || !r.error.empty()) failed.push_back(&r);
        }
        std::cout << "\n### Failures (" << failed.size() << ")\n\n";
        for (const auto* r : failed) {
            std::cout << "- " << r->case_name << " seed " << r->seed << " (" << r->type << " " << r->side << ", "
                      << r->layout_name << "): conf " << fixed(r->confidence) << ", format " << r->format
                      << (r->mrz_valid ? ", MRZ valid" : r->read_mrz.empty() ? ", no MRZ" : ", MRZ check failed")
                      << (r->fields_equal ? "" : ", fields differ") << ", reasons [";
            for (size_t i = 0; i < r->reasons.size(); ++i) std::cout << (i ? " " : "") << r->reasons[i];
            std::cout << "]" << (r->error.empty() ? "" : ", error: " + r->error) << "\n  `" << r->command << "`\n";
            if (!r->read_mrz.empty() && !r->fields_equal) {
                for (size_t i = 0; i < r->expected_mrz.size(); ++i) {
                    std::cout << "  - rendered `" << r->expected_mrz[i] << "` read `"
                              << (i < r->read_mrz.size() ? r->read_mrz[i] : "") << "`\n";
                }
            }
        }

        json out_json;
        for (const auto& r : results) {
            out_json["documents"].push_back({{"case", r.case_name}, {"seed", r.seed}, {"type", r.type}, {"side", r.side},
                                             {"layout", r.layout_name}, {"documentConfidence", r.confidence},
                                             {"mrzValid", r.mrz_valid}, {"fieldsEqual", r.fields_equal},
                                             {"portraitFound", r.portrait_found}, {"portraitHeightPx", r.portrait_height_px},
                                             {"reasons", r.reasons}, {"format", r.format}, {"rotationDegrees", r.rotation_degrees},
                                             {"mrzRendered", r.expected_mrz}, {"mrzRead", r.read_mrz},
                                             {"analysisMs", r.analysis_ms}, {"command", r.command}, {"error", r.error}});
        }

        if (!no_non_documents) {
            auto negatives = non_documents(samples, fs::path(shared) / "faces");
            std::map<std::string, std::vector<std::pair<float, std::string>>> groups;
            for (const auto& n : negatives) {
                float conf = -1;
                try {
                    conf = analyzer.analyze(n.bytes, today).document_confidence;
                } catch (const facegate::Error& e) {
                    std::cerr << n.name << ": " << e.what() << "\n";
                }
                groups[n.group].push_back({conf, n.name});
                out_json["nonDocuments"].push_back({{"group", n.group}, {"name", n.name}, {"documentConfidence", conf}});
            }
            std::cout << "\n## Non-documents (target: documentConfidence <= 20)\n\n"
                      << "| set | n | max documentConfidence | highest | <= 20 |\n| --- | --- | --- | --- | --- |\n";
            for (auto& [group, v] : groups) {
                auto top = *std::max_element(v.begin(), v.end());
                std::cout << "| " << group << " | " << v.size() << " | " << fixed(top.first) << " | " << top.second
                          << " | " << (top.first <= 20 ? "yes" : "**no**") << " |\n";
            }
        }

        const fs::path specimens = fs::path(shared) / "documents";
        if (!no_rotations && fs::is_directory(specimens)) {
            std::cout << "\n## Shared specimens turned by 0-350 degrees (10-degree steps)\n\n"
                      << "| specimen | angles | same MRZ as upright, every check digit valid | failing angles |\n"
                      << "| --- | --- | --- | --- |\n";
            for (const char* name : {"passport-td2.jpg", "passport-td3.jpg"}) {
                const fs::path path = specimens / name;
                if (!fs::exists(path)) continue;
                auto bytes = read_bytes(path);
                auto upright = analyzer.analyze(bytes, today);
                auto image = facegate::decode_image(bytes).bgr;
                int same = 0, angles = 0;
                std::string failing;
                for (int deg = 0; deg < 360; deg += 10) {
                    auto a = analyzer.analyze(encode(turned(image, deg), ".jpg", {cv::IMWRITE_JPEG_QUALITY, 95}), today);
                    bool ok = upright.mrz && upright.mrz->all_checks_valid && a.mrz && a.mrz->all_checks_valid &&
                              a.mrz->lines == upright.mrz->lines;
                    ++angles;
                    same += ok;
                    if (!ok) failing += (failing.empty() ? "" : ", ") + std::to_string(deg);
                    out_json["specimenRotations"].push_back({{"specimen", name}, {"degrees", deg}, {"sameMrz", ok},
                                                             {"documentConfidence", a.document_confidence},
                                                             {"mrzRead", a.mrz ? a.mrz->lines : std::vector<std::string>{}}});
                    std::cerr << name << " " << deg << " deg: " << (ok ? "same MRZ" : "DIFFERENT") << "\n";
                }
                std::cout << "| " << name << " | " << angles << " | " << same << " / " << angles << " | "
                          << (failing.empty() ? "-" : failing) << " |\n";
            }
        } else if (!no_rotations) {
            std::cout << "\n(" << specimens.string() << " is absent: no turned specimens)\n";
        }

        if (!json_path.empty()) std::ofstream(json_path) << out_json.dump(1) << "\n";
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "eval_documents: " << e.what() << "\n";
        return 2;
    }
}
