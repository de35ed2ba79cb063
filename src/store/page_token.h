// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace facegate {

// Opaque NextToken strings for keyset pagination: base64url (no padding) of
// "<kind>1.<8 hex digits of a hash of scope>.<key>", at most 44 characters (Rekognition allows 255).
// - kind: one letter per listing ('c' collections, 'f' faces, 'u' users, 'a' audit);
// - scope: what is listed (the collection id; "" for collections), so that a token of one listing
//   is refused by another instead of silently skipping rows;
// - key: the integer key of the last row returned. Keys are never reused, so resuming "after key"
//   returns every row that existed throughout the listing exactly once, whatever is inserted meanwhile.
std::string encode_page_token(char kind, std::string_view scope, std::int64_t last_key);

// the key in `token`; std::nullopt for "" (the first page).
// Error INVALID_PARAMETER "invalid pagination token" when it is malformed or of another listing.
std::optional<std::int64_t> decode_page_token(std::string_view token, char kind, std::string_view scope);

} // namespace facegate
