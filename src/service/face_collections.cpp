// SPDX-License-Identifier: MIT
#include "service/face_collections.h"

#include "common/error.h"
#include "core/face_embedder.h"
#include "core/model_files.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace facegate {

namespace {

constexpr size_t kDefaultPageSize = 1000;

// what each QualityFilter level refuses (AUTO is MEDIUM, as Rekognition chooses it for you)
struct QualityBar {
    float min_confidence;   // detector confidence, 0-100
    float min_face_px;      // face width in source pixels
    float max_yaw, max_pitch;
    float min_sharpness, min_brightness, max_brightness;
};

std::optional<QualityBar> quality_bar(QualityFilter filter) {
    switch (filter) {
    case QualityFilter::NONE: return std::nullopt;
    case QualityFilter::LOW: return QualityBar{70, 24, 75, 60, 5, 5, 98};
    case QualityFilter::AUTO:
    case QualityFilter::MEDIUM: return QualityBar{85, 40, 60, 45, 15, 10, 95};
    case QualityFilter::HIGH: return QualityBar{95, 64, 45, 30, 40, 20, 90};
    }
    return std::nullopt;
}

std::vector<std::string> quality_reasons(const FaceAnalysis& face, QualityFilter filter) {
    std::vector<std::string> reasons;
    auto bar = quality_bar(filter);
    if (!bar) return reasons;
    if (face.box.confidence * 100 < bar->min_confidence) reasons.push_back("LOW_CONFIDENCE");
    if (face.quality.face_width_px < bar->min_face_px) reasons.push_back("SMALL_BOUNDING_BOX");
    if (std::abs(face.pose.yaw) > bar->max_yaw || std::abs(face.pose.pitch) > bar->max_pitch) {
        reasons.push_back("EXTREME_POSE");
    }
    if (face.quality.sharpness < bar->min_sharpness) reasons.push_back("LOW_SHARPNESS");
    if (face.quality.brightness < bar->min_brightness || face.quality.brightness > bar->max_brightness) {
        reasons.push_back("LOW_BRIGHTNESS");
    }
    return reasons;
}

BoundingBox ratio_box(const cv::Rect2f& r, int w, int h) {
    return {r.width / w, r.height / h, r.x / w, r.y / h};
}

size_t page_size(std::optional<size_t> max_results) {
    return max_results && *max_results > 0 ? *max_results : kDefaultPageSize;
}

float min_cosine_for(float threshold) { return threshold <= 0 ? -1.f : cosine_for_similarity(threshold); }

std::string token_hash(std::initializer_list<std::string_view> parts) {
    std::string joined;
    for (auto part : parts) {
        joined += part;
        joined += '\n';
    }
    return sha256_hex(joined);
}

template <class Result>
TokenRecord<Result> token_record(const std::string& token, std::string hash) {
    return TokenRecord<Result>{token, std::move(hash), [](const Result&) { return std::string("{}"); }};
}

// a retried AssociateFaces/DisassociateFaces answers exactly what the first call answered: the
// result is kept with the token, in the write's own transaction, in this small JSON form
UserStatus user_status_from(std::string_view name) {
    for (auto s : {UserStatus::ACTIVE, UserStatus::UPDATING, UserStatus::CREATING, UserStatus::CREATED}) {
        if (user_status_name(s) == name) return s;
    }
    return UserStatus::CREATED;
}

template <class Result, class Failure>
std::string render_membership(const std::vector<std::string>& done, const std::vector<Failure>& failures,
                              UserStatus status) {
    nlohmann::json j = {{"done", done}, {"status", user_status_name(status)}, {"failures", nlohmann::json::array()}};
    for (const auto& f : failures) {
        j["failures"].push_back({{"face", f.face_id}, {"user", f.user_id.value_or("")}, {"reason", int(f.reason)}});
    }
    return j.dump();
}

template <class Result, class Failure, class Reason>
Result replay_membership(const std::string& stored, std::vector<std::string> Result::*done,
                         std::vector<Failure> Result::*failures) {
    Result result;
    auto j = nlohmann::json::parse(stored, nullptr, false);
    if (!j.is_object() || !j.contains("done")) return result;
    result.*done = j["done"].get<std::vector<std::string>>();
    result.user_status = user_status_from(j["status"].get<std::string>());
    for (const auto& f : j["failures"]) {
        Failure failure;
        failure.face_id = f["face"].get<std::string>();
        if (auto user = f["user"].get<std::string>(); !user.empty()) failure.user_id = user;
        failure.reason = Reason(f["reason"].get<int>());
        (result.*failures).push_back(std::move(failure));
    }
    return result;
}

} // namespace

