// SPDX-License-Identifier: MIT
#include "store/page_token.h"

#include "store/store_test_util.h"

#include <cmath>
#include <map>
#include <set>

namespace facegate {
namespace {

class FacesTest : public test::StoreTest {
  protected:
    void SetUp() override {
        StoreTest::SetUp();
        store_->create_collection("c", "facegate-1");
    }

    // every face id of the collection, walking pages of `limit`
    std::vector<std::string> list_all(const FaceFilter& filter, std::size_t limit) {
        std::vector<std::string> ids;
        PageRequest page{.after = "", .limit = limit};
        do {
            FacePage p = store_->list_faces("c", filter, page);
            EXPECT_LE(p.faces.size(), limit);
            for (const FaceRecord& f : p.faces) ids.push_back(f.face_id);
            page.after = p.next_token;
        } while (!page.after.empty());
        return ids;
    }
};

TEST_P(FacesTest, AddFacesAssignsIdsAndKeepsEverything) {
    NewImageFaces image = test::make_image(3, 1, "photo-1");
    AddFacesResult added = store_->add_faces("c", image);
    EXPECT_FALSE(added.deduplicated);
    EXPECT_TRUE(test::is_lower_uuid(added.image_id));
    ASSERT_EQ(added.faces.size(), 3u);
    std::set<std::string> ids;
    for (std::size_t i = 0; i < 3; ++i) {
        const FaceRecord& f = added.faces[i];
        EXPECT_TRUE(test::is_lower_uuid(f.face_id)) << f.face_id;
        EXPECT_EQ(f.image_id, added.image_id);
        EXPECT_EQ(f.external_image_id, "photo-1");
        EXPECT_EQ(f.model_version, "facegate-1");
        EXPECT_EQ(f.created_ms, clock_.now->load());
        EXPECT_FALSE(f.user_id);
        EXPECT_EQ(f.confidence, image.faces[i].confidence);
        EXPECT_EQ(f.bounding_box.width, image.faces[i].bounding_box.width);
        if (i > 0) {
            EXPECT_GT(f.row_id, added.faces[i - 1].row_id);
        }
        ids.insert(f.face_id);
    }
    EXPECT_EQ(ids.size(), 3u);

    // stored exactly, embeddings included
    std::vector<FaceRecord> got = store_->get_faces("c", {added.faces[2].face_id, added.faces[0].face_id}, true);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].face_id, added.faces[2].face_id); // request order
    EXPECT_EQ(got[0].row_id, added.faces[2].row_id);
    EXPECT_EQ(got[0].embedding, image.faces[2].embedding);
    EXPECT_EQ(got[1].embedding, image.faces[0].embedding);
    EXPECT_EQ(got[0].bounding_box.left, image.faces[2].bounding_box.left);
    EXPECT_EQ(got[0].bounding_box.top, image.faces[2].bounding_box.top);
    EXPECT_EQ(got[0].bounding_box.height, image.faces[2].bounding_box.height);

    // without embeddings by default; unknown and duplicate ids left out
    got = store_->get_faces("c", {added.faces[1].face_id, "nope", added.faces[1].face_id});
    ASSERT_EQ(got.size(), 1u);
    EXPECT_TRUE(got[0].embedding.empty());
}

TEST_P(FacesTest, RowIdsAreNeverReused) {
    AddFacesResult a = store_->add_faces("c", test::make_image(2, 1));
    store_->delete_faces("c", {a.faces[0].face_id, a.faces[1].face_id});
    reopen();
    AddFacesResult b = store_->add_faces("c", test::make_image(1, 2));
    EXPECT_GT(b.faces[0].row_id, a.faces[1].row_id);
}

TEST_P(FacesTest, AnImageWithoutFacesStoresNothing) {
    AddFacesResult added = store_->add_faces("c", test::make_image(0, 1, "empty"));
    EXPECT_TRUE(added.faces.empty());
    EXPECT_EQ(store_->describe_collection("c").face_count, 0u);
}

