// SPDX-License-Identifier: MIT
#include "store/store.h"

#include "common/error.h"

#include <uuid/uuid.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

namespace facegate {

namespace {

[[noreturn]] void invalid(std::string message) { throw Error(ErrorCode::INVALID_PARAMETER, std::move(message)); }

bool is_id_char(char c, std::string_view extra) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           extra.find(c) != std::string_view::npos;
}

void validate_pattern(std::string_view value, std::size_t max_len, std::string_view extra, std::string_view what) {
    if (value.empty() || value.size() > max_len)
        invalid(std::string(what) + " must be 1 to " + std::to_string(max_len) + " characters");
    for (char c : value)
        if (!is_id_char(c, extra)) invalid(std::string(what) + " contains a character outside [a-zA-Z0-9" +
                                           std::string(extra) + "]");
}

void validate_limit(const PageRequest& page) {
    if (page.limit < 1) invalid("the page limit must be at least 1");
    if (page.after.size() > 255) invalid("invalid pagination token");
}

void validate_face_id_count(const std::vector<std::string>& face_ids, std::size_t max) {
    if (face_ids.empty() || face_ids.size() > max)
        invalid("FaceIds must hold 1 to " + std::to_string(max) + " ids");
}

template <class Result>
void validate_token(const TokenRecord<Result>* token) {
    if (!token) return;
    validate_request_token(token->token);
    if (token->request_hash.empty()) invalid("the request hash of a ClientRequestToken must not be empty");
    if (!token->render_response) invalid("a ClientRequestToken record needs a response renderer");
}

bool finite(float v) { return std::isfinite(v); }

void validate_new_image(const NewImageFaces& image) {
    if (image.external_image_id) validate_external_image_id(*image.external_image_id);
    if (image.image_digest && (image.image_digest->empty() || image.image_digest->size() > 128))
        invalid("the image digest must be 1 to 128 characters");
    if (image.model_version.empty()) invalid("the face model version must not be empty");
    if (image.faces.size() > kMaxFacesPerImage)
        invalid("at most " + std::to_string(kMaxFacesPerImage) + " faces per image");
    for (const NewFace& face : image.faces) {
        if (face.embedding.size() != kEmbeddingDim)
            invalid("an embedding must have " + std::to_string(kEmbeddingDim) + " values, not " +
                    std::to_string(face.embedding.size()));
        for (float v : face.embedding)
            if (!finite(v)) invalid("an embedding value is not finite");
        const BoundingBox& b = face.bounding_box;
        if (!finite(b.width) || !finite(b.height) || !finite(b.left) || !finite(b.top) || !finite(face.confidence))
            invalid("a bounding box or confidence is not finite");
    }
}

} // namespace

//
// names
//

std::string_view face_deletion_failure_name(FaceDeletionFailure reason) {
    switch (reason) {
    case FaceDeletionFailure::ASSOCIATED_TO_AN_EXISTING_USER: return "ASSOCIATED_TO_AN_EXISTING_USER";
    case FaceDeletionFailure::FACE_NOT_FOUND: return "FACE_NOT_FOUND";
    }
    return "FACE_NOT_FOUND";
}

std::string_view user_status_name(UserStatus status) {
    switch (status) {
    case UserStatus::ACTIVE: return "ACTIVE";
    case UserStatus::UPDATING: return "UPDATING";
    case UserStatus::CREATING: return "CREATING";
    case UserStatus::CREATED: return "CREATED";
    }
    return "CREATED";
}

std::string_view face_association_failure_name(FaceAssociationFailure reason) {
    switch (reason) {
    case FaceAssociationFailure::FACE_NOT_FOUND: return "FACE_NOT_FOUND";
    case FaceAssociationFailure::ASSOCIATED_TO_A_DIFFERENT_USER: return "ASSOCIATED_TO_A_DIFFERENT_USER";
    case FaceAssociationFailure::USER_FACE_LIMIT: return "USER_FACE_LIMIT";
    case FaceAssociationFailure::LOW_MATCH_CONFIDENCE: return "LOW_MATCH_CONFIDENCE";
    }
    return "FACE_NOT_FOUND";
}

std::string_view face_disassociation_failure_name(FaceDisassociationFailure reason) {
    switch (reason) {
    case FaceDisassociationFailure::FACE_NOT_FOUND: return "FACE_NOT_FOUND";
    case FaceDisassociationFailure::ASSOCIATED_TO_A_DIFFERENT_USER: return "ASSOCIATED_TO_A_DIFFERENT_USER";
    }
    return "FACE_NOT_FOUND";
}

