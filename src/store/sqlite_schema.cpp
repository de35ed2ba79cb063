// SPDX-License-Identifier: MIT
#include "store/sqlite_schema.h"

#include "store/sqlite_db.h"

#include "common/error.h"

#include <string>

namespace facegate::sqlite_schema {

namespace {

// Version 1.
// - Internal integer keys (collection_key, user_key) keep the rows small and make a re-created
//   collection a different one; AUTOINCREMENT keys are never reused, which is what the in-memory
//   vector index (faces.row_id) and keyset pagination rely on.
// - Embeddings sit in their own table so listing faces never reads the 2 KiB blobs.
// - Deletes are done explicitly by the store (faces, embeddings, users); the foreign keys are
//   checked (PRAGMA foreign_keys=ON on every connection) and cascade as a backstop.
// - Audit rows and the change feed name collections by their id, not by key: they outlive them.
// - Times are milliseconds since the Unix epoch.
constexpr const char* kVersion1 = R"sql(
CREATE TABLE collections (
  collection_key     INTEGER PRIMARY KEY AUTOINCREMENT,
  collection_id      TEXT NOT NULL UNIQUE,
  arn                TEXT NOT NULL,
  face_model_version TEXT NOT NULL,
  created_ms         INTEGER NOT NULL
);

CREATE TABLE users (
  user_key       INTEGER PRIMARY KEY AUTOINCREMENT,
  collection_key INTEGER NOT NULL REFERENCES collections(collection_key) ON DELETE CASCADE,
  user_id        TEXT NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('CREATING', 'CREATED', 'UPDATING', 'ACTIVE')),
  created_ms     INTEGER NOT NULL,
  updated_ms     INTEGER NOT NULL,
  UNIQUE (collection_key, user_id)
);
CREATE INDEX users_by_collection ON users(collection_key);

CREATE TABLE faces (
  row_id            INTEGER PRIMARY KEY AUTOINCREMENT,
  collection_key    INTEGER NOT NULL REFERENCES collections(collection_key) ON DELETE CASCADE,
  face_id           TEXT NOT NULL UNIQUE,
  image_id          TEXT NOT NULL,
  external_image_id TEXT,
  image_digest      TEXT,
  bbox_width        REAL NOT NULL,
  bbox_height       REAL NOT NULL,
  bbox_left         REAL NOT NULL,
  bbox_top          REAL NOT NULL,
  confidence        REAL NOT NULL,
  model_version     TEXT NOT NULL,
  created_ms        INTEGER NOT NULL,
  user_key          INTEGER REFERENCES users(user_key) ON DELETE SET NULL
);
CREATE INDEX faces_by_collection ON faces(collection_key);
CREATE INDEX faces_by_external_id ON faces(collection_key, external_image_id) WHERE external_image_id IS NOT NULL;
CREATE INDEX faces_by_digest ON faces(collection_key, image_digest) WHERE image_digest IS NOT NULL;
CREATE INDEX faces_by_user ON faces(user_key) WHERE user_key IS NOT NULL;

-- little-endian float32 x 512
CREATE TABLE face_embeddings (
  row_id    INTEGER PRIMARY KEY REFERENCES faces(row_id) ON DELETE CASCADE,
  embedding BLOB NOT NULL
);

-- ClientRequestTokens: the response is the caller's rendering, replayed as is
CREATE TABLE request_tokens (
  operation    TEXT NOT NULL,
  token        TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  response     TEXT NOT NULL,
  created_ms   INTEGER NOT NULL,
  PRIMARY KEY (operation, token)
) WITHOUT ROWID;
CREATE INDEX request_tokens_by_time ON request_tokens(created_ms);

-- who did what to which ids; never images, embeddings or request bodies
CREATE TABLE audit_events (
  seq               INTEGER PRIMARY KEY AUTOINCREMENT,
  time_ms           INTEGER NOT NULL,
  operation         TEXT NOT NULL,
  collection_id     TEXT,
  external_image_id TEXT,
  user_id           TEXT,
  outcome           TEXT NOT NULL,
  caller_key_id     TEXT
);
CREATE INDEX audit_by_time ON audit_events(time_ms);
CREATE INDEX audit_by_collection ON audit_events(collection_id) WHERE collection_id IS NOT NULL;
CREATE INDEX audit_by_external_id ON audit_events(external_image_id) WHERE external_image_id IS NOT NULL;
CREATE INDEX audit_by_user ON audit_events(user_id) WHERE user_id IS NOT NULL;

CREATE TABLE audit_faces (
  seq     INTEGER NOT NULL REFERENCES audit_events(seq) ON DELETE CASCADE,
  ord     INTEGER NOT NULL,
  face_id TEXT NOT NULL,
  PRIMARY KEY (seq, ord)
) WITHOUT ROWID;
CREATE INDEX audit_faces_by_face ON audit_faces(face_id);

-- the change feed for in-memory indexes of other processes; kind: FACE_ADDED, FACE_DELETED,
-- FACE_USER_CHANGED, COLLECTION_DELETED
CREATE TABLE face_changes (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  collection_id TEXT NOT NULL,
  kind          TEXT NOT NULL,
  row_id        INTEGER NOT NULL,
  face_id       TEXT NOT NULL,
  created_ms    INTEGER NOT NULL
);
CREATE INDEX face_changes_by_time ON face_changes(created_ms);
)sql";