TEST_P(FacesTest, AddFacesValidates) {
    EXPECT_STORE_ERROR(store_->add_faces("missing", test::make_image(1, 1)), ErrorCode::RESOURCE_NOT_FOUND);

    NewImageFaces bad = test::make_image(1, 1);
    bad.faces[0].embedding.pop_back();
    EXPECT_STORE_ERROR(store_->add_faces("c", bad), ErrorCode::INVALID_PARAMETER);
    bad = test::make_image(1, 1);
    bad.faces[0].embedding[3] = std::nanf("");
    EXPECT_STORE_ERROR(store_->add_faces("c", bad), ErrorCode::INVALID_PARAMETER);
    bad = test::make_image(1, 1);
    bad.faces[0].bounding_box.left = INFINITY;
    EXPECT_STORE_ERROR(store_->add_faces("c", bad), ErrorCode::INVALID_PARAMETER);
    EXPECT_STORE_ERROR(store_->add_faces("c", test::make_image(1, 1, "has space")), ErrorCode::INVALID_PARAMETER);
    EXPECT_STORE_ERROR(store_->add_faces("c", test::make_image(1, 1, "a@b.com")), ErrorCode::INVALID_PARAMETER);
    EXPECT_STORE_ERROR(store_->add_faces("c", test::make_image(101, 1)), ErrorCode::INVALID_PARAMETER);
    bad = test::make_image(1, 1);
    bad.model_version.clear();
    EXPECT_STORE_ERROR(store_->add_faces("c", bad), ErrorCode::INVALID_PARAMETER);

    EXPECT_EQ(store_->describe_collection("c").face_count, 0u);
}

TEST_P(FacesTest, SameImageAndExternalIdIsNotStoredTwice) {
    NewImageFaces image = test::make_image(2, 1, "photo-1");
    image.image_digest = "sha256-of-photo-1";
    AddFacesResult first = store_->add_faces("c", image);
    AddFacesResult again = store_->add_faces("c", image);
    EXPECT_TRUE(again.deduplicated);
    EXPECT_EQ(again.image_id, first.image_id);
    ASSERT_EQ(again.faces.size(), 2u);
    EXPECT_EQ(again.faces[0].face_id, first.faces[0].face_id);
    EXPECT_EQ(again.faces[1].face_id, first.faces[1].face_id);
    EXPECT_EQ(store_->describe_collection("c").face_count, 2u);
    EXPECT_EQ(store_->find_faces_by_image("c", std::string("photo-1"), "sha256-of-photo-1").size(), 2u);
    EXPECT_TRUE(store_->find_faces_by_image("c", std::nullopt, "sha256-of-photo-1").empty());

    // another external id, or no digest: new faces
    image.external_image_id = "photo-2";
    EXPECT_FALSE(store_->add_faces("c", image).deduplicated);
    image.image_digest.reset();
    EXPECT_FALSE(store_->add_faces("c", image).deduplicated);
    EXPECT_FALSE(store_->add_faces("c", image).deduplicated);
    EXPECT_EQ(store_->describe_collection("c").face_count, 8u);

    // no external id counts as the same external id
    NewImageFaces anonymous = test::make_image(1, 3);
    anonymous.image_digest = "d3";
    store_->add_faces("c", anonymous);
    EXPECT_TRUE(store_->add_faces("c", anonymous).deduplicated);
}

TEST_P(FacesTest, ListingPagesCoverEveryFaceOnce) {
    std::vector<std::string> all;
    for (int i = 0; i < 17; ++i)
        for (const FaceRecord& f : store_->add_faces("c", test::make_image(3, i)).faces) all.push_back(f.face_id);
    for (std::size_t limit : {1u, 7u, 51u, 100u}) {
        EXPECT_EQ(list_all({}, limit), all) << "limit " << limit; // creation order, each once
    }
    FacePage page = store_->list_faces("c", {}, {.after = "", .limit = 2});
    EXPECT_EQ(page.face_model_version, "facegate-1");
    EXPECT_TRUE(page.faces[0].embedding.empty());
}

