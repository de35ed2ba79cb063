// SPDX-License-Identifier: MIT
#pragma once

// API keys: the bearer credentials of the /v1 flow API (`Authorization: Bearer <apiKey>`), each with a
// scope. they live in DIR/api-keys.json (mode 0600, replaced whole, writers serialised by flock on
// DIR/api-keys.lock, like the access keys), which holds only a SHA-256 of each key: a copy of the file
// (a backup, a support bundle) grants nothing. a key is shown once, when it is created.
//
// a key is "fgk_" + 12 of a-z 2-7 (its id: public, shown by `keys list`, the key's visible prefix), "_",
// then 43 characters of base64url (256 random bits), e.g. fgk_q3x7mzk2a5hd_Zm9v...; 60 characters in all.

#include "auth/key_file.h"
#include "auth/key_list.h"

#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace facegate {

inline constexpr std::string_view kApiKeysFileName = "api-keys.json";
inline constexpr std::string_view kApiKeysLockName = "api-keys.lock";
inline constexpr std::string_view kApiKeysDocument = "api-keys"; // in a shared store
inline constexpr std::string_view kApiKeyIdPrefix = "fgk_";

// flows: register and verify only; admin: also audit, erasure and the admin console
enum class ApiKeyScope { FLOWS, ADMIN };

// "flows" / "admin"
std::string_view api_key_scope_name(ApiKeyScope scope);
// the inverse of api_key_scope_name; throws Error(INVALID_PARAMETER) for anything else
ApiKeyScope parse_api_key_scope(std::string_view name);
// whether a key of scope `granted` may do what needs `required` (admin includes flows)
bool api_key_scope_allows(ApiKeyScope granted, ApiKeyScope required);

// a newly created key: the only time `api_key` exists outside the client
struct NewApiKey {
    std::string api_key; // fgk_<12>_<43>
    std::string id;      // fgk_<12>
    ApiKeyScope scope = ApiKeyScope::FLOWS;
    bool allow_policy_overrides = false;
    std::string created; // UTC, "2026-11-23T10:15:00Z"
};

// what list_api_keys shows: never the key or its hash
struct ApiKeyInfo {
    std::string id;
    ApiKeyScope scope = ApiKeyScope::FLOWS;
    bool allow_policy_overrides = false; // requests may carry their own thresholds (admin keys always may)
    std::string created;
    KeyStatus status = KeyStatus::ACTIVE;
    std::string revoked; // UTC time of the revocation, empty while active
};

// who a valid bearer token belongs to
struct ApiKeyIdentity {
    std::string id;
    ApiKeyScope scope = ApiKeyScope::FLOWS;
    bool allow_policy_overrides = false;
    bool operator==(const ApiKeyIdentity&) const = default;
};

std::filesystem::path api_keys_path(const std::filesystem::path& data_dir);

// where the API keys are: the store's document when `shared` (several nodes on one database), else the
// data directory's file
KeyList api_key_list(const std::filesystem::path& data_dir, Store* shared = nullptr);

// true for "fgk_" + 12 of a-z 2-7: an API key's id (as opposed to an access key id)
bool looks_like_api_key_id(std::string_view id);

// the token of an `Authorization: Bearer <token>` header value (scheme case-insensitive), or nullopt
// for another scheme or an empty token
std::optional<std::string_view> bearer_token_of(std::string_view authorization);

// adds a new active key (creating the directory, mode 0700, and the file when missing) and returns it.
// throws Error(STORE_UNAVAILABLE) when the file cannot be read or written, Error(INTERNAL) when the random
// generator fails.
NewApiKey create_api_key(const KeyList& list, ApiKeyScope scope, bool allow_policy_overrides = false);
NewApiKey create_api_key(const std::filesystem::path& data_dir, ApiKeyScope scope, bool allow_policy_overrides = false);

// every key of the file, oldest first; empty when there is no file
std::vector<ApiKeyInfo> list_api_keys(const KeyList& list);
std::vector<ApiKeyInfo> list_api_keys(const std::filesystem::path& data_dir);

// marks the key Inactive (a no-op when it already is); throws Error(RESOURCE_NOT_FOUND) for an id not in
// the file
void revoke_api_key(const KeyList& list, std::string_view id);
void revoke_api_key(const std::filesystem::path& data_dir, std::string_view id);

// facegate migrate: adds the keys of `from` whose id `to` does not have; returns how many
std::size_t copy_api_keys(const KeyList& from, const KeyList& to);

// the server's view of the API keys. thread-safe. like AccessKeyStore, it re-reads the file when it
// changed, checking at most once per recheck interval, so keys created or revoked by the CLI take effect
// within that interval; a file that cannot be read or parsed later leaves no key valid (fail closed).
class ApiKeyStore {
  public:
    static constexpr std::chrono::milliseconds kDefaultRecheck{200};

    // reads the file now; throws Error(STORE_UNAVAILABLE) when it exists but cannot be read or parsed
    explicit ApiKeyStore(KeyList list, std::chrono::milliseconds recheck_interval = kDefaultRecheck);
    explicit ApiKeyStore(std::filesystem::path data_dir, std::chrono::milliseconds recheck_interval = kDefaultRecheck);

    // the key's id and scope when `bearer_token` is an active key of the file; nullopt for a malformed,
    // unknown or revoked one. the id part finds the entry; the hashes are compared in constant time.
    std::optional<ApiKeyIdentity> authenticate(std::string_view bearer_token);
    // how many keys are active now
    size_t active_key_count();

    // for a list in a shared store: a background thread calls refresh() every 200 ms or so, and while the
    // store does not answer, lookups stop asking it (they run on the HTTP event loop, which must not wait
    // for a database's connection timeout)
    void refresh_in_background() { background_ = true; }
    void refresh(); // re-reads the list when it changed

  private:
    struct Entry {
        std::string sha256_hex; // of the whole key, 64 lower-case hex digits
        ApiKeyScope scope;
        bool allow_policy_overrides;
    };

    void refresh_locked(bool initial, bool now = false, bool background = false);

    std::mutex mutex_;
    KeyListWatcher watcher_;
    std::map<std::string, Entry, std::less<>> active_; // id -> entry, active keys only
    std::string last_error_; // the last failure to read the file, reported once
    bool unreachable_ = false; // the last check for changes could not ask the (shared) store
    bool background_ = false;  // refresh_in_background()
};

} // namespace facegate
