// SPDX-License-Identifier: MIT
#pragma once

// access keys: the keys file in the data directory (DIR/access-keys.json, mode 0600), the functions behind
// `facegate keys create|list|revoke`, and the server's AccessKeyStore that follows the file without a restart.
//
// the file is only ever replaced whole (temp file 0600, fsync, rename), with writers serialised by flock on
// DIR/access-keys.lock, so it can be changed by the CLI while a server reads it. revoked keys stay in the file
// with status "Inactive". secrets never go to logs or error messages.

#include "auth/key_file.h"
#include "auth/key_list.h"
#include "auth/sigv4.h"

#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace facegate {

inline constexpr std::string_view kAccessKeysFileName = "access-keys.json";
inline constexpr std::string_view kAccessKeysLockName = "access-keys.lock";
inline constexpr std::string_view kAccessKeysDocument = "access-keys"; // in a shared store
inline constexpr std::string_view kAccessKeyIdEnv = "FACEGATE_ACCESS_KEY_ID";
inline constexpr std::string_view kSecretAccessKeyEnv = "FACEGATE_SECRET_ACCESS_KEY";

using AccessKeyStatus = KeyStatus; // shared with the API keys

// "Active" / "Inactive", as IAM names them
std::string_view access_key_status_name(AccessKeyStatus status);

struct AccessKey {
    std::string access_key_id;     // "FGAK" + 16 of A-Z 2-7 for generated keys
    std::string secret_access_key; // 40 characters of base64 (240 random bits)
    std::string created;           // UTC, "2026-11-23T10:15:00Z"
    AccessKeyStatus status = AccessKeyStatus::ACTIVE;
};

// what list_keys shows: never the secret
struct AccessKeyInfo {
    std::string access_key_id;
    std::string created;
    AccessKeyStatus status = AccessKeyStatus::ACTIVE;
    std::string revoked; // UTC time of the revocation, empty while active
};

std::filesystem::path access_keys_path(const std::filesystem::path& data_dir);

// where the access keys are: the store's document when `shared` (several nodes on one database), else the
// data directory's file
KeyList access_key_list(const std::filesystem::path& data_dir, Store* shared = nullptr);

// true for ids shaped like AWS's and ours: "AKIA" or "FGAK" then 16 of A-Z 0-9 (create_key makes "FGAK" ones)
bool looks_like_access_key_id(std::string_view id);

// adds a new active key to the keys file (creating the directory, mode 0700, and the file when missing)
// and returns it: the only time its secret is shown. throws Error(STORE_UNAVAILABLE) when the file cannot
// be read or written, Error(INTERNAL) when the random generator fails.
AccessKey create_key(const KeyList& list);
AccessKey create_key(const std::filesystem::path& data_dir);

// every key of the file, oldest first, without secrets; empty when there is no file
std::vector<AccessKeyInfo> list_keys(const KeyList& list);
std::vector<AccessKeyInfo> list_keys(const std::filesystem::path& data_dir);

// marks the key Inactive (a no-op when it already is). throws Error(RESOURCE_NOT_FOUND) for an id not in
// the file (also for the environment's key, which only the environment can remove).
void revoke_key(const KeyList& list, std::string_view access_key_id);
void revoke_key(const std::filesystem::path& data_dir, std::string_view access_key_id);

// facegate migrate: adds the keys of `from` whose id `to` does not have (status and dates as they are);
// returns how many
std::size_t copy_access_keys(const KeyList& from, const KeyList& to);

// the key given by FACEGATE_ACCESS_KEY_ID and FACEGATE_SECRET_ACCESS_KEY, if both are set.
// throws Error(INVALID_PARAMETER) when only one is set or either is empty or contains whitespace.
std::optional<AccessKey> access_key_from_env();

// the server's first start: when the keys file has no active key and there is no environment key,
// creates one and returns the file's path (for the server to print); otherwise nullopt. The KeyList form
// returns list.where().
std::optional<std::string> ensure_initial_key(const KeyList& list, const std::optional<AccessKey>& env_key);
std::optional<std::filesystem::path> ensure_initial_key(const std::filesystem::path& data_dir,
                                                        const std::optional<AccessKey>& env_key);
std::optional<std::filesystem::path> ensure_initial_key(const std::filesystem::path& data_dir);

// the server's view of the keys: the active keys of the file plus an optional extra (environment) key.
// thread-safe. a lookup re-reads the file when its identity (inode, size, mtime, ctime) changed, checking
// at most once per recheck interval, so keys created or revoked by the CLI take effect within that interval.
class AccessKeyStore {
  public:
    static constexpr std::chrono::milliseconds kDefaultRecheck{200};

    // reads the file now; throws Error(STORE_UNAVAILABLE) when it exists but cannot be read or parsed.
    // later failures to read it leave only the extra key active (fail closed) and are reported on stderr.
    explicit AccessKeyStore(KeyList list, std::optional<AccessKey> extra_key,
                            std::chrono::milliseconds recheck_interval = kDefaultRecheck);
    explicit AccessKeyStore(std::filesystem::path data_dir, std::optional<AccessKey> extra_key,
                            std::chrono::milliseconds recheck_interval = kDefaultRecheck);
    // with the environment's key as the extra key
    explicit AccessKeyStore(std::filesystem::path data_dir);

    // the secret of an active key, or nullopt for an unknown or revoked id
    std::optional<std::string> secret_for(std::string_view access_key_id);
    // how many keys are active now (file and extra key)
    size_t active_key_count();
    // a KeyLookup for verify_sigv4 that asks this store; the store must outlive it
    KeyLookup lookup();

    // for a list in a shared store: a background thread calls refresh() every 200 ms or so, and while the
    // store does not answer, lookups stop asking it (they run on the HTTP event loop, which must not wait
    // for a database's connection timeout)
    void refresh_in_background() { background_ = true; }
    void refresh(); // re-reads the list when it changed

  private:
    void refresh_locked(bool initial, bool now = false, bool background = false);

    std::optional<AccessKey> extra_key_;
    std::mutex mutex_;
    KeyListWatcher watcher_;
    std::map<std::string, std::string, std::less<>> secrets_; // active keys of the file, id -> secret
    std::string last_error_; // the last failure to read the file, reported once
    bool unreachable_ = false; // the last check for changes could not ask the (shared) store
    bool background_ = false;  // refresh_in_background()
};

} // namespace facegate
