// SPDX-License-Identifier: MIT
// make_id_document: a synthetic ID document from a face photo, as a phone photo (or flat), plus JSON on
// stdout saying what was written: the MRZ lines, the fields and the document's corners in the image
// (ground truth for locator and reader tests).
//
//   make_id_document --photo face.jpg --type td1 --surname DOE --seed 7 --out doc.jpg --out-flat flat.png
//   make_id_document --type td1 --side back --out back.jpg                      # the MRZ side, no photo needed
//   make_id_document --photo face.jpg --booklet above --tilt-max 35 --glare both --out open.jpg
#include "common/error.h"
#include "core/face_engine.h"
#include "id_document/id_document_generator.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include <cmath>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>

namespace {

using facegate::Error;
using facegate::ErrorCode;
using nlohmann::json;

constexpr int kExitError = 2;

std::vector<uint8_t> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(ErrorCode::INVALID_PARAMETER, "cannot read " + path);
    return {std::istreambuf_iterator<char>(in), {}};
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    if (!out) throw Error(ErrorCode::INVALID_PARAMETER, "cannot write " + path);
}

bool is_jpeg_name(const std::string& path) {
    auto dot = path.rfind('.');
    std::string ext = dot == std::string::npos ? "" : path.substr(dot);
    for (auto& c : ext) c = char(std::tolower(static_cast<unsigned char>(c)));
    return ext == ".jpg" || ext == ".jpeg";
}

// any format OpenCV writes, chosen by the file name
void write_image(const std::string& path, const cv::Mat& image) {
    bool ok = false;
    try {
        ok = cv::imwrite(path, image, {cv::IMWRITE_JPEG_QUALITY, 95});
    } catch (const cv::Exception&) {
    }
    if (!ok) throw Error(ErrorCode::INVALID_PARAMETER, "cannot write " + path + " (a .jpg or .png name?)");
}

json point(cv::Point2f p) { return json::array({p.x, p.y}); }

// the corners of a rectangle of the flat document, in the output image
json quad(const cv::Rect& r, const std::function<cv::Point2f(cv::Point2f)>& to_output) {
    json out = json::array();
    for (cv::Point2f p : {cv::Point2f(float(r.x), float(r.y)), cv::Point2f(float(r.br().x), float(r.y)),
                          cv::Point2f(float(r.br().x), float(r.br().y)), cv::Point2f(float(r.x), float(r.br().y))}) {
        out.push_back(point(to_output(p)));
    }
    return out;
}

const char* background_name(facegate::SceneBackground b) {
    return b == facegate::SceneBackground::TABLE ? "table" : "clutter";
}

