// SPDX-License-Identifier: MIT
#pragma once

// The face-collection store: collections, faces (metadata + embedding, never images), users,
// ClientRequestToken records, the audit trail and a change feed for in-memory indexes.
//
// Usage sketch:
//
//   SqliteStore store({.data_dir = "/var/lib/facegate"});            // or any other Store
//   store.create_collection("staff", "facegate-1");
//   NewImageFaces image{.external_image_id = "alice.jpg", .model_version = "facegate-1",
//                       .faces = {{.bounding_box = box, .confidence = 99.f, .embedding = emb}}};
//   AddFacesResult added = store.add_faces("staff", image);          // FaceIds, ImageId, row ids
//   store.create_user("staff", "alice");
//   store.associate_faces("staff", "alice", {added.faces[0].face_id});
//
// Contract shared by every backend:
// - thread-safe: every method may be called from any number of threads at once;
// - every write is one transaction: when a method returns, its change is durable (it survives
//   kill -9 of the process) and visible to every later call, from any thread or process; when it
//   throws, nothing of it was applied;
// - errors are facegate::Error: RESOURCE_NOT_FOUND, RESOURCE_ALREADY_EXISTS, CONFLICT,
//   IDEMPOTENT_PARAMETER_MISMATCH, INVALID_PARAMETER (malformed ids, embeddings, page tokens),
//   STORE_UNAVAILABLE (the database cannot be read or written, busy beyond its timeout),
//   INTERNAL (a bug); plus TokenReplayed (see "idempotency");
// - times are milliseconds since the Unix epoch (UTC), from the store's clock;
// - callbacks and callers must not call the store from inside a callback it is running.
//
// The public methods validate their arguments (identifier patterns and lengths from Rekognition's
// service model, embedding size) and then call the protected do_* methods a backend implements,
// so a second backend (e.g. PostgreSQL) gets the same validation for free.

#include "store/template_sealer.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace facegate {

//
// limits and names
//

inline constexpr std::size_t kEmbeddingDim = 512;        // float32 values per face embedding
inline constexpr std::size_t kMaxFacesPerUser = 100;     // Rekognition: at most 100 faces per user
inline constexpr std::size_t kMaxUserFaceIdsPerCall = 100; // AssociateFaces/DisassociateFaces FaceIds
inline constexpr std::size_t kMaxFaceIdsPerCall = 4096;  // DeleteFaces/ListFaces FaceIds
inline constexpr std::size_t kMaxFacesPerImage = 100;    // IndexFaces stores at most 100 faces per image
inline constexpr std::int64_t kTokenLifetimeMs = 24LL * 3600 * 1000; // ClientRequestToken memory
inline constexpr std::int64_t kMaxRateWindowMs = 24LL * 3600 * 1000; // count_in_window: longer windows are cut

// the operation names under which ClientRequestTokens are remembered (Rekognition's names)
namespace operation {
inline constexpr std::string_view kIndexFaces = "IndexFaces";
inline constexpr std::string_view kCreateUser = "CreateUser";
inline constexpr std::string_view kDeleteUser = "DeleteUser";
inline constexpr std::string_view kAssociateFaces = "AssociateFaces";
inline constexpr std::string_view kDisassociateFaces = "DisassociateFaces";
} // namespace operation

//
// collections
//

struct CollectionInfo {
    std::string collection_id{};      // case-sensitive, [a-zA-Z0-9_.-]{1,255}
    std::string arn{};                // ARN-like id, "<arn prefix><collection_id>"
    std::string face_model_version{}; // the model the collection was created with
    std::int64_t created_ms = 0;
};

struct CollectionDescription {
    CollectionInfo info{};
    std::uint64_t face_count = 0;
    std::uint64_t user_count = 0;
};

// a page request: `after` is the next_token of the previous page ("" for the first page),
// `limit` (>= 1) the most items to return
struct PageRequest {
    std::string after{};
    std::size_t limit = 1000;
};

// pages are in a stable key order (creation order); a row that exists from the first page to the
// last is returned exactly once, whatever is inserted or deleted meanwhile.
// next_token is empty when there are no more items.
struct CollectionPage {
    std::vector<CollectionInfo> collections{};
    std::string next_token{};
};

//
// faces
//

// ratios of the image's width and height, as Rekognition's BoundingBox
struct BoundingBox {
    float width = 0, height = 0, left = 0, top = 0;
};

struct NewFace {
    BoundingBox bounding_box{};
    float confidence = 0;          // 0-100, that the box holds a face
    std::vector<float> embedding{};  // kEmbeddingDim finite values
};

// the faces found in one image: they get one ImageId. The image itself is never stored.
struct NewImageFaces {
    std::optional<std::string> external_image_id{}; // [a-zA-Z0-9_.\-:]{1,255}
    // an opaque digest of the image bytes (e.g. hex SHA-256), only for de-duplication: when set and the
    // collection already holds faces with the same digest and the same external_image_id (both absent
    // counts as the same), add_faces stores nothing and returns those faces (deduplicated = true)
    std::optional<std::string> image_digest{};
    std::string model_version{};     // IndexFacesModelVersion of the faces
    std::vector<NewFace> faces{};    // at most kMaxFacesPerImage
};

