// SPDX-License-Identifier: MIT
#include "auth/access_keys.h"

#include "common/error.h"

#include <nlohmann/json.hpp>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <iostream>

namespace facegate {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kFileVersion = 1;
constexpr size_t kKeyIdRandomChars = 16;
constexpr size_t kSecretRandomBytes = 30; // base64: exactly 40 characters

// "FGAK" + 16 characters of the base32 alphabet (A-Z 2-7): 80 random bits
std::string new_access_key_id() { return "FGAK" + random_base32(kKeyIdRandomChars); }

std::string new_secret() {
    std::string raw = random_bytes(kSecretRandomBytes);
    std::string encoded(4 * ((raw.size() + 2) / 3) + 1, '\0');
    int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                 reinterpret_cast<const unsigned char*>(raw.data()), int(raw.size()));
    OPENSSL_cleanse(raw.data(), raw.size());
    encoded.resize(size_t(length));
    return encoded;
}

struct StoredKey {
    AccessKey key;
    std::string revoked;
};

// the keys file's content; an absent file is an empty list
std::vector<StoredKey> parse_keys(const std::string& text, const std::string& where) {
    std::vector<StoredKey> keys;
    try {
        json doc = json::parse(text);
        if (doc.value("version", 0) != kFileVersion)
            throw Error(ErrorCode::STORE_UNAVAILABLE, "unsupported version of the keys in " + where);
        for (const auto& entry : doc.at("accessKeys")) {
            StoredKey stored;
            stored.key.access_key_id = entry.at("accessKeyId").get<std::string>();
            stored.key.secret_access_key = entry.at("secretAccessKey").get<std::string>();
            stored.key.created = entry.value("created", "");
            stored.key.status = parse_key_status(entry.value("status", "Active"), "access keys file");
            stored.revoked = entry.value("revoked", "");
            if (stored.key.access_key_id.empty() || stored.key.secret_access_key.empty())
                throw Error(ErrorCode::STORE_UNAVAILABLE, "an entry of the keys file has an empty id or secret");
            keys.push_back(std::move(stored));
        }
    } catch (const json::parse_error& e) {
        // not e.what(): it quotes the text read last, which may be part of a secret
        throw Error(ErrorCode::STORE_UNAVAILABLE,
                    "the keys in " + where + " are not valid JSON (error at byte " + std::to_string(e.byte) + ")");
    } catch (const json::exception& e) {
        // type and missing-field errors name types and fields, never values
        throw Error(ErrorCode::STORE_UNAVAILABLE, "the keys in " + where + " are not valid: " + e.what());
    }
    return keys;
}

std::string serialise_keys(const std::vector<StoredKey>& keys) {
    json list = json::array();
    for (const auto& stored : keys) {
        json entry = {{"accessKeyId", stored.key.access_key_id},
                      {"secretAccessKey", stored.key.secret_access_key},
                      {"created", stored.key.created},
                      {"status", access_key_status_name(stored.key.status)}};
        if (!stored.revoked.empty()) entry["revoked"] = stored.revoked;
        list.push_back(std::move(entry));
    }
    return json{{"version", kFileVersion}, {"accessKeys", std::move(list)}}.dump(2) + "\n";
}

std::vector<StoredKey> load_keys(const KeyList& list) {
    auto text = list.read();
    if (!text) return {};
    auto keys = parse_keys(*text, list.where());
    OPENSSL_cleanse(text->data(), text->size());
    return keys;
}

// read-modify-write of the list: edit(keys) changes the parsed keys in place
void update_keys(const KeyList& list, const std::function<void(std::vector<StoredKey>&)>& edit) {
    list.update([&](const std::optional<std::string>& text) {
        std::vector<StoredKey> keys;
        if (text) keys = parse_keys(*text, list.where());
        edit(keys);
        return serialise_keys(keys);
    });
}

bool has_whitespace(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](unsigned char c) { return c <= 0x20 || c == 0x7f; });
}

std::optional<std::string> getenv_string(std::string_view name) {
    const char* value = std::getenv(std::string(name).c_str());
    return value ? std::optional<std::string>(value) : std::nullopt;
}

AccessKey append_new_key(std::vector<StoredKey>& keys) {
    StoredKey stored;
    do {
        stored.key.access_key_id = new_access_key_id();
    } while (std::any_of(keys.begin(), keys.end(),
                         [&](const StoredKey& k) { return k.key.access_key_id == stored.key.access_key_id; }));
    stored.key.secret_access_key = new_secret();
    stored.key.created = utc_now_iso8601();
    stored.key.status = AccessKeyStatus::ACTIVE;
    keys.push_back(stored);
    return stored.key;
}

} // namespace

