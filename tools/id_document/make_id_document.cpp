// SPDX-License-Identifier: MIT
// make_id_document: a synthetic ID document from a face photo, as a phone photo (or flat), plus JSON on
// stdout saying what was written: the MRZ lines, the fields and the document's corners in the image
// (ground truth for locator and reader tests).
//
//   make_id_document --photo face.jpg --type td1 --surname DOE --seed 7 --out doc.jpg --out-flat flat.png
#include "common/error.h"
#include "core/face_engine.h"
#include "id_document/id_document_generator.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

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
    std::string model_dir = facegate::default_model_dir().string();

    app.add_option("--photo", photo, "face photo (JPEG/PNG/WebP/BMP); its largest face becomes the portrait")->required();
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
    app.add_option("--seed", seed, "every random choice derives from it: same seed, same bytes")->capture_default_str();
    app.add_flag("--flat", flat, "write the flat document to --out instead of a simulated phone photo");
    app.add_option("--px-per-mm", render.px_per_mm, "resolution of the flat document")->capture_default_str();
    app.add_flag("--no-ghost", no_ghost, "leave out the small faded second portrait");
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
        if (background == "table") capture.background = facegate::SceneBackground::TABLE;
        if (background == "clutter") capture.background = facegate::SceneBackground::CLUTTER;

        // the generator first: a missing font fails before the models load
        facegate::IdDocumentGenerator generator({font_regular, font_bold, font_ocrb});
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
        facegate::PortraitSource source{decoded.bgr, analysis.faces[face_index].box.rect};

        auto generated = generator.generate(source, fields, render, capture, seed);
        const auto& doc = generated.document;
        const auto& shot = generated.capture;

        json out;
        out["file"] = out_path;
        out["format"] = std::string(facegate::mrz_format_name(doc.mrz_format));
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
                              {"jpeg_quality", shot.jpeg_quality}};
        }
        out["corners"] = quad(cv::Rect(0, 0, doc.bgr.cols, doc.bgr.rows), to_output);
        out["portrait_corners"] = quad(doc.portrait, to_output);
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
