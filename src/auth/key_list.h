// SPDX-License-Identifier: MIT
#pragma once

// where one list of keys (the access keys, the API keys) lives, and how a server follows it:
// - a file of the data directory (one node, the embedded default): replaced whole under a flock
//   (auth/key_file.h), watched by its identity (inode, size, times);
// - a document of a shared store (several nodes on one PostgreSQL database, Store::update_document):
//   replaced whole in one transaction serialised with every other node's, watched by its version.
// Either way the CLI may change it while servers read it, and every server sees the change within
// the recheck interval.

#include "auth/key_file.h"

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace facegate {

class Store;

class KeyList {
  public:
    // DATA_DIR/file_name, its writers serialised by DATA_DIR/lock_name
    static KeyList file(std::filesystem::path data_dir, std::string_view file_name, std::string_view lock_name);
    // the store's document `name`; the store must outlive the list
    static KeyList document(Store& store, std::string_view name);

    // the list's text, nullopt when it does not exist yet. Error STORE_UNAVAILABLE when it cannot be read
    std::optional<std::string> read() const;
    // read-modify-write, serialised with every other writer (in any process): change(current) gives the new text
    void update(const std::function<std::string(const std::optional<std::string>&)>& change) const;
    // for messages: the file's path, or the store document's name (never a secret)
    std::string where() const;

    const std::filesystem::path& data_dir() const { return data_dir_; }
    const std::string& name() const { return name_; }
    Store* store() const { return store_; }

  private:
    std::filesystem::path data_dir_;
    std::string name_;      // file name, or document name
    std::string lock_name_; // files only
    Store* store_ = nullptr;
};

// tells a server's key store when to re-read its list: at most once per recheck interval, and only when
// the list changed since the content read last. not thread-safe: the key store's mutex guards it.
class KeyListWatcher {
  public:
    KeyListWatcher(KeyList list, std::chrono::milliseconds recheck_interval);

    const KeyList& list() const { return list_; }
    // true when the list must be read: always before the first read and after forget(); otherwise false
    // within the recheck interval of the previous check (unless `now`) and while the list is unchanged.
    // Error STORE_UNAVAILABLE when a shared store cannot be asked (the caller keeps what it has)
    bool changed(bool now = false);
    // the list's content (nullopt when absent), remembering what was read
    std::optional<std::string> read();
    // makes the next changed() true (after a content that could not be used)
    void forget();

  private:
    KeyList list_;
    std::optional<KeyFileWatcher> file_watcher_; // for files
    std::chrono::milliseconds recheck_interval_;
    std::optional<std::chrono::steady_clock::time_point> last_check_;
    std::int64_t version_read_ = -1; // for documents: the version read last (0: absent), -1: none yet
};

} // namespace facegate