struct FaceRecord {
    std::int64_t row_id = 0;   // the store's integer id for the face, never reused; used by vector indexes
    std::string face_id{};       // lowercase UUID
    std::string image_id{};      // lowercase UUID shared by the faces of one image
    std::optional<std::string> external_image_id{};
    BoundingBox bounding_box{};
    float confidence = 0;
    std::string model_version{};
    std::int64_t created_ms = 0;
    std::optional<std::string> user_id{}; // the user the face is associated with
    std::vector<float> embedding{};       // filled only by get_faces(..., with_embeddings = true)
};

struct AddFacesResult {
    std::string image_id{};
    std::vector<FaceRecord> faces{}; // in the order of NewImageFaces::faces (or the stored order when deduplicated)
    bool deduplicated = false;     // true when the faces were already there (see image_digest)
};

// filters of list_faces, combined with AND; empty means no filter
struct FaceFilter {
    std::optional<std::string> user_id{};
    std::vector<std::string> face_ids{}; // at most kMaxFaceIdsPerCall
};

struct FacePage {
    std::vector<FaceRecord> faces{}; // without embeddings
    std::string next_token{};
    std::string face_model_version{}; // the collection's
};

// identifies a stored face both ways
struct FaceRef {
    std::string face_id{};
    std::int64_t row_id = 0;
};

enum class FaceDeletionFailure { ASSOCIATED_TO_AN_EXISTING_USER, FACE_NOT_FOUND };
std::string_view face_deletion_failure_name(FaceDeletionFailure reason);

struct UnsuccessfulFaceDeletion {
    std::string face_id{};
    std::optional<std::string> user_id{}; // the user it is associated with
    FaceDeletionFailure reason = FaceDeletionFailure::FACE_NOT_FOUND;
};

struct DeleteFacesResult {
    std::vector<FaceRef> deleted{}; // in request order, duplicates removed
    std::vector<UnsuccessfulFaceDeletion> unsuccessful{};
};

// one face for building a vector index
struct FaceEmbedding {
    std::int64_t row_id = 0;
    std::string face_id{};
    std::optional<std::string> user_id{};
    std::vector<float> embedding{};
};

struct EmbeddingSnapshot {
    std::vector<FaceEmbedding> faces{}; // ascending row_id
    std::int64_t change_seq = 0;      // the change feed position the snapshot is consistent with
};

//
// users
//

enum class UserStatus { ACTIVE, UPDATING, CREATING, CREATED };
std::string_view user_status_name(UserStatus status);

struct UserRecord {
    std::string user_id{}; // [a-zA-Z0-9_.\-:]{1,128}
    // CREATED while the user has no faces, ACTIVE once it has some (associations are synchronous
    // here, so UPDATING and CREATING are never stored)
    UserStatus status = UserStatus::CREATED;
    std::int64_t created_ms = 0;
    std::int64_t updated_ms = 0;
    std::uint64_t face_count = 0;
};

struct UserPage {
    std::vector<UserRecord> users{}; // in creation order (Rekognition: "sorted by system generated primary key")
    std::string next_token{};
};

struct DeleteUserResult {
    std::vector<std::string> disassociated_face_ids{}; // the faces the user had
};

// why a face was not associated; USER_FACE_LIMIT is not one of Rekognition's reasons: the service
// decides how to answer it (ServiceQuotaExceededException when the user was already full)
// LOW_MATCH_CONFIDENCE is decided by the service (UserMatchThreshold needs embeddings), never by the store
enum class FaceAssociationFailure { FACE_NOT_FOUND, ASSOCIATED_TO_A_DIFFERENT_USER, USER_FACE_LIMIT, LOW_MATCH_CONFIDENCE };
std::string_view face_association_failure_name(FaceAssociationFailure reason);

struct UnsuccessfulFaceAssociation {
    std::string face_id{};
    std::optional<std::string> user_id{}; // for ASSOCIATED_TO_A_DIFFERENT_USER: that other user
    FaceAssociationFailure reason = FaceAssociationFailure::FACE_NOT_FOUND;
};

struct AssociateFacesResult {
    std::vector<std::string> associated{}; // newly associated; faces already with this user are left out
    std::vector<UnsuccessfulFaceAssociation> unsuccessful{};
    UserStatus user_status = UserStatus::CREATED;
    bool user_was_full = false; // the user already had kMaxFacesPerUser faces before the call
};

enum class FaceDisassociationFailure { FACE_NOT_FOUND, ASSOCIATED_TO_A_DIFFERENT_USER };
std::string_view face_disassociation_failure_name(FaceDisassociationFailure reason);

struct UnsuccessfulFaceDisassociation {
    std::string face_id{};
    std::optional<std::string> user_id{}; // the user the face is associated with
    FaceDisassociationFailure reason = FaceDisassociationFailure::FACE_NOT_FOUND;
};

struct DisassociateFacesResult {
    std::vector<std::string> disassociated{}; // faces not associated with any user are left out
    std::vector<UnsuccessfulFaceDisassociation> unsuccessful{};
    UserStatus user_status = UserStatus::CREATED;
};

//
// idempotency (ClientRequestToken)
//

