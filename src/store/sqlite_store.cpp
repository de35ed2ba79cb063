// SPDX-License-Identifier: MIT
#include "store/sqlite_store.h"

#include "store/page_token.h"
#include "store/sqlite_db.h"
#include "store/sqlite_schema.h"

#include "common/error.h"

#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <thread>
#include <type_traits>
#include <unordered_set>

namespace facegate {

using sqlite::Connection;
using sqlite::Statement;

//
// the connection pool
//

class SqliteStore::Pool {
  public:
    using Opener = std::function<std::unique_ptr<Connection>()>;

    // a connection on loan to one thread; returned to the pool (or closed, if discarded) on destruction
    class Lease {
      public:
        Lease(Pool& pool, std::unique_ptr<Connection> connection) : pool_(pool), connection_(std::move(connection)) {}
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        ~Lease() { pool_.release(std::move(connection_), discard_); }
        Connection& connection() { return *connection_; }
        // the connection is in an unknown state (a failed rollback): close it instead of reusing it
        void discard() { discard_ = true; }

      private:
        Pool& pool_;
        std::unique_ptr<Connection> connection_;
        bool discard_ = false;
    };

    Pool(std::size_t max_connections, Opener opener) : max_(max_connections), opener_(std::move(opener)) {}

    void adopt(std::unique_ptr<Connection> connection) {
        std::lock_guard lock(mutex_);
        ++open_;
        idle_.push_back(std::move(connection));
    }

    Lease acquire() {
        std::unique_lock lock(mutex_);
        available_.wait(lock, [&] { return !idle_.empty() || open_ < max_; });
        if (!idle_.empty()) {
            std::unique_ptr<Connection> connection = std::move(idle_.back());
            idle_.pop_back();
            return Lease(*this, std::move(connection));
        }
        ++open_; // reserve the slot, open outside the lock
        lock.unlock();
        try {
            return Lease(*this, opener_());
        } catch (...) {
            lock.lock();
            --open_;
            available_.notify_one();
            throw;
        }
    }

  private:
    void release(std::unique_ptr<Connection> connection, bool discard) {
        std::lock_guard lock(mutex_);
        if (discard || !connection)
            --open_;
        else
            idle_.push_back(std::move(connection));
        available_.notify_one();
    }

    std::mutex mutex_;
    std::condition_variable available_;
    std::vector<std::unique_ptr<Connection>> idle_;
    std::size_t open_ = 0;
    const std::size_t max_;
    const Opener opener_;
};

namespace {

//
// rows
//

// f.user_key is column 12: internal, not part of FaceRecord
const std::string kSelectFace =
    "SELECT f.row_id, f.face_id, f.image_id, f.external_image_id, f.bbox_width, f.bbox_height, f.bbox_left, "
    "f.bbox_top, f.confidence, f.model_version, f.created_ms, u.user_id, f.user_key "
    "FROM faces f LEFT JOIN users u ON u.user_key = f.user_key ";

FaceRecord read_face(const Statement& st) {
    FaceRecord face;
    face.row_id = st.integer(0);
    face.face_id = st.text(1);
    face.image_id = st.text(2);
    face.external_image_id = st.optional_text(3);
    face.bounding_box = {static_cast<float>(st.real(4)), static_cast<float>(st.real(5)),
                         static_cast<float>(st.real(6)), static_cast<float>(st.real(7))};
    face.confidence = static_cast<float>(st.real(8));
    face.model_version = st.text(9);
    face.created_ms = st.integer(10);
    face.user_id = st.optional_text(11);
    return face;
}

struct CollectionRow {
    std::int64_t key = 0;
    CollectionInfo info;
};

std::string missing_collection(std::string_view id) {
    return "The collection id: " + std::string(id) + " does not exist";
}

std::optional<CollectionRow> find_collection(Connection& c, std::string_view id) {
    Statement st = c.prepare("SELECT collection_key, collection_id, arn, face_model_version, created_ms "
                             "FROM collections WHERE collection_id = ?1");
    st.bind(1, id);
    if (!st.step()) return std::nullopt;
    return CollectionRow{st.integer(0), CollectionInfo{st.text(1), st.text(2), st.text(3), st.integer(4)}};
}

CollectionRow require_collection(Connection& c, std::string_view id) {
    std::optional<CollectionRow> row = find_collection(c, id);
    if (!row) throw Error(ErrorCode::RESOURCE_NOT_FOUND, missing_collection(id));
    return std::move(*row);
}

UserStatus parse_user_status(const std::string& text) {
    if (text == "ACTIVE") return UserStatus::ACTIVE;
    if (text == "UPDATING") return UserStatus::UPDATING;
    if (text == "CREATING") return UserStatus::CREATING;
    return UserStatus::CREATED;
}

struct UserRow {
    std::int64_t key = 0;
    UserRecord record;
};

const std::string kSelectUser = "SELECT u.user_key, u.user_id, u.status, u.created_ms, u.updated_ms, "
                                "(SELECT count(*) FROM faces f WHERE f.user_key = u.user_key) FROM users u ";

UserRow read_user(const Statement& st) {
    return UserRow{st.integer(0), UserRecord{st.text(1), parse_user_status(st.text(2)), st.integer(3), st.integer(4),
                                             static_cast<std::uint64_t>(st.integer(5))}};
}

std::optional<UserRow> find_user(Connection& c, std::int64_t collection_key, std::string_view user_id) {
    Statement st = c.prepare(kSelectUser + "WHERE u.collection_key = ?1 AND u.user_id = ?2");
    st.bind(1, collection_key).bind(2, user_id);
    if (!st.step()) return std::nullopt;
    return read_user(st);
}

UserRow require_user(Connection& c, std::int64_t collection_key, std::string_view user_id) {
    std::optional<UserRow> row = find_user(c, collection_key, user_id);
    if (!row) throw Error(ErrorCode::RESOURCE_NOT_FOUND, "The user id: " + std::string(user_id) + " does not exist");
    return std::move(*row);
}

std::uint64_t user_face_count(Connection& c, std::int64_t user_key) {
    Statement st = c.prepare("SELECT count(*) FROM faces WHERE user_key = ?1");
    st.bind(1, user_key);
    st.step();
    return static_cast<std::uint64_t>(st.integer(0));
}

// CREATED while the user has no faces, ACTIVE once it has some
UserStatus refresh_user_status(Connection& c, std::int64_t user_key, std::int64_t now) {
    UserStatus status = user_face_count(c, user_key) > 0 ? UserStatus::ACTIVE : UserStatus::CREATED;
    Statement st = c.prepare("UPDATE users SET status = ?2, updated_ms = ?3 WHERE user_key = ?1");
    st.bind(1, user_key).bind(2, user_status_name(status)).bind(3, now).run();
    return status;
}

// the face as a write needs it: its row, and the user it is tied to
struct FaceLink {
    std::int64_t row_id = 0;
    std::optional<std::int64_t> user_key;
    std::optional<std::string> user_id;
};

std::optional<FaceLink> find_face_link(Connection& c, std::int64_t collection_key, std::string_view face_id) {
    Statement st = c.prepare("SELECT f.row_id, f.user_key, u.user_id FROM faces f "
                             "LEFT JOIN users u ON u.user_key = f.user_key "
                             "WHERE f.collection_key = ?1 AND f.face_id = ?2");
    st.bind(1, collection_key).bind(2, face_id);
    if (!st.step()) return std::nullopt;
    return FaceLink{st.integer(0), st.optional_integer(1), st.optional_text(2)};
}

void set_face_user(Connection& c, std::int64_t row_id, std::optional<std::int64_t> user_key) {
    Statement st = c.prepare("UPDATE faces SET user_key = ?2 WHERE row_id = ?1");
    st.bind(1, row_id).bind(2, user_key).run();
}

void delete_face_row(Connection& c, std::int64_t row_id) {
    c.prepare("DELETE FROM face_embeddings WHERE row_id = ?1").bind(1, row_id).run();
    c.prepare("DELETE FROM faces WHERE row_id = ?1").bind(1, row_id).run();
}

std::vector<std::string> unique_in_order(const std::vector<std::string>& ids) {
    std::vector<std::string> out;
    std::unordered_set<std::string> seen;
    for (const std::string& id : ids)
        if (seen.insert(id).second) out.push_back(id);
    return out;
}

std::int64_t sql_limit(std::size_t limit) {
    // one more row than asked, to know whether there is a next page
    return static_cast<std::int64_t>(std::min<std::size_t>(limit, 1'000'000'000)) + 1;
}

std::optional<std::string> nullable(std::string_view text) {
    if (text.empty()) return std::nullopt;
    return std::string(text);
}

//
// change feed
//

void record_change(Connection& c, std::string_view collection_id, FaceChangeKind kind, std::int64_t row_id,
                   std::string_view face_id, std::int64_t now) {
    Statement st = c.prepare("INSERT INTO face_changes(collection_id, kind, row_id, face_id, created_ms) "
                             "VALUES (?1, ?2, ?3, ?4, ?5)");
    st.bind(1, collection_id).bind(2, face_change_kind_name(kind)).bind(3, row_id).bind(4, face_id).bind(5, now).run();
}

// the newest seq ever given out (pruning does not lower it)
std::int64_t current_change_seq(Connection& c) {
    return c.query_integer("SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'face_changes'), 0)");
}

FaceChangeKind parse_change_kind(const std::string& text) {
    if (text == "FACE_DELETED") return FaceChangeKind::FACE_DELETED;
    if (text == "FACE_USER_CHANGED") return FaceChangeKind::FACE_USER_CHANGED;
    if (text == "COLLECTION_DELETED") return FaceChangeKind::COLLECTION_DELETED;
    return FaceChangeKind::FACE_ADDED;
}

//
// ClientRequestTokens
//

std::optional<TokenEntry> read_token(Connection& c, std::string_view operation, std::string_view token,
                                     std::int64_t now) {
    Statement st = c.prepare("SELECT request_hash, response, created_ms FROM request_tokens "
                             "WHERE operation = ?1 AND token = ?2 AND created_ms > ?3");
    st.bind(1, operation).bind(2, token).bind(3, now - kTokenLifetimeMs);
    if (!st.step()) return std::nullopt;
    return TokenEntry{st.text(0), st.text(1), st.integer(2)};
}

void write_token(Connection& c, std::string_view operation, std::string_view token, std::string_view request_hash,
                 std::string_view response, std::int64_t now) {
    // REPLACE: an expired entry for the same token gives way
    Statement st = c.prepare("INSERT OR REPLACE INTO request_tokens(operation, token, request_hash, response, created_ms) "
                             "VALUES (?1, ?2, ?3, ?4, ?5)");
    st.bind(1, operation).bind(2, token).bind(3, request_hash).bind(4, response).bind(5, now).run();
}

// before a write: refuse a token used with another request, replay one used with the same request
template <class Result>
void check_token(Connection& c, std::string_view operation, const TokenRecord<Result>* token, std::int64_t now) {
    if (!token) return;
    std::optional<TokenEntry> entry = read_token(c, operation, token->token, now);
    if (!entry) return;
    if (entry->request_hash != token->request_hash)
        throw Error(ErrorCode::IDEMPOTENT_PARAMETER_MISMATCH,
                    "ClientRequestToken " + token->token + " was already used with different parameters");
    throw TokenReplayed(std::move(*entry));
}

// after a write, in its transaction
template <class Result>
void save_token(Connection& c, std::string_view operation, const TokenRecord<Result>* token, const Result& result,
                std::int64_t now) {
    if (!token) return;
    write_token(c, operation, token->token, token->request_hash, token->render_response(result), now);
}

// rolls back whatever transaction is open; a connection that cannot be brought back is discarded
void rollback(Connection& c, bool& discard) {
    if (!c.in_transaction()) return;
    try {
        c.exec("ROLLBACK");
    } catch (...) {
    }
    if (c.in_transaction()) discard = true;
}

//
// templates at rest
//

std::vector<DataKeyRecord> load_data_keys(Connection& c) {
    std::vector<DataKeyRecord> keys;
    Statement st = c.prepare("SELECT version, kek_id, wrapped, active, created_ms FROM template_keys ORDER BY version");
    while (st.step())
        keys.push_back(DataKeyRecord{static_cast<std::uint32_t>(st.integer(0)), st.text(1), std::string(st.blob(2)),
                                     st.integer(3) != 0, st.integer(4)});
    return keys;
}

// the version of the key new embeddings are sealed with (0: none yet)
std::uint32_t active_key_version(Connection& c) {
    return static_cast<std::uint32_t>(
        c.query_integer("SELECT coalesce((SELECT version FROM template_keys WHERE active = 1), 0)"));
}

bool same_keys(const std::vector<DataKeyRecord>& a, const std::vector<DataKeyRecord>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i].version != b[i].version || a[i].kek_id != b[i].kek_id || a[i].wrapped != b[i].wrapped ||
            a[i].active != b[i].active)
            return false;
    return true;
}

} // namespace

//
// transactions
//

template <class Work>
auto SqliteStore::read(Work&& work) {
    Pool::Lease lease = pool_->acquire();
    Connection& c = lease.connection();
    try {
        c.exec("BEGIN"); // deferred: the snapshot is taken by the first read
        if constexpr (std::is_void_v<std::invoke_result_t<Work&, Connection&>>) {
            work(c);
            c.exec("COMMIT");
        } else {
            auto result = work(c);
            c.exec("COMMIT");
            return result;
        }
    } catch (...) {
        bool discard = false;
        rollback(c, discard);
        if (discard) lease.discard();
        throw;
    }
}

template <class Work>
auto SqliteStore::write(Work&& work) {
    std::lock_guard serial(write_mutex_);
    Pool::Lease lease = pool_->acquire();
    Connection& c = lease.connection();
    try {
        // IMMEDIATE takes the write lock now (waiting up to busy_timeout for other processes), so the
        // transaction cannot fail later on a read-to-write lock upgrade
        c.exec("BEGIN IMMEDIATE");
        if constexpr (std::is_void_v<std::invoke_result_t<Work&, Connection&>>) {
            work(c);
            c.exec("COMMIT");
            if (scrub_pending_.load(std::memory_order_relaxed)) checkpoint(c);
        } else {
            auto result = work(c);
            c.exec("COMMIT"); // durable when this returns (WAL, synchronous FULL or NORMAL: see the header)
            if (scrub_pending_.load(std::memory_order_relaxed)) checkpoint(c); // an erasure's, held up earlier
            return result;
        }
    } catch (...) {
        bool discard = false;
        rollback(c, discard);
        if (discard) lease.discard();
        throw;
    }
}

//
// opening
//

SqliteStore::SqliteStore(SqliteStoreOptions options) : options_(std::move(options)) {
    namespace fs = std::filesystem;
    if (options_.data_dir.empty()) throw Error(ErrorCode::INVALID_PARAMETER, "store: no data directory given");
    if (options_.file_name.empty()) throw Error(ErrorCode::INVALID_PARAMETER, "store: no database file name given");
    options_.max_connections = std::max<std::size_t>(options_.max_connections, 1);
    if (!options_.clock_ms) {
        options_.clock_ms = [] {
            return std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                .count();
        };
    }

    std::error_code ec;
    if (!fs::exists(options_.data_dir, ec)) {
        fs::create_directories(options_.data_dir, ec);
        if (ec) throw Error(ErrorCode::STORE_UNAVAILABLE, "store: cannot create the data directory: " + ec.message());
        fs::permissions(options_.data_dir, fs::perms::owner_all, fs::perm_options::replace, ec);
    }
    path_ = options_.data_dir / options_.file_name;
    // create the file with mode 0600 before SQLite does (it would honour the umask, usually 0644);
    // SQLite gives the -wal and -shm files the database file's mode
    int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) throw Error(ErrorCode::STORE_UNAVAILABLE, "store: cannot create the database file");
    ::close(fd);

