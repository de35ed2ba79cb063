// SPDX-License-Identifier: MIT
#include "server/request_fields.h"

#include "common/error.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <limits>

namespace facegate {

namespace {

using nlohmann::json;

bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

bool all_of(std::string_view value, bool (*ok)(char)) { return std::all_of(value.begin(), value.end(), ok); }

bool collection_id_chars(std::string_view v) {
    return all_of(v, [](char c) { return is_alnum(c) || c == '_' || c == '.' || c == '-'; });
}

bool external_id_chars(std::string_view v) {
    return all_of(v, [](char c) { return is_alnum(c) || c == '_' || c == '.' || c == '-' || c == ':'; });
}

bool token_chars(std::string_view v) {
    return all_of(v, [](char c) { return is_alnum(c) || c == '_' || c == '-'; });
}

bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// 8-4-4-4-12 lowercase hex digits
bool uuid_chars(std::string_view v) {
    if (v.size() != 36) return false;
    for (std::size_t i = 0; i < v.size(); ++i) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? v[i] != '-' : !is_lower_hex(v[i])) return false;
    }
    return true;
}

// a JSON value as AWS's messages quote it, shortened so a huge value cannot flood a message or a log
std::string quoted(const json& value) {
    std::string text = value.is_string() ? value.get<std::string>() : value.dump();
    constexpr std::size_t kMaxEcho = 64;
    if (text.size() > kMaxEcho) {
        // cut on a UTF-8 character boundary: a split character would make the error body invalid JSON text
        std::size_t cut = kMaxEcho;
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
        text = text.substr(0, cut) + "...";
    }
    return text;
}

const char* type_name(const json& value) {
    if (value.is_string()) return "a string";
    if (value.is_boolean()) return "a boolean";
    if (value.is_number()) return "a number";
    if (value.is_array()) return "a list";
    if (value.is_object()) return "a structure";
    return "null";
}

[[noreturn]] void throw_type_error(std::string_view member, const json& value, std::string_view expected) {
    throw Error(ErrorCode::INVALID_PARAMETER, "1 validation error detected: Value at '" + std::string(member) +
                                                  "' must be " + std::string(expected) + ", not " +
                                                  type_name(value));
}

// the member, or nullptr when absent or null
const json* find_member(const json& request, std::string_view field) {
    auto it = request.find(field);
    if (it == request.end() || it->is_null()) return nullptr;
    return &*it;
}

[[noreturn]] void throw_missing(std::string_view member) {
    throw Error(ErrorCode::INVALID_PARAMETER, "1 validation error detected: Value null at '" + std::string(member) +
                                                  "' failed to satisfy constraint: Member must not be null");
}

// the first constraint of `rule` that `value` breaks, or "" when it satisfies them all
std::string broken_constraint(std::string_view value, const StringRule& rule) {
    if (value.size() < rule.min_length) {
        return "Member must have length greater than or equal to " + std::to_string(rule.min_length);
    }
    if (value.size() > rule.max_length) {
        return "Member must have length less than or equal to " + std::to_string(rule.max_length);
    }
    if (rule.allowed && !rule.allowed(value)) {
        return "Member must satisfy regular expression pattern: " + std::string(rule.pattern);
    }
    return {};
}

std::string checked_string(const json& value, std::string_view member, const StringRule& rule) {
    if (!value.is_string()) throw_type_error(member, value, "a string");
    const auto& text = value.get_ref<const std::string&>();
    if (auto constraint = broken_constraint(text, rule); !constraint.empty()) {
        throw_validation_error(member, text, constraint);
    }
    return text;
}

std::string enum_set(std::initializer_list<std::string_view> allowed) {
    std::string out = "[";
    for (auto name : allowed) {
        if (out.size() > 1) out += ", ";
        out += name;
    }
    return out + "]";
}

std::string checked_enum(const json& value, std::string_view member, std::initializer_list<std::string_view> allowed) {
    if (!value.is_string()) throw_type_error(member, value, "a string");
    const auto& text = value.get_ref<const std::string&>();
    if (std::find(allowed.begin(), allowed.end(), text) == allowed.end()) {
        throw_validation_error(member, text, "Member must satisfy enum value set: " + enum_set(allowed));
    }
    return text;
}

} // namespace

const StringRule kCollectionIdRule{1, 255, collection_id_chars, "[a-zA-Z0-9_.\\-]+"};
const StringRule kExternalImageIdRule{1, 255, external_id_chars, "[a-zA-Z0-9_.\\-:]+"};
const StringRule kUserIdRule{1, 128, external_id_chars, "[a-zA-Z0-9_.\\-:]+"};
const StringRule kFaceIdRule{36, 36, uuid_chars,
                             "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"};
const StringRule kClientRequestTokenRule{1, 64, token_chars, "^[a-zA-Z0-9-_]+$"};
const StringRule kPaginationTokenRule{0, 255, nullptr, {}};

std::string member_name(std::string_view field) {
    std::string out(field);
    if (!out.empty()) out[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(out[0])));
    return out;
}

void throw_validation_error(std::string_view member, std::string_view value, std::string_view constraint) {
    std::string message = "1 validation error detected: Value ";
    if (!value.empty()) message += "'" + quoted(json(std::string(value))) + "' ";
    message += "at '" + std::string(member) + "' failed to satisfy constraint: " + std::string(constraint);
    throw Error(ErrorCode::INVALID_PARAMETER, std::move(message));
}

void require_object(const json& request) {
    if (!request.is_object()) {
        throw Error(ErrorCode::INVALID_PARAMETER, "the request body must be a JSON object");
    }
}

std::string required_string(const json& request, std::string_view field, const StringRule& rule) {
    const json* value = find_member(request, field);
    if (!value) throw_missing(member_name(field));
    return checked_string(*value, member_name(field), rule);
}