std::string_view access_key_status_name(AccessKeyStatus status) { return key_status_name(status); }

fs::path access_keys_path(const fs::path& data_dir) { return data_dir / kAccessKeysFileName; }

bool looks_like_access_key_id(std::string_view id) {
    if (id.size() != 20 || !(id.starts_with("AKIA") || id.starts_with("FGAK"))) return false;
    return std::all_of(id.begin() + 4, id.end(), [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); });
}

KeyList access_key_list(const fs::path& data_dir, Store* shared) {
    return shared ? KeyList::document(*shared, kAccessKeysDocument)
                  : KeyList::file(data_dir, kAccessKeysFileName, kAccessKeysLockName);
}

AccessKey create_key(const KeyList& list) {
    AccessKey key;
    update_keys(list, [&](std::vector<StoredKey>& keys) { key = append_new_key(keys); });
    return key;
}

AccessKey create_key(const fs::path& data_dir) { return create_key(access_key_list(data_dir)); }

std::vector<AccessKeyInfo> list_keys(const KeyList& list) {
    std::vector<AccessKeyInfo> infos;
    for (const auto& stored : load_keys(list))
        infos.push_back({stored.key.access_key_id, stored.key.created, stored.key.status, stored.revoked});
    return infos;
}

std::vector<AccessKeyInfo> list_keys(const fs::path& data_dir) { return list_keys(access_key_list(data_dir)); }

void revoke_key(const KeyList& list, std::string_view access_key_id) {
    update_keys(list, [&](std::vector<StoredKey>& keys) {
        auto it = std::find_if(keys.begin(), keys.end(),
                               [&](const StoredKey& k) { return k.key.access_key_id == access_key_id; });
        if (it == keys.end()) {
            std::string message = "no access key '" + std::string(access_key_id) + "' in " + list.where();
            if (getenv_string(kAccessKeyIdEnv) == std::optional<std::string>(std::string(access_key_id)))
                message += " (it comes from " + std::string(kAccessKeyIdEnv) + "; remove it from the environment)";
            throw Error(ErrorCode::RESOURCE_NOT_FOUND, message);
        }
        if (it->key.status == AccessKeyStatus::INACTIVE) return;
        it->key.status = AccessKeyStatus::INACTIVE;
        it->revoked = utc_now_iso8601();
    });
}

void revoke_key(const fs::path& data_dir, std::string_view access_key_id) {
    revoke_key(access_key_list(data_dir), access_key_id);
}

std::size_t copy_access_keys(const KeyList& from, const KeyList& to) {
    std::vector<StoredKey> source = load_keys(from);
    std::size_t added = 0;
    if (source.empty()) return 0;
    update_keys(to, [&](std::vector<StoredKey>& keys) {
        for (const StoredKey& key : source) {
            if (std::any_of(keys.begin(), keys.end(),
                            [&](const StoredKey& k) { return k.key.access_key_id == key.key.access_key_id; }))
                continue;
            keys.push_back(key);
            ++added;
        }
    });
    for (StoredKey& key : source) OPENSSL_cleanse(key.key.secret_access_key.data(), key.key.secret_access_key.size());
    return added;
}

std::optional<AccessKey> access_key_from_env() {
    auto id = getenv_string(kAccessKeyIdEnv);
    auto secret = getenv_string(kSecretAccessKeyEnv);
    if (!id && !secret) return std::nullopt;
    if (!id || !secret)
        throw Error(ErrorCode::INVALID_PARAMETER, std::string(kAccessKeyIdEnv) + " and " +
                                                      std::string(kSecretAccessKeyEnv) + " must be set together");
    if (id->empty() || secret->empty() || has_whitespace(*id) || has_whitespace(*secret) ||
        id->find('/') != std::string::npos)
        throw Error(ErrorCode::INVALID_PARAMETER, std::string(kAccessKeyIdEnv) + " and " +
                                                      std::string(kSecretAccessKeyEnv) +
                                                      " must be non-empty, without whitespace (and the id without '/')");
    return AccessKey{*id, *secret, "", AccessKeyStatus::ACTIVE};
}