std::string_view face_change_kind_name(FaceChangeKind kind) {
    switch (kind) {
    case FaceChangeKind::FACE_ADDED: return "FACE_ADDED";
    case FaceChangeKind::FACE_DELETED: return "FACE_DELETED";
    case FaceChangeKind::FACE_USER_CHANGED: return "FACE_USER_CHANGED";
    case FaceChangeKind::COLLECTION_DELETED: return "COLLECTION_DELETED";
    }
    return "FACE_ADDED";
}

//
// validation and encoding
//

void validate_collection_id(std::string_view collection_id) {
    validate_pattern(collection_id, 255, "_.-", "CollectionId");
}

void validate_user_id(std::string_view user_id) { validate_pattern(user_id, 128, "_.-:", "UserId"); }

void validate_external_image_id(std::string_view external_image_id) {
    validate_pattern(external_image_id, 255, "_.-:", "ExternalImageId");
}

void validate_request_token(std::string_view token) { validate_pattern(token, 64, "-_", "ClientRequestToken"); }

std::string encode_embedding(const std::vector<float>& embedding) {
    std::string blob(embedding.size() * sizeof(float), '\0');
    if constexpr (std::endian::native == std::endian::little) {
        std::memcpy(blob.data(), embedding.data(), blob.size());
        return blob;
    }
    for (std::size_t i = 0; i < embedding.size(); ++i) {
        std::uint32_t bits = std::bit_cast<std::uint32_t>(embedding[i]);
        for (int b = 0; b < 4; ++b) blob[i * 4 + b] = static_cast<char>((bits >> (8 * b)) & 0xff);
    }
    return blob;
}

std::vector<float> decode_embedding(const void* data, std::size_t size) {
    if (size != kEmbeddingDim * sizeof(float))
        throw Error(ErrorCode::INTERNAL, "stored embedding has " + std::to_string(size) + " bytes");
    const auto* bytes = static_cast<const unsigned char*>(data);
    std::vector<float> values(kEmbeddingDim);
    if constexpr (std::endian::native == std::endian::little) {
        std::memcpy(values.data(), bytes, size);
    } else {
        for (std::size_t i = 0; i < kEmbeddingDim; ++i) {
            std::uint32_t bits = 0;
            for (int b = 0; b < 4; ++b) bits |= std::uint32_t(bytes[i * 4 + b]) << (8 * b);
            values[i] = std::bit_cast<float>(bits);
        }
    }
    return values;
}

std::string new_uuid() {
    uuid_t uuid;
    uuid_generate_random(uuid);
    char text[37];
    uuid_unparse_lower(uuid, text);
    return std::string(text, 36);
}

//
// the public methods: validate, then call the backend
//

CollectionInfo Store::create_collection(std::string_view collection_id, std::string_view face_model_version) {
    validate_collection_id(collection_id);
    if (face_model_version.empty()) invalid("the face model version must not be empty");
    return do_create_collection(collection_id, face_model_version);
}

void Store::delete_collection(std::string_view collection_id) {
    validate_collection_id(collection_id);
    do_delete_collection(collection_id);
}

CollectionDescription Store::describe_collection(std::string_view collection_id) {
    validate_collection_id(collection_id);
    return do_describe_collection(collection_id);
}

std::optional<CollectionInfo> Store::get_collection(std::string_view collection_id) {
    validate_collection_id(collection_id);
    return do_get_collection(collection_id);
}

CollectionPage Store::list_collections(const PageRequest& page) {
    validate_limit(page);
    return do_list_collections(page);
}

AddFacesResult Store::add_faces(std::string_view collection_id, const NewImageFaces& image,
                                const TokenRecord<AddFacesResult>* token) {
    validate_collection_id(collection_id);
    validate_new_image(image);
    validate_token(token);
    return do_add_faces(collection_id, image, token);
}

std::vector<FaceRecord> Store::find_faces_by_image(std::string_view collection_id,
                                                   const std::optional<std::string>& external_image_id,
                                                   std::string_view image_digest) {
    validate_collection_id(collection_id);
    if (external_image_id) validate_external_image_id(*external_image_id);
    if (image_digest.empty()) invalid("the image digest must not be empty");
    return do_find_faces_by_image(collection_id, external_image_id, image_digest);
}

