// SPDX-License-Identifier: MIT
#pragma once

// Where facegate's commands get the key-encryption key (KEK) of the templates at rest, in this order:
//   1. --kek-file PATH      a file holding the KEK as 64 hex digits (`openssl rand -hex 32 > PATH`; mode 0600)
//   2. --kek-command CMD    a command (run by /bin/sh) whose standard output is the KEK, for a KMS or a vault
//   3. FACEGATE_KEK         the KEK itself in the environment
//   4. DATA/kek             the file facegate made on the first start of an empty data directory
// With none of these and nothing sealed yet in the database, facegate makes DATA/kek (mode 0600) and
// says so on stderr: the one-command start keeps working. Production keeps the KEK away from the data.

#include "store/template_sealer.h"

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace facegate {

struct KekOptions {
    std::filesystem::path file{}; // --kek-file
    std::string command{};        // --kek-command
    std::string text{};           // FACEGATE_KEK
};

// the file facegate creates for a new data directory
std::filesystem::path data_dir_kek_path(const std::filesystem::path& data_dir);

// the KEK from the first configured source above; nullopt when none is configured and DATA/kek does
// not exist. Error INVALID_PARAMETER for two explicit sources at once, an unreadable file, a failing
// command or text that is not a KEK (the message says which source).
std::optional<Kek> load_kek(const KekOptions& options, const std::filesystem::path& data_dir);

// creates DATA/kek with a random KEK (mode 0600, O_EXCL), or reads it when another process just did
Kek create_data_dir_kek(const std::filesystem::path& data_dir);

// the store options' KEK callbacks as facegate's commands use them: `source` runs load_kek (again when a
// rotation elsewhere re-wrapped the data keys, so a replaced --kek-file is picked up); `create` makes
// DATA/kek and writes `notice` + its path to stderr
struct KekCallbacks {
    std::function<std::optional<Kek>()> source;
    std::function<Kek()> create;
};
KekCallbacks kek_callbacks(const KekOptions& options, const std::filesystem::path& data_dir);

} // namespace facegate
