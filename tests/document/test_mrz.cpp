// SPDX-License-Identifier: MIT
// MRZ text: check digits, composing (the ICAO 9303 specimens exactly), parsing, the OCR confusions
// corrected only when position or check digit settles them, dates and expiry.
#include "common/error.h"
#include "document/mrz.h"

#include <gtest/gtest.h>

using namespace facegate;
using namespace std::chrono_literals;

namespace {

const std::vector<std::string> kTd3 = {"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
                                       "L898902C36UTO7408122F1204159ZE184226B<<<<<10"};
const std::vector<std::string> kTd2 = {"I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
                                       "D231458907UTO7408122F1204159<<<<<<<6"};
const std::vector<std::string> kTd1 = {"I<UTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6",
                                       "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"};

MrzFields specimen_fields(std::string code, std::string number, std::string optional = "") {
    MrzFields f;
    f.document_code = std::move(code);
    f.issuing_state = "UTO";
    f.surname = "ERIKSSON";
    f.given_names = "ANNA MARIA";
    f.document_number = std::move(number);
    f.nationality = "UTO";
    f.birth_date = "740812";
    f.sex = "F";
    f.expiry_date = "120415";
    f.optional_data = std::move(optional);
    return f;
}

void expect_same_fields(const MrzFields& a, const MrzFields& b) {
    EXPECT_EQ(a.document_code, b.document_code);
    EXPECT_EQ(a.issuing_state, b.issuing_state);
    EXPECT_EQ(a.surname, b.surname);
    EXPECT_EQ(a.given_names, b.given_names);
    EXPECT_EQ(a.document_number, b.document_number);
    EXPECT_EQ(a.nationality, b.nationality);
    EXPECT_EQ(a.birth_date, b.birth_date);
    EXPECT_EQ(a.sex, b.sex);
    EXPECT_EQ(a.expiry_date, b.expiry_date);
    EXPECT_EQ(a.optional_data, b.optional_data);
    EXPECT_EQ(a.optional_data2, b.optional_data2);
}

bool check_valid(const MrzParseResult& r, const std::string& name) {
    for (const auto& c : r.checks)
        if (c.name == name) return c.valid;
    ADD_FAILURE() << "no check " << name;
    return false;
}

// `lines` with line `li`, position `pos` replaced by `c`
std::vector<std::string> with(std::vector<std::string> lines, size_t li, size_t pos, char c) {
    lines[li][pos] = c;
    return lines;
}

constexpr std::chrono::year_month_day kToday{std::chrono::year(2025), std::chrono::June, std::chrono::day(1)};

} // namespace

TEST(MrzCheckDigit, IcaoExamples) {
    EXPECT_EQ(mrz_check_digit("L898902C3"), 6);
    EXPECT_EQ(mrz_check_digit("D23145890"), 7);
    EXPECT_EQ(mrz_check_digit("740812"), 2);
    EXPECT_EQ(mrz_check_digit("120415"), 9);
    EXPECT_EQ(mrz_check_digit("ZE184226B<<<<<"), 1);
    EXPECT_EQ(mrz_check_digit("<<<<"), 0);
    EXPECT_EQ(mrz_check_digit(""), 0);
    EXPECT_EQ(mrz_check_digit("AB2"), (10 * 7 + 11 * 3 + 2) % 10);
    EXPECT_FALSE(mrz_check_digit("ab1"));
    EXPECT_FALSE(mrz_check_digit("A-1"));
}

TEST(MrzCompose, ReproducesTheIcaoSpecimens) {
    EXPECT_EQ(compose_mrz(MrzFormat::TD3, specimen_fields("P", "L898902C3", "ZE184226B")), kTd3);
    EXPECT_EQ(compose_mrz(MrzFormat::TD2, specimen_fields("I", "D23145890")), kTd2);
    EXPECT_EQ(compose_mrz(MrzFormat::TD1, specimen_fields("I", "D23145890")), kTd1);
}

TEST(MrzCompose, RefusesWhatAnMrzCannotCarry) {
    auto f = specimen_fields("P", "L898902C3");
    f.surname = "ÉRIKSSON";
    EXPECT_THROW(compose_mrz(MrzFormat::TD3, f), Error);
    f = specimen_fields("P", "L898902C3");
    f.birth_date = "7408";
    EXPECT_THROW(compose_mrz(MrzFormat::TD3, f), Error);
}

