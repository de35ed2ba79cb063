// SPDX-License-Identifier: MIT
// the cosine -> 0-100 calibration: monotone, bounded, invertible, anchored where docs/calibration.md says
#include "core/similarity.h"

#include <gtest/gtest.h>

using namespace facegate;

TEST(Similarity, IsStrictlyIncreasingAndBounded) {
    float previous = -1;
    for (int i = -1000; i <= 1000; ++i) {
        float s = similarity_from_cosine(i / 1000.f);
        EXPECT_GE(s, 0.f);
        EXPECT_LE(s, 100.f);
        EXPECT_GT(s, previous) << "at cosine " << i / 1000.f;
        previous = s;
    }
}

TEST(Similarity, ClampsCosinesOutsideTheirRange) {
    EXPECT_EQ(similarity_from_cosine(1.5f), similarity_from_cosine(1.f));
    EXPECT_EQ(similarity_from_cosine(-3.f), similarity_from_cosine(-1.f));
}

TEST(Similarity, InverseRoundTrips) {
    for (float s : {1.f, 20.f, 50.f, 80.f, 90.f, 95.f, 99.f}) {
        EXPECT_NEAR(similarity_from_cosine(cosine_for_similarity(s)), s, 1e-3) << s;
    }
}

TEST(Similarity, AnchorsSitWhereTheCalibrationPutThem) {
    // docs/calibration.md: 80 at cosine 0.47 (between impostors <= 0.42 and genuine pairs >= 0.52), 99 at 0.70
    EXPECT_NEAR(cosine_for_similarity(kDefaultMatchThreshold), 0.47f, 0.002f);
    EXPECT_NEAR(cosine_for_similarity(99.f), 0.70f, 0.002f);
    EXPECT_LT(similarity_from_cosine(0.42f), kDefaultMatchThreshold);
    EXPECT_GE(similarity_from_cosine(0.52f), kDefaultMatchThreshold);
    EXPECT_LT(similarity_from_cosine(0.f), 1.f);
}
