// SPDX-License-Identifier: MIT
#include "store/open_store.h"

#include "store/pg_store.h"
#include "store/sqlite_store.h"

#include "common/error.h"

#include <regex>

namespace facegate {

std::string redact_store_uri(std::string_view uri) {
    std::string text(uri);
    // postgresql://user:secret@host -> postgresql://user:***@host
    static const std::regex userinfo(R"(^(postgres(?:ql)?://[^:/@?]*:)[^@/?]*@)", std::regex::icase);
    text = std::regex_replace(text, userinfo, "$1***@");
    // ...?password=secret&... and key=value strings: password=secret
    static const std::regex parameter(R"((password\s*=\s*)('(?:[^'\\]|\\.)*'|[^&\s]*))", std::regex::icase);
    return std::regex_replace(text, parameter, "$1***");
}

std::unique_ptr<Store> open_store(const StoreLocation& location, const OpenStoreOptions& options) {
    KekCallbacks kek = kek_callbacks(options.kek, location.data_dir);
    if (!location.shared()) {
        SqliteStoreOptions sqlite;
        sqlite.data_dir = location.data_dir;
        sqlite.max_connections = std::max<std::size_t>(1, options.connections);
        sqlite.kek_source = kek.source;
        if (options.may_create_kek) sqlite.create_kek = kek.create;
        return std::make_unique<SqliteStore>(std::move(sqlite));
    }
    if (!kek.source())
        throw Error(ErrorCode::INVALID_PARAMETER,
                    "a PostgreSQL store needs the key-encryption key of the face templates, the same on every "
                    "node: --kek-file PATH, --kek-command CMD or FACEGATE_KEK (docs/security.md)");
    PgStoreOptions pg;
    pg.conninfo = location.uri;
    pg.max_connections = std::max<std::size_t>(1, options.connections);
    pg.kek_source = kek.source;
    return std::make_unique<PgStore>(std::move(pg));
}

} // namespace facegate
