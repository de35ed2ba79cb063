// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

namespace facegate {

// numerically stable softmax of n logits
inline std::vector<float> softmax(const float* logits, int n) {
    std::vector<float> p(logits, logits + n);
    float top = *std::max_element(p.begin(), p.end());
    float sum = 0;
    for (float& v : p) sum += (v = std::exp(v - top));
    for (float& v : p) v /= sum;
    return p;
}

} // namespace facegate
