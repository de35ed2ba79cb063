// SPDX-License-Identifier: MIT
#include "store/page_token.h"

#include "store/store_test_util.h"

namespace facegate {
namespace {

TEST(PageToken, RoundTripsAndIsShort) {
    for (std::int64_t key : {std::int64_t{0}, std::int64_t{1}, std::int64_t{987654321}, INT64_MAX}) {
        std::string token = encode_page_token('f', "my-collection", key);
        EXPECT_LE(token.size(), 44u);
        EXPECT_EQ(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
                  std::string::npos);
        EXPECT_EQ(decode_page_token(token, 'f', "my-collection"), key);
    }
}

TEST(PageToken, EmptyMeansFirstPage) { EXPECT_EQ(decode_page_token("", 'f', "c"), std::nullopt); }

TEST(PageToken, RefusesTokensOfAnotherListing) {
    std::string token = encode_page_token('f', "a", 5);
    EXPECT_STORE_ERROR(decode_page_token(token, 'u', "a"), ErrorCode::INVALID_PAGINATION_TOKEN);
    EXPECT_STORE_ERROR(decode_page_token(token, 'f', "b"), ErrorCode::INVALID_PAGINATION_TOKEN);
}

TEST(PageToken, RefusesGarbage) {
    for (const std::string& bad : std::vector<std::string>{"!!!!", "abc", "Zg", std::string(300, 'A'), "f1.00000000.5"}) {
        EXPECT_STORE_ERROR(decode_page_token(bad, 'f', "a"), ErrorCode::INVALID_PAGINATION_TOKEN);
    }
    // a valid envelope with a non-numeric or negative key
    std::string token = encode_page_token('f', "a", 5);
    token.back() = token.back() == 'A' ? 'B' : 'A';
    try {
        auto key = decode_page_token(token, 'f', "a");
        EXPECT_NE(key, 5); // a flipped character either fails or decodes to another key
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::INVALID_PAGINATION_TOKEN);
    }
}

} // namespace
} // namespace facegate
