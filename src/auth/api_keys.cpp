// SPDX-License-Identifier: MIT
#include "auth/api_keys.h"

#include "common/error.h"
#include "common/sha256.h"

#include <nlohmann/json.hpp>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <iostream>

namespace facegate {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kFileVersion = 1;
constexpr size_t kIdRandomChars = 12;      // 60 bits: ids only need to be unique, the file checks that
constexpr size_t kSecretRandomBytes = 32;  // 256 bits
constexpr size_t kSecretChars = 43;        // base64url of 32 bytes, without padding
constexpr size_t kIdLength = kApiKeyIdPrefix.size() + kIdRandomChars;
constexpr size_t kApiKeyLength = kIdLength + 1 + kSecretChars;
constexpr size_t kSha256HexLength = 64;

bool is_base32_lower(char c) { return (c >= 'a' && c <= 'z') || (c >= '2' && c <= '7'); }
bool is_base64url(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}
bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// fgk_<12 of a-z 2-7>_<43 of base64url>: checked before hashing so junk never reaches the lookup
bool well_formed_api_key(std::string_view key) {
    return key.size() == kApiKeyLength && looks_like_api_key_id(key.substr(0, kIdLength)) && key[kIdLength] == '_' &&
           std::all_of(key.begin() + kIdLength + 1, key.end(), is_base64url);
}

std::string new_secret() {
    std::string raw = random_bytes(kSecretRandomBytes);
    std::string encoded(4 * ((raw.size() + 2) / 3) + 1, '\0');
    int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                 reinterpret_cast<const unsigned char*>(raw.data()), int(raw.size()));
    OPENSSL_cleanse(raw.data(), raw.size());
    encoded.resize(size_t(length));
    // base64 -> base64url without padding: safe in headers, URLs and shells
    std::replace(encoded.begin(), encoded.end(), '+', '-');
    std::replace(encoded.begin(), encoded.end(), '/', '_');
    encoded.erase(std::find(encoded.begin(), encoded.end(), '='), encoded.end());
    return encoded;
}

struct StoredApiKey {
    ApiKeyInfo info;
    std::string sha256_hex;
};

[[noreturn]] void invalid_file(const std::string& where, const std::string& why) {
    throw Error(ErrorCode::STORE_UNAVAILABLE, "the API keys in " + where + " are not valid: " + why);
}

ApiKeyScope scope_in_file(const std::string& name, const std::string& path) {
    try {
        return parse_api_key_scope(name);
    } catch (const Error&) {
        invalid_file(path, "unknown scope '" + name + "'"); // a broken file, not a bad request
    }
}

std::vector<StoredApiKey> parse_api_keys(const std::string& text, const std::string& path) {
    std::vector<StoredApiKey> keys;
    try {
        json doc = json::parse(text);
        if (doc.value("version", 0) != kFileVersion)
            throw Error(ErrorCode::STORE_UNAVAILABLE, "unsupported version of the API keys in " + path);
        for (const auto& entry : doc.at("apiKeys")) {
            StoredApiKey stored;
            stored.info.id = entry.at("id").get<std::string>();
            stored.sha256_hex = entry.at("sha256").get<std::string>();
            stored.info.scope = scope_in_file(entry.at("scope").get<std::string>(), path);
            stored.info.allow_policy_overrides = entry.value("allowPolicyOverrides", false);
            stored.info.created = entry.value("created", "");
            stored.info.status = parse_key_status(entry.value("status", "Active"), "API keys file");
            stored.info.revoked = entry.value("revoked", "");
            if (!looks_like_api_key_id(stored.info.id)) invalid_file(path, "an entry has a malformed id");
            // a fixed length is what lets the hashes be compared in constant time
            if (stored.sha256_hex.size() != kSha256HexLength ||
                !std::all_of(stored.sha256_hex.begin(), stored.sha256_hex.end(), is_lower_hex))
                invalid_file(path, "the entry " + stored.info.id + " has a malformed sha256");
            keys.push_back(std::move(stored));
        }
    } catch (const json::parse_error& e) {
        throw Error(ErrorCode::STORE_UNAVAILABLE, "the API keys in " + path +
                                                      " are not valid JSON (error at byte " + std::to_string(e.byte) + ")");
    } catch (const json::exception& e) {
        invalid_file(path, e.what());
    }
    return keys;
}

std::string serialise_api_keys(const std::vector<StoredApiKey>& keys) {
    json list = json::array();
    for (const auto& stored : keys) {
        json entry = {{"id", stored.info.id},
                      {"sha256", stored.sha256_hex},
                      {"scope", api_key_scope_name(stored.info.scope)},
                      {"created", stored.info.created},
                      {"status", key_status_name(stored.info.status)}};
        if (stored.info.allow_policy_overrides) entry["allowPolicyOverrides"] = true;
        if (!stored.info.revoked.empty()) entry["revoked"] = stored.info.revoked;
        list.push_back(std::move(entry));
    }
    return json{{"version", kFileVersion}, {"apiKeys", std::move(list)}}.dump(2) + "\n";
}