QualityFilter parse_quality_filter(std::string_view name) {
    if (name == "NONE") return QualityFilter::NONE;
    if (name == "AUTO") return QualityFilter::AUTO;
    if (name == "LOW") return QualityFilter::LOW;
    if (name == "MEDIUM") return QualityFilter::MEDIUM;
    if (name == "HIGH") return QualityFilter::HIGH;
    throw Error(ErrorCode::INVALID_PARAMETER, "QualityFilter must be one of NONE, AUTO, LOW, MEDIUM, HIGH");
}

FaceCollections::FaceCollections(Store& store, const FaceEngine& engine, VectorIndexConfig index_config)
    : store_(store), engine_(engine), indexes_(store, index_config) {}

CollectionInfo FaceCollections::create_collection(const std::string& collection_id) {
    return store_.create_collection(collection_id, embedding_model_version());
}

void FaceCollections::delete_collection(const std::string& collection_id) {
    store_.delete_collection(collection_id);
    indexes_.dropped(collection_id);
}

CollectionDescription FaceCollections::describe_collection(const std::string& collection_id) {
    return store_.describe_collection(collection_id);
}

CollectionPage FaceCollections::list_collections(const std::string& next_token, std::optional<size_t> max_results) {
    return store_.list_collections({next_token, page_size(max_results)});
}

IndexFacesResult FaceCollections::index_faces(const IndexFacesRequest& request) {
    indexes_.get(request.collection_id); // ResourceNotFound before the costly analysis
    if (request.max_faces && (*request.max_faces < 1 || *request.max_faces > kMaxFacesPerImage)) {
        throw Error(ErrorCode::INVALID_PARAMETER, "MaxFaces must be between 1 and 100");
    }
    ImageAnalysis analysis = engine_.analyze_bytes(request.image);
    IndexFacesResult result;
    result.image_width = analysis.width;
    result.image_height = analysis.height;
    result.face_model_version = std::string(embedding_model_version());

    // faces come largest first: the quality filter refuses some, MaxFaces keeps the largest of the rest
    std::vector<FaceAnalysis> accepted;
    size_t limit = request.max_faces.value_or(kMaxFacesPerImage);
    for (auto& face : analysis.faces) {
        auto reasons = quality_reasons(face, request.quality_filter);
        if (reasons.empty() && accepted.size() >= limit) reasons.push_back("EXCEEDS_MAX_FACES");
        if (reasons.empty()) accepted.push_back(std::move(face));
        else result.unindexed.push_back({std::move(face), std::move(reasons)});
    }
    if (accepted.empty()) return result;

    NewImageFaces image;
    image.external_image_id = request.external_image_id;
    image.image_digest = sha256_hex({reinterpret_cast<const char*>(request.image.data()), request.image.size()});
    image.model_version = result.face_model_version;
    for (const auto& face : accepted) {
        image.faces.push_back({ratio_box(face.box.rect, analysis.width, analysis.height), face.box.confidence * 100.f,
                               face.embedding});
    }
    AddFacesResult added;
    if (request.client_request_token) {
        auto token = token_record<AddFacesResult>(*request.client_request_token,
                                                  token_hash({"IndexFaces", request.collection_id, *image.image_digest,
                                                              request.external_image_id.value_or("")}));
        try {
            added = store_.add_faces(request.collection_id, image, &token);
        } catch (const TokenReplayed&) {
            added.faces = store_.find_faces_by_image(request.collection_id, request.external_image_id, *image.image_digest);
        }
    } else {
        added = store_.add_faces(request.collection_id, image);
    }
    indexes_.added(request.collection_id, added.faces);
    // the same image under the same ExternalImageId is stored once: its faces are returned again
    for (size_t i = 0; i < accepted.size() && i < added.faces.size(); ++i) {
        result.indexed.push_back({std::move(added.faces[i]), std::move(accepted[i])});
    }
    return result;
}

