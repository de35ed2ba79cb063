// SPDX-License-Identifier: MIT
#pragma once

#include "common/sha256.h"

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace facegate {

enum class ModelKind { DETECT, LANDMARK, FEATURE, LIVENESS, EYE };

// one ONNX file of the faceplugin-face-recognition-js package and the SHA-256 it must have
struct ModelFile {
    ModelKind kind;
    std::string_view file_name;
    std::string_view sha256;
};

const std::vector<ModelFile>& model_files();

// the model version recorded with every stored embedding: changes when the feature model does
std::string_view embedding_model_version();

// reads a model file and checks its SHA-256.
// throws Error(MODEL_UNAVAILABLE) when missing, unreadable or not the expected file.
std::string read_verified_model(const std::filesystem::path& dir, const ModelFile& model);

// the model directory: FACEGATE_MODEL_DIR if set, else the build's configured default
std::filesystem::path default_model_dir();

} // namespace facegate