TEST(MrzCompose, RoundTripsEveryFormat) {
    struct Case {
        MrzFormat format;
        MrzFields fields;
        size_t lines, width;
    };
    auto visa = specimen_fields("V", "AB1234567", "ZZ99");
    std::vector<Case> cases = {
        {MrzFormat::TD1, specimen_fields("ID", "X4RTBPFW4", "OPT1"), 3, 30},
        {MrzFormat::TD2, specimen_fields("I", "D23145890", "AB12"), 2, 36},
        {MrzFormat::TD3, specimen_fields("P", "L898902C3", "ZE184226B"), 2, 44},
        {MrzFormat::MRV_A, visa, 2, 44},
        {MrzFormat::MRV_B, visa, 2, 36},
    };
    cases[0].fields.optional_data2 = "OPT2";
    cases[0].fields.sex = "M";
    cases[2].fields.given_names = "ANNA MARIA LOUISE";
    for (const auto& c : cases) {
        SCOPED_TRACE(std::string(mrz_format_name(c.format)));
        auto lines = compose_mrz(c.format, c.fields);
        ASSERT_EQ(lines.size(), c.lines);
        for (const auto& l : lines) EXPECT_EQ(l.size(), c.width) << l;
        auto parsed = parse_mrz(lines);
        ASSERT_TRUE(parsed);
        EXPECT_EQ(parsed->format, c.format);
        EXPECT_TRUE(parsed->all_checks_valid);
        EXPECT_EQ(parsed->corrections, 0);
        EXPECT_EQ(parsed->lines, lines);
        expect_same_fields(parsed->fields, c.fields);
    }
}

TEST(MrzParse, SpecimensWithEveryCheckValid) {
    auto td3 = parse_mrz(kTd3);
    ASSERT_TRUE(td3);
    EXPECT_EQ(td3->format, MrzFormat::TD3);
    EXPECT_TRUE(td3->all_checks_valid);
    EXPECT_EQ(td3->checks.size(), 5u);
    EXPECT_EQ(td3->corrections, 0);
    expect_same_fields(td3->fields, specimen_fields("P", "L898902C3", "ZE184226B"));

    auto td2 = parse_mrz(kTd2);
    ASSERT_TRUE(td2);
    EXPECT_EQ(td2->format, MrzFormat::TD2);
    EXPECT_TRUE(td2->all_checks_valid);
    EXPECT_EQ(td2->checks.size(), 4u);
    expect_same_fields(td2->fields, specimen_fields("I", "D23145890"));

    auto td1 = parse_mrz(kTd1);
    ASSERT_TRUE(td1);
    EXPECT_EQ(td1->format, MrzFormat::TD1);
    EXPECT_TRUE(td1->all_checks_valid);
    EXPECT_EQ(td1->checks.size(), 4u);
    expect_same_fields(td1->fields, specimen_fields("I", "D23145890"));
}

TEST(MrzParse, EmptyPersonalNumberTakesFillerOrZeroCheckDigit) {
    auto lines = compose_mrz(MrzFormat::TD3, specimen_fields("P", "L898902C3"));
    EXPECT_EQ(lines[1][42], '0');
    EXPECT_TRUE(parse_mrz(lines)->all_checks_valid);
    lines[1][42] = '<'; // the composite weighs '<' as 0 too
    auto parsed = parse_mrz(lines);
    ASSERT_TRUE(parsed);
    EXPECT_TRUE(parsed->all_checks_valid);
    EXPECT_EQ(parsed->corrections, 0);
}

TEST(MrzParse, LettersInDigitPositionsBecomeDigits) {
    // birth date 740812 at line 2 positions 13-18, expiry 120415 at 21-26, TD2 composite '6' at 35
    struct Case {
        size_t pos;
        char read, truth;
    };
    const std::vector<Case> cases = {{15, 'O', '0'}, {15, 'Q', '0'}, {15, 'D', '0'}, {17, 'I', '1'},
                                     {17, 'L', '1'}, {18, 'Z', '2'}, {26, 'S', '5'}, {16, 'B', '8'}};
    for (const auto& c : cases) {
        SCOPED_TRACE(std::string(1, c.read));
        ASSERT_EQ(kTd3[1][c.pos], c.truth);
        auto parsed = parse_mrz(with(kTd3, 1, c.pos, c.read));
        ASSERT_TRUE(parsed);
        EXPECT_EQ(parsed->lines, kTd3);
        EXPECT_EQ(parsed->corrections, 1);
        EXPECT_TRUE(parsed->all_checks_valid);
    }
    auto td2 = parse_mrz(with(kTd2, 1, 35, 'G'));
    ASSERT_TRUE(td2);
    EXPECT_EQ(td2->lines, kTd2);
    EXPECT_EQ(td2->corrections, 1);
}

