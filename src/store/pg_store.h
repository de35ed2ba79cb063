// SPDX-License-Identifier: MIT
#pragma once

// The shared Store backend: one PostgreSQL database that several facegate servers (and the CLI) use
// at once. Same behaviour, errors and page tokens as SqliteStore; what differs is below.
//
// Writes: every write transaction first takes one store-wide transaction-level advisory lock, so the
// writes of all nodes are serialised as SQLite's are. That keeps the change feed's seqs in commit
// order and without holes, and makes the ClientRequestToken checks, the 100-faces-per-user limit and
// the image-digest de-duplication race-free across nodes. count_in_window takes a lock of its own key
// instead, and run_exclusively a session-level lock of its name on a connection of its own.
//
// Reads: REPEATABLE READ READ ONLY transactions (a snapshot). scan_embeddings streams keyset batches
// (a short transaction each), so a start-up on a million faces never holds them all or a snapshot for
// long; it returns the feed position read before the first batch (re-applying later changes is harmless).
//
// Change feed and documents: face writes NOTIFY facegate_changes and document updates NOTIFY
// facegate_documents at commit. A listener thread with its own connection keeps the newest seq and the
// document versions; while it is connected, face_changes_since answers "no changes" and
// document_version answers from memory without a round trip. A write of another node reaches them when
// its notification arrives (normally well under a millisecond after its commit); this process's own
// writes at once. While the listener is disconnected (it reconnects by itself), everything queries.
//
// Faults: connections time out after connect_timeout, queries and lock waits after query_timeout
// (client deadline, cancelled, plus statement_timeout and lock_timeout on the server), all giving
// Error STORE_UNAVAILABLE; a broken connection is dropped from the pool and the next use reconnects; a
// transaction whose connection broke before its COMMIT was sent is run once more on a fresh one, and
// one that hit a serialization failure or deadlock up to three times.
//
// Erasure: PostgreSQL keeps deleted and replaced rows as dead tuples (and in its WAL) until VACUUM
// reclaims the space and the WAL segments are recycled; do_scrub runs a best-effort VACUUM of the
// embeddings and keys tables, at most every 10 s (the rest by prune()). Old bytes stay sealed.

#include "store/store.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>

namespace facegate {

namespace pg {
class Connection;
}

struct PgStoreOptions {
    std::string conninfo;                    // any libpq connection URI ("postgresql://...") or key=value string
    std::size_t max_connections = 8;         // pool size, at least 1 (run_exclusively's locks use their own)
    std::chrono::milliseconds connect_timeout{3000};
    std::chrono::milliseconds query_timeout{5000}; // a query (or lock wait) longer than this: STORE_UNAVAILABLE
    std::string arn_prefix = "arn:aws:rekognition:local:000000000000:collection/";
    std::int64_t change_retention_ms = 7LL * 24 * 3600 * 1000;
    std::function<std::int64_t()> clock_ms;  // ms since the epoch; default: the system clock (tests inject one)
    // templates at rest: as SqliteStoreOptions
    std::function<std::optional<Kek>()> kek_source;
    std::function<Kek()> create_kek;
};

class PgStore final : public Store {
  public:
    // connects, creates or migrates the schema, opens the templates; Error STORE_UNAVAILABLE on failure
    explicit PgStore(PgStoreOptions options);
    ~PgStore() override;
    PgStore(const PgStore&) = delete;
    PgStore& operator=(const PgStore&) = delete;

    int schema_version();

  protected:
    CollectionInfo do_create_collection(std::string_view collection_id, std::string_view face_model_version) override;
    void do_delete_collection(std::string_view collection_id) override;
    CollectionDescription do_describe_collection(std::string_view collection_id) override;
    std::optional<CollectionInfo> do_get_collection(std::string_view collection_id) override;
    CollectionPage do_list_collections(const PageRequest& page) override;

    AddFacesResult do_add_faces(std::string_view collection_id, const NewImageFaces& image,
                                const TokenRecord<AddFacesResult>* token) override;
    std::vector<FaceRecord> do_find_faces_by_image(std::string_view collection_id,
                                                   const std::optional<std::string>& external_image_id,
                                                   std::string_view image_digest) override;
    FacePage do_list_faces(std::string_view collection_id, const FaceFilter& filter, const PageRequest& page) override;
    std::vector<FaceRecord> do_get_faces(std::string_view collection_id, const std::vector<std::string>& face_ids,
                                         bool with_embeddings) override;
    DeleteFacesResult do_delete_faces(std::string_view collection_id, const std::vector<std::string>& face_ids) override;
    std::vector<FaceRecord> do_faces_by_external_id(std::string_view collection_id,
                                                    std::string_view external_image_id) override;
    std::vector<FaceRecord> do_delete_faces_by_external_id(std::string_view collection_id,
                                                           std::string_view external_image_id) override;
    std::vector<ExternalIdSummary> do_list_external_ids(std::string_view collection_id, std::string_view prefix,
                                                        std::size_t limit) override;
    std::int64_t do_count_external_ids(std::string_view collection_id) override;
    void do_put_external_id_alias(std::string_view alias, std::string_view external_id) override;
    std::optional<std::string> do_external_id_for_alias(std::string_view alias) override;
    std::int64_t do_scan_embeddings(std::string_view collection_id, std::int64_t after_row_id,
                                    const std::function<void(FaceEmbedding&&)>& on_face) override;