FacePage Store::list_faces(std::string_view collection_id, const FaceFilter& filter, const PageRequest& page) {
    validate_collection_id(collection_id);
    if (filter.user_id) validate_user_id(*filter.user_id);
    if (filter.face_ids.size() > kMaxFaceIdsPerCall)
        invalid("at most " + std::to_string(kMaxFaceIdsPerCall) + " FaceIds");
    validate_limit(page);
    return do_list_faces(collection_id, filter, page);
}

std::vector<FaceRecord> Store::get_faces(std::string_view collection_id, const std::vector<std::string>& face_ids,
                                         bool with_embeddings) {
    validate_collection_id(collection_id);
    return do_get_faces(collection_id, face_ids, with_embeddings);
}

DeleteFacesResult Store::delete_faces(std::string_view collection_id, const std::vector<std::string>& face_ids) {
    validate_collection_id(collection_id);
    validate_face_id_count(face_ids, kMaxFaceIdsPerCall);
    return do_delete_faces(collection_id, face_ids);
}

std::vector<FaceRecord> Store::faces_by_external_id(std::string_view collection_id,
                                                    std::string_view external_image_id) {
    validate_collection_id(collection_id);
    validate_external_image_id(external_image_id);
    return do_faces_by_external_id(collection_id, external_image_id);
}

std::vector<FaceRecord> Store::delete_faces_by_external_id(std::string_view collection_id,
                                                           std::string_view external_image_id) {
    validate_collection_id(collection_id);
    validate_external_image_id(external_image_id);
    return do_delete_faces_by_external_id(collection_id, external_image_id);
}

std::int64_t Store::scan_embeddings(std::string_view collection_id, std::int64_t after_row_id,
                                    const std::function<void(FaceEmbedding&&)>& on_face) {
    validate_collection_id(collection_id);
    if (!on_face) invalid("scan_embeddings needs a callback");
    return do_scan_embeddings(collection_id, after_row_id, on_face);
}

EmbeddingSnapshot Store::load_all_embeddings(std::string_view collection_id) {
    EmbeddingSnapshot snapshot;
    snapshot.change_seq =
        scan_embeddings(collection_id, 0, [&](FaceEmbedding&& face) { snapshot.faces.push_back(std::move(face)); });
    return snapshot;
}

UserRecord Store::create_user(std::string_view collection_id, std::string_view user_id,
                              const TokenRecord<UserRecord>* token) {
    validate_collection_id(collection_id);
    validate_user_id(user_id);
    validate_token(token);
    return do_create_user(collection_id, user_id, token);
}

DeleteUserResult Store::delete_user(std::string_view collection_id, std::string_view user_id,
                                    const TokenRecord<DeleteUserResult>* token) {
    validate_collection_id(collection_id);
    validate_user_id(user_id);
    validate_token(token);
    return do_delete_user(collection_id, user_id, token);
}

std::optional<UserRecord> Store::get_user(std::string_view collection_id, std::string_view user_id) {
    validate_collection_id(collection_id);
    validate_user_id(user_id);
    return do_get_user(collection_id, user_id);
}

UserPage Store::list_users(std::string_view collection_id, const PageRequest& page) {
    validate_collection_id(collection_id);
    validate_limit(page);
    return do_list_users(collection_id, page);
}

AssociateFacesResult Store::associate_faces(std::string_view collection_id, std::string_view user_id,
                                            const std::vector<std::string>& face_ids,
                                            const TokenRecord<AssociateFacesResult>* token) {
    validate_collection_id(collection_id);
    validate_user_id(user_id);
    validate_face_id_count(face_ids, kMaxUserFaceIdsPerCall);
    validate_token(token);
    return do_associate_faces(collection_id, user_id, face_ids, token);
}

DisassociateFacesResult Store::disassociate_faces(std::string_view collection_id, std::string_view user_id,
                                                  const std::vector<std::string>& face_ids,
                                                  const TokenRecord<DisassociateFacesResult>* token) {
    validate_collection_id(collection_id);
    validate_user_id(user_id);
    validate_face_id_count(face_ids, kMaxUserFaceIdsPerCall);
    validate_token(token);
    return do_disassociate_faces(collection_id, user_id, face_ids, token);
}

std::optional<TokenEntry> Store::recall(std::string_view operation, std::string_view token) {
    if (operation.empty()) invalid("the operation must not be empty");
    validate_request_token(token);
    return do_recall(operation, token);
}

