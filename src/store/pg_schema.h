// SPDX-License-Identifier: MIT
#pragma once

// The PostgreSQL schema of the store and its migrations.
//
// The schema version lives in the one-row table `facegate_schema`, which also marks the database as
// facegate's. migrate() brings a database up to kSchemaVersion, one step per version, every step and
// the version bump in one transaction under a transaction-level advisory lock, so that several nodes
// starting at once neither both migrate nor see a half-migrated schema (DDL is transactional here).
// To change the schema: append a step to the list in pg_schema.cpp and bump kSchemaVersion; never
// edit a released step. PostgreSQL versions count on their own: they are not SQLite's user_version.

#include "store/pg_db.h"

#include <cstdint>

namespace facegate::pg_schema {

inline constexpr int kSchemaVersion = 3;

// advisory lock keys (pg_advisory_xact_lock(bigint)); hashtextextended() keys of the rate limits and
// named locks may in theory meet them, which would only make one wait for the other
inline constexpr std::int64_t kMigrationLock = 0x4647444200000001; // "FGDB" 1
inline constexpr std::int64_t kWriteLock = 0x4647444200000002;     // every write transaction of the store

// the database's schema version (0 when it has no facegate_schema table)
int schema_version(pg::Connection& db, pg::Clock::time_point deadline);

// upgrades `db` (not in a transaction) to kSchemaVersion; returns the version it found.
// Error STORE_UNAVAILABLE when the database is not empty and not facegate's, or has a newer schema
// than this build knows (a newer facegate wrote it: refuse rather than corrupt)
int migrate(pg::Connection& db, pg::Clock::time_point deadline);

} // namespace facegate::pg_schema
