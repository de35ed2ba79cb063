// SPDX-License-Identifier: MIT
// the verification sessions' contract (Store::create_session, get_session, update_session) on every backend
#include "store/store_test_util.h"

#include <atomic>
#include <thread>

namespace facegate {
namespace {

class SessionsTest : public test::StoreTest {
  protected:
    SessionRecord make(std::string id) const {
        SessionRecord s;
        s.session_id = std::move(id);
        s.owner = "fgk_abcdefghijkl";
        s.secret_sha256 = std::string(64, 'a');
        s.action = "verify";
        s.collection_id = "customers";
        s.external_id = "ana+1@example.com \xc3\xa9";
        s.return_url = "https://app.example/done";
        s.base_url = "https://id.example";
        s.options = R"({"disclosure":"flow","policy":{"minConfidence":90}})";
        s.created_ms = clock_.now->load();
        s.updated_ms = s.created_ms;
        s.expires_ms = s.created_ms + 600'000;
        return s;
    }
};

void expect_same(const SessionRecord& a, const SessionRecord& b) {
    EXPECT_EQ(a.session_id, b.session_id);
    EXPECT_EQ(a.owner, b.owner);
    EXPECT_EQ(a.secret_sha256, b.secret_sha256);
    EXPECT_EQ(a.action, b.action);
    EXPECT_EQ(a.collection_id, b.collection_id);
    EXPECT_EQ(a.external_id, b.external_id);
    EXPECT_EQ(a.return_url, b.return_url);
    EXPECT_EQ(a.base_url, b.base_url);
    EXPECT_EQ(a.options, b.options);
    EXPECT_EQ(a.status, b.status);
    EXPECT_EQ(a.attempts, b.attempts);
    EXPECT_EQ(a.created_ms, b.created_ms);
    EXPECT_EQ(a.updated_ms, b.updated_ms);
    EXPECT_EQ(a.expires_ms, b.expires_ms);
    EXPECT_EQ(a.result, b.result);
    EXPECT_EQ(a.public_result, b.public_result);
}

TEST_P(SessionsTest, CreateGetAndDurable) {
    SessionRecord s = make("fgs_1");
    store_->create_session(s);
    std::optional<SessionRecord> got = store_->get_session("fgs_1");
    ASSERT_TRUE(got);
    expect_same(*got, s);
    EXPECT_FALSE(store_->get_session("fgs_2"));
    EXPECT_STORE_ERROR(store_->create_session(s), ErrorCode::RESOURCE_ALREADY_EXISTS);

    // another process (or node) on the same database sees it; so does the store reopened
    std::optional<SessionRecord> other = another_store().get_session("fgs_1");
    ASSERT_TRUE(other);
    expect_same(*other, s);
    reopen();
    got = store_->get_session("fgs_1");
    ASSERT_TRUE(got);
    expect_same(*got, s);
}

TEST_P(SessionsTest, ValidationRefusesBeforeWriting) {
    auto refused = [&](auto change) {
        SessionRecord s = make("fgs_v");
        change(s);
        EXPECT_STORE_ERROR(store_->create_session(s), ErrorCode::INVALID_PARAMETER);
    };
    refused([](SessionRecord& s) { s.session_id = ""; });
    refused([](SessionRecord& s) { s.session_id = "bad id"; });
    refused([](SessionRecord& s) { s.session_id = std::string(65, 'a'); });
    refused([](SessionRecord& s) { s.owner = ""; });
    refused([](SessionRecord& s) { s.owner = "key\nid"; });
    refused([](SessionRecord& s) { s.secret_sha256 = "plain-secret"; });
    refused([](SessionRecord& s) { s.secret_sha256 = std::string(64, 'A'); });
    refused([](SessionRecord& s) { s.action = "erase"; });
    refused([](SessionRecord& s) { s.collection_id = "no spaces"; });
    refused([](SessionRecord& s) { s.external_id = ""; });
    refused([](SessionRecord& s) { s.external_id = std::string(256, 'x'); });
    refused([](SessionRecord& s) { s.return_url = std::string(kMaxSessionUrlBytes + 1, 'u'); });
    refused([](SessionRecord& s) { s.options = std::string(kMaxSessionOptionsBytes + 1, ' '); });
    refused([](SessionRecord& s) { s.expires_ms = s.created_ms; });
    refused([](SessionRecord& s) { s.result = std::string(kMaxSessionResultBytes + 1, ' '); });
    EXPECT_FALSE(store_->get_session("fgs_v"));
    EXPECT_STORE_ERROR(store_->get_session("no/such"), ErrorCode::INVALID_PARAMETER);

    store_->create_session(make("fgs_ok"));
    SessionRecord too_big = make("fgs_ok");
    too_big.public_result = std::string(kMaxSessionOptionsBytes + 1, ' ');
    EXPECT_STORE_ERROR(store_->update_session(too_big, SessionStatus::CREATED, 0), ErrorCode::INVALID_PARAMETER);
}

TEST_P(SessionsTest, UpdateIsACompareAndSetOnStatusAndAttempts) {
    SessionRecord s = make("fgs_cas");
    store_->create_session(s);

    SessionRecord claimed = s;
    claimed.status = SessionStatus::PROCESSING;
    claimed.attempts = 1;
    claimed.updated_ms = s.created_ms + 5;
    EXPECT_FALSE(store_->update_session(claimed, SessionStatus::CREATED, 1));    // wrong attempts
    EXPECT_FALSE(store_->update_session(claimed, SessionStatus::CANCELED, 0));   // wrong status
    SessionRecord absent = claimed;
    absent.session_id = "fgs_absent";
    EXPECT_FALSE(store_->update_session(absent, SessionStatus::CREATED, 0));
    expect_same(*store_->get_session("fgs_cas"), s); // none of those wrote anything

    EXPECT_TRUE(store_->update_session(claimed, SessionStatus::CREATED, 0));
    EXPECT_FALSE(store_->update_session(claimed, SessionStatus::CREATED, 0)); // the same claim twice: once only

    SessionRecord done = claimed;
    done.status = SessionStatus::COMPLETED;
    done.result = R"({"decision":"accepted"})";
    done.public_result = R"({"decision":"accepted","outcome":"accepted","advice":[]})";
    done.updated_ms = s.created_ms + 9;
    // only the state changes: the identity of the session is not the update's to change
    done.owner = "fgk_someoneelse0";
    done.external_id = "mallory";
    EXPECT_TRUE(store_->update_session(done, SessionStatus::PROCESSING, 1));
    SessionRecord got = *store_->get_session("fgs_cas");
    EXPECT_EQ(got.status, SessionStatus::COMPLETED);
    EXPECT_EQ(got.attempts, 1u);
    EXPECT_EQ(got.result, done.result);
    EXPECT_EQ(got.public_result, done.public_result);
    EXPECT_EQ(got.updated_ms, done.updated_ms);
    EXPECT_EQ(got.owner, s.owner);
    EXPECT_EQ(got.external_id, s.external_id);
}

TEST_P(SessionsTest, ConcurrentClaimsFromTwoStoresOnlyOneWins) {
    for (int round = 0; round < 5; ++round) {
        const std::string id = test::numbered("fgs_race", round);
        store_->create_session(make(id));
        Store& other = another_store();
        std::atomic<int> wins{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 8; ++t) {
            threads.emplace_back([&, t] {
                Store& s = t % 2 ? other : *store_;
                SessionRecord claim = make(id);
                claim.status = SessionStatus::PROCESSING;
                claim.attempts = 1;
                if (s.update_session(claim, SessionStatus::CREATED, 0)) ++wins;
            });
        }
        for (auto& t : threads) t.join();
        EXPECT_EQ(wins.load(), 1) << "round " << round;
    }
}

TEST_P(SessionsTest, PruneDropsSessionsLongExpired) {
    store_->create_session(make("fgs_old"));
    clock_.advance_ms(600'000 + kSessionRetentionMs - 1000);
    store_->create_session(make("fgs_new"));
    store_->prune();
    EXPECT_TRUE(store_->get_session("fgs_old")); // expired, but not yet for the retention
    clock_.advance_ms(2000);
    store_->prune();
    EXPECT_FALSE(store_->get_session("fgs_old"));
    EXPECT_TRUE(store_->get_session("fgs_new"));
}

FACEGATE_STORE_BACKENDS(SessionsTest);

} // namespace
} // namespace facegate
