// SPDX-License-Identifier: MIT
#pragma once

#include "index/vector_index.h"
#include "store/store.h"

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace facegate {

// the in-memory vector index of every collection, loaded from the store on first use and kept in
// step with it through the store's change feed (so writes by another process are seen as well).
// thread-safe.
class CollectionIndexes {
  public:
    struct Entry {
        VectorIndex index;
        std::mutex ids_mutex;
        std::unordered_map<int64_t, std::string> face_ids; // row id -> FaceId
        explicit Entry(const VectorIndexConfig& config) : index(config) {}
    };

    CollectionIndexes(Store& store, VectorIndexConfig config) : store_(store), config_(config) {}
    ~CollectionIndexes();

    // the collection's index, caught up with every committed write; RESOURCE_NOT_FOUND if it does not exist
    std::shared_ptr<Entry> get(const std::string& collection_id);
    // applies the change feed to the loaded indexes
    void catch_up();
    // a write of this process: applied at once (the feed replays it harmlessly later)
    void added(const std::string& collection_id, const std::vector<FaceRecord>& faces);
    void removed(const std::string& collection_id, const std::vector<FaceRef>& faces);
    void dropped(const std::string& collection_id);
    struct IndexState {
        std::string collection_id;
        size_t faces;
        bool approximate; // searches go through the HNSW graph (false while it is being built)
    };
    std::vector<IndexState> states();

  private:
    std::shared_ptr<Entry> load(const std::string& collection_id);
    void catch_up_locked();
    static void apply_added(Entry& entry, const std::vector<FaceRecord>& faces);

    Store& store_;
    VectorIndexConfig config_;
    std::mutex mutex_;                   // guards the map and the feed position
    std::map<std::string, std::shared_ptr<Entry>> loaded_;
    int64_t feed_seq_ = -1;              // -1: not read yet
    std::mutex builders_mutex_;
    std::vector<std::thread> builders_;  // background graph builds of collections loaded large
};

} // namespace facegate
