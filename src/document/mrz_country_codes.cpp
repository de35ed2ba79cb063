// SPDX-License-Identifier: MIT
#include "document/mrz_country_codes.h"

#include <algorithm>

namespace facegate {

namespace {

// ISO 3166-1 alpha-3, generated from Debian's iso-codes by src/document/mrz.cmake
constexpr const char* kIsoCodes[] = {
#include "document/iso_3166_alpha3.inc"
};

// ICAO 9303 part 3's codes that are not ISO 3166-1 countries, and Kosovo's RKS (issued, not yet in ISO)
constexpr const char* kIcaoCodes[] = {
    "D<<", "EUE", "GBD", "GBN", "GBO", "GBP", "GBS", "UNO", "UNA", "UNK", "RKS", "UTO",
    "XBA", "XIM", "XCC", "XCE", "XCO", "XEC", "XPO", "XES", "XMP", "XOM", "XDC",
    "XXA", "XXB", "XXC", "XXX",
};

std::vector<std::string> all_codes() {
    std::vector<std::string> codes(std::begin(kIsoCodes), std::end(kIsoCodes));
    codes.insert(codes.end(), std::begin(kIcaoCodes), std::end(kIcaoCodes));
    std::sort(codes.begin(), codes.end());
    codes.erase(std::unique(codes.begin(), codes.end()), codes.end());
    return codes;
}

} // namespace

const std::vector<std::string>& mrz_country_codes() {
    static const std::vector<std::string> codes = all_codes();
    return codes;
}

bool is_mrz_country_code(std::string_view field) {
    const auto& codes = mrz_country_codes();
    return std::binary_search(codes.begin(), codes.end(), field,
                              [](std::string_view a, std::string_view b) { return a < b; });
}

} // namespace facegate
