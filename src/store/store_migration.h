// SPDX-License-Identifier: MIT
#pragma once

// `facegate migrate`: copies one store into another (a data directory's SQLite into PostgreSQL, when one
// machine is no longer enough): collections, users, faces (re-sealed under the destination's data key,
// the plain vectors only ever in this process's memory), live ClientRequestTokens and the audit trail,
// then checks the counts. Ids and times are kept. Running it again copies nothing: rows are matched by
// their ids, and the audit rows already copied are remembered in the destination (document
// "migration-audit"). The keys are the caller's (they live in files or documents: auth/key_list.h).

#include "store/store.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace facegate {

struct MigrationCounts {
    std::uint64_t source = 0;      // rows in the source
    std::uint64_t copied = 0;      // rows this run added to the destination
    std::uint64_t destination = 0; // rows in the destination afterwards (for the check)
};

struct MigrationReport {
    MigrationCounts collections, users, faces, tokens, audit;
    // what the check found: each names a count that differs (empty: every source row is in the destination)
    std::vector<std::string> mismatches;
};

// `source_name` identifies the source in the destination's audit marker (e.g. the data directory's path);
// on_progress(what, done) now and then
MigrationReport migrate_store(Store& from, Store& to, const std::string& source_name,
                              const std::function<void(const std::string&, std::uint64_t)>& on_progress = {});

} // namespace facegate