TEST_P(FacesTest, ListingIsStableUnderConcurrentInsertsAndDeletes) {
    std::vector<std::string> original;
    for (int i = 0; i < 10; ++i)
        for (const FaceRecord& f : store_->add_faces("c", test::make_image(2, i)).faces) original.push_back(f.face_id);

    std::set<std::string> deleted;
    std::vector<std::string> seen;
    PageRequest page{.after = "", .limit = 3};
    int round = 0;
    do {
        FacePage p = store_->list_faces("c", {}, page);
        for (const FaceRecord& f : p.faces) seen.push_back(f.face_id);
        page.after = p.next_token;
        // between pages: new faces arrive and a not-yet-listed original face goes
        store_->add_faces("c", test::make_image(2, 100 + round));
        std::string victim = original[original.size() - 1 - round];
        if (std::find(seen.begin(), seen.end(), victim) == seen.end() && round < 3) {
            store_->delete_faces("c", {victim});
            deleted.insert(victim);
        }
        ++round;
    } while (!page.after.empty());

    std::multiset<std::string> counted(seen.begin(), seen.end());
    for (const std::string& id : original) {
        if (deleted.count(id)) {
            EXPECT_EQ(counted.count(id), 0u);
        } else {
            EXPECT_EQ(counted.count(id), 1u) << id;
        }
    }
    for (const std::string& id : seen) EXPECT_EQ(counted.count(id), 1u) << "duplicate " << id;
}

TEST_P(FacesTest, ListingFilters) {
    AddFacesResult a = store_->add_faces("c", test::make_image(4, 1));
    store_->create_user("c", "u1");
    store_->create_user("c", "u2");
    store_->associate_faces("c", "u1", {a.faces[0].face_id, a.faces[2].face_id});
    store_->associate_faces("c", "u2", {a.faces[3].face_id});

    EXPECT_EQ(list_all({.user_id = "u1", .face_ids = {}}, 1),
              (std::vector<std::string>{a.faces[0].face_id, a.faces[2].face_id}));
    EXPECT_EQ(list_all({.user_id = "u2", .face_ids = {}}, 10), (std::vector<std::string>{a.faces[3].face_id}));
    EXPECT_TRUE(list_all({.user_id = "nobody", .face_ids = {}}, 10).empty());

    // face ids: in row order, unknown ones left out, pages honoured
    FaceFilter by_ids{.user_id = std::nullopt,
                      .face_ids = {a.faces[3].face_id, "unknown", a.faces[1].face_id, a.faces[0].face_id, a.faces[1].face_id}};
    EXPECT_EQ(list_all(by_ids, 2),
              (std::vector<std::string>{a.faces[0].face_id, a.faces[1].face_id, a.faces[3].face_id}));
    by_ids.user_id = "u1";
    EXPECT_EQ(list_all(by_ids, 1), (std::vector<std::string>{a.faces[0].face_id}));

    FacePage p = store_->list_faces("c", {.user_id = "u1", .face_ids = {}}, {.after = "", .limit = 10});
    ASSERT_EQ(p.faces.size(), 2u);
    EXPECT_EQ(p.faces[0].user_id, "u1");
}

TEST_P(FacesTest, ListingErrors) {
    EXPECT_STORE_ERROR(store_->list_faces("missing", {}, {}), ErrorCode::RESOURCE_NOT_FOUND);
    store_->create_collection("other", "v1");
    store_->add_faces("c", test::make_image(3, 1));
    FacePage p = store_->list_faces("c", {}, {.after = "", .limit = 1});
    ASSERT_FALSE(p.next_token.empty());
    // a token of one collection is refused by another
    EXPECT_STORE_ERROR(store_->list_faces("other", {}, {.after = p.next_token, .limit = 1}), ErrorCode::INVALID_PAGINATION_TOKEN);
    EXPECT_STORE_ERROR(store_->list_users("c", {.after = p.next_token, .limit = 1}), ErrorCode::INVALID_PAGINATION_TOKEN);
    EXPECT_STORE_ERROR(store_->list_faces("c", {}, {.after = "%%%", .limit = 1}), ErrorCode::INVALID_PAGINATION_TOKEN);
    EXPECT_STORE_ERROR(store_->list_faces("c", {.user_id = "bad user", .face_ids = {}}, {}), ErrorCode::INVALID_PARAMETER);
}