struct TokenEntry {
    std::string request_hash{}; // the caller's digest of the request's parameters
    std::string response{};     // the caller's rendering of the response (e.g. its JSON body)
    std::int64_t created_ms = 0;
};

// Asks a write to remember its response under a ClientRequestToken in the write's own transaction,
// so a crash can never leave the write applied but the token unknown (a retry would duplicate it).
// Before the write, the store looks the token up (same operation, younger than kTokenLifetimeMs):
// - absent: the write runs and `render_response(result)` is stored with the token;
// - present with another request_hash: Error IDEMPOTENT_PARAMETER_MISMATCH, nothing is written;
// - present with the same request_hash: nothing is written and TokenReplayed is thrown, carrying the
//   remembered response (the caller normally calls recall() first; this covers concurrent retries).
// render_response runs inside the transaction: it must be quick and must not call the store.
template <class Result>
struct TokenRecord {
    std::string token{};        // [a-zA-Z0-9-_]{1,64}
    std::string request_hash{}; // non-empty
    std::function<std::string(const Result&)> render_response{};
};

class TokenReplayed : public std::runtime_error {
  public:
    explicit TokenReplayed(TokenEntry entry)
        : std::runtime_error("ClientRequestToken already used by an identical request"), entry_(std::move(entry)) {}
    const TokenEntry& entry() const noexcept { return entry_; }

  private:
    TokenEntry entry_;
};

//
// audit (ids only: never images, embeddings or request bodies)
//

struct AuditEvent {
    std::int64_t time_ms = 0;     // 0: the store's clock at append
    std::string operation{};        // e.g. "IndexFaces"
    std::string collection_id{};    // empty when the operation has none
    std::optional<std::string> external_image_id{};
    std::optional<std::string> user_id{};
    std::vector<std::string> face_ids{};
    std::string outcome{};          // "OK" or an error name
    std::string caller_key_id{};    // the access key id; empty when unauthenticated
    std::string details{};          // a JSON object (the flows: decision, scores, reasons); empty for none
    std::string request_id{};       // the HTTP request's x-amzn-RequestId; empty outside the server
};

struct AuditRecord {
    std::int64_t seq = 0; // increasing in append order
    AuditEvent event{};
};

// filters combined with AND; records come newest first
struct AuditQuery {
    std::optional<std::string> collection_id{};
    std::optional<std::string> operation{};
    std::optional<std::string> subject{}; // matches external_image_id, user_id or any of face_ids
    std::optional<std::string> caller_key_id{};
    std::optional<std::string> external_image_id{}; // exactly this external image id
    std::optional<std::string> decision{};          // details' "decision" (the flows)
    std::optional<std::int64_t> since_ms{}; // time_ms >= since_ms
    std::optional<std::int64_t> until_ms{}; // time_ms < until_ms
    PageRequest page{.after = "", .limit = 100};
};

struct AuditPage {
    std::vector<AuditRecord> records{};
    std::string next_token{};
};

// the external image ids of a collection's faces, with how many faces each has (the flows' users)
struct ExternalIdSummary {
    std::string external_image_id{};
    std::int64_t face_count = 0;
    std::int64_t first_indexed_ms = 0;
    std::int64_t last_indexed_ms = 0;
};

//
// change feed: lets a process keep its in-memory index in step with writes made by other
// processes (the CLI, or other servers sharing a PostgreSQL database)
//

enum class FaceChangeKind { FACE_ADDED, FACE_DELETED, FACE_USER_CHANGED, COLLECTION_DELETED };
std::string_view face_change_kind_name(FaceChangeKind kind);

struct FaceChange {
    std::int64_t seq = 0; // increasing in commit order, from 1
    std::string collection_id{};
    FaceChangeKind kind = FaceChangeKind::FACE_ADDED;
    std::int64_t row_id = 0; // 0 for COLLECTION_DELETED
    std::string face_id{};     // empty for COLLECTION_DELETED
};

struct FaceChangeBatch {
    std::vector<FaceChange> changes{}; // ascending seq, all with seq > after_seq
    // true when changes after `after_seq` have been pruned: the consumer must reload from scratch
    bool gap = false;
    std::int64_t last_seq = 0; // the newest seq in the feed when read
};

//
// templates at rest: every stored embedding is sealed (AES-256-GCM) under a data key that the database
// holds only wrapped by the key-encryption key (KEK). The cryptography is in store/template_sealer.h;
// the Store base class keeps the keys, seals and opens for the backends and runs the rotations, so every
// backend stores sealed blobs and wrapped keys only (docs/security.md, "Templates at rest").
//

// a data key as a backend stores it
struct DataKeyRecord {
    // names the key in every blob it sealed (1, 2, ...). Version 0 is the marker of a database from before
    // sealing: while it exists, the embeddings with key version 0 are plain and still to be sealed
    std::uint32_t version = 0;
    std::string kek_id{};  // the KEK that wrapped it (Kek::id)
    std::string wrapped{}; // sealing::wrap_key(); empty only in the version 0 marker a schema upgrade writes
    bool active = false;   // new embeddings are sealed with the active key (exactly one once opened)
    std::int64_t created_ms = 0;
};