    std::unique_ptr<Connection> first = open_and_migrate();
    pool_ = std::make_unique<Pool>(options_.max_connections, [this] { return open_connection(false); });
    pool_->adopt(std::move(first));
    // the data keys: a missing or wrong KEK is refused here, before anything is written
    open_templates(options_.kek_source, options_.create_kek);
}

SqliteStore::~SqliteStore() = default;

std::int64_t SqliteStore::now_ms() const { return options_.clock_ms(); }

// Several processes may create the file at once: the switch to WAL needs the file's exclusive lock,
// and SQLite refuses it with SQLITE_BUSY at once, without the busy handler, where waiting could
// deadlock (each connection holding the shared lock the other waits on). Opening and migrating are
// safe to repeat (the migration is one transaction), so they are, after a short randomised pause,
// until busy_timeout has passed.
std::unique_ptr<Connection> SqliteStore::open_and_migrate() const {
    const auto deadline = std::chrono::steady_clock::now() + options_.busy_timeout;
    std::minstd_rand jitter(static_cast<unsigned>(::getpid()) ^
                            static_cast<unsigned>(std::hash<std::thread::id>{}(std::this_thread::get_id())));
    for (;;) {
        try {
            std::unique_ptr<Connection> c = open_connection(true);
            sqlite_schema::migrate(*c);
            return c;
        } catch (const sqlite::BusyError&) {
            if (std::chrono::steady_clock::now() >= deadline) throw;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5 + jitter() % 20));
    }
}