TEST(MrzParse, DigitsInLetterPositionsBecomeLetters) {
    auto f = specimen_fields("P", "L898902C3", "ZE184226B");
    f.surname = "BOZSIO";
    const auto truth = compose_mrz(MrzFormat::TD3, f); // line 1: P<UTOBOZSIO<<...
    struct Case {
        size_t li, pos;
        char read;
    };
    const std::vector<Case> cases = {{0, 5, '8'}, {0, 6, '0'}, {0, 7, '2'}, {0, 8, '5'}, {0, 9, '1'}, {1, 12, '0'}};
    for (const auto& c : cases) {
        SCOPED_TRACE(std::to_string(c.pos) + c.read);
        auto parsed = parse_mrz(with(truth, c.li, c.pos, c.read));
        ASSERT_TRUE(parsed);
        EXPECT_EQ(parsed->lines, truth);
        EXPECT_EQ(parsed->fields.surname, "BOZSIO");
        EXPECT_EQ(parsed->corrections, 1);
        EXPECT_TRUE(parsed->all_checks_valid);
    }
}

TEST(MrzParse, FillerReadAsKInARunOfFillers) {
    auto read = kTd3;
    read[0] = "P<UTOERIKSSON<<ANNA<MARIA<<<K<<<KK<<<<<<<<<";
    read[1][40] = 'K'; // personal number fillers
    auto parsed = parse_mrz(read);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->lines, kTd3);
    EXPECT_EQ(parsed->corrections, 4);
    EXPECT_EQ(parsed->fields.given_names, "ANNA MARIA");

    // a K that starts a name is a letter
    auto f = specimen_fields("P", "L898902C3");
    f.given_names = "KARL K";
    auto lines = compose_mrz(MrzFormat::TD3, f);
    auto kept = parse_mrz(lines);
    ASSERT_TRUE(kept);
    EXPECT_EQ(kept->lines, lines);
    EXPECT_EQ(kept->fields.given_names, "KARL K");
    EXPECT_EQ(kept->corrections, 0);
}

TEST(MrzParse, DocumentNumberCorrectedOnlyWhenTheCheckDigitSettlesIt) {
    // a confusion in the number that only one alternative of one character repairs
    struct Case {
        std::string truth;
        size_t pos;
        char read;
    };
    const std::vector<Case> settled = {{"L898902C3", 5, 'O'}, {"D23145890", 5, 'S'}, {"D23145890", 8, 'D'},
                                       {"X1G000002", 8, 'Z'}, {"X1G000002", 5, 'Q'}};
    for (const auto& c : settled) {
        SCOPED_TRACE(c.truth + " " + c.read);
        auto truth = compose_mrz(MrzFormat::TD3, specimen_fields("P", c.truth, "ZE184226B"));
        auto parsed = parse_mrz(with(truth, 1, c.pos, c.read));
        ASSERT_TRUE(parsed);
        EXPECT_EQ(parsed->lines, truth);
        EXPECT_EQ(parsed->fields.document_number, c.truth);
        EXPECT_EQ(parsed->corrections, 1);
        EXPECT_TRUE(parsed->all_checks_valid);
    }
    // L898902C3 read LB98902C3: B->8 at 1, 8->B at 3 and 2->Z at 6 all repair the check digit, so it
    // does not settle which: left as read, invalid
    auto ambiguous = with(kTd3, 1, 1, 'B');
    auto parsed = parse_mrz(ambiguous);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->lines, ambiguous);
    EXPECT_EQ(parsed->corrections, 0);
    EXPECT_FALSE(check_valid(*parsed, "document_number"));
    EXPECT_FALSE(parsed->all_checks_valid);

    // a holding check digit leaves letters and digits alone (1/L and 6/G weigh the same mod 10)
    auto f = specimen_fields("P", "ZO1B5SG2I", "ZE184226B");
    auto lines = compose_mrz(MrzFormat::TD3, f);
    parsed = parse_mrz(lines);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->fields.document_number, "ZO1B5SG2I");
    EXPECT_EQ(parsed->corrections, 0);
    parsed = parse_mrz(with(kTd2, 1, 3, 'L'));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->fields.document_number, "D23L45890");
    EXPECT_TRUE(parsed->all_checks_valid);
}

