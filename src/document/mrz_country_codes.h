// SPDX-License-Identifier: MIT
#pragma once

// the codes an MRZ's issuing state and nationality fields may hold (ICAO 9303 part 3): the ISO 3166-1
// alpha-3 codes (from Debian's iso-codes, at build time) and ICAO's own (D for Germany, the
// organisations' X codes, XXA-XXX for stateless persons and refugees, UTO for the specimens'
// Utopia). the reader chooses a country field among them, as it chooses a date among digits.

#include <string>
#include <string_view>
#include <vector>

namespace facegate {

// every code, as the field holds it: three characters, '<' filling a shorter one ("D<<"); sorted
const std::vector<std::string>& mrz_country_codes();

// whether `field` (three characters) is one of them
bool is_mrz_country_code(std::string_view field);

} // namespace facegate