std::optional<std::string> ensure_initial_key(const KeyList& list, const std::optional<AccessKey>& env_key) {
    if (env_key) return std::nullopt;
    auto has_active = [](const std::vector<StoredKey>& keys) {
        return std::any_of(keys.begin(), keys.end(),
                           [](const StoredKey& k) { return k.key.status == AccessKeyStatus::ACTIVE; });
    };
    if (has_active(load_keys(list))) return std::nullopt; // the common case, without taking the lock
    bool created = false;
    update_keys(list, [&](std::vector<StoredKey>& keys) {
        if (has_active(keys)) return; // another process made one meanwhile
        append_new_key(keys);
        created = true;
    });
    return created ? std::optional<std::string>(list.where()) : std::nullopt;
}

std::optional<fs::path> ensure_initial_key(const fs::path& data_dir, const std::optional<AccessKey>& env_key) {
    auto where = ensure_initial_key(access_key_list(data_dir), env_key);
    return where ? std::optional<fs::path>(access_keys_path(data_dir)) : std::nullopt;
}

std::optional<fs::path> ensure_initial_key(const fs::path& data_dir) {
    return ensure_initial_key(data_dir, access_key_from_env());
}

AccessKeyStore::AccessKeyStore(KeyList list, std::optional<AccessKey> extra_key,
                               std::chrono::milliseconds recheck_interval)
    : extra_key_(std::move(extra_key)), watcher_(std::move(list), recheck_interval) {
    std::lock_guard guard(mutex_);
    refresh_locked(true);
}

AccessKeyStore::AccessKeyStore(fs::path data_dir, std::optional<AccessKey> extra_key,
                               std::chrono::milliseconds recheck_interval)
    : extra_key_(std::move(extra_key)), watcher_(access_key_list(data_dir), recheck_interval) {
    std::lock_guard guard(mutex_);
    refresh_locked(true);
}

AccessKeyStore::AccessKeyStore(fs::path data_dir) : AccessKeyStore(std::move(data_dir), access_key_from_env()) {}

void AccessKeyStore::refresh() {
    std::lock_guard guard(mutex_);
    refresh_locked(false, false, true);
}

void AccessKeyStore::refresh_locked(bool initial, bool now, bool background) {
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
            std::cerr << "facegate: cannot check the access keys for changes: " << e.what() << std::endl;
        }
        return;
    }
    try {
        std::optional<std::string> text = watcher_.read();
        std::map<std::string, std::string, std::less<>> secrets;
        if (text) {
            for (auto& stored : parse_keys(*text, watcher_.list().where()))
                if (stored.key.status == AccessKeyStatus::ACTIVE)
                    secrets.emplace(std::move(stored.key.access_key_id), std::move(stored.key.secret_access_key));
            OPENSSL_cleanse(text->data(), text->size());
        }
        secrets_.swap(secrets);
    } catch (const Error& e) {
        if (initial) throw;
        // fail closed: a key revoked by a broken edit must not stay valid. retried at the next interval
        // (a failure may be passing, e.g. too many open files); reported once per distinct failure.
        secrets_.clear();
        watcher_.forget();
        if (last_error_ != e.what()) {
            last_error_ = e.what();
            std::cerr << "facegate: access keys not loaded, only the environment's key is accepted: " << e.what()
                      << std::endl;
        }
        return;
    }
    last_error_.clear();
}

std::optional<std::string> AccessKeyStore::secret_for(std::string_view access_key_id) {
    std::lock_guard guard(mutex_);
    refresh_locked(false);
    if (extra_key_ && extra_key_->access_key_id == access_key_id) return extra_key_->secret_access_key;
    auto it = secrets_.find(access_key_id);
    if (it == secrets_.end()) {
        // a key created a moment ago: look at the file now rather than at the next interval
        refresh_locked(false, true);
        it = secrets_.find(access_key_id);
        // unknown to the keys read last, and the shared store that may know it does not answer: not a
        // refusal of the key but an outage (503), so that a key created meanwhile is not called invalid
        if (it == secrets_.end() && unreachable_)
            throw Error(ErrorCode::STORE_UNAVAILABLE, "the store holding the access keys does not answer");
        if (it == secrets_.end()) return std::nullopt;
    }
    return it->second;
}

size_t AccessKeyStore::active_key_count() {
    std::lock_guard guard(mutex_);
    refresh_locked(false);
    size_t count = secrets_.size();
    if (extra_key_ && !secrets_.contains(extra_key_->access_key_id)) ++count;
    return count;
}

KeyLookup AccessKeyStore::lookup() {
    return [this](std::string_view access_key_id) { return secret_for(access_key_id); };
}

} // namespace facegate
