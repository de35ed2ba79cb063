// SPDX-License-Identifier: MIT
#pragma once

// where each field of an MRZ sits and which characters each position may hold (ICAO 9303 parts 4-7):
// the parser corrects by it, and the reader chooses among the glyph classifier's ranked alternatives
// with it, before the check digits judge.

#include "document/mrz.h"

#include <string>
#include <string_view>
#include <vector>

namespace facegate {

// what a position may hold: digits only, letters (and '<' fillers) only, anything, a sex marker, or
// a check digit (a digit; '<' where the format allows an empty field)
enum MrzKind : char { MRZ_DIGIT = '9', MRZ_ALPHA = 'A', MRZ_ALNUM = 'X', MRZ_SEX = 'S', MRZ_CHECK = 'C' };

struct MrzSpan {
    int line = -1; // -1: the format has no such field
    int start = 0;
    int len = 0;
    bool present() const { return line >= 0; }
};

struct MrzLayout {
    MrzFormat format;
    int width;
    std::vector<std::string> kinds; // per line, one MrzKind per position
    MrzSpan code, state, names, number, number_check, nationality, birth, birth_check, sex, expiry, expiry_check;
    MrzSpan optional, optional_check, optional2, composite;
    std::vector<MrzSpan> composite_parts;
};

const MrzLayout& mrz_layout(MrzFormat format);

// the characters a position of `kind` may hold
std::string_view mrz_kind_alphabet(char kind);

// a field guarded by a check digit: the positions it covers (several spans for the composite), the
// position of its check digit, and its name as in MrzCheck
struct MrzCheckedField {
    std::string name;
    std::vector<MrzSpan> parts;
    MrzSpan check;
};

// the check-digit fields of a format in the order of MrzParseResult::checks (the TD1/TD2 long document
// number, which moves its check digit into the optional data, is not described here)
std::vector<MrzCheckedField> mrz_checked_fields(MrzFormat format);

} // namespace facegate
