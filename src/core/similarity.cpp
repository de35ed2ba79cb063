// SPDX-License-Identifier: MIT
#include "core/similarity.h"

#include <algorithm>
#include <cmath>

namespace facegate {

namespace {
// similarity = 100 / (1 + exp(-kSlope * (cosine - kMidpoint))), through two anchors chosen on labelled
// pairs (docs/calibration.md): cosine 0.47 -> 80, in the gap between the highest impostor (0.42)
// and the lowest genuine pair (0.52); cosine 0.70 -> 99
constexpr double kSlope = 13.95;
constexpr double kMidpoint = 0.3706;
} // namespace

float similarity_from_cosine(float cosine) {
    double c = std::clamp(double(cosine), -1.0, 1.0);
    return float(100.0 / (1.0 + std::exp(-kSlope * (c - kMidpoint))));
}

float cosine_for_similarity(float similarity) {
    double s = std::clamp(double(similarity), 1e-4, 100.0 - 1e-4) / 100.0;
    return float(kMidpoint + std::log(s / (1.0 - s)) / kSlope);
}

} // namespace facegate
