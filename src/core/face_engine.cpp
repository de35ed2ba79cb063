// SPDX-License-Identifier: MIT
#include "core/face_engine.h"

#include "common/error.h"
#include "core/eye_state_classifier.h"
#include "core/face_aligner.h"
#include "core/face_embedder.h"
#include "core/face_quality.h"
#include "core/landmarker.h"
#include "core/liveness_classifier.h"

#include <opencv2/core/utility.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>

namespace facegate {

namespace {

cv::dnn::Net load_net(const std::string& onnx) {
    cv::dnn::Net net = cv::dnn::readNetFromONNX(onnx.data(), onnx.size());
    net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    return net;
}

class Stopwatch {
  public:
    explicit Stopwatch(double* sink) : sink_(sink), start_(std::chrono::steady_clock::now()) {}
    ~Stopwatch() {
        if (sink_) *sink_ += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_).count();
    }

  private:
    double* sink_;
    std::chrono::steady_clock::time_point start_;
};

} // namespace

// one private set of networks: only one thread uses a worker at a time
struct FaceEngine::Worker {
    FaceDetector detector;
    Landmarker landmarker;
    FaceEmbedder embedder;
    LivenessClassifier liveness;
    EyeStateClassifier eyes;
};

class FaceEngine::WorkerPool {
  public:
    void add(std::unique_ptr<Worker> worker) {
        free_.push_back(worker.get());
        all_.push_back(std::move(worker));
    }

    // borrows a worker for the lifetime of the lease, waiting while all are busy
    class Lease {
      public:
        Lease(WorkerPool& pool, Worker* worker) : pool_(pool), worker_(worker) {}
        ~Lease() { pool_.give_back(worker_); }
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        Worker& operator*() const { return *worker_; }

      private:
        WorkerPool& pool_;
        Worker* worker_;
    };

    Lease borrow() {
        std::unique_lock lock(mutex_);
        available_.wait(lock, [&] { return !free_.empty(); });
        Worker* worker = free_.back();
        free_.pop_back();
        return Lease(*this, worker);
    }

  private:
    void give_back(Worker* worker) {
        {
            std::lock_guard lock(mutex_);
            free_.push_back(worker);
        }
        available_.notify_one();
    }

    std::mutex mutex_;
    std::condition_variable available_;
    std::vector<Worker*> free_;
    std::vector<std::unique_ptr<Worker>> all_;
};

FaceEngine::FaceEngine(EngineConfig config) : config_(std::move(config)), pool_(std::make_unique<WorkerPool>()) {
    if (config_.workers < 1) throw Error(ErrorCode::INVALID_PARAMETER, "the engine needs at least one worker");
    if (config_.threads_per_inference > 0) cv::setNumThreads(config_.threads_per_inference);
    std::map<ModelKind, std::string> onnx;
    for (const auto& model : model_files()) onnx[model.kind] = read_verified_model(config_.model_dir, model);
    try {
        for (int i = 0; i < config_.workers; ++i) {
            pool_->add(std::unique_ptr<Worker>(new Worker{
                FaceDetector(load_net(onnx[ModelKind::DETECT]), config_.detector),
                Landmarker(load_net(onnx[ModelKind::LANDMARK])),
                FaceEmbedder(load_net(onnx[ModelKind::FEATURE]),
                             config_.mirrored_embedding ? load_net(onnx[ModelKind::FEATURE]) : cv::dnn::Net(),
                             config_.mirrored_embedding),
                LivenessClassifier(load_net(onnx[ModelKind::LIVENESS]), config_.liveness_threshold),
                EyeStateClassifier(load_net(onnx[ModelKind::EYE]))}));
        }
    } catch (const cv::Exception& e) {
        throw Error(ErrorCode::MODEL_UNAVAILABLE, std::string("OpenCV could not load a model: ") + e.what());
    }
}

FaceEngine::~FaceEngine() = default;

ImageAnalysis FaceEngine::analyze_bytes(std::span<const uint8_t> bytes, const AnalyzeOptions& options,
                                        StageTimings* timings) const {
    DecodedImage image;
    {
        Stopwatch watch(timings ? &timings->decode : nullptr);
        image = decode_image(bytes, config_.decode);
    }
    return analyze(image.bgr, options, image.scale, timings);
}

ImageAnalysis FaceEngine::analyze(const cv::Mat& bgr, const AnalyzeOptions& options, double decode_scale,
                                  StageTimings* timings) const {
    if (bgr.empty() || bgr.type() != CV_8UC3) throw Error(ErrorCode::INVALID_PARAMETER, "expected an 8-bit BGR image");
    auto lease = pool_->borrow();
    Worker& worker = *lease;
    ImageAnalysis result{bgr.cols, bgr.rows, {}};
    std::vector<FaceBox> boxes;
    try {
        {
            Stopwatch watch(timings ? &timings->detect : nullptr);
            float relevant = options.max_faces == 1 ? 1.f : std::clamp(options.min_relative_width, 0.f, 1.f);
            boxes = worker.detector.detect(bgr, relevant);
            if (relevant > 0 && !boxes.empty()) {
                float min_width = boxes.front().rect.width * relevant;
                std::erase_if(boxes, [&](const FaceBox& b) { return b.rect.width < min_width; });
            }
        }
        if (boxes.size() > options.max_faces) boxes.resize(options.max_faces);
        for (const auto& box : boxes) {
            FaceAnalysis face;
            face.box = box;
            // liveness needs only the box: its forward pass runs beside landmarks and embedding (this
            // worker's networks are its own, and a second core is usually free for one request)
            std::future<Liveness> liveness;
            if (options.liveness) {
                liveness = std::async(std::launch::async, [&worker, &bgr, &box, timings] {
                    Stopwatch watch(timings ? &timings->liveness : nullptr);
                    return worker.liveness.classify(bgr, box.rect);
                });
            }
            {
                Stopwatch watch(timings ? &timings->landmarks : nullptr);
                face.landmarks = worker.landmarker.locate(bgr, box.rect);
                face.alignment_points = alignment_points(face.landmarks);
            }
            cv::Mat aligned;
            if (options.embeddings || options.attributes) {
                Stopwatch watch(timings ? &timings->embed : nullptr);
                aligned = align_face(bgr, face.alignment_points);
                if (options.embeddings) face.embedding = worker.embedder.embed(aligned);
            }
            if (options.attributes) {
                Stopwatch watch(timings ? &timings->quality : nullptr);
                face.quality = measure_quality(aligned, box.rect, decode_scale);
                face.pose = estimate_pose(face.landmarks, bgr.size());
                face.eyes_open = worker.eyes.classify(bgr, face.landmarks);
            }
            if (liveness.valid()) face.liveness = liveness.get();
            result.faces.push_back(std::move(face));
        }
    } catch (const cv::Exception& e) {
        throw Error(ErrorCode::INTERNAL, std::string("face analysis failed: ") + e.what());
    }
    return result;
}

} // namespace facegate
