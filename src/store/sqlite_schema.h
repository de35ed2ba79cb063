// SPDX-License-Identifier: MIT
#pragma once

// The SQLite schema of the store and its migrations.
//
// The schema version lives in `PRAGMA user_version` and the file is marked as facegate's with
// `PRAGMA application_id`. migrate() brings a database up to kSchemaVersion, one step per version,
// each step and the version bump in the same BEGIN IMMEDIATE transaction, so that two processes
// opening a new or old file at once neither both migrate nor see a half-migrated schema.
// To change the schema: append a step to the list in sqlite_schema.cpp and bump kSchemaVersion;
// never edit a released step.

#include <cstdint>

namespace facegate::sqlite {
class Connection;
}

namespace facegate::sqlite_schema {

inline constexpr int kSchemaVersion = 7;
inline constexpr std::int32_t kApplicationId = 0x46474442; // "FGDB"

// the database's schema version (0 for a new, empty file)
int schema_version(sqlite::Connection& db);

// upgrades `db` (not in a transaction) to kSchemaVersion; returns the version it found.
// Error STORE_UNAVAILABLE when the file belongs to another application, is not empty but unmarked,
// or has a newer schema than this build knows (a newer facegate wrote it: refuse rather than corrupt).
int migrate(sqlite::Connection& db);

} // namespace facegate::sqlite_schema
