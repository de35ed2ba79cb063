// SPDX-License-Identifier: MIT
#pragma once

// choosing an MRZ's characters from the glyph classifier's ranked alternatives, knowing what each
// position may hold (ICAO 9303: dates, check digits and the sex are never letters, country codes and
// names never digits), and, where a check digit fails, searching the alternatives of that field's
// characters for the cheapest reading that satisfies it. a country field (no check digit covers it)
// is chosen among the codes that exist (mrz_country_codes.h). every character says how it was
// chosen, so that a failure can be understood (`facegate document --explain`).

#include "document/ocrb_glyphs.h"

#include <string>
#include <utility>
#include <vector>

namespace facegate {

enum class MrzCharacterSource {
    READ,        // the classifier's first choice
    POSITION,    // the first choice is not allowed there: the best allowed alternative
    CHECK_DIGIT, // an alternative that makes a failing check digit hold
    COUNTRY_CODE, // a country field read as no code that exists: the likeliest code that does
    PARSER,      // changed by parse_mrz's rules (a 'K' read in a run of fillers, a long document number)
};

// "read", "position", "checkDigit", "countryCode", "parser"
std::string_view mrz_character_source_name(MrzCharacterSource source);

struct MrzCharacter {
    char value = '<'; // the character chosen
    char read = '<';  // the classifier's first choice
    MrzCharacterSource source = MrzCharacterSource::READ;
    float score = -1; // the classifier's score of `value` (-1: an empty cell)
    std::vector<std::pair<char, float>> alternatives; // the classifier's best characters, best first
};

struct MrzChoice {
    std::vector<std::string> lines;                      // what the characters were chosen as
    std::vector<std::vector<MrzCharacter>> characters;   // per line, per position
};

// `glyphs`: per line, the classified cells (2 lines of 36 or 44, or 3 of 30). other shapes come back
// as the classifier's first choices, marked READ. two lines are read both as a document (TD2, TD3)
// and as a visa (MRV-B, MRV-A) of their length: the first character's evidence (P, A, C, I or V)
// decides, and the check digits where that evidence is not clear.
MrzChoice choose_mrz_characters(const std::vector<std::vector<GlyphMatch>>& glyphs);

} // namespace facegate
