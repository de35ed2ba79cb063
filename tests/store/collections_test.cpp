// SPDX-License-Identifier: MIT
#include "store/page_token.h"

#include "store/store_test_util.h"

#include <set>

namespace facegate {
namespace {

using CollectionsTest = test::StoreTest;

TEST_P(CollectionsTest, CreateDescribeDelete) {
    CollectionInfo info = store_->create_collection("staff", "facegate-1");
    EXPECT_EQ(info.collection_id, "staff");
    EXPECT_EQ(info.arn, "arn:aws:rekognition:local:000000000000:collection/staff");
    EXPECT_EQ(info.face_model_version, "facegate-1");
    EXPECT_EQ(info.created_ms, clock_.now->load());

    std::optional<CollectionInfo> got = store_->get_collection("staff");
    ASSERT_TRUE(got);
    EXPECT_EQ(got->arn, info.arn);
    EXPECT_EQ(got->face_model_version, "facegate-1");
    EXPECT_FALSE(store_->get_collection("Staff"));

    CollectionDescription d = store_->describe_collection("staff");
    EXPECT_EQ(d.info.arn, info.arn);
    EXPECT_EQ(d.info.created_ms, info.created_ms);
    EXPECT_EQ(d.face_count, 0u);
    EXPECT_EQ(d.user_count, 0u);

    store_->add_faces("staff", test::make_image(3, 1));
    store_->create_user("staff", "alice");
    d = store_->describe_collection("staff");
    EXPECT_EQ(d.face_count, 3u);
    EXPECT_EQ(d.user_count, 1u);

    store_->delete_collection("staff");
    EXPECT_FALSE(store_->get_collection("staff"));
    EXPECT_STORE_ERROR(store_->describe_collection("staff"), ErrorCode::RESOURCE_NOT_FOUND);
    EXPECT_STORE_ERROR(store_->delete_collection("staff"), ErrorCode::RESOURCE_NOT_FOUND);
    EXPECT_TRUE(check_integrity().empty());
}

TEST_P(CollectionsTest, CollectionIdsAreCaseSensitiveAndUnique) {
    store_->create_collection("Staff", "v1");
    EXPECT_STORE_ERROR(store_->create_collection("Staff", "v1"), ErrorCode::RESOURCE_ALREADY_EXISTS);
    EXPECT_NO_THROW(store_->create_collection("staff", "v1"));
}

TEST_P(CollectionsTest, RejectsMalformedIds) {
    EXPECT_STORE_ERROR(store_->create_collection("", "v1"), ErrorCode::INVALID_PARAMETER);
    EXPECT_STORE_ERROR(store_->create_collection("a b", "v1"), ErrorCode::INVALID_PARAMETER);
    EXPECT_STORE_ERROR(store_->create_collection("a:b", "v1"), ErrorCode::INVALID_PARAMETER);
    EXPECT_STORE_ERROR(store_->create_collection(std::string(256, 'a'), "v1"), ErrorCode::INVALID_PARAMETER);
    EXPECT_STORE_ERROR(store_->create_collection("ok", ""), ErrorCode::INVALID_PARAMETER);
    EXPECT_NO_THROW(store_->create_collection(std::string(255, 'a'), "v1"));
    EXPECT_NO_THROW(store_->create_collection("a-b_c.d", "v1"));
}

TEST_P(CollectionsTest, DeletingACollectionRemovesItsFacesAndUsers) {
    store_->create_collection("c", "v1");
    AddFacesResult added = store_->add_faces("c", test::make_image(2, 1));
    store_->create_user("c", "u");
    store_->associate_faces("c", "u", {added.faces[0].face_id});
    store_->delete_collection("c");

    store_->create_collection("c", "v2"); // a new collection with the same name starts empty
    EXPECT_EQ(store_->describe_collection("c").face_count, 0u);
    EXPECT_TRUE(store_->get_faces("c", {added.faces[0].face_id}).empty());
    EXPECT_FALSE(store_->get_user("c", "u"));
    EXPECT_EQ(store_->describe_collection("c").info.face_model_version, "v2");
    EXPECT_TRUE(check_integrity().empty());
}

TEST_P(CollectionsTest, ListingPagesCoverEveryCollectionOnce) {
    std::set<std::string> created;
    for (int i = 0; i < 23; ++i) {
        std::string id = test::numbered("c", i);
        store_->create_collection(id, test::numbered("v", i));
        created.insert(id);
    }
    std::multiset<std::string> seen;
    PageRequest page{.after = "", .limit = 5};
    int pages = 0;
    do {
        CollectionPage p = store_->list_collections(page);
        EXPECT_LE(p.collections.size(), 5u);
        for (const CollectionInfo& c : p.collections) {
            seen.insert(c.collection_id);
            EXPECT_EQ(c.face_model_version, test::numbered("v", std::stoll(c.collection_id.substr(1))));
        }
        page.after = p.next_token;
        ++pages;
    } while (!page.after.empty());
    EXPECT_EQ(pages, 5);
    EXPECT_EQ(seen, std::multiset<std::string>(created.begin(), created.end()));

    // an exact multiple of the page size gives no empty trailing page
    CollectionPage all = store_->list_collections({.after = "", .limit = 23});
    EXPECT_EQ(all.collections.size(), 23u);
    EXPECT_TRUE(all.next_token.empty());
}

TEST_P(CollectionsTest, ListingRefusesForeignTokens) {
    store_->create_collection("c", "v1");
    EXPECT_STORE_ERROR(store_->list_collections({.after = "garbage!", .limit = 5}), ErrorCode::INVALID_PAGINATION_TOKEN);
    EXPECT_STORE_ERROR(store_->list_collections({.after = encode_page_token('f', "c", 1), .limit = 5}),
                       ErrorCode::INVALID_PAGINATION_TOKEN);
    EXPECT_STORE_ERROR(store_->list_collections({.after = "", .limit = 0}), ErrorCode::INVALID_PARAMETER);
}

TEST_P(CollectionsTest, EverythingSurvivesReopening) {
    store_->create_collection("c", "v1");
    AddFacesResult added = store_->add_faces("c", test::make_image(2, 7, "img-1"));
    store_->create_user("c", "u");
    store_->associate_faces("c", "u", {added.faces[1].face_id});
    store_->remember("CreateUser", "tok", "h", "{}");
    store_->append_audit({.operation = "IndexFaces", .collection_id = "c", .outcome = "OK"});

    reopen();

    EXPECT_EQ(store_->describe_collection("c").face_count, 2u);
    std::vector<FaceRecord> faces =
        store_->get_faces("c", {added.faces[0].face_id, added.faces[1].face_id}, /*with_embeddings=*/true);
    ASSERT_EQ(faces.size(), 2u);
    EXPECT_EQ(faces[0].embedding, test::make_embedding(7000));
    EXPECT_EQ(faces[1].user_id, "u");
    EXPECT_EQ(faces[0].external_image_id, "img-1");
    EXPECT_EQ(store_->get_user("c", "u")->status, UserStatus::ACTIVE);
    EXPECT_TRUE(store_->recall("CreateUser", "tok"));
    EXPECT_EQ(store_->query_audit({}).records.size(), 1u);
}

FACEGATE_STORE_BACKENDS(CollectionsTest);

} // namespace
} // namespace facegate
