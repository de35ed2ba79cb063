// SPDX-License-Identifier: MIT
#include "service/collection_indexes.h"

#include "common/error.h"

#include <limits>
#include <set>
#include <thread>

namespace facegate {

namespace {
constexpr size_t kFeedBatch = 10000;
constexpr size_t kLoadBatch = 20000; // faces added to an index at a time while loading
}

std::shared_ptr<CollectionIndexes::Entry> CollectionIndexes::load(const std::string& collection_id) {
    // caller holds mutex_ and has caught up, so the snapshot is at least as new as feed_seq_ and the
    // feed's later entries for this collection re-apply harmlessly (row ids are never reused)
    // vectors first, graph later: a large collection is searchable (by the exact scan) as soon as
    // its vectors are in memory, and its graph is built on a background thread
    VectorIndexConfig exact_only = config_;
    exact_only.approximate_from = std::numeric_limits<size_t>::max();
    auto entry = std::make_shared<Entry>(exact_only);
    // streamed in batches: the float32 embeddings are never all in memory at once (2 KB a face)
    std::vector<uint64_t> ids;
    std::vector<float> vectors;
    auto flush = [&] {
        if (!ids.empty()) entry->index.add_batch(ids, vectors);
        ids.clear();
        vectors.clear();
    };
    store_.scan_embeddings(collection_id, 0, [&](FaceEmbedding&& face) {
        ids.push_back(uint64_t(face.row_id));
        vectors.insert(vectors.end(), face.embedding.begin(), face.embedding.end());
        entry->face_ids.emplace(face.row_id, std::move(face.face_id));
        if (ids.size() == kLoadBatch) flush();
    });
    flush();
    loaded_[collection_id] = entry;
    if (entry->index.size() < config_.approximate_from) {
        entry->index.set_approximate_from(config_.approximate_from); // no graph yet: nothing to build
    } else {
        std::lock_guard builders(builders_mutex_);
        builders_.emplace_back([entry, threshold = config_.approximate_from] { entry->index.set_approximate_from(threshold); });
    }
    return entry;
}

std::shared_ptr<CollectionIndexes::Entry> CollectionIndexes::get(const std::string& collection_id) {
    std::lock_guard lock(mutex_);
    catch_up_locked();
    if (auto it = loaded_.find(collection_id); it != loaded_.end()) return it->second;
    return load(collection_id);
}

void CollectionIndexes::catch_up() {
    std::lock_guard lock(mutex_);
    catch_up_locked();
}

void CollectionIndexes::catch_up_locked() {
    if (feed_seq_ < 0) {
        // nothing is loaded yet: only the feed's current position matters
        feed_seq_ = store_.face_changes_since(std::numeric_limits<int64_t>::max() - 1, 1).last_seq;
        return;
    }
    for (;;) {
        FaceChangeBatch batch = store_.face_changes_since(feed_seq_, kFeedBatch);
        if (batch.gap) {
            // changes were pruned before we read them: reload lazily from the store
            loaded_.clear();
            feed_seq_ = batch.last_seq;
            return;
        }
        std::map<std::string, std::vector<std::string>> to_add; // collection -> face ids to fetch
        for (const auto& change : batch.changes) {
            feed_seq_ = change.seq;
            auto it = loaded_.find(change.collection_id);
            if (it == loaded_.end()) continue;
            Entry& entry = *it->second;
            switch (change.kind) {
            case FaceChangeKind::FACE_ADDED:
                if (!entry.index.contains(uint64_t(change.row_id))) to_add[change.collection_id].push_back(change.face_id);
                break;
            case FaceChangeKind::FACE_DELETED: {
                entry.index.remove(uint64_t(change.row_id));
                std::lock_guard ids(entry.ids_mutex);
                entry.face_ids.erase(change.row_id);
                break;
            }
            case FaceChangeKind::COLLECTION_DELETED:
                loaded_.erase(it);
                to_add.erase(change.collection_id);
                break;
            case FaceChangeKind::FACE_USER_CHANGED:
                break; // user ids are read from the store with each match
            }
        }
        for (const auto& [collection_id, face_ids] : to_add) {
            auto it = loaded_.find(collection_id);
            if (it == loaded_.end()) continue;
            std::vector<FaceRecord> faces;
            try {
                faces = store_.get_faces(collection_id, face_ids, true);
            } catch (const Error& e) {
                if (e.code() != ErrorCode::RESOURCE_NOT_FOUND) throw;
            }
            apply_added(*it->second, faces);
        }
        if (batch.changes.size() < kFeedBatch) return;
    }
}

void CollectionIndexes::apply_added(Entry& entry, const std::vector<FaceRecord>& faces) {
    for (const auto& face : faces) {
        if (face.embedding.empty()) continue;
        entry.index.add(uint64_t(face.row_id), face.embedding);
        std::lock_guard ids(entry.ids_mutex);
        entry.face_ids[face.row_id] = face.face_id;
    }
}

void CollectionIndexes::added(const std::string& collection_id, const std::vector<FaceRecord>& faces) {
    std::shared_ptr<Entry> entry;
    {
        std::lock_guard lock(mutex_);
        auto it = loaded_.find(collection_id);
        if (it == loaded_.end()) return; // loads with these faces when first used
        entry = it->second;
    }
    apply_added(*entry, faces);
}

void CollectionIndexes::removed(const std::string& collection_id, const std::vector<FaceRef>& faces) {
    std::shared_ptr<Entry> entry;
    {
        std::lock_guard lock(mutex_);
        auto it = loaded_.find(collection_id);
        if (it == loaded_.end()) return;
        entry = it->second;
    }
    for (const auto& face : faces) {
        entry->index.remove(uint64_t(face.row_id));
        std::lock_guard ids(entry->ids_mutex);
        entry->face_ids.erase(face.row_id);
    }
}

void CollectionIndexes::dropped(const std::string& collection_id) {
    std::lock_guard lock(mutex_);
    loaded_.erase(collection_id);
}

CollectionIndexes::~CollectionIndexes() {
    std::lock_guard builders(builders_mutex_);
    for (auto& builder : builders_) builder.join(); // a graph build cannot be interrupted half-way
}

std::vector<CollectionIndexes::IndexState> CollectionIndexes::states() {
    std::lock_guard lock(mutex_);
    std::vector<IndexState> out;
    for (const auto& [id, entry] : loaded_) out.push_back({id, entry->index.size(), entry->index.approximate()});
    return out;
}

} // namespace facegate
