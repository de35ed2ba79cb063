// SPDX-License-Identifier: MIT
#pragma once

// the `facegate keys create|list|revoke --data DIR` subcommands, as functions returning what to print,
// so the CLI only parses arguments. each throws the Error of the access_keys / api_keys function it calls.

#include <filesystem>
#include <string>
#include <string_view>

namespace facegate {

class Store;

inline constexpr std::string_view kAccessKeyKind = "access"; // SigV4 key pair (admin)
inline constexpr std::string_view kApiKeyKind = "api";       // bearer key of the /v1 flow API

// creates a key and returns it: the only time its secret is shown.
//   kind "access": {"accessKeyId": "...", "secretAccessKey": "..."}
//   kind "api":    {"apiKey": "...", "id": "...", "scope": "flows"}; scope "flows" (when empty) or "admin"
// throws Error(INVALID_PARAMETER) for another kind or scope, and for a scope given with kind "access"
// (access keys are always admin). allow_policy_overrides: the API key's requests may carry their own
// thresholds ("allowPolicyOverrides": true in the output); refused for access keys.
// `shared`: the keys live in that store (several nodes on one database), not in data_dir's files
std::string keys_create_command(const std::filesystem::path& data_dir, std::string_view kind = kAccessKeyKind,
                                std::string_view scope = {}, bool allow_policy_overrides = false,
                                Store* shared = nullptr);

// {"accessKeys": [{"accessKeyId", "status", "created", "revoked"}],
//  "apiKeys": [{"id", "scope", "status", "created", "revoked"}]}
// "revoked" only for revoked keys; never secrets nor hashes
std::string keys_list_command(const std::filesystem::path& data_dir, Store* shared = nullptr);

// revokes an access key (by its access key id) or an API key (by its id, fgk_...); returns
// {"accessKeyId": "...", "status": "Inactive"} or {"id": "...", "status": "Inactive"}
std::string keys_revoke_command(const std::filesystem::path& data_dir, std::string_view key_id,
                                Store* shared = nullptr);

} // namespace facegate