std::optional<std::string> optional_string(const json& request, std::string_view field, const StringRule& rule) {
    const json* value = find_member(request, field);
    if (!value) return std::nullopt;
    return checked_string(*value, member_name(field), rule);
}

std::optional<std::int64_t> optional_int(const json& request, std::string_view field, std::int64_t min,
                                         std::int64_t max) {
    const json* value = find_member(request, field);
    if (!value) return std::nullopt;
    std::string member = member_name(field);
    if (!value->is_number_integer()) throw_type_error(member, *value, "an integer");
    // a value beyond int64 (nlohmann keeps it unsigned) is simply too big
    bool huge = value->is_number_unsigned() &&
                value->get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    std::int64_t result = huge ? std::numeric_limits<std::int64_t>::max() : value->get<std::int64_t>();
    if (result > max) {
        throw_validation_error(member, value->dump(), "Member must have value less than or equal to " + std::to_string(max));
    }
    if (result < min) {
        throw_validation_error(member, value->dump(), "Member must have value greater than or equal to " + std::to_string(min));
    }
    return result;
}

float optional_percent(const json& request, std::string_view field, float fallback) {
    const json* value = find_member(request, field);
    if (!value) return fallback;
    std::string member = member_name(field);
    if (!value->is_number()) throw_type_error(member, *value, "a number");
    double percent = value->get<double>();
    if (percent < 0) throw_validation_error(member, value->dump(), "Member must have value greater than or equal to 0");
    if (percent > 100) throw_validation_error(member, value->dump(), "Member must have value less than or equal to 100");
    return static_cast<float>(percent);
}

std::optional<std::string> optional_enum(const json& request, std::string_view field,
                                         std::initializer_list<std::string_view> allowed) {
    const json* value = find_member(request, field);
    if (!value) return std::nullopt;
    return checked_enum(*value, member_name(field), allowed);
}

std::optional<std::vector<std::string>> string_list(const json& request, std::string_view field,
                                                    const StringRule& rule, std::size_t min_items,
                                                    std::size_t max_items, bool required) {
    const json* value = find_member(request, field);
    std::string member = member_name(field);
    if (!value) {
        if (required) throw_missing(member);
        return std::nullopt;
    }
    if (!value->is_array()) throw_type_error(member, *value, "a list");
    if (value->size() < min_items) {
        throw_validation_error(member, quoted(*value), "Member must have length greater than or equal to " + std::to_string(min_items));
    }
    if (value->size() > max_items) {
        throw_validation_error(member, "", "Member must have length less than or equal to " + std::to_string(max_items));
    }
    std::vector<std::string> out;
    out.reserve(value->size());
    for (std::size_t i = 0; i < value->size(); ++i) {
        // AWS names list entries "<member>.<n>", counting from 1
        out.push_back(checked_string((*value)[i], member + "." + std::to_string(i + 1), rule));
    }
    return out;
}

std::vector<std::string> enum_list(const json& request, std::string_view field,
                                   std::initializer_list<std::string_view> allowed) {
    const json* value = find_member(request, field);
    if (!value) return {};
    std::string member = member_name(field);
    if (!value->is_array()) throw_type_error(member, *value, "a list");
    std::vector<std::string> out;
    for (std::size_t i = 0; i < value->size(); ++i) {
        out.push_back(checked_enum((*value)[i], member + "." + std::to_string(i + 1), allowed));
    }
    return out;
}

std::optional<std::vector<std::uint8_t>> decode_base64(std::string_view text) {
    // EVP_DecodeBlock skips surrounding whitespace and counts padding as zero bytes, so the strict
    // checks (length, alphabet, where '=' may be) come first and the padding is taken off after
    if (text.size() % 4 != 0) return std::nullopt;
    std::size_t padding = 0;
    if (!text.empty() && text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
    for (std::size_t i = 0; i < text.size() - padding; ++i) {
        char c = text[i];
        if (!(is_alnum(c) || c == '+' || c == '/')) return std::nullopt;
    }
    std::vector<std::uint8_t> out(text.size() / 4 * 3);
    if (text.empty()) return out;
    // EVP_DecodeBlock takes an int length: refuse what does not fit rather than truncate
    if (text.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) return std::nullopt;
    int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                            static_cast<int>(text.size()));
    if (n < 0 || static_cast<std::size_t>(n) != out.size()) return std::nullopt;
    out.resize(out.size() - padding);
    return out;
}

std::vector<std::uint8_t> required_image(const json& request, std::string_view field) {
    const json* image = find_member(request, field);
    std::string member = member_name(field);
    if (!image) throw_missing(member);
    if (!image->is_object()) throw_type_error(member, *image, "a structure");
    const json* bytes = find_member(*image, "Bytes");
    const json* s3 = find_member(*image, "S3Object");
    if (s3) {
        throw Error(ErrorCode::INVALID_PARAMETER,
                    std::string(field) + ".S3Object is not supported by facegate: send the image as Bytes");
    }
    if (!bytes) {
        throw Error(ErrorCode::INVALID_PARAMETER, "1 validation error detected: Value null at '" + member +
                                                      ".bytes' failed to satisfy constraint: Member must not be null");
    }
    if (!bytes->is_string()) throw_type_error(member + ".bytes", *bytes, "a base64 string");
    auto decoded = decode_base64(bytes->get_ref<const std::string&>());
    if (!decoded) {
        throw Error(ErrorCode::INVALID_PARAMETER,
                    std::string(field) + ".Bytes is not valid base64 (standard alphabet, '=' padding, no whitespace)");
    }
    if (decoded->empty()) {
        throw_validation_error(member + ".bytes", "", "Member must have length greater than or equal to 1");
    }
    return std::move(*decoded);
}

} // namespace facegate
