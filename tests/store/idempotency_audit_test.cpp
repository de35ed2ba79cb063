// SPDX-License-Identifier: MIT
#include "store/store_test_util.h"

namespace facegate {
namespace {

using IdempotencyTest = test::StoreTest;
using AuditTest = test::StoreTest;

constexpr std::int64_t kHour = 3600 * 1000;

TEST_P(IdempotencyTest, RememberAndRecall) {
    EXPECT_FALSE(store_->recall("CreateUser", "t1"));
    TokenEntry stored = store_->remember("CreateUser", "t1", "hash-a", "{\"a\":1}");
    EXPECT_EQ(stored.response, "{\"a\":1}");
    std::optional<TokenEntry> e = store_->recall("CreateUser", "t1");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->request_hash, "hash-a");
    EXPECT_EQ(e->response, "{\"a\":1}");
    EXPECT_EQ(e->created_ms, clock_.now->load());

    // the first entry wins; tokens are per operation
    stored = store_->remember("CreateUser", "t1", "hash-b", "{\"b\":2}");
    EXPECT_EQ(stored.request_hash, "hash-a");
    EXPECT_FALSE(store_->recall("DeleteUser", "t1"));

    EXPECT_STORE_ERROR(store_->recall("CreateUser", "bad token!"), ErrorCode::INVALID_PARAMETER);
    EXPECT_STORE_ERROR(store_->recall("CreateUser", std::string(65, 'a')), ErrorCode::INVALID_PARAMETER);
    EXPECT_STORE_ERROR(store_->remember("CreateUser", "t2", "", "{}"), ErrorCode::INVALID_PARAMETER);
}

TEST_P(IdempotencyTest, EntriesExpireAfterADay) {
    store_->remember("CreateUser", "t1", "hash-a", "a");
    clock_.advance_ms(24 * kHour - 1);
    EXPECT_TRUE(store_->recall("CreateUser", "t1"));
    clock_.advance_ms(1);
    EXPECT_FALSE(store_->recall("CreateUser", "t1"));
    // an expired entry gives way to a new one
    EXPECT_EQ(store_->remember("CreateUser", "t1", "hash-b", "b").request_hash, "hash-b");
    clock_.advance_ms(25 * kHour);
    store_->prune();
    EXPECT_FALSE(store_->recall("CreateUser", "t1"));
}

TEST_P(IdempotencyTest, WritesRememberTheirResponseAtomically) {
    store_->create_collection("c", "v1");
    int renders = 0;
    TokenRecord<UserRecord> token{"tok-1", "hash-1", [&](const UserRecord& u) {
                                      ++renders;
                                      return "created " + u.user_id;
                                  }};
    store_->create_user("c", "alice", &token);
    EXPECT_EQ(renders, 1);
    EXPECT_EQ(store_->recall(operation::kCreateUser, "tok-1")->response, "created alice");

    // the same request again: replayed, not re-run (which would be a CONFLICT)
    try {
        store_->create_user("c", "alice", &token);
        ADD_FAILURE() << "expected TokenReplayed";
    } catch (const TokenReplayed& r) {
        EXPECT_EQ(r.entry().response, "created alice");
    }
    EXPECT_EQ(renders, 1);

    // the same token with another request
    TokenRecord<UserRecord> other{"tok-1", "hash-2", token.render_response};
    EXPECT_STORE_ERROR(store_->create_user("c", "bob", &other), ErrorCode::IDEMPOTENT_PARAMETER_MISMATCH);
    EXPECT_FALSE(store_->get_user("c", "bob"));

    // a failed write remembers nothing
    TokenRecord<UserRecord> failing{"tok-2", "hash-3", token.render_response};
    EXPECT_STORE_ERROR(store_->create_user("c", "alice", &failing), ErrorCode::CONFLICT);
    EXPECT_FALSE(store_->recall(operation::kCreateUser, "tok-2"));

    // a renderer that throws aborts the write
    TokenRecord<UserRecord> broken{"tok-3", "hash-4", [](const UserRecord&) -> std::string {
                                       throw Error(ErrorCode::INTERNAL, "render failed");
                                   }};
    EXPECT_STORE_ERROR(store_->create_user("c", "dave", &broken), ErrorCode::INTERNAL);
    EXPECT_FALSE(store_->get_user("c", "dave"));
}

TEST_P(IdempotencyTest, IndexFacesWithATokenIsNotDuplicated) {
    store_->create_collection("c", "v1");
    TokenRecord<AddFacesResult> token{"index-1", "hash", [](const AddFacesResult& r) { return r.faces.at(0).face_id; }};
    AddFacesResult added = store_->add_faces("c", test::make_image(2, 1), &token);
    EXPECT_THROW(store_->add_faces("c", test::make_image(2, 1), &token), TokenReplayed);
    EXPECT_EQ(store_->describe_collection("c").face_count, 2u);
    EXPECT_EQ(store_->recall(operation::kIndexFaces, "index-1")->response, added.faces[0].face_id);

    // the other token-taking writes
    store_->create_user("c", "u");
    TokenRecord<AssociateFacesResult> assoc{"a-1", "h", [](const AssociateFacesResult& r) { return std::to_string(r.associated.size()); }};
    store_->associate_faces("c", "u", {added.faces[0].face_id}, &assoc);
    EXPECT_THROW(store_->associate_faces("c", "u", {added.faces[0].face_id}, &assoc), TokenReplayed);
    TokenRecord<DisassociateFacesResult> dis{"d-1", "h", [](const DisassociateFacesResult& r) { return std::to_string(r.disassociated.size()); }};
    store_->disassociate_faces("c", "u", {added.faces[0].face_id}, &dis);
    EXPECT_EQ(store_->recall(operation::kDisassociateFaces, "d-1")->response, "1");
    TokenRecord<DeleteUserResult> del{"x-1", "h", [](const DeleteUserResult&) { return std::string("{}"); }};
    store_->delete_user("c", "u", &del);
    EXPECT_THROW(store_->delete_user("c", "u", &del), TokenReplayed); // not RESOURCE_NOT_FOUND
}

TEST_P(AuditTest, AppendAndQuery) {
    const std::int64_t t0 = clock_.now->load();
    store_->append_audit({.time_ms = 0, .operation = "CreateCollection", .collection_id = "c", .external_image_id = {},
                          .user_id = {}, .face_ids = {}, .outcome = "OK", .caller_key_id = "AKIA1"});
    clock_.advance_ms(10);
    store_->append_audit({.time_ms = 0, .operation = "IndexFaces", .collection_id = "c", .external_image_id = "person-1",
                          .user_id = {}, .face_ids = {"f2", "f1"}, .outcome = "OK", .caller_key_id = "AKIA1"});
    clock_.advance_ms(10);
    store_->append_audit({.time_ms = 0, .operation = "AssociateFaces", .collection_id = "c", .external_image_id = {},
                          .user_id = "alice", .face_ids = {"f1"}, .outcome = "OK", .caller_key_id = "AKIA2"});
    clock_.advance_ms(10);
    store_->append_audit({.time_ms = 0, .operation = "IndexFaces", .collection_id = "d", .external_image_id = {},
                          .user_id = {}, .face_ids = {}, .outcome = "INVALID_IMAGE_FORMAT", .caller_key_id = ""});

    AuditPage all = store_->query_audit({});
    ASSERT_EQ(all.records.size(), 4u);
    EXPECT_EQ(all.records[0].event.collection_id, "d"); // newest first
    EXPECT_EQ(all.records[0].event.caller_key_id, "");
    EXPECT_GT(all.records[0].seq, all.records[1].seq);
    EXPECT_EQ(all.records[2].event.face_ids, (std::vector<std::string>{"f2", "f1"})); // order kept
    EXPECT_EQ(all.records[2].event.external_image_id, "person-1");
    EXPECT_EQ(all.records[3].event.time_ms, t0);

    auto count = [&](AuditQuery q) { return store_->query_audit(q).records.size(); };
    EXPECT_EQ(count({.collection_id = "c"}), 3u);
    EXPECT_EQ(count({.operation = "IndexFaces"}), 2u);
    EXPECT_EQ(count({.subject = "f1"}), 2u);
    EXPECT_EQ(count({.subject = "person-1"}), 1u);
    EXPECT_EQ(count({.subject = "alice"}), 1u);
    EXPECT_EQ(count({.subject = "nobody"}), 0u);
    EXPECT_EQ(count({.caller_key_id = "AKIA1"}), 2u);
    EXPECT_EQ(count({.since_ms = t0 + 10}), 3u);
    EXPECT_EQ(count({.since_ms = t0 + 10, .until_ms = t0 + 30}), 2u);
    EXPECT_EQ(count({.collection_id = "c", .operation = "IndexFaces", .subject = "f1"}), 1u);

    // pages, newest first, each record once
    std::vector<std::int64_t> seqs;
    AuditQuery q;
    q.page.limit = 3;
    do {
        AuditPage p = store_->query_audit(q);
        for (const AuditRecord& r : p.records) seqs.push_back(r.seq);
        q.page.after = p.next_token;
    } while (!q.page.after.empty());
    ASSERT_EQ(seqs.size(), 4u);
    for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(seqs[i], all.records[i].seq);

    EXPECT_STORE_ERROR(store_->append_audit({.operation = "", .outcome = "OK"}), ErrorCode::INVALID_PARAMETER);
}

TEST_P(AuditTest, AuditOutlivesTheCollection) {
    store_->create_collection("c", "v1");
    store_->append_audit({.operation = "CreateCollection", .collection_id = "c", .outcome = "OK"});
    store_->delete_collection("c");
    EXPECT_EQ(store_->query_audit({.collection_id = "c"}).records.size(), 1u);
}

FACEGATE_STORE_BACKENDS(AuditTest);
FACEGATE_STORE_BACKENDS(IdempotencyTest);

} // namespace
} // namespace facegate