TEST_P(FacesTest, DeleteFacesReportsWhatItCouldNotDelete) {
    AddFacesResult a = store_->add_faces("c", test::make_image(3, 1));
    store_->create_user("c", "u");
    store_->associate_faces("c", "u", {a.faces[1].face_id});
    store_->create_collection("other", "v1");
    AddFacesResult elsewhere = store_->add_faces("other", test::make_image(1, 2));

    DeleteFacesResult r = store_->delete_faces(
        "c", {a.faces[0].face_id, a.faces[1].face_id, "00000000-0000-0000-0000-000000000000", elsewhere.faces[0].face_id,
              a.faces[0].face_id});
    ASSERT_EQ(r.deleted.size(), 1u);
    EXPECT_EQ(r.deleted[0].face_id, a.faces[0].face_id);
    EXPECT_EQ(r.deleted[0].row_id, a.faces[0].row_id);
    ASSERT_EQ(r.unsuccessful.size(), 3u);
    EXPECT_EQ(r.unsuccessful[0].face_id, a.faces[1].face_id);
    EXPECT_EQ(r.unsuccessful[0].reason, FaceDeletionFailure::ASSOCIATED_TO_AN_EXISTING_USER);
    EXPECT_EQ(r.unsuccessful[0].user_id, "u");
    EXPECT_EQ(r.unsuccessful[1].reason, FaceDeletionFailure::FACE_NOT_FOUND);
    EXPECT_EQ(r.unsuccessful[2].reason, FaceDeletionFailure::FACE_NOT_FOUND); // another collection's face
    EXPECT_EQ(store_->describe_collection("c").face_count, 2u);
    EXPECT_EQ(store_->describe_collection("other").face_count, 1u);

    // deleting again: not found
    r = store_->delete_faces("c", {a.faces[0].face_id});
    EXPECT_TRUE(r.deleted.empty());
    EXPECT_EQ(r.unsuccessful.at(0).reason, FaceDeletionFailure::FACE_NOT_FOUND);

    EXPECT_STORE_ERROR(store_->delete_faces("c", {}), ErrorCode::INVALID_PARAMETER);
    EXPECT_STORE_ERROR(store_->delete_faces("missing", {a.faces[2].face_id}), ErrorCode::RESOURCE_NOT_FOUND);
    EXPECT_TRUE(check_integrity().empty());
}

TEST_P(FacesTest, FacesByExternalIdAndErasure) {
    AddFacesResult a = store_->add_faces("c", test::make_image(2, 1, "person-1"));
    AddFacesResult b = store_->add_faces("c", test::make_image(1, 2, "person-1"));
    store_->add_faces("c", test::make_image(1, 3, "person-2"));
    store_->create_user("c", "u");
    store_->associate_faces("c", "u", {a.faces[0].face_id});

    std::vector<FaceRecord> found = store_->faces_by_external_id("c", "person-1");
    ASSERT_EQ(found.size(), 3u);
    EXPECT_EQ(found[2].face_id, b.faces[0].face_id);

    // erasure deletes faces tied to users too, and fixes the users up
    std::vector<FaceRecord> erased = store_->delete_faces_by_external_id("c", "person-1");
    ASSERT_EQ(erased.size(), 3u);
    EXPECT_EQ(erased[0].user_id, "u");
    EXPECT_TRUE(store_->faces_by_external_id("c", "person-1").empty());
    EXPECT_EQ(store_->describe_collection("c").face_count, 1u);
    std::optional<UserRecord> u = store_->get_user("c", "u");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->face_count, 0u);
    EXPECT_EQ(u->status, UserStatus::CREATED);
    EXPECT_TRUE(store_->delete_faces_by_external_id("c", "person-1").empty());
    EXPECT_TRUE(check_integrity().empty());
}

