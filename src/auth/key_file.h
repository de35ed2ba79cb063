// SPDX-License-Identifier: MIT
#pragma once

// what the key files of the data directory (access-keys.json, api-keys.json) have in common: how they are
// read, replaced whole and locked, the status of a key, and how a server notices that a file changed.
//
// a key file is only ever replaced whole (temp file 0600, fsync, rename, fsync of the directory), with
// writers serialised by flock on a lock file next to it, so the CLI can change it while a server reads it.

#include "common/bytes.h" // random_bytes, used with the helpers below
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <sys/types.h>

namespace facegate {

enum class KeyStatus { ACTIVE, INACTIVE };

// "Active" / "Inactive", as IAM names them
std::string_view key_status_name(KeyStatus status);
// the inverse of key_status_name; throws Error(STORE_UNAVAILABLE) naming `file_kind` for anything else
KeyStatus parse_key_status(std::string_view name, std::string_view file_kind);

// UTC, "2026-11-23T10:15:00Z"
std::string utc_now_iso8601();

// `count` characters of the base32 alphabet (A-Z 2-7, or a-z 2-7 when `lower_case`): 5 random bits each,
// unbiased because 256 is a multiple of 32
std::string random_base32(size_t count, bool lower_case = false);

// the whole file, or nullopt when it does not exist; `info` gets the fstat of what was read.
// throws Error(STORE_UNAVAILABLE) naming the path (never the content) when it cannot be read.
std::optional<std::string> read_key_file(const std::filesystem::path& path, struct stat* info = nullptr);

// replaces `path` with `text` (mode 0600 whatever the umask) so that a reader sees the old or the new
// content, never a mix, also after a crash. the caller holds the KeyFileLock. the temporary copy of
// `text` made here is wiped. throws Error(STORE_UNAVAILABLE).
void write_key_file_atomically(const std::filesystem::path& path, std::string_view text);

// creates the data directory (mode 0700, and missing parents) unless it exists
void ensure_data_directory(const std::filesystem::path& dir);

// an exclusive flock on DIR/<lock_name> for one read-modify-write of a key file (creating DIR if needed).
// flock locks belong to the open file description, so threads of one process exclude each other too.
class KeyFileLock {
  public:
    KeyFileLock(const std::filesystem::path& dir, std::string_view lock_name);
    ~KeyFileLock(); // closing releases the lock
    KeyFileLock(const KeyFileLock&) = delete;
    KeyFileLock& operator=(const KeyFileLock&) = delete;

  private:
    int fd_ = -1;
};

// tells a server's key store when to re-read its file: at most once per recheck interval, and only when
// the file's identity (device, inode, size, mtime, ctime) differs from that of the content read last.
// not thread-safe: the store's mutex guards it.
class KeyFileWatcher {
  public:
    KeyFileWatcher(std::filesystem::path file, std::chrono::milliseconds recheck_interval);

    const std::filesystem::path& file() const { return file_; }
    // true when the file must be read: always before the first read and after forget(); otherwise
    // false within the recheck interval of the previous check (unless `now`) and while the file is unchanged
    bool changed(bool now = false);
    // the file's content (nullopt when absent), remembering the identity of what was actually read so
    // that a replacement between the check and the read is seen at the next check
    std::optional<std::string> read();
    // makes the next changed() true (after a content that could not be used)
    void forget() { stamp_.reset(); }

  private:
    struct Stamp {
        bool exists = false;
        dev_t device = 0;
        ino_t inode = 0;
        off_t size = 0;
        int64_t mtime_ns = 0, ctime_ns = 0;
        bool operator==(const Stamp&) const = default;
    };
    static Stamp stamp_of(const struct stat& st);

    std::filesystem::path file_;
    std::chrono::milliseconds recheck_interval_;
    std::optional<Stamp> stamp_; // of the content read last
    std::optional<std::chrono::steady_clock::time_point> last_check_;
};

} // namespace facegate
