// SPDX-License-Identifier: MIT
#include "store/kek_source.h"

#include "common/error.h"

#include <openssl/crypto.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>

namespace facegate {

namespace {

constexpr std::size_t kMaxKekText = 4096;

[[noreturn]] void bad(std::string message) { throw Error(ErrorCode::INVALID_PARAMETER, std::move(message)); }

// the whole (small) file; nullopt when it does not exist
std::optional<std::string> read_small_file(const std::filesystem::path& path, const std::string& what) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return std::nullopt;
        bad("cannot read " + what + ": " + std::strerror(errno));
    }
    std::string text(kMaxKekText + 1, '\0');
    std::size_t got = 0;
    while (got < text.size()) {
        ssize_t n = ::read(fd, text.data() + got, text.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += std::size_t(n);
    }
    ::close(fd);
    text.resize(got);
    return text;
}

Kek parse_and_wipe(std::string& text, const std::string& source) {
    struct Wipe {
        std::string& s;
        ~Wipe() { OPENSSL_cleanse(s.data(), s.size()); }
    } wipe{text};
    return parse_kek(text, source);
}

Kek kek_from_command(const std::string& command) {
    const std::string source = "the output of --kek-command";
    FILE* pipe = ::popen(command.c_str(), "r");
    if (!pipe) bad("cannot run --kek-command: " + std::string(std::strerror(errno)));
    std::string text(kMaxKekText + 1, '\0');
    std::size_t got = std::fread(text.data(), 1, text.size(), pipe);
    text.resize(got);
    int status = ::pclose(pipe);
    if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        OPENSSL_cleanse(text.data(), text.size());
        bad("--kek-command failed (exit status " +
            std::to_string(status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1) + "): no KEK");
    }
    return parse_and_wipe(text, source);
}

} // namespace

std::filesystem::path data_dir_kek_path(const std::filesystem::path& data_dir) { return data_dir / "kek"; }

std::optional<Kek> load_kek(const KekOptions& options, const std::filesystem::path& data_dir) {
    if (!options.file.empty() && !options.command.empty()) bad("give --kek-file or --kek-command, not both");
    if (!options.file.empty()) {
        const std::string source = "--kek-file " + options.file.string();
        std::optional<std::string> text = read_small_file(options.file, source);
        if (!text) bad(source + " does not exist");
        return parse_and_wipe(*text, source);
    }
    if (!options.command.empty()) return kek_from_command(options.command);
    if (!options.text.empty()) {
        std::string text = options.text;
        return parse_and_wipe(text, "FACEGATE_KEK");
    }
    const std::filesystem::path own = data_dir_kek_path(data_dir);
    std::optional<std::string> text = read_small_file(own, own.string());
    if (!text) return std::nullopt;
    return parse_and_wipe(*text, own.string());
}

Kek create_data_dir_kek(const std::filesystem::path& data_dir) {
    const std::filesystem::path path = data_dir_kek_path(data_dir);
    std::error_code ec;
    std::filesystem::create_directories(data_dir, ec);
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno != EEXIST) bad("cannot create " + path.string() + ": " + std::strerror(errno));
        // another process is making it: wait for its 64 digits
        for (int attempt = 0; attempt < 100; ++attempt) {
            std::optional<std::string> text = read_small_file(path, path.string());
            if (text && text->size() >= 2 * kSecretKeyBytes) return parse_and_wipe(*text, path.string());
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        bad(path.string() + " exists but holds no KEK");
    }
    Kek kek = make_kek(SecretKey::random());
    std::string text = kek_text(kek) + "\n";
    const bool ok = ::write(fd, text.data(), text.size()) == ssize_t(text.size()) && ::fsync(fd) == 0;
    OPENSSL_cleanse(text.data(), text.size());
    ::close(fd);
    if (!ok) {
        ::unlink(path.c_str());
        bad("cannot write " + path.string());
    }
    return kek;
}

KekCallbacks kek_callbacks(const KekOptions& options, const std::filesystem::path& data_dir) {
    KekCallbacks callbacks;
    callbacks.source = [options, data_dir] { return load_kek(options, data_dir); };
    callbacks.create = [data_dir] {
        Kek kek = create_data_dir_kek(data_dir);
        std::fprintf(stderr,
                     "facegate: no key-encryption key (KEK) was configured and nothing is sealed yet: created one in "
                     "%s (mode 0600). Face templates are sealed under it. In production keep the KEK away from the "
                     "data (--kek-file, --kek-command or FACEGATE_KEK; docs/security.md)\n",
                     data_dir_kek_path(data_dir).c_str());
        std::fflush(stderr);
        return kek;
    };
    return callbacks;
}

} // namespace facegate
