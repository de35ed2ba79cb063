// SPDX-License-Identifier: MIT
#pragma once

// Which store a command opens: the SQLite file of the data directory (the embedded default), or a
// PostgreSQL database shared by several facegate nodes when a connection URI is given
// (`--store postgresql://...` or FACEGATE_STORE).

#include "store/kek_source.h"
#include "store/store.h"

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace facegate {

struct StoreLocation {
    std::filesystem::path data_dir = "data"; // SQLite's home; with a shared store, still the home of DATA/kek if any
    std::string uri{};                       // a libpq connection URI or key=value string; empty: SQLite
    bool shared() const { return !uri.empty(); }
};

struct OpenStoreOptions {
    KekOptions kek{};
    // a new SQLite data directory without a configured KEK gets DATA/kek. Never for a shared store: its
    // nodes must share one KEK, so it must be configured (--kek-file, --kek-command or FACEGATE_KEK)
    bool may_create_kek = true;
    std::size_t connections = 8; // the pool (SQLite: readers at once; PostgreSQL: connections)
};

// opens (creating or migrating) the store; Error STORE_UNAVAILABLE when it cannot be reached or refuses
// (newer schema, missing or wrong KEK), INVALID_PARAMETER for a URI that is not one
std::unique_ptr<Store> open_store(const StoreLocation& location, const OpenStoreOptions& options = {});

// the URI for messages and logs: the password (URI userinfo or password=...) replaced by ***
std::string redact_store_uri(std::string_view uri);

} // namespace facegate
