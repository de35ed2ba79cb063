// SPDX-License-Identifier: MIT
#pragma once

namespace facegate {

// Rekognition's default FaceMatchThreshold: a similarity at or above it is a match
constexpr float kDefaultMatchThreshold = 80.f;

// the calibrated 0-100 similarity of two faces from the cosine of their embeddings.
// strictly increasing in the cosine (a logistic curve, docs/calibration.md gives its fit)
float similarity_from_cosine(float cosine);

// the inverse: the cosine at which similarity_from_cosine gives `similarity` (0 < similarity < 100)
float cosine_for_similarity(float similarity);

} // namespace facegate
