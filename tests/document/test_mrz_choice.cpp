// SPDX-License-Identifier: MIT
// choosing an MRZ's characters from ranked glyph alternatives: by what each position allows, then by
// check digit (a bounded search), each character saying how it was chosen. glyph scores are
// synthesised: the true character scores high, a confusion is put above it where a test says so.
#include "document/mrz.h"
#include "document/mrz_choice.h"
#include "document/mrz_layout.h"

#include <gtest/gtest.h>

using namespace facegate;

namespace {

const std::vector<std::string> kTd3 = {"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
                                       "L898902C36UTO7408122F1204159ZE184226B<<<<<10"};

GlyphMatch clean(char c) {
    GlyphMatch g;
    g.scores.fill(0.3f);
    g.scores[mrz_alphabet_index(c)] = 0.9f;
    g.ch = c;
    g.score = 0.9f;
    return g;
}

std::vector<std::vector<GlyphMatch>> glyphs_of(const std::vector<std::string>& lines) {
    std::vector<std::vector<GlyphMatch>> out;
    for (const auto& l : lines) {
        std::vector<GlyphMatch> row;
        for (char c : l) row.push_back(clean(c));
        out.push_back(std::move(row));
    }
    return out;
}

// the classifier prefers `wrong` (score `wrong_score`) to the true character (`true_score`)
void confuse(GlyphMatch& g, char wrong, float wrong_score, float true_score) {
    g.scores[mrz_alphabet_index(g.ch)] = true_score;
    g.scores[mrz_alphabet_index(wrong)] = wrong_score;
    g.ch = wrong;
    g.score = wrong_score;
}

} // namespace

TEST(MrzChoice, CleanGlyphsAreReadAsTheyAre) {
    auto choice = choose_mrz_characters(glyphs_of(kTd3));
    EXPECT_EQ(choice.lines, kTd3);
    for (const auto& line : choice.characters)
        for (const auto& c : line) EXPECT_EQ(c.source, MrzCharacterSource::READ);
    ASSERT_EQ(choice.characters[1][0].alternatives.size(), 3u);
    EXPECT_EQ(choice.characters[1][0].alternatives[0].first, 'L');
}

// a date is never a letter: the best digit among the alternatives, even when a letter scores higher
TEST(MrzChoice, LettersInADateBecomeTheirBestDigit) {
    auto glyphs = glyphs_of(kTd3);
    confuse(glyphs[1][13], 'U', 0.93f, 0.85f); // the 7 of 740812
    confuse(glyphs[1][16], 'C', 0.91f, 0.80f); // the 8
    auto choice = choose_mrz_characters(glyphs);
    EXPECT_EQ(choice.lines, kTd3);
    EXPECT_EQ(choice.characters[1][13].read, 'U');
    EXPECT_EQ(choice.characters[1][13].value, '7');
    EXPECT_EQ(choice.characters[1][13].source, MrzCharacterSource::POSITION);
    EXPECT_EQ(choice.characters[1][16].source, MrzCharacterSource::POSITION);
}

// a country code is never a digit, a sex never a letter other than M F X
TEST(MrzChoice, CountryCodesAreLettersAndTheSexIsAMarker) {
    auto glyphs = glyphs_of(kTd3);
    confuse(glyphs[0][4], '0', 0.93f, 0.90f);  // the O of UTO
    confuse(glyphs[1][20], 'E', 0.95f, 0.70f); // F read as E
    auto choice = choose_mrz_characters(glyphs);
    EXPECT_EQ(choice.lines, kTd3);
    EXPECT_EQ(choice.characters[0][4].source, MrzCharacterSource::POSITION);
    EXPECT_EQ(choice.characters[1][20].source, MrzCharacterSource::POSITION);
}

// letters and digits are both allowed in a document number: its check digit settles it, through the
// classifier's second choice
TEST(MrzChoice, CheckDigitSettlesAnAlphanumericField) {
    auto glyphs = glyphs_of(kTd3);
    confuse(glyphs[1][1], 'B', 0.92f, 0.88f); // L898902C3 read as LB98902C3
    auto choice = choose_mrz_characters(glyphs);
    EXPECT_EQ(choice.lines, kTd3);
    EXPECT_EQ(choice.characters[1][1].source, MrzCharacterSource::CHECK_DIGIT);
    auto parsed = parse_mrz(choice.lines);
    ASSERT_TRUE(parsed);
    EXPECT_TRUE(parsed->all_checks_valid);
}

// two digits of a date misread as other digits, both true digits close behind: the pair is found
TEST(MrzChoice, CheckDigitSearchFindsTwoCharacters) {
    auto glyphs = glyphs_of(kTd3);
    confuse(glyphs[1][21], '7', 0.90f, 0.86f); // 120415 -> 720415 (the 1)
    confuse(glyphs[1][25], '6', 0.90f, 0.87f); // and the 5 read as 6
    auto choice = choose_mrz_characters(glyphs);
    EXPECT_EQ(choice.lines, kTd3);
    EXPECT_EQ(choice.characters[1][21].source, MrzCharacterSource::CHECK_DIGIT);
    EXPECT_EQ(choice.characters[1][25].source, MrzCharacterSource::CHECK_DIGIT);
}