TEST_P(FacesTest, EmbeddingScansAreConsistentSnapshots) {
    AddFacesResult a = store_->add_faces("c", test::make_image(2, 1));
    AddFacesResult b = store_->add_faces("c", test::make_image(2, 2));
    store_->create_user("c", "u");
    store_->associate_faces("c", "u", {b.faces[0].face_id});

    EmbeddingSnapshot all = store_->load_all_embeddings("c");
    ASSERT_EQ(all.faces.size(), 4u);
    EXPECT_EQ(all.faces[0].row_id, a.faces[0].row_id);
    EXPECT_EQ(all.faces[3].face_id, b.faces[1].face_id);
    EXPECT_EQ(all.faces[2].user_id, "u");
    EXPECT_EQ(all.faces[1].embedding, test::make_embedding(1001));
    EXPECT_EQ(all.change_seq, store_->face_changes_since(0).last_seq);

    std::vector<std::int64_t> rows;
    store_->scan_embeddings("c", a.faces[1].row_id, [&](FaceEmbedding&& f) { rows.push_back(f.row_id); });
    EXPECT_EQ(rows, (std::vector<std::int64_t>{b.faces[0].row_id, b.faces[1].row_id}));
    EXPECT_STORE_ERROR(store_->load_all_embeddings("missing"), ErrorCode::RESOURCE_NOT_FOUND);
}

TEST_P(FacesTest, ChangeFeedFollowsEveryFaceWrite) {
    std::int64_t start = store_->face_changes_since(0).last_seq;
    AddFacesResult a = store_->add_faces("c", test::make_image(2, 1));
    store_->create_user("c", "u");
    store_->associate_faces("c", "u", {a.faces[0].face_id});
    store_->delete_faces("c", {a.faces[1].face_id});
    store_->delete_collection("c");

    FaceChangeBatch batch = store_->face_changes_since(start);
    EXPECT_FALSE(batch.gap);
    ASSERT_EQ(batch.changes.size(), 5u);
    EXPECT_EQ(batch.changes[0].kind, FaceChangeKind::FACE_ADDED);
    EXPECT_EQ(batch.changes[0].row_id, a.faces[0].row_id);
    EXPECT_EQ(batch.changes[1].face_id, a.faces[1].face_id);
    EXPECT_EQ(batch.changes[2].kind, FaceChangeKind::FACE_USER_CHANGED);
    EXPECT_EQ(batch.changes[3].kind, FaceChangeKind::FACE_DELETED);
    EXPECT_EQ(batch.changes[3].row_id, a.faces[1].row_id);
    EXPECT_EQ(batch.changes[4].kind, FaceChangeKind::COLLECTION_DELETED);
    EXPECT_EQ(batch.changes[4].collection_id, "c");
    for (std::size_t i = 1; i < batch.changes.size(); ++i)
        EXPECT_EQ(batch.changes[i].seq, batch.changes[i - 1].seq + 1);
    EXPECT_EQ(batch.last_seq, batch.changes.back().seq);

    EXPECT_EQ(store_->face_changes_since(start, 2).changes.size(), 2u);
    EXPECT_TRUE(store_->face_changes_since(batch.last_seq).changes.empty());

    // after the retention, pruning leaves a gap for consumers that were behind
    clock_.advance_ms(8LL * 24 * 3600 * 1000);
    store_->create_collection("d", "v1");
    store_->add_faces("d", test::make_image(1, 9));
    store_->prune();
    FaceChangeBatch later = store_->face_changes_since(start);
    EXPECT_TRUE(later.gap);
    ASSERT_EQ(later.changes.size(), 1u);
    EXPECT_EQ(later.changes[0].seq, batch.last_seq + 1);
    EXPECT_FALSE(store_->face_changes_since(batch.last_seq).gap);
}

FACEGATE_STORE_BACKENDS(FacesTest);

} // namespace
} // namespace facegate
