// SPDX-License-Identifier: MIT
// per-stage and end-to-end latency of the face engine over a folder of photos, and throughput with
// 1 and 2 worker threads. prints a markdown table for docs/benchmarks.md.
//
// usage: bench_engine [--repeat N] [--threads T] [--single IMAGE] DIR_OR_IMAGE...
//   --single IMAGE: also report the end-to-end latency of IMAGE alone (the 1280x720 one-face goal)
#include "core/face_engine.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

namespace {

std::vector<uint8_t> read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

struct Series {
    std::vector<double> values;
    double percentile(double q) {
        if (values.empty()) return 0;
        std::sort(values.begin(), values.end());
        return values[std::min(values.size() - 1, size_t(q * values.size()))];
    }
};

double ms_since(clock_type::time_point start) {
    return std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
}

} // namespace

int main(int argc, char** argv) {
    int repeat = 5;
    int threads_per_inference = 1;
    std::string single;
    std::vector<fs::path> files;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--repeat" && i + 1 < argc) repeat = std::stoi(argv[++i]);
        else if (arg == "--threads" && i + 1 < argc) threads_per_inference = std::stoi(argv[++i]);
        else if (arg == "--single" && i + 1 < argc) single = argv[++i];
        else if (fs::is_directory(arg)) {
            for (const auto& e : fs::recursive_directory_iterator(arg)) {
                auto ext = e.path().extension().string();
                if (e.is_regular_file() && (ext == ".jpg" || ext == ".png")) files.push_back(e.path());
            }
        } else files.push_back(arg);
    }
    if (files.empty() && single.empty()) {
        std::fprintf(stderr, "usage: bench_engine [--repeat N] [--single IMAGE] DIR_OR_IMAGE...\n");
        return 2;
    }
    std::sort(files.begin(), files.end());
    std::vector<std::vector<uint8_t>> images;
    for (const auto& f : files) images.push_back(read_file(f));

    facegate::EngineConfig config;
    config.workers = 2;
    config.threads_per_inference = threads_per_inference;
    facegate::FaceEngine engine(config);
    facegate::AnalyzeOptions options; // embeddings, liveness and attributes: the whole analysis

    // warm-up: first forwards allocate
    for (const auto& image : images) engine.analyze_bytes(image, options);

    Series decode, detect, landmarks, embed, liveness, quality, total;
    size_t faces = 0;
    for (int r = 0; r < repeat; ++r) {
        for (const auto& image : images) {
            facegate::StageTimings t;
            auto start = clock_type::now();
            auto analysis = engine.analyze_bytes(image, options, &t);
            total.values.push_back(ms_since(start));
            decode.values.push_back(t.decode);
            detect.values.push_back(t.detect);
            landmarks.values.push_back(t.landmarks);
            embed.values.push_back(t.embed);
            liveness.values.push_back(t.liveness);
            quality.values.push_back(t.quality);
            faces += analysis.faces.size();
        }
    }
    std::printf("%zu images x %d runs, %.2f faces per image, %d OpenCV thread(s) per inference\n\n", images.size(),
                repeat, double(faces) / std::max<size_t>(1, total.values.size()), threads_per_inference);
    std::printf("| stage (per image) | median ms | p99 ms |\n|---|---|---|\n");
    for (auto& [name, s] : std::vector<std::pair<const char*, Series*>>{
             {"decode", &decode}, {"detect", &detect}, {"landmarks", &landmarks}, {"align+embed", &embed},
             {"liveness", &liveness}, {"quality+pose+eyes", &quality}, {"end-to-end", &total}}) {
        std::printf("| %s | %.2f | %.2f |\n", name, s->percentile(0.5), s->percentile(0.99));
    }

    for (int threads : {1, 2}) {
        std::atomic<size_t> next{0};
        size_t jobs = images.size() * size_t(repeat);
        auto start = clock_type::now();
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; ++t) {
            pool.emplace_back([&] {
                for (size_t j; (j = next++) < jobs;) engine.analyze_bytes(images[j % images.size()], options);
            });
        }
        for (auto& t : pool) t.join();
        double seconds = ms_since(start) / 1000;
        std::printf("\nthroughput with %d worker thread%s: %.1f images/s\n", threads, threads > 1 ? "s" : "",
                    jobs / seconds);
    }

    if (!single.empty()) {
        // one image alone: every face (DetectFaces, IndexFaces) and the largest face only (a selfie
        // for verification or SearchFacesByImage: decode to embedding plus liveness)
        auto image = read_file(single);
        facegate::AnalyzeOptions largest = options;
        largest.max_faces = 1;
        for (auto [label, opts] : {std::pair{"every face", options}, std::pair{"largest face", largest}}) {
            Series one;
            facegate::StageTimings sum;
            for (int i = 0; i < 3; ++i) engine.analyze_bytes(image, opts);
            for (int i = 0; i < 50; ++i) {
                auto start = clock_type::now();
                engine.analyze_bytes(image, opts, &sum);
                one.values.push_back(ms_since(start));
            }
            std::printf("\nsingle image %s, %s: end-to-end median %.2f ms, p99 %.2f ms (50 runs); mean ms: decode %.1f, "
                        "detect %.1f, landmarks %.1f, align+embed %.1f, liveness %.1f, quality %.1f\n",
                        single.c_str(), label, one.percentile(0.5), one.percentile(0.99), sum.decode / 50,
                        sum.detect / 50, sum.landmarks / 50, sum.embed / 50, sum.liveness / 50, sum.quality / 50);
        }
    }
}
