// SPDX-License-Identifier: MIT
#include "auth/keys_command.h"

#include "auth/access_keys.h"
#include "auth/api_keys.h"
#include "common/error.h"

#include <nlohmann/json.hpp>

namespace facegate {

using nlohmann::ordered_json; // keeps the id first, as people read it

std::string keys_create_command(const std::filesystem::path& data_dir, std::string_view kind, std::string_view scope,
                                bool allow_policy_overrides, Store* shared) {
    if (kind == kApiKeyKind) {
        NewApiKey key = create_api_key(api_key_list(data_dir, shared), parse_api_key_scope(scope.empty() ? "flows" : scope),
                                       allow_policy_overrides);
        ordered_json out{{"apiKey", key.api_key}, {"id", key.id}, {"scope", api_key_scope_name(key.scope)}};
        if (key.allow_policy_overrides) out["allowPolicyOverrides"] = true;
        return out.dump(2) + "\n";
    }
    if (allow_policy_overrides) {
        throw Error(ErrorCode::INVALID_PARAMETER, "--allow-policy-overrides is for --kind api (access keys are admins)");
    }
    if (kind != kAccessKeyKind)
        throw Error(ErrorCode::INVALID_PARAMETER, "unknown key kind '" + std::string(kind) + "' (access or api)");
    if (!scope.empty())
        throw Error(ErrorCode::INVALID_PARAMETER, "access keys have no scope (they may do everything); "
                                                  "a scope is for --kind api");
    AccessKey key = create_key(access_key_list(data_dir, shared));
    return ordered_json{{"accessKeyId", key.access_key_id}, {"secretAccessKey", key.secret_access_key}}.dump(2) + "\n";
}

std::string keys_list_command(const std::filesystem::path& data_dir, Store* shared) {
    ordered_json access = ordered_json::array();
    for (const auto& info : list_keys(access_key_list(data_dir, shared))) {
        ordered_json entry = {{"accessKeyId", info.access_key_id},
                              {"status", access_key_status_name(info.status)},
                              {"created", info.created}};
        if (!info.revoked.empty()) entry["revoked"] = info.revoked;
        access.push_back(std::move(entry));
    }
    ordered_json api = ordered_json::array();
    for (const auto& info : list_api_keys(api_key_list(data_dir, shared))) {
        ordered_json entry = {{"id", info.id},
                              {"scope", api_key_scope_name(info.scope)},
                              {"status", key_status_name(info.status)},
                              {"created", info.created}};
        if (info.allow_policy_overrides) entry["allowPolicyOverrides"] = true;
        if (!info.revoked.empty()) entry["revoked"] = info.revoked;
        api.push_back(std::move(entry));
    }
    return ordered_json{{"accessKeys", std::move(access)}, {"apiKeys", std::move(api)}}.dump(2) + "\n";
}

std::string keys_revoke_command(const std::filesystem::path& data_dir, std::string_view key_id, Store* shared) {
    // the two kinds of id cannot be confused: "fgk_" + lower case vs upper case "FGAK"/"AKIA"
    if (looks_like_api_key_id(key_id)) {
        revoke_api_key(api_key_list(data_dir, shared), key_id);
        return ordered_json{{"id", std::string(key_id)}, {"status", key_status_name(KeyStatus::INACTIVE)}}.dump(2) +
               "\n";
    }
    // most likely a whole API key pasted by mistake: not echoed, it is a secret
    if (key_id.starts_with(kApiKeyIdPrefix))
        throw Error(ErrorCode::INVALID_PARAMETER, "not an API key id: an id is fgk_ and 12 of a-z 2-7, "
                                                  "the first 16 characters of the key");
    revoke_key(access_key_list(data_dir, shared), key_id);
    return ordered_json{{"accessKeyId", std::string(key_id)},
                        {"status", access_key_status_name(AccessKeyStatus::INACTIVE)}}.dump(2) + "\n";
}

} // namespace facegate