// Version 2: the flows (register/verify). Audit rows carry a JSON object of scores, decision and
// reasons; external IDs too long for an ExternalImageId are stored under a digest, mapped back here.
constexpr const char* kVersion2 = R"sql(
ALTER TABLE audit_events ADD COLUMN details TEXT;
CREATE TABLE external_id_aliases (
  alias       TEXT PRIMARY KEY,
  external_id TEXT NOT NULL
) WITHOUT ROWID;
)sql";

// Version 3: each audit row names the HTTP request that made it (the x-amzn-RequestId the client saw)
constexpr const char* kVersion3 = R"sql(
ALTER TABLE audit_events ADD COLUMN request_id TEXT;
)sql";

// Version 4: templates at rest (store/template_sealer.h, docs/security.md). face_embeddings.embedding
// holds sealed blobs; key_version names the data key that sealed each (the blob's header says the same,
// bound by its tag); template_keys holds the data keys, wrapped by the KEK. Rows of an older database
// get key_version 0 (plain) and, when there are any, the version 0 marker that lets them be read until the
// store, opened with a KEK, has sealed them (the same batches as `facegate keys rotate-data-key`).
constexpr const char* kVersion4 = R"sql(
CREATE TABLE template_keys (
  version    INTEGER PRIMARY KEY CHECK (version >= 0),
  kek_id     TEXT NOT NULL,
  wrapped    BLOB NOT NULL,
  active     INTEGER NOT NULL CHECK (active IN (0, 1)),
  created_ms INTEGER NOT NULL
);
CREATE UNIQUE INDEX template_keys_one_active ON template_keys(active) WHERE active = 1;
ALTER TABLE face_embeddings ADD COLUMN key_version INTEGER NOT NULL DEFAULT 0;
CREATE INDEX face_embeddings_by_key_version ON face_embeddings(key_version);
INSERT INTO template_keys(version, kek_id, wrapped, active, created_ms)
  SELECT 0, '', x'', 0, 0 WHERE EXISTS (SELECT 1 FROM face_embeddings);
)sql";


// Version 5: state a deployment shares (Store::update_document, Store::count_in_window): small named
// documents replaced whole (the key lists of a shared store), and the requests counted by shared rate
// limits (a row per counted request, pruned as its window passes)
constexpr const char* kVersion5 = R"sql(
CREATE TABLE documents (
  name       TEXT PRIMARY KEY,
  version    INTEGER NOT NULL,
  body       TEXT NOT NULL,
  updated_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE rate_events (
  id        INTEGER PRIMARY KEY,
  rate_key  TEXT NOT NULL,
  time_ms   INTEGER NOT NULL
);
CREATE INDEX rate_events_by_key ON rate_events(rate_key, time_ms);
CREATE INDEX rate_events_by_time ON rate_events(time_ms);
)sql";

