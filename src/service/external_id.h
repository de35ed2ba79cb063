// SPDX-License-Identifier: MIT
#pragma once

// login identifiers (e-mail addresses, phone numbers, usernames in any script: 1-255 bytes of UTF-8)
// as Rekognition ExternalImageIds ([a-zA-Z0-9_.\-:]{1,255}), reversibly, so that the faces the flows
// store are visible, consistently, through the Rekognition API.
//
// letters, digits, '_', '.' and '-' stay as they are; every other byte becomes ':' and two upper-case
// hex digits ("ana+1@example.com" -> "ana:2B1:40example.com"). an encoding longer than 255 characters
// (long identifiers in non-Latin scripts) becomes an alias, "::" and the hex SHA-256 of the
// identifier; the store keeps alias -> identifier. "::" never occurs in the escaped form.

#include <optional>
#include <string>
#include <string_view>

namespace facegate {

inline constexpr size_t kMaxExternalIdBytes = 255;

struct EncodedExternalId {
    std::string external_image_id;
    bool is_alias = false; // the store must remember alias -> identifier
};

// the identifier people mean: NFC-normalised (an "é" typed as one code point or as "e" + a combining
// accent is the same identifier). throws Error(INVALID_PARAMETER) for an empty or over-long identifier,
// invalid UTF-8, control characters, and invisible formatting characters (Unicode category Cf:
// bidirectional controls such as U+202E, zero-width characters such as U+200B), which would make two
// identifiers that look the same differ
std::string canonical_external_id(std::string_view external_id);

// the ExternalImageId of the canonical identifier; throws as canonical_external_id
EncodedExternalId encode_external_id(std::string_view external_id);

// the identifier behind an escaped ExternalImageId; nullopt for an alias (ask the store) and for
// ids facegate's flows did not make (e.g. "photo:1" indexed through the Rekognition API), which callers
// show as they are
std::optional<std::string> decode_external_id(std::string_view external_image_id);

bool is_external_id_alias(std::string_view external_image_id);

// the escaped form of the start of an identifier, to find the external image ids it begins
// (escaping is byte by byte, so the encoding of a prefix is a prefix of the encoding)
std::string external_id_prefix(std::string_view prefix);

} // namespace facegate
