// SPDX-License-Identifier: MIT
// bench_index: build and search time, recall and memory of facegate::VectorIndex
// on synthetic 512-d unit vectors. Run with --help for the options.
//
// Each stored vector is regenerated on demand from (seed, row), so the benchmark
// never holds the float data: the resident-memory delta is the index's own.
// Queries: noisy copies of stored vectors (another "photo" of the face, cosine ~0.8
// to it) plus a share of random vectors that match nothing.
#include "index/vector_index.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

struct Options {
    std::vector<size_t> sizes{100000, 1000000};
    size_t queries = 1000;       // approximate searches, all timed
    size_t exact_queries = 1000; // of those, how many also get a timed exact scan (recall is measured on these)
    double random_share = 0.1;   // share of queries that are random vectors rather than noisy copies
    double noise = 0.75;         // norm of the query noise: cosine to the source ~ 1/sqrt(1+noise^2)
    std::string data = "random"; // random | clustered
    size_t faces_per_identity = 4;
    double identity_spread = 0.6; // clustered: cosine face-centre ~ 1/sqrt(1+spread^2)
    std::vector<size_t> ef_search{128, 256, 512};
    size_t m = 16;
    size_t ef_construction = 100;
    size_t approximate_from = 100000;
    unsigned threads = 2;
    size_t batch = 50000;
    std::string form = "int8";
    uint64_t seed = 1;
    double decay = 0;
};

// ---- deterministic vectors ----

uint64_t splitmix64(uint64_t& s) {
    uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

// n standard normals (Box-Muller) from a stream keyed by `key`
void gaussians(uint64_t key, float* out, size_t n) {
    uint64_t s = key;
    for (size_t i = 0; i < n; i += 2) {
        const double u1 = (double(splitmix64(s) >> 11) + 1.0) * 0x1.0p-53; // (0, 1]
        const double u2 = double(splitmix64(s) >> 11) * 0x1.0p-53;
        const double r = std::sqrt(-2.0 * std::log(u1));
        out[i] = float(r * std::cos(2.0 * M_PI * u2));
        if (i + 1 < n) {
            out[i + 1] = float(r * std::sin(2.0 * M_PI * u2));
        }
    }
}

void normalise(float* v, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; ++i) {
        s += double(v[i]) * v[i];
    }
    const float inv = float(1.0 / std::sqrt(s));
    for (size_t i = 0; i < n; ++i) {
        v[i] *= inv;
    }
}

uint64_t key(uint64_t seed, uint64_t stream, uint64_t row) {
    uint64_t s = seed * 0x2545f4914f6cdd1dULL ^ (stream << 56) ^ row;
    return splitmix64(s);
}

// base + scale/sqrt(d) * gaussian, normalised: cosine to base ~ 1/sqrt(1+scale^2)
void perturb(float* v, size_t dims, double scale, uint64_t k) {
    std::vector<float> g(dims);
    gaussians(k, g.data(), dims);
    const float f = float(scale / std::sqrt(double(dims)));
    for (size_t i = 0; i < dims; ++i) {
        v[i] += f * g[i];
    }
    normalise(v, dims);
}

struct DataSet {
    const Options& o;
    size_t dims = 512;
    std::vector<float> spectrum; // per-dimension standard deviation of the generated directions

    DataSet(const Options& opt, size_t d) : o(opt), dims(d), spectrum(d) {
        // variance of dimension i ~ (i+1)^-decay: decay 0 is isotropic (i.i.d. directions,
        // the hardest case for a graph index); larger decays give fewer effective dimensions
        for (size_t i = 0; i < dims; ++i) {
            spectrum[i] = float(std::pow(double(i + 1), -o.decay / 2.0));
        }
    }
    void direction(uint64_t k, float* out) const {
        gaussians(k, out, dims);
        for (size_t i = 0; i < dims; ++i) {
            out[i] *= spectrum[i];
        }
        normalise(out, dims);
    }
    // stored face `row`: a direction of its own, or (clustered) its identity's
    // direction plus isotropic within-identity variation
    void stored(size_t row, float* out) const {
        if (o.data == "clustered") {
            direction(key(o.seed, 1, row / o.faces_per_identity), out);
            perturb(out, dims, o.identity_spread, key(o.seed, 2, row));
        } else {
            direction(key(o.seed, 0, row), out);
        }
    }
};

// ---- stats ----

double percentile(std::vector<double> v, double p) {
    if (v.empty()) {
        return 0.0;
    }
    std::sort(v.begin(), v.end());
    const size_t i = std::min(v.size() - 1, size_t(p * double(v.size() - 1) + 0.5));
    return v[i];
}

size_t resident_bytes() {
    FILE* f = std::fopen("/proc/self/statm", "r");
    if (f == nullptr) {
        return 0;
    }
    unsigned long pages_total = 0, pages_resident = 0;
    if (std::fscanf(f, "%lu %lu", &pages_total, &pages_resident) != 2) {
        pages_resident = 0;
    }
    std::fclose(f);
    return size_t(pages_resident) * size_t(sysconf(_SC_PAGESIZE));
}

