// SPDX-License-Identifier: MIT
// the positions of the MRZ formats' fields and the alphabet of each position
#include "document/mrz_layout.h"

namespace facegate {

namespace {

std::string repeat(MrzKind kind, int n) { return std::string(size_t(n), char(kind)); }

// line 2 of TD2/TD3/MRV up to the expiry check digit (28 positions)
std::string data_line_head() {
    return repeat(MRZ_ALNUM, 9) + char(MRZ_CHECK) + repeat(MRZ_ALPHA, 3) + repeat(MRZ_DIGIT, 6) + char(MRZ_CHECK) + char(MRZ_SEX) +
           repeat(MRZ_DIGIT, 6) + char(MRZ_CHECK);
}

MrzLayout two_line_layout(MrzFormat format) {
    MrzLayout l{};
    l.format = format;
    l.width = (format == MrzFormat::TD2 || format == MrzFormat::MRV_B) ? 36 : 44;
    l.code = {0, 0, 2};
    l.state = {0, 2, 3};
    l.names = {0, 5, l.width - 5};
    l.number = {1, 0, 9};
    l.number_check = {1, 9, 1};
    l.nationality = {1, 10, 3};
    l.birth = {1, 13, 6};
    l.birth_check = {1, 19, 1};
    l.sex = {1, 20, 1};
    l.expiry = {1, 21, 6};
    l.expiry_check = {1, 27, 1};
    std::string line2 = data_line_head();
    if (format == MrzFormat::TD3) {
        l.optional = {1, 28, 14};
        l.optional_check = {1, 42, 1};
        l.composite = {1, 43, 1};
        l.composite_parts = {{1, 0, 10}, {1, 13, 7}, {1, 21, 22}};
        line2 += repeat(MRZ_ALNUM, 14) + char(MRZ_CHECK) + char(MRZ_CHECK);
    } else if (format == MrzFormat::TD2) {
        l.optional = {1, 28, 7};
        l.composite = {1, 35, 1};
        l.composite_parts = {{1, 0, 10}, {1, 13, 7}, {1, 21, 14}};
        line2 += repeat(MRZ_ALNUM, 7) + char(MRZ_CHECK);
    } else {
        l.optional = {1, 28, l.width - 28}; // visas: no composite
        line2 += repeat(MRZ_ALNUM, l.width - 28);
    }
    l.kinds = {repeat(MRZ_ALPHA, l.width), line2}; // line 1: code, state, names
    return l;
}

MrzLayout td1_layout() {
    MrzLayout l{};
    l.format = MrzFormat::TD1;
    l.width = 30;
    l.code = {0, 0, 2};
    l.state = {0, 2, 3};
    l.number = {0, 5, 9};
    l.number_check = {0, 14, 1};
    l.optional = {0, 15, 15};
    l.birth = {1, 0, 6};
    l.birth_check = {1, 6, 1};
    l.sex = {1, 7, 1};
    l.expiry = {1, 8, 6};
    l.expiry_check = {1, 14, 1};
    l.nationality = {1, 15, 3};
    l.optional2 = {1, 18, 11};
    l.composite = {1, 29, 1};
    l.composite_parts = {{0, 5, 25}, {1, 0, 7}, {1, 8, 7}, {1, 18, 11}};
    l.names = {2, 0, 30};
    l.kinds = {repeat(MRZ_ALPHA, 5) + repeat(MRZ_ALNUM, 9) + char(MRZ_CHECK) + repeat(MRZ_ALNUM, 15),
               repeat(MRZ_DIGIT, 6) + char(MRZ_CHECK) + char(MRZ_SEX) + repeat(MRZ_DIGIT, 6) + char(MRZ_CHECK) + repeat(MRZ_ALPHA, 3) +
                   repeat(MRZ_ALNUM, 11) + char(MRZ_CHECK),
               repeat(MRZ_ALPHA, 30)};
    return l;
}

} // namespace

const MrzLayout& mrz_layout(MrzFormat format) {
    static const MrzLayout td1 = td1_layout(), td2 = two_line_layout(MrzFormat::TD2),
                           td3 = two_line_layout(MrzFormat::TD3), mrv_a = two_line_layout(MrzFormat::MRV_A),
                           mrv_b = two_line_layout(MrzFormat::MRV_B);
    switch (format) {
    case MrzFormat::TD1: return td1;
    case MrzFormat::TD2: return td2;
    case MrzFormat::TD3: return td3;
    case MrzFormat::MRV_A: return mrv_a;
    case MrzFormat::MRV_B: return mrv_b;
    }
    return td3;
}

std::string_view mrz_kind_alphabet(char kind) {
    switch (kind) {
    case MRZ_DIGIT: return "0123456789";
    case MRZ_ALPHA: return "ABCDEFGHIJKLMNOPQRSTUVWXYZ<";
    case MRZ_SEX: return "MFX<";
    case MRZ_CHECK: return "0123456789<";
    default: return "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<";
    }
}

std::vector<MrzCheckedField> mrz_checked_fields(MrzFormat format) {
    const MrzLayout& l = mrz_layout(format);
    std::vector<MrzCheckedField> out = {{"document_number", {l.number}, l.number_check},
                                        {"birth_date", {l.birth}, l.birth_check},
                                        {"expiry_date", {l.expiry}, l.expiry_check}};
    if (l.optional_check.present()) out.push_back({"optional_data", {l.optional}, l.optional_check});
    if (l.composite.present()) out.push_back({"composite", l.composite_parts, l.composite});
    return out;
}

} // namespace facegate