// one stored embedding as a re-seal reads it
struct StoredTemplate {
    std::int64_t row_id = 0;
    std::string collection_id{};
    std::string face_id{};
    std::uint32_t key_version = 0; // 0: plain (a database from before sealing)
    std::string blob{};
};

struct TemplateKeyStatus {
    std::string kek_id{};                  // the KEK the data keys are wrapped by
    std::uint32_t active_version = 0;      // the data key new embeddings are sealed with
    std::vector<std::uint32_t> versions{}; // every stored data key (older ones until a re-seal completes)
    std::uint64_t pending = 0;             // embeddings sealed with an older key, or plain
};

struct DataKeyRotation {
    std::uint32_t version = 0;     // the data key every embedding is now sealed with
    bool resumed = false;          // an unfinished rotation (or the sealing of plain embeddings) was carried on
    std::uint64_t resealed = 0;    // embeddings re-sealed by this call
    std::vector<std::uint32_t> retired{}; // the data keys dropped at the end
};

//
// shared state of a deployment: what several nodes on one database must agree on beyond the faces
//

// a small named document (the API keys, the access keys): replaced whole, numbered by version
struct StoredDocument {
    std::int64_t version = 0; // increases with every replacement, from 1
    std::string text{};
};

// a request counted against a sliding window shared by every process on the store
struct WindowCount {
    bool allowed = false;
    std::int64_t retry_after_ms = 0; // when refused: until the oldest counted request leaves the window
    std::uint32_t remaining = 0;     // requests still allowed in the window (after this one, when allowed)
};

//
// verification sessions (docs/sessions.md): a backend creates one for a person's capture, the browser
// submits it with the session's client secret, the backend reads the result. Stored whole, updated by
// compare-and-set on (status, attempts) so that two nodes never run the same attempt
//

inline constexpr std::int64_t kSessionRetentionMs = 7LL * 24 * 3600 * 1000; // kept this long after expiry
inline constexpr std::size_t kMaxSessionUrlBytes = 2048;
inline constexpr std::size_t kMaxSessionOptionsBytes = 4096;
inline constexpr std::size_t kMaxSessionResultBytes = 256 * 1024;

// "expired" is no stored status: a session in CREATED past its expiry reads as expired (the service says so)
enum class SessionStatus { CREATED, PROCESSING, COMPLETED, CANCELED };
std::string_view session_status_name(SessionStatus status); // "created", "processing", "completed", "canceled"
SessionStatus parse_session_status(std::string_view name);   // the inverse; Error INTERNAL for anything else

struct SessionRecord {
    std::string session_id{};    // [a-zA-Z0-9_-]{1,64}
    std::string owner{};         // the key id that created it (API key id or access key id): printable, 1-128 bytes
    std::string secret_sha256{}; // the client secret's SHA-256, 64 lower-case hex digits (never the secret)
    std::string action{};        // "register" or "verify"
    std::string collection_id{}; // validate_collection_id
    std::string external_id{};   // the identifier as the owner sent it: 1-255 bytes
    std::string return_url{};    // empty, or at most kMaxSessionUrlBytes
    std::string base_url{};      // the hosted page's origin when it was created: empty, or at most kMaxSessionUrlBytes
    std::string options{};       // the owner's JSON object (policy overrides, disclosure): at most kMaxSessionOptionsBytes
    SessionStatus status = SessionStatus::CREATED;
    std::uint32_t attempts = 0;  // captures claimed so far
    std::int64_t created_ms = 0;
    std::int64_t updated_ms = 0;
    std::int64_t expires_ms = 0; // > created_ms
    std::string result{};        // the owner's result JSON once completed: at most kMaxSessionResultBytes
    std::string public_result{}; // the browser's {decision, outcome, advice}: at most kMaxSessionOptionsBytes
};

// a page of sessions, newest first (the console's list); times are the caller's
struct SessionQuery {
    std::string owner{};          // empty: every owner's sessions
    std::string action{};         // empty: both
    std::string collection_id{};  // empty: every collection
    std::optional<SessionStatus> status{}; // the stored status
    std::optional<bool> expired{};         // with now_ms: only those past (true) or before (false) their expiry
    std::int64_t now_ms = 0;
    std::optional<std::pair<std::int64_t, std::string>> before{}; // (created_ms, session_id) of the last one seen
    std::size_t limit = 50;                                        // 1-1000
};

//
// webhook deliveries (docs/sessions.md, "Webhooks"): the outbox of the events POSTed to applications. An event
// is written in the same transaction as the session change it reports (update_session), so that a completed
// session always has its deliveries; any node's dispatcher claims the due ones with a lease, so a node that dies
// mid-delivery leaves the delivery to another one later (delivered at least once)
//

inline constexpr std::size_t kMaxDeliveryBodyBytes = 512 * 1024;
inline constexpr std::size_t kMaxDeliveryErrorBytes = 512;
inline constexpr std::int64_t kDeliveryRetentionMs = 30LL * 24 * 3600 * 1000; // finished deliveries kept this long

enum class DeliveryStatus { PENDING, DELIVERED, FAILED };
std::string_view delivery_status_name(DeliveryStatus status); // "pending", "delivered", "failed"
DeliveryStatus parse_delivery_status(std::string_view name);  // Error INTERNAL for anything else

