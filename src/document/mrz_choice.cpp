// SPDX-License-Identifier: MIT
// the characters of an MRZ chosen by position, then by check digit (a bounded search over the
// classifier's alternatives)
#include "document/mrz_choice.h"

#include "document/mrz_layout.h"

#include <algorithm>
#include <optional>

namespace facegate {

namespace {

// an alternative this far below the chosen character's score is not a plausible misreading
constexpr float kMaxLoss = 0.2f;
// alternatives per position, and positions, a check-digit search looks at: a check digit is one
// decimal digit of evidence, and each extra trial is one more chance of satisfying it by accident
constexpr size_t kAltsPerPosition = 3;
constexpr size_t kPairPositions = 6;
constexpr size_t kAlternativesShown = 3;

struct Position {
    size_t line, pos;
};

struct Option {
    Position at;
    char ch;
    float loss; // score of the chosen character minus this one's
};

std::optional<MrzFormat> format_of(const std::vector<std::vector<GlyphMatch>>& glyphs) {
    if (glyphs.size() == 3 && std::all_of(glyphs.begin(), glyphs.end(), [](const auto& l) { return l.size() == 30; }))
        return MrzFormat::TD1;
    if (glyphs.size() != 2 || glyphs[0].size() != glyphs[1].size()) return std::nullopt;
    // a visa's document code is V: its first cell, read as a letter
    const bool visa = !glyphs[0].empty() && glyphs[0][0].score > -1 && glyphs[0][0].best_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") == 'V';
    if (glyphs[0].size() == 44) return visa ? MrzFormat::MRV_A : MrzFormat::TD3;
    if (glyphs[0].size() == 36) return visa ? MrzFormat::MRV_B : MrzFormat::TD2;
    return std::nullopt;
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

// YYMMDD of a real month and day (any year): a date read with a digit wrong often is not
bool plausible_date(std::string_view d) {
    if (d.size() != 6 || !std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
    const int month = (d[2] - '0') * 10 + (d[3] - '0'), day = (d[4] - '0') * 10 + (d[5] - '0');
    return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

bool field_holds(const std::vector<std::string>& lines, const MrzCheckedField& f, bool date) {
    const std::string text = field_text(lines, f.parts);
    const char check = lines[size_t(f.check.line)][size_t(f.check.start)];
    if (date && !plausible_date(text)) return false;
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

} // namespace

std::string_view mrz_character_source_name(MrzCharacterSource source) {
    switch (source) {
    case MrzCharacterSource::READ: return "read";
    case MrzCharacterSource::POSITION: return "position";
    case MrzCharacterSource::CHECK_DIGIT: return "checkDigit";
    case MrzCharacterSource::PARSER: return "parser";
    }
    return "read";
}

MrzChoice choose_mrz_characters(const std::vector<std::vector<GlyphMatch>>& glyphs) {
    MrzChoice out;
    const auto format = format_of(glyphs);
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
                const char best = g.best_of(mrz_kind_alphabet(mrz_layout(*format).kinds[li][p]));
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

    // the fields with their own check digit first, then the composite over what they left
    // (the composite may not undo what a field's own check digit settled)
    const MrzLayout& l = mrz_layout(*format);
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

} // namespace facegate
