// SPDX-License-Identifier: MIT
// login identifiers <-> ExternalImageIds: reversible, within Rekognition's alphabet and length, strict on bad text
#include "common/error.h"
#include "service/external_id.h"
#include "service/flow_policy.h"

#include <gtest/gtest.h>

#include <random>
#include <regex>

using facegate::decode_external_id;
using facegate::canonical_external_id;
using facegate::encode_external_id;

namespace {

const std::regex kExternalImageId("[a-zA-Z0-9_.\\-:]+");

bool refused(std::string_view id) {
    try {
        encode_external_id(id);
    } catch (const facegate::Error& e) {
        return e.code() == facegate::ErrorCode::INVALID_PARAMETER;
    }
    return false;
}

} // namespace

TEST(ExternalId, KeepsSafeCharactersAndEscapesTheRest) {
    EXPECT_EQ(encode_external_id("alice_01.x-y").external_image_id, "alice_01.x-y");
    EXPECT_EQ(encode_external_id("ana+1@example.com").external_image_id, "ana:2B1:40example.com");
    EXPECT_EQ(encode_external_id("a:b").external_image_id, "a:3Ab");
    EXPECT_EQ(encode_external_id("+44 20 7946 0958").external_image_id, ":2B44:2020:207946:200958");
    EXPECT_FALSE(encode_external_id("ana@example.com").is_alias);
}

TEST(ExternalId, RoundTripsIdentifiersInAnyScript) {
    for (std::string id : {"ana+1@example.com", "+44 20 7946 0958", "Ана.Мюллер", "用户名", "Åsa Öberg", "👩💻dev",
                           "a:3A", "::", "50%", "tab-less, spaced name"}) {
        auto encoded = encode_external_id(id);
        EXPECT_TRUE(std::regex_match(encoded.external_image_id, kExternalImageId)) << encoded.external_image_id;
        EXPECT_LE(encoded.external_image_id.size(), 255u);
        ASSERT_FALSE(encoded.is_alias) << id;
        EXPECT_EQ(decode_external_id(encoded.external_image_id), id);
    }
}

// look-alike identifiers: one string per identifier people read as the same
TEST(ExternalId, NfcNormalisesAndRefusesInvisibleCharacters) {
    const std::string composed = "Jos\u00e9", decomposed = "Jose\u0301";
    EXPECT_EQ(canonical_external_id(decomposed), composed);
    EXPECT_EQ(encode_external_id(decomposed).external_image_id, encode_external_id(composed).external_image_id);
    for (std::string bad : {"ana\u202e@x", "a\u200bna", "\ufeffana", "ana\u2066x\u2069", "an\u00ada", "\U0001F469\u200d\U0001F4BB"}) {
        try {
            canonical_external_id(bad);
            ADD_FAILURE() << "accepted " << bad;
        } catch (const facegate::Error& e) {
            EXPECT_EQ(e.code(), facegate::ErrorCode::INVALID_PARAMETER);
        }
    }
}

TEST(ExternalId, RandomPrintableTextRoundTrips) {
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> ch(0x20, 0x7e), len(1, 80);
    for (int i = 0; i < 2000; ++i) {
        std::string id(size_t(len(rng)), ' ');
        for (auto& c : id) c = char(ch(rng));
        auto encoded = encode_external_id(id);
        ASSERT_TRUE(std::regex_match(encoded.external_image_id, kExternalImageId));
        if (!encoded.is_alias) ASSERT_EQ(decode_external_id(encoded.external_image_id), id);
    }
}

TEST(ExternalId, LongIdentifiersBecomeStableAliases) {
    std::string id;
    for (int i = 0; i < 127; ++i) id += "ж"; // 254 bytes, 762 characters escaped
    auto encoded = encode_external_id(id);
    EXPECT_TRUE(encoded.is_alias);
    EXPECT_TRUE(facegate::is_external_id_alias(encoded.external_image_id));
    EXPECT_EQ(encoded.external_image_id.size(), 2u + 64u);
    EXPECT_TRUE(std::regex_match(encoded.external_image_id, kExternalImageId));
    EXPECT_EQ(encode_external_id(id).external_image_id, encoded.external_image_id);
    EXPECT_NE(encode_external_id(id + "a").external_image_id, encoded.external_image_id);
    EXPECT_EQ(decode_external_id(encoded.external_image_id), std::nullopt); // the store maps it back
}

TEST(ExternalId, RefusesWhatIsNotAnIdentifier) {
    EXPECT_TRUE(refused(""));
    EXPECT_TRUE(refused(std::string(256, 'a')));
    EXPECT_FALSE(refused(std::string(255, 'a')));
    EXPECT_TRUE(refused("tab\there"));
    EXPECT_TRUE(refused("line\nbreak"));
    EXPECT_TRUE(refused("\x7f"));
    EXPECT_TRUE(refused("\xc3"));             // truncated sequence
    EXPECT_TRUE(refused("\xc0\xaf"));         // overlong '/'
    EXPECT_TRUE(refused("\xed\xa0\x80"));     // a surrogate
    EXPECT_TRUE(refused("\xf4\x90\x80\x80")); // past U+10FFFF
    EXPECT_TRUE(refused("\xc2\x85"));         // C1 control (NEL)
}

TEST(ExternalId, ForeignIdsAreNotDecoded) {
    // ids indexed through the Rekognition API that our escaping would not produce are shown as they are
    EXPECT_EQ(decode_external_id("photo:1.jpg"), std::nullopt);
    EXPECT_EQ(decode_external_id("a:41"), std::nullopt); // 'A' is never escaped
    EXPECT_EQ(decode_external_id("a:4"), std::nullopt);
    EXPECT_EQ(decode_external_id("plain-id"), "plain-id");
}

TEST(ExternalId, PrefixesEscapeLikeTheIdentifiers) {
    EXPECT_EQ(facegate::external_id_prefix("ana+"), "ana:2B");
    EXPECT_TRUE(encode_external_id("ana+1@x").external_image_id.starts_with(facegate::external_id_prefix("ana+1@")));
}

TEST(FlowPolicy, OverridesWithinRange) {
    facegate::RegisterPolicy base;
    auto p = facegate::apply_overrides(base, {.min_document_confidence = 90.f, .max_existing_search_confidence = {},
                                              .allow_expired = true});
    EXPECT_EQ(p.min_document_confidence, 90.f);
    EXPECT_EQ(p.max_existing_search_confidence, base.max_existing_search_confidence);
    EXPECT_TRUE(p.allow_expired);
    EXPECT_THROW(facegate::apply_overrides(base, {.min_document_confidence = 100.5f, .max_existing_search_confidence = {},
                                                  .allow_expired = {}}),
                 facegate::Error);
    facegate::VerifyPolicy verify;
    EXPECT_THROW(facegate::apply_overrides(verify, {.min_confidence = -1.f, .require_liveness = {}}), facegate::Error);
    EXPECT_EQ(facegate::apply_overrides(verify, {}).min_confidence, 80.f);
}