std::vector<size_t> parse_list(const char* s) {
    std::vector<size_t> out;
    for (const char* p = s; *p != '\0';) {
        char* end = nullptr;
        out.push_back(std::strtoull(p, &end, 10));
        p = *end == ',' ? end + 1 : end;
        if (end == p && *p != '\0') {
            break;
        }
    }
    return out;
}

void usage() {
    std::puts(
        "usage: bench_index [options]\n"
        "  --sizes 100000,1000000   index sizes to build\n"
        "  --queries N              approximate searches (default 1000)\n"
        "  --exact-queries N        of those, also scanned exactly: exact latency and recall (default 1000)\n"
        "  --random-share F         share of random (non-matching) queries (default 0.1)\n"
        "  --noise F                query noise norm, cosine to source ~1/sqrt(1+F^2) (default 0.75)\n"
        "  --data random|clustered  stored vectors: i.i.d. or identities of --faces-per-identity faces (4)\n"
        "  --decay A                dimension i has variance (i+1)^-A (default 0: isotropic)\n"
        "  --ef-search 128,256,512  search candidate lists to measure\n"
        "  --m N --ef-construction N --approximate-from N   (defaults 16, 100, 100000)\n"
        "  --threads N              graph build threads (default 2)\n"
        "  --batch N                rows per add_batch call while loading (default 50000)\n"
        "  --form int8|float32      storage form (default int8)\n"
        "  --seed N");
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> const char* {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "missing value for %s\n", a.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--sizes") {
            o.sizes = parse_list(next());
        } else if (a == "--queries") {
            o.queries = std::strtoull(next(), nullptr, 10);
        } else if (a == "--exact-queries") {
            o.exact_queries = std::strtoull(next(), nullptr, 10);
        } else if (a == "--random-share") {
            o.random_share = std::atof(next());
        } else if (a == "--noise") {
            o.noise = std::atof(next());
        } else if (a == "--data") {
            o.data = next();
        } else if (a == "--faces-per-identity") {
            o.faces_per_identity = std::max<size_t>(1, std::strtoull(next(), nullptr, 10));
        } else if (a == "--ef-search") {
            o.ef_search = parse_list(next());
        } else if (a == "--m") {
            o.m = std::strtoull(next(), nullptr, 10);
        } else if (a == "--ef-construction") {
            o.ef_construction = std::strtoull(next(), nullptr, 10);
        } else if (a == "--approximate-from") {
            o.approximate_from = std::strtoull(next(), nullptr, 10);
        } else if (a == "--threads") {
            o.threads = unsigned(std::strtoul(next(), nullptr, 10));
        } else if (a == "--batch") {
            o.batch = std::max<size_t>(1, std::strtoull(next(), nullptr, 10));
        } else if (a == "--form") {
            o.form = next();
        } else if (a == "--decay") {
            o.decay = std::atof(next());
        } else if (a == "--seed") {
            o.seed = std::strtoull(next(), nullptr, 10);
        } else {
            usage();
            std::exit(a == "--help" || a == "-h" ? 0 : 2);
        }
    }
    if ((o.data != "random" && o.data != "clustered") || (o.form != "int8" && o.form != "float32")) {
        usage();
        std::exit(2);
    }
    o.exact_queries = std::min(o.exact_queries, o.queries);
    return o;
}

