// SPDX-License-Identifier: MIT
// accuracy evaluation: genuine and impostor pairs of a folder-per-person photo set (and, optionally,
// faces of group photos, all pairs of which are impostors). prints the cosine and similarity
// distributions and the error rates at 70/80/90/95/99, the figures of docs/calibration.md.
//
// usage: eval_pairs [--pairs] PERSON_ROOT [GROUP_PHOTO...]
#include "core/face_embedder.h"
#include "core/face_engine.h"
#include "core/similarity.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

namespace fs = std::filesystem;

namespace {

struct Sample {
    std::string person;
    std::string name;
    std::vector<float> embedding;
};

std::vector<uint8_t> read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

void summarize(const char* label, std::vector<float> cosines) {
    if (cosines.empty()) return;
    std::sort(cosines.begin(), cosines.end());
    auto at = [&](double q) { return cosines[size_t(q * (cosines.size() - 1))]; };
    std::printf("%-9s n=%-5zu cosine min %.3f p5 %.3f median %.3f p95 %.3f max %.3f | similarity min %.1f median %.1f max %.1f\n",
                label, cosines.size(), cosines.front(), at(0.05), at(0.5), at(0.95), cosines.back(),
                facegate::similarity_from_cosine(cosines.front()), facegate::similarity_from_cosine(at(0.5)),
                facegate::similarity_from_cosine(cosines.back()));
}

} // namespace

int main(int argc, char** argv) {
    bool print_pairs = false;
    std::vector<std::string> args;
    for (int i = 1; i < argc; ++i) {
        if (std::string(argv[i]) == "--pairs") print_pairs = true;
        else args.push_back(argv[i]);
    }
    if (args.empty()) {
        std::cerr << "usage: eval_pairs [--pairs] PERSON_ROOT [GROUP_PHOTO...]\n";
        return 2;
    }
    facegate::FaceEngine engine({.workers = 1});
    facegate::AnalyzeOptions options;
    options.liveness = false;
    std::vector<Sample> samples;
    // one folder per person; folders starting with '_' hold multi-face or edge cases and are skipped
    std::vector<fs::path> files;
    for (const auto& dir : fs::directory_iterator(args[0])) {
        if (!dir.is_directory() || dir.path().filename().string().starts_with("_")) continue;
        for (const auto& file : fs::directory_iterator(dir.path())) files.push_back(file.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
        auto analysis = engine.analyze_bytes(read_file(file), options);
        if (analysis.faces.empty()) {
            std::printf("no face: %s\n", file.c_str());
            continue;
        }
        samples.push_back({file.parent_path().filename(), file.filename(), analysis.faces.front().embedding});
    }
    // group photos: every face is a different person from every person folder and from each other
    for (size_t g = 1; g < args.size(); ++g) {
        auto analysis = engine.analyze_bytes(read_file(args[g]), options);
        for (size_t i = 0; i < analysis.faces.size(); ++i) {
            samples.push_back({fs::path(args[g]).filename().string() + "#" + std::to_string(i),
                               fs::path(args[g]).filename().string() + "#" + std::to_string(i),
                               analysis.faces[i].embedding});
        }
    }
    std::vector<float> genuine, impostor;
    for (size_t i = 0; i < samples.size(); ++i) {
        for (size_t j = i + 1; j < samples.size(); ++j) {
            float c = facegate::cosine_similarity(samples[i].embedding, samples[j].embedding);
            bool same = samples[i].person == samples[j].person;
            (same ? genuine : impostor).push_back(c);
            if (print_pairs) {
                std::printf("%s %s/%s %s/%s cosine %.3f similarity %.1f\n", same ? "genuine " : "impostor",
                            samples[i].person.c_str(), samples[i].name.c_str(), samples[j].person.c_str(),
                            samples[j].name.c_str(), c, facegate::similarity_from_cosine(c));
            }
        }
    }
    summarize("genuine", genuine);
    summarize("impostor", impostor);
    std::printf("threshold  false-non-match  false-match\n");
    for (float t : {70.f, 80.f, 90.f, 95.f, 99.f}) {
        size_t fnm = std::count_if(genuine.begin(), genuine.end(),
                                   [&](float c) { return facegate::similarity_from_cosine(c) < t; });
        size_t fm = std::count_if(impostor.begin(), impostor.end(),
                                  [&](float c) { return facegate::similarity_from_cosine(c) >= t; });
        std::printf("%9.0f  %4zu/%-4zu (%5.1f%%)  %4zu/%-4zu (%5.2f%%)\n", t, fnm, genuine.size(),
                    genuine.empty() ? 0.0 : 100.0 * fnm / genuine.size(), fm, impostor.size(),
                    impostor.empty() ? 0.0 : 100.0 * fm / impostor.size());
    }
}