FacePage FaceCollections::list_faces(const std::string& collection_id, const FaceFilter& filter,
                                     const std::string& next_token, std::optional<size_t> max_results) {
    return store_.list_faces(collection_id, filter, {next_token, page_size(max_results)});
}

DeleteFacesResult FaceCollections::delete_faces(const std::string& collection_id,
                                                const std::vector<std::string>& face_ids) {
    auto result = store_.delete_faces(collection_id, face_ids);
    indexes_.removed(collection_id, result.deleted);
    return result;
}

FaceRecord FaceCollections::add_analyzed_face(const std::string& collection_id, const std::string& external_image_id,
                                              const FaceAnalysis& face, int image_width, int image_height,
                                              const std::string& image_digest) {
    if (face.embedding.empty()) throw Error(ErrorCode::INTERNAL, "a face without its embedding cannot be indexed");
    indexes_.get(collection_id);
    NewImageFaces image;
    image.external_image_id = external_image_id;
    image.image_digest = image_digest;
    image.model_version = std::string(embedding_model_version());
    image.faces.push_back({ratio_box(face.box.rect, image_width, image_height), face.box.confidence * 100.f,
                           face.embedding});
    AddFacesResult added = store_.add_faces(collection_id, image);
    indexes_.added(collection_id, added.faces);
    if (added.faces.empty()) throw Error(ErrorCode::INTERNAL, "the store kept no face");
    return added.faces.front();
}

std::vector<FaceRecord> FaceCollections::erase_external_id(const std::string& collection_id,
                                                           const std::string& external_image_id) {
    auto erased = store_.delete_faces_by_external_id(collection_id, external_image_id);
    std::vector<FaceRef> refs;
    for (const auto& face : erased) refs.push_back({face.face_id, face.row_id});
    indexes_.removed(collection_id, refs);
    return erased;
}

std::vector<FaceSearchMatch> FaceCollections::search_vector(const std::string& collection_id,
                                                            const std::vector<float>& query, float threshold,
                                                            size_t max_faces,
                                                            const std::optional<std::string>& exclude_face_id) {
    auto entry = indexes_.get(collection_id);
    if (entry->index.size() == 0 || max_faces == 0) return {};
    auto hits = entry->index.search(query, max_faces + (exclude_face_id ? 1 : 0), min_cosine_for(threshold));
    std::vector<std::string> face_ids;
    std::vector<float> similarities;
    {
        std::lock_guard lock(entry->ids_mutex);
        for (const auto& hit : hits) {
            auto it = entry->face_ids.find(int64_t(hit.id));
            if (it == entry->face_ids.end() || (exclude_face_id && it->second == *exclude_face_id)) continue;
            face_ids.push_back(it->second);
            similarities.push_back(similarity_from_cosine(hit.cosine));
        }
    }
    // records in request order; a face deleted since the search is simply left out
    auto records = store_.get_faces(collection_id, face_ids);
    std::map<std::string, FaceRecord*> by_id;
    for (auto& record : records) by_id[record.face_id] = &record;
    std::vector<FaceSearchMatch> matches;
    for (size_t i = 0; i < face_ids.size() && matches.size() < max_faces; ++i) {
        if (auto it = by_id.find(face_ids[i]); it != by_id.end()) matches.push_back({std::move(*it->second), similarities[i]});
    }
    return matches;
}

SearchFacesResult FaceCollections::search_faces(const std::string& collection_id, const std::string& face_id,
                                                float threshold, size_t max_faces) {
    auto faces = store_.get_faces(collection_id, {face_id}, true);
    if (faces.empty()) {
        throw Error(ErrorCode::INVALID_PARAMETER, "FaceId " + face_id + " is not in collection " + collection_id);
    }
    SearchFacesResult result;
    result.searched_face_id = face_id;
    result.face_model_version = faces[0].model_version;
    result.matches = search_vector(collection_id, faces[0].embedding, threshold, max_faces, face_id);
    return result;
}

