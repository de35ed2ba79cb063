// SPDX-License-Identifier: MIT
// the characters of an MRZ chosen by position, then by check digit (a bounded search over the
// classifier's alternatives)
#include "document/mrz_choice.h"

#include "document/mrz_country_codes.h"
#include "document/mrz_layout.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <utility>

namespace facegate {

namespace {

// an alternative this far below the chosen character's score is not a plausible misreading
constexpr float kMaxLoss = 0.2f;
// alternatives per position, and positions, a check-digit search looks at: a check digit is one
// decimal digit of evidence, and each extra trial is one more chance of satisfying it by accident
constexpr size_t kAltsPerPosition = 3;
constexpr size_t kPairPositions = 6;
constexpr size_t kAlternativesShown = 3;
// a country field's code may cost this much (summed over its three cells) below what was read: two
// confusable glyphs (W/V, R/D), not a code made up from noise
constexpr float kMaxCountryLoss = 0.45f;
// what a cell without ink costs a code that puts a letter there (a glyph lost to glare, or a filler)
constexpr float kEmptyCellLoss = 0.3f;
// a document code's first character that scores this far below the letter read there rules its format
// out: a passport line cut short to 36 cells is no visa because its check digits sit where a visa's do
constexpr float kMaxCodeLoss = 0.25f;
// a document code's first character read this much better as one format's than as the other's decides
// between a document and a visa of the same length; closer than that, the check digits decide
constexpr float kClearCodeLead = 0.1f;

struct Position {
    size_t line, pos;
};

struct Option {
    Position at;
    char ch;
    float loss; // score of the chosen character minus this one's
};

// the formats lines of this shape may be: a document, and for two lines, a visa of their length
std::vector<MrzFormat> formats_of(const std::vector<std::vector<GlyphMatch>>& glyphs) {
    if (glyphs.size() == 3 && std::all_of(glyphs.begin(), glyphs.end(), [](const auto& l) { return l.size() == 30; }))
        return {MrzFormat::TD1};
    if (glyphs.size() != 2 || glyphs[0].size() != glyphs[1].size()) return {};
    if (glyphs[0].size() == 44) return {MrzFormat::TD3, MrzFormat::MRV_A};
    if (glyphs[0].size() == 36) return {MrzFormat::TD2, MrzFormat::MRV_B};
    return {};
}

// the first character of a document code (ICAO 9303 parts 4-7): P for passports, V for visas, A, C
// or I for cards and other travel documents of TD1 and TD2 size
std::string_view first_code_letters(MrzFormat format) {
    switch (format) {
    case MrzFormat::TD3: return "P";
    case MrzFormat::MRV_A:
    case MrzFormat::MRV_B: return "V";
    case MrzFormat::TD1:
    case MrzFormat::TD2: return "ACI";
    }
    return "P";
}

std::string field_text(const std::vector<std::string>& lines, const std::vector<MrzSpan>& parts) {
    std::string s;
    for (const auto& p : parts) s += lines[size_t(p.line)].substr(size_t(p.start), size_t(p.len));
    return s;
}

bool is_date_field(const MrzLayout& l, const MrzCheckedField& f) {
    const MrzSpan& p = f.parts[0];
    auto same = [&](const MrzSpan& s) { return f.parts.size() == 1 && s.line == p.line && s.start == p.start; };
    return same(l.birth) || same(l.expiry);
}

bool field_holds(const std::vector<std::string>& lines, const MrzCheckedField& f, bool date) {
    const std::string text = field_text(lines, f.parts);
    const char check = lines[size_t(f.check.line)][size_t(f.check.start)];
    if (date && !mrz_plausible_date(text)) return false;
    auto digit = mrz_check_digit(text);
    if (digit && check == char('0' + *digit)) return true;
    // an empty field may carry '<' (or 0) as its check digit
    return text.find_first_not_of('<') == std::string::npos && (check == '<' || check == '0');
}

// the plausible alternatives of the positions of `f` (check digit included), cheapest first
// `locked`: positions that must stay (another field's, whose check digit holds)
std::vector<Option> options_of(const MrzCheckedField& f, const MrzLayout& l,
                               const std::vector<std::vector<GlyphMatch>>& glyphs, const std::vector<std::string>& lines,
                               const std::vector<std::string>& locked) {
    std::vector<MrzSpan> spans = f.parts;
    spans.push_back(f.check);
    std::vector<Option> out;
    for (const auto& span : spans) {
        for (int i = 0; i < span.len; ++i) {
            const Position at{size_t(span.line), size_t(span.start + i)};
            const GlyphMatch& g = glyphs[at.line][at.pos];
            if (g.score <= -1) continue; // an empty cell is a filler, not a misreading
            if (locked[at.line][at.pos]) continue;
            const char current = lines[at.line][at.pos];
            const std::string_view allowed = mrz_kind_alphabet(l.kinds[at.line][at.pos]);
            std::vector<Option> here;
            for (char c : allowed) {
                const float loss = g.score_of(current) - g.score_of(c);
                if (c != current && loss <= kMaxLoss) here.push_back({at, c, loss});
            }
            std::sort(here.begin(), here.end(), [](const Option& a, const Option& b) { return a.loss < b.loss; });
            if (here.size() > kAltsPerPosition) here.resize(kAltsPerPosition);
            out.insert(out.end(), here.begin(), here.end());
        }
    }
    std::sort(out.begin(), out.end(), [](const Option& a, const Option& b) { return a.loss < b.loss; });
    return out;
}

// the cheapest change of one or two characters that makes `f` hold; empty when none does
std::vector<Option> search(const MrzCheckedField& f, const MrzLayout& l, const std::vector<std::vector<GlyphMatch>>& glyphs,
                           std::vector<std::string> lines, const std::vector<std::string>& locked) {
    const bool date = is_date_field(l, f);
    const std::vector<Option> options = options_of(f, l, glyphs, lines, locked);
    std::vector<Option> best;
    float best_loss = 1e9f;
    for (const auto& o : options) {
        if (o.loss >= best_loss) break;
        const char was = lines[o.at.line][o.at.pos];
        lines[o.at.line][o.at.pos] = o.ch;
        if (field_holds(lines, f, date)) {
            best = {o};
            best_loss = o.loss;
        }
        lines[o.at.line][o.at.pos] = was;
    }
    // pairs among the cheapest options, at two different positions
    const size_t n = std::min(options.size(), kPairPositions * 2);
    for (size_t i = 0; i < n; ++i) {
        for (size_t j = i + 1; j < n; ++j) {
            const Option &a = options[i], &b = options[j];
            if (a.at.line == b.at.line && a.at.pos == b.at.pos) continue;
            if (a.loss + b.loss >= best_loss) continue;
            const char wa = lines[a.at.line][a.at.pos], wb = lines[b.at.line][b.at.pos];
            lines[a.at.line][a.at.pos] = a.ch;
            lines[b.at.line][b.at.pos] = b.ch;
            if (field_holds(lines, f, date)) {
                best = {a, b};
                best_loss = a.loss + b.loss;
            }
            lines[a.at.line][a.at.pos] = wa;
            lines[b.at.line][b.at.pos] = wb;
        }
    }
    return best;
}

// the code that exists whose letters the cells of `span` favour most, when what was chosen there is no
// code; it replaces the reading unless it costs more than kMaxCountryLoss
void choose_country(const MrzSpan& span, const std::vector<std::vector<GlyphMatch>>& glyphs, MrzChoice& out) {
    if (!span.present() || span.len != 3) return;
    std::string& line = out.lines[size_t(span.line)];
    const std::string read = line.substr(size_t(span.start), 3);
    if (is_mrz_country_code(read)) return;
    auto cost = [&](const std::string& code) {
        float loss = 0;
        for (size_t i = 0; i < 3; ++i) {
            const GlyphMatch& g = glyphs[size_t(span.line)][size_t(span.start) + i];
            if (code[i] == read[i]) continue;
            loss += g.score <= -1 ? (code[i] == '<' ? 0.f : kEmptyCellLoss) : g.score_of(read[i]) - g.score_of(code[i]);
        }
        return loss;
    };
    const std::string* best = nullptr;
    float best_loss = kMaxCountryLoss;
    for (const auto& code : mrz_country_codes()) {
        const float loss = cost(code);
        if (loss <= best_loss) {
            best = &code;
            best_loss = loss;
        }
    }
    if (!best) return;
    for (size_t i = 0; i < 3; ++i) {
        if ((*best)[i] == read[i]) continue;
        const size_t pos = size_t(span.start) + i;
        line[pos] = (*best)[i];
        MrzCharacter& c = out.characters[size_t(span.line)][pos];
        c.value = (*best)[i];
        c.score = glyphs[size_t(span.line)][pos].score_of(c.value);
        c.source = MrzCharacterSource::COUNTRY_CODE;
    }
}

// how many of the format's check digits hold
size_t checks_holding(const std::vector<std::string>& lines, MrzFormat format) {
    const MrzLayout& l = mrz_layout(format);
    size_t n = 0;
    for (const auto& f : mrz_checked_fields(format)) n += field_holds(lines, f, is_date_field(l, f)) ? 1 : 0;
    return n;
}

// whether the first cell may be `format`'s document code: no ink there, or its letter close to the best
bool code_plausible(const GlyphMatch& first, MrzFormat format) {
    if (first.score <= -1) return true;
    const std::string_view letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    return first.score_of(first.best_of(letters)) - first.score_of(first.best_of(first_code_letters(format))) <= kMaxCodeLoss;
}

// the glyphs' characters chosen as `format` lays them out (nullopt: each cell's first choice);
// `code_known`: the first character is one of the format's document codes, else any letter
MrzChoice choose_as(const std::vector<std::vector<GlyphMatch>>& glyphs, std::optional<MrzFormat> format,
                    bool code_known = true) {
    MrzChoice out;
    for (size_t li = 0; li < glyphs.size(); ++li) {
        std::string line;
        std::vector<MrzCharacter> chars;
        for (size_t p = 0; p < glyphs[li].size(); ++p) {
            const GlyphMatch& g = glyphs[li][p];
            MrzCharacter c;
            c.read = c.value = g.ch;
            c.score = g.score;
            if (g.score > -1) c.alternatives = g.ranked(kAlternativesShown);
            if (format && g.score > -1) {
                const bool first = li == 0 && p == 0 && code_known;
                const char best = g.best_of(first ? first_code_letters(*format)
                                                  : mrz_kind_alphabet(mrz_layout(*format).kinds[li][p]));
                if (best != g.ch) {
                    c.value = best;
                    c.score = g.score_of(best);
                    c.source = MrzCharacterSource::POSITION;
                }
            }
            line += c.value;
            chars.push_back(std::move(c));
        }
        out.lines.push_back(std::move(line));
        out.characters.push_back(std::move(chars));
    }
    if (!format) return out;

    const MrzLayout& l = mrz_layout(*format);
    choose_country(l.state, glyphs, out);
    choose_country(l.nationality, glyphs, out);

    // the fields with their own check digit first, then the composite over what they left
    // (the composite may not undo what a field's own check digit settled)
    std::vector<std::string> locked, none;
    for (const auto& line : out.lines) locked.emplace_back(line.size(), '\0');
    none = locked;
    for (const auto& f : mrz_checked_fields(*format)) {
        const bool composite = f.name == "composite";
        if (!field_holds(out.lines, f, is_date_field(l, f))) {
            for (const auto& o : search(f, l, glyphs, out.lines, composite ? locked : none)) {
                out.lines[o.at.line][o.at.pos] = o.ch;
                MrzCharacter& c = out.characters[o.at.line][o.at.pos];
                c.value = o.ch;
                c.score = glyphs[o.at.line][o.at.pos].score_of(o.ch);
                c.source = MrzCharacterSource::CHECK_DIGIT;
            }
        }
        if (composite || !field_holds(out.lines, f, is_date_field(l, f))) continue;
        std::vector<MrzSpan> spans = f.parts;
        spans.push_back(f.check);
        for (const auto& s : spans)
            for (int i = 0; i < s.len; ++i) locked[size_t(s.line)][size_t(s.start + i)] = 1;
    }
    return out;
}

} // namespace

std::string_view mrz_character_source_name(MrzCharacterSource source) {
    switch (source) {
    case MrzCharacterSource::READ: return "read";
    case MrzCharacterSource::POSITION: return "position";
    case MrzCharacterSource::CHECK_DIGIT: return "checkDigit";
    case MrzCharacterSource::COUNTRY_CODE: return "countryCode";
    case MrzCharacterSource::PARSER: return "parser";
    }
    return "read";
}

MrzChoice choose_mrz_characters(const std::vector<std::vector<GlyphMatch>>& glyphs) {
    std::vector<MrzFormat> formats = formats_of(glyphs);
    if (formats.empty()) return choose_as(glyphs, std::nullopt);
    const GlyphMatch& code = glyphs[0][0];
    const MrzFormat document = formats[0];
    std::erase_if(formats, [&](MrzFormat f) { return !code_plausible(code, f); });
    // a code none of the formats has (a misread P, or a document of another kind): the positions'
    // alphabets still hold, the document code is left as read
    if (formats.empty()) return choose_as(glyphs, document, false);

    // what a reading's check digits say for its format: all of them hold, and how many (a passport's
    // five holding on a visa's text would be a 1 in 100 chance)
    auto evidence = [](const MrzChoice& c, MrzFormat f) {
        const size_t holding = checks_holding(c.lines, f);
        return std::make_pair(holding == mrz_checked_fields(f).size(), holding);
    };
    MrzFormat best_format = formats[0];
    MrzChoice best = choose_as(glyphs, best_format);
    for (size_t k = 1; k < formats.size(); ++k) {
        MrzChoice other = choose_as(glyphs, formats[k]);
        const float lead = code.score_of(best.lines[0][0]) - code.score_of(other.lines[0][0]);
        const auto mine = evidence(best, best_format), theirs = evidence(other, formats[k]);
        const bool other_wins = std::abs(lead) >= kClearCodeLead ? lead < 0 : theirs != mine ? theirs > mine : lead < 0;
        if (other_wins) {
            best = std::move(other);
            best_format = formats[k];
        }
    }
    return best;
}

} // namespace facegate
