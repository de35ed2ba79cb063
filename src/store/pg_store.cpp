// SPDX-License-Identifier: MIT
#include "store/pg_store.h"

#include "store/page_token.h"
#include "store/pg_db.h"
#include "store/pg_schema.h"

#include "common/error.h"

#include <nlohmann/json.hpp>

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <map>
#include <set>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>

namespace facegate {

using pg::Clock;
using pg::Connection;
using pg::Param;
using pg::Result;

//
// the connection pool
//

class PgStore::Pool {
  public:
    using Opener = std::function<std::unique_ptr<Connection>(std::chrono::milliseconds)>;

    // a connection on loan to one thread; returned to the pool on destruction, or closed when it is broken,
    // still in a transaction, or discarded
    class Lease {
      public:
        Lease(Pool& pool, std::unique_ptr<Connection> connection) : pool_(pool), connection_(std::move(connection)) {}
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        ~Lease() { pool_.release(std::move(connection_), discard_); }
        Connection& connection() { return *connection_; }
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

    // waits up to `wait` for a free connection (opening one within `wait` when a slot is free)
    Lease acquire(std::chrono::milliseconds wait) {
        std::unique_lock lock(mutex_);
        if (!available_.wait_for(lock, wait, [&] { return !idle_.empty() || open_ < max_; }))
            throw Error(ErrorCode::STORE_UNAVAILABLE, "store: no free PostgreSQL connection within " +
                                                          std::to_string(wait.count()) + " ms");
        if (!idle_.empty()) {
            std::unique_ptr<Connection> connection = std::move(idle_.back());
            idle_.pop_back();
            return Lease(*this, std::move(connection));
        }
        ++open_; // reserve the slot, connect outside the lock
        lock.unlock();
        try {
            return Lease(*this, opener_(wait));
        } catch (...) {
            lock.lock();
            --open_;
            available_.notify_one();
            throw;
        }
    }