SearchByImageResult FaceCollections::search_faces_by_image(const std::string& collection_id,
                                                           std::span<const uint8_t> image, float threshold,
                                                           size_t max_faces, QualityFilter filter) {
    indexes_.get(collection_id);
    // only the largest face is searched, and liveness plays no part in a search
    AnalyzeOptions options;
    options.max_faces = 1;
    options.liveness = false;
    ImageAnalysis analysis = engine_.analyze_bytes(image, options);
    if (analysis.faces.empty()) {
        throw Error(ErrorCode::NO_FACE, "Request has invalid parameters: there are no faces in the image");
    }
    auto reasons = quality_reasons(analysis.faces.front(), filter);
    if (!reasons.empty()) {
        throw Error(ErrorCode::INVALID_PARAMETER,
                    "the largest face in the image does not meet the quality filter (" + reasons.front() + ")");
    }
    SearchByImageResult result;
    result.image_width = analysis.width;
    result.image_height = analysis.height;
    result.face_model_version = std::string(embedding_model_version());
    result.searched_face = std::move(analysis.faces.front());
    result.matches = search_vector(collection_id, result.searched_face.embedding, threshold, max_faces, std::nullopt);
    for (size_t i = 1; i < analysis.faces.size(); ++i) result.unsearched.push_back({std::move(analysis.faces[i]), {"FACE_NOT_LARGEST"}});
    return result;
}

UserRecord FaceCollections::create_user(const std::string& collection_id, const std::string& user_id,
                                        const std::optional<std::string>& client_request_token) {
    if (!client_request_token) return store_.create_user(collection_id, user_id);
    auto token = token_record<UserRecord>(*client_request_token, token_hash({"CreateUser", collection_id, user_id}));
    try {
        return store_.create_user(collection_id, user_id, &token);
    } catch (const TokenReplayed&) {
        auto user = store_.get_user(collection_id, user_id);
        if (!user) throw Error(ErrorCode::RESOURCE_NOT_FOUND, "user " + user_id + " no longer exists");
        return *user;
    }
}

DeleteUserResult FaceCollections::delete_user(const std::string& collection_id, const std::string& user_id,
                                              const std::optional<std::string>& client_request_token) {
    if (!client_request_token) return store_.delete_user(collection_id, user_id);
    auto token = token_record<DeleteUserResult>(*client_request_token, token_hash({"DeleteUser", collection_id, user_id}));
    try {
        return store_.delete_user(collection_id, user_id, &token);
    } catch (const TokenReplayed&) {
        return {};
    }
}

UserPage FaceCollections::list_users(const std::string& collection_id, const std::string& next_token,
                                     std::optional<size_t> max_results) {
    return store_.list_users(collection_id, {next_token, page_size(max_results)});
}

