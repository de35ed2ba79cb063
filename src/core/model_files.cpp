// SPDX-License-Identifier: MIT
#include "core/model_files.h"

#include "common/error.h"

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

#ifndef FACEGATE_DEFAULT_MODEL_DIR
#define FACEGATE_DEFAULT_MODEL_DIR "models"
#endif

namespace facegate {

const std::vector<ModelFile>& model_files() {
    static const std::vector<ModelFile> files = {
        {ModelKind::DETECT, "fr_detect.onnx", "6c0256ccd3164f844736a401faf936ec2930764a87ae39442180887d0c5c8854"},
        {ModelKind::LANDMARK, "fr_landmark.onnx", "f10b0ba1d2a8a099adefede1ebf3733e44fe370715e7303dbeb7f59c02142258"},
        {ModelKind::FEATURE, "fr_feature.onnx", "87aacdfe57510db2af90c0251df680e8eec88f122ee94712121d09bcaaaf3581"},
        {ModelKind::LIVENESS, "fr_liveness.onnx", "afa783b7e902fdfcf323a7240cac2a1c580c25314ea4161129dc1b0d100dc32d"},
        {ModelKind::EYE, "fr_eye.onnx", "1afcea006abc1ccac3c517022abde0aa092bed74ff3c9fe6878483ef9e6e38de"},
    };
    return files;
}

// Rekognition-style version ([0-9.]+): 1.0 is fr_feature.onnx 87aacdfe..., mirrored, L2-normalised
std::string_view embedding_model_version() { return "1.0"; }

std::string read_verified_model(const std::filesystem::path& dir, const ModelFile& model) {
    auto path = dir / model.file_name;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw Error(ErrorCode::MODEL_UNAVAILABLE,
                    "model file " + path.string() + " is missing: run scripts/fetch_models.sh");
    }
    std::stringstream buffer;
    buffer << in.rdbuf();
    std::string bytes = std::move(buffer).str();
    if (sha256_hex(bytes) != model.sha256) {
        throw Error(ErrorCode::MODEL_UNAVAILABLE, "model file " + path.string() +
                                                      " does not have the expected SHA-256 " + std::string(model.sha256));
    }
    return bytes;
}

std::filesystem::path default_model_dir() {
    if (const char* env = std::getenv("FACEGATE_MODEL_DIR"); env && *env) return env;
    return FACEGATE_DEFAULT_MODEL_DIR;
}

} // namespace facegate
