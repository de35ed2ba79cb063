// SPDX-License-Identifier: MIT
#include "auth/access_keys.h"

#include "common/error.h"

#include <nlohmann/json.hpp>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <iostream>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace facegate {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kFileVersion = 1;
constexpr size_t kKeyIdRandomChars = 16;
constexpr size_t kSecretRandomBytes = 30; // base64: exactly 40 characters

[[noreturn]] void io_failure(const std::string& what, const fs::path& path, int error) {
    throw Error(ErrorCode::STORE_UNAVAILABLE, what + " " + path.string() + ": " + std::strerror(error));
}

std::string utc_now_iso8601() {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buffer;
}

std::string random_bytes(size_t count) {
    std::string bytes(count, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), int(count)) != 1)
        throw Error(ErrorCode::INTERNAL, "the random number generator failed");
    return bytes;
}

// "FGAK" + 16 characters of the base32 alphabet (A-Z 2-7): 80 random bits; 256 % 32 == 0 keeps it unbiased
std::string new_access_key_id() {
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    std::string id = "FGAK";
    for (unsigned char b : random_bytes(kKeyIdRandomChars)) id += alphabet[b % 32];
    return id;
}

std::string new_secret() {
    std::string raw = random_bytes(kSecretRandomBytes);
    std::string encoded(4 * ((raw.size() + 2) / 3) + 1, '\0');
    int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                 reinterpret_cast<const unsigned char*>(raw.data()), int(raw.size()));
    OPENSSL_cleanse(raw.data(), raw.size());
    encoded.resize(size_t(length));
    return encoded;
}

AccessKeyStatus parse_status(const std::string& name) {
    if (name == "Active") return AccessKeyStatus::ACTIVE;
    if (name == "Inactive") return AccessKeyStatus::INACTIVE;
    throw Error(ErrorCode::STORE_UNAVAILABLE, "unknown access key status '" + name + "' in the keys file");
}

struct StoredKey {
    AccessKey key;
    std::string revoked;
};

// the keys file's content; an absent file is an empty list
std::vector<StoredKey> parse_keys(const std::string& text, const fs::path& path) {
    std::vector<StoredKey> keys;
    try {
        json doc = json::parse(text);
        if (doc.value("version", 0) != kFileVersion)
            throw Error(ErrorCode::STORE_UNAVAILABLE, "unsupported version of the keys file " + path.string());
        for (const auto& entry : doc.at("accessKeys")) {
            StoredKey stored;
            stored.key.access_key_id = entry.at("accessKeyId").get<std::string>();
            stored.key.secret_access_key = entry.at("secretAccessKey").get<std::string>();
            stored.key.created = entry.value("created", "");
            stored.key.status = parse_status(entry.value("status", "Active"));
            stored.revoked = entry.value("revoked", "");
            if (stored.key.access_key_id.empty() || stored.key.secret_access_key.empty())
                throw Error(ErrorCode::STORE_UNAVAILABLE, "an entry of the keys file has an empty id or secret");
            keys.push_back(std::move(stored));
        }
    } catch (const json::parse_error& e) {
        // not e.what(): it quotes the text read last, which may be part of a secret
        throw Error(ErrorCode::STORE_UNAVAILABLE,
                    "the keys file " + path.string() + " is not valid JSON (error at byte " + std::to_string(e.byte) + ")");
    } catch (const json::exception& e) {
        // type and missing-field errors name types and fields, never values
        throw Error(ErrorCode::STORE_UNAVAILABLE, "the keys file " + path.string() + " is not valid: " + e.what());
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

// the whole file, or nullopt when it does not exist
std::optional<std::string> read_file(const fs::path& path, struct stat* info = nullptr) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return std::nullopt;
        io_failure("cannot open", path, errno);
    }
    std::string text;
    char buffer[8192];
    for (;;) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int error = errno;
            ::close(fd);
            io_failure("cannot read", path, error);
        }
        if (n == 0) break;
        text.append(buffer, size_t(n));
    }
    if (info && ::fstat(fd, info) != 0) {
        int error = errno;
        ::close(fd);
        io_failure("cannot stat", path, error);
    }
    ::close(fd);
    return text;
}