TEST(MrzParse, WrongCheckDigitIsReportedInvalid) {
    auto read = with(kTd3, 1, 19, '3'); // birth date check digit 2 -> 3
    auto parsed = parse_mrz(read);
    ASSERT_TRUE(parsed);
    EXPECT_FALSE(parsed->all_checks_valid);
    EXPECT_FALSE(check_valid(*parsed, "birth_date"));
    EXPECT_TRUE(check_valid(*parsed, "expiry_date"));
    EXPECT_TRUE(check_valid(*parsed, "document_number"));
    EXPECT_FALSE(check_valid(*parsed, "composite"));
    EXPECT_EQ(parsed->lines, read);
    EXPECT_EQ(parsed->corrections, 0);

    // a number misread beyond the confusions stays as read, invalid
    auto number = parse_mrz(with(kTd3, 1, 3, '7'));
    ASSERT_TRUE(number);
    EXPECT_FALSE(check_valid(*number, "document_number"));
    EXPECT_EQ(number->fields.document_number, "L897902C3");

    auto td1 = parse_mrz(with(kTd1, 1, 29, '5'));
    ASSERT_TRUE(td1);
    EXPECT_FALSE(check_valid(*td1, "composite"));
    EXPECT_TRUE(check_valid(*td1, "document_number"));
}

TEST(MrzParse, GarbageIsNotAnMrz) {
    EXPECT_FALSE(parse_mrz({}));
    EXPECT_FALSE(parse_mrz({"HELLO"}));
    EXPECT_FALSE(parse_mrz({kTd3[0]}));
    EXPECT_FALSE(parse_mrz({"", "", ""}));
    EXPECT_FALSE(parse_mrz({std::string(40, 'A'), std::string(40, 'A')}));
    EXPECT_FALSE(parse_mrz({kTd3[0], kTd3[1], kTd3[1]}));
    EXPECT_FALSE(parse_mrz({kTd1[0], kTd1[1], kTd1[2], kTd1[2]}));
    EXPECT_FALSE(parse_mrz({kTd3[0], kTd2[1]}));
    EXPECT_FALSE(parse_mrz(with(kTd3, 0, 3, '#')));
    EXPECT_FALSE(parse_mrz(with(kTd3, 0, 0, '<')));
}

TEST(MrzParse, TolerantOfCaseSpacesAndALineSlightlyOff) {
    auto parsed = parse_mrz({"p<utoeriksson<<anna<maria<<<<<<<<<<<<<<<<<<",
                             " L898902C36UTO7408122F1204159ZE184226B<<<<<10 \n"});
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->lines, kTd3);
    EXPECT_TRUE(parsed->all_checks_valid);
    auto trimmed = parse_mrz({kTd2[0] + "<<", kTd2[1]});
    ASSERT_TRUE(trimmed);
    EXPECT_EQ(trimmed->lines, kTd2);
}

TEST(MrzParse, Td1LongDocumentNumber) {
    const std::string number = "D23145890734";
    std::string opt = number.substr(9) + char('0' + *mrz_check_digit(number));
    std::string line1 = "I<UTO" + number.substr(0, 9) + "<" + opt + "<" + std::string(15 - opt.size() - 1, '<');
    std::string line2 = "7408122F1204159UTO<<<<<<<<<<<";
    std::string composite = line1.substr(5, 25) + line2.substr(0, 7) + line2.substr(8, 7) + line2.substr(18, 11);
    line2 += char('0' + *mrz_check_digit(composite));
    auto parsed = parse_mrz({line1, line2, kTd1[2]});
    ASSERT_TRUE(parsed);
    EXPECT_TRUE(parsed->all_checks_valid);
    EXPECT_EQ(parsed->fields.document_number, number);
    EXPECT_EQ(parsed->fields.optional_data, "");
    auto wrong = parse_mrz({with({line1}, 0, 16, '9')[0], line2, kTd1[2]});
    ASSERT_TRUE(wrong);
    EXPECT_FALSE(check_valid(*wrong, "document_number"));
}

