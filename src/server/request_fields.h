// SPDX-License-Identifier: MIT
#pragma once

// typed, validated extraction of Rekognition request fields from a parsed JSON body.
//
// every function throws Error(INVALID_PARAMETER) with a message in AWS's validation style, naming
// the member in AWS's lowerCamel form, e.g.
//   1 validation error detected: Value 'a b' at 'collectionId' failed to satisfy constraint:
//   Member must satisfy regular expression pattern: [a-zA-Z0-9_.\-]+
// a member that is absent or JSON null counts as absent (as AWS's deserialiser does); a member of
// the wrong JSON type is an error. unknown members are never looked at.

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace facegate {

// the constraints of one string shape of Rekognition's service model
struct StringRule {
    std::size_t min_length = 0;
    std::size_t max_length = 0;
    bool (*allowed)(std::string_view value) = nullptr; // nullptr: any characters
    std::string_view pattern{};                        // the model's pattern, for messages
};

// the shapes of service-2.json the face-collection operations use
extern const StringRule kCollectionIdRule;        // [a-zA-Z0-9_.\-]+, 1-255
extern const StringRule kExternalImageIdRule;     // [a-zA-Z0-9_.\-:]+, 1-255
extern const StringRule kUserIdRule;              // [a-zA-Z0-9_.\-:]+, 1-128
extern const StringRule kFaceIdRule;              // lowercase UUID
extern const StringRule kClientRequestTokenRule;  // ^[a-zA-Z0-9-_]+$, 1-64
extern const StringRule kPaginationTokenRule;     // any characters, 0-255

// "CollectionId" -> "collectionId": the member name AWS's messages use
std::string member_name(std::string_view field);

// the INVALID_PARAMETER error for one failed constraint; `value` is echoed (shortened) unless empty
[[noreturn]] void throw_validation_error(std::string_view member, std::string_view value,
                                         std::string_view constraint);

// the request body must be a JSON object
void require_object(const nlohmann::json& request);

std::string required_string(const nlohmann::json& request, std::string_view field, const StringRule& rule);
std::optional<std::string> optional_string(const nlohmann::json& request, std::string_view field,
                                           const StringRule& rule);

// an integer in [min, max]; a JSON float (even 3.0) is refused
std::optional<std::int64_t> optional_int(const nlohmann::json& request, std::string_view field,
                                         std::int64_t min, std::int64_t max);

// a Percent (float 0-100), e.g. FaceMatchThreshold; `fallback` when absent
float optional_percent(const nlohmann::json& request, std::string_view field, float fallback);

// one of `allowed`, or nullopt when absent
std::optional<std::string> optional_enum(const nlohmann::json& request, std::string_view field,
                                         std::initializer_list<std::string_view> allowed);

// a list of strings with `min_items`..`max_items` entries each matching `rule`;
// nullopt when absent (and not `required`)
std::optional<std::vector<std::string>> string_list(const nlohmann::json& request, std::string_view field,
                                                    const StringRule& rule, std::size_t min_items,
                                                    std::size_t max_items, bool required);

// a list of enum values (e.g. Attributes), duplicates kept; empty when absent
std::vector<std::string> enum_list(const nlohmann::json& request, std::string_view field,
                                   std::initializer_list<std::string_view> allowed);

// the standard base64 alphabet with '=' padding (RFC 4648 section 4), as botocore sends blobs;
// nullopt for anything else (bad characters, missing or misplaced padding, whitespace)
std::optional<std::vector<std::uint8_t>> decode_base64(std::string_view text);

// an Image member: {"Bytes": "<base64>"} decoded, at least one byte. S3Object is refused (facegate has
// no S3), so is an image with neither or both. the 5 MB limit is left to the image decoder.
std::vector<std::uint8_t> required_image(const nlohmann::json& request, std::string_view field);

} // namespace facegate