TokenEntry Store::remember(std::string_view operation, std::string_view token, std::string_view request_hash,
                           std::string_view response) {
    if (operation.empty()) invalid("the operation must not be empty");
    validate_request_token(token);
    if (request_hash.empty()) invalid("the request hash must not be empty");
    return do_remember(operation, token, request_hash, response);
}

namespace {

// audit rows hold what a client sent (ids of refused requests too): each field is capped at the service
// model's limit, so a refusal never buys free storage. a cut value ends in "..." (cut on a UTF-8 boundary)
void cap_audit_field(std::string& value, std::size_t limit) {
    if (value.size() <= limit) return;
    std::size_t cut = limit - 3;
    while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xc0) == 0x80) --cut;
    value.resize(cut);
    value += "...";
}

} // namespace

std::int64_t Store::append_audit(const AuditEvent& given) {
    if (given.operation.empty()) invalid("an audit event needs an operation");
    if (given.outcome.empty()) invalid("an audit event needs an outcome");
    constexpr std::size_t kMaxFaceIds = 4096; // DeleteFaces' limit
    AuditEvent event = given;
    cap_audit_field(event.operation, 64);
    cap_audit_field(event.collection_id, 255);
    if (event.external_image_id) cap_audit_field(*event.external_image_id, 255);
    if (event.user_id) cap_audit_field(*event.user_id, 128);
    if (event.face_ids.size() > kMaxFaceIds) event.face_ids.resize(kMaxFaceIds);
    for (auto& id : event.face_ids) cap_audit_field(id, 36);
    cap_audit_field(event.outcome, 64);
    cap_audit_field(event.caller_key_id, 128);
    cap_audit_field(event.details, 4096);
    cap_audit_field(event.request_id, 64);
    return do_append_audit(event);
}

std::vector<ExternalIdSummary> Store::list_external_ids(std::string_view collection_id, std::string_view prefix,
                                                        std::size_t limit) {
    if (limit < 1 || limit > 1000) invalid("the limit must be between 1 and 1000");
    return do_list_external_ids(collection_id, prefix, limit);
}

std::int64_t Store::count_external_ids(std::string_view collection_id) { return do_count_external_ids(collection_id); }

void Store::put_external_id_alias(std::string_view alias, std::string_view external_id) {
    if (alias.empty() || external_id.empty()) invalid("an alias needs both names");
    do_put_external_id_alias(alias, external_id);
}

std::optional<std::string> Store::external_id_for_alias(std::string_view alias) {
    return do_external_id_for_alias(alias);
}

AuditPage Store::query_audit(const AuditQuery& query) {
    validate_limit(query.page);
    return do_query_audit(query);
}

FaceChangeBatch Store::face_changes_since(std::int64_t after_seq, std::size_t limit) {
    if (limit < 1) invalid("the limit must be at least 1");
    return do_face_changes_since(after_seq, limit);
}

void Store::prune() { do_prune(); }

} // namespace facegate

//
// shared state
//

namespace facegate {

namespace {

void validate_document_name(std::string_view name) {
    const bool ok = !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    });
    if (!ok) throw Error(ErrorCode::INVALID_PARAMETER, "document name must match [a-z0-9-]{1,64}");
}

constexpr std::size_t kMaxDocumentBytes = 16u << 20;
constexpr std::size_t kMaxCountKeyBytes = 512;

} // namespace

std::optional<StoredDocument> Store::read_document(std::string_view name) {
    validate_document_name(name);
    return do_read_document(name);
}

std::int64_t Store::document_version(std::string_view name) {
    validate_document_name(name);
    return do_document_version(name);
}

StoredDocument Store::update_document(std::string_view name,
                                      const std::function<std::string(const std::optional<std::string>&)>& change) {
    validate_document_name(name);
    return do_update_document(name, [&](const std::optional<std::string>& current) {
        std::string next = change(current);
        if (next.size() > kMaxDocumentBytes) throw Error(ErrorCode::INVALID_PARAMETER, "document too large");
        return next;
    });
}

WindowCount Store::count_in_window(std::string_view key, std::int64_t window_ms, std::uint32_t max_requests) {
    if (key.empty() || key.size() > kMaxCountKeyBytes)
        throw Error(ErrorCode::INVALID_PARAMETER, "rate key must be 1 to 512 bytes");
    if (window_ms <= 0 || max_requests == 0)
        throw Error(ErrorCode::INVALID_PARAMETER, "rate window and maximum must be positive");
    return do_count_in_window(key, window_ms, max_requests);
}

