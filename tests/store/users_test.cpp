// SPDX-License-Identifier: MIT
#include "store/store_test_util.h"

#include <set>

namespace facegate {
namespace {

class UsersTest : public test::StoreTest {
  protected:
    void SetUp() override {
        StoreTest::SetUp();
        store_->create_collection("c", "facegate-1");
    }

    std::vector<std::string> add_faces(int n, int seed) {
        std::vector<std::string> ids;
        while (n > 0) {
            int batch = std::min(n, 50);
            for (const FaceRecord& f : store_->add_faces("c", test::make_image(batch, seed++)).faces) ids.push_back(f.face_id);
            n -= batch;
        }
        return ids;
    }
};

TEST_P(UsersTest, CreateGetDelete) {
    UserRecord u = store_->create_user("c", "alice");
    EXPECT_EQ(u.user_id, "alice");
    EXPECT_EQ(u.status, UserStatus::CREATED);
    EXPECT_EQ(u.created_ms, clock_.now->load());
    EXPECT_EQ(u.face_count, 0u);

    EXPECT_STORE_ERROR(store_->create_user("c", "alice"), ErrorCode::CONFLICT);
    EXPECT_STORE_ERROR(store_->create_user("missing", "alice"), ErrorCode::RESOURCE_NOT_FOUND);
    EXPECT_STORE_ERROR(store_->create_user("c", "bad user"), ErrorCode::INVALID_PARAMETER);
    EXPECT_STORE_ERROR(store_->create_user("c", std::string(129, 'u')), ErrorCode::INVALID_PARAMETER);
    EXPECT_NO_THROW(store_->create_user("c", "a:b.c-d_e"));

    std::optional<UserRecord> got = store_->get_user("c", "alice");
    ASSERT_TRUE(got);
    EXPECT_EQ(got->created_ms, u.created_ms);
    EXPECT_FALSE(store_->get_user("c", "bob"));

    EXPECT_TRUE(store_->delete_user("c", "alice").disassociated_face_ids.empty());
    EXPECT_FALSE(store_->get_user("c", "alice"));
    EXPECT_STORE_ERROR(store_->delete_user("c", "alice"), ErrorCode::RESOURCE_NOT_FOUND);
    EXPECT_STORE_ERROR(store_->delete_user("missing", "alice"), ErrorCode::RESOURCE_NOT_FOUND);
}

TEST_P(UsersTest, ListingPagesCoverEveryUserOnce) {
    std::vector<std::string> created;
    for (int i = 0; i < 12; ++i) {
        created.push_back(test::numbered("user-", i));
        store_->create_user("c", created.back());
    }
    std::vector<std::string> seen;
    PageRequest page{.after = "", .limit = 5};
    int pages = 0;
    do {
        UserPage p = store_->list_users("c", page);
        for (const UserRecord& u : p.users) seen.push_back(u.user_id);
        page.after = p.next_token;
        ++pages;
        if (pages == 1) store_->create_user("c", "late"); // arrives while listing: listed once, at the end
    } while (!page.after.empty());
    created.push_back("late");
    EXPECT_EQ(seen, created);
    EXPECT_STORE_ERROR(store_->list_users("missing", {}), ErrorCode::RESOURCE_NOT_FOUND);
}

TEST_P(UsersTest, AssociateFacesReportsEachFace) {
    std::vector<std::string> faces = add_faces(4, 1);
    store_->create_user("c", "alice");
    store_->create_user("c", "bob");
    store_->associate_faces("c", "bob", {faces[3]});

    clock_.advance_ms(1000);
    AssociateFacesResult r =
        store_->associate_faces("c", "alice", {faces[0], faces[1], "00000000-0000-0000-0000-000000000000", faces[3], faces[0]});
    EXPECT_EQ(r.associated, (std::vector<std::string>{faces[0], faces[1]}));
    ASSERT_EQ(r.unsuccessful.size(), 2u);
    EXPECT_EQ(r.unsuccessful[0].reason, FaceAssociationFailure::FACE_NOT_FOUND);
    EXPECT_EQ(r.unsuccessful[1].face_id, faces[3]);
    EXPECT_EQ(r.unsuccessful[1].reason, FaceAssociationFailure::ASSOCIATED_TO_A_DIFFERENT_USER);
    EXPECT_EQ(r.unsuccessful[1].user_id, "bob");
    EXPECT_EQ(r.user_status, UserStatus::ACTIVE);
    EXPECT_FALSE(r.user_was_full);

    std::optional<UserRecord> alice = store_->get_user("c", "alice");
    EXPECT_EQ(alice->status, UserStatus::ACTIVE);
    EXPECT_EQ(alice->face_count, 2u);
    EXPECT_EQ(alice->updated_ms, clock_.now->load());
    EXPECT_EQ(store_->get_faces("c", {faces[0]})[0].user_id, "alice");

    // faces already with this user are ignored
    r = store_->associate_faces("c", "alice", {faces[0], faces[2]});
    EXPECT_EQ(r.associated, (std::vector<std::string>{faces[2]}));
    EXPECT_TRUE(r.unsuccessful.empty());

    EXPECT_STORE_ERROR(store_->associate_faces("c", "carol", {faces[0]}), ErrorCode::RESOURCE_NOT_FOUND);
    EXPECT_STORE_ERROR(store_->associate_faces("missing", "alice", {faces[0]}), ErrorCode::RESOURCE_NOT_FOUND);
    EXPECT_STORE_ERROR(store_->associate_faces("c", "alice", {}), ErrorCode::INVALID_PARAMETER);
    EXPECT_STORE_ERROR(store_->associate_faces("c", "alice", std::vector<std::string>(101, faces[0])),
                       ErrorCode::INVALID_PARAMETER);
}

TEST_P(UsersTest, AUserHasAtMostOneHundredFaces) {
    std::vector<std::string> faces = add_faces(105, 1);
    store_->create_user("c", "u");
    AssociateFacesResult r = store_->associate_faces("c", "u", std::vector<std::string>(faces.begin(), faces.begin() + 98));
    EXPECT_EQ(r.associated.size(), 98u);

    r = store_->associate_faces("c", "u", std::vector<std::string>(faces.begin() + 98, faces.begin() + 103));
    EXPECT_EQ(r.associated, (std::vector<std::string>{faces[98], faces[99]}));
    ASSERT_EQ(r.unsuccessful.size(), 3u);
    for (const auto& u : r.unsuccessful) EXPECT_EQ(u.reason, FaceAssociationFailure::USER_FACE_LIMIT);
    EXPECT_FALSE(r.user_was_full);

    r = store_->associate_faces("c", "u", {faces[104], faces[0]});
    EXPECT_TRUE(r.user_was_full);
    EXPECT_TRUE(r.associated.empty());
    ASSERT_EQ(r.unsuccessful.size(), 1u); // faces[0] is already the user's: ignored
    EXPECT_EQ(store_->get_user("c", "u")->face_count, 100u);
}

TEST_P(UsersTest, DisassociateFacesReportsEachFace) {
    std::vector<std::string> faces = add_faces(4, 1);
    store_->create_user("c", "alice");
    store_->create_user("c", "bob");
    store_->associate_faces("c", "alice", {faces[0], faces[1]});
    store_->associate_faces("c", "bob", {faces[2]});

    DisassociateFacesResult r =
        store_->disassociate_faces("c", "alice", {faces[0], faces[2], faces[3], "00000000-0000-0000-0000-000000000000"});
    EXPECT_EQ(r.disassociated, (std::vector<std::string>{faces[0]}));
    ASSERT_EQ(r.unsuccessful.size(), 2u);
    EXPECT_EQ(r.unsuccessful[0].face_id, faces[2]);
    EXPECT_EQ(r.unsuccessful[0].reason, FaceDisassociationFailure::ASSOCIATED_TO_A_DIFFERENT_USER);
    EXPECT_EQ(r.unsuccessful[0].user_id, "bob");
    EXPECT_EQ(r.unsuccessful[1].reason, FaceDisassociationFailure::FACE_NOT_FOUND);
    EXPECT_EQ(r.user_status, UserStatus::ACTIVE);

    r = store_->disassociate_faces("c", "alice", {faces[1]});
    EXPECT_EQ(r.user_status, UserStatus::CREATED);
    EXPECT_FALSE(store_->get_faces("c", {faces[1]})[0].user_id);
    EXPECT_STORE_ERROR(store_->disassociate_faces("c", "carol", {faces[0]}), ErrorCode::RESOURCE_NOT_FOUND);
}

TEST_P(UsersTest, DeletingAUserFreesItsFaces) {
    std::vector<std::string> faces = add_faces(3, 1);
    store_->create_user("c", "u");
    store_->associate_faces("c", "u", {faces[0], faces[2]});
    EXPECT_EQ(store_->delete_faces("c", {faces[0]}).unsuccessful.size(), 1u);

    DeleteUserResult r = store_->delete_user("c", "u");
    EXPECT_EQ(r.disassociated_face_ids, (std::vector<std::string>{faces[0], faces[2]}));
    EXPECT_EQ(store_->describe_collection("c").user_count, 0u);
    EXPECT_FALSE(store_->get_faces("c", {faces[0]})[0].user_id);
    EXPECT_EQ(store_->delete_faces("c", {faces[0]}).deleted.size(), 1u);

    // a new user with the same id starts with no faces
    store_->create_user("c", "u");
    EXPECT_EQ(store_->get_user("c", "u")->face_count, 0u);
    EXPECT_TRUE(check_integrity().empty());
}

TEST_P(UsersTest, UsersBelongToTheirCollection) {
    store_->create_collection("d", "v1");
    store_->create_user("c", "u");
    EXPECT_NO_THROW(store_->create_user("d", "u"));
    std::vector<std::string> faces = add_faces(1, 1);
    AssociateFacesResult r = store_->associate_faces("d", "u", {faces[0]});
    EXPECT_EQ(r.unsuccessful.at(0).reason, FaceAssociationFailure::FACE_NOT_FOUND);
}

FACEGATE_STORE_BACKENDS(UsersTest);

} // namespace
} // namespace facegate
