// SPDX-License-Identifier: MIT
// check digits and composing MRZ lines from fields (ICAO 9303 part 4-6); parsing is in mrz_parse.cpp
#include "common/error.h"
#include "document/mrz.h"

#include <algorithm>
#include <cctype>

namespace facegate {

namespace {

// upper-cases, maps separators to '<', and refuses anything else outside A-Z 0-9 <
std::string mrz_text(std::string_view text, std::string_view what) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u)) out += char(std::toupper(u));
        else if (c == ' ' || c == '-' || c == '<') out += '<'; // ICAO 9303: spaces and hyphens become fillers
        else if (c == '\'' || c == ',') continue;                 // apostrophes and commas are left out
        else throw Error(ErrorCode::INVALID_PARAMETER, std::string(what) + " holds a character an MRZ cannot carry");
    }
    return out;
}

// `text` cut or '<'-filled to exactly `width`
std::string fit(std::string text, size_t width) {
    text.resize(width, '<');
    return text;
}

std::string field(std::string_view text, size_t width, std::string_view what) {
    return fit(mrz_text(text, what), width);
}

// "SURNAME<<GIVEN<NAMES" cut to width
std::string name_field(const MrzFields& f, size_t width) {
    std::string name = mrz_text(f.surname, "surname");
    std::string given = mrz_text(f.given_names, "given names");
    if (!given.empty()) name += "<<" + given;
    return fit(std::move(name), width);
}

char digit_char(std::string_view field) {
    auto d = mrz_check_digit(field);
    if (!d) throw Error(ErrorCode::INVALID_PARAMETER, "field holds a character an MRZ cannot carry");
    return char('0' + *d);
}

void require_date(std::string_view date, std::string_view what) {
    if (date.size() != 6 || !std::all_of(date.begin(), date.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        throw Error(ErrorCode::INVALID_PARAMETER, std::string(what) + " must be YYMMDD");
    }
}

} // namespace

std::string_view mrz_format_name(MrzFormat format) {
    switch (format) {
    case MrzFormat::TD1: return "TD1";
    case MrzFormat::TD2: return "TD2";
    case MrzFormat::TD3: return "TD3";
    case MrzFormat::MRV_A: return "MRV-A";
    case MrzFormat::MRV_B: return "MRV-B";
    }
    return "TD3";
}

std::optional<int> mrz_check_digit(std::string_view field) {
    static constexpr int kWeights[3] = {7, 3, 1};
    int sum = 0;
    for (size_t i = 0; i < field.size(); ++i) {
        char c = field[i];
        int value;
        if (c >= '0' && c <= '9') value = c - '0';
        else if (c >= 'A' && c <= 'Z') value = c - 'A' + 10;
        else if (c == '<') value = 0;
        else return std::nullopt;
        sum += value * kWeights[i % 3];
    }
    return sum % 10;
}

std::vector<std::string> compose_mrz(MrzFormat format, const MrzFields& f) {
    require_date(f.birth_date, "birth date");
    require_date(f.expiry_date, "expiry date");
    std::string code = field(f.document_code, 2, "document code");
    std::string state = field(f.issuing_state, 3, "issuing state");
    std::string nationality = field(f.nationality, 3, "nationality");
    std::string sex = f.sex.empty() ? "<" : field(f.sex, 1, "sex");
    if (sex == "X") sex = "<";

    if (format == MrzFormat::TD1) {
        std::string number = field(f.document_number, 9, "document number");
        std::string opt1 = field(f.optional_data, 15, "optional data");
        std::string opt2 = field(f.optional_data2, 11, "optional data");
        std::string line1 = code + state + number + digit_char(number) + opt1;
        std::string line2 = f.birth_date + digit_char(f.birth_date) + sex + f.expiry_date +
                            digit_char(f.expiry_date) + nationality + opt2;
        // composite: line 1 positions 6-30, line 2 positions 1-7, 9-15, 19-29
        std::string composite = line1.substr(5, 25) + line2.substr(0, 7) + line2.substr(8, 7) + line2.substr(18, 11);
        line2 += digit_char(composite);
        return {line1, line2, name_field(f, 30)};
    }

    size_t width = (format == MrzFormat::TD2 || format == MrzFormat::MRV_B) ? 36 : 44;
    std::string line1 = code + state + name_field(f, width - 5);
    std::string number = field(f.document_number, 9, "document number");
    std::string line2 = number + digit_char(number) + nationality + f.birth_date + digit_char(f.birth_date) + sex +
                        f.expiry_date + digit_char(f.expiry_date);
    if (format == MrzFormat::TD3) {
        std::string personal = field(f.optional_data, 14, "personal number");
        // an empty personal number may carry '<' as its check digit; 0 is as valid
        line2 += personal + digit_char(personal);
        // composite: positions 1-10, 14-20, 22-43
        std::string composite = line2.substr(0, 10) + line2.substr(13, 7) + line2.substr(21, 22);
        line2 += digit_char(composite);
    } else if (format == MrzFormat::TD2) {
        std::string optional = field(f.optional_data, 7, "optional data");
        line2 += optional;
        std::string composite = line2.substr(0, 10) + line2.substr(13, 7) + line2.substr(21, 14);
        line2 += digit_char(composite);
    } else {
        // visas have no composite check digit: the optional data fills the line
        line2 += field(f.optional_data, width - line2.size(), "optional data");
    }
    return {line1, line2};
}

} // namespace facegate