std::vector<StoredKey> load_keys(const fs::path& path, struct stat* info = nullptr) {
    auto text = read_file(path, info);
    return text ? parse_keys(*text, path) : std::vector<StoredKey>{};
}

void write_all(int fd, std::string_view data, const fs::path& path) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) io_failure("cannot write", path, errno);
        data.remove_prefix(size_t(n));
    }
}

// replaces the file whole: a reader sees the old or the new content, never a mix, also after a crash
void write_keys_atomically(const fs::path& dir, const std::vector<StoredKey>& keys) {
    fs::path target = access_keys_path(dir);
    fs::path temp = dir / (std::string(".") + std::string(kAccessKeysFileName) + ".tmp");
    ::unlink(temp.c_str()); // a leftover of a writer that crashed; we hold the lock
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) io_failure("cannot create", temp, errno);
    try {
        if (::fchmod(fd, 0600) != 0) io_failure("cannot chmod", temp, errno);
        std::string text = serialise_keys(keys);
        write_all(fd, text, temp);
        OPENSSL_cleanse(text.data(), text.size());
        if (::fsync(fd) != 0) io_failure("cannot fsync", temp, errno);
    } catch (...) {
        ::close(fd);
        ::unlink(temp.c_str());
        throw;
    }
    ::close(fd);
    if (::rename(temp.c_str(), target.c_str()) != 0) {
        int error = errno;
        ::unlink(temp.c_str());
        io_failure("cannot rename into", target, error);
    }
    // the rename itself must survive a crash too
    int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd >= 0) {
        ::fsync(dir_fd);
        ::close(dir_fd);
    }
}

void ensure_directory(const fs::path& dir) {
    std::error_code error;
    if (fs::is_directory(dir, error)) return;
    if (::mkdir(dir.c_str(), 0700) == 0 || errno == EEXIST) return;
    fs::create_directories(dir, error); // missing parents
    if (error) throw Error(ErrorCode::STORE_UNAVAILABLE, "cannot create the data directory " + dir.string() + ": " +
                                                             error.message());
    fs::permissions(dir, fs::perms::owner_all, error);
}

// an exclusive flock on DIR/access-keys.lock for one read-modify-write of the keys file.
// flock locks belong to the open file description, so threads of one process exclude each other too.
class KeysFileLock {
  public:
    explicit KeysFileLock(const fs::path& dir) {
        ensure_directory(dir);
        fs::path path = dir / kAccessKeysLockName;
        fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd_ < 0) io_failure("cannot open", path, errno);
        while (::flock(fd_, LOCK_EX) != 0) {
            if (errno == EINTR) continue;
            int error = errno;
            ::close(fd_);
            io_failure("cannot lock", path, error);
        }
    }
    ~KeysFileLock() { ::close(fd_); } // closing releases the lock
    KeysFileLock(const KeysFileLock&) = delete;
    KeysFileLock& operator=(const KeysFileLock&) = delete;

  private:
    int fd_ = -1;
};

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

std::string_view access_key_status_name(AccessKeyStatus status) {
    return status == AccessKeyStatus::ACTIVE ? "Active" : "Inactive";
}

fs::path access_keys_path(const fs::path& data_dir) { return data_dir / kAccessKeysFileName; }

bool looks_like_access_key_id(std::string_view id) {
    if (id.size() != 20 || !(id.starts_with("AKIA") || id.starts_with("FGAK"))) return false;
    return std::all_of(id.begin() + 4, id.end(), [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); });
}

AccessKey create_key(const fs::path& data_dir) {
    KeysFileLock lock(data_dir);
    auto keys = load_keys(access_keys_path(data_dir));
    AccessKey key = append_new_key(keys);
    write_keys_atomically(data_dir, keys);
    return key;
}

std::vector<AccessKeyInfo> list_keys(const fs::path& data_dir) {
    std::vector<AccessKeyInfo> infos;
    for (const auto& stored : load_keys(access_keys_path(data_dir)))
        infos.push_back({stored.key.access_key_id, stored.key.created, stored.key.status, stored.revoked});
    return infos;
}

