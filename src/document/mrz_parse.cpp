// SPDX-License-Identifier: MIT
// parsing OCR'd MRZ lines into fields (ICAO 9303 parts 4-7), correcting only the confusions that the
// position of a character or a check digit settles, and MRZ dates
#include "document/mrz.h"
#include "document/mrz_layout.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>

namespace facegate {

namespace {

using Span = MrzSpan;
using Layout = MrzLayout;
constexpr char DIGIT = MRZ_DIGIT, ALPHA = MRZ_ALPHA, CHECK = MRZ_CHECK;

// the OCR confusions of letters read where only digits can stand, and the reverse
char to_digit(char c) {
    switch (c) {
    case 'O': case 'Q': case 'D': return '0';
    case 'I': case 'L': return '1';
    case 'Z': return '2';
    case 'S': return '5';
    case 'G': return '6';
    case 'B': return '8';
    default: return c;
    }
}

char to_letter(char c) {
    switch (c) {
    case '0': return 'O';
    case '1': return 'I';
    case '2': return 'Z';
    case '5': return 'S';
    case '8': return 'B';
    default: return c;
    }
}

// what else a character of an alphanumeric field may have been printed as
std::string_view alternatives(char c) {
    switch (c) {
    case '0': return "ODQ";
    case 'O': case 'D': case 'Q': return "0";
    case '1': return "IL";
    case 'I': case 'L': return "1";
    case '2': return "Z";
    case 'Z': return "2";
    case '5': return "S";
    case 'S': return "5";
    case '6': return "G";
    case 'G': return "6";
    case '8': return "B";
    case 'B': return "8";
    default: return {};
    }
}

using Lines = std::vector<std::string>;

std::string text(const Lines& lines, Span s) { return lines[size_t(s.line)].substr(size_t(s.start), size_t(s.len)); }
char& at(Lines& lines, Span s, int i) { return lines[size_t(s.line)][size_t(s.start + i)]; }

std::string strip_fillers(std::string s) {
    while (!s.empty() && s.back() == '<') s.pop_back();
    return s;
}

// "ANNA<MARIA<<<" -> "ANNA MARIA"
std::string name_text(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c == '<') {
            if (!out.empty() && out.back() != ' ') out += ' ';
        } else {
            out += c;
        }
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

bool check_holds(std::string_view field, char check) {
    auto d = mrz_check_digit(field);
    return d && check == char('0' + *d);
}

std::string composite_text(const Lines& lines, const Layout& l) {
    std::string s;
    for (const Span& part : l.composite_parts) s += text(lines, part);
    return s;
}

bool composite_holds(const Lines& lines, const Layout& l) {
    return check_holds(composite_text(lines, l), text(lines, l.composite)[0]);
}

// letters where digits must be and digits where letters must be
int correct_by_position(Lines& lines, const Layout& l) {
    int changed = 0;
    for (size_t li = 0; li < lines.size(); ++li) {
        for (size_t i = 0; i < lines[li].size(); ++i) {
            char& c = lines[li][i];
            char fixed = c;
            switch (l.kinds[li][i]) {
            case DIGIT: fixed = to_digit(c); break;
            case CHECK: fixed = c == 'K' ? '<' : to_digit(c); break; // K is a misread filler, never a digit
            case ALPHA: fixed = to_letter(c); break;
            default: break;
            }
            if (fixed != c) {
                c = fixed;
                ++changed;
            }
        }
    }
    return changed;
}

// 'K' read in a run of '<' fillers (the confusion of Tesseract and alike). names: a K between
// fillers, after two or more of them, since "<<" ends the surname and "<" separates names (a lone
// given name "K" right after "<<" is then read as a filler, a documented limitation); the other
// fields are left-aligned: a K in their trailing fillers, after at least one '<'. K and '<' weigh
// the same in a check digit (20 and 0, both 0 mod 10), so only this structure can settle it.
int correct_filler_k(Lines& lines, Span s, bool names) {
    int changed = 0;
    for (int i = 0; i < s.len; ++i) {
        if (at(lines, s, i) != 'K') continue;
        int left = 0;
        bool left_has_filler = false;
        for (int j = i - 1; j >= 0 && (at(lines, s, j) == '<' || at(lines, s, j) == 'K'); --j) {
            ++left;
            left_has_filler |= at(lines, s, j) == '<';
        }
        bool run_goes_on = i + 1 == s.len || at(lines, s, i + 1) == '<' || at(lines, s, i + 1) == 'K';
        bool trailing = true;
        for (int j = i + 1; j < s.len; ++j) trailing &= at(lines, s, j) == '<' || at(lines, s, j) == 'K';
        bool filler = left_has_filler && (names ? (left >= 2 && run_goes_on) : (trailing && left >= 1));
        if (filler) {
            at(lines, s, i) = '<';
            ++changed;
        }
    }
    return changed;
}

// an alphanumeric field whose check digit fails: tries the confusion alternative of each of its
// characters in turn and takes the only one that makes the check digit hold. several candidates, or
// none: nothing is changed. one change only: a check digit is one decimal digit of evidence, which
// pairs of changes satisfy by chance too often, and the composite check digit adds nothing here as it
// weighs the number with the same weights. returns the characters changed.
int correct_by_check_digit(Lines& lines, Span field, Span check) {
    const char check_char = text(lines, check)[0];
    const std::string original = text(lines, field);
    if (check_holds(original, check_char)) return 0;
    std::optional<std::string> found;
    for (size_t i = 0; i < original.size(); ++i) {
        for (char alt : alternatives(original[i])) {
            std::string candidate = original;
            candidate[i] = alt;
            if (!check_holds(candidate, check_char)) continue;
            if (found) return 0; // the check digit does not settle it
            found = candidate;
        }
    }
    if (!found) return 0;
    for (int i = 0; i < field.len; ++i) at(lines, field, i) = (*found)[size_t(i)];
    return 1;
}

// the lines as MRZ text (upper case, no spaces), or nullopt with a character an MRZ cannot hold
std::optional<Lines> clean_lines(const std::vector<std::string>& raw) {
    Lines out;
    for (const auto& line : raw) {
        std::string s;
        for (char c : line) {
            auto u = static_cast<unsigned char>(c);
            if (std::isspace(u)) continue;
            char up = char(std::toupper(u));
            if (!((up >= 'A' && up <= 'Z') || (up >= '0' && up <= '9') || up == '<')) return std::nullopt;
            s += up;
        }
        if (!s.empty()) out.push_back(std::move(s));
    }
    return out;
}

std::optional<Layout> layout_for(Lines& lines) {
    auto fits = [&](int width) {
        return std::all_of(lines.begin(), lines.end(),
                           [&](const std::string& s) { return std::abs(int(s.size()) - width) <= 2; });
    };
    int width = 0;
    if (lines.size() == 3 && fits(30)) width = 30;
    else if (lines.size() == 2 && fits(44)) width = 44;
    else if (lines.size() == 2 && fits(36)) width = 36;
    else return std::nullopt;
    for (auto& s : lines) s.resize(size_t(width), '<');
    if (width == 30) return mrz_layout(MrzFormat::TD1);
    // a visa's document code starts with V (the code is letters: a digit there is a confusion)
    bool visa = to_letter(lines[0][0]) == 'V';
    if (width == 44) return mrz_layout(visa ? MrzFormat::MRV_A : MrzFormat::TD3);
    return mrz_layout(visa ? MrzFormat::MRV_B : MrzFormat::TD2);
}

} // namespace

std::optional<MrzParseResult> parse_mrz(const std::vector<std::string>& raw_lines) {
    auto cleaned = clean_lines(raw_lines);
    if (!cleaned) return std::nullopt;
    Lines lines = std::move(*cleaned);
    if (lines.size() < 2) return std::nullopt;
    auto layout = layout_for(lines);
    if (!layout) return std::nullopt;
    const Layout& l = *layout;

    MrzParseResult r;
    r.format = l.format;
    int corrections = correct_by_position(lines, l);
    if (lines[0][0] < 'A' || lines[0][0] > 'Z') return std::nullopt;
    corrections += correct_filler_k(lines, l.names, true);
    corrections += correct_filler_k(lines, l.number, false);
    corrections += correct_filler_k(lines, l.optional, false);
    if (l.optional2.present()) corrections += correct_filler_k(lines, l.optional2, false);

    // TD1 (and TD2) long document number: a '<' check digit means the number goes on in the optional
    // data, whose last character before its first filler is the check digit
    bool long_number = (l.format == MrzFormat::TD1 || l.format == MrzFormat::TD2) &&
                       text(lines, l.number_check)[0] == '<' && text(lines, l.optional)[0] != '<';
    std::string number;
    char number_check = 0;
    std::string optional;
    if (long_number) {
        std::string data = text(lines, l.optional);
        size_t end = std::min(data.find('<'), data.size());
        char& check = at(lines, l.optional, int(end - 1));
        if (to_digit(check) != check) {
            check = to_digit(check);
            ++corrections;
        }
        number = text(lines, l.number) + data.substr(0, end - 1);
        number_check = check;
        optional = end < data.size() ? data.substr(end + 1) : std::string();
    } else {
        corrections += correct_by_check_digit(lines, l.number, l.number_check);
        if (l.format == MrzFormat::TD3) corrections += correct_by_check_digit(lines, l.optional, l.optional_check);
        number = text(lines, l.number);
        number_check = text(lines, l.number_check)[0];
        optional = text(lines, l.optional);
    }

    MrzFields& f = r.fields;
    f.document_code = strip_fillers(text(lines, l.code));
    f.issuing_state = strip_fillers(text(lines, l.state));
    std::string names = strip_fillers(text(lines, l.names));
    size_t sep = names.find("<<");
    f.surname = name_text(names.substr(0, sep));
    f.given_names = sep == std::string::npos ? std::string() : name_text(names.substr(sep + 2));
    f.document_number = strip_fillers(number);
    f.nationality = strip_fillers(text(lines, l.nationality));
    f.birth_date = text(lines, l.birth);
    f.sex = text(lines, l.sex);
    f.expiry_date = text(lines, l.expiry);
    f.optional_data = strip_fillers(optional);
    if (l.optional2.present()) f.optional_data2 = strip_fillers(text(lines, l.optional2));

    r.checks.push_back({"document_number", check_holds(number, number_check)});
    // a date's check digit holds only for a date: a zone read upside down can satisfy one by chance
    r.checks.push_back({"birth_date", check_holds(f.birth_date, text(lines, l.birth_check)[0]) &&
                                          mrz_plausible_date(f.birth_date)});
    r.checks.push_back({"expiry_date", check_holds(f.expiry_date, text(lines, l.expiry_check)[0]) &&
                                           mrz_plausible_date(f.expiry_date)});
    if (l.optional_check.present()) {
        // an empty personal number may carry '<' or 0 as its check digit
        std::string personal = text(lines, l.optional);
        char check = text(lines, l.optional_check)[0];
        bool empty = personal.find_first_not_of('<') == std::string::npos;
        const bool empty_ok = empty && (check == '<' || check == '0');
        r.checks.push_back({"optional_data", check_holds(personal, check) || empty_ok});
    }
    if (l.composite.present()) r.checks.push_back({"composite", composite_holds(lines, l)});
    r.all_checks_valid = std::all_of(r.checks.begin(), r.checks.end(), [](const MrzCheck& c) { return c.valid; });
    r.corrections = corrections;
    r.lines = std::move(lines);
    return r;
}

bool mrz_plausible_date(std::string_view d) {
    auto digits = [&](size_t i) { return std::isdigit(static_cast<unsigned char>(d[i])) && std::isdigit(static_cast<unsigned char>(d[i + 1])); };
    auto fillers = [&](size_t i) { return d[i] == '<' && d[i + 1] == '<'; };
    auto two = [&](size_t i) { return (d[i] - '0') * 10 + (d[i + 1] - '0'); };
    if (d.size() != 6 || !digits(0)) return false;
    const bool month = fillers(2) || (digits(2) && two(2) >= 1 && two(2) <= 12);
    const bool day = fillers(4) || (digits(4) && two(4) >= 1 && two(4) <= 31);
    return month && day;
}

std::optional<std::chrono::year_month_day> mrz_date(std::string_view yymmdd, MrzDateKind kind,
                                                    std::chrono::year_month_day today) {
    using namespace std::chrono;
    if (yymmdd.size() != 6 || !std::all_of(yymmdd.begin(), yymmdd.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    auto two = [&](size_t i) { return (yymmdd[i] - '0') * 10 + (yymmdd[i + 1] - '0'); };
    const int yy = two(0);
    const int today_year = int(today.year());
    int year = 0;
    if (kind == MrzDateKind::BIRTH) {
        year = today_year - ((today_year - yy) % 100 + 100) % 100; // latest year ending in yy, not after this year
        year_month_day d{std::chrono::year(year), month(unsigned(two(2))), day(unsigned(two(4)))};
        if (d.ok() && d > today) year -= 100;
    } else {
        year = today_year - 49 + (((yy - (today_year - 49)) % 100) + 100) % 100; // within [today-49, today+50]
    }
    year_month_day d{std::chrono::year(year), month(unsigned(two(2))), day(unsigned(two(4)))};
    if (!d.ok()) return std::nullopt;
    return d;
}

std::optional<std::string> mrz_iso_date(std::string_view yymmdd, MrzDateKind kind, std::chrono::year_month_day today) {
    auto d = mrz_date(yymmdd, kind, today);
    if (!d) return std::nullopt;
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", int(d->year()), unsigned(d->month()), unsigned(d->day()));
    return std::string(buf);
}

bool mrz_expired(const MrzFields& fields, std::chrono::year_month_day today) {
    auto expiry = mrz_date(fields.expiry_date, MrzDateKind::EXPIRY, today);
    return !expiry || *expiry < today;
}

std::chrono::year_month_day mrz_today_utc() {
    return std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now())};
}

} // namespace facegate
