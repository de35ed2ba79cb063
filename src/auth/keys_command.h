// SPDX-License-Identifier: MIT
#pragma once

// the `facegate keys create|list|revoke --data DIR` subcommands, as functions returning what to print,
// so the CLI only parses arguments. each throws the Error of the access_keys function it calls.

#include <filesystem>
#include <string>
#include <string_view>

namespace facegate {

// creates a key; returns {"accessKeyId": "...", "secretAccessKey": "..."}: the only time the secret is shown
std::string keys_create_command(const std::filesystem::path& data_dir);

// {"accessKeys": [{"accessKeyId": "...", "status": "Active", "created": "...", "revoked": "..."}]},
// "revoked" only for revoked keys; never secrets
std::string keys_list_command(const std::filesystem::path& data_dir);

// revokes a key; returns {"accessKeyId": "...", "status": "Inactive"}
std::string keys_revoke_command(const std::filesystem::path& data_dir, std::string_view access_key_id);

} // namespace facegate
