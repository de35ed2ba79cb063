// SPDX-License-Identifier: MIT
// the `facegate` command line: parses arguments, reads files, prints JSON. No logic of its own.
#include "common/error.h"
#include "core/face_engine.h"
#include "protocol/rekognition_json.h"
#include "service/compare_faces.h"

#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>
#include <iterator>
#include <vector>

namespace {

using facegate::Error;
using facegate::ErrorCode;

constexpr int kExitError = 2;

// reads at most limit + 1 bytes, enough for the decoder to refuse an oversize image without reading it all
std::vector<uint8_t> read_image_file(const std::string& path, size_t limit) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(ErrorCode::INVALID_PARAMETER, "cannot read image file " + path);
    std::vector<uint8_t> bytes(limit + 1);
    in.read(reinterpret_cast<char*>(bytes.data()), std::streamsize(bytes.size()));
    bytes.resize(size_t(in.gcount()));
    return bytes;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"facegate: self-hosted face verification (Rekognition-compatible JSON on stdout)"};
    app.require_subcommand(1);
    facegate::EngineConfig config;
    std::string model_dir = config.model_dir.string();
    app.add_option("--models", model_dir, "directory of the ONNX models")->envname("FACEGATE_MODEL_DIR")
        ->capture_default_str();
    app.add_option("--threads", config.threads_per_inference, "OpenCV threads per inference (0: OpenCV's default)")
        ->envname("FACEGATE_THREADS")->capture_default_str();

    auto* detect = app.add_subcommand("detect", "faces of an image, as Rekognition's DetectFaces with Attributes ALL");
    std::string detect_image;
    detect->add_option("IMAGE", detect_image, "JPEG, PNG, WebP or BMP file")->required();

    auto* compare = app.add_subcommand("compare", "the largest face of SOURCE against every face of TARGET, "
                                                  "as Rekognition's CompareFaces");
    std::string source_image, target_image;
    float threshold = facegate::kDefaultMatchThreshold;
    compare->add_option("SOURCE", source_image, "image whose largest face is compared")->required();
    compare->add_option("TARGET", target_image, "image whose faces are compared with it")->required();
    compare->add_option("--threshold", threshold, "similarity (0-100) from which a face matches")
        ->capture_default_str();

    CLI11_PARSE(app, argc, argv);

    try {
        config.model_dir = model_dir;
        config.workers = 1;
        facegate::FaceEngine engine(config);
        nlohmann::json out;
        if (*detect) {
            out = facegate::detect_faces_json(engine.analyze_bytes(read_image_file(detect_image, config.decode.max_bytes)));
        } else {
            auto source = read_image_file(source_image, config.decode.max_bytes);
            auto target = read_image_file(target_image, config.decode.max_bytes);
            out = facegate::compare_faces_json(facegate::compare_faces(engine, source, target, threshold));
        }
        std::cout << out.dump(2) << '\n';
        return 0;
    } catch (const Error& e) {
        std::cerr << facegate::error_json(e).dump() << '\n';
    } catch (const std::exception& e) {
        std::cerr << facegate::error_json(Error(ErrorCode::INTERNAL, e.what())).dump() << '\n';
    }
    return kExitError;
}
