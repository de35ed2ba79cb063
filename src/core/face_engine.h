// SPDX-License-Identifier: MIT
#pragma once

// the face engine: image bytes in, faces with landmarks, quality, pose, liveness and embeddings out.
//
//   facegate::FaceEngine engine({.model_dir = "models"});
//   auto analysis = engine.analyze_bytes(bytes);           // throws facegate::Error
//   float s = facegate::similarity_from_cosine(
//       facegate::cosine_similarity(a.faces[0].embedding, b.faces[0].embedding));
//
// thread-safety: every const method may be called from any number of threads at once; each call
// borrows one of `workers` private sets of networks (cv::dnn::Net is not safe for concurrent forward)
// and waits when all are busy.

#include "core/face_detector.h"
#include "core/face_types.h"
#include "core/image_decoder.h"
#include "core/model_files.h"

#include <filesystem>
#include <memory>
#include <span>

namespace facegate {

struct EngineConfig {
    std::filesystem::path model_dir = default_model_dir();
    int workers = 2;                // analyses that run at once, each with its own networks
    int threads_per_inference = 1;  // OpenCV's threads inside one forward pass (process-wide; 0 keeps OpenCV's default)
    float liveness_threshold = 50.f; // liveness score (0-100) from which a face reads as live
    bool mirrored_embedding = true;  // average each face's embedding with its mirror image's (2 forward passes)
    DetectorConfig detector;
    DecodeLimits decode;
};

struct AnalyzeOptions {
    bool embeddings = true;  // align and embed every face
    bool liveness = true;    // run the anti-spoofing model on every face
    bool attributes = true;  // pose, quality, eyes open
    size_t max_faces = 100;  // keep this many largest faces (Rekognition's limit)
    // faces narrower than this fraction of the largest are not wanted (0: all faces); the detector
    // then skips passes that could only find such faces. max_faces 1 implies 1
    float min_relative_width = 0.f;
};

// wall time of each stage of one analysis, milliseconds (for benchmarks)
struct StageTimings {
    double decode = 0, detect = 0, landmarks = 0, embed = 0, liveness = 0, quality = 0;
};

class FaceEngine {
  public:
    // loads every model `workers` times after checking its SHA-256; throws Error(MODEL_UNAVAILABLE)
    explicit FaceEngine(EngineConfig config = {});
    ~FaceEngine();
    FaceEngine(const FaceEngine&) = delete;
    FaceEngine& operator=(const FaceEngine&) = delete;

    // decodes then analyses; throws Error(IMAGE_TOO_LARGE | INVALID_IMAGE_FORMAT)
    ImageAnalysis analyze_bytes(std::span<const uint8_t> bytes, const AnalyzeOptions& options = {},
                                StageTimings* timings = nullptr) const;

    // analyses a decoded BGR picture; decode_scale is decoded width / source width
    ImageAnalysis analyze(const cv::Mat& bgr, const AnalyzeOptions& options = {}, double decode_scale = 1.0,
                          StageTimings* timings = nullptr) const;

    const EngineConfig& config() const { return config_; }

  private:
    struct Worker;
    class WorkerPool;
    EngineConfig config_;
    std::unique_ptr<WorkerPool> pool_;
};

} // namespace facegate