void Store::run_exclusively(std::string_view name, const std::function<void()>& work) {
    if (name.empty() || name.size() > kMaxCountKeyBytes)
        throw Error(ErrorCode::INVALID_PARAMETER, "lock name must be 1 to 512 bytes");
    do_run_exclusively(name, work);
}


//
// verification sessions
//

std::string_view session_status_name(SessionStatus status) {
    switch (status) {
    case SessionStatus::CREATED: return "created";
    case SessionStatus::PROCESSING: return "processing";
    case SessionStatus::COMPLETED: return "completed";
    case SessionStatus::CANCELED: return "canceled";
    }
    return "created";
}

SessionStatus parse_session_status(std::string_view name) {
    for (SessionStatus s : {SessionStatus::CREATED, SessionStatus::PROCESSING, SessionStatus::COMPLETED,
                            SessionStatus::CANCELED})
        if (session_status_name(s) == name) return s;
    throw Error(ErrorCode::INTERNAL, "store: unknown session status");
}

namespace {

void validate_session_id(std::string_view id) {
    const bool ok = !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
    if (!ok) throw Error(ErrorCode::INVALID_PARAMETER, "session id must match [a-zA-Z0-9_-]{1,64}");
}

void require_size(std::string_view value, std::size_t max, const char* what) {
    if (value.size() > max) throw Error(ErrorCode::INVALID_PARAMETER, std::string("session ") + what + " too long");
}

void validate_session_state(const SessionRecord& s) {
    require_size(s.result, kMaxSessionResultBytes, "result");
    require_size(s.public_result, kMaxSessionOptionsBytes, "public result");
    if (s.updated_ms < 0) throw Error(ErrorCode::INVALID_PARAMETER, "session times must not be negative");
}

void validate_session(const SessionRecord& s) {
    validate_session_id(s.session_id);
    const bool printable_owner = !s.owner.empty() && s.owner.size() <= 128 &&
                                 std::all_of(s.owner.begin(), s.owner.end(), [](char c) { return c > ' ' && c < 127; });
    if (!printable_owner) throw Error(ErrorCode::INVALID_PARAMETER, "session owner must be 1-128 printable characters");
    const bool hex = s.secret_sha256.size() == 64 && std::all_of(s.secret_sha256.begin(), s.secret_sha256.end(), [](char c) {
                         return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                     });
    if (!hex) throw Error(ErrorCode::INVALID_PARAMETER, "session secret hash must be 64 lower-case hex digits");
    if (s.action != "register" && s.action != "verify")
        throw Error(ErrorCode::INVALID_PARAMETER, "session action must be register or verify");
    validate_collection_id(s.collection_id);
    if (s.external_id.empty() || s.external_id.size() > 255)
        throw Error(ErrorCode::INVALID_PARAMETER, "session external id must be 1-255 bytes");
    require_size(s.return_url, kMaxSessionUrlBytes, "return url");
    require_size(s.base_url, kMaxSessionUrlBytes, "base url");
    require_size(s.options, kMaxSessionOptionsBytes, "options");
    if (s.created_ms < 0 || s.expires_ms <= s.created_ms)
        throw Error(ErrorCode::INVALID_PARAMETER, "a session must expire after its creation");
    validate_session_state(s);
}

void validate_delivery(const DeliveryRecord& d) {
    for (const std::string* id : {&d.delivery_id, &d.webhook_id, &d.event_id}) validate_session_id(*id);
    if (!d.session_id.empty()) validate_session_id(d.session_id);
    const bool type_ok = !d.event_type.empty() && d.event_type.size() <= 64 &&
                         std::all_of(d.event_type.begin(), d.event_type.end(),
                                     [](char c) { return (c >= 'a' && c <= 'z') || c == '.' || c == '_'; });
    if (!type_ok) throw Error(ErrorCode::INVALID_PARAMETER, "delivery event type must match [a-z._]{1,64}");
    if (d.body.size() > kMaxDeliveryBodyBytes) throw Error(ErrorCode::INVALID_PARAMETER, "delivery body too long");
    if (d.last_error.size() > kMaxDeliveryErrorBytes) throw Error(ErrorCode::INVALID_PARAMETER, "delivery error too long");
    if (d.created_ms < 0 || d.updated_ms < 0 || d.next_attempt_ms < 0 || d.give_up_ms < 0 || d.delivered_ms < 0)
        throw Error(ErrorCode::INVALID_PARAMETER, "delivery times must not be negative");
}

} // namespace