void run(const Options& o, size_t n) {
    const size_t dims = 512;
    const DataSet data(o, dims);
    std::printf("\n== %zu faces, %s data (decay %.2f), %s, M=%zu ef_construction=%zu, %u build threads ==\n", n,
                o.data.c_str(), o.decay, o.form.c_str(), o.m, o.ef_construction, o.threads);

    // queries first, so their memory is not counted as the index's
    struct Query {
        std::vector<float> v;
        int64_t source; // stored row it was copied from, -1 for a random query
    };
    std::vector<Query> queries(o.queries);
    uint64_t pick = o.seed * 7919;
    for (size_t i = 0; i < o.queries; ++i) {
        auto& q = queries[i];
        q.v.resize(dims);
        // spread the random ones evenly: query i is random when i*share crosses an integer
        const bool random = std::floor(double(i + 1) * o.random_share) > std::floor(double(i) * o.random_share);
        if (random) {
            data.direction(key(o.seed, 3, i), q.v.data());
            q.source = -1;
        } else {
            q.source = int64_t(splitmix64(pick) % n);
            data.stored(size_t(q.source), q.v.data());
            perturb(q.v.data(), dims, o.noise, key(o.seed, 4, i));
        }
    }

    const size_t rss_before = resident_bytes();
    facegate::VectorIndex index(facegate::VectorIndexConfig{
        .dims = dims,
        .form = o.form == "int8" ? facegate::VectorForm::INT8 : facegate::VectorForm::FLOAT32,
        .approximate_from = o.approximate_from,
        .hnsw_m = o.m,
        .hnsw_ef_construction = o.ef_construction,
        .hnsw_ef_search = o.ef_search.empty() ? 256 : o.ef_search[0],
        .build_threads = o.threads,
    });

    // load in batches, as a server does at start; the graph is built when the
    // threshold is crossed and extended batch by batch after that
    double generate_s = 0.0;
    const auto t_build = Clock::now();
    std::vector<float> rows;
    std::vector<uint64_t> ids;
    for (size_t first = 0; first < n; first += o.batch) {
        const size_t count = std::min(o.batch, n - first);
        const auto t_gen = Clock::now();
        rows.resize(count * dims);
        ids.resize(count);
        for (size_t r = 0; r < count; ++r) {
            ids[r] = first + r;
            data.stored(first + r, rows.data() + r * dims);
        }
        generate_s += seconds_since(t_gen);
        index.add_batch(ids, rows);
        std::fprintf(stderr, "\rloaded %zu / %zu", first + count, n);
    }
    std::fputc('\n', stderr);
    rows.clear();
    rows.shrink_to_fit();
    const double build_s = seconds_since(t_build) - generate_s;
    const size_t rss_after = resident_bytes();
    const size_t mem = index.memory_bytes();

    std::printf("build: %.1f s (%.1f us a face; data generation %.1f s excluded)\n", build_s,
                build_s * 1e6 / double(n), generate_s);
    std::printf("memory: memory_bytes() %.1f MB = %.0f B a face; resident growth %.1f MB = %.0f B a face\n",
                double(mem) / 1e6, double(mem) / double(n), double(rss_after - rss_before) / 1e6,
                double(rss_after - rss_before) / double(n));
    std::printf("search() approximate: %s\n", index.approximate() ? "yes" : "no (below threshold)");

    // exact scans: latency and ground truth
    std::vector<uint64_t> truth(o.exact_queries);
    std::vector<float> truth_cos(o.exact_queries);
    std::vector<double> exact_ms;
    for (size_t i = 0; i < o.exact_queries; ++i) {
        const auto t0 = Clock::now();
        const auto hits = index.search_exact(queries[i].v, 1);
        exact_ms.push_back(seconds_since(t0) * 1e3);
        truth[i] = hits.empty() ? UINT64_MAX : hits[0].id;
        truth_cos[i] = hits.empty() ? -2.0f : hits[0].cosine;
    }
    size_t source_is_truth = 0, noisy_exact = 0;
    double min_true_cos = 2.0;
    for (size_t i = 0; i < o.exact_queries; ++i) {
        if (queries[i].source >= 0) {
            ++noisy_exact;
            source_is_truth += truth[i] == uint64_t(queries[i].source);
            min_true_cos = std::min(min_true_cos, double(truth_cos[i]));
        }
    }
    std::printf("exact (k=1, %zu queries): median %.2f ms, p99 %.2f ms; exact top-1 is the source face for %zu/%zu "
                "noisy queries (lowest top-1 cosine %.3f)\n",
                exact_ms.size(), percentile(exact_ms, 0.5), percentile(exact_ms, 0.99), source_is_truth, noisy_exact,
                min_true_cos);

    std::printf("| faces | ef_search | approx median ms | approx p99 ms | recall@1 noisy (vs exact) | recall@1 random "
                "(vs exact) | top-1 = source (all noisy) |\n|---|---|---|---|---|---|---|\n");
    for (size_t ef : o.ef_search) {
        index.set_ef_search(ef);
        std::vector<double> ms;
        size_t agree_noisy = 0, n_noisy = 0, agree_random = 0, n_random = 0, hit_source = 0, all_noisy = 0;
        for (size_t i = 0; i < queries.size(); ++i) {
            const auto t0 = Clock::now();
            const auto hits = index.search(queries[i].v, 1);
            ms.push_back(seconds_since(t0) * 1e3);
            const uint64_t top = hits.empty() ? UINT64_MAX : hits[0].id;
            if (queries[i].source >= 0) {
                ++all_noisy;
                hit_source += top == uint64_t(queries[i].source);
            }
            if (i < o.exact_queries) {
                if (queries[i].source >= 0) {
                    ++n_noisy;
                    agree_noisy += top == truth[i];
                } else {
                    ++n_random;
                    agree_random += top == truth[i];
                }
            }
        }
        std::printf("| %zu | %zu | %.3f | %.3f | %.4f (%zu/%zu) | %.3f (%zu/%zu) | %.4f (%zu/%zu) |\n", n, ef,
                    percentile(ms, 0.5), percentile(ms, 0.99), n_noisy ? double(agree_noisy) / double(n_noisy) : 0.0,
                    agree_noisy, n_noisy, n_random ? double(agree_random) / double(n_random) : 0.0, agree_random,
                    n_random, all_noisy ? double(hit_source) / double(all_noisy) : 0.0, hit_source, all_noisy);
        std::fflush(stdout);
    }
}

} // namespace

int main(int argc, char** argv) {
    const Options o = parse(argc, argv);
    std::printf("bench_index:");
    for (int i = 1; i < argc; ++i) {
        std::printf(" %s", argv[i]);
    }
    std::printf("\n");
    for (size_t n : o.sizes) {
        run(o, n);
    }
    return 0;
}