  private:
    void release(std::unique_ptr<Connection> connection, bool discard) {
        // closing outside the lock: PQfinish may write to the socket
        if (connection && (discard || connection->broken() || connection->in_transaction())) {
            connection.reset();
            discard = true;
        }
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

//
// the listener: LISTEN facegate_changes / facegate_documents on a connection of its own
//

class PgStore::Listener {
  public:
    explicit Listener(const PgStore& store) : store_(store) {
        stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (stop_fd_ < 0) throw Error(ErrorCode::INTERNAL, "store: cannot make an eventfd");
        thread_ = std::thread([this] { run(); });
    }
    ~Listener() {
        const std::uint64_t one = 1;
        [[maybe_unused]] ssize_t n = ::write(stop_fd_, &one, sizeof one);
        thread_.join();
        ::close(stop_fd_);
    }
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;

    // connected and listening: every commit of a face write or document update is (or will shortly be) seen
    bool healthy() const { return healthy_.load(std::memory_order_acquire); }
    std::int64_t newest_seq() const { return newest_seq_.load(std::memory_order_acquire); }
    void note_seq(std::int64_t seq) { raise(newest_seq_, seq); }

    // the document cache: a version is cached only when no notification came between its read and now
    std::optional<std::int64_t> cached_version(std::string_view name, std::uint64_t& generation) {
        std::lock_guard lock(mutex_);
        generation = generation_;
        auto it = versions_.find(std::string(name));
        if (it == versions_.end()) return std::nullopt;
        return it->second;
    }
    void cache_version(std::string_view name, std::int64_t version, std::uint64_t generation) {
        std::lock_guard lock(mutex_);
        if (generation == generation_ && healthy()) versions_[std::string(name)] = version;
    }
    void note_document(const std::string& name, std::int64_t version) {
        std::lock_guard lock(mutex_);
        ++generation_;
        std::int64_t& cached = versions_[name];
        cached = std::max(cached, version);
    }

  private:
    static void raise(std::atomic<std::int64_t>& value, std::int64_t to) {
        std::int64_t current = value.load();
        while (current < to && !value.compare_exchange_weak(current, to)) {
        }
    }

    void forget_documents(const std::string* name) {
        std::lock_guard lock(mutex_);
        ++generation_;
        if (name)
            versions_.erase(*name);
        else
            versions_.clear();
    }

    void handle(const Connection::Notification& n) {
        if (n.channel == "facegate_changes") {
            try {
                raise(newest_seq_, std::stoll(n.payload));
            } catch (...) {
                // not ours: a query will tell
            }
        } else if (n.channel == "facegate_documents") {
            forget_documents(&n.payload);
        }
    }

    bool stopping() const {
        pollfd fd{stop_fd_, POLLIN, 0};
        return ::poll(&fd, 1, 0) > 0;
    }

    void run() {
        std::chrono::milliseconds backoff{50};
        while (!stopping()) {
            try {
                std::unique_ptr<Connection> c = store_.open_connection(stop_fd_);
                const auto deadline = [&] { return Clock::now() + store_.options_.query_timeout; };
                c->exec("listen", "LISTEN facegate_changes; LISTEN facegate_documents", deadline());
                // from here on nothing is missed: start from the feed's position now
                Result r = c->query("listen", "SELECT last_seq FROM face_feed", {}, deadline());
                if (!r.empty()) raise(newest_seq_, r.integer(0, 0));
                forget_documents(nullptr);
                healthy_.store(true, std::memory_order_release);
                backoff = std::chrono::milliseconds{50};
                for (;;) {
                    while (std::optional<Connection::Notification> n = c->next_notification()) handle(*n);
                    pollfd fds[2] = {{c->socket(), POLLIN, 0}, {stop_fd_, POLLIN, 0}};
                    const int ready = ::poll(fds, 2, 1000);
                    if (ready < 0 && errno != EINTR) break;
                    if (fds[1].revents & POLLIN) break;
                    if (fds[0].revents) c->consume_input(); // throws when the connection is lost
                    if (c->broken()) break;
                }
            } catch (const std::exception&) {
                // the server is down or restarting: query meanwhile, reconnect below
            }
            healthy_.store(false, std::memory_order_release);
            forget_documents(nullptr);
            pollfd fd{stop_fd_, POLLIN, 0};
            ::poll(&fd, 1, static_cast<int>(backoff.count()));
            backoff = std::min(backoff * 2, std::chrono::milliseconds{1000});
        }
        healthy_.store(false, std::memory_order_release);
    }

    const PgStore& store_;
    int stop_fd_ = -1;
    std::atomic<bool> healthy_{false};
    std::atomic<std::int64_t> newest_seq_{0};
    std::mutex mutex_;
    std::unordered_map<std::string, std::int64_t> versions_;
    std::uint64_t generation_ = 0;
    std::thread thread_;
};

//
// a transaction in progress
//

struct PgStore::Tx {
    Tx(Connection& connection, std::chrono::milliseconds deadline) : c(connection), timeout(deadline) {}

    Connection& c;
    std::chrono::milliseconds timeout;
    std::int64_t last_seq = 0; // the newest change feed seq this transaction wrote
    std::vector<std::pair<std::string, std::int64_t>> documents; // documents it updated, with their versions

    Result q(std::string_view what, const std::string& sql, const std::vector<Param>& params = {}) {
        return c.query(what, sql, params, Clock::now() + timeout);
    }
};

namespace {

// the client's deadline is a little after the server's statement_timeout, which ends a slow query cleanly
constexpr std::chrono::milliseconds kDeadlineGrace{250};
constexpr std::size_t kScanBatch = 5000;
constexpr int kRetries = 3;
constexpr std::chrono::seconds kScrubInterval{10};

//
// parameters
//

std::string quote_array_element(std::string_view text) {
    std::string out = "\"";
    for (char ch : text) {
        if (ch == '"' || ch == '\\') out.push_back('\\');
        out.push_back(ch);
    }
    out.push_back('"');
    return out;
}

// a text[] literal
std::string text_array(const std::vector<std::string>& items) {
    std::string out = "{";
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out.push_back(',');
        out += quote_array_element(items[i]);
    }
    out.push_back('}');
    return out;
}

// a bigint[] literal
std::string integer_array(const std::vector<std::int64_t>& items) {
    std::string out = "{";
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out.push_back(',');
        out += std::to_string(items[i]);
    }
    out.push_back('}');
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

std::vector<std::string> unique_in_order(const std::vector<std::string>& ids) {
    std::vector<std::string> out;
    std::unordered_set<std::string> seen;
    for (const std::string& id : ids)
        if (seen.insert(id).second) out.push_back(id);
    return out;
}

//
// rows
//

// f.user_key is column 12: internal, not part of FaceRecord
const std::string kSelectFace =
    "SELECT f.row_id, f.face_id, f.image_id, f.external_image_id, f.bbox_width, f.bbox_height, f.bbox_left, "
    "f.bbox_top, f.confidence, f.model_version, f.created_ms, u.user_id, f.user_key "
    "FROM faces f LEFT JOIN users u ON u.user_key = f.user_key ";

FaceRecord read_face(const Result& r, int row) {
    FaceRecord face;
    face.row_id = r.integer(row, 0);
    face.face_id = r.text(row, 1);
    face.image_id = r.text(row, 2);
    face.external_image_id = r.optional_text(row, 3);
    face.bounding_box = {static_cast<float>(r.real(row, 4)), static_cast<float>(r.real(row, 5)),
                         static_cast<float>(r.real(row, 6)), static_cast<float>(r.real(row, 7))};
    face.confidence = static_cast<float>(r.real(row, 8));
    face.model_version = r.text(row, 9);
    face.created_ms = r.integer(row, 10);
    face.user_id = r.optional_text(row, 11);
    return face;
}

std::vector<FaceRecord> read_faces(const Result& r) {
    std::vector<FaceRecord> faces;
    for (int i = 0; i < r.rows(); ++i) faces.push_back(read_face(r, i));
    return faces;
}

struct CollectionRow {
    std::int64_t key = 0;
    CollectionInfo info;
};

std::string missing_collection(std::string_view id) {
    return "The collection id: " + std::string(id) + " does not exist";
}

template <class Tx>
std::optional<CollectionRow> find_collection(Tx& tx, std::string_view id) {
    Result r = tx.q("find collection",
                    "SELECT collection_key, collection_id, arn, face_model_version, created_ms "
                    "FROM collections WHERE collection_id = $1",
                    {id});
    if (r.empty()) return std::nullopt;
    return CollectionRow{r.integer(0, 0), CollectionInfo{r.text(0, 1), r.text(0, 2), r.text(0, 3), r.integer(0, 4)}};
}

template <class Tx>
CollectionRow require_collection(Tx& tx, std::string_view id) {
    std::optional<CollectionRow> row = find_collection(tx, id);
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

UserRow read_user(const Result& r, int row) {
    return UserRow{r.integer(row, 0), UserRecord{r.text(row, 1), parse_user_status(r.text(row, 2)), r.integer(row, 3),
                                                 r.integer(row, 4), static_cast<std::uint64_t>(r.integer(row, 5))}};
}

template <class Tx>
std::optional<UserRow> find_user(Tx& tx, std::int64_t collection_key, std::string_view user_id) {
    Result r = tx.q("find user", kSelectUser + "WHERE u.collection_key = $1 AND u.user_id = $2",
                    {collection_key, user_id});
    if (r.empty()) return std::nullopt;
    return read_user(r, 0);
}

template <class Tx>
UserRow require_user(Tx& tx, std::int64_t collection_key, std::string_view user_id) {
    std::optional<UserRow> row = find_user(tx, collection_key, user_id);
    if (!row) throw Error(ErrorCode::RESOURCE_NOT_FOUND, "The user id: " + std::string(user_id) + " does not exist");
    return std::move(*row);
}

// CREATED while the user has no faces, ACTIVE once it has some
template <class Tx>
UserStatus refresh_user_status(Tx& tx, std::int64_t user_key, std::int64_t now) {
    Result r = tx.q("update user status",
                    "UPDATE users SET status = CASE WHEN EXISTS (SELECT 1 FROM faces WHERE user_key = $1) "
                    "THEN 'ACTIVE' ELSE 'CREATED' END, updated_ms = $2 WHERE user_key = $1 RETURNING status",
                    {user_key, now});
    return r.empty() ? UserStatus::CREATED : parse_user_status(r.text(0, 0));
}

// the faces as a write needs them: their rows, and the users they are tied to
struct FaceLink {
    std::int64_t row_id = 0;
    std::optional<std::int64_t> user_key;
    std::optional<std::string> user_id;
};

template <class Tx>
std::unordered_map<std::string, FaceLink> find_face_links(Tx& tx, std::int64_t collection_key,
                                                          const std::vector<std::string>& face_ids) {
    Result r = tx.q("find faces",
                    "SELECT f.face_id, f.row_id, f.user_key, u.user_id FROM faces f "
                    "LEFT JOIN users u ON u.user_key = f.user_key "
                    "WHERE f.collection_key = $1 AND f.face_id = ANY($2::text[])",
                    {collection_key, text_array(face_ids)});
    std::unordered_map<std::string, FaceLink> links;
    for (int i = 0; i < r.rows(); ++i)
        links.emplace(r.text(i, 0), FaceLink{r.integer(i, 1), r.optional_integer(i, 2), r.optional_text(i, 3)});
    return links;
}

template <class Tx>
void set_faces_user(Tx& tx, const std::vector<std::int64_t>& rows, std::optional<std::int64_t> user_key) {
    if (rows.empty()) return;
    tx.q("associate faces", "UPDATE faces SET user_key = $2 WHERE row_id = ANY($1::bigint[])",
         {integer_array(rows), user_key});
}

template <class Tx>
void delete_face_rows(Tx& tx, const std::vector<std::int64_t>& rows) {
    if (rows.empty()) return;
    tx.q("delete faces", "DELETE FROM face_embeddings WHERE row_id = ANY($1::bigint[])", {integer_array(rows)});
    tx.q("delete faces", "DELETE FROM faces WHERE row_id = ANY($1::bigint[])", {integer_array(rows)});
}

//
// change feed
//

// appends changes of one kind, in order, with consecutive seqs (face_feed.last_seq: see pg_schema.cpp)
template <class Tx>
void record_changes(Tx& tx, std::string_view collection_id, FaceChangeKind kind,
                    const std::vector<std::pair<std::int64_t, std::string>>& changes, std::int64_t now) {
    if (changes.empty()) return;
    std::vector<std::int64_t> rows;
    std::vector<std::string> faces;
    for (const auto& [row, face] : changes) {
        rows.push_back(row);
        faces.push_back(face);
    }
    const auto n = static_cast<std::int64_t>(changes.size());
    Result r = tx.q("record changes",
                    "WITH s AS (UPDATE face_feed SET last_seq = last_seq + $5 RETURNING last_seq) "
                    "INSERT INTO face_changes(seq, collection_id, kind, row_id, face_id, created_ms) "
                    "SELECT s.last_seq - $5 + t.o, $1, $2, t.r, t.f, $6 "
                    "FROM s, unnest($3::bigint[], $4::text[]) WITH ORDINALITY AS t(r, f, o) RETURNING seq",
                    {collection_id, face_change_kind_name(kind), integer_array(rows), text_array(faces), n, now});
    for (int i = 0; i < r.rows(); ++i) tx.last_seq = std::max(tx.last_seq, r.integer(i, 0));
}

template <class Tx>
void record_change(Tx& tx, std::string_view collection_id, FaceChangeKind kind, std::int64_t row_id,
                   std::string_view face_id, std::int64_t now) {
    record_changes(tx, collection_id, kind, {{row_id, std::string(face_id)}}, now);
}

// the newest seq ever given out (pruning does not lower it)
template <class Tx>
std::int64_t current_change_seq(Tx& tx) {
    Result r = tx.q("change feed position", "SELECT last_seq FROM face_feed");
    return r.empty() ? 0 : r.integer(0, 0);
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

template <class Tx>
std::optional<TokenEntry> read_token(Tx& tx, std::string_view operation, std::string_view token, std::int64_t now) {
    Result r = tx.q("read token",
                    "SELECT request_hash, response, created_ms FROM request_tokens "
                    "WHERE operation = $1 AND token = $2 AND created_ms > $3",
                    {operation, token, now - kTokenLifetimeMs});
    if (r.empty()) return std::nullopt;
    return TokenEntry{r.text(0, 0), r.text(0, 1), r.integer(0, 2)};
}

template <class Tx>
void write_token(Tx& tx, std::string_view operation, std::string_view token, std::string_view request_hash,
                 std::string_view response, std::int64_t now) {
    // an expired entry for the same token gives way
    tx.q("remember token",
         "INSERT INTO request_tokens(operation, token, request_hash, response, created_ms) VALUES ($1, $2, $3, $4, $5) "
         "ON CONFLICT (operation, token) DO UPDATE SET request_hash = excluded.request_hash, "
         "response = excluded.response, created_ms = excluded.created_ms",
         {operation, token, request_hash, response, now});
}

// before a write: refuse a token used with another request, replay one used with the same request
template <class Tx, class Result>
void check_token(Tx& tx, std::string_view operation, const TokenRecord<Result>* token, std::int64_t now) {
    if (!token) return;
    std::optional<TokenEntry> entry = read_token(tx, operation, token->token, now);
    if (!entry) return;
    if (entry->request_hash != token->request_hash)
        throw Error(ErrorCode::IDEMPOTENT_PARAMETER_MISMATCH,
                    "ClientRequestToken " + token->token + " was already used with different parameters");
    throw TokenReplayed(std::move(*entry));
}

// after a write, in its transaction
template <class Tx, class Result>
void save_token(Tx& tx, std::string_view operation, const TokenRecord<Result>* token, const Result& result,
                std::int64_t now) {
    if (!token) return;
    write_token(tx, operation, token->token, token->request_hash, token->render_response(result), now);
}

//
// templates at rest
//

template <class Tx>
std::vector<DataKeyRecord> load_data_keys(Tx& tx) {
    Result r = tx.q("load data keys",
                    "SELECT version, kek_id, wrapped, active, created_ms FROM template_keys ORDER BY version");
    std::vector<DataKeyRecord> keys;
    for (int i = 0; i < r.rows(); ++i)
        keys.push_back(DataKeyRecord{static_cast<std::uint32_t>(r.integer(i, 0)), r.text(i, 1), r.text(i, 2),
                                     r.boolean(i, 3), r.integer(i, 4)});
    return keys;
}

// the version of the key new embeddings are sealed with (0: none yet)
template <class Tx>
std::uint32_t active_key_version(Tx& tx) {
    Result r = tx.q("active data key", "SELECT coalesce((SELECT version FROM template_keys WHERE active), 0)");
    return static_cast<std::uint32_t>(r.integer(0, 0));
}

bool same_keys(const std::vector<DataKeyRecord>& a, const std::vector<DataKeyRecord>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i].version != b[i].version || a[i].kek_id != b[i].kek_id || a[i].wrapped != b[i].wrapped ||
            a[i].active != b[i].active)
            return false;
    return true;
}

void rollback(Connection& c) {
    if (c.broken() || !c.in_transaction()) return;
    try {
        c.exec("rollback", "ROLLBACK", Clock::now() + std::chrono::seconds(2));
    } catch (...) {
        c.mark_broken(); // the pool drops it
    }
}

} // namespace

//
// transactions
//

template <class Work>
auto PgStore::transact(bool writing, std::optional<std::int64_t> lock_key, Work&& work) {
    using R = std::invoke_result_t<Work&, Tx&>;
    for (int attempt = 0;; ++attempt) {
        Pool::Lease lease = pool_->acquire(options_.query_timeout);
        Connection& c = lease.connection();
        Tx tx{c, options_.query_timeout + kDeadlineGrace};
        bool commit_sent = false;
        try {
            c.exec("begin", writing ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                   Clock::now() + tx.timeout);
            // serialises the writes of every node (see the header); waits at most lock_timeout
            if (lock_key) tx.q("take the store's write lock", "SELECT pg_advisory_xact_lock($1::bigint)", {*lock_key});
            std::optional<std::conditional_t<std::is_void_v<R>, int, R>> result;
            if constexpr (std::is_void_v<R>) {
                work(tx);
                result.emplace(0);
            } else {
                result.emplace(work(tx));
            }
            // delivered at commit, in commit order
            if (tx.last_seq != 0)
                tx.q("notify", "SELECT pg_notify('facegate_changes', $1)", {std::to_string(tx.last_seq)});
            for (const auto& document : tx.documents)
                tx.q("notify", "SELECT pg_notify('facegate_documents', $1)", {document.first});
            commit_sent = true;
            c.exec("commit", "COMMIT", Clock::now() + tx.timeout);
            if (tx.last_seq != 0) {
                std::int64_t seen = local_seq_.load();
                while (seen < tx.last_seq && !local_seq_.compare_exchange_weak(seen, tx.last_seq)) {
                }
                if (listener_) listener_->note_seq(tx.last_seq);
            }
            if (listener_)
                for (const auto& [name, version] : tx.documents) listener_->note_document(name, version);
            if constexpr (std::is_void_v<R>)
                return;
            else
                return std::move(*result);
        } catch (const pg::DbError& e) {
            rollback(c);
            if (c.broken()) lease.discard();
            // nothing was applied: the connection broke before COMMIT left (the server rolls back), or
            // PostgreSQL asked for a retry
            const bool again = (e.retryable() && attempt < kRetries) ||
                               (e.connection_lost() && !commit_sent && attempt == 0);
            if (!again) throw;
        } catch (...) {
            rollback(c);
            if (c.broken()) lease.discard();
            throw;
        }
    }
}

template <class Work>
auto PgStore::read(Work&& work) {
    return transact(false, std::nullopt, std::forward<Work>(work));
}

template <class Work>
auto PgStore::write(Work&& work, std::optional<std::int64_t> lock_key) {
    return transact(true, lock_key ? lock_key : std::optional<std::int64_t>(pg_schema::kWriteLock),
                    std::forward<Work>(work));
}

//
// opening
//

PgStore::PgStore(PgStoreOptions options) : options_(std::move(options)) {
    if (options_.conninfo.empty()) throw Error(ErrorCode::INVALID_PARAMETER, "store: no PostgreSQL conninfo given");
    options_.max_connections = std::max<std::size_t>(options_.max_connections, 1);
    options_.query_timeout = std::max(options_.query_timeout, std::chrono::milliseconds{1});
    if (!options_.clock_ms) {
        options_.clock_ms = [] {
            return std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                .count();
        };
    }
    const std::string ms = std::to_string(options_.query_timeout.count());
    // a session stuck inside a transaction (a frozen node holding the write lock) is ended by the server
    const std::string idle = std::to_string(std::max<long long>(10'000, 4 * options_.query_timeout.count()));
    settings_ = "SET statement_timeout = " + ms + "; SET lock_timeout = " + ms +
                "; SET idle_in_transaction_session_timeout = " + idle;

    std::unique_ptr<Connection> first = open_connection();
    pg_schema::migrate(*first, Clock::now() + std::max(options_.query_timeout, std::chrono::milliseconds{30'000}));
    auto opener = [this](std::chrono::milliseconds wait) { return open_connection(-1, wait); };
    pool_ = std::make_unique<Pool>(options_.max_connections, opener);
    pool_->adopt(std::move(first));
    lock_pool_ = std::make_unique<Pool>(options_.max_connections, opener);
    // the data keys: a missing or wrong KEK is refused here, before anything is written
    open_templates(options_.kek_source, options_.create_kek);
    listener_ = std::make_unique<Listener>(*this);
}

PgStore::~PgStore() { listener_.reset(); }

std::int64_t PgStore::now_ms() const { return options_.clock_ms(); }

std::unique_ptr<Connection> PgStore::open_connection(int stop_fd, std::optional<std::chrono::milliseconds> wait) const {
    const std::chrono::milliseconds timeout = wait ? std::min(*wait, options_.connect_timeout) : options_.connect_timeout;
    return std::make_unique<Connection>(options_.conninfo, timeout, settings_, stop_fd);
}

int PgStore::schema_version() {
    return read([](Tx& tx) { return pg_schema::schema_version(tx.c, Clock::now() + tx.timeout); });
}

bool PgStore::do_ping() noexcept {
    try {
        const std::chrono::milliseconds second{1000};
        Pool::Lease lease = pool_->acquire(second);
        lease.connection().query("ping", "SELECT 1", {}, Clock::now() + second);
        return true;
    } catch (...) {
        return false;
    }
}

//
// collections
//

CollectionInfo PgStore::do_create_collection(std::string_view collection_id, std::string_view face_model_version) {
    return write([&](Tx& tx) {
        if (find_collection(tx, collection_id))
            throw Error(ErrorCode::RESOURCE_ALREADY_EXISTS,
                        "The collection id: " + std::string(collection_id) + " already exists");
        CollectionInfo info{std::string(collection_id), options_.arn_prefix + std::string(collection_id),
                            std::string(face_model_version), now_ms()};
        tx.q("create collection",
             "INSERT INTO collections(collection_id, arn, face_model_version, created_ms) VALUES ($1, $2, $3, $4)",
             {info.collection_id, info.arn, info.face_model_version, info.created_ms});
        return info;
    });
}

void PgStore::do_delete_collection(std::string_view collection_id) {
    write([&](Tx& tx) {
        const std::int64_t key = require_collection(tx, collection_id).key;
        tx.q("delete collection",
             "DELETE FROM face_embeddings WHERE row_id IN (SELECT row_id FROM faces WHERE collection_key = $1)", {key});
        tx.q("delete collection", "DELETE FROM faces WHERE collection_key = $1", {key});
        tx.q("delete collection", "DELETE FROM users WHERE collection_key = $1", {key});
        tx.q("delete collection", "DELETE FROM collections WHERE collection_key = $1", {key});
        record_change(tx, collection_id, FaceChangeKind::COLLECTION_DELETED, 0, "", now_ms());
    });
    do_scrub();
}

CollectionDescription PgStore::do_describe_collection(std::string_view collection_id) {
    return read([&](Tx& tx) {
        CollectionRow row = require_collection(tx, collection_id);
        CollectionDescription d;
        d.info = std::move(row.info);
        Result r = tx.q("describe collection",
                        "SELECT (SELECT count(*) FROM faces WHERE collection_key = $1), "
                        "(SELECT count(*) FROM users WHERE collection_key = $1)",
                        {row.key});
        d.face_count = static_cast<std::uint64_t>(r.integer(0, 0));
        d.user_count = static_cast<std::uint64_t>(r.integer(0, 1));
        return d;
    });
}

std::optional<CollectionInfo> PgStore::do_get_collection(std::string_view collection_id) {
    return read([&](Tx& tx) -> std::optional<CollectionInfo> {
        std::optional<CollectionRow> row = find_collection(tx, collection_id);
        if (!row) return std::nullopt;
        return std::move(row->info);
    });
}

CollectionPage PgStore::do_list_collections(const PageRequest& page) {
    const std::int64_t after = decode_page_token(page.after, 'c', "").value_or(0);
    return read([&](Tx& tx) {
        CollectionPage out;
        std::int64_t last_key = 0;
        Result r = tx.q("list collections",
                        "SELECT collection_key, collection_id, arn, face_model_version, created_ms "
                        "FROM collections WHERE collection_key > $1 ORDER BY collection_key LIMIT $2",
                        {after, sql_limit(page.limit)});
        for (int i = 0; i < r.rows(); ++i) {
            if (out.collections.size() == page.limit) {
                out.next_token = encode_page_token('c', "", last_key);
                break;
            }
            last_key = r.integer(i, 0);
            out.collections.push_back(CollectionInfo{r.text(i, 1), r.text(i, 2), r.text(i, 3), r.integer(i, 4)});
        }
        return out;
    });
}

//
// faces
//

namespace {

template <class Tx>
std::vector<FaceRecord> select_by_image(Tx& tx, std::int64_t collection_key,
                                        const std::optional<std::string>& external_image_id,
                                        std::string_view image_digest) {
    return read_faces(tx.q("find faces by image",
                           kSelectFace + "WHERE f.collection_key = $1 AND f.image_digest = $2 "
                                         "AND f.external_image_id IS NOT DISTINCT FROM $3::text ORDER BY f.row_id",
                           {collection_key, image_digest, external_image_id}));
}

} // namespace

AddFacesResult PgStore::do_add_faces(std::string_view collection_id, const NewImageFaces& image,
                                     const TokenRecord<AddFacesResult>* token) {
    // UUIDs and the sealed embeddings are prepared before taking the write lock
    std::vector<std::string> face_ids;
    std::vector<SealedEmbedding> sealed;
    for (const NewFace& face : image.faces) {
        face_ids.push_back(new_uuid());
        sealed.push_back(seal_embedding(collection_id, face_ids.back(), face.embedding));
    }
    const std::string image_id = new_uuid();

    return write([&](Tx& tx) {
        const std::int64_t now = now_ms();
        const std::int64_t key = require_collection(tx, collection_id).key;
        check_token(tx, operation::kIndexFaces, token, now);
        // another process may have made a newer data key (a rotation): seal with the one active now
        const std::uint32_t active = active_key_version(tx);
        for (int pass = 0; std::any_of(sealed.begin(), sealed.end(),
                                       [&](const SealedEmbedding& s) { return s.key_version != active; });
             ++pass) {
            if (pass == 2) throw Error(ErrorCode::INTERNAL, "store: cannot seal with the active data key");
            sealing_key_is_current(active, [&tx] { return load_data_keys(tx); });
            for (std::size_t i = 0; i < sealed.size(); ++i)
                sealed[i] = seal_embedding(collection_id, face_ids[i], image.faces[i].embedding);
        }

        AddFacesResult result;
        if (image.image_digest) {
            std::vector<FaceRecord> existing = select_by_image(tx, key, image.external_image_id, *image.image_digest);
            if (!existing.empty()) {
                result.image_id = existing.front().image_id;
                result.faces = std::move(existing);
                result.deduplicated = true;
                save_token(tx, operation::kIndexFaces, token, result, now);
                return result;
            }
        }

        result.image_id = image_id;
        std::vector<std::pair<std::int64_t, std::string>> changes;
        for (std::size_t i = 0; i < image.faces.size(); ++i) {
            const NewFace& in = image.faces[i];
            // the face and its sealed embedding in one round trip
            Result r = tx.q(
                "add faces",
                "WITH f AS (INSERT INTO faces(collection_key, face_id, image_id, external_image_id, image_digest, "
                "bbox_width, bbox_height, bbox_left, bbox_top, confidence, model_version, created_ms) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING row_id) "
                "INSERT INTO face_embeddings(row_id, embedding, key_version) SELECT row_id, $13, $14 FROM f "
                "RETURNING row_id",
                {key, face_ids[i], image_id, image.external_image_id, image.image_digest,
                 static_cast<double>(in.bounding_box.width), static_cast<double>(in.bounding_box.height),
                 static_cast<double>(in.bounding_box.left), static_cast<double>(in.bounding_box.top),
                 static_cast<double>(in.confidence), image.model_version, now, Param::bytes(sealed[i].blob),
                 sealed[i].key_version});
            FaceRecord face;
            face.row_id = r.integer(0, 0);
            face.face_id = face_ids[i];
            face.image_id = image_id;
            face.external_image_id = image.external_image_id;
            face.bounding_box = in.bounding_box;
            face.confidence = in.confidence;
            face.model_version = image.model_version;
            face.created_ms = now;
            changes.emplace_back(face.row_id, face.face_id);
            result.faces.push_back(std::move(face));
        }
        record_changes(tx, collection_id, FaceChangeKind::FACE_ADDED, changes, now);
        save_token(tx, operation::kIndexFaces, token, result, now);
        return result;
    });
}

std::vector<FaceRecord> PgStore::do_find_faces_by_image(std::string_view collection_id,
                                                        const std::optional<std::string>& external_image_id,
                                                        std::string_view image_digest) {
    return read([&](Tx& tx) {
        return select_by_image(tx, require_collection(tx, collection_id).key, external_image_id, image_digest);
    });
}

FacePage PgStore::do_list_faces(std::string_view collection_id, const FaceFilter& filter, const PageRequest& page) {
    const std::int64_t after = decode_page_token(page.after, 'f', collection_id).value_or(0);
    return read([&](Tx& tx) {
        CollectionRow collection = require_collection(tx, collection_id);
        FacePage out;
        out.face_model_version = collection.info.face_model_version;

        std::optional<std::int64_t> user_key;
        if (filter.user_id) {
            std::optional<UserRow> user = find_user(tx, collection.key, *filter.user_id);
            if (!user) return out; // no such user: no faces
            user_key = user->key;
        }

        std::vector<FaceRecord> rows; // up to limit + 1, ascending row_id
        if (!filter.face_ids.empty()) {
            rows = read_faces(tx.q("list faces",
                                   kSelectFace + "WHERE f.collection_key = $1 AND f.face_id = ANY($2::text[]) "
                                                 "AND f.row_id > $3 AND ($4::bigint IS NULL OR f.user_key = $4) "
                                                 "ORDER BY f.row_id LIMIT $5",
                                   {collection.key, text_array(unique_in_order(filter.face_ids)), after, user_key,
                                    sql_limit(page.limit)}));
        } else if (user_key) {
            rows = read_faces(tx.q("list faces", kSelectFace + "WHERE f.user_key = $1 AND f.row_id > $2 ORDER BY f.row_id LIMIT $3",
                                   {*user_key, after, sql_limit(page.limit)}));
        } else {
            rows = read_faces(tx.q("list faces",
                                   kSelectFace + "WHERE f.collection_key = $1 AND f.row_id > $2 ORDER BY f.row_id LIMIT $3",
                                   {collection.key, after, sql_limit(page.limit)}));
        }

        if (rows.size() > page.limit) {
            rows.resize(page.limit);
            out.next_token = encode_page_token('f', collection_id, rows.back().row_id);
        }
        out.faces = std::move(rows);
        return out;
    });
}

std::vector<FaceRecord> PgStore::do_get_faces(std::string_view collection_id, const std::vector<std::string>& face_ids,
                                              bool with_embeddings) {
    return read([&](Tx& tx) {
        const std::int64_t key = require_collection(tx, collection_id).key;
        const std::vector<std::string> ids = unique_in_order(face_ids);
        Result r = tx.q("get faces",
                        "SELECT f.row_id, f.face_id, f.image_id, f.external_image_id, f.bbox_width, f.bbox_height, "
                        "f.bbox_left, f.bbox_top, f.confidence, f.model_version, f.created_ms, u.user_id, f.user_key, "
                        "CASE WHEN $3 THEN e.key_version END, CASE WHEN $3 THEN e.embedding END "
                        "FROM faces f LEFT JOIN users u ON u.user_key = f.user_key "
                        "LEFT JOIN face_embeddings e ON e.row_id = f.row_id "
                        "WHERE f.collection_key = $1 AND f.face_id = ANY($2::text[])",
                        {key, text_array(ids), with_embeddings});
        std::unordered_map<std::string, int> by_id;
        for (int i = 0; i < r.rows(); ++i) by_id.emplace(r.text(i, 1), i);
        const DataKeyLoader load_keys = [&tx] { return load_data_keys(tx); };
        std::vector<FaceRecord> faces;
        for (const std::string& id : ids) {
            auto found = by_id.find(id);
            if (found == by_id.end()) continue;
            FaceRecord face = read_face(r, found->second);
            if (with_embeddings) {
                if (r.is_null(found->second, 14)) throw Error(ErrorCode::INTERNAL, "store: a face has no embedding");
                face.embedding = open_embedding(collection_id, face.face_id,
                                                static_cast<std::uint32_t>(r.integer(found->second, 13)),
                                                r.bytes(found->second, 14), load_keys);
            }
            faces.push_back(std::move(face));
        }
        return faces;
    });
}

DeleteFacesResult PgStore::do_delete_faces(std::string_view collection_id, const std::vector<std::string>& face_ids) {
    DeleteFacesResult deleted = write([&](Tx& tx) {
        const std::int64_t now = now_ms();
        const std::int64_t key = require_collection(tx, collection_id).key;
        const std::vector<std::string> ids = unique_in_order(face_ids);
        const std::unordered_map<std::string, FaceLink> links = find_face_links(tx, key, ids);
        DeleteFacesResult result;
        std::vector<std::int64_t> rows;
        std::vector<std::pair<std::int64_t, std::string>> changes;
        for (const std::string& id : ids) {
            auto face = links.find(id);
            if (face == links.end()) {
                result.unsuccessful.push_back({id, std::nullopt, FaceDeletionFailure::FACE_NOT_FOUND});
            } else if (face->second.user_key) {
                result.unsuccessful.push_back(
                    {id, face->second.user_id, FaceDeletionFailure::ASSOCIATED_TO_AN_EXISTING_USER});
            } else {
                rows.push_back(face->second.row_id);
                changes.emplace_back(face->second.row_id, id);
                result.deleted.push_back({id, face->second.row_id});
            }
        }
        delete_face_rows(tx, rows);
        record_changes(tx, collection_id, FaceChangeKind::FACE_DELETED, changes, now);
        return result;
    });
    if (!deleted.deleted.empty()) do_scrub();
    return deleted;
}

std::vector<FaceRecord> PgStore::do_faces_by_external_id(std::string_view collection_id,
                                                         std::string_view external_image_id) {
    return read([&](Tx& tx) {
        const std::int64_t key = require_collection(tx, collection_id).key;
        return read_faces(tx.q("faces by external id",
                               kSelectFace + "WHERE f.collection_key = $1 AND f.external_image_id = $2 ORDER BY f.row_id",
                               {key, external_image_id}));
    });
}

std::vector<ExternalIdSummary> PgStore::do_list_external_ids(std::string_view collection_id, std::string_view prefix,
                                                             std::size_t limit) {
    return read([&](Tx& tx) {
        const std::int64_t key = require_collection(tx, collection_id).key;
        // a range on the index and starts_with instead of LIKE: prefixes may hold '%' and '_'
        Result r = tx.q("list external ids",
                        "SELECT external_image_id, count(*), min(created_ms), max(created_ms) FROM faces "
                        "WHERE collection_key = $1 AND external_image_id IS NOT NULL AND external_image_id >= $2 "
                        "AND starts_with(external_image_id, $2) GROUP BY external_image_id "
                        "ORDER BY external_image_id LIMIT $3",
                        {key, prefix, static_cast<std::int64_t>(std::min<std::size_t>(limit, 1'000'000'000))});
        std::vector<ExternalIdSummary> out;
        for (int i = 0; i < r.rows(); ++i)
            out.push_back(ExternalIdSummary{r.text(i, 0), r.integer(i, 1), r.integer(i, 2), r.integer(i, 3)});
        return out;
    });
}

std::int64_t PgStore::do_count_external_ids(std::string_view collection_id) {
    return read([&](Tx& tx) {
        const std::int64_t key = require_collection(tx, collection_id).key;
        Result r = tx.q("count external ids",
                        "SELECT count(DISTINCT external_image_id) FROM faces WHERE collection_key = $1", {key});
        return r.integer(0, 0);
    });
}

void PgStore::do_put_external_id_alias(std::string_view alias, std::string_view external_id) {
    write([&](Tx& tx) {
        tx.q("put external id alias",
             "INSERT INTO external_id_aliases(alias, external_id) VALUES ($1, $2) ON CONFLICT (alias) DO NOTHING",
             {alias, external_id});
    });
}

std::optional<std::string> PgStore::do_external_id_for_alias(std::string_view alias) {
    return read([&](Tx& tx) -> std::optional<std::string> {
        Result r = tx.q("external id for alias", "SELECT external_id FROM external_id_aliases WHERE alias = $1", {alias});
        if (r.empty()) return std::nullopt;
        return r.text(0, 0);
    });
}

std::vector<FaceRecord> PgStore::do_delete_faces_by_external_id(std::string_view collection_id,
                                                                std::string_view external_image_id) {
    std::vector<FaceRecord> erased = write([&](Tx& tx) {
        const std::int64_t now = now_ms();
        const std::int64_t key = require_collection(tx, collection_id).key;
        Result r = tx.q("erase by external id",
                        kSelectFace + "WHERE f.collection_key = $1 AND f.external_image_id = $2 ORDER BY f.row_id "
                                      "FOR UPDATE OF f",
                        {key, external_image_id});
        std::vector<FaceRecord> faces;
        std::set<std::int64_t> users;
        std::vector<std::int64_t> rows;
        std::vector<std::pair<std::int64_t, std::string>> changes;
        for (int i = 0; i < r.rows(); ++i) {
            faces.push_back(read_face(r, i));
            if (std::optional<std::int64_t> user = r.optional_integer(i, 12)) users.insert(*user);
            rows.push_back(faces.back().row_id);
            changes.emplace_back(faces.back().row_id, faces.back().face_id);
        }
        delete_face_rows(tx, rows);
        record_changes(tx, collection_id, FaceChangeKind::FACE_DELETED, changes, now);
        for (std::int64_t user : users) refresh_user_status(tx, user, now);
        return faces;
    });
    if (!erased.empty()) do_scrub();
    return erased;
}

std::int64_t PgStore::do_scan_embeddings(std::string_view collection_id, std::int64_t after_row_id,
                                         const std::function<void(FaceEmbedding&&)>& on_face) {
    // the feed position first: changes after it that the batches already show are applied twice, harmlessly
    const auto [key, seq] = read([&](Tx& tx) {
        return std::pair{require_collection(tx, collection_id).key, current_change_seq(tx)};
    });
    for (std::int64_t after = after_row_id;;) {
        // one short snapshot per batch; the callbacks run outside the transaction
        std::vector<FaceEmbedding> batch = read([&](Tx& tx) {
            Result r = tx.q("scan embeddings",
                            "SELECT f.row_id, f.face_id, u.user_id, e.key_version, e.embedding FROM faces f "
                            "JOIN face_embeddings e ON e.row_id = f.row_id "
                            "LEFT JOIN users u ON u.user_key = f.user_key "
                            "WHERE f.collection_key = $1 AND f.row_id > $2 ORDER BY f.row_id LIMIT $3",
                            {key, after, static_cast<std::int64_t>(kScanBatch)});
            const DataKeyLoader load_keys = [&tx] { return load_data_keys(tx); };
            std::vector<FaceEmbedding> faces;
            faces.reserve(static_cast<std::size_t>(r.rows()));
            for (int i = 0; i < r.rows(); ++i) {
                std::string face_id = r.text(i, 1);
                std::vector<float> embedding = open_embedding(
                    collection_id, face_id, static_cast<std::uint32_t>(r.integer(i, 3)), r.bytes(i, 4), load_keys);
                faces.push_back(FaceEmbedding{r.integer(i, 0), std::move(face_id), r.optional_text(i, 2),
                                              std::move(embedding)});
            }
            return faces;
        });
        if (batch.empty()) break;
        after = batch.back().row_id;
        const bool last = batch.size() < kScanBatch;
        for (FaceEmbedding& face : batch) on_face(std::move(face));
        if (last) break;
    }
    return seq;
}

//
// users
//

UserRecord PgStore::do_create_user(std::string_view collection_id, std::string_view user_id,
                                   const TokenRecord<UserRecord>* token) {
    return write([&](Tx& tx) {
        const std::int64_t now = now_ms();
        const std::int64_t key = require_collection(tx, collection_id).key;
        check_token(tx, operation::kCreateUser, token, now);
        if (find_user(tx, key, user_id))
            throw Error(ErrorCode::CONFLICT, "A User with the same Id already exists within the collection");
        tx.q("create user",
             "INSERT INTO users(collection_key, user_id, status, created_ms, updated_ms) VALUES ($1, $2, $3, $4, $4)",
             {key, user_id, user_status_name(UserStatus::CREATED), now});
        UserRecord user{std::string(user_id), UserStatus::CREATED, now, now, 0};
        save_token(tx, operation::kCreateUser, token, user, now);
        return user;
    });
}

DeleteUserResult PgStore::do_delete_user(std::string_view collection_id, std::string_view user_id,
                                         const TokenRecord<DeleteUserResult>* token) {
    DeleteUserResult deleted = write([&](Tx& tx) {
        const std::int64_t now = now_ms();
        const std::int64_t key = require_collection(tx, collection_id).key;
        check_token(tx, operation::kDeleteUser, token, now);
        const UserRow user = require_user(tx, key, user_id);
        DeleteUserResult result;
        Result r = tx.q("delete user", "SELECT row_id, face_id FROM faces WHERE user_key = $1 ORDER BY row_id",
                        {user.key});
        std::vector<std::int64_t> rows;
        std::vector<std::pair<std::int64_t, std::string>> changes;
        for (int i = 0; i < r.rows(); ++i) {
            rows.push_back(r.integer(i, 0));
            result.disassociated_face_ids.push_back(r.text(i, 1));
            changes.emplace_back(rows.back(), result.disassociated_face_ids.back());
        }
        set_faces_user(tx, rows, std::nullopt);
        record_changes(tx, collection_id, FaceChangeKind::FACE_USER_CHANGED, changes, now);
        tx.q("delete user", "DELETE FROM users WHERE user_key = $1", {user.key});
        save_token(tx, operation::kDeleteUser, token, result, now);
        return result;
    });
    if (!deleted.disassociated_face_ids.empty()) do_scrub();
    return deleted;
}

std::optional<UserRecord> PgStore::do_get_user(std::string_view collection_id, std::string_view user_id) {
    return read([&](Tx& tx) -> std::optional<UserRecord> {
        std::optional<UserRow> user = find_user(tx, require_collection(tx, collection_id).key, user_id);
        if (!user) return std::nullopt;
        return std::move(user->record);
    });
}

UserPage PgStore::do_list_users(std::string_view collection_id, const PageRequest& page) {
    const std::int64_t after = decode_page_token(page.after, 'u', collection_id).value_or(0);
    return read([&](Tx& tx) {
        const std::int64_t key = require_collection(tx, collection_id).key;
        UserPage out;
        std::int64_t last_key = 0;
        Result r = tx.q("list users",
                        kSelectUser + "WHERE u.collection_key = $1 AND u.user_key > $2 ORDER BY u.user_key LIMIT $3",
                        {key, after, sql_limit(page.limit)});
        for (int i = 0; i < r.rows(); ++i) {
            if (out.users.size() == page.limit) {
                out.next_token = encode_page_token('u', collection_id, last_key);
                break;
            }
            UserRow row = read_user(r, i);
            last_key = row.key;
            out.users.push_back(std::move(row.record));
        }
        return out;
    });
}

AssociateFacesResult PgStore::do_associate_faces(std::string_view collection_id, std::string_view user_id,
                                                 const std::vector<std::string>& face_ids,
                                                 const TokenRecord<AssociateFacesResult>* token) {
    return write([&](Tx& tx) {
        const std::int64_t now = now_ms();
        const std::int64_t key = require_collection(tx, collection_id).key;
        check_token(tx, operation::kAssociateFaces, token, now);
        const UserRow user = require_user(tx, key, user_id);
        std::uint64_t count = user.record.face_count;
        AssociateFacesResult result;
        result.user_was_full = count >= kMaxFacesPerUser;
        const std::vector<std::string> ids = unique_in_order(face_ids);
        const std::unordered_map<std::string, FaceLink> links = find_face_links(tx, key, ids);
        std::vector<std::int64_t> rows;
        std::vector<std::pair<std::int64_t, std::string>> changes;
        for (const std::string& id : ids) {
            auto face = links.find(id);
            if (face == links.end()) {
                result.unsuccessful.push_back({id, std::nullopt, FaceAssociationFailure::FACE_NOT_FOUND});
            } else if (face->second.user_key == user.key) {
                // already this user's: ignored, as Rekognition does
            } else if (face->second.user_key) {
                result.unsuccessful.push_back(
                    {id, face->second.user_id, FaceAssociationFailure::ASSOCIATED_TO_A_DIFFERENT_USER});
            } else if (count >= kMaxFacesPerUser) {
                result.unsuccessful.push_back({id, std::nullopt, FaceAssociationFailure::USER_FACE_LIMIT});
            } else {
                rows.push_back(face->second.row_id);
                changes.emplace_back(face->second.row_id, id);
                result.associated.push_back(id);
                ++count;
            }
        }
        set_faces_user(tx, rows, user.key);
        record_changes(tx, collection_id, FaceChangeKind::FACE_USER_CHANGED, changes, now);
        result.user_status = refresh_user_status(tx, user.key, now);
        save_token(tx, operation::kAssociateFaces, token, result, now);
        return result;
    });
}

DisassociateFacesResult PgStore::do_disassociate_faces(std::string_view collection_id, std::string_view user_id,
                                                       const std::vector<std::string>& face_ids,
                                                       const TokenRecord<DisassociateFacesResult>* token) {
    return write([&](Tx& tx) {
        const std::int64_t now = now_ms();
        const std::int64_t key = require_collection(tx, collection_id).key;
        check_token(tx, operation::kDisassociateFaces, token, now);
        const UserRow user = require_user(tx, key, user_id);
        DisassociateFacesResult result;
        const std::vector<std::string> ids = unique_in_order(face_ids);
        const std::unordered_map<std::string, FaceLink> links = find_face_links(tx, key, ids);
        std::vector<std::int64_t> rows;
        std::vector<std::pair<std::int64_t, std::string>> changes;
        for (const std::string& id : ids) {
            auto face = links.find(id);
            if (face == links.end()) {
                result.unsuccessful.push_back({id, std::nullopt, FaceDisassociationFailure::FACE_NOT_FOUND});
            } else if (!face->second.user_key) {
                // not associated with anyone: ignored, as Rekognition does
            } else if (*face->second.user_key != user.key) {
                result.unsuccessful.push_back(
                    {id, face->second.user_id, FaceDisassociationFailure::ASSOCIATED_TO_A_DIFFERENT_USER});
            } else {
                rows.push_back(face->second.row_id);
                changes.emplace_back(face->second.row_id, id);
                result.disassociated.push_back(id);
            }
        }
        set_faces_user(tx, rows, std::nullopt);
        record_changes(tx, collection_id, FaceChangeKind::FACE_USER_CHANGED, changes, now);
        result.user_status = refresh_user_status(tx, user.key, now);
        save_token(tx, operation::kDisassociateFaces, token, result, now);
        return result;
    });
}

//
// idempotency
//

std::optional<TokenEntry> PgStore::do_recall(std::string_view operation, std::string_view token) {
    return read([&](Tx& tx) { return read_token(tx, operation, token, now_ms()); });
}

TokenEntry PgStore::do_remember(std::string_view operation, std::string_view token, std::string_view request_hash,
                                std::string_view response) {
    return write([&](Tx& tx) {
        const std::int64_t now = now_ms();
        if (std::optional<TokenEntry> existing = read_token(tx, operation, token, now)) return std::move(*existing);
        write_token(tx, operation, token, request_hash, response, now);
        return TokenEntry{std::string(request_hash), std::string(response), now};
    });
}

//
// audit
//

std::int64_t PgStore::do_append_audit(const AuditEvent& event) {
    // appends do not touch what the store-wide lock protects: a key of their own keeps them off it
    return write(
        [&](Tx& tx) {
            Result r = tx.q("append audit",
                            "INSERT INTO audit_events(time_ms, operation, collection_id, external_image_id, user_id, "
                            "outcome, caller_key_id, details, request_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
                            "RETURNING seq",
                            {event.time_ms != 0 ? event.time_ms : now_ms(), event.operation,
                             nullable(event.collection_id), event.external_image_id, event.user_id, event.outcome,
                             nullable(event.caller_key_id), nullable(event.details), nullable(event.request_id)});
            const std::int64_t seq = r.integer(0, 0);
            if (!event.face_ids.empty())
                tx.q("append audit",
                     "INSERT INTO audit_faces(seq, ord, face_id) "
                     "SELECT $1, t.o - 1, t.f FROM unnest($2::text[]) WITH ORDINALITY AS t(f, o)",
                     {seq, text_array(event.face_ids)});
            return seq;
        },
        pg_schema::kWriteLock + 1);
}

AuditPage PgStore::do_query_audit(const AuditQuery& query) {
    const std::optional<std::int64_t> before = decode_page_token(query.page.after, 'a', "");
    return read([&](Tx& tx) {
        AuditPage out;
        Result r = tx.q(
            "query audit",
            "SELECT a.seq, a.time_ms, a.operation, a.collection_id, a.external_image_id, a.user_id, a.outcome, "
            "a.caller_key_id, a.details, a.request_id FROM audit_events a "
            "WHERE ($1::text IS NULL OR a.collection_id = $1) AND ($2::text IS NULL OR a.operation = $2) "
            "AND ($3::text IS NULL OR a.external_image_id = $3 OR a.user_id = $3 "
            "     OR EXISTS (SELECT 1 FROM audit_faces x WHERE x.seq = a.seq AND x.face_id = $3)) "
            "AND ($4::text IS NULL OR a.caller_key_id = $4) AND ($5::bigint IS NULL OR a.time_ms >= $5) "
            "AND ($6::bigint IS NULL OR a.time_ms < $6) AND ($7::bigint IS NULL OR a.seq < $7) "
            "AND ($9::text IS NULL OR a.external_image_id = $9) "
            "AND CASE WHEN $10::text IS NULL THEN true WHEN a.details IS NULL THEN false "
            "         ELSE (a.details::jsonb ->> 'decision') = $10 END "
            "ORDER BY a.seq DESC LIMIT $8",
            {query.collection_id, query.operation, query.subject, query.caller_key_id, query.since_ms, query.until_ms,
             before, sql_limit(query.page.limit), query.external_image_id, query.decision});
        for (int i = 0; i < r.rows(); ++i) {
            if (out.records.size() == query.page.limit) {
                out.next_token = encode_page_token('a', "", out.records.back().seq);
                break;
            }
            AuditRecord a;
            a.seq = r.integer(i, 0);
            a.event.time_ms = r.integer(i, 1);
            a.event.operation = r.text(i, 2);
            a.event.collection_id = r.optional_text(i, 3).value_or("");
            a.event.external_image_id = r.optional_text(i, 4);
            a.event.user_id = r.optional_text(i, 5);
            a.event.outcome = r.text(i, 6);
            a.event.caller_key_id = r.optional_text(i, 7).value_or("");
            a.event.details = r.optional_text(i, 8).value_or("");
            a.event.request_id = r.optional_text(i, 9).value_or("");
            out.records.push_back(std::move(a));
        }
        if (!out.records.empty()) {
            std::vector<std::int64_t> seqs;
            for (const AuditRecord& a : out.records) seqs.push_back(a.seq);
            Result faces = tx.q("query audit",
                                "SELECT seq, face_id FROM audit_faces WHERE seq = ANY($1::bigint[]) ORDER BY seq, ord",
                                {integer_array(seqs)});
            std::unordered_map<std::int64_t, AuditRecord*> by_seq;
            for (AuditRecord& a : out.records) by_seq.emplace(a.seq, &a);
            for (int i = 0; i < faces.rows(); ++i) by_seq.at(faces.integer(i, 0))->event.face_ids.push_back(faces.text(i, 1));
        }
        return out;
    });
}

//
// change feed and housekeeping
//

FaceChangeBatch PgStore::do_face_changes_since(std::int64_t after_seq, std::size_t limit) {
    // the in-memory indexes ask before every search: when the listener has heard of nothing newer, there is
    // nothing newer (this process's own commits count at once)
    if (listener_ && listener_->healthy()) {
        const std::int64_t newest = std::max(listener_->newest_seq(), local_seq_.load());
        if (newest <= after_seq) return FaceChangeBatch{{}, false, newest};
    }
    return read([&](Tx& tx) {
        FaceChangeBatch out;
        Result head = tx.q("change feed",
                           "SELECT (SELECT last_seq FROM face_feed), (SELECT coalesce(min(seq), 0) FROM face_changes)");
        out.last_seq = head.integer(0, 0);
        const std::int64_t oldest = head.integer(0, 1);
        // seqs are consecutive (see pg_schema.cpp), so a hole means pruned changes
        out.gap = after_seq < out.last_seq && (oldest == 0 || oldest > after_seq + 1);
        Result r = tx.q("change feed",
                        "SELECT seq, collection_id, kind, row_id, face_id FROM face_changes "
                        "WHERE seq > $1 ORDER BY seq LIMIT $2",
                        {after_seq, sql_limit(limit) - 1});
        for (int i = 0; i < r.rows(); ++i)
            out.changes.push_back(
                FaceChange{r.integer(i, 0), r.text(i, 1), parse_change_kind(r.text(i, 2)), r.integer(i, 3), r.text(i, 4)});
        return out;
    });
}

void PgStore::do_prune() {
    write([&](Tx& tx) {
        const std::int64_t now = now_ms();
        tx.q("prune", "DELETE FROM request_tokens WHERE created_ms <= $1", {now - kTokenLifetimeMs});
        tx.q("prune", "DELETE FROM face_changes WHERE created_ms <= $1", {now - options_.change_retention_ms});
        tx.q("prune", "DELETE FROM rate_events WHERE time_ms <= $1", {now - kMaxRateWindowMs});
        tx.q("prune", "DELETE FROM sessions WHERE expires_ms <= $1", {now - kSessionRetentionMs});
        tx.q("prune", "DELETE FROM webhook_deliveries WHERE status <> 'pending' AND updated_ms <= $1",
             {now - kDeliveryRetentionMs});
    });
    if (scrub_pending_.load()) do_scrub();
}

//
// templates at rest: the key table and the re-seal batches (the cryptography is Store's)
//

std::vector<DataKeyRecord> PgStore::do_load_data_keys() {
    return read([](Tx& tx) { return load_data_keys(tx); });
}

bool PgStore::do_replace_data_keys(const std::vector<DataKeyRecord>& expected, const std::vector<DataKeyRecord>& keys) {
    const bool replaced = write([&](Tx& tx) {
        if (!same_keys(load_data_keys(tx), expected)) return false;
        tx.q("replace data keys", "DELETE FROM template_keys");
        for (const DataKeyRecord& key : keys)
            tx.q("replace data keys",
                 "INSERT INTO template_keys(version, kek_id, wrapped, active, created_ms) VALUES ($1, $2, $3, $4, $5)",
                 {key.version, key.kek_id, Param::bytes(key.wrapped), key.active, key.created_ms});
        return true;
    });
    return replaced;
}

std::optional<std::size_t> PgStore::do_reseal_batch(
    std::uint32_t target, std::size_t limit,
    const std::function<std::string(const StoredTemplate&, const DataKeyLoader&)>& reseal) {
    return write([&](Tx& tx) -> std::optional<std::size_t> {
        if (active_key_version(tx) != target) return std::nullopt;
        Result r = tx.q("re-seal embeddings",
                        "SELECT e.row_id, c.collection_id, f.face_id, e.key_version, e.embedding FROM face_embeddings e "
                        "JOIN faces f ON f.row_id = e.row_id JOIN collections c ON c.collection_key = f.collection_key "
                        "WHERE e.key_version < $1 LIMIT $2",
                        {target, static_cast<std::int64_t>(limit)});
        const DataKeyLoader load_keys = [&tx] { return load_data_keys(tx); };
        for (int i = 0; i < r.rows(); ++i) {
            const StoredTemplate stored{r.integer(i, 0), r.text(i, 1), r.text(i, 2),
                                        static_cast<std::uint32_t>(r.integer(i, 3)), r.text(i, 4)};
            tx.q("re-seal embeddings", "UPDATE face_embeddings SET embedding = $2, key_version = $3 WHERE row_id = $1",
                 {stored.row_id, Param::bytes(reseal(stored, load_keys)), target});
        }
        return static_cast<std::size_t>(r.rows());
    });
}

std::uint64_t PgStore::do_count_templates_below(std::uint32_t version) {
    return read([&](Tx& tx) {
        Result r = tx.q("count templates", "SELECT count(*) FROM face_embeddings WHERE key_version < $1", {version});
        return static_cast<std::uint64_t>(r.integer(0, 0));
    });
}

bool PgStore::do_retire_data_keys(std::uint32_t target) {
    return write([&](Tx& tx) {
        if (active_key_version(tx) != target) return false;
        Result left = tx.q("retire data keys", "SELECT EXISTS (SELECT 1 FROM face_embeddings WHERE key_version < $1)",
                           {target});
        if (left.boolean(0, 0)) return false;
        tx.q("retire data keys", "DELETE FROM template_keys WHERE version <> $1", {target});
        return true;
    });
}

// best effort: VACUUM makes the space of dead tuples (erased or replaced blobs and keys) reusable; what is
// in the table files until overwritten, and in the WAL until recycled, stays sealed
void PgStore::do_scrub() {
    {
        std::lock_guard lock(scrub_mutex_);
        const auto now = std::chrono::steady_clock::now();
        if (last_scrub_ != std::chrono::steady_clock::time_point{} && now - last_scrub_ < kScrubInterval) {
            scrub_pending_.store(true);
            return;
        }
        last_scrub_ = now;
        scrub_pending_.store(false);
    }
    try {
        Pool::Lease lease = pool_->acquire(options_.query_timeout);
        lease.connection().exec("scrub", "VACUUM face_embeddings, template_keys",
                                Clock::now() + options_.query_timeout + kDeadlineGrace);
    } catch (const std::exception&) {
        scrub_pending_.store(true);
    }
}

//
// shared state: documents, counted windows, exclusive sections
//

std::optional<StoredDocument> PgStore::do_read_document(std::string_view name) {
    return read([&](Tx& tx) -> std::optional<StoredDocument> {
        Result r = tx.q("read document", "SELECT version, body FROM documents WHERE name = $1", {name});
        if (r.empty()) return std::nullopt;
        return StoredDocument{r.integer(0, 0), r.text(0, 1)};
    });
}

std::int64_t PgStore::do_document_version(std::string_view name) {
    std::uint64_t generation = 0;
    const bool cached = listener_ && listener_->healthy();
    if (cached)
        if (std::optional<std::int64_t> version = listener_->cached_version(name, generation)) return *version;
    const std::int64_t version = read([&](Tx& tx) -> std::int64_t {
        Result r = tx.q("document version", "SELECT version FROM documents WHERE name = $1", {name});
        return r.empty() ? 0 : r.integer(0, 0);
    });
    if (cached) listener_->cache_version(name, version, generation);
    return version;
}

StoredDocument PgStore::do_update_document(
    std::string_view name, const std::function<std::string(const std::optional<std::string>&)>& change) {
    return write([&](Tx& tx) {
        Result r = tx.q("update document", "SELECT version, body FROM documents WHERE name = $1", {name});
        std::optional<std::string> current;
        std::int64_t version = 0;
        if (!r.empty()) {
            version = r.integer(0, 0);
            current = r.text(0, 1);
        }
        StoredDocument stored{version + 1, change(current)};
        tx.q("update document",
             "INSERT INTO documents(name, version, body, updated_ms) VALUES ($1, $2, $3, $4) "
             "ON CONFLICT (name) DO UPDATE SET version = excluded.version, body = excluded.body, "
             "updated_ms = excluded.updated_ms",
             {name, stored.version, stored.text, now_ms()});
        tx.documents.emplace_back(std::string(name), stored.version);
        return stored;
    });
}

//
// verification sessions
//

namespace {

constexpr const char* kSessionColumns =
    "session_id, owner, secret_sha256, action, collection_id, external_id, return_url, base_url, options, status, "
    "attempts, created_ms, updated_ms, expires_ms, result, public_result";

SessionRecord session_of(const Result& r, int i) {
    SessionRecord s;
    s.session_id = r.text(i, 0);
    s.owner = r.text(i, 1);
    s.secret_sha256 = r.text(i, 2);
    s.action = r.text(i, 3);
    s.collection_id = r.text(i, 4);
    s.external_id = r.text(i, 5);
    s.return_url = r.text(i, 6);
    s.base_url = r.text(i, 7);
    s.options = r.text(i, 8);
    s.status = parse_session_status(r.text(i, 9));
    s.attempts = static_cast<std::uint32_t>(r.integer(i, 10));
    s.created_ms = r.integer(i, 11);
    s.updated_ms = r.integer(i, 12);
    s.expires_ms = r.integer(i, 13);
    s.result = r.text(i, 14);
    s.public_result = r.text(i, 15);
    return s;
}

constexpr const char* kDeliveryColumns =
    "delivery_id, webhook_id, event_id, event_type, session_id, body, status, attempts, created_ms, updated_ms, "
    "next_attempt_ms, give_up_ms, delivered_ms, last_status_code, last_error";

DeliveryRecord delivery_of(const Result& r, int i) {
    DeliveryRecord d;
    d.delivery_id = r.text(i, 0);
    d.webhook_id = r.text(i, 1);
    d.event_id = r.text(i, 2);
    d.event_type = r.text(i, 3);
    d.session_id = r.text(i, 4);
    d.body = r.text(i, 5);
    d.status = parse_delivery_status(r.text(i, 6));
    d.attempts = static_cast<std::uint32_t>(r.integer(i, 7));
    d.created_ms = r.integer(i, 8);
    d.updated_ms = r.integer(i, 9);
    d.next_attempt_ms = r.integer(i, 10);
    d.give_up_ms = r.integer(i, 11);
    d.delivered_ms = r.integer(i, 12);
    d.last_status_code = static_cast<int>(r.integer(i, 13));
    d.last_error = r.text(i, 14);
    return d;
}

} // namespace

void PgStore::insert_delivery(Tx& tx, const DeliveryRecord& d) {
    tx.q("add delivery",
         std::string("INSERT INTO webhook_deliveries(") + kDeliveryColumns +
             ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
         {d.delivery_id, d.webhook_id, d.event_id, d.event_type, d.session_id, d.body, delivery_status_name(d.status),
          static_cast<std::int64_t>(d.attempts), d.created_ms, d.updated_ms, d.next_attempt_ms, d.give_up_ms,
          d.delivered_ms, d.last_status_code, d.last_error});
}

void PgStore::do_create_session(const SessionRecord& s) {
    write([&](Tx& tx) {
        Result r = tx.q("create session",
                        "INSERT INTO sessions(session_id, owner, secret_sha256, action, collection_id, external_id, "
                        "return_url, base_url, options, status, attempts, created_ms, updated_ms, expires_ms, result, "
                        "public_result) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) "
                        "ON CONFLICT (session_id) DO NOTHING RETURNING session_id",
                        {s.session_id, s.owner, s.secret_sha256, s.action, s.collection_id, s.external_id, s.return_url,
                         s.base_url, s.options, session_status_name(s.status), static_cast<std::int64_t>(s.attempts),
                         s.created_ms, s.updated_ms, s.expires_ms, s.result, s.public_result});
        if (r.empty()) throw Error(ErrorCode::RESOURCE_ALREADY_EXISTS, "the session id already exists");
    });
}

std::optional<SessionRecord> PgStore::do_get_session(std::string_view session_id) {
    return read([&](Tx& tx) -> std::optional<SessionRecord> {
        Result r = tx.q("get session", std::string("SELECT ") + kSessionColumns + " FROM sessions WHERE session_id = $1",
                        {session_id});
        if (r.empty()) return std::nullopt;
        return session_of(r, 0);
    });
}

std::vector<SessionRecord> PgStore::do_list_sessions(const SessionQuery& q) {
    return read([&](Tx& tx) {
        Result r = tx.q(
            "list sessions",
            std::string("SELECT ") + kSessionColumns +
                " FROM sessions WHERE ($1 = '' OR owner = $1) AND ($2 = '' OR action = $2) AND ($3 = '' OR collection_id = $3)"
                " AND ($4 = '' OR status = $4) AND ($5 = 0 OR ($5 = 1 AND expires_ms <= $6) OR ($5 = 2 AND expires_ms > $6))"
                " AND ($7 = 0 OR created_ms < $8 OR (created_ms = $8 AND session_id < $9))"
                " ORDER BY created_ms DESC, session_id DESC LIMIT $10",
            {q.owner, q.action, q.collection_id, q.status ? session_status_name(*q.status) : std::string_view(),
             q.expired ? (*q.expired ? 1 : 2) : 0, q.now_ms, q.before ? 1 : 0, q.before ? q.before->first : 0,
             q.before ? q.before->second : std::string(), static_cast<std::int64_t>(q.limit)});
        std::vector<SessionRecord> out;
        for (int i = 0; i < r.rows(); ++i) out.push_back(session_of(r, i));
        return out;
    });
}

bool PgStore::do_update_session(const SessionRecord& next, SessionStatus expected_status,
                                std::uint32_t expected_attempts, const std::vector<DeliveryRecord>& outbox) {
    return write([&](Tx& tx) {
        Result r = tx.q("update session",
                        "UPDATE sessions SET status = $2, attempts = $3, updated_ms = $4, result = $5, public_result = $6 "
                        "WHERE session_id = $1 AND status = $7 AND attempts = $8 RETURNING session_id",
                        {next.session_id, session_status_name(next.status), static_cast<std::int64_t>(next.attempts),
                         next.updated_ms, next.result, next.public_result, session_status_name(expected_status),
                         static_cast<std::int64_t>(expected_attempts)});
        if (r.empty()) return false;
        for (const DeliveryRecord& d : outbox) insert_delivery(tx, d);
        return true;
    });
}

//
// the webhooks' outbox
//

std::vector<DeliveryRecord> PgStore::do_claim_deliveries(std::int64_t now_ms, std::int64_t lease_ms, std::size_t limit) {
    // most polls find nothing: they never take the write lock
    const bool any_due = read([&](Tx& tx) {
        return !tx.q("deliveries due", "SELECT 1 FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_ms <= $1 LIMIT 1",
                     {now_ms})
                    .empty();
    });
    if (!any_due) return {};
    return write([&](Tx& tx) {
        Result r = tx.q("claim deliveries",
                        std::string("UPDATE webhook_deliveries SET next_attempt_ms = $2 WHERE delivery_id IN ("
                                    "SELECT delivery_id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_ms <= $1 "
                                    "ORDER BY next_attempt_ms LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING ") +
                            kDeliveryColumns,
                        {now_ms, now_ms + lease_ms, static_cast<std::int64_t>(limit)});
        std::vector<DeliveryRecord> out;
        for (int i = 0; i < r.rows(); ++i) out.push_back(delivery_of(r, i));
        return out;
    });
}

bool PgStore::do_record_delivery(const DeliveryRecord& d) {
    return write([&](Tx& tx) {
        return !tx.q("record delivery",
                     "UPDATE webhook_deliveries SET status = $2, attempts = $3, updated_ms = $4, next_attempt_ms = $5, "
                     "give_up_ms = $6, delivered_ms = $7, last_status_code = $8, last_error = $9 WHERE delivery_id = $1 "
                     "RETURNING delivery_id",
                     {d.delivery_id, delivery_status_name(d.status), static_cast<std::int64_t>(d.attempts), d.updated_ms,
                      d.next_attempt_ms, d.give_up_ms, d.delivered_ms, d.last_status_code, d.last_error})
                    .empty();
    });
}

std::optional<DeliveryRecord> PgStore::do_get_delivery(std::string_view delivery_id) {
    return read([&](Tx& tx) -> std::optional<DeliveryRecord> {
        Result r = tx.q("get delivery",
                        std::string("SELECT ") + kDeliveryColumns + " FROM webhook_deliveries WHERE delivery_id = $1",
                        {delivery_id});
        if (r.empty()) return std::nullopt;
        return delivery_of(r, 0);
    });
}

std::vector<DeliveryRecord> PgStore::do_list_deliveries(const DeliveryQuery& q) {
    return read([&](Tx& tx) {
        Result r = tx.q(
            "list deliveries",
            std::string("SELECT ") + kDeliveryColumns +
                " FROM webhook_deliveries WHERE ($1 = 0 OR webhook_id IN (SELECT jsonb_array_elements_text($2::jsonb)))"
                " AND ($3 = '' OR status = $3) AND ($4 = 0 OR created_ms < $5 OR (created_ms = $5 AND delivery_id < $6))"
                " ORDER BY created_ms DESC, delivery_id DESC LIMIT $7",
            {q.webhook_ids.empty() ? 0 : 1, nlohmann::json(q.webhook_ids).dump(),
             q.status ? delivery_status_name(*q.status) : std::string_view(), q.before ? 1 : 0,
             q.before ? q.before->first : 0, q.before ? q.before->second : std::string(),
             static_cast<std::int64_t>(q.limit)});
        std::vector<DeliveryRecord> out;
        for (int i = 0; i < r.rows(); ++i) out.push_back(delivery_of(r, i));
        return out;
    });
}

WindowCount PgStore::do_count_in_window(std::string_view key, std::int64_t window_ms, std::uint32_t max_requests) {
    window_ms = std::min(window_ms, kMaxRateWindowMs);
    // a lock of this key only: counting never waits for the store's writes
    return transact(true, std::nullopt, [&](Tx& tx) {
        const std::int64_t now = now_ms();
        tx.q("count in window", "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", {key});
        tx.q("count in window", "DELETE FROM rate_events WHERE rate_key = $1 AND time_ms <= $2", {key, now - window_ms});
        Result r = tx.q("count in window", "SELECT count(*), min(time_ms) FROM rate_events WHERE rate_key = $1", {key});
        const auto counted = static_cast<std::uint32_t>(r.integer(0, 0));
        WindowCount result;
        if (counted >= max_requests) {
            result.retry_after_ms = std::max<std::int64_t>(1, r.integer(0, 1) + window_ms - now);
            return result;
        }
        tx.q("count in window", "INSERT INTO rate_events(rate_key, time_ms) VALUES ($1, $2)", {key, now});
        result.allowed = true;
        result.remaining = max_requests - counted - 1;
        return result;
    });
}

void PgStore::do_run_exclusively(std::string_view name, const std::function<void()>& work) {
    const std::string key = "facegate:" + std::string(name);
    for (int attempt = 0;; ++attempt) {
        Pool::Lease lease = lock_pool_->acquire(options_.query_timeout);
        Connection& c = lease.connection();
        try {
            // waits up to lock_timeout (query_timeout), then 55P03: STORE_UNAVAILABLE
            c.query("take the lock " + std::string(name), "SELECT pg_advisory_lock(hashtextextended($1, 0))", {key},
                    Clock::now() + options_.query_timeout + kDeadlineGrace);
        } catch (const pg::DbError& e) {
            lease.discard();
            if (e.connection_lost() && attempt == 0) continue; // an idle connection the server dropped
            throw;
        }
        // inside the section, the change feed must show every write committed before the lock was taken, even
        // one whose notification has not arrived yet (register's duplicate search relies on it)
        try {
            pg::Result head = c.query("read the feed position", "SELECT last_seq FROM face_feed", {},
                                      Clock::now() + options_.query_timeout + kDeadlineGrace);
            const std::int64_t newest = head.integer(0, 0);
            std::int64_t seen = local_seq_.load();
            while (seen < newest && !local_seq_.compare_exchange_weak(seen, newest)) {
            }
        } catch (const pg::DbError&) {
            lease.discard(); // closing the session releases the lock
            throw;
        }
        auto unlock = [&] {
            try {
                c.query("release the lock", "SELECT pg_advisory_unlock(hashtextextended($1, 0))", {key},
                        Clock::now() + options_.query_timeout + kDeadlineGrace);
            } catch (...) {
                lease.discard(); // closing the session releases the lock
            }
        };
        try {
            work();
        } catch (...) {
            unlock();
            throw;
        }
        unlock();
        return;
    }
}

//
// migration: rows copied with their ids and times (as SqliteStore)
//

ImportCounts PgStore::do_import_rows(const CollectionRows& rows) {
    const std::string& collection_id = rows.info.collection_id;
    std::vector<SealedEmbedding> sealed;
    for (const FaceRecord& face : rows.faces) sealed.push_back(seal_embedding(collection_id, face.face_id, face.embedding));
    return write([&](Tx& tx) {
        const std::int64_t now = now_ms();
        ImportCounts counts;
        if (!find_collection(tx, collection_id)) {
            tx.q("import collection",
                 "INSERT INTO collections(collection_id, arn, face_model_version, created_ms) VALUES ($1, $2, $3, $4)",
                 {collection_id, rows.info.arn.empty() ? options_.arn_prefix + collection_id : rows.info.arn,
                  rows.info.face_model_version, rows.info.created_ms});
            ++counts.collections;
        }
        const std::int64_t key = require_collection(tx, collection_id).key;
        for (const UserRecord& user : rows.users) {
            Result r = tx.q("import users",
                            "INSERT INTO users(collection_key, user_id, status, created_ms, updated_ms) "
                            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (collection_key, user_id) DO NOTHING RETURNING user_key",
                            {key, user.user_id, user_status_name(UserStatus::CREATED), user.created_ms, user.updated_ms});
            counts.users += static_cast<std::uint64_t>(r.rows());
        }
        const std::uint32_t active = active_key_version(tx);
        if (std::any_of(sealed.begin(), sealed.end(), [&](const SealedEmbedding& e) { return e.key_version != active; })) {
            sealing_key_is_current(active, [&tx] { return load_data_keys(tx); });
            for (std::size_t i = 0; i < sealed.size(); ++i)
                sealed[i] = seal_embedding(collection_id, rows.faces[i].face_id, rows.faces[i].embedding);
        }
        std::set<std::int64_t> touched_users;
        std::vector<std::pair<std::int64_t, std::string>> changes;
        for (std::size_t i = 0; i < rows.faces.size(); ++i) {
            const FaceRecord& face = rows.faces[i];
            if (!tx.q("import faces", "SELECT 1 FROM faces WHERE face_id = $1", {face.face_id}).empty()) continue;
            std::optional<std::int64_t> user_key;
            if (face.user_id) {
                user_key = require_user(tx, key, *face.user_id).key;
                touched_users.insert(*user_key);
            }
            Result r = tx.q(
                "import faces",
                "WITH f AS (INSERT INTO faces(collection_key, face_id, image_id, external_image_id, bbox_width, "
                "bbox_height, bbox_left, bbox_top, confidence, model_version, created_ms, user_key) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING row_id) "
                "INSERT INTO face_embeddings(row_id, embedding, key_version) SELECT row_id, $13, $14 FROM f "
                "RETURNING row_id",
                {key, face.face_id, face.image_id, face.external_image_id, static_cast<double>(face.bounding_box.width),
                 static_cast<double>(face.bounding_box.height), static_cast<double>(face.bounding_box.left),
                 static_cast<double>(face.bounding_box.top), static_cast<double>(face.confidence), face.model_version,
                 face.created_ms, user_key, Param::bytes(sealed[i].blob), sealed[i].key_version});
            changes.emplace_back(r.integer(0, 0), face.face_id);
            ++counts.faces;
        }
        record_changes(tx, collection_id, FaceChangeKind::FACE_ADDED, changes, now);
        for (std::int64_t user_key : touched_users)
            // the status follows the faces, keeping the source's update time
            tx.q("import users",
                 "UPDATE users SET status = CASE WHEN EXISTS (SELECT 1 FROM faces WHERE user_key = $1) "
                 "THEN 'ACTIVE' ELSE 'CREATED' END WHERE user_key = $1",
                 {user_key});
        return counts;
    });
}

std::vector<StoredToken> PgStore::do_export_tokens() {
    return read([&](Tx& tx) {
        Result r = tx.q("export tokens",
                        "SELECT operation, token, request_hash, response, created_ms FROM request_tokens "
                        "WHERE created_ms > $1 ORDER BY created_ms",
                        {now_ms() - kTokenLifetimeMs});
        std::vector<StoredToken> tokens;
        for (int i = 0; i < r.rows(); ++i)
            tokens.push_back({r.text(i, 0), r.text(i, 1), TokenEntry{r.text(i, 2), r.text(i, 3), r.integer(i, 4)}});
        return tokens;
    });
}

ImportCounts PgStore::do_import_tokens(const std::vector<StoredToken>& tokens) {
    return write([&](Tx& tx) {
        ImportCounts counts;
        for (const StoredToken& token : tokens) {
            Result r = tx.q("import tokens",
                            "INSERT INTO request_tokens(operation, token, request_hash, response, created_ms) "
                            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (operation, token) DO NOTHING RETURNING 1",
                            {token.operation, token.token, token.entry.request_hash, token.entry.response,
                             token.entry.created_ms});
            counts.tokens += static_cast<std::uint64_t>(r.rows());
        }
        return counts;
    });
}

} // namespace facegate