// Version 6: verification sessions (Store::create_session): one row each, the client secret as its SHA-256 only
constexpr const char* kVersion6 = R"sql(
CREATE TABLE sessions (
  session_id    TEXT PRIMARY KEY,
  owner         TEXT NOT NULL,
  secret_sha256 TEXT NOT NULL,
  action        TEXT NOT NULL,
  collection_id TEXT NOT NULL,
  external_id   TEXT NOT NULL,
  return_url    TEXT NOT NULL,
  base_url      TEXT NOT NULL,
  options       TEXT NOT NULL,
  status        TEXT NOT NULL,
  attempts      INTEGER NOT NULL,
  created_ms    INTEGER NOT NULL,
  updated_ms    INTEGER NOT NULL,
  expires_ms    INTEGER NOT NULL,
  result        TEXT NOT NULL,
  public_result TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_by_expiry ON sessions(expires_ms);
)sql";

// Version 7: the webhooks' outbox (Store::update_session with deliveries, claim_deliveries) and the sessions'
// list, newest first
constexpr const char* kVersion7 = R"sql(
CREATE TABLE webhook_deliveries (
  id               INTEGER PRIMARY KEY,
  delivery_id      TEXT NOT NULL UNIQUE,
  webhook_id       TEXT NOT NULL,
  event_id         TEXT NOT NULL,
  event_type       TEXT NOT NULL,
  session_id       TEXT NOT NULL,
  body             TEXT NOT NULL,
  status           TEXT NOT NULL,
  attempts         INTEGER NOT NULL,
  created_ms       INTEGER NOT NULL,
  updated_ms       INTEGER NOT NULL,
  next_attempt_ms  INTEGER NOT NULL,
  give_up_ms       INTEGER NOT NULL,
  delivered_ms     INTEGER NOT NULL,
  last_status_code INTEGER NOT NULL,
  last_error       TEXT NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_attempt_ms);
CREATE INDEX webhook_deliveries_by_creation ON webhook_deliveries(created_ms, delivery_id);
CREATE INDEX sessions_by_creation ON sessions(created_ms, session_id);
)sql";

// kSteps[i] upgrades version i to version i + 1
constexpr const char* kSteps[] = {kVersion1, kVersion2, kVersion3, kVersion4, kVersion5, kVersion6, kVersion7};
static_assert(sizeof(kSteps) / sizeof(kSteps[0]) == kSchemaVersion, "one migration step per schema version");

[[noreturn]] void refuse(std::string message) { throw Error(ErrorCode::STORE_UNAVAILABLE, std::move(message)); }

} // namespace

int schema_version(sqlite::Connection& db) { return static_cast<int>(db.query_integer("PRAGMA user_version")); }

int migrate(sqlite::Connection& db) {
    db.exec("BEGIN IMMEDIATE");
    try {
        const int found = schema_version(db);
        const std::int64_t application_id = db.query_integer("PRAGMA application_id");
        if (application_id != 0 && application_id != kApplicationId)
            refuse("store: the database file belongs to another application");
        if (application_id == 0 &&
            (found != 0 || db.query_integer("SELECT count(*) FROM sqlite_schema") != 0))
            refuse("store: the database file is not empty and not a facegate database");
        if (found > kSchemaVersion)
            refuse("store: the database has schema version " + std::to_string(found) +
                   ", newer than this build's " + std::to_string(kSchemaVersion) + "; upgrade facegate");
        for (int version = found; version < kSchemaVersion; ++version) db.exec(kSteps[version]);
        if (found != kSchemaVersion) {
            db.exec(("PRAGMA application_id = " + std::to_string(kApplicationId)).c_str());
            db.exec(("PRAGMA user_version = " + std::to_string(kSchemaVersion)).c_str());
        }
        db.exec("COMMIT");
        return found;
    } catch (...) {
        if (db.in_transaction()) {
            try {
                db.exec("ROLLBACK");
            } catch (...) {
            }
        }
        throw;
    }
}

} // namespace facegate::sqlite_schema