// an alternative far below the first choice is not a misreading: no correction is invented for it
TEST(MrzChoice, ImplausibleAlternativesAreNotTried) {
    auto glyphs = glyphs_of(kTd3);
    confuse(glyphs[1][14], '1', 0.95f, 0.40f); // the 4 of 740812, clearly read as 1
    auto choice = choose_mrz_characters(glyphs);
    EXPECT_EQ(choice.lines[1].substr(13, 6), "710812");
    EXPECT_EQ(choice.characters[1][14].source, MrzCharacterSource::READ);
    auto parsed = parse_mrz(choice.lines);
    ASSERT_TRUE(parsed);
    EXPECT_FALSE(parsed->all_checks_valid);
}

// TD1: three lines of 30, the composite over the optional data too
TEST(MrzChoice, Td1CompositeCorrectsItsOwnPositions) {
    const MrzFields f{.document_code = "I", .issuing_state = "UTO", .surname = "ERIKSSON", .given_names = "ANNA MARIA",
                      .document_number = "D23145890", .nationality = "UTO", .birth_date = "740812", .sex = "F",
                      .expiry_date = "120415", .optional_data = "7349", .optional_data2 = "5"};
    auto lines = compose_mrz(MrzFormat::TD1, f);
    auto glyphs = glyphs_of(lines);
    confuse(glyphs[1][18], '6', 0.91f, 0.88f); // the optional data's 5 (no check digit of its own)
    auto choice = choose_mrz_characters(glyphs);
    EXPECT_EQ(choice.lines, lines);
    EXPECT_EQ(choice.characters[1][18].source, MrzCharacterSource::CHECK_DIGIT);
}

TEST(MrzChoice, OtherShapesComeBackAsRead) {
    auto glyphs = glyphs_of({"ABC<<", "12345"});
    auto choice = choose_mrz_characters(glyphs);
    EXPECT_EQ(choice.lines, (std::vector<std::string>{"ABC<<", "12345"}));
}

// a country field no check digit covers is chosen among the codes that exist: SWE read as SVE (a
// blurred W), the W close behind
TEST(MrzChoice, ACountryFieldReadAsNoCodeBecomesTheLikeliestCode) {
    const std::vector<std::string> lines = {"P<SWEMUELLER<<JOHN<<<<<<<<<<<<<<<<<<<<<<<<<<",
                                            "G615119N68SWE4010272F3404090<<<<<<<<<<<<<<02"};
    auto glyphs = glyphs_of(lines);
    confuse(glyphs[0][3], 'V', 0.75f, 0.69f);
    confuse(glyphs[1][11], 'V', 0.78f, 0.70f);
    auto choice = choose_mrz_characters(glyphs);
    EXPECT_EQ(choice.lines, lines);
    EXPECT_EQ(choice.characters[0][3].read, 'V');
    EXPECT_EQ(choice.characters[0][3].source, MrzCharacterSource::COUNTRY_CODE);
    EXPECT_EQ(choice.characters[1][11].source, MrzCharacterSource::COUNTRY_CODE);
    EXPECT_EQ(mrz_character_source_name(MrzCharacterSource::COUNTRY_CODE), "countryCode");
}

// a code that exists is left as read, and a field that is far from every code (noise) too: the
// reader does not make a country up
TEST(MrzChoice, ACountryCodeIsNotMadeUp) {
    auto glyphs = glyphs_of(kTd3);
    // UTO read as QJX, each clearly: nothing close to any code
    confuse(glyphs[0][2], 'Q', 0.95f, 0.40f);
    confuse(glyphs[0][3], 'J', 0.95f, 0.40f);
    confuse(glyphs[0][4], 'X', 0.95f, 0.40f);
    auto choice = choose_mrz_characters(glyphs);
    EXPECT_EQ(choice.lines[0].substr(2, 3), "QJX");
    EXPECT_EQ(choice.characters[0][2].source, MrzCharacterSource::READ);
    // Germany's single letter with fillers is a code, as is a specimen's UTO
    EXPECT_EQ(choose_mrz_characters(glyphs_of(kTd3)).lines[0].substr(2, 3), "UTO");
}

// a passport's document code starts with P, a visa's with V: a P read as V a little better is still
// a passport when only the passport's check digits hold, and a clear V is a visa
TEST(MrzChoice, DocumentCodeAndCheckDigitsTellAPassportFromAVisa) {
    auto glyphs = glyphs_of(kTd3);
    confuse(glyphs[0][0], 'V', 0.84f, 0.80f);
    auto choice = choose_mrz_characters(glyphs);
    EXPECT_EQ(choice.lines, kTd3);
    EXPECT_EQ(choice.characters[0][0].source, MrzCharacterSource::POSITION);

    const MrzFields f{.document_code = "V", .issuing_state = "UTO", .surname = "ERIKSSON", .given_names = "ANNA MARIA",
                      .document_number = "L8988901C", .nationality = "XXX", .birth_date = "400907", .sex = "F",
                      .expiry_date = "961210", .optional_data = "6ZE184226B", .optional_data2 = ""};
    auto parsed = parse_mrz(choose_mrz_characters(glyphs_of(compose_mrz(MrzFormat::MRV_A, f))).lines);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->format, MrzFormat::MRV_A);
    EXPECT_TRUE(parsed->all_checks_valid);
}