void revoke_key(const fs::path& data_dir, std::string_view access_key_id) {
    KeysFileLock lock(data_dir);
    auto keys = load_keys(access_keys_path(data_dir));
    auto it = std::find_if(keys.begin(), keys.end(),
                           [&](const StoredKey& k) { return k.key.access_key_id == access_key_id; });
    if (it == keys.end()) {
        std::string message = "no access key '" + std::string(access_key_id) + "' in " +
                              access_keys_path(data_dir).string();
        if (getenv_string(kAccessKeyIdEnv) == std::optional<std::string>(std::string(access_key_id)))
            message += " (it comes from " + std::string(kAccessKeyIdEnv) + "; remove it from the environment)";
        throw Error(ErrorCode::RESOURCE_NOT_FOUND, message);
    }
    if (it->key.status == AccessKeyStatus::INACTIVE) return;
    it->key.status = AccessKeyStatus::INACTIVE;
    it->revoked = utc_now_iso8601();
    write_keys_atomically(data_dir, keys);
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

std::optional<fs::path> ensure_initial_key(const fs::path& data_dir, const std::optional<AccessKey>& env_key) {
    if (env_key) return std::nullopt;
    KeysFileLock lock(data_dir);
    fs::path path = access_keys_path(data_dir);
    auto keys = load_keys(path);
    if (std::any_of(keys.begin(), keys.end(), [](const StoredKey& k) { return k.key.status == AccessKeyStatus::ACTIVE; }))
        return std::nullopt;
    append_new_key(keys);
    write_keys_atomically(data_dir, keys);
    return path;
}

std::optional<fs::path> ensure_initial_key(const fs::path& data_dir) {
    return ensure_initial_key(data_dir, access_key_from_env());
}

AccessKeyStore::AccessKeyStore(fs::path data_dir, std::optional<AccessKey> extra_key,
                               std::chrono::milliseconds recheck_interval)
    : file_(access_keys_path(data_dir)), extra_key_(std::move(extra_key)), recheck_interval_(recheck_interval) {
    std::lock_guard guard(mutex_);
    refresh_locked(true);
}

AccessKeyStore::AccessKeyStore(fs::path data_dir) : AccessKeyStore(std::move(data_dir), access_key_from_env()) {}

void AccessKeyStore::refresh_locked(bool initial) {
    auto now = std::chrono::steady_clock::now();
    if (!initial && now - last_check_ < recheck_interval_) return;
    last_check_ = now;

    auto stamp_of = [](const struct stat& st) {
        FileStamp stamp;
        stamp.exists = true;
        stamp.device = st.st_dev;
        stamp.inode = st.st_ino;
        stamp.size = st.st_size;
        stamp.mtime_ns = int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
        stamp.ctime_ns = int64_t(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
        return stamp;
    };

    struct stat st{};
    FileStamp current;
    if (::stat(file_.c_str(), &st) == 0) current = stamp_of(st);
    else if (errno != ENOENT) current.exists = true; // unreadable: read_file below reports why
    if (stamp_ && *stamp_ == current) return;

    try {
        struct stat read_st{};
        std::optional<std::string> text = read_file(file_, &read_st);
        std::map<std::string, std::string, std::less<>> secrets;
        if (text) {
            for (auto& stored : parse_keys(*text, file_))
                if (stored.key.status == AccessKeyStatus::ACTIVE)
                    secrets.emplace(std::move(stored.key.access_key_id), std::move(stored.key.secret_access_key));
            OPENSSL_cleanse(text->data(), text->size());
        }
        secrets_.swap(secrets);
        // the stamp of what was actually read, so a replacement between stat and open is seen next time
        stamp_ = text ? stamp_of(read_st) : FileStamp{};
    } catch (const Error& e) {
        if (initial) throw;
        // fail closed: a key revoked by a broken edit must not stay valid. retried at the next interval
        // (a failure may be passing, e.g. too many open files); reported once per distinct failure.
        secrets_.clear();
        stamp_.reset();
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
    if (it == secrets_.end()) return std::nullopt;
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