std::vector<StoredApiKey> load_api_keys(const KeyList& list) {
    auto text = list.read();
    return text ? parse_api_keys(*text, list.where()) : std::vector<StoredApiKey>{};
}

// read-modify-write of the list: edit(keys) changes the parsed keys in place
void update_api_keys(const KeyList& list, const std::function<void(std::vector<StoredApiKey>&)>& edit) {
    list.update([&](const std::optional<std::string>& text) {
        std::vector<StoredApiKey> keys;
        if (text) keys = parse_api_keys(*text, list.where());
        edit(keys);
        return serialise_api_keys(keys);
    });
}

} // namespace

std::string_view api_key_scope_name(ApiKeyScope scope) { return scope == ApiKeyScope::ADMIN ? "admin" : "flows"; }

ApiKeyScope parse_api_key_scope(std::string_view name) {
    if (name == "flows") return ApiKeyScope::FLOWS;
    if (name == "admin") return ApiKeyScope::ADMIN;
    throw Error(ErrorCode::INVALID_PARAMETER, "unknown API key scope '" + std::string(name) + "' (flows or admin)");
}

bool api_key_scope_allows(ApiKeyScope granted, ApiKeyScope required) {
    return granted == ApiKeyScope::ADMIN || required == ApiKeyScope::FLOWS;
}

fs::path api_keys_path(const fs::path& data_dir) { return data_dir / kApiKeysFileName; }

bool looks_like_api_key_id(std::string_view id) {
    return id.size() == kIdLength && id.starts_with(kApiKeyIdPrefix) &&
           std::all_of(id.begin() + kApiKeyIdPrefix.size(), id.end(), is_base32_lower);
}

std::optional<std::string_view> bearer_token_of(std::string_view authorization) {
    constexpr std::string_view scheme = "bearer";
    if (authorization.size() <= scheme.size() || authorization[scheme.size()] != ' ') return std::nullopt;
    for (size_t i = 0; i < scheme.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(authorization[i])) != scheme[i]) return std::nullopt;
    std::string_view token = authorization.substr(scheme.size());
    auto blank = [](char c) { return c == ' ' || c == '\t'; };
    while (!token.empty() && blank(token.front())) token.remove_prefix(1);
    while (!token.empty() && blank(token.back())) token.remove_suffix(1);
    if (token.empty() || std::any_of(token.begin(), token.end(), blank)) return std::nullopt;
    return token;
}

KeyList api_key_list(const fs::path& data_dir, Store* shared) {
    return shared ? KeyList::document(*shared, kApiKeysDocument) : KeyList::file(data_dir, kApiKeysFileName, kApiKeysLockName);
}

NewApiKey create_api_key(const KeyList& list, ApiKeyScope scope, bool allow_policy_overrides) {
    NewApiKey key;
    update_api_keys(list, [&](std::vector<StoredApiKey>& keys) {
        do {
            key.id = std::string(kApiKeyIdPrefix) + random_base32(kIdRandomChars, true);
        } while (std::any_of(keys.begin(), keys.end(), [&](const StoredApiKey& k) { return k.info.id == key.id; }));
        std::string secret = new_secret();
        key.api_key = key.id + "_" + secret;
        OPENSSL_cleanse(secret.data(), secret.size());
        key.scope = scope;
        key.allow_policy_overrides = allow_policy_overrides;
        key.created = utc_now_iso8601();
        keys.push_back({ApiKeyInfo{key.id, scope, allow_policy_overrides, key.created, KeyStatus::ACTIVE, ""},
                        sha256_hex(key.api_key)});
    });
    return key;
}

NewApiKey create_api_key(const fs::path& data_dir, ApiKeyScope scope, bool allow_policy_overrides) {
    return create_api_key(api_key_list(data_dir), scope, allow_policy_overrides);
}

std::vector<ApiKeyInfo> list_api_keys(const KeyList& list) {
    std::vector<ApiKeyInfo> infos;
    for (auto& stored : load_api_keys(list)) infos.push_back(std::move(stored.info));
    return infos;
}

std::vector<ApiKeyInfo> list_api_keys(const fs::path& data_dir) { return list_api_keys(api_key_list(data_dir)); }

void revoke_api_key(const KeyList& list, std::string_view id) {
    update_api_keys(list, [&](std::vector<StoredApiKey>& keys) {
        auto it = std::find_if(keys.begin(), keys.end(), [&](const StoredApiKey& k) { return k.info.id == id; });
        if (it == keys.end())
            throw Error(ErrorCode::RESOURCE_NOT_FOUND, "no API key '" + std::string(id) + "' in " + list.where());
        if (it->info.status == KeyStatus::INACTIVE) return;
        it->info.status = KeyStatus::INACTIVE;
        it->info.revoked = utc_now_iso8601();
    });
}

