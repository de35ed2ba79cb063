// SPDX-License-Identifier: MIT
#include "auth/key_file.h"

#include "common/error.h"

#include <openssl/crypto.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace facegate {

namespace {

namespace fs = std::filesystem;

[[noreturn]] void io_failure(const std::string& what, const fs::path& path, int error) {
    throw Error(ErrorCode::STORE_UNAVAILABLE, what + " " + path.string() + ": " + std::strerror(error));
}

void write_all(int fd, std::string_view data, const fs::path& path) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) io_failure("cannot write", path, errno);
        data.remove_prefix(size_t(n));
    }
}

} // namespace

std::string_view key_status_name(KeyStatus status) { return status == KeyStatus::ACTIVE ? "Active" : "Inactive"; }

KeyStatus parse_key_status(std::string_view name, std::string_view file_kind) {
    if (name == "Active") return KeyStatus::ACTIVE;
    if (name == "Inactive") return KeyStatus::INACTIVE;
    throw Error(ErrorCode::STORE_UNAVAILABLE,
                "unknown key status '" + std::string(name) + "' in the " + std::string(file_kind));
}

std::string utc_now_iso8601() {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buffer;
}

std::string random_base32(size_t count, bool lower_case) {
    static constexpr char upper[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    static constexpr char lower[] = "abcdefghijklmnopqrstuvwxyz234567";
    const char* alphabet = lower_case ? lower : upper;
    std::string out;
    out.reserve(count);
    for (unsigned char b : random_bytes(count)) out += alphabet[b % 32];
    return out;
}

std::optional<std::string> read_key_file(const fs::path& path, struct stat* info) {
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
    OPENSSL_cleanse(buffer, sizeof buffer); // may hold part of a secret
    if (info && ::fstat(fd, info) != 0) {
        int error = errno;
        ::close(fd);
        io_failure("cannot stat", path, error);
    }
    ::close(fd);
    return text;
}

void write_key_file_atomically(const fs::path& path, std::string_view text) {
    fs::path dir = path.parent_path();
    fs::path temp = path;
    temp.replace_filename(std::string(".").append(path.filename().string()).append(".tmp"));
    ::unlink(temp.c_str()); // a leftover of a writer that crashed; the caller holds the lock
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) io_failure("cannot create", temp, errno);
    try {
        if (::fchmod(fd, 0600) != 0) io_failure("cannot chmod", temp, errno); // whatever the umask
        write_all(fd, text, temp);
        if (::fsync(fd) != 0) io_failure("cannot fsync", temp, errno);
    } catch (...) {
        ::close(fd);
        ::unlink(temp.c_str());
        throw;
    }
    ::close(fd);
    if (::rename(temp.c_str(), path.c_str()) != 0) {
        int error = errno;
        ::unlink(temp.c_str());
        io_failure("cannot rename into", path, error);
    }
    // the rename itself must survive a crash too
    int dir_fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd >= 0) {
        ::fsync(dir_fd);
        ::close(dir_fd);
    }
}

void ensure_data_directory(const fs::path& dir) {
    std::error_code error;
    if (fs::is_directory(dir, error)) return;
    if (::mkdir(dir.c_str(), 0700) == 0 || errno == EEXIST) return;
    fs::create_directories(dir, error); // missing parents
    if (error)
        throw Error(ErrorCode::STORE_UNAVAILABLE, "cannot create the data directory " + dir.string() + ": " +
                                                      error.message());
    fs::permissions(dir, fs::perms::owner_all, error);
}

KeyFileLock::KeyFileLock(const fs::path& dir, std::string_view lock_name) {
    ensure_data_directory(dir);
    fs::path path = dir / lock_name;
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd_ < 0) io_failure("cannot open", path, errno);
    while (::flock(fd_, LOCK_EX) != 0) {
        if (errno == EINTR) continue;
        int error = errno;
        ::close(fd_);
        io_failure("cannot lock", path, error);
    }
}

KeyFileLock::~KeyFileLock() { ::close(fd_); }

KeyFileWatcher::KeyFileWatcher(fs::path file, std::chrono::milliseconds recheck_interval)
    : file_(std::move(file)), recheck_interval_(recheck_interval) {}

KeyFileWatcher::Stamp KeyFileWatcher::stamp_of(const struct stat& st) {
    Stamp stamp;
    stamp.exists = true;
    stamp.device = st.st_dev;
    stamp.inode = st.st_ino;
    stamp.size = st.st_size;
    stamp.mtime_ns = int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    stamp.ctime_ns = int64_t(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
    return stamp;
}

bool KeyFileWatcher::changed(bool now) {
    auto time = std::chrono::steady_clock::now();
    if (!now && last_check_ && time - *last_check_ < recheck_interval_) return false;
    last_check_ = time;

    struct stat st{};
    Stamp current;
    if (::stat(file_.c_str(), &st) == 0) current = stamp_of(st);
    else if (errno != ENOENT) current.exists = true; // unreadable: read() reports why
    return !stamp_ || *stamp_ != current;
}

std::optional<std::string> KeyFileWatcher::read() {
    struct stat st{};
    std::optional<std::string> text = read_key_file(file_, &st);
    stamp_ = text ? stamp_of(st) : Stamp{};
    return text;
}

} // namespace facegate
