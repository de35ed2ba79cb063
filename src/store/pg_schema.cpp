// SPDX-License-Identifier: MIT
#include "store/pg_schema.h"

#include <string>

namespace facegate::pg_schema {

namespace {

// Version 1: the schema of SQLite's version 5, in PostgreSQL's types.
// - Identity keys (collection_key, user_key, faces.row_id, audit seq) come from sequences and are never
//   reused, which is what the in-memory vector indexes and keyset pagination rely on.
// - The change feed's seqs are NOT a sequence: a rolled-back transaction would leave a hole, and a hole
//   means "pruned" to a consumer. face_feed.last_seq is bumped in the (store-wide locked) write
//   transaction instead, so seqs are consecutive and in commit order, and pruning never lowers it.
// - Text compared or ordered by the store (ids, external image ids) uses the "C" collation: byte order,
//   as in SQLite, whatever the database's locale.
// - Embeddings (sealed) and wrapped keys are bytea; times are milliseconds since the Unix epoch.
constexpr const char* kVersion1 = R"sql(
CREATE TABLE collections (
  collection_key     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  collection_id      text COLLATE "C" NOT NULL UNIQUE,
  arn                text NOT NULL,
  face_model_version text NOT NULL,
  created_ms         bigint NOT NULL
);

CREATE TABLE users (
  user_key       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  collection_key bigint NOT NULL REFERENCES collections(collection_key) ON DELETE CASCADE,
  user_id        text COLLATE "C" NOT NULL,
  status         text NOT NULL CHECK (status IN ('CREATING', 'CREATED', 'UPDATING', 'ACTIVE')),
  created_ms     bigint NOT NULL,
  updated_ms     bigint NOT NULL,
  UNIQUE (collection_key, user_id)
);

CREATE TABLE faces (
  row_id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  collection_key    bigint NOT NULL REFERENCES collections(collection_key) ON DELETE CASCADE,
  face_id           text COLLATE "C" NOT NULL UNIQUE,
  image_id          text NOT NULL,
  external_image_id text COLLATE "C",
  image_digest      text COLLATE "C",
  bbox_width        double precision NOT NULL,
  bbox_height       double precision NOT NULL,
  bbox_left         double precision NOT NULL,
  bbox_top          double precision NOT NULL,
  confidence        double precision NOT NULL,
  model_version     text NOT NULL,
  created_ms        bigint NOT NULL,
  user_key          bigint REFERENCES users(user_key) ON DELETE SET NULL
);
CREATE INDEX faces_by_collection ON faces(collection_key, row_id);
CREATE INDEX faces_by_external_id ON faces(collection_key, external_image_id) WHERE external_image_id IS NOT NULL;
CREATE INDEX faces_by_digest ON faces(collection_key, image_digest) WHERE image_digest IS NOT NULL;
CREATE INDEX faces_by_user ON faces(user_key, row_id) WHERE user_key IS NOT NULL;

-- sealed embeddings (Store::seal_embedding); key_version names the data key
CREATE TABLE face_embeddings (
  row_id      bigint PRIMARY KEY REFERENCES faces(row_id) ON DELETE CASCADE,
  embedding   bytea NOT NULL,
  key_version integer NOT NULL DEFAULT 0
);
CREATE INDEX face_embeddings_by_key_version ON face_embeddings(key_version);

CREATE TABLE template_keys (
  version    integer PRIMARY KEY CHECK (version >= 0),
  kek_id     text NOT NULL,
  wrapped    bytea NOT NULL,
  active     boolean NOT NULL,
  created_ms bigint NOT NULL
);
CREATE UNIQUE INDEX template_keys_one_active ON template_keys(active) WHERE active;

CREATE TABLE request_tokens (
  operation    text COLLATE "C" NOT NULL,
  token        text COLLATE "C" NOT NULL,
  request_hash text NOT NULL,
  response     text NOT NULL,
  created_ms   bigint NOT NULL,
  PRIMARY KEY (operation, token)
);
CREATE INDEX request_tokens_by_time ON request_tokens(created_ms);

CREATE TABLE audit_events (
  seq               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  time_ms           bigint NOT NULL,
  operation         text COLLATE "C" NOT NULL,
  collection_id     text COLLATE "C",
  external_image_id text COLLATE "C",
  user_id           text COLLATE "C",
  outcome           text NOT NULL,
  caller_key_id     text COLLATE "C",
  details           text,
  request_id        text
);
CREATE INDEX audit_by_time ON audit_events(time_ms);
CREATE INDEX audit_by_collection ON audit_events(collection_id) WHERE collection_id IS NOT NULL;
CREATE INDEX audit_by_external_id ON audit_events(external_image_id) WHERE external_image_id IS NOT NULL;
CREATE INDEX audit_by_user ON audit_events(user_id) WHERE user_id IS NOT NULL;

CREATE TABLE audit_faces (
  seq     bigint NOT NULL REFERENCES audit_events(seq) ON DELETE CASCADE,
  ord     integer NOT NULL,
  face_id text COLLATE "C" NOT NULL,
  PRIMARY KEY (seq, ord)
);
CREATE INDEX audit_faces_by_face ON audit_faces(face_id);

CREATE TABLE face_changes (
  seq           bigint PRIMARY KEY,
  collection_id text NOT NULL,
  kind          text NOT NULL,
  row_id        bigint NOT NULL,
  face_id       text NOT NULL,
  created_ms    bigint NOT NULL
);
CREATE INDEX face_changes_by_time ON face_changes(created_ms);
CREATE TABLE face_feed (
  last_seq bigint NOT NULL
);
INSERT INTO face_feed(last_seq) VALUES (0);

CREATE TABLE external_id_aliases (
  alias       text COLLATE "C" PRIMARY KEY,
  external_id text NOT NULL
);

CREATE TABLE documents (
  name       text COLLATE "C" PRIMARY KEY,
  version    bigint NOT NULL,
  body       text NOT NULL,
  updated_ms bigint NOT NULL
);

CREATE TABLE rate_events (
  id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  rate_key text COLLATE "C" NOT NULL,
  time_ms  bigint NOT NULL
);
CREATE INDEX rate_events_by_key ON rate_events(rate_key, time_ms);
CREATE INDEX rate_events_by_time ON rate_events(time_ms);
)sql";

// Version 2: verification sessions (Store::create_session): one row each, the client secret as its SHA-256 only
constexpr const char* kVersion2 = R"sql(
CREATE TABLE sessions (
  session_id    text COLLATE "C" PRIMARY KEY,
  owner         text NOT NULL,
  secret_sha256 text NOT NULL,
  action        text NOT NULL,
  collection_id text NOT NULL,
  external_id   text NOT NULL,
  return_url    text NOT NULL,
  base_url      text NOT NULL,
  options       text NOT NULL,
  status        text NOT NULL,
  attempts      bigint NOT NULL,
  created_ms    bigint NOT NULL,
  updated_ms    bigint NOT NULL,
  expires_ms    bigint NOT NULL,
  result        text NOT NULL,
  public_result text NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions(expires_ms);
)sql";

// Version 3: the webhooks' outbox (Store::update_session with deliveries, claim_deliveries) and the sessions'
// list, newest first
constexpr const char* kVersion3 = R"sql(
CREATE TABLE webhook_deliveries (
  delivery_id      text COLLATE "C" PRIMARY KEY,
  webhook_id       text COLLATE "C" NOT NULL,
  event_id         text NOT NULL,
  event_type       text NOT NULL,
  session_id       text NOT NULL,
  body             text NOT NULL,
  status           text NOT NULL,
  attempts         bigint NOT NULL,
  created_ms       bigint NOT NULL,
  updated_ms       bigint NOT NULL,
  next_attempt_ms  bigint NOT NULL,
  give_up_ms       bigint NOT NULL,
  delivered_ms     bigint NOT NULL,
  last_status_code bigint NOT NULL,
  last_error       text NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_attempt_ms);
CREATE INDEX webhook_deliveries_by_creation ON webhook_deliveries(created_ms, delivery_id);
CREATE INDEX sessions_by_creation ON sessions(created_ms, session_id);
)sql";