struct DeliveryRecord {
    std::string delivery_id{}; // [a-zA-Z0-9_-]{1,64}, as the other ids below
    std::string webhook_id{};
    std::string event_id{};
    std::string event_type{};  // e.g. "session.completed": [a-z._]{1,64}
    std::string session_id{};  // the session the event is about, or empty
    std::string body{};        // the JSON POSTed: at most kMaxDeliveryBodyBytes
    DeliveryStatus status = DeliveryStatus::PENDING;
    std::uint32_t attempts = 0;       // POSTs tried so far
    std::int64_t created_ms = 0;
    std::int64_t updated_ms = 0;
    std::int64_t next_attempt_ms = 0; // when PENDING: not before this
    std::int64_t give_up_ms = 0;      // when PENDING: no try is scheduled after this (FAILED instead)
    std::int64_t delivered_ms = 0;    // when DELIVERED
    int last_status_code = 0;         // the last try's HTTP status, 0 when there was no answer
    std::string last_error{};         // the last try's failure, in words: at most kMaxDeliveryErrorBytes
};

// a page of deliveries, newest first
struct DeliveryQuery {
    std::vector<std::string> webhook_ids{}; // empty: every webhook's
    std::optional<DeliveryStatus> status{};
    std::optional<std::pair<std::int64_t, std::string>> before{}; // (created_ms, delivery_id) of the last one seen
    std::size_t limit = 50;                                        // 1-1000
};

//
// migration between backends (facegate migrate): rows copied with their ids and times
//

// rows of one collection, as a migration copies them
struct CollectionRows {
    CollectionInfo info{};
    std::vector<UserRecord> users{};
    std::vector<FaceRecord> faces{}; // with embeddings (plain: the store seals them under its own key) and user ids
};

// a remembered ClientRequestToken, with the operation it belongs to
struct StoredToken {
    std::string operation{};
    std::string token{};
    TokenEntry entry{};
};

// what an import added; rows whose ids existed already are left as they are and not counted
struct ImportCounts {
    std::uint64_t collections = 0, users = 0, faces = 0, tokens = 0;
};

//
// the store
//

class Store {
  public:
    Store();
    virtual ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    // collections
    // RESOURCE_ALREADY_EXISTS if it exists
    CollectionInfo create_collection(std::string_view collection_id, std::string_view face_model_version);
    // RESOURCE_NOT_FOUND; removes its faces, users and their associations
    void delete_collection(std::string_view collection_id);
    CollectionDescription describe_collection(std::string_view collection_id); // RESOURCE_NOT_FOUND (counts: O(faces))
    std::optional<CollectionInfo> get_collection(std::string_view collection_id); // cheap existence/model check
    CollectionPage list_collections(const PageRequest& page);

    // faces; every method throws RESOURCE_NOT_FOUND when the collection does not exist
    // stores the faces of one image in one transaction, assigning FaceIds, the ImageId and row ids
    AddFacesResult add_faces(std::string_view collection_id, const NewImageFaces& image,
                             const TokenRecord<AddFacesResult>* token = nullptr);
    // the faces stored from an image with this digest and external image id (see NewImageFaces)
    std::vector<FaceRecord> find_faces_by_image(std::string_view collection_id,
                                                const std::optional<std::string>& external_image_id,
                                                std::string_view image_digest);
    FacePage list_faces(std::string_view collection_id, const FaceFilter& filter, const PageRequest& page);
    // the faces that exist, in request order (duplicates and unknown ids left out)
    std::vector<FaceRecord> get_faces(std::string_view collection_id, const std::vector<std::string>& face_ids,
                                      bool with_embeddings = false);
    // faces tied to a user are refused (ASSOCIATED_TO_AN_EXISTING_USER), as Rekognition does
    DeleteFacesResult delete_faces(std::string_view collection_id, const std::vector<std::string>& face_ids);
    std::vector<FaceRecord> faces_by_external_id(std::string_view collection_id, std::string_view external_image_id);
    // erasure: deletes every face with this external image id, disassociating it from its user first;
    // returns the deleted faces (as they were)
    std::vector<FaceRecord> delete_faces_by_external_id(std::string_view collection_id,
                                                        std::string_view external_image_id);
    // external image ids starting with `prefix`, in ascending order, at most `limit`
    std::vector<ExternalIdSummary> list_external_ids(std::string_view collection_id, std::string_view prefix,
                                                     std::size_t limit);
    std::int64_t count_external_ids(std::string_view collection_id);
    // the flows' aliases: an external ID too long for an ExternalImageId is stored under a digest of it,
    // and the digest -> ID mapping here (see service/external_id.h)
    void put_external_id_alias(std::string_view alias, std::string_view external_id);
    std::optional<std::string> external_id_for_alias(std::string_view alias);
    // streams the faces with row_id > after_row_id in ascending row_id from one consistent snapshot;
    // returns the change feed position of that snapshot
    std::int64_t scan_embeddings(std::string_view collection_id, std::int64_t after_row_id,
                                 const std::function<void(FaceEmbedding&&)>& on_face);
    EmbeddingSnapshot load_all_embeddings(std::string_view collection_id);

