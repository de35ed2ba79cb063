// SPDX-License-Identifier: MIT
#pragma once

// ICAO 9303 machine readable zones: check digits, composing MRZ lines from fields (for the document
// generator and tests) and parsing OCR'd lines into fields, correcting only the OCR confusions
// (O/0, I/1, B/8, S/5, Z/2, G/6, D/0, Q/0, K/<) that the check digits settle.
//
// formats: TD1 3x30 (ID cards), TD2 2x36, TD3 2x44 (passports), MRV-A 2x44 and MRV-B 2x36 (visas).

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace facegate {

enum class MrzFormat { TD1, TD2, TD3, MRV_A, MRV_B };

// "TD1", "TD2", "TD3", "MRV-A", "MRV-B"
std::string_view mrz_format_name(MrzFormat format);

// the check digit of ICAO 9303 (weights 7, 3, 1; digits as themselves, A-Z as 10-35, '<' as 0);
// nullopt when `field` holds a character outside A-Z 0-9 <
std::optional<int> mrz_check_digit(std::string_view field);

// the fields a document carries; dates are YYMMDD
struct MrzFields {
    std::string document_code;   // "P", "I", "ID", "V"... (1-2 letters, '<' filled on the line)
    std::string issuing_state;   // 3 letters, e.g. "UTO"
    std::string surname;         // "ERIKSSON" (spaces become '<' on the line)
    std::string given_names;     // "ANNA MARIA"
    std::string document_number; // up to 9 characters on TD3/TD2/TD1 without the long-number rule
    std::string nationality;     // 3 letters
    std::string birth_date;      // YYMMDD
    std::string sex;             // "M", "F" or "<" / "X"
    std::string expiry_date;     // YYMMDD
    std::string optional_data;   // TD3: personal number (14); TD1: optional data of line 1 (15)
    std::string optional_data2;  // TD1 only: optional data of line 2 (11)
};

// the lines of a document of `format` holding `fields`, every check digit computed; names are
// transliterated only by upper-casing, turning spaces and hyphens into '<' and leaving apostrophes
// and commas out (O'NEIL -> ONEIL), and truncated to fit. throws facegate::Error(INVALID_PARAMETER) for characters that cannot go on an MRZ.
std::vector<std::string> compose_mrz(MrzFormat format, const MrzFields& fields);

struct MrzCheck {
    std::string name;   // "document_number", "birth_date", "expiry_date", "optional_data", "composite"
    bool valid = false;
};

struct MrzParseResult {
    MrzFormat format = MrzFormat::TD3;
    std::vector<std::string> lines; // after correction
    MrzFields fields;
    std::vector<MrzCheck> checks;
    bool all_checks_valid = false;
    int corrections = 0; // characters changed from the OCR's reading by the check-digit-settled rules
};

// parses lines read by OCR (already split into lines, without spaces). the format comes from the
// number of lines and their length (a line one or two characters off is padded or trimmed at the end).
// nullopt when the lines cannot be an MRZ of any format: wrong line count or lengths, characters
// outside A-Z 0-9 < (after upper-casing and dropping spaces), or a document code not starting with a
// letter.
std::optional<MrzParseResult> parse_mrz(const std::vector<std::string>& lines);

// dates. an MRZ date has a two-digit year: a birth date takes the latest century that does not put it
// after `today`; an expiry date takes the century that puts it within 50 years of `today` (from 49
// years back to 50 ahead: in 2025, 75 is 2075 and 76 is 1976).
enum class MrzDateKind { BIRTH, EXPIRY };

// the calendar date of YYMMDD; nullopt when it is not six digits or not a real day
std::optional<std::chrono::year_month_day> mrz_date(std::string_view yymmdd, MrzDateKind kind,
                                                    std::chrono::year_month_day today);

// YYMMDD of a real month (1-12) and day (1-31) of any year; a month and day of fillers ("<<", a date
// partly unknown, as ICAO 9303 writes it) pass too. an OCR misreading that keeps a date's check digit
// often makes no date at all
bool mrz_plausible_date(std::string_view yymmdd);

// "YYYY-MM-DD" of YYMMDD, or nullopt as mrz_date
std::optional<std::string> mrz_iso_date(std::string_view yymmdd, MrzDateKind kind,
                                        std::chrono::year_month_day today);

// true when the document's expiry date is before `today` (a document is valid through its expiry
// day), or when the expiry date cannot be read: an unreadable date proves nothing valid
bool mrz_expired(const MrzFields& fields, std::chrono::year_month_day today);

// today's date in UTC, for the functions above
std::chrono::year_month_day mrz_today_utc();

} // namespace facegate