void Store::create_session(const SessionRecord& session) {
    validate_session(session);
    do_create_session(session);
}

std::optional<SessionRecord> Store::get_session(std::string_view session_id) {
    validate_session_id(session_id);
    return do_get_session(session_id);
}

bool Store::update_session(const SessionRecord& next, SessionStatus expected_status, std::uint32_t expected_attempts) {
    return update_session(next, expected_status, expected_attempts, {});
}

bool Store::update_session(const SessionRecord& next, SessionStatus expected_status, std::uint32_t expected_attempts,
                           const std::vector<DeliveryRecord>& outbox) {
    validate_session_id(next.session_id);
    validate_session_state(next);
    for (const DeliveryRecord& delivery : outbox) validate_delivery(delivery);
    return do_update_session(next, expected_status, expected_attempts, outbox);
}

std::vector<SessionRecord> Store::list_sessions(const SessionQuery& query) {
    if (query.limit == 0 || query.limit > 1000) throw Error(ErrorCode::INVALID_PARAMETER, "limit must be 1-1000");
    if (!query.action.empty() && query.action != "register" && query.action != "verify")
        throw Error(ErrorCode::INVALID_PARAMETER, "action must be register or verify");
    if (!query.collection_id.empty()) validate_collection_id(query.collection_id);
    if (query.owner.size() > 128) throw Error(ErrorCode::INVALID_PARAMETER, "session owner too long");
    if (query.before) validate_session_id(query.before->second);
    return do_list_sessions(query);
}

std::string_view delivery_status_name(DeliveryStatus status) {
    switch (status) {
    case DeliveryStatus::PENDING: return "pending";
    case DeliveryStatus::DELIVERED: return "delivered";
    case DeliveryStatus::FAILED: return "failed";
    }
    return "pending";
}

DeliveryStatus parse_delivery_status(std::string_view name) {
    for (DeliveryStatus s : {DeliveryStatus::PENDING, DeliveryStatus::DELIVERED, DeliveryStatus::FAILED})
        if (delivery_status_name(s) == name) return s;
    throw Error(ErrorCode::INTERNAL, "store: unknown delivery status");
}

std::vector<DeliveryRecord> Store::claim_deliveries(std::int64_t now_ms, std::int64_t lease_ms, std::size_t limit) {
    if (limit == 0 || limit > 1000 || lease_ms <= 0) throw Error(ErrorCode::INVALID_PARAMETER, "bad delivery claim");
    return do_claim_deliveries(now_ms, lease_ms, limit);
}

bool Store::record_delivery(const DeliveryRecord& next) {
    validate_delivery(next);
    return do_record_delivery(next);
}

std::optional<DeliveryRecord> Store::get_delivery(std::string_view delivery_id) {
    validate_session_id(delivery_id);
    return do_get_delivery(delivery_id);
}

std::vector<DeliveryRecord> Store::list_deliveries(const DeliveryQuery& query) {
    if (query.limit == 0 || query.limit > 1000) throw Error(ErrorCode::INVALID_PARAMETER, "limit must be 1-1000");
    if (query.webhook_ids.size() > 1000) throw Error(ErrorCode::INVALID_PARAMETER, "too many webhooks");
    for (const std::string& id : query.webhook_ids) validate_session_id(id);
    if (query.before) validate_session_id(query.before->second);
    return do_list_deliveries(query);
}

bool Store::ping() noexcept { return do_ping(); }

ImportCounts Store::import_rows(const CollectionRows& rows) {
    validate_collection_id(rows.info.collection_id);
    for (const UserRecord& user : rows.users) validate_user_id(user.user_id);
    for (const FaceRecord& face : rows.faces) {
        if (face.embedding.size() != kEmbeddingDim)
            throw Error(ErrorCode::INVALID_PARAMETER, "an imported face needs its embedding");
        if (face.external_image_id) validate_external_image_id(*face.external_image_id);
        if (face.user_id) validate_user_id(*face.user_id);
    }
    return do_import_rows(rows);
}

std::vector<StoredToken> Store::export_tokens() { return do_export_tokens(); }

ImportCounts Store::import_tokens(const std::vector<StoredToken>& tokens) {
    for (const StoredToken& token : tokens) validate_request_token(token.token);
    return do_import_tokens(tokens);
}

} // namespace facegate