AssociateFacesResult FaceCollections::associate_faces(const std::string& collection_id, const std::string& user_id,
                                                      const std::vector<std::string>& face_ids, float threshold,
                                                      const std::optional<std::string>& client_request_token) {
    std::string request_hash;
    if (client_request_token) {
        std::string all;
        for (const auto& id : face_ids) all += id + ",";
        request_hash = token_hash({"AssociateFaces", collection_id, user_id, std::to_string(threshold), sha256_hex(all)});
        if (auto previous = store_.recall(operation::kAssociateFaces, *client_request_token);
            previous && previous->request_hash == request_hash) {
            return replay_membership<AssociateFacesResult, UnsuccessfulFaceAssociation, FaceAssociationFailure>(
                previous->response, &AssociateFacesResult::associated, &AssociateFacesResult::unsuccessful);
        }
    }
    if (!store_.get_user(collection_id, user_id)) {
        throw Error(ErrorCode::RESOURCE_NOT_FOUND, "user " + user_id + " does not exist in collection " + collection_id);
    }
    // a face joins a user that already has faces only when it looks like them (UserMatchThreshold)
    FaceFilter own;
    own.user_id = user_id;
    auto existing_page = store_.list_faces(collection_id, own, {"", kMaxFacesPerUser});
    std::vector<std::string> existing_ids;
    for (const auto& f : existing_page.faces) existing_ids.push_back(f.face_id);
    auto existing = store_.get_faces(collection_id, existing_ids, true);
    auto candidates = store_.get_faces(collection_id, face_ids, true);
    std::vector<std::string> allowed;
    std::vector<UnsuccessfulFaceAssociation> low_match;
    std::set<std::string> found;
    for (const auto& face : candidates) {
        found.insert(face.face_id);
        float best = existing.empty() ? 100.f : 0.f;
        for (const auto& e : existing) {
            if (e.face_id == face.face_id) { best = 100.f; break; }
            best = std::max(best, similarity_from_cosine(cosine_similarity(face.embedding, e.embedding)));
        }
        if (best >= threshold) allowed.push_back(face.face_id);
        else low_match.push_back({face.face_id, std::nullopt, FaceAssociationFailure::LOW_MATCH_CONFIDENCE});
    }
    for (const auto& id : face_ids) {
        if (!found.count(id)) allowed.push_back(id); // the store reports FACE_NOT_FOUND for it
    }
    AssociateFacesResult result;
    if (!allowed.empty()) {
        if (client_request_token) {
            TokenRecord<AssociateFacesResult> token{
                *client_request_token, request_hash,
                [&low_match](const AssociateFacesResult& r) {
                    // the answer the caller will get: the store's, plus the faces refused for low similarity
                    auto failures = r.unsuccessful;
                    failures.insert(failures.end(), low_match.begin(), low_match.end());
                    return render_membership<AssociateFacesResult>(r.associated, failures, r.user_status);
                }};
            try {
                result = store_.associate_faces(collection_id, user_id, allowed, &token);
            } catch (const TokenReplayed& replayed) {
                return replay_membership<AssociateFacesResult, UnsuccessfulFaceAssociation, FaceAssociationFailure>(
                    replayed.entry().response, &AssociateFacesResult::associated, &AssociateFacesResult::unsuccessful);
            }
        } else {
            result = store_.associate_faces(collection_id, user_id, allowed);
        }
    } else {
        result.user_status = store_.get_user(collection_id, user_id)->status;
    }
    if (result.user_was_full) {
        throw Error(ErrorCode::SERVICE_QUOTA_EXCEEDED,
                    "user " + user_id + " already has " + std::to_string(kMaxFacesPerUser) + " faces");
    }
    for (auto& failure : low_match) result.unsuccessful.push_back(std::move(failure));
    return result;
}

DisassociateFacesResult FaceCollections::disassociate_faces(const std::string& collection_id,
                                                            const std::string& user_id,
                                                            const std::vector<std::string>& face_ids,
                                                            const std::optional<std::string>& client_request_token) {
    if (!client_request_token) return store_.disassociate_faces(collection_id, user_id, face_ids);
    std::string all;
    for (const auto& id : face_ids) all += id + ",";
    TokenRecord<DisassociateFacesResult> token{
        *client_request_token, token_hash({"DisassociateFaces", collection_id, user_id, sha256_hex(all)}),
        [](const DisassociateFacesResult& r) {
            return render_membership<DisassociateFacesResult>(r.disassociated, r.unsuccessful, r.user_status);
        }};
    auto replay = [](const std::string& stored) {
        return replay_membership<DisassociateFacesResult, UnsuccessfulFaceDisassociation, FaceDisassociationFailure>(
            stored, &DisassociateFacesResult::disassociated, &DisassociateFacesResult::unsuccessful);
    };
    if (auto previous = store_.recall(operation::kDisassociateFaces, *client_request_token);
        previous && previous->request_hash == token.request_hash) {
        return replay(previous->response);
    }
    try {
        return store_.disassociate_faces(collection_id, user_id, face_ids, &token);
    } catch (const TokenReplayed& replayed) {
        return replay(replayed.entry().response);
    }
}