// kSteps[i] upgrades version i to version i + 1
constexpr const char* kSteps[] = {kVersion1, kVersion2, kVersion3};
static_assert(sizeof(kSteps) / sizeof(kSteps[0]) == kSchemaVersion, "one migration step per schema version");

[[noreturn]] void refuse(std::string message) { throw Error(ErrorCode::STORE_UNAVAILABLE, std::move(message)); }

bool has_version_table(pg::Connection& db, pg::Clock::time_point deadline) {
    return db.query("schema check", "SELECT to_regclass('facegate_schema') IS NOT NULL", {}, deadline).boolean(0, 0);
}

} // namespace

int schema_version(pg::Connection& db, pg::Clock::time_point deadline) {
    if (!has_version_table(db, deadline)) return 0;
    pg::Result r = db.query("schema version", "SELECT coalesce(max(version), 0) FROM facegate_schema", {}, deadline);
    return static_cast<int>(r.integer(0, 0));
}

int migrate(pg::Connection& db, pg::Clock::time_point deadline) {
    db.exec("schema migration", "BEGIN", deadline);
    try {
        db.query("schema migration", "SELECT pg_advisory_xact_lock($1::bigint)", {kMigrationLock}, deadline);
        const int found = schema_version(db, deadline);
        if (found == 0 && has_version_table(db, deadline))
            refuse("store: the PostgreSQL database has an empty facegate_schema table: it was altered");
        if (found == 0) {
            // the tables of the schema the store would use: none may be there yet
            pg::Result r = db.query("schema check",
                                    "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                                    "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')",
                                    {}, deadline);
            if (r.integer(0, 0) != 0)
                refuse("store: the PostgreSQL database is not empty and not a facegate database");
        }
        if (found > kSchemaVersion)
            refuse("store: the PostgreSQL database has schema version " + std::to_string(found) +
                   ", newer than this build's " + std::to_string(kSchemaVersion) + "; upgrade facegate");
        if (found == 0) db.exec("schema migration", "CREATE TABLE facegate_schema (version integer NOT NULL)", deadline);
        for (int version = found; version < kSchemaVersion; ++version)
            db.exec("schema migration to version " + std::to_string(version + 1), kSteps[version], deadline);
        if (found != kSchemaVersion) {
            db.exec("schema migration", "DELETE FROM facegate_schema", deadline);
            db.query("schema migration", "INSERT INTO facegate_schema(version) VALUES ($1::integer)", {kSchemaVersion},
                     deadline);
        }
        db.exec("schema migration", "COMMIT", deadline);
        return found;
    } catch (...) {
        if (!db.broken() && db.in_transaction()) {
            try {
                db.exec("schema migration", "ROLLBACK", deadline);
            } catch (...) {
                db.mark_broken();
            }
        }
        throw;
    }
}

} // namespace facegate::pg_schema
