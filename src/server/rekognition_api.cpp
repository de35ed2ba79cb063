// SPDX-License-Identifier: MIT
#include "server/rekognition_api.h"

#include "common/error.h"
#include "protocol/rekognition_json.h"
#include "server/request_fields.h"
#include "service/compare_faces.h"

#include <algorithm>
#include <limits>
#include <new>
#include <string>

namespace facegate {

namespace {

using nlohmann::json;

//
// defaults and limits of the service model that the store does not already name
//

constexpr float kDefaultAssociateThreshold = 75.f; // AssociateFaces' UserMatchThreshold
constexpr std::int64_t kMaxSearchFaces = 4096;     // SearchFaces/SearchFacesByImage MaxFaces
// the model gives no default for MaxFaces of the searches; 80 keeps answers small
constexpr std::size_t kDefaultSearchFaces = 80;
constexpr std::int64_t kMaxUsers = 500;            // MaxUsers, ListUsers' MaxResults
constexpr std::size_t kDefaultMaxUsers = 100;
constexpr std::int64_t kMaxPageSize = 4096;        // ListCollections/ListFaces MaxResults (0 = the default page)

const std::initializer_list<std::string_view> kQualityFilters = {"NONE", "AUTO", "LOW", "MEDIUM", "HIGH"};
const std::initializer_list<std::string_view> kAttributes = {
    "DEFAULT", "ALL", "AGE_RANGE", "BEARD", "EMOTIONS", "EYE_DIRECTION", "EYEGLASSES", "EYES_OPEN",
    "GENDER", "MOUTH_OPEN", "MUSTACHE", "FACE_OCCLUDED", "SMILE", "SUNGLASSES"};

//
// request helpers
//

QualityFilter quality_filter(const json& request, QualityFilter fallback) {
    auto name = optional_enum(request, "QualityFilter", kQualityFilters);
    return name ? parse_quality_filter(*name) : fallback;
}

std::string next_token(const json& request) {
    return optional_string(request, "NextToken", kPaginationTokenRule).value_or("");
}

// the FaceDetail members a request asked for. the service model accepts any of kAttributes; we
// answer those we compute (ALL: everything we have; EYES_OPEN) and silently omit the others
// (age, emotions...), as Rekognition omits what it was not asked for
struct DetailLevel {
    bool all = false;
    bool eyes_open = false;
};

DetailLevel detail_level(const json& request, std::string_view field) {
    DetailLevel level;
    for (const auto& name : enum_list(request, field, kAttributes)) {
        if (name == "ALL") level.all = true; // ["ALL", "DEFAULT"] means ALL
        if (name == "EYES_OPEN") level.eyes_open = true;
    }
    return level;
}

//
// response helpers
//

json detail_json(const FaceAnalysis& face, int width, int height, DetailLevel level) {
    if (level.all) return face_detail_json(face, width, height);
    json detail = compared_face_json(face, width, height); // DEFAULT: BoundingBox, Confidence, Landmarks, Pose, Quality
    if (level.eyes_open) {
        detail["EyesOpen"] = {{"Value", face.eyes_open.value}, {"Confidence", face.eyes_open.confidence}};
    }
    return detail;
}

// the store's boxes are ratios already
json box_json(const BoundingBox& box) {
    return {{"Width", box.width}, {"Height", box.height}, {"Left", box.left}, {"Top", box.top}};
}

// Rekognition's Face
json face_json(const FaceRecord& face) {
    json out = {{"FaceId", face.face_id},
                {"BoundingBox", box_json(face.bounding_box)},
                {"ImageId", face.image_id},
                {"Confidence", face.confidence},
                {"IndexFacesModelVersion", face.model_version}};
    if (face.external_image_id) out["ExternalImageId"] = *face.external_image_id;
    if (face.user_id) out["UserId"] = *face.user_id;
    return out;
}

json face_matches_json(const std::vector<FaceSearchMatch>& matches) {
    json out = json::array();
    for (const auto& m : matches) out.push_back({{"Similarity", m.similarity}, {"Face", face_json(m.face)}});
    return out;
}

json user_json(const UserRecord& user) {
    return {{"UserId", user.user_id}, {"UserStatus", user_status_name(user.status)}};
}

json user_matches_json(const std::vector<UserMatch>& matches) {
    json out = json::array();
    for (const auto& m : matches) out.push_back({{"Similarity", m.similarity}, {"User", user_json(m.user)}});
    return out;
}

json face_id_objects(const std::vector<std::string>& face_ids) {
    json out = json::array();
    for (const auto& id : face_ids) out.push_back({{"FaceId", id}});
    return out;
}

json with_next_token(json response, const std::string& token) {
    if (!token.empty()) response["NextToken"] = token;
    return response;
}

std::size_t page_limit(const std::optional<std::int64_t>& value, std::size_t fallback) {
    return value ? static_cast<std::size_t>(*value) : fallback;
}

std::optional<std::size_t> optional_size(const std::optional<std::int64_t>& value) {
    if (!value) return std::nullopt;
    return static_cast<std::size_t>(*value);
}

//
// collections
//

json create_collection(FaceCollections& service, const json& request) {
    // Tags are accepted and ignored: facegate has no tagging
    auto info = service.create_collection(required_string(request, "CollectionId", kCollectionIdRule));
    return {{"StatusCode", 200}, {"CollectionArn", info.arn}, {"FaceModelVersion", info.face_model_version}};
}

json delete_collection(FaceCollections& service, const json& request) {
    service.delete_collection(required_string(request, "CollectionId", kCollectionIdRule));
    return {{"StatusCode", 200}};
}

json describe_collection(FaceCollections& service, const json& request) {
    auto d = service.describe_collection(required_string(request, "CollectionId", kCollectionIdRule));
    return {{"FaceCount", d.face_count},
            {"FaceModelVersion", d.info.face_model_version},
            {"CollectionARN", d.info.arn}, // sic: ARN here, Arn in CreateCollection
            {"CreationTimestamp", static_cast<double>(d.info.created_ms) / 1000.0}, // epoch seconds
            {"UserCount", d.user_count}};
}

json list_collections(FaceCollections& service, const json& request) {
    auto token = next_token(request);
    auto max_results = optional_int(request, "MaxResults", 0, kMaxPageSize);
    auto page = service.list_collections(token, optional_size(max_results));
    json ids = json::array(), versions = json::array();
    for (const auto& c : page.collections) {
        ids.push_back(c.collection_id);
        versions.push_back(c.face_model_version);
    }
    return with_next_token({{"CollectionIds", ids}, {"FaceModelVersions", versions}}, page.next_token);
}

//
// faces
//

json index_faces(FaceCollections& service, const json& request) {
    IndexFacesRequest native;
    native.collection_id = required_string(request, "CollectionId", kCollectionIdRule);
    auto image = required_image(request, "Image");
    native.image = image;
    native.external_image_id = optional_string(request, "ExternalImageId", kExternalImageIdRule);
    auto level = detail_level(request, "DetectionAttributes");
    // the model allows any MaxFaces >= 1; Rekognition indexes at most 100 faces whatever it says
    if (auto max_faces = optional_int(request, "MaxFaces", 1, std::numeric_limits<std::int64_t>::max())) {
        native.max_faces = std::min<std::size_t>(static_cast<std::size_t>(*max_faces), kMaxFacesPerImage);
    }
    native.quality_filter = quality_filter(request, QualityFilter::AUTO);
    // not a member of Rekognition's IndexFaces: facegate's extension for safe retries
    native.client_request_token = optional_string(request, "ClientRequestToken", kClientRequestTokenRule);

    auto result = service.index_faces(native);
    json records = json::array(), unindexed = json::array();
    for (const auto& f : result.indexed) {
        records.push_back({{"Face", face_json(f.record)},
                           {"FaceDetail", detail_json(f.analysis, result.image_width, result.image_height, level)}});
    }
    for (const auto& f : result.unindexed) {
        unindexed.push_back({{"Reasons", f.reasons},
                             {"FaceDetail", detail_json(f.analysis, result.image_width, result.image_height, level)}});
    }
    return {{"FaceRecords", records}, {"FaceModelVersion", result.face_model_version}, {"UnindexedFaces", unindexed}};
}

json list_faces(FaceCollections& service, const json& request) {
    auto collection_id = required_string(request, "CollectionId", kCollectionIdRule);
    auto token = next_token(request);
    auto max_results = optional_int(request, "MaxResults", 0, kMaxPageSize);
    FaceFilter filter;
    filter.user_id = optional_string(request, "UserId", kUserIdRule);
    if (auto ids = string_list(request, "FaceIds", kFaceIdRule, 1, kMaxFaceIdsPerCall, false)) {
        filter.face_ids = std::move(*ids);
    }
    auto page = service.list_faces(collection_id, filter, token, optional_size(max_results));
    json faces = json::array();
    for (const auto& f : page.faces) faces.push_back(face_json(f));
    return with_next_token({{"Faces", faces}, {"FaceModelVersion", page.face_model_version}}, page.next_token);
}

json delete_faces(FaceCollections& service, const json& request) {
    auto collection_id = required_string(request, "CollectionId", kCollectionIdRule);
    auto face_ids = *string_list(request, "FaceIds", kFaceIdRule, 1, kMaxFaceIdsPerCall, true);
    auto result = service.delete_faces(collection_id, face_ids);
    json deleted = json::array(), unsuccessful = json::array();
    for (const auto& f : result.deleted) deleted.push_back(f.face_id);
    for (const auto& f : result.unsuccessful) {
        json entry = {{"FaceId", f.face_id}, {"Reasons", json::array({face_deletion_failure_name(f.reason)})}};
        if (f.user_id) entry["UserId"] = *f.user_id;
        unsuccessful.push_back(std::move(entry));
    }
    return {{"DeletedFaces", deleted}, {"UnsuccessfulFaceDeletions", unsuccessful}};
}

json search_faces(FaceCollections& service, const json& request) {
    auto collection_id = required_string(request, "CollectionId", kCollectionIdRule);
    auto face_id = required_string(request, "FaceId", kFaceIdRule);
    auto max_faces = page_limit(optional_int(request, "MaxFaces", 1, kMaxSearchFaces), kDefaultSearchFaces);
    float threshold = optional_percent(request, "FaceMatchThreshold", kDefaultMatchThreshold);
    auto result = service.search_faces(collection_id, face_id, threshold, max_faces);
    return {{"SearchedFaceId", result.searched_face_id},
            {"FaceMatches", face_matches_json(result.matches)},
            {"FaceModelVersion", result.face_model_version}};
}

json search_faces_by_image(FaceCollections& service, const json& request) {
    auto collection_id = required_string(request, "CollectionId", kCollectionIdRule);
    auto image = required_image(request, "Image");
    auto max_faces = page_limit(optional_int(request, "MaxFaces", 1, kMaxSearchFaces), kDefaultSearchFaces);
    float threshold = optional_percent(request, "FaceMatchThreshold", kDefaultMatchThreshold);
    auto filter = quality_filter(request, QualityFilter::NONE);
    auto result = service.search_faces_by_image(collection_id, image, threshold, max_faces, filter);
    const auto& face = result.searched_face;
    return {{"SearchedFaceBoundingBox", bounding_box_json(face.box.rect, result.image_width, result.image_height)},
            {"SearchedFaceConfidence", face.box.confidence * 100.f},
            {"FaceMatches", face_matches_json(result.matches)},
            {"FaceModelVersion", result.face_model_version}};
}

//
// stateless image operations
//

json compare_faces_op(FaceCollections& service, const json& request) {
    auto source = required_image(request, "SourceImage");
    auto target = required_image(request, "TargetImage");
    float threshold = optional_percent(request, "SimilarityThreshold", kDefaultMatchThreshold);
    // validated for compatibility; compare_faces() applies no quality bar (Rekognition's default is NONE)
    quality_filter(request, QualityFilter::NONE);
    // the deprecated *OrientationCorrection members are left out: images are used as stored (EXIF applied)
    return compare_faces_json(compare_faces(service.engine(), source, target, threshold));
}

json detect_faces(FaceCollections& service, const json& request) {
    auto image = required_image(request, "Image");
    auto level = detail_level(request, "Attributes");
    AnalyzeOptions options;
    options.embeddings = false;      // nothing is matched
    options.liveness = level.all;    // Liveness is only part of ALL
    auto analysis = service.engine().analyze_bytes(image, options);
    json details = json::array();
    for (const auto& face : analysis.faces) {
        details.push_back(detail_json(face, analysis.width, analysis.height, level));
    }
    return {{"FaceDetails", details}};
}

//
// users
//

json create_user(FaceCollections& service, const json& request) {
    auto collection_id = required_string(request, "CollectionId", kCollectionIdRule);
    auto user_id = required_string(request, "UserId", kUserIdRule);
    auto token = optional_string(request, "ClientRequestToken", kClientRequestTokenRule);
    service.create_user(collection_id, user_id, token);
    return json::object();
}

json delete_user(FaceCollections& service, const json& request) {
    auto collection_id = required_string(request, "CollectionId", kCollectionIdRule);
    auto user_id = required_string(request, "UserId", kUserIdRule);
    auto token = optional_string(request, "ClientRequestToken", kClientRequestTokenRule);
    service.delete_user(collection_id, user_id, token);
    return json::object();
}

json list_users(FaceCollections& service, const json& request) {
    auto collection_id = required_string(request, "CollectionId", kCollectionIdRule);
    auto max_results = optional_int(request, "MaxResults", 1, kMaxUsers);
    auto token = next_token(request);
    auto page = service.list_users(collection_id, token, optional_size(max_results));
    json users = json::array();
    for (const auto& u : page.users) users.push_back(user_json(u));
    return with_next_token({{"Users", users}}, page.next_token);
}

// UnsuccessfulFaceAssociations / UnsuccessfulFaceDisassociations: {FaceId, UserId?, Reasons}
template <class Failure, class ReasonName>
json membership_failures_json(const std::vector<Failure>& failures, ReasonName reason_name) {
    json out = json::array();
    for (const auto& f : failures) {
        json entry = {{"FaceId", f.face_id}, {"Reasons", json::array({reason_name(f.reason)})}};
        if (f.user_id) entry["UserId"] = *f.user_id;
        out.push_back(std::move(entry));
    }
    return out;
}

json associate_faces(FaceCollections& service, const json& request) {
    auto collection_id = required_string(request, "CollectionId", kCollectionIdRule);
    auto user_id = required_string(request, "UserId", kUserIdRule);
    auto face_ids = *string_list(request, "FaceIds", kFaceIdRule, 1, kMaxUserFaceIdsPerCall, true);
    float threshold = optional_percent(request, "UserMatchThreshold", kDefaultAssociateThreshold);
    auto token = optional_string(request, "ClientRequestToken", kClientRequestTokenRule);
    auto result = service.associate_faces(collection_id, user_id, face_ids, threshold, token);
    return {{"AssociatedFaces", face_id_objects(result.associated)},
            {"UnsuccessfulFaceAssociations", membership_failures_json(result.unsuccessful, face_association_failure_name)},
            {"UserStatus", user_status_name(result.user_status)}};
}

json disassociate_faces(FaceCollections& service, const json& request) {
    auto collection_id = required_string(request, "CollectionId", kCollectionIdRule);
    auto user_id = required_string(request, "UserId", kUserIdRule);
    auto token = optional_string(request, "ClientRequestToken", kClientRequestTokenRule);
    auto face_ids = *string_list(request, "FaceIds", kFaceIdRule, 1, kMaxUserFaceIdsPerCall, true);
    auto result = service.disassociate_faces(collection_id, user_id, face_ids, token);
    return {{"DisassociatedFaces", face_id_objects(result.disassociated)},
            {"UnsuccessfulFaceDisassociations",
             membership_failures_json(result.unsuccessful, face_disassociation_failure_name)},
            {"UserStatus", user_status_name(result.user_status)}};
}

json search_users(FaceCollections& service, const json& request) {
    auto collection_id = required_string(request, "CollectionId", kCollectionIdRule);
    auto user_id = optional_string(request, "UserId", kUserIdRule);
    auto face_id = optional_string(request, "FaceId", kFaceIdRule);
    if (user_id.has_value() == face_id.has_value()) {
        throw Error(ErrorCode::INVALID_PARAMETER, "SearchUsers needs exactly one of UserId and FaceId");
    }
    float threshold = optional_percent(request, "UserMatchThreshold", kDefaultMatchThreshold);
    auto max_users = page_limit(optional_int(request, "MaxUsers", 1, kMaxUsers), kDefaultMaxUsers);
    auto result = service.search_users(collection_id, user_id, face_id, threshold, max_users);
    json response = {{"UserMatches", user_matches_json(result.matches)},
                     {"FaceModelVersion", result.face_model_version}};
    if (result.searched_face_id) response["SearchedFace"] = {{"FaceId", *result.searched_face_id}};
    if (result.searched_user_id) response["SearchedUser"] = {{"UserId", *result.searched_user_id}};
    return response;
}

json search_users_by_image(FaceCollections& service, const json& request) {
    auto collection_id = required_string(request, "CollectionId", kCollectionIdRule);
    auto image = required_image(request, "Image");
    float threshold = optional_percent(request, "UserMatchThreshold", kDefaultMatchThreshold);
    auto max_users = page_limit(optional_int(request, "MaxUsers", 1, kMaxUsers), kDefaultMaxUsers);
    auto filter = quality_filter(request, QualityFilter::NONE);
    auto result = service.search_users_by_image(collection_id, image, threshold, max_users, filter);
    const int w = result.image_width, h = result.image_height;
    json unsearched = json::array();
    for (const auto& f : result.unsearched) {
        // sic: "FaceDetails" (plural) holds one FaceDetail in UnsearchedFace
        unsearched.push_back({{"FaceDetails", detail_json(f.analysis, w, h, {})}, {"Reasons", f.reasons}});
    }
    json response = {{"UserMatches", user_matches_json(result.matches)},
                     {"FaceModelVersion", result.face_model_version},
                     {"UnsearchedFaces", unsearched}};
    // no face at all: Rekognition answers with empty UserMatches and no SearchedFace
    if (result.searched_face) response["SearchedFace"] = {{"FaceDetail", detail_json(*result.searched_face, w, h, {})}};
    return response;
}

//
// the operation table
//

using Handler = json (*)(FaceCollections&, const json&);

struct Operation {
    std::string_view name;
    Handler handler;
    bool analyses_image = false; // takes an Image: decoded and analysed by the engine
};

constexpr Operation kOperations[] = {
    {"CreateCollection", create_collection},
    {"DeleteCollection", delete_collection},
    {"DescribeCollection", describe_collection},
    {"ListCollections", list_collections},
    {"IndexFaces", index_faces, true},
    {"ListFaces", list_faces},
    {"DeleteFaces", delete_faces},
    {"SearchFaces", search_faces},
    {"SearchFacesByImage", search_faces_by_image, true},
    {"CompareFaces", compare_faces_op, true},
    {"DetectFaces", detect_faces, true},
    {"CreateUser", create_user},
    {"DeleteUser", delete_user},
    {"ListUsers", list_users},
    {"AssociateFaces", associate_faces},
    {"DisassociateFaces", disassociate_faces},
    {"SearchUsers", search_users},
    {"SearchUsersByImage", search_users_by_image, true},
};

const Operation* find_operation(std::string_view name) {
    for (const auto& op : kOperations) {
        if (op.name == name) return &op;
    }
    return nullptr;
}

} // namespace

bool is_rekognition_operation(std::string_view operation) { return find_operation(operation) != nullptr; }

bool rekognition_operation_analyses_image(std::string_view operation) {
    const Operation* op = find_operation(operation);
    return op && op->analyses_image;
}

std::vector<std::string_view> rekognition_operations() {
    std::vector<std::string_view> names;
    for (const auto& op : kOperations) names.push_back(op.name);
    return names;
}

json handle_rekognition_operation(FaceCollections& service, std::string_view operation, const json& request) {
    const Operation* op = find_operation(operation);
    if (!op) {
        throw Error(ErrorCode::UNKNOWN_OPERATION, "facegate does not implement RekognitionService." +
                                                      std::string(operation.substr(0, 64)));
    }
    // the contract is "facegate::Error only": anything else is a bug, reported without its details
    // (a library's message may name files or internals a client should not see)
    try {
        require_object(request);
        return op->handler(service, request);
    } catch (const Error&) {
        throw;
    } catch (const std::bad_alloc&) {
        throw Error(ErrorCode::INTERNAL, "out of memory while running " + std::string(op->name));
    } catch (const std::exception&) {
        throw Error(ErrorCode::INTERNAL, "internal error while running " + std::string(op->name));
    }
}

} // namespace facegate