// the mean length of a quad's left and right sides: a portrait's height in the image
double quad_height(const json& q) {
    auto length = [](const json& a, const json& b) {
        return std::hypot(a[0].get<double>() - b[0].get<double>(), a[1].get<double>() - b[1].get<double>());
    };
    return (length(q[0], q[3]) + length(q[1], q[2])) / 2;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"make_id_document: a synthetic ID document (TD1 card or TD3 passport page) with a face photo's "
                 "portrait, photographed by a simulated phone; JSON of what was written on stdout"};
    std::string photo, out_path, out_flat, type = "td3", background = "random";
    facegate::IdDocumentFields fields;
    facegate::RenderOptions render;
    facegate::CaptureOptions capture;
    facegate::FontPaths fonts = facegate::default_font_paths();
    std::string font_regular = fonts.regular.string(), font_bold = fonts.bold.string(), font_ocrb = fonts.ocr_b.string();
    uint32_t seed = 1;
    size_t face_index = 0;
    bool flat = false, no_ghost = false;
    std::string side = "front", booklet = "none", glare = "none";
    std::string model_dir = facegate::default_model_dir().string();

    app.add_option("--photo", photo, "face photo (JPEG/PNG/WebP/BMP); its largest face becomes the portrait "
                                     "(required but for --side back)");
    app.add_option("--face", face_index, "which face of the photo, largest first")->capture_default_str();
    app.add_option("--out", out_path, "the image to write (.jpg: the capture's JPEG bytes; other names re-encode)")->required();
    app.add_option("--out-flat", out_flat, "also write the flat document here (.png keeps it lossless)");
    app.add_option("--type", type, "td1 (ID-1 card, 3x30 MRZ) or td3 (passport page, 2x44 MRZ)")
        ->check(CLI::IsMember({"td1", "td3"}, CLI::ignore_case))->capture_default_str();
    app.add_option("--code", fields.document_code, "document code (default P for td3, ID for td1)");
    app.add_option("--issuing-state", fields.issuing_state, "issuing state, 3 letters")->capture_default_str();
    app.add_option("--state-name", fields.state_name, "state name in the header")->capture_default_str();
    app.add_option("--surname", fields.surname)->capture_default_str();
    app.add_option("--given-names", fields.given_names)->capture_default_str();
    app.add_option("--number", fields.document_number, "document number (up to 9 characters)")->capture_default_str();
    app.add_option("--birth", fields.birth_date, "date of birth YYMMDD")->capture_default_str();
    app.add_option("--expiry", fields.expiry_date, "date of expiry YYMMDD")->capture_default_str();
    app.add_option("--sex", fields.sex, "F, M or X")->capture_default_str();
    app.add_option("--nationality", fields.nationality, "3 letters")->capture_default_str();
    app.add_option("--optional-data", fields.optional_data, "TD3 personal number / TD1 optional data");
    app.add_option("--issue-date", fields.issue_date, "date of issue YYMMDD (printed only)")->capture_default_str();
    app.add_option("--place-of-birth", fields.place_of_birth, "printed only")->capture_default_str();
    app.add_option("--authority", fields.authority, "printed only")->capture_default_str();
    app.add_option("--address", fields.address, "printed only (a card's back)")->capture_default_str();
    app.add_option("--seed", seed, "every random choice derives from it: same seed, same bytes")->capture_default_str();
    app.add_flag("--flat", flat, "write the flat document to --out instead of a simulated phone photo");
    app.add_option("--px-per-mm", render.px_per_mm, "resolution of the flat document")->capture_default_str();
    app.add_flag("--no-ghost", no_ghost, "leave out the small faded second portrait");
    app.add_option("--side", side, "front, or back: a td1 card's MRZ side, without a portrait")
        ->check(CLI::IsMember({"front", "back"}, CLI::ignore_case))->capture_default_str();
    app.add_option("--layout", render.layout, "layout variant: td1 front 0-2, td1 back 0-1, td3 0-2 (portrait right: "
                                              "td1 1, td3 2)")->capture_default_str();
    app.add_option("--portrait-scale", render.portrait_scale, "the printed portrait at this fraction of its size (0.1-1)")
        ->capture_default_str();
    app.add_option("--booklet", booklet, "td3 as an open booklet: the facing page above or below the data page")
        ->check(CLI::IsMember({"none", "above", "below"}, CLI::ignore_case))->capture_default_str();
    app.add_option("--fill-min", capture.min_fill, "smallest document width / photo width")->capture_default_str();
    app.add_option("--fill-max", capture.max_fill, "largest document width / photo width")->capture_default_str();
    app.add_option("--rotation", capture.max_rotation_deg, "largest rotation on the table, either way (0-180)")
        ->capture_default_str();
    app.add_option("--tilt-min", capture.min_tilt_deg, "smallest tilt of the document's plane (camera model)")
        ->capture_default_str();
    app.add_option("--tilt-max", capture.max_tilt_deg, "largest tilt of the document's plane, up to 60 (0: jitter only)")
        ->capture_default_str();
    app.add_option("--glare", glare, "a glare streak, a laminate reflection or both across part of the MRZ")
        ->check(CLI::IsMember({"none", "streak", "reflection", "both"}, CLI::ignore_case))->capture_default_str();
    app.add_flag("--scan", capture.scan, "an old flatbed scan instead of a phone photo (even light, yellowed)");
    app.add_option("--contrast-min", capture.min_contrast, "lowest contrast (0.2-1; 1: untouched)")->capture_default_str();
    app.add_option("--contrast-max", capture.max_contrast, "highest contrast (0.2-1)")->capture_default_str();
    app.add_option("--jpeg-quality-min", capture.min_jpeg_quality, "lowest JPEG quality (10-30: blocky)")
        ->capture_default_str();
    app.add_option("--jpeg-quality-max", capture.max_jpeg_quality, "highest JPEG quality")->capture_default_str();
    app.add_option("--blur-max", capture.max_blur_sigma, "largest blur sigma, pixels")->capture_default_str();
    app.add_option("--noise-max", capture.max_noise_sigma, "largest sensor noise sigma, 8-bit levels")->capture_default_str();
    app.add_option("--width", capture.output_size.width, "photo width")->capture_default_str();
    app.add_option("--height", capture.output_size.height, "photo height")->capture_default_str();
    app.add_option("--background", background, "table, clutter or random")
        ->check(CLI::IsMember({"table", "clutter", "random"}, CLI::ignore_case))->capture_default_str();
    app.add_option("--turn", capture.turn_deg, "degrees the photo is turned by (counter-clockwise; 90, 180, 270 or any)")
        ->capture_default_str();
    app.add_option("--hand-probability", capture.hand_probability, "chance of a hand holding the document")
        ->capture_default_str();
    app.add_option("--models", model_dir, "directory of the ONNX models")->envname("FACEGATE_MODEL_DIR")->capture_default_str();
    app.add_option("--font-regular", font_regular)->capture_default_str();
    app.add_option("--font-bold", font_bold)->capture_default_str();
    app.add_option("--font-ocrb", font_ocrb)->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    try {
        for (auto& c : type) c = char(std::tolower(static_cast<unsigned char>(c)));
        for (auto& c : background) c = char(std::tolower(static_cast<unsigned char>(c)));
        render.type = type == "td1" ? facegate::IdDocumentType::TD1 : facegate::IdDocumentType::TD3;
        render.ghost_portrait = !no_ghost;
        for (auto* v : {&side, &booklet, &glare}) {
            for (auto& c : *v) c = char(std::tolower(static_cast<unsigned char>(c)));
        }
        render.side = side == "back" ? facegate::DocumentSide::BACK : facegate::DocumentSide::FRONT;
        render.facing_page = booklet == "above"   ? facegate::FacingPage::ABOVE
                             : booklet == "below" ? facegate::FacingPage::BELOW
                                                  : facegate::FacingPage::NONE;
        capture.glare_streak = glare == "streak" || glare == "both";
        capture.laminate_reflection = glare == "reflection" || glare == "both";
        if (background == "table") capture.background = facegate::SceneBackground::TABLE;
        if (background == "clutter") capture.background = facegate::SceneBackground::CLUTTER;

        // the generator first: a missing font fails before the models load
        facegate::IdDocumentGenerator generator({font_regular, font_bold, font_ocrb});
        // the portrait's source: a face the engine finds; a card's back shows none and needs no photo
        facegate::PortraitSource source;
        const bool needs_face = facegate::document_layout(render.type, render.side, render.layout).portrait.area() > 0;
        if (needs_face && photo.empty()) throw Error(ErrorCode::INVALID_PARAMETER, "--photo is required for a front");
        if (needs_face) {
            auto bytes = read_file(photo);
            auto decoded = facegate::decode_image(bytes);
            facegate::EngineConfig config;
            config.model_dir = model_dir;
            config.workers = 1;
            facegate::FaceEngine engine(config);
            auto analysis = engine.analyze(decoded.bgr, {.embeddings = false, .liveness = false, .attributes = false},
                                           decoded.scale);
            if (analysis.faces.size() <= face_index) {
                throw Error(ErrorCode::NO_FACE, photo + " has " + std::to_string(analysis.faces.size()) + " face(s)");
            }
            source = {decoded.bgr, analysis.faces[face_index].box.rect};
        }

        auto generated = generator.generate(source, fields, render, capture, seed);
        const auto& doc = generated.document;
        const auto& shot = generated.capture;

        json out;
        out["file"] = out_path;
        out["format"] = std::string(facegate::mrz_format_name(doc.mrz_format));
        out["side"] = std::string(facegate::document_side_name(doc.side));
        out["layout"] = doc.layout;
        out["layout_name"] = doc.layout_name;
        out["mrz"] = doc.mrz;
        out["fields"] = {{"document_code", doc.document_code}, {"issuing_state", fields.issuing_state},
                         {"surname", fields.surname},          {"given_names", fields.given_names},
                         {"document_number", fields.document_number}, {"nationality", fields.nationality},
                         {"birth_date", fields.birth_date},    {"sex", fields.sex},
                         {"expiry_date", fields.expiry_date},  {"optional_data", fields.optional_data}};
        out["seed"] = seed;
        std::function<cv::Point2f(cv::Point2f)> to_output;
        if (flat) {
            write_image(out_path, doc.bgr);
            to_output = [](cv::Point2f p) { return p; };
            out["width"] = doc.bgr.cols;
            out["height"] = doc.bgr.rows;
        } else {
            if (is_jpeg_name(out_path)) write_bytes(out_path, shot.jpeg);
            else write_image(out_path, shot.bgr);
            to_output = [&shot](cv::Point2f p) { return facegate::map_to_capture(shot, p); };
            out["width"] = shot.bgr.cols;
            out["height"] = shot.bgr.rows;
            out["capture"] = {{"background", background_name(shot.background)}, {"hand", shot.hand},
                              {"rotation_deg", shot.rotation_deg},            {"corner_jitter", shot.corner_jitter},
                              {"blur_sigma", shot.blur_sigma},                {"noise_sigma", shot.noise_sigma},
                              {"jpeg_quality", shot.jpeg_quality},            {"tilt_deg", shot.tilt_deg},
                              {"tilt_axis_deg", shot.tilt_axis_deg},          {"turn_deg", shot.turn_deg},
                              {"scan", shot.scan},                            {"contrast", shot.contrast}};
            if (shot.glare.streak || shot.glare.reflection) {
                const auto& g = shot.glare;
                json glare_json;
                if (g.streak) {
                    glare_json["streak"] = {{"point", point(to_output(g.streak_point))},
                                            {"angle_deg_on_document", g.streak_angle_deg},
                                            {"sigma_px_on_document", g.streak_sigma},
                                            {"peak", g.streak_peak}};
                }
                if (g.reflection) {
                    glare_json["reflection"] = {{"center", point(to_output(g.reflection_ellipse.center))},
                                                {"size_px_on_document", {g.reflection_ellipse.size.width,
                                                                         g.reflection_ellipse.size.height}},
                                                {"angle_deg_on_document", g.reflection_ellipse.angle},
                                                {"peak", g.reflection_peak}};
                }
                out["capture"]["glare"] = glare_json;
            }
        }
        // the whole object (an open booklet: both pages and the cover's edge), the data page in it
        out["corners"] = quad(cv::Rect(0, 0, doc.bgr.cols, doc.bgr.rows), to_output);
        out["page_corners"] = quad(doc.data_page, to_output);
        if (!doc.facing_page.empty()) out["facing_page_corners"] = quad(doc.facing_page, to_output);
        if (doc.portrait.empty()) {
            out["portrait_corners"] = nullptr; // a card's back
        } else {
            out["portrait_corners"] = quad(doc.portrait, to_output);
            out["portrait_height_px"] = quad_height(out["portrait_corners"]);
        }
        out["mrz_corners"] = quad(doc.mrz_region, to_output);
        if (!out_flat.empty()) {
            write_image(out_flat, doc.bgr);
            out["flat_file"] = out_flat;
        }
        std::cout << out.dump(2) << '\n';
        return 0;
    } catch (const Error& e) {
        std::cerr << json{{"error", std::string(facegate::error_code_name(e.code()))}, {"message", e.what()}}.dump() << '\n';
    } catch (const std::exception& e) {
        std::cerr << json{{"error", "INTERNAL"}, {"message", e.what()}}.dump() << '\n';
    }
    return kExitError;
}