    // users; RESOURCE_NOT_FOUND when the collection (or, except for create_user, the user) does not exist
    UserRecord create_user(std::string_view collection_id, std::string_view user_id,
                           const TokenRecord<UserRecord>* token = nullptr); // CONFLICT if it exists
    DeleteUserResult delete_user(std::string_view collection_id, std::string_view user_id,
                                 const TokenRecord<DeleteUserResult>* token = nullptr);
    std::optional<UserRecord> get_user(std::string_view collection_id, std::string_view user_id);
    UserPage list_users(std::string_view collection_id, const PageRequest& page);
    // at most kMaxUserFaceIdsPerCall ids; a user never gets more than kMaxFacesPerUser faces
    AssociateFacesResult associate_faces(std::string_view collection_id, std::string_view user_id,
                                         const std::vector<std::string>& face_ids,
                                         const TokenRecord<AssociateFacesResult>* token = nullptr);
    DisassociateFacesResult disassociate_faces(std::string_view collection_id, std::string_view user_id,
                                               const std::vector<std::string>& face_ids,
                                               const TokenRecord<DisassociateFacesResult>* token = nullptr);

    // idempotency: the entry for (operation, token) younger than kTokenLifetimeMs
    std::optional<TokenEntry> recall(std::string_view operation, std::string_view token);
    // stores the entry unless a live one exists; returns the entry that is stored (the first one wins)
    TokenEntry remember(std::string_view operation, std::string_view token, std::string_view request_hash,
                        std::string_view response);

    // audit
    std::int64_t append_audit(const AuditEvent& event); // returns the record's seq
    AuditPage query_audit(const AuditQuery& query);

    // change feed
    FaceChangeBatch face_changes_since(std::int64_t after_seq, std::size_t limit = 10000);

    // housekeeping: removes token entries older than kTokenLifetimeMs, feed entries older than
    // the backend's feed retention and sessions expired more than kSessionRetentionMs ago; cheap enough to call every few minutes
    void prune();

    // templates at rest (see DataKeyRecord); Error STORE_UNAVAILABLE when the KEK is missing or wrong,
    // CONFLICT when another rotation changed the keys meanwhile (nothing of this call is then applied)
    // re-wraps every data key with new_kek, in one transaction: from then on only new_kek opens the store
    void rotate_kek(const Kek& new_kek);
    // makes a new data key (new embeddings are sealed with it at once, in every process), re-seals every
    // stored embedding with it, `batch` per short write transaction (other writers and readers go on: blobs
    // open with any stored key), then drops the older keys once nothing uses them. A crash leaves a
    // consistent store; the next call carries the unfinished rotation on instead of making another key.
    // on_progress(re-sealed so far, still to do) after every batch
    DataKeyRotation rotate_data_key(std::size_t batch = 512,
                                    const std::function<void(std::uint64_t, std::uint64_t)>& on_progress = {});
    TemplateKeyStatus template_key_status();

    // shared state (see StoredDocument, WindowCount)
    // documents: names are [a-z0-9-]{1,64}; texts at most 16 MB
    std::optional<StoredDocument> read_document(std::string_view name);
    // the version of a document, 0 when absent: cheap enough to poll
    std::int64_t document_version(std::string_view name);
    // read-modify-write in one transaction, serialised with every other update of the same document (in
    // any process): change(current text or nullopt) returns the new text; returns what was stored
    StoredDocument update_document(std::string_view name,
                                   const std::function<std::string(const std::optional<std::string>&)>& change);
    // counts a request of `key` ([printable], at most 512 bytes) when fewer than max_requests were counted
    // in the last window_ms (refused requests are not counted); atomic across processes
    WindowCount count_in_window(std::string_view key, std::int64_t window_ms, std::uint32_t max_requests);
    // runs `work` while holding the deployment-wide lock `name` (every process on the store excludes the
    // others); `work` may call the store. Error STORE_UNAVAILABLE when the lock cannot be taken in time
    void run_exclusively(std::string_view name, const std::function<void()>& work);
    // true when the store answers now (for a readiness probe); never throws
    bool ping() noexcept;

    // verification sessions (see SessionRecord); times are the caller's (the service's clock)
    // RESOURCE_ALREADY_EXISTS when the id is taken
    void create_session(const SessionRecord& session);
    std::optional<SessionRecord> get_session(std::string_view session_id);
    // compare-and-set: when the stored session still has `expected_status` and `expected_attempts`, replaces its
    // status, attempts, updated_ms, result and public_result with `next`'s and returns true; otherwise (or when
    // it does not exist) writes nothing and returns false. The other fields never change
    bool update_session(const SessionRecord& next, SessionStatus expected_status, std::uint32_t expected_attempts);
    // the same, and when it succeeds, adds `outbox` (new deliveries) in the same transaction
    bool update_session(const SessionRecord& next, SessionStatus expected_status, std::uint32_t expected_attempts,
                        const std::vector<DeliveryRecord>& outbox);
    std::vector<SessionRecord> list_sessions(const SessionQuery& query);