void revoke_api_key(const fs::path& data_dir, std::string_view id) { revoke_api_key(api_key_list(data_dir), id); }

std::size_t copy_api_keys(const KeyList& from, const KeyList& to) {
    std::vector<StoredApiKey> source = load_api_keys(from);
    std::size_t added = 0;
    if (source.empty()) return 0;
    update_api_keys(to, [&](std::vector<StoredApiKey>& keys) {
        for (const StoredApiKey& key : source) {
            if (std::any_of(keys.begin(), keys.end(), [&](const StoredApiKey& k) { return k.info.id == key.info.id; }))
                continue;
            keys.push_back(key);
            ++added;
        }
    });
    return added;
}

ApiKeyStore::ApiKeyStore(KeyList list, std::chrono::milliseconds recheck_interval)
    : watcher_(std::move(list), recheck_interval) {
    std::lock_guard guard(mutex_);
    refresh_locked(true);
}

ApiKeyStore::ApiKeyStore(fs::path data_dir, std::chrono::milliseconds recheck_interval)
    : watcher_(api_key_list(data_dir), recheck_interval) {
    std::lock_guard guard(mutex_);
    refresh_locked(true);
}

void ApiKeyStore::refresh() {
    std::lock_guard guard(mutex_);
    refresh_locked(false, false, true);
}

void ApiKeyStore::refresh_locked(bool initial, bool now, bool background) {
    // lookups run on the event loop: while the shared store does not answer, only the background thread asks
    // it (a lookup would wait for the connection to fail). Otherwise a lookup's check is cheap: a shared
    // store answers the document's version from its change notifications, without a round trip
    if (background_ && !initial && !background && unreachable_) return;
    try {
        const bool changed = watcher_.changed(now);
        unreachable_ = false;
        if (!changed) return;
    } catch (const Error& e) {
        if (initial) throw;
        // a shared store that cannot be asked now: keep the keys read last (requests that need the store
        // fail on their own); a revocation is seen once it answers again
        unreachable_ = true;
        if (last_error_ != e.what()) {
            last_error_ = e.what();
            std::cerr << "facegate: cannot check the API keys for changes: " << e.what() << std::endl;
        }
        return;
    }
    try {
        std::optional<std::string> text = watcher_.read();
        std::map<std::string, Entry, std::less<>> active;
        if (text)
            for (auto& stored : parse_api_keys(*text, watcher_.list().where()))
                if (stored.info.status == KeyStatus::ACTIVE)
                    active.emplace(std::move(stored.info.id), Entry{std::move(stored.sha256_hex), stored.info.scope,
                                                                    stored.info.allow_policy_overrides});
        active_.swap(active);
    } catch (const Error& e) {
        if (initial) throw;
        // fail closed: a key revoked by a broken edit must not stay valid; retried at the next interval
        active_.clear();
        watcher_.forget();
        if (last_error_ != e.what()) {
            last_error_ = e.what();
            std::cerr << "facegate: API keys not loaded, none is accepted: " << e.what() << std::endl;
        }
        return;
    }
    last_error_.clear();
}

std::optional<ApiKeyIdentity> ApiKeyStore::authenticate(std::string_view bearer_token) {
    if (!well_formed_api_key(bearer_token)) return std::nullopt;
    std::string digest = sha256_hex(bearer_token); // outside the lock: it is the costly part
    std::string_view id = bearer_token.substr(0, kIdLength);

    std::lock_guard guard(mutex_);
    refresh_locked(false);
    // the id is public (the key's visible prefix), so finding it may take variable time; the hash may not
    auto it = active_.find(id);
    if (it == active_.end()) {
        // a key created a moment ago: look at the file now rather than at the next interval (a stat
        // per unknown id; the file is read only when it changed)
        refresh_locked(false, true);
        it = active_.find(id);
        // unknown to the keys read last, and the shared store that may know it does not answer: an outage
        // (503), not a refusal of the key
        if (it == active_.end() && unreachable_)
            throw Error(ErrorCode::STORE_UNAVAILABLE, "the store holding the API keys does not answer");
        if (it == active_.end()) return std::nullopt;
    }
    if (digest.size() != kSha256HexLength ||
        CRYPTO_memcmp(it->second.sha256_hex.data(), digest.data(), kSha256HexLength) != 0)
        return std::nullopt;
    return ApiKeyIdentity{it->first, it->second.scope, it->second.allow_policy_overrides};
}

size_t ApiKeyStore::active_key_count() {
    std::lock_guard guard(mutex_);
    refresh_locked(false);
    return active_.size();
}

} // namespace facegate
