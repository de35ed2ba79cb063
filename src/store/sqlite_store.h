// SPDX-License-Identifier: MIT
#pragma once

// The embedded Store backend: one SQLite database file in a data directory.
//
// Durability: WAL journal. With synchronous_full (the default) every commit fsyncs the WAL, so an
// acknowledged write survives kill -9 and also power loss or a kernel crash. With it off
// (synchronous=NORMAL) a commit is still written to the WAL before it returns, so it survives
// kill -9 of the process (the kernel keeps the written pages), but the last commits can be lost on
// power loss; the database stays consistent either way.
//
// Concurrency: a pool of up to max_connections connections, each used by one thread at a time.
// Reads run in parallel, each in its own read transaction (a consistent snapshot, WAL readers do not
// block writers). Writes from this process are serialized by a mutex and run as BEGIN IMMEDIATE
// transactions, so a write never fails half-way on a lock upgrade; writes from other processes
// (the CLI, another server) wait for the file lock up to busy_timeout, then fail with
// STORE_UNAVAILABLE and nothing applied.
//
// Files: the data directory is created with mode 0700 and the database with mode 0600 (the WAL and
// shared-memory files inherit it): embeddings are biometric data. The directory must be on a local
// file system: WAL needs shared memory between the processes that open the file (not NFS/SMB).
//
// Erasure: embeddings are stored sealed (Store::open_templates). Every connection runs with
// secure_delete = ON (deleted and overwritten content is zeroed in the pages), and after an erasure
// (faces, a collection, a user with faces, by external id), a key rotation or the sealing of an older
// database the WAL is checkpointed and truncated, so the old bytes leave the -wal file as well; a
// checkpoint that readers hold up is retried after the next write and by prune().

#include "store/store.h"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>

namespace facegate {

namespace sqlite {
class Connection;
}

struct SqliteStoreOptions {
    std::filesystem::path data_dir;          // created if missing
    std::string file_name = "facegate.db";
    bool synchronous_full = true;            // see "Durability" above
    std::chrono::milliseconds busy_timeout{5000}; // wait for another process's lock before STORE_UNAVAILABLE
    std::size_t max_connections = 4;         // at least 1; readers beyond it wait for a free connection
    std::string arn_prefix = "arn:aws:rekognition:local:000000000000:collection/";
    std::int64_t change_retention_ms = 7LL * 24 * 3600 * 1000; // the change feed keeps a week
    std::function<std::int64_t()> clock_ms;  // ms since the epoch; default: the system clock (tests inject one)
    // templates at rest (Store::open_templates, store/kek_source.h): where the key-encryption key comes from
    // (nullopt: none configured; called at open and again when the data keys turn out wrapped by another
    // KEK), and what makes one when none is configured and nothing is sealed yet (empty: refuse)
    std::function<std::optional<Kek>()> kek_source;
    std::function<Kek()> create_kek;
};

class SqliteStore final : public Store {
  public:
    // opens or creates the database and migrates its schema; Error STORE_UNAVAILABLE on failure
    explicit SqliteStore(SqliteStoreOptions options);
    ~SqliteStore() override;
    SqliteStore(const SqliteStore&) = delete;
    SqliteStore& operator=(const SqliteStore&) = delete;

    const std::filesystem::path& database_path() const { return path_; }
    int schema_version();
    // PRAGMA integrity_check and foreign_key_check: the problems found, empty when the file is sound
    std::vector<std::string> check_integrity();

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

    std::vector<DataKeyRecord> do_load_data_keys() override;
    bool do_replace_data_keys(const std::vector<DataKeyRecord>& expected,
                              const std::vector<DataKeyRecord>& keys) override;
    std::optional<std::size_t> do_reseal_batch(
        std::uint32_t target, std::size_t limit,
        const std::function<std::string(const StoredTemplate&, const DataKeyLoader&)>& reseal) override;
    std::uint64_t do_count_templates_below(std::uint32_t version) override;
    bool do_retire_data_keys(std::uint32_t target) override;
    void do_scrub() override;

    std::optional<StoredDocument> do_read_document(std::string_view name) override;
    std::int64_t do_document_version(std::string_view name) override;
    StoredDocument do_update_document(
        std::string_view name, const std::function<std::string(const std::optional<std::string>&)>& change) override;
    WindowCount do_count_in_window(std::string_view key, std::int64_t window_ms, std::uint32_t max_requests) override;
    // one process per SQLite store serves requests: the lock is this process's (the CLI's writes are
    // serialised by the database file's lock)
    void do_run_exclusively(std::string_view name, const std::function<void()>& work) override;
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

  private:
    class Pool;

    std::int64_t now_ms() const;
    std::unique_ptr<sqlite::Connection> open_connection(bool create) const;
    std::unique_ptr<sqlite::Connection> open_and_migrate() const; // the first connection, schema current
    void checkpoint(sqlite::Connection& c);

    // run `work(connection)` in a read transaction (a consistent snapshot) / in a BEGIN IMMEDIATE
    // write transaction committed before returning; any exception rolls back and propagates
    template <class Work>
    auto read(Work&& work);
    template <class Work>
    auto write(Work&& work);

    SqliteStoreOptions options_;
    std::filesystem::path path_;
    std::unique_ptr<Pool> pool_;
    std::mutex write_mutex_; // serializes this process's write transactions (cheaper than SQLite's busy polling)
    std::mutex exclusive_mutex_; // do_run_exclusively
    std::atomic<bool> scrub_pending_{false}; // an erasure's checkpoint could not finish yet (readers held it up)
};

} // namespace facegate