    // webhook deliveries (see DeliveryRecord)
    // up to `limit` PENDING deliveries due at `now_ms`, each leased until now_ms + lease_ms (its next_attempt_ms
    // moves there, so no other dispatcher takes it meanwhile); returned as they were before the lease
    std::vector<DeliveryRecord> claim_deliveries(std::int64_t now_ms, std::int64_t lease_ms, std::size_t limit);
    // replaces a delivery's state (status, attempts, times, last_status_code, last_error) with `next`'s;
    // false when it does not exist
    bool record_delivery(const DeliveryRecord& next);
    std::optional<DeliveryRecord> get_delivery(std::string_view delivery_id);
    std::vector<DeliveryRecord> list_deliveries(const DeliveryQuery& query);

    // migration (facegate migrate); see CollectionRows. One write transaction per call: the collection (when
    // new), then its users and faces, each kept as it is when its id exists already (so a second run adds
    // nothing). A face's user must be among the users of this call or already stored. The faces get this
    // store's row ids and a FACE_ADDED entry in the change feed
    ImportCounts import_rows(const CollectionRows& rows);
    std::vector<StoredToken> export_tokens(); // the live ones (younger than kTokenLifetimeMs)
    ImportCounts import_tokens(const std::vector<StoredToken>& tokens);

  protected:
    virtual CollectionInfo do_create_collection(std::string_view collection_id, std::string_view face_model_version) = 0;
    virtual void do_delete_collection(std::string_view collection_id) = 0;
    virtual CollectionDescription do_describe_collection(std::string_view collection_id) = 0;
    virtual std::optional<CollectionInfo> do_get_collection(std::string_view collection_id) = 0;
    virtual CollectionPage do_list_collections(const PageRequest& page) = 0;

    virtual AddFacesResult do_add_faces(std::string_view collection_id, const NewImageFaces& image,
                                        const TokenRecord<AddFacesResult>* token) = 0;
    virtual std::vector<FaceRecord> do_find_faces_by_image(std::string_view collection_id,
                                                           const std::optional<std::string>& external_image_id,
                                                           std::string_view image_digest) = 0;
    virtual FacePage do_list_faces(std::string_view collection_id, const FaceFilter& filter,
                                   const PageRequest& page) = 0;
    virtual std::vector<FaceRecord> do_get_faces(std::string_view collection_id,
                                                 const std::vector<std::string>& face_ids, bool with_embeddings) = 0;
    virtual DeleteFacesResult do_delete_faces(std::string_view collection_id,
                                              const std::vector<std::string>& face_ids) = 0;
    virtual std::vector<FaceRecord> do_faces_by_external_id(std::string_view collection_id,
                                                            std::string_view external_image_id) = 0;
    virtual std::vector<FaceRecord> do_delete_faces_by_external_id(std::string_view collection_id,
                                                                   std::string_view external_image_id) = 0;
    virtual std::vector<ExternalIdSummary> do_list_external_ids(std::string_view collection_id,
                                                                std::string_view prefix, std::size_t limit) = 0;
    virtual std::int64_t do_count_external_ids(std::string_view collection_id) = 0;
    virtual void do_put_external_id_alias(std::string_view alias, std::string_view external_id) = 0;
    virtual std::optional<std::string> do_external_id_for_alias(std::string_view alias) = 0;
    virtual std::int64_t do_scan_embeddings(std::string_view collection_id, std::int64_t after_row_id,
                                            const std::function<void(FaceEmbedding&&)>& on_face) = 0;

    virtual UserRecord do_create_user(std::string_view collection_id, std::string_view user_id,
                                      const TokenRecord<UserRecord>* token) = 0;
    virtual DeleteUserResult do_delete_user(std::string_view collection_id, std::string_view user_id,
                                            const TokenRecord<DeleteUserResult>* token) = 0;
    virtual std::optional<UserRecord> do_get_user(std::string_view collection_id, std::string_view user_id) = 0;
    virtual UserPage do_list_users(std::string_view collection_id, const PageRequest& page) = 0;
    virtual AssociateFacesResult do_associate_faces(std::string_view collection_id, std::string_view user_id,
                                                    const std::vector<std::string>& face_ids,
                                                    const TokenRecord<AssociateFacesResult>* token) = 0;
    virtual DisassociateFacesResult do_disassociate_faces(std::string_view collection_id, std::string_view user_id,
                                                          const std::vector<std::string>& face_ids,
                                                          const TokenRecord<DisassociateFacesResult>* token) = 0;

    virtual std::optional<TokenEntry> do_recall(std::string_view operation, std::string_view token) = 0;
    virtual TokenEntry do_remember(std::string_view operation, std::string_view token,
                                   std::string_view request_hash, std::string_view response) = 0;

    virtual std::int64_t do_append_audit(const AuditEvent& event) = 0;
    virtual AuditPage do_query_audit(const AuditQuery& query) = 0;

    virtual FaceChangeBatch do_face_changes_since(std::int64_t after_seq, std::size_t limit) = 0;
    virtual void do_prune() = 0;