TEST(MrzParse, VisasAreTellFromTheirDocumentCode) {
    auto f = specimen_fields("VC", "AB1234567");
    auto a = parse_mrz(compose_mrz(MrzFormat::MRV_A, f));
    ASSERT_TRUE(a);
    EXPECT_EQ(a->format, MrzFormat::MRV_A);
    EXPECT_EQ(a->checks.size(), 3u);
    auto b = parse_mrz(compose_mrz(MrzFormat::MRV_B, f));
    ASSERT_TRUE(b);
    EXPECT_EQ(b->format, MrzFormat::MRV_B);
    EXPECT_EQ(b->fields.document_code, "VC");
}

TEST(MrzDates, CenturiesOfBirthAndExpiry) {
    EXPECT_EQ(mrz_iso_date("740812", MrzDateKind::BIRTH, kToday), "1974-08-12");
    EXPECT_EQ(mrz_iso_date("200101", MrzDateKind::BIRTH, kToday), "2020-01-01");
    EXPECT_EQ(mrz_iso_date("250601", MrzDateKind::BIRTH, kToday), "2025-06-01");
    EXPECT_EQ(mrz_iso_date("250602", MrzDateKind::BIRTH, kToday), "1925-06-02"); // not born tomorrow
    EXPECT_EQ(mrz_iso_date("120415", MrzDateKind::EXPIRY, kToday), "2012-04-15");
    EXPECT_EQ(mrz_iso_date("750101", MrzDateKind::EXPIRY, kToday), "2075-01-01");
    EXPECT_EQ(mrz_iso_date("760101", MrzDateKind::EXPIRY, kToday), "1976-01-01");
    EXPECT_EQ(mrz_iso_date("000229", MrzDateKind::EXPIRY, kToday), "2000-02-29");
    EXPECT_FALSE(mrz_iso_date("010229", MrzDateKind::EXPIRY, kToday));
    EXPECT_FALSE(mrz_iso_date("991332", MrzDateKind::BIRTH, kToday));
    EXPECT_FALSE(mrz_iso_date("74O812", MrzDateKind::BIRTH, kToday));
    EXPECT_FALSE(mrz_iso_date("7408", MrzDateKind::BIRTH, kToday));
    auto d = mrz_date("740812", MrzDateKind::BIRTH, kToday);
    ASSERT_TRUE(d);
    EXPECT_EQ(*d, std::chrono::year(1974) / std::chrono::August / 12);
}

TEST(MrzDates, Expiry) {
    auto f = specimen_fields("P", "L898902C3");
    EXPECT_TRUE(mrz_expired(f, kToday)); // 2012
    f.expiry_date = "250601";
    EXPECT_FALSE(mrz_expired(f, kToday)); // valid through its last day
    f.expiry_date = "250531";
    EXPECT_TRUE(mrz_expired(f, kToday));
    f.expiry_date = "300101";
    EXPECT_FALSE(mrz_expired(f, kToday));
    f.expiry_date = "30O101";
    EXPECT_TRUE(mrz_expired(f, kToday)); // unreadable proves nothing
    auto today = mrz_today_utc();
    EXPECT_TRUE(today.ok());
    EXPECT_GE(int(today.year()), 2024);
}

// a date's check digit holds only for a date: a zone read upside down can satisfy one by chance
// (`DDDDDDDDD9XXX3288218...` did, month 88)
TEST(MrzParse, ADateCheckHoldsOnlyForARealDate) {
    EXPECT_TRUE(mrz_plausible_date("740812"));
    EXPECT_TRUE(mrz_plausible_date("74<<<<")); // month and day unknown, as ICAO writes it
    EXPECT_TRUE(mrz_plausible_date("7408<<"));
    EXPECT_FALSE(mrz_plausible_date("741812"));
    EXPECT_FALSE(mrz_plausible_date("740800"));
    EXPECT_FALSE(mrz_plausible_date("740832"));
    EXPECT_FALSE(mrz_plausible_date("<<0812"));
    EXPECT_FALSE(mrz_plausible_date("74O812"));
    EXPECT_FALSE(mrz_plausible_date("7408"));

    auto f = specimen_fields("P", "L898902C3", "ZE184226B");
    f.birth_date = "328821"; // month 88: its check digit composed right all the same
    auto parsed = parse_mrz(compose_mrz(MrzFormat::TD3, f));
    ASSERT_TRUE(parsed);
    EXPECT_FALSE(check_valid(*parsed, "birth_date"));
    EXPECT_TRUE(check_valid(*parsed, "composite"));
    EXPECT_FALSE(parsed->all_checks_valid);
}