    UserRecord do_create_user(std::string_view collection_id, std::string_view user_id,
                              const TokenRecord<UserRecord>* token) override;
    DeleteUserResult do_delete_user(std::string_view collection_id, std::string_view user_id,
                                    const TokenRecord<DeleteUserResult>* token) override;
    std::optional<UserRecord> do_get_user(std::string_view collection_id, std::string_view user_id) override;
    UserPage do_list_users(std::string_view collection_id, const PageRequest& page) override;
    AssociateFacesResult do_associate_faces(std::string_view collection_id, std::string_view user_id,
                                            const std::vector<std::string>& face_ids,
                                            const TokenRecord<AssociateFacesResult>* token) override;
    DisassociateFacesResult do_disassociate_faces(std::string_view collection_id, std::string_view user_id,
                                                  const std::vector<std::string>& face_ids,
                                                  const TokenRecord<DisassociateFacesResult>* token) override;

    std::optional<TokenEntry> do_recall(std::string_view operation, std::string_view token) override;
    TokenEntry do_remember(std::string_view operation, std::string_view token, std::string_view request_hash,
                           std::string_view response) override;

    std::int64_t do_append_audit(const AuditEvent& event) override;
    AuditPage do_query_audit(const AuditQuery& query) override;

    FaceChangeBatch do_face_changes_since(std::int64_t after_seq, std::size_t limit) override;
    void do_prune() override;

    std::optional<StoredDocument> do_read_document(std::string_view name) override;
    std::int64_t do_document_version(std::string_view name) override;
    StoredDocument do_update_document(
        std::string_view name, const std::function<std::string(const std::optional<std::string>&)>& change) override;
    WindowCount do_count_in_window(std::string_view key, std::int64_t window_ms, std::uint32_t max_requests) override;
    // a session-level advisory lock of the name, held on a connection of its own (not the pool's, so that
    // `work` can use every pooled connection), waited for up to query_timeout
    void do_run_exclusively(std::string_view name, const std::function<void()>& work) override;
    bool do_ping() noexcept override;
    void do_create_session(const SessionRecord& session) override;
    std::optional<SessionRecord> do_get_session(std::string_view session_id) override;
    bool do_update_session(const SessionRecord& next, SessionStatus expected_status, std::uint32_t expected_attempts,
                           const std::vector<DeliveryRecord>& outbox) override;
    std::vector<SessionRecord> do_list_sessions(const SessionQuery& query) override;
    // the outbox (sqlite_outbox.cpp / pg_outbox.cpp)
    std::vector<DeliveryRecord> do_claim_deliveries(std::int64_t now_ms, std::int64_t lease_ms,
                                                    std::size_t limit) override;
    bool do_record_delivery(const DeliveryRecord& next) override;
    std::optional<DeliveryRecord> do_get_delivery(std::string_view delivery_id) override;
    std::vector<DeliveryRecord> do_list_deliveries(const DeliveryQuery& query) override;
    ImportCounts do_import_rows(const CollectionRows& rows) override;
    std::vector<StoredToken> do_export_tokens() override;
    ImportCounts do_import_tokens(const std::vector<StoredToken>& tokens) override;

    std::vector<DataKeyRecord> do_load_data_keys() override;
    bool do_replace_data_keys(const std::vector<DataKeyRecord>& expected,
                              const std::vector<DataKeyRecord>& keys) override;
    std::optional<std::size_t> do_reseal_batch(
        std::uint32_t target, std::size_t limit,
        const std::function<std::string(const StoredTemplate&, const DataKeyLoader&)>& reseal) override;
    std::uint64_t do_count_templates_below(std::uint32_t version) override;
    bool do_retire_data_keys(std::uint32_t target) override;
    void do_scrub() override;

  private:
    class Pool;
    class Listener;
    struct Tx;
    static void insert_delivery(Tx& tx, const DeliveryRecord& delivery);

    std::int64_t now_ms() const;
    std::unique_ptr<pg::Connection> open_connection(int stop_fd = -1,
                                                   std::optional<std::chrono::milliseconds> wait = std::nullopt) const;

    // run `work(tx)` in a REPEATABLE READ READ ONLY transaction / in a write transaction holding the
    // store-wide lock (or, with `lock_key`, that key's lock only), committed before returning; any
    // exception rolls back and propagates. Retries as described in the header comment
    template <class Work>
    auto read(Work&& work);
    template <class Work>
    auto write(Work&& work, std::optional<std::int64_t> lock_key = std::nullopt);
    template <class Work>
    auto transact(bool writing, std::optional<std::int64_t> lock_key, Work&& work);

    PgStoreOptions options_;
    std::string settings_; // SET statements every connection runs once
    std::unique_ptr<Pool> pool_;
    std::unique_ptr<Pool> lock_pool_; // run_exclusively's connections
    std::atomic<std::int64_t> local_seq_{0}; // the newest seq this process committed
    std::mutex scrub_mutex_;
    std::chrono::steady_clock::time_point last_scrub_{};
    std::atomic<bool> scrub_pending_{false};
    std::unique_ptr<Listener> listener_; // last: stopped first
};

} // namespace facegate