    virtual std::optional<StoredDocument> do_read_document(std::string_view name) = 0;
    virtual std::int64_t do_document_version(std::string_view name) = 0;
    virtual StoredDocument do_update_document(
        std::string_view name, const std::function<std::string(const std::optional<std::string>&)>& change) = 0;
    virtual WindowCount do_count_in_window(std::string_view key, std::int64_t window_ms,
                                           std::uint32_t max_requests) = 0;
    virtual void do_run_exclusively(std::string_view name, const std::function<void()>& work) = 0;
    virtual bool do_ping() noexcept { return true; }
    virtual void do_create_session(const SessionRecord& session) = 0;
    virtual std::optional<SessionRecord> do_get_session(std::string_view session_id) = 0;
    virtual bool do_update_session(const SessionRecord& next, SessionStatus expected_status,
                                   std::uint32_t expected_attempts, const std::vector<DeliveryRecord>& outbox) = 0;
    virtual std::vector<SessionRecord> do_list_sessions(const SessionQuery& query) = 0;
    virtual std::vector<DeliveryRecord> do_claim_deliveries(std::int64_t now_ms, std::int64_t lease_ms,
                                                            std::size_t limit) = 0;
    virtual bool do_record_delivery(const DeliveryRecord& next) = 0;
    virtual std::optional<DeliveryRecord> do_get_delivery(std::string_view delivery_id) = 0;
    virtual std::vector<DeliveryRecord> do_list_deliveries(const DeliveryQuery& query) = 0;
    virtual ImportCounts do_import_rows(const CollectionRows& rows) = 0;
    virtual std::vector<StoredToken> do_export_tokens() = 0;
    virtual ImportCounts do_import_tokens(const std::vector<StoredToken>& tokens) = 0;

    // templates at rest: what a backend stores for them (the keys and blobs, never a plain key)
    using DataKeyLoader = std::function<std::vector<DataKeyRecord>()>;
    // the stored data keys, in one read transaction
    virtual std::vector<DataKeyRecord> do_load_data_keys() = 0;
    // in one write transaction: when the stored keys are still exactly `expected`, replaces them by `keys`
    // and returns true; false (nothing written) when they changed meanwhile
    virtual bool do_replace_data_keys(const std::vector<DataKeyRecord>& expected,
                                      const std::vector<DataKeyRecord>& keys) = 0;
    // in one write transaction: up to `limit` embeddings with a key version below `target`, each replaced by
    // reseal(it, a loader of the keys in that transaction) and marked with `target`; returns how many, or
    // nullopt (nothing written) when `target` is no longer the active key
    virtual std::optional<std::size_t> do_reseal_batch(
        std::uint32_t target, std::size_t limit,
        const std::function<std::string(const StoredTemplate&, const DataKeyLoader&)>& reseal) = 0;
    // embeddings with a key version below `version`
    virtual std::uint64_t do_count_templates_below(std::uint32_t version) = 0;
    // in one write transaction: when `target` is the active key and no embedding has a lower version,
    // deletes every other key and returns true
    virtual bool do_retire_data_keys(std::uint32_t target) = 0;
    // after keys or blobs were replaced or erased: make the old bytes unreadable from the backend's files
    // now (SQLite: checkpoint and truncate the WAL); best effort
    virtual void do_scrub() {}

    // for a backend's constructor, once its schema is in place: gets the KEK from `kek_source` (nullopt:
    // none configured), loads and unwraps the data keys (refusing a missing or wrong KEK before anything is
    // written), makes the first data key of a new database (with `create_kek` when no KEK is configured and
    // nothing is sealed yet) and seals the plain embeddings of a database from before sealing
    void open_templates(std::function<std::optional<Kek>()> kek_source, std::function<Kek()> create_kek);

    // for the backends, around their own transactions
    struct SealedEmbedding {
        std::uint32_t key_version = 0;
        std::string blob{};
    };
    // seals with the active key this process knows; in its write transaction the backend then checks that
    // key_version is still the active key (sealing_key_is_current) and seals again when it was not
    SealedEmbedding seal_embedding(std::string_view collection_id, std::string_view face_id,
                                   const std::vector<float>& embedding) const;
    // true when `active_in_store` is the key seal_embedding used; otherwise reloads the keys (load_keys reads
    // them in the caller's transaction) and returns false
    bool sealing_key_is_current(std::uint32_t active_in_store, const DataKeyLoader& load_keys);
    // the embedding of a stored blob; a key this process does not hold yet (another process rotated) is
    // loaded with load_keys. Error INTERNAL when the blob does not open (altered, or moved from another face)
    std::vector<float> open_embedding(std::string_view collection_id, std::string_view face_id,
                                      std::uint32_t key_version, std::string_view blob,
                                      const DataKeyLoader& load_keys) const;

  private:
    class TemplateKeys;
    std::unique_ptr<TemplateKeys> templates_;
    void reseal_all(std::uint32_t target, std::size_t batch, DataKeyRotation& report,
                    const std::function<void(std::uint64_t, std::uint64_t)>& on_progress);
};

//
// validation shared by the backends (throw Error INVALID_PARAMETER)
//

void validate_collection_id(std::string_view collection_id);
void validate_user_id(std::string_view user_id);
void validate_external_image_id(std::string_view external_image_id);
void validate_request_token(std::string_view token);

// the embedding BLOB: kEmbeddingDim IEEE-754 float32 values, little-endian, whatever the host order
std::string encode_embedding(const std::vector<float>& embedding);
std::vector<float> decode_embedding(const void* data, std::size_t size); // INTERNAL if the size is wrong

// a new random (version 4) UUID in lowercase text form
std::string new_uuid();

} // namespace facegate