std::unique_ptr<Connection> SqliteStore::open_connection(bool create) const {
    auto c = std::make_unique<Connection>(path_.string(), create);
    sqlite3_busy_timeout(c->handle(), static_cast<int>(std::min<std::int64_t>(
                                          options_.busy_timeout.count(), std::numeric_limits<int>::max())));
    // no writable_schema or other ways for SQL to corrupt the file
    sqlite3_db_config(c->handle(), SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
    std::string mode = c->query_text("PRAGMA journal_mode = WAL");
    if (mode != "wal")
        throw Error(ErrorCode::STORE_UNAVAILABLE, "store: the database cannot use WAL journaling (mode " + mode + ")");
    c->exec(options_.synchronous_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
    c->exec("PRAGMA foreign_keys = ON; PRAGMA trusted_schema = OFF; PRAGMA journal_size_limit = 67108864");
    // erased and replaced content (sealed templates, wrapped keys) is zeroed in the pages, not left in free space
    c->exec("PRAGMA secure_delete = ON");
    return c;
}

// the checkpoint after an erasure: copies the WAL into the database file and truncates it, so erased
// bytes are left in neither. Best effort: when readers hold it up (busy_timeout), it is retried after
// the next write and by prune(). The caller holds write_mutex_ and `c` outside a transaction.
void SqliteStore::checkpoint(Connection& c) {
    try {
        Statement st = c.prepare("PRAGMA wal_checkpoint(TRUNCATE)");
        const bool done = st.step() && st.integer(0) == 0;
        scrub_pending_.store(!done, std::memory_order_relaxed);
    } catch (const Error&) {
        scrub_pending_.store(true, std::memory_order_relaxed);
    }
}

int SqliteStore::schema_version() {
    return read([](Connection& c) { return sqlite_schema::schema_version(c); });
}

std::vector<std::string> SqliteStore::check_integrity() {
    return read([](Connection& c) {
        std::vector<std::string> problems;
        {
            Statement st = c.prepare("PRAGMA integrity_check");
            while (st.step()) {
                std::string line = st.text(0);
                if (line != "ok") problems.push_back(line);
            }
        }
        Statement st = c.prepare("PRAGMA foreign_key_check");
        while (st.step())
            problems.push_back("foreign key violation: table " + st.text(0) + " rowid " + st.text(1) + " -> " +
                               st.text(2));
        return problems;
    });
}

//
// collections
//

CollectionInfo SqliteStore::do_create_collection(std::string_view collection_id, std::string_view face_model_version) {
    return write([&](Connection& c) {
        if (find_collection(c, collection_id))
            throw Error(ErrorCode::RESOURCE_ALREADY_EXISTS,
                        "The collection id: " + std::string(collection_id) + " already exists");
        CollectionInfo info{std::string(collection_id), options_.arn_prefix + std::string(collection_id),
                            std::string(face_model_version), now_ms()};
        Statement st = c.prepare("INSERT INTO collections(collection_id, arn, face_model_version, created_ms) "
                                 "VALUES (?1, ?2, ?3, ?4)");
        st.bind(1, info.collection_id).bind(2, info.arn).bind(3, info.face_model_version).bind(4, info.created_ms).run();
        return info;
    });
}

void SqliteStore::do_delete_collection(std::string_view collection_id) {
    write([&](Connection& c) {
        const std::int64_t key = require_collection(c, collection_id).key;
        c.prepare("DELETE FROM face_embeddings WHERE row_id IN (SELECT row_id FROM faces WHERE collection_key = ?1)")
            .bind(1, key)
            .run();
        c.prepare("DELETE FROM faces WHERE collection_key = ?1").bind(1, key).run();
        c.prepare("DELETE FROM users WHERE collection_key = ?1").bind(1, key).run();
        c.prepare("DELETE FROM collections WHERE collection_key = ?1").bind(1, key).run();
        record_change(c, collection_id, FaceChangeKind::COLLECTION_DELETED, 0, "", now_ms());
    });
    do_scrub(); // an erasure: its sealed embeddings leave the WAL too
}

CollectionDescription SqliteStore::do_describe_collection(std::string_view collection_id) {
    return read([&](Connection& c) {
        CollectionRow row = require_collection(c, collection_id);
        CollectionDescription d;
        d.info = std::move(row.info);
        {
            Statement st = c.prepare("SELECT count(*) FROM faces WHERE collection_key = ?1");
            st.bind(1, row.key).step();
            d.face_count = static_cast<std::uint64_t>(st.integer(0));
        }
        Statement st = c.prepare("SELECT count(*) FROM users WHERE collection_key = ?1");
        st.bind(1, row.key).step();
        d.user_count = static_cast<std::uint64_t>(st.integer(0));
        return d;
    });
}

std::optional<CollectionInfo> SqliteStore::do_get_collection(std::string_view collection_id) {
    return read([&](Connection& c) -> std::optional<CollectionInfo> {
        std::optional<CollectionRow> row = find_collection(c, collection_id);
        if (!row) return std::nullopt;
        return std::move(row->info);
    });
}

CollectionPage SqliteStore::do_list_collections(const PageRequest& page) {
    const std::int64_t after = decode_page_token(page.after, 'c', "").value_or(0);
    return read([&](Connection& c) {
        CollectionPage out;
        std::int64_t last_key = 0;
        Statement st = c.prepare("SELECT collection_key, collection_id, arn, face_model_version, created_ms "
                                 "FROM collections WHERE collection_key > ?1 ORDER BY collection_key LIMIT ?2");
        st.bind(1, after).bind(2, sql_limit(page.limit));
        while (st.step()) {
            if (out.collections.size() == page.limit) {
                out.next_token = encode_page_token('c', "", last_key);
                break;
            }
            last_key = st.integer(0);
            out.collections.push_back(CollectionInfo{st.text(1), st.text(2), st.text(3), st.integer(4)});
        }
        return out;
    });
}

//
// faces
//

namespace {

std::vector<FaceRecord> select_by_image(Connection& c, std::int64_t collection_key,
                                        const std::optional<std::string>& external_image_id,
                                        std::string_view image_digest) {
    std::vector<FaceRecord> faces;
    Statement st = c.prepare(kSelectFace + "WHERE f.collection_key = ?1 AND f.image_digest = ?2 "
                                           "AND f.external_image_id IS ?3 ORDER BY f.row_id");
    st.bind(1, collection_key).bind(2, image_digest).bind(3, external_image_id);
    while (st.step()) faces.push_back(read_face(st));
    return faces;
}

std::optional<FaceRecord> select_face(Connection& c, std::int64_t collection_key, std::string_view face_id) {
    Statement st = c.prepare(kSelectFace + "WHERE f.collection_key = ?1 AND f.face_id = ?2");
    st.bind(1, collection_key).bind(2, face_id);
    if (!st.step()) return std::nullopt;
    return read_face(st);
}

// the stored (sealed) embedding of a face and the version of its data key
std::pair<std::uint32_t, std::string> select_embedding(Connection& c, std::int64_t row_id) {
    Statement st = c.prepare("SELECT key_version, embedding FROM face_embeddings WHERE row_id = ?1");
    st.bind(1, row_id);
    if (!st.step()) throw Error(ErrorCode::INTERNAL, "store: a face has no embedding");
    return {static_cast<std::uint32_t>(st.integer(0)), std::string(st.blob(1))};
}

} // namespace

AddFacesResult SqliteStore::do_add_faces(std::string_view collection_id, const NewImageFaces& image,
                                         const TokenRecord<AddFacesResult>* token) {
    // UUIDs and the sealed embeddings are prepared before taking the write lock
    std::vector<std::string> face_ids;
    std::vector<SealedEmbedding> sealed;
    for (const NewFace& face : image.faces) {
        face_ids.push_back(new_uuid());
        sealed.push_back(seal_embedding(collection_id, face_ids.back(), face.embedding));
    }
    const std::string image_id = new_uuid();

    return write([&](Connection& c) {
        const std::int64_t now = now_ms();
        const std::int64_t key = require_collection(c, collection_id).key;
        check_token(c, operation::kIndexFaces, token, now);
        // another process may have made a newer data key (a rotation): seal with the one active now, so
        // that no blob is sealed with a key the rotation is about to retire
        const std::uint32_t active = active_key_version(c);
        for (int pass = 0; std::any_of(sealed.begin(), sealed.end(),
                                       [&](const SealedEmbedding& s) { return s.key_version != active; });
             ++pass) {
            if (pass == 2) throw Error(ErrorCode::INTERNAL, "store: cannot seal with the active data key");
            sealing_key_is_current(active, [&c] { return load_data_keys(c); });
            for (std::size_t i = 0; i < sealed.size(); ++i)
                sealed[i] = seal_embedding(collection_id, face_ids[i], image.faces[i].embedding);
        }

        AddFacesResult result;
        if (image.image_digest) {
            std::vector<FaceRecord> existing = select_by_image(c, key, image.external_image_id, *image.image_digest);
            if (!existing.empty()) {
                result.image_id = existing.front().image_id;
                result.faces = std::move(existing);
                result.deduplicated = true;
                save_token(c, operation::kIndexFaces, token, result, now);
                return result;
            }
        }

        result.image_id = image_id;
        for (std::size_t i = 0; i < image.faces.size(); ++i) {
            const NewFace& in = image.faces[i];
            Statement st = c.prepare(
                "INSERT INTO faces(collection_key, face_id, image_id, external_image_id, image_digest, bbox_width, "
                "bbox_height, bbox_left, bbox_top, confidence, model_version, created_ms) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
            st.bind(1, key)
                .bind(2, face_ids[i])
                .bind(3, image_id)
                .bind(4, image.external_image_id)
                .bind(5, image.image_digest)
                .bind(6, static_cast<double>(in.bounding_box.width))
                .bind(7, static_cast<double>(in.bounding_box.height))
                .bind(8, static_cast<double>(in.bounding_box.left))
                .bind(9, static_cast<double>(in.bounding_box.top))
                .bind(10, static_cast<double>(in.confidence))
                .bind(11, image.model_version)
                .bind(12, now)
                .run();
            FaceRecord face;
            face.row_id = c.last_insert_rowid();
            face.face_id = face_ids[i];
            face.image_id = image_id;
            face.external_image_id = image.external_image_id;
            face.bounding_box = in.bounding_box;
            face.confidence = in.confidence;
            face.model_version = image.model_version;
            face.created_ms = now;
            c.prepare("INSERT INTO face_embeddings(row_id, embedding, key_version) VALUES (?1, ?2, ?3)")
                .bind(1, face.row_id)
                .bind_blob(2, sealed[i].blob)
                .bind(3, static_cast<std::int64_t>(sealed[i].key_version))
                .run();
            record_change(c, collection_id, FaceChangeKind::FACE_ADDED, face.row_id, face.face_id, now);
            result.faces.push_back(std::move(face));
        }
        save_token(c, operation::kIndexFaces, token, result, now);
        return result;
    });
}

std::vector<FaceRecord> SqliteStore::do_find_faces_by_image(std::string_view collection_id,
                                                            const std::optional<std::string>& external_image_id,
                                                            std::string_view image_digest) {
    return read([&](Connection& c) {
        return select_by_image(c, require_collection(c, collection_id).key, external_image_id, image_digest);
    });
}

FacePage SqliteStore::do_list_faces(std::string_view collection_id, const FaceFilter& filter, const PageRequest& page) {
    const std::int64_t after = decode_page_token(page.after, 'f', collection_id).value_or(0);
    return read([&](Connection& c) {
        CollectionRow collection = require_collection(c, collection_id);
        FacePage out;
        out.face_model_version = collection.info.face_model_version;

        std::optional<std::int64_t> user_key;
        if (filter.user_id) {
            std::optional<UserRow> user = find_user(c, collection.key, *filter.user_id);
            if (!user) return out; // no such user: no faces
            user_key = user->key;
        }

        std::vector<FaceRecord> rows; // up to limit + 1, ascending row_id
        if (!filter.face_ids.empty()) {
            for (const std::string& id : unique_in_order(filter.face_ids)) {
                Statement st = c.prepare(kSelectFace + "WHERE f.collection_key = ?1 AND f.face_id = ?2");
                st.bind(1, collection.key).bind(2, id);
                if (!st.step()) continue;
                if (st.integer(0) <= after) continue;
                if (user_key && st.optional_integer(12) != user_key) continue;
                rows.push_back(read_face(st));
            }
            std::sort(rows.begin(), rows.end(), [](const FaceRecord& a, const FaceRecord& b) { return a.row_id < b.row_id; });
            const auto cap = static_cast<std::size_t>(sql_limit(page.limit));
            if (rows.size() > cap) rows.resize(cap);
        } else if (user_key) {
            Statement st = c.prepare(kSelectFace + "WHERE f.user_key = ?1 AND f.row_id > ?2 ORDER BY f.row_id LIMIT ?3");
            st.bind(1, *user_key).bind(2, after).bind(3, sql_limit(page.limit));
            while (st.step()) rows.push_back(read_face(st));
        } else {
            Statement st =
                c.prepare(kSelectFace + "WHERE f.collection_key = ?1 AND f.row_id > ?2 ORDER BY f.row_id LIMIT ?3");
            st.bind(1, collection.key).bind(2, after).bind(3, sql_limit(page.limit));
            while (st.step()) rows.push_back(read_face(st));
        }

        if (rows.size() > page.limit) {
            rows.resize(page.limit);
            out.next_token = encode_page_token('f', collection_id, rows.back().row_id);
        }
        out.faces = std::move(rows);
        return out;
    });
}

std::vector<FaceRecord> SqliteStore::do_get_faces(std::string_view collection_id,
                                                  const std::vector<std::string>& face_ids, bool with_embeddings) {
    return read([&](Connection& c) {
        const std::int64_t key = require_collection(c, collection_id).key;
        std::vector<FaceRecord> faces;
        for (const std::string& id : unique_in_order(face_ids)) {
            std::optional<FaceRecord> face = select_face(c, key, id);
            if (!face) continue;
            if (with_embeddings) {
                auto [version, blob] = select_embedding(c, face->row_id);
                face->embedding =
                    open_embedding(collection_id, face->face_id, version, blob, [&c] { return load_data_keys(c); });
            }
            faces.push_back(std::move(*face));
        }
        return faces;
    });
}

DeleteFacesResult SqliteStore::do_delete_faces(std::string_view collection_id, const std::vector<std::string>& face_ids) {
    DeleteFacesResult deleted = write([&](Connection& c) {
        const std::int64_t now = now_ms();
        const std::int64_t key = require_collection(c, collection_id).key;
        DeleteFacesResult result;
        for (const std::string& id : unique_in_order(face_ids)) {
            std::optional<FaceLink> face = find_face_link(c, key, id);
            if (!face) {
                result.unsuccessful.push_back({id, std::nullopt, FaceDeletionFailure::FACE_NOT_FOUND});
            } else if (face->user_key) {
                result.unsuccessful.push_back({id, face->user_id, FaceDeletionFailure::ASSOCIATED_TO_AN_EXISTING_USER});
            } else {
                delete_face_row(c, face->row_id);
                record_change(c, collection_id, FaceChangeKind::FACE_DELETED, face->row_id, id, now);
                result.deleted.push_back({id, face->row_id});
            }
        }
        return result;
    });
    if (!deleted.deleted.empty()) do_scrub(); // an erasure: the sealed embeddings leave the WAL too
    return deleted;
}

std::vector<FaceRecord> SqliteStore::do_faces_by_external_id(std::string_view collection_id,
                                                             std::string_view external_image_id) {
    return read([&](Connection& c) {
        const std::int64_t key = require_collection(c, collection_id).key;
        std::vector<FaceRecord> faces;
        Statement st =
            c.prepare(kSelectFace + "WHERE f.collection_key = ?1 AND f.external_image_id = ?2 ORDER BY f.row_id");
        st.bind(1, key).bind(2, external_image_id);
        while (st.step()) faces.push_back(read_face(st));
        return faces;
    });
}

std::vector<ExternalIdSummary> SqliteStore::do_list_external_ids(std::string_view collection_id,
                                                                std::string_view prefix, std::size_t limit) {
    return read([&](Connection& c) {
        const std::int64_t key = require_collection(c, collection_id).key;
        std::vector<ExternalIdSummary> out;
        // a range on the index instead of LIKE: prefixes may hold '%' and '_'
        Statement st = c.prepare(
            "SELECT external_image_id, count(*), min(created_ms), max(created_ms) FROM faces "
            "WHERE collection_key = ?1 AND external_image_id IS NOT NULL AND external_image_id >= ?2 "
            "AND substr(external_image_id, 1, ?3) = ?2 GROUP BY external_image_id ORDER BY external_image_id LIMIT ?4");
        st.bind(1, key)
            .bind(2, prefix)
            .bind(3, static_cast<std::int64_t>(prefix.size()))
            .bind(4, static_cast<std::int64_t>(limit));
        while (st.step()) out.push_back(ExternalIdSummary{st.text(0), st.integer(1), st.integer(2), st.integer(3)});
        return out;
    });
}

std::int64_t SqliteStore::do_count_external_ids(std::string_view collection_id) {
    return read([&](Connection& c) {
        const std::int64_t key = require_collection(c, collection_id).key;
        Statement st = c.prepare("SELECT count(DISTINCT external_image_id) FROM faces WHERE collection_key = ?1");
        st.bind(1, key);
        return st.step() ? st.integer(0) : std::int64_t{0};
    });
}

void SqliteStore::do_put_external_id_alias(std::string_view alias, std::string_view external_id) {
    write([&](Connection& c) {
        c.prepare("INSERT INTO external_id_aliases(alias, external_id) VALUES (?1, ?2) ON CONFLICT(alias) DO NOTHING")
            .bind(1, alias)
            .bind(2, external_id)
            .run();
    });
}

std::optional<std::string> SqliteStore::do_external_id_for_alias(std::string_view alias) {
    return read([&](Connection& c) -> std::optional<std::string> {
        Statement st = c.prepare("SELECT external_id FROM external_id_aliases WHERE alias = ?1");
        st.bind(1, alias);
        if (!st.step()) return std::nullopt;
        return st.text(0);
    });
}

std::vector<FaceRecord> SqliteStore::do_delete_faces_by_external_id(std::string_view collection_id,
                                                                    std::string_view external_image_id) {
    std::vector<FaceRecord> erased = write([&](Connection& c) {
        const std::int64_t now = now_ms();
        const std::int64_t key = require_collection(c, collection_id).key;
        std::vector<FaceRecord> faces;
        std::set<std::int64_t> users;
        {
            Statement st =
                c.prepare(kSelectFace + "WHERE f.collection_key = ?1 AND f.external_image_id = ?2 ORDER BY f.row_id");
            st.bind(1, key).bind(2, external_image_id);
            while (st.step()) {
                faces.push_back(read_face(st));
                if (std::optional<std::int64_t> user = st.optional_integer(12)) users.insert(*user);
            }
        }
        for (const FaceRecord& face : faces) {
            delete_face_row(c, face.row_id);
            record_change(c, collection_id, FaceChangeKind::FACE_DELETED, face.row_id, face.face_id, now);
        }
        for (std::int64_t user : users) refresh_user_status(c, user, now);
        return faces;
    });
    if (!erased.empty()) do_scrub(); // the erasure by external id (/v1): nothing of it left in the WAL
    return erased;
}

std::int64_t SqliteStore::do_scan_embeddings(std::string_view collection_id, std::int64_t after_row_id,
                                             const std::function<void(FaceEmbedding&&)>& on_face) {
    return read([&](Connection& c) {
        const std::int64_t key = require_collection(c, collection_id).key;
        const std::int64_t seq = current_change_seq(c); // same snapshot as the rows below
        Statement st = c.prepare("SELECT f.row_id, f.face_id, u.user_id, e.key_version, e.embedding FROM faces f "
                                 "JOIN face_embeddings e ON e.row_id = f.row_id "
                                 "LEFT JOIN users u ON u.user_key = f.user_key "
                                 "WHERE f.collection_key = ?1 AND f.row_id > ?2 ORDER BY f.row_id");
        st.bind(1, key).bind(2, after_row_id);
        const DataKeyLoader load_keys = [&c] { return load_data_keys(c); };
        while (st.step()) {
            std::string face_id = st.text(1);
            std::vector<float> embedding = open_embedding(collection_id, face_id, static_cast<std::uint32_t>(st.integer(3)),
                                                          st.blob(4), load_keys);
            on_face(FaceEmbedding{st.integer(0), std::move(face_id), st.optional_text(2), std::move(embedding)});
        }
        return seq;
    });
}

//
// users
//

UserRecord SqliteStore::do_create_user(std::string_view collection_id, std::string_view user_id,
                                       const TokenRecord<UserRecord>* token) {
    return write([&](Connection& c) {
        const std::int64_t now = now_ms();
        const std::int64_t key = require_collection(c, collection_id).key;
        check_token(c, operation::kCreateUser, token, now);
        if (find_user(c, key, user_id))
            throw Error(ErrorCode::CONFLICT, "A User with the same Id already exists within the collection");
        Statement st = c.prepare("INSERT INTO users(collection_key, user_id, status, created_ms, updated_ms) "
                                 "VALUES (?1, ?2, ?3, ?4, ?4)");
        st.bind(1, key).bind(2, user_id).bind(3, user_status_name(UserStatus::CREATED)).bind(4, now).run();
        UserRecord user{std::string(user_id), UserStatus::CREATED, now, now, 0};
        save_token(c, operation::kCreateUser, token, user, now);
        return user;
    });
}

DeleteUserResult SqliteStore::do_delete_user(std::string_view collection_id, std::string_view user_id,
                                             const TokenRecord<DeleteUserResult>* token) {
    DeleteUserResult deleted = write([&](Connection& c) {
        const std::int64_t now = now_ms();
        const std::int64_t key = require_collection(c, collection_id).key;
        check_token(c, operation::kDeleteUser, token, now);
        const UserRow user = require_user(c, key, user_id);
        DeleteUserResult result;
        std::vector<std::int64_t> rows;
        {
            Statement st = c.prepare("SELECT row_id, face_id FROM faces WHERE user_key = ?1 ORDER BY row_id");
            st.bind(1, user.key);
            while (st.step()) {
                rows.push_back(st.integer(0));
                result.disassociated_face_ids.push_back(st.text(1));
            }
        }
        for (std::size_t i = 0; i < rows.size(); ++i) {
            set_face_user(c, rows[i], std::nullopt);
            record_change(c, collection_id, FaceChangeKind::FACE_USER_CHANGED, rows[i], result.disassociated_face_ids[i], now);
        }
        c.prepare("DELETE FROM users WHERE user_key = ?1").bind(1, user.key).run();
        save_token(c, operation::kDeleteUser, token, result, now);
        return result;
    });
    if (!deleted.disassociated_face_ids.empty()) do_scrub(); // a user with faces: checkpoint as for an erasure
    return deleted;
}

std::optional<UserRecord> SqliteStore::do_get_user(std::string_view collection_id, std::string_view user_id) {
    return read([&](Connection& c) -> std::optional<UserRecord> {
        std::optional<UserRow> user = find_user(c, require_collection(c, collection_id).key, user_id);
        if (!user) return std::nullopt;
        return std::move(user->record);
    });
}

UserPage SqliteStore::do_list_users(std::string_view collection_id, const PageRequest& page) {
    const std::int64_t after = decode_page_token(page.after, 'u', collection_id).value_or(0);
    return read([&](Connection& c) {
        const std::int64_t key = require_collection(c, collection_id).key;
        UserPage out;
        std::int64_t last_key = 0;
        Statement st =
            c.prepare(kSelectUser + "WHERE u.collection_key = ?1 AND u.user_key > ?2 ORDER BY u.user_key LIMIT ?3");
        st.bind(1, key).bind(2, after).bind(3, sql_limit(page.limit));
        while (st.step()) {
            if (out.users.size() == page.limit) {
                out.next_token = encode_page_token('u', collection_id, last_key);
                break;
            }
            UserRow row = read_user(st);
            last_key = row.key;
            out.users.push_back(std::move(row.record));
        }
        return out;
    });
}

AssociateFacesResult SqliteStore::do_associate_faces(std::string_view collection_id, std::string_view user_id,
                                                     const std::vector<std::string>& face_ids,
                                                     const TokenRecord<AssociateFacesResult>* token) {
    return write([&](Connection& c) {
        const std::int64_t now = now_ms();
        const std::int64_t key = require_collection(c, collection_id).key;
        check_token(c, operation::kAssociateFaces, token, now);
        const UserRow user = require_user(c, key, user_id);
        std::uint64_t count = user.record.face_count;
        AssociateFacesResult result;
        result.user_was_full = count >= kMaxFacesPerUser;
        for (const std::string& id : unique_in_order(face_ids)) {
            std::optional<FaceLink> face = find_face_link(c, key, id);
            if (!face) {
                result.unsuccessful.push_back({id, std::nullopt, FaceAssociationFailure::FACE_NOT_FOUND});
            } else if (face->user_key == user.key) {
                // already this user's: ignored, as Rekognition does
            } else if (face->user_key) {
                result.unsuccessful.push_back({id, face->user_id, FaceAssociationFailure::ASSOCIATED_TO_A_DIFFERENT_USER});
            } else if (count >= kMaxFacesPerUser) {
                result.unsuccessful.push_back({id, std::nullopt, FaceAssociationFailure::USER_FACE_LIMIT});
            } else {
                set_face_user(c, face->row_id, user.key);
                record_change(c, collection_id, FaceChangeKind::FACE_USER_CHANGED, face->row_id, id, now);
                result.associated.push_back(id);
                ++count;
            }
        }
        result.user_status = refresh_user_status(c, user.key, now);
        save_token(c, operation::kAssociateFaces, token, result, now);
        return result;
    });
}

DisassociateFacesResult SqliteStore::do_disassociate_faces(std::string_view collection_id, std::string_view user_id,
                                                           const std::vector<std::string>& face_ids,
                                                           const TokenRecord<DisassociateFacesResult>* token) {
    return write([&](Connection& c) {
        const std::int64_t now = now_ms();
        const std::int64_t key = require_collection(c, collection_id).key;
        check_token(c, operation::kDisassociateFaces, token, now);
        const UserRow user = require_user(c, key, user_id);
        DisassociateFacesResult result;
        for (const std::string& id : unique_in_order(face_ids)) {
            std::optional<FaceLink> face = find_face_link(c, key, id);
            if (!face) {
                result.unsuccessful.push_back({id, std::nullopt, FaceDisassociationFailure::FACE_NOT_FOUND});
            } else if (!face->user_key) {
                // not associated with anyone: ignored, as Rekognition does
            } else if (*face->user_key != user.key) {
                result.unsuccessful.push_back(
                    {id, face->user_id, FaceDisassociationFailure::ASSOCIATED_TO_A_DIFFERENT_USER});
            } else {
                set_face_user(c, face->row_id, std::nullopt);
                record_change(c, collection_id, FaceChangeKind::FACE_USER_CHANGED, face->row_id, id, now);
                result.disassociated.push_back(id);
            }
        }
        result.user_status = refresh_user_status(c, user.key, now);
        save_token(c, operation::kDisassociateFaces, token, result, now);
        return result;
    });
}

//
// idempotency
//

std::optional<TokenEntry> SqliteStore::do_recall(std::string_view operation, std::string_view token) {
    return read([&](Connection& c) { return read_token(c, operation, token, now_ms()); });
}

TokenEntry SqliteStore::do_remember(std::string_view operation, std::string_view token, std::string_view request_hash,
                                    std::string_view response) {
    return write([&](Connection& c) {
        const std::int64_t now = now_ms();
        if (std::optional<TokenEntry> existing = read_token(c, operation, token, now)) return std::move(*existing);
        write_token(c, operation, token, request_hash, response, now);
        return TokenEntry{std::string(request_hash), std::string(response), now};
    });
}

//
// audit
//

std::int64_t SqliteStore::do_append_audit(const AuditEvent& event) {
    return write([&](Connection& c) {
        Statement st = c.prepare("INSERT INTO audit_events(time_ms, operation, collection_id, external_image_id, "
                                 "user_id, outcome, caller_key_id, details, request_id) "
                                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
        st.bind(1, event.time_ms != 0 ? event.time_ms : now_ms())
            .bind(2, event.operation)
            .bind(3, nullable(event.collection_id))
            .bind(4, event.external_image_id)
            .bind(5, event.user_id)
            .bind(6, event.outcome)
            .bind(7, nullable(event.caller_key_id))
            .bind(8, nullable(event.details))
            .bind(9, nullable(event.request_id))
            .run();
        const std::int64_t seq = c.last_insert_rowid();
        for (std::size_t i = 0; i < event.face_ids.size(); ++i)
            c.prepare("INSERT INTO audit_faces(seq, ord, face_id) VALUES (?1, ?2, ?3)")
                .bind(1, seq)
                .bind(2, static_cast<std::int64_t>(i))
                .bind(3, event.face_ids[i])
                .run();
        return seq;
    });
}

AuditPage SqliteStore::do_query_audit(const AuditQuery& query) {
    const std::optional<std::int64_t> before = decode_page_token(query.page.after, 'a', "");
    return read([&](Connection& c) {
        AuditPage out;
        Statement st = c.prepare(
            "SELECT a.seq, a.time_ms, a.operation, a.collection_id, a.external_image_id, a.user_id, a.outcome, "
            "a.caller_key_id, a.details, a.request_id FROM audit_events a "
            "WHERE (?1 IS NULL OR a.collection_id = ?1) AND (?2 IS NULL OR a.operation = ?2) "
            "AND (?3 IS NULL OR a.external_image_id = ?3 OR a.user_id = ?3 "
            "     OR EXISTS (SELECT 1 FROM audit_faces x WHERE x.seq = a.seq AND x.face_id = ?3)) "
            "AND (?4 IS NULL OR a.caller_key_id = ?4) AND (?5 IS NULL OR a.time_ms >= ?5) "
            "AND (?6 IS NULL OR a.time_ms < ?6) AND (?7 IS NULL OR a.seq < ?7) "
            "AND (?9 IS NULL OR a.external_image_id = ?9) "
            "AND (?10 IS NULL OR json_extract(a.details, '$.decision') = ?10) "
            "ORDER BY a.seq DESC LIMIT ?8");
        st.bind(1, query.collection_id)
            .bind(2, query.operation)
            .bind(3, query.subject)
            .bind(4, query.caller_key_id)
            .bind(5, query.since_ms)
            .bind(6, query.until_ms)
            .bind(7, before)
            .bind(8, sql_limit(query.page.limit))
            .bind(9, query.external_image_id)
            .bind(10, query.decision);
        while (st.step()) {
            if (out.records.size() == query.page.limit) {
                out.next_token = encode_page_token('a', "", out.records.back().seq);
                break;
            }
            AuditRecord r;
            r.seq = st.integer(0);
            r.event.time_ms = st.integer(1);
            r.event.operation = st.text(2);
            r.event.collection_id = st.optional_text(3).value_or("");
            r.event.external_image_id = st.optional_text(4);
            r.event.user_id = st.optional_text(5);
            r.event.outcome = st.text(6);
            r.event.caller_key_id = st.optional_text(7).value_or("");
            r.event.details = st.optional_text(8).value_or("");
            r.event.request_id = st.optional_text(9).value_or("");
            out.records.push_back(std::move(r));
        }
        for (AuditRecord& r : out.records) {
            Statement faces = c.prepare("SELECT face_id FROM audit_faces WHERE seq = ?1 ORDER BY ord");
            faces.bind(1, r.seq);
            while (faces.step()) r.event.face_ids.push_back(faces.text(0));
        }
        return out;
    });
}

//
// change feed and housekeeping
//

FaceChangeBatch SqliteStore::do_face_changes_since(std::int64_t after_seq, std::size_t limit) {
    return read([&](Connection& c) {
        FaceChangeBatch out;
        out.last_seq = current_change_seq(c);
        const std::int64_t oldest = c.query_integer("SELECT coalesce(min(seq), 0) FROM face_changes");
        // seqs are consecutive (AUTOINCREMENT in serialized transactions), so a hole means pruned changes
        out.gap = after_seq < out.last_seq && (oldest == 0 || oldest > after_seq + 1);
        Statement st = c.prepare("SELECT seq, collection_id, kind, row_id, face_id FROM face_changes "
                                 "WHERE seq > ?1 ORDER BY seq LIMIT ?2");
        st.bind(1, after_seq).bind(2, sql_limit(limit) - 1);
        while (st.step())
            out.changes.push_back(FaceChange{st.integer(0), st.text(1), parse_change_kind(st.text(2)), st.integer(3), st.text(4)});
        return out;
    });
}

void SqliteStore::do_prune() {
    write([&](Connection& c) {
        const std::int64_t now = now_ms();
        c.prepare("DELETE FROM request_tokens WHERE created_ms <= ?1").bind(1, now - kTokenLifetimeMs).run();
        c.prepare("DELETE FROM face_changes WHERE created_ms <= ?1").bind(1, now - options_.change_retention_ms).run();
        c.prepare("DELETE FROM rate_events WHERE time_ms <= ?1").bind(1, now - kMaxRateWindowMs).run();
        c.prepare("DELETE FROM sessions WHERE expires_ms <= ?1").bind(1, now - kSessionRetentionMs).run();
        c.prepare("DELETE FROM webhook_deliveries WHERE status <> 'pending' AND updated_ms <= ?1")
            .bind(1, now - kDeliveryRetentionMs)
            .run();
    });
    if (scrub_pending_.load(std::memory_order_relaxed)) do_scrub();
}

//
// templates at rest: the key table and the re-seal batches (the cryptography is Store's)
//

std::vector<DataKeyRecord> SqliteStore::do_load_data_keys() {
    return read([](Connection& c) { return load_data_keys(c); });
}

bool SqliteStore::do_replace_data_keys(const std::vector<DataKeyRecord>& expected,
                                       const std::vector<DataKeyRecord>& keys) {
    return write([&](Connection& c) {
        if (!same_keys(load_data_keys(c), expected)) return false;
        c.exec("DELETE FROM template_keys");
        for (const DataKeyRecord& key : keys)
            c.prepare("INSERT INTO template_keys(version, kek_id, wrapped, active, created_ms) "
                      "VALUES (?1, ?2, ?3, ?4, ?5)")
                .bind(1, static_cast<std::int64_t>(key.version))
                .bind(2, key.kek_id)
                .bind_blob(3, key.wrapped.empty() ? std::string_view("", 0) : std::string_view(key.wrapped))
                .bind(4, key.active ? 1 : 0)
                .bind(5, key.created_ms)
                .run();
        return true;
    });
}

std::optional<std::size_t> SqliteStore::do_reseal_batch(
    std::uint32_t target, std::size_t limit,
    const std::function<std::string(const StoredTemplate&, const DataKeyLoader&)>& reseal) {
    return write([&](Connection& c) -> std::optional<std::size_t> {
        if (active_key_version(c) != target) return std::nullopt;
        std::vector<StoredTemplate> batch;
        {
            // the index on key_version finds what is left, wherever a crash stopped the last run
            Statement st = c.prepare(
                "SELECT e.row_id, c.collection_id, f.face_id, e.key_version, e.embedding FROM face_embeddings e "
                "JOIN faces f ON f.row_id = e.row_id JOIN collections c ON c.collection_key = f.collection_key "
                "WHERE e.key_version < ?1 LIMIT ?2");
            st.bind(1, static_cast<std::int64_t>(target)).bind(2, static_cast<std::int64_t>(limit));
            while (st.step())
                batch.push_back(StoredTemplate{st.integer(0), st.text(1), st.text(2),
                                               static_cast<std::uint32_t>(st.integer(3)), std::string(st.blob(4))});
        }
        const DataKeyLoader load_keys = [&c] { return load_data_keys(c); };
        for (const StoredTemplate& stored : batch)
            c.prepare("UPDATE face_embeddings SET embedding = ?2, key_version = ?3 WHERE row_id = ?1")
                .bind(1, stored.row_id)
                .bind_blob(2, reseal(stored, load_keys))
                .bind(3, static_cast<std::int64_t>(target))
                .run();
        return batch.size();
    });
}

std::uint64_t SqliteStore::do_count_templates_below(std::uint32_t version) {
    return read([&](Connection& c) {
        Statement st = c.prepare("SELECT count(*) FROM face_embeddings WHERE key_version < ?1");
        st.bind(1, static_cast<std::int64_t>(version));
        st.step();
        return static_cast<std::uint64_t>(st.integer(0));
    });
}

bool SqliteStore::do_retire_data_keys(std::uint32_t target) {
    return write([&](Connection& c) {
        if (active_key_version(c) != target) return false;
        Statement left = c.prepare("SELECT EXISTS (SELECT 1 FROM face_embeddings WHERE key_version < ?1)");
        left.bind(1, static_cast<std::int64_t>(target));
        left.step();
        if (left.integer(0) != 0) return false;
        c.prepare("DELETE FROM template_keys WHERE version != ?1").bind(1, static_cast<std::int64_t>(target)).run();
        return true;
    });
}

void SqliteStore::do_scrub() {
    std::lock_guard serial(write_mutex_);
    Pool::Lease lease = pool_->acquire();
    checkpoint(lease.connection());
}

} // namespace facegate

//
// shared state: documents, counted windows, exclusive sections
//

namespace facegate {

std::optional<StoredDocument> SqliteStore::do_read_document(std::string_view name) {
    return read([&](Connection& c) -> std::optional<StoredDocument> {
        Statement st = c.prepare("SELECT version, body FROM documents WHERE name = ?1");
        st.bind(1, name);
        if (!st.step()) return std::nullopt;
        return StoredDocument{st.integer(0), st.text(1)};
    });
}

std::int64_t SqliteStore::do_document_version(std::string_view name) {
    return read([&](Connection& c) -> std::int64_t {
        Statement st = c.prepare("SELECT version FROM documents WHERE name = ?1");
        st.bind(1, name);
        return st.step() ? st.integer(0) : 0;
    });
}

StoredDocument SqliteStore::do_update_document(
    std::string_view name, const std::function<std::string(const std::optional<std::string>&)>& change) {
    return write([&](Connection& c) {
        std::optional<std::string> current;
        std::int64_t version = 0;
        {
            Statement st = c.prepare("SELECT version, body FROM documents WHERE name = ?1");
            st.bind(1, name);
            if (st.step()) {
                version = st.integer(0);
                current = st.text(1);
            }
        }
        StoredDocument stored{version + 1, change(current)};
        c.prepare("INSERT INTO documents(name, version, body, updated_ms) VALUES (?1, ?2, ?3, ?4) "
                  "ON CONFLICT(name) DO UPDATE SET version = excluded.version, body = excluded.body, "
                  "updated_ms = excluded.updated_ms")
            .bind(1, name)
            .bind(2, stored.version)
            .bind(3, stored.text)
            .bind(4, now_ms())
            .run();
        return stored;
    });
}

WindowCount SqliteStore::do_count_in_window(std::string_view key, std::int64_t window_ms, std::uint32_t max_requests) {
    window_ms = std::min(window_ms, kMaxRateWindowMs);
    return write([&](Connection& c) {
        const std::int64_t now = now_ms();
        c.prepare("DELETE FROM rate_events WHERE rate_key = ?1 AND time_ms <= ?2").bind(1, key).bind(2, now - window_ms).run();
        Statement st = c.prepare("SELECT count(*), min(time_ms) FROM rate_events WHERE rate_key = ?1");
        st.bind(1, key);
        st.step();
        const auto counted = static_cast<std::uint32_t>(st.integer(0));
        WindowCount result;
        if (counted >= max_requests) {
            result.retry_after_ms = std::max<std::int64_t>(1, st.integer(1) + window_ms - now);
            return result;
        }
        c.prepare("INSERT INTO rate_events(rate_key, time_ms) VALUES (?1, ?2)").bind(1, key).bind(2, now).run();
        result.allowed = true;
        result.remaining = max_requests - counted - 1;
        return result;
    });
}

//
// verification sessions
//

namespace {

constexpr const char* kSessionColumns =
    "session_id, owner, secret_sha256, action, collection_id, external_id, return_url, base_url, options, status, "
    "attempts, created_ms, updated_ms, expires_ms, result, public_result";

SessionRecord session_of(Statement& st) {
    SessionRecord s;
    s.session_id = st.text(0);
    s.owner = st.text(1);
    s.secret_sha256 = st.text(2);
    s.action = st.text(3);
    s.collection_id = st.text(4);
    s.external_id = st.text(5);
    s.return_url = st.text(6);
    s.base_url = st.text(7);
    s.options = st.text(8);
    s.status = parse_session_status(st.text(9));
    s.attempts = static_cast<std::uint32_t>(st.integer(10));
    s.created_ms = st.integer(11);
    s.updated_ms = st.integer(12);
    s.expires_ms = st.integer(13);
    s.result = st.text(14);
    s.public_result = st.text(15);
    return s;
}

constexpr const char* kDeliveryColumns =
    "delivery_id, webhook_id, event_id, event_type, session_id, body, status, attempts, created_ms, updated_ms, "
    "next_attempt_ms, give_up_ms, delivered_ms, last_status_code, last_error";

DeliveryRecord delivery_of(Statement& st) {
    DeliveryRecord d;
    d.delivery_id = st.text(0);
    d.webhook_id = st.text(1);
    d.event_id = st.text(2);
    d.event_type = st.text(3);
    d.session_id = st.text(4);
    d.body = st.text(5);
    d.status = parse_delivery_status(st.text(6));
    d.attempts = static_cast<std::uint32_t>(st.integer(7));
    d.created_ms = st.integer(8);
    d.updated_ms = st.integer(9);
    d.next_attempt_ms = st.integer(10);
    d.give_up_ms = st.integer(11);
    d.delivered_ms = st.integer(12);
    d.last_status_code = static_cast<int>(st.integer(13));
    d.last_error = st.text(14);
    return d;
}

void insert_delivery(Connection& c, const DeliveryRecord& d) {
    c.prepare(std::string("INSERT INTO webhook_deliveries(") + kDeliveryColumns +
              ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)")
        .bind(1, d.delivery_id)
        .bind(2, d.webhook_id)
        .bind(3, d.event_id)
        .bind(4, d.event_type)
        .bind(5, d.session_id)
        .bind(6, d.body)
        .bind(7, delivery_status_name(d.status))
        .bind(8, static_cast<std::int64_t>(d.attempts))
        .bind(9, d.created_ms)
        .bind(10, d.updated_ms)
        .bind(11, d.next_attempt_ms)
        .bind(12, d.give_up_ms)
        .bind(13, d.delivered_ms)
        .bind(14, d.last_status_code)
        .bind(15, d.last_error)
        .run();
}

} // namespace

void SqliteStore::do_create_session(const SessionRecord& s) {
    write([&](Connection& c) {
        Statement exists = c.prepare("SELECT 1 FROM sessions WHERE session_id = ?1");
        exists.bind(1, s.session_id);
        if (exists.step()) throw Error(ErrorCode::RESOURCE_ALREADY_EXISTS, "the session id already exists");
        c.prepare("INSERT INTO sessions(session_id, owner, secret_sha256, action, collection_id, external_id, return_url, "
                  "base_url, options, status, attempts, created_ms, updated_ms, expires_ms, result, public_result) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)")
            .bind(1, s.session_id)
            .bind(2, s.owner)
            .bind(3, s.secret_sha256)
            .bind(4, s.action)
            .bind(5, s.collection_id)
            .bind(6, s.external_id)
            .bind(7, s.return_url)
            .bind(8, s.base_url)
            .bind(9, s.options)
            .bind(10, session_status_name(s.status))
            .bind(11, static_cast<std::int64_t>(s.attempts))
            .bind(12, s.created_ms)
            .bind(13, s.updated_ms)
            .bind(14, s.expires_ms)
            .bind(15, s.result)
            .bind(16, s.public_result)
            .run();
    });
}

std::optional<SessionRecord> SqliteStore::do_get_session(std::string_view session_id) {
    return read([&](Connection& c) -> std::optional<SessionRecord> {
        Statement st = c.prepare(std::string("SELECT ") + kSessionColumns + " FROM sessions WHERE session_id = ?1");
        st.bind(1, session_id);
        if (!st.step()) return std::nullopt;
        return session_of(st);
    });
}

std::vector<SessionRecord> SqliteStore::do_list_sessions(const SessionQuery& q) {
    return read([&](Connection& c) {
        Statement st = c.prepare(
            std::string("SELECT ") + kSessionColumns +
            " FROM sessions WHERE (?1 = '' OR owner = ?1) AND (?2 = '' OR action = ?2) AND (?3 = '' OR collection_id = ?3)"
            " AND (?4 = '' OR status = ?4) AND (?5 = 0 OR (?5 = 1 AND expires_ms <= ?6) OR (?5 = 2 AND expires_ms > ?6))"
            " AND (?7 = 0 OR created_ms < ?8 OR (created_ms = ?8 AND session_id < ?9))"
            " ORDER BY created_ms DESC, session_id DESC LIMIT ?10");
        st.bind(1, q.owner)
            .bind(2, q.action)
            .bind(3, q.collection_id)
            .bind(4, q.status ? session_status_name(*q.status) : std::string_view())
            .bind(5, q.expired ? (*q.expired ? 1 : 2) : 0)
            .bind(6, q.now_ms)
            .bind(7, q.before ? 1 : 0)
            .bind(8, q.before ? q.before->first : 0)
            .bind(9, q.before ? q.before->second : std::string())
            .bind(10, static_cast<std::int64_t>(q.limit));
        std::vector<SessionRecord> out;
        while (st.step()) out.push_back(session_of(st));
        return out;
    });
}

bool SqliteStore::do_update_session(const SessionRecord& next, SessionStatus expected_status,
                                    std::uint32_t expected_attempts, const std::vector<DeliveryRecord>& outbox) {
    return write([&](Connection& c) {
        c.prepare("UPDATE sessions SET status = ?2, attempts = ?3, updated_ms = ?4, result = ?5, public_result = ?6 "
                  "WHERE session_id = ?1 AND status = ?7 AND attempts = ?8")
            .bind(1, next.session_id)
            .bind(2, session_status_name(next.status))
            .bind(3, static_cast<std::int64_t>(next.attempts))
            .bind(4, next.updated_ms)
            .bind(5, next.result)
            .bind(6, next.public_result)
            .bind(7, session_status_name(expected_status))
            .bind(8, static_cast<std::int64_t>(expected_attempts))
            .run();
        if (c.changes() != 1) return false;
        for (const DeliveryRecord& d : outbox) insert_delivery(c, d);
        return true;
    });
}

//
// the webhooks' outbox
//

std::vector<DeliveryRecord> SqliteStore::do_claim_deliveries(std::int64_t now_ms, std::int64_t lease_ms,
                                                              std::size_t limit) {
    auto due = [&](Connection& c) {
        Statement st = c.prepare(std::string("SELECT ") + kDeliveryColumns +
                                 " FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_ms <= ?1"
                                 " ORDER BY next_attempt_ms LIMIT ?2");
        st.bind(1, now_ms).bind(2, static_cast<std::int64_t>(limit));
        std::vector<DeliveryRecord> out;
        while (st.step()) out.push_back(delivery_of(st));
        return out;
    };
    // most polls find nothing: they never take the write lock
    if (read(due).empty()) return {};
    return write([&](Connection& c) {
        std::vector<DeliveryRecord> claimed = due(c);
        for (DeliveryRecord& d : claimed) {
            d.next_attempt_ms = now_ms + lease_ms;
            c.prepare("UPDATE webhook_deliveries SET next_attempt_ms = ?2 WHERE delivery_id = ?1")
                .bind(1, d.delivery_id)
                .bind(2, d.next_attempt_ms)
                .run();
        }
        return claimed;
    });
}

bool SqliteStore::do_record_delivery(const DeliveryRecord& d) {
    return write([&](Connection& c) {
        c.prepare("UPDATE webhook_deliveries SET status = ?2, attempts = ?3, updated_ms = ?4, next_attempt_ms = ?5, "
                  "give_up_ms = ?6, delivered_ms = ?7, last_status_code = ?8, last_error = ?9 WHERE delivery_id = ?1")
            .bind(1, d.delivery_id)
            .bind(2, delivery_status_name(d.status))
            .bind(3, static_cast<std::int64_t>(d.attempts))
            .bind(4, d.updated_ms)
            .bind(5, d.next_attempt_ms)
            .bind(6, d.give_up_ms)
            .bind(7, d.delivered_ms)
            .bind(8, d.last_status_code)
            .bind(9, d.last_error)
            .run();
        return c.changes() == 1;
    });
}

std::optional<DeliveryRecord> SqliteStore::do_get_delivery(std::string_view delivery_id) {
    return read([&](Connection& c) -> std::optional<DeliveryRecord> {
        Statement st =
            c.prepare(std::string("SELECT ") + kDeliveryColumns + " FROM webhook_deliveries WHERE delivery_id = ?1");
        st.bind(1, delivery_id);
        if (!st.step()) return std::nullopt;
        return delivery_of(st);
    });
}

std::vector<DeliveryRecord> SqliteStore::do_list_deliveries(const DeliveryQuery& q) {
    return read([&](Connection& c) {
        Statement st = c.prepare(
            std::string("SELECT ") + kDeliveryColumns +
            " FROM webhook_deliveries WHERE (?1 = 0 OR webhook_id IN (SELECT value FROM json_each(?2)))"
            " AND (?3 = '' OR status = ?3) AND (?4 = 0 OR created_ms < ?5 OR (created_ms = ?5 AND delivery_id < ?6))"
            " ORDER BY created_ms DESC, delivery_id DESC LIMIT ?7");
        st.bind(1, q.webhook_ids.empty() ? 0 : 1)
            .bind(2, nlohmann::json(q.webhook_ids).dump())
            .bind(3, q.status ? delivery_status_name(*q.status) : std::string_view())
            .bind(4, q.before ? 1 : 0)
            .bind(5, q.before ? q.before->first : 0)
            .bind(6, q.before ? q.before->second : std::string())
            .bind(7, static_cast<std::int64_t>(q.limit));
        std::vector<DeliveryRecord> out;
        while (st.step()) out.push_back(delivery_of(st));
        return out;
    });
}

void SqliteStore::do_run_exclusively(std::string_view, const std::function<void()>& work) {
    std::lock_guard lock(exclusive_mutex_);
    work();
}

} // namespace facegate

//
// migration: rows copied with their ids and times
//

namespace facegate {

ImportCounts SqliteStore::do_import_rows(const CollectionRows& rows) {
    const std::string& collection_id = rows.info.collection_id;
    std::vector<SealedEmbedding> sealed;
    for (const FaceRecord& face : rows.faces) sealed.push_back(seal_embedding(collection_id, face.face_id, face.embedding));
    return write([&](Connection& c) {
        const std::int64_t now = now_ms();
        ImportCounts counts;
        if (!find_collection(c, collection_id)) {
            c.prepare("INSERT INTO collections(collection_id, arn, face_model_version, created_ms) VALUES (?1, ?2, ?3, ?4)")
                .bind(1, collection_id)
                .bind(2, rows.info.arn.empty() ? options_.arn_prefix + collection_id : rows.info.arn)
                .bind(3, rows.info.face_model_version)
                .bind(4, rows.info.created_ms)
                .run();
            ++counts.collections;
        }
        const std::int64_t key = require_collection(c, collection_id).key;
        for (const UserRecord& user : rows.users) {
            if (find_user(c, key, user.user_id)) continue;
            c.prepare("INSERT INTO users(collection_key, user_id, status, created_ms, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5)")
                .bind(1, key)
                .bind(2, user.user_id)
                .bind(3, user_status_name(UserStatus::CREATED))
                .bind(4, user.created_ms)
                .bind(5, user.updated_ms)
                .run();
            ++counts.users;
        }
        const std::uint32_t active = active_key_version(c);
        if (std::any_of(sealed.begin(), sealed.end(), [&](const SealedEmbedding& e) { return e.key_version != active; })) {
            sealing_key_is_current(active, [&c] { return load_data_keys(c); });
            for (std::size_t i = 0; i < sealed.size(); ++i)
                sealed[i] = seal_embedding(collection_id, rows.faces[i].face_id, rows.faces[i].embedding);
        }
        std::set<std::int64_t> touched_users;
        for (std::size_t i = 0; i < rows.faces.size(); ++i) {
            const FaceRecord& face = rows.faces[i];
            {
                Statement st = c.prepare("SELECT 1 FROM faces WHERE face_id = ?1");
                st.bind(1, face.face_id);
                if (st.step()) continue;
            }
            std::optional<std::int64_t> user_key;
            if (face.user_id) {
                user_key = require_user(c, key, *face.user_id).key;
                touched_users.insert(*user_key);
            }
            c.prepare("INSERT INTO faces(collection_key, face_id, image_id, external_image_id, bbox_width, bbox_height, "
                      "bbox_left, bbox_top, confidence, model_version, created_ms, user_key) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)")
                .bind(1, key)
                .bind(2, face.face_id)
                .bind(3, face.image_id)
                .bind(4, face.external_image_id)
                .bind(5, static_cast<double>(face.bounding_box.width))
                .bind(6, static_cast<double>(face.bounding_box.height))
                .bind(7, static_cast<double>(face.bounding_box.left))
                .bind(8, static_cast<double>(face.bounding_box.top))
                .bind(9, static_cast<double>(face.confidence))
                .bind(10, face.model_version)
                .bind(11, face.created_ms)
                .bind(12, user_key)
                .run();
            const std::int64_t row_id = c.last_insert_rowid();
            c.prepare("INSERT INTO face_embeddings(row_id, embedding, key_version) VALUES (?1, ?2, ?3)")
                .bind(1, row_id)
                .bind_blob(2, sealed[i].blob)
                .bind(3, static_cast<std::int64_t>(sealed[i].key_version))
                .run();
            record_change(c, collection_id, FaceChangeKind::FACE_ADDED, row_id, face.face_id, now);
            ++counts.faces;
        }
        for (std::int64_t user_key : touched_users) {
            // the status follows the faces, keeping the source's update time
            Statement st = c.prepare("UPDATE users SET status = ?2 WHERE user_key = ?1");
            st.bind(1, user_key).bind(2, user_status_name(user_face_count(c, user_key) > 0 ? UserStatus::ACTIVE
                                                                                           : UserStatus::CREATED));
            st.run();
        }
        return counts;
    });
}

std::vector<StoredToken> SqliteStore::do_export_tokens() {
    return read([&](Connection& c) {
        std::vector<StoredToken> tokens;
        Statement st = c.prepare("SELECT operation, token, request_hash, response, created_ms FROM request_tokens "
                                 "WHERE created_ms > ?1 ORDER BY created_ms");
        st.bind(1, now_ms() - kTokenLifetimeMs);
        while (st.step()) tokens.push_back({st.text(0), st.text(1), TokenEntry{st.text(2), st.text(3), st.integer(4)}});
        return tokens;
    });
}

ImportCounts SqliteStore::do_import_tokens(const std::vector<StoredToken>& tokens) {
    return write([&](Connection& c) {
        ImportCounts counts;
        for (const StoredToken& token : tokens) {
            Statement st = c.prepare("INSERT INTO request_tokens(operation, token, request_hash, response, created_ms) "
                                     "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(operation, token) DO NOTHING");
            st.bind(1, token.operation)
                .bind(2, token.token)
                .bind(3, token.entry.request_hash)
                .bind(4, token.entry.response)
                .bind(5, token.entry.created_ms)
                .run();
            counts.tokens += static_cast<std::uint64_t>(c.changes());
        }
        return counts;
    });
}

} // namespace facegate