std::vector<UserMatch> FaceCollections::users_from_matches(const std::string& collection_id,
                                                           const std::vector<FaceSearchMatch>& matches,
                                                           size_t max_users,
                                                           const std::optional<std::string>& exclude_user_id) {
    // a user's similarity is its best face's; matches come best first
    std::vector<UserMatch> users;
    std::set<std::string> seen;
    for (const auto& match : matches) {
        if (!match.face.user_id || seen.count(*match.face.user_id)) continue;
        if (exclude_user_id && *match.face.user_id == *exclude_user_id) continue;
        seen.insert(*match.face.user_id);
        if (auto user = store_.get_user(collection_id, *match.face.user_id)) users.push_back({*user, match.similarity});
        if (users.size() >= max_users) break;
    }
    return users;
}

SearchUsersResult FaceCollections::search_users(const std::string& collection_id,
                                                const std::optional<std::string>& user_id,
                                                const std::optional<std::string>& face_id, float threshold,
                                                size_t max_users) {
    if (user_id.has_value() == face_id.has_value()) {
        throw Error(ErrorCode::INVALID_PARAMETER, "give exactly one of UserId and FaceId");
    }
    SearchUsersResult result;
    result.face_model_version = std::string(embedding_model_version());
    // enough faces to reach max_users distinct users in most collections
    size_t depth = std::min<size_t>(4096, max_users * 10 + kMaxFacesPerUser);
    std::vector<FaceSearchMatch> matches;
    if (face_id) {
        result.searched_face_id = face_id;
        auto faces = store_.get_faces(collection_id, {*face_id}, true);
        if (faces.empty()) throw Error(ErrorCode::RESOURCE_NOT_FOUND, "FaceId " + *face_id + " is not in collection " + collection_id);
        matches = search_vector(collection_id, faces[0].embedding, threshold, depth, face_id);
        result.matches = users_from_matches(collection_id, matches, max_users, faces[0].user_id);
        return result;
    }
    result.searched_user_id = user_id;
    if (!store_.get_user(collection_id, *user_id)) {
        throw Error(ErrorCode::RESOURCE_NOT_FOUND, "user " + *user_id + " does not exist in collection " + collection_id);
    }
    FaceFilter own;
    own.user_id = *user_id;
    auto page = store_.list_faces(collection_id, own, {"", kMaxFacesPerUser});
    std::vector<std::string> ids;
    for (const auto& f : page.faces) ids.push_back(f.face_id);
    for (const auto& face : store_.get_faces(collection_id, ids, true)) {
        auto found = search_vector(collection_id, face.embedding, threshold, depth, face.face_id);
        matches.insert(matches.end(), found.begin(), found.end());
    }
    std::stable_sort(matches.begin(), matches.end(), [](const auto& a, const auto& b) { return a.similarity > b.similarity; });
    result.matches = users_from_matches(collection_id, matches, max_users, user_id);
    return result;
}

SearchUsersResult FaceCollections::search_users_by_image(const std::string& collection_id,
                                                         std::span<const uint8_t> image, float threshold,
                                                         size_t max_users, QualityFilter filter) {
    indexes_.get(collection_id);
    AnalyzeOptions options;
    options.liveness = false;
    ImageAnalysis analysis = engine_.analyze_bytes(image, options);
    SearchUsersResult result;
    result.face_model_version = std::string(embedding_model_version());
    result.image_width = analysis.width;
    result.image_height = analysis.height;
    if (analysis.faces.empty()) return result; // as Rekognition: no face, no matches, no error
    for (size_t i = 1; i < analysis.faces.size(); ++i) result.unsearched.push_back({analysis.faces[i], {"FACE_NOT_LARGEST"}});
    auto reasons = quality_reasons(analysis.faces.front(), filter);
    if (!reasons.empty()) {
        result.unsearched.insert(result.unsearched.begin(), {analysis.faces.front(), reasons});
        return result;
    }
    result.searched_face = analysis.faces.front();
    size_t depth = std::min<size_t>(4096, max_users * 10 + kMaxFacesPerUser);
    auto matches = search_vector(collection_id, result.searched_face->embedding, threshold, depth, std::nullopt);
    result.matches = users_from_matches(collection_id, matches, max_users, std::nullopt);
    return result;
}

} // namespace facegate
