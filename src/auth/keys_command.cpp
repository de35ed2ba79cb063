// SPDX-License-Identifier: MIT
#include "auth/keys_command.h"

#include "auth/access_keys.h"

#include <nlohmann/json.hpp>

namespace facegate {

using nlohmann::ordered_json; // keeps accessKeyId first, as people read it

std::string keys_create_command(const std::filesystem::path& data_dir) {
    AccessKey key = create_key(data_dir);
    return ordered_json{{"accessKeyId", key.access_key_id}, {"secretAccessKey", key.secret_access_key}}.dump(2) + "\n";
}

std::string keys_list_command(const std::filesystem::path& data_dir) {
    ordered_json list = ordered_json::array();
    for (const auto& info : list_keys(data_dir)) {
        ordered_json entry = {{"accessKeyId", info.access_key_id},
                              {"status", access_key_status_name(info.status)},
                              {"created", info.created}};
        if (!info.revoked.empty()) entry["revoked"] = info.revoked;
        list.push_back(std::move(entry));
    }
    return ordered_json{{"accessKeys", std::move(list)}}.dump(2) + "\n";
}

std::string keys_revoke_command(const std::filesystem::path& data_dir, std::string_view access_key_id) {
    revoke_key(data_dir, access_key_id);
    return ordered_json{{"accessKeyId", std::string(access_key_id)},
                        {"status", access_key_status_name(AccessKeyStatus::INACTIVE)}}.dump(2) + "\n";
}

} // namespace facegate
