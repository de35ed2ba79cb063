// SPDX-License-Identifier: MIT
#pragma once

// the face-collection operations behind Rekognition's API, shared by the server and the CLI.
// plain structs in and out (no JSON, no HTTP); errors are facegate::Error.
//
// thread-safety: every method may be called from many threads at once. writes go to the store in
// one transaction each; the in-memory indexes follow the store's change feed, so faces written by
// another process on the same data (the CLI while a server runs) become searchable too.

#include "core/face_engine.h"
#include "core/similarity.h"
#include "service/collection_indexes.h"
#include "store/store.h"

#include <optional>
#include <span>
#include <string>
#include <vector>

namespace facegate {

enum class QualityFilter { NONE, AUTO, LOW, MEDIUM, HIGH };
// "NONE", "AUTO", ... -> the enum; Error(INVALID_PARAMETER) for anything else
QualityFilter parse_quality_filter(std::string_view name);

struct IndexFacesRequest {
    std::string collection_id;
    std::span<const uint8_t> image;
    std::optional<std::string> external_image_id;
    std::optional<size_t> max_faces;                 // 1..100
    QualityFilter quality_filter = QualityFilter::AUTO;
    std::optional<std::string> client_request_token; // not part of Rekognition's IndexFaces; kept for retries
};

struct IndexedFace {
    FaceRecord record;
    FaceAnalysis analysis;
};

struct UnindexedFace {
    FaceAnalysis analysis;
    std::vector<std::string> reasons; // EXCEEDS_MAX_FACES, EXTREME_POSE, LOW_BRIGHTNESS, LOW_SHARPNESS, LOW_CONFIDENCE, SMALL_BOUNDING_BOX
};

struct IndexFacesResult {
    std::vector<IndexedFace> indexed;
    std::vector<UnindexedFace> unindexed;
    int image_width = 0, image_height = 0; // decoded size: FaceDetail ratios use it
    std::string face_model_version;
};

struct FaceSearchMatch {
    FaceRecord face;
    float similarity = 0;
};

struct SearchByImageResult {
    FaceAnalysis searched_face; // the largest face of the image
    int image_width = 0, image_height = 0;
    std::vector<FaceSearchMatch> matches;
    std::vector<UnindexedFace> unsearched; // the other faces (FACE_NOT_LARGEST) and, with a quality filter, a refused largest face
    std::string face_model_version;
};

struct SearchFacesResult {
    std::string searched_face_id;
    std::vector<FaceSearchMatch> matches;
    std::string face_model_version;
};

struct UserMatch {
    UserRecord user;
    float similarity = 0;
};

struct SearchUsersResult {
    std::vector<UserMatch> matches;
    std::optional<std::string> searched_face_id;
    std::optional<std::string> searched_user_id;
    std::optional<FaceAnalysis> searched_face; // SearchUsersByImage: the largest face
    int image_width = 0, image_height = 0;
    std::vector<UnindexedFace> unsearched;
    std::string face_model_version;
};

// collections search through the HNSW graph from approximate_from faces; below it every search is
// an exact scan (1M faces: ~28 ms). the graph's measured recall@1 at 1M synthetic faces is 0.4-0.9
// (docs/benchmarks.md), so by default facegate stays exact: a missed duplicate costs more than 25 ms
inline VectorIndexConfig default_collection_index_config() {
    VectorIndexConfig config;
    config.approximate_from = 2'000'000;
    return config;
}

class FaceCollections {
  public:
    FaceCollections(Store& store, const FaceEngine& engine,
                    VectorIndexConfig index_config = default_collection_index_config());

    CollectionInfo create_collection(const std::string& collection_id);
    void delete_collection(const std::string& collection_id);
    CollectionDescription describe_collection(const std::string& collection_id);
    CollectionPage list_collections(const std::string& next_token, std::optional<size_t> max_results);

    IndexFacesResult index_faces(const IndexFacesRequest& request);
    FacePage list_faces(const std::string& collection_id, const FaceFilter& filter, const std::string& next_token,
                        std::optional<size_t> max_results);
    DeleteFacesResult delete_faces(const std::string& collection_id, const std::vector<std::string>& face_ids);
    SearchFacesResult search_faces(const std::string& collection_id, const std::string& face_id,
                                   float threshold, size_t max_faces);
    SearchByImageResult search_faces_by_image(const std::string& collection_id, std::span<const uint8_t> image,
                                              float threshold, size_t max_faces, QualityFilter filter);
    // stores one face already analysed (with its embedding) under external_image_id: the flows analyse
    // a document once and index its portrait without a second pass through the engine
    FaceRecord add_analyzed_face(const std::string& collection_id, const std::string& external_image_id,
                                 const FaceAnalysis& face, int image_width, int image_height,
                                 const std::string& image_digest);
    // the faces most similar to an embedding, best first (threshold 0 gives the nearest ones whatever
    // their similarity)
    std::vector<FaceSearchMatch> search_embedding(const std::string& collection_id, const std::vector<float>& embedding,
                                                  float threshold, size_t max_faces) {
        return search_vector(collection_id, embedding, threshold, max_faces, std::nullopt);
    }
    // erasure by external image id: every face stored under it, disassociated from its user first
    std::vector<FaceRecord> erase_external_id(const std::string& collection_id, const std::string& external_image_id);

    UserRecord create_user(const std::string& collection_id, const std::string& user_id,
                           const std::optional<std::string>& client_request_token);
    DeleteUserResult delete_user(const std::string& collection_id, const std::string& user_id,
                                 const std::optional<std::string>& client_request_token);
    UserPage list_users(const std::string& collection_id, const std::string& next_token,
                        std::optional<size_t> max_results);
    AssociateFacesResult associate_faces(const std::string& collection_id, const std::string& user_id,
                                         const std::vector<std::string>& face_ids, float threshold,
                                         const std::optional<std::string>& client_request_token);
    DisassociateFacesResult disassociate_faces(const std::string& collection_id, const std::string& user_id,
                                               const std::vector<std::string>& face_ids,
                                               const std::optional<std::string>& client_request_token);
    // exactly one of user_id and face_id
    SearchUsersResult search_users(const std::string& collection_id, const std::optional<std::string>& user_id,
                                   const std::optional<std::string>& face_id, float threshold, size_t max_users);
    SearchUsersResult search_users_by_image(const std::string& collection_id, std::span<const uint8_t> image,
                                            float threshold, size_t max_users, QualityFilter filter);

    // loads the collection's index now (servers call it at start so first searches are fast)
    void search_ready(const std::string& collection_id) { indexes_.get(collection_id); }

    Store& store() { return store_; }
    const FaceEngine& engine() const { return engine_; }
    // each loaded index: faces, and whether its graph is in use (for metrics)
    std::vector<CollectionIndexes::IndexState> index_states() { return indexes_.states(); }
    // applies the writes other processes made (the change feed) to the loaded indexes now, instead of at the
    // next search
    void catch_up() { indexes_.catch_up(); }

  private:
    std::vector<FaceSearchMatch> search_vector(const std::string& collection_id, const std::vector<float>& query,
                                               float threshold, size_t max_faces,
                                               const std::optional<std::string>& exclude_face_id);
    std::vector<UserMatch> users_from_matches(const std::string& collection_id,
                                              const std::vector<FaceSearchMatch>& matches, size_t max_users,
                                              const std::optional<std::string>& exclude_user_id);

    Store& store_;
    const FaceEngine& engine_;
    CollectionIndexes indexes_;
};

} // namespace facegate
