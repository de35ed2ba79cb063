// SPDX-License-Identifier: MIT
// the sessions' list and the webhooks' outbox (Store::list_sessions, update_session with deliveries,
// claim_deliveries, record_delivery, get_delivery, list_deliveries) on every backend
#include "store/store_test_util.h"

#include <atomic>
#include <set>
#include <thread>

namespace facegate {
namespace {

class OutboxTest : public test::StoreTest {
  protected:
    SessionRecord session(std::string id, std::string owner = "fgk_owner0000001", std::string action = "verify",
                          std::string collection = "customers") const {
        SessionRecord s;
        s.session_id = std::move(id);
        s.owner = std::move(owner);
        s.secret_sha256 = std::string(64, 'b');
        s.action = std::move(action);
        s.collection_id = std::move(collection);
        s.external_id = "ana@example.com";
        s.options = "{}";
        s.created_ms = clock_.now->load();
        s.updated_ms = s.created_ms;
        s.expires_ms = s.created_ms + 600'000;
        return s;
    }
    DeliveryRecord delivery(std::string id, std::string webhook = "fgw_one", std::string session_id = "fgs_a") const {
        DeliveryRecord d;
        d.delivery_id = std::move(id);
        d.webhook_id = std::move(webhook);
        d.event_id = "evt_1";
        d.event_type = "session.completed";
        d.session_id = std::move(session_id);
        d.body = R"({"id":"evt_1","type":"session.completed","data":{"externalId":"ana@example.com \u00e9"}})";
        d.created_ms = clock_.now->load();
        d.updated_ms = d.created_ms;
        d.next_attempt_ms = d.created_ms;
        d.give_up_ms = d.created_ms + 86'400'000;
        return d;
    }
    // completes a created session with `outbox`
    bool complete(Store& store, const SessionRecord& s, const std::vector<DeliveryRecord>& outbox) {
        SessionRecord done = s;
        done.status = SessionStatus::COMPLETED;
        done.result = R"({"decision":"accepted"})";
        return store.update_session(done, SessionStatus::CREATED, 0, outbox);
    }
};

std::vector<std::string> ids(const std::vector<SessionRecord>& sessions) {
    std::vector<std::string> out;
    for (const auto& s : sessions) out.push_back(s.session_id);
    return out;
}

std::vector<std::string> ids(const std::vector<DeliveryRecord>& deliveries) {
    std::vector<std::string> out;
    for (const auto& d : deliveries) out.push_back(d.delivery_id);
    return out;
}

TEST_P(OutboxTest, SessionsAreListedNewestFirstWithFiltersAndPages) {
    store_->create_session(session("fgs_1", "fgk_owner0000001", "register", "customers"));
    clock_.advance_ms(10);
    store_->create_session(session("fgs_2", "fgk_owner0000002", "verify", "customers"));
    clock_.advance_ms(10);
    store_->create_session(session("fgs_3", "fgk_owner0000001", "verify", "staff"));
    clock_.advance_ms(10);
    SessionRecord done = session("fgs_4");
    store_->create_session(done);
    ASSERT_TRUE(complete(*store_, done, {}));
    const std::int64_t now = clock_.now->load();

    EXPECT_EQ(ids(store_->list_sessions({})), (std::vector<std::string>{"fgs_4", "fgs_3", "fgs_2", "fgs_1"}));
    EXPECT_EQ(ids(store_->list_sessions({.owner = "fgk_owner0000001"})), (std::vector<std::string>{"fgs_4", "fgs_3", "fgs_1"}));
    EXPECT_EQ(ids(store_->list_sessions({.action = "register"})), (std::vector<std::string>{"fgs_1"}));
    EXPECT_EQ(ids(store_->list_sessions({.collection_id = "staff"})), (std::vector<std::string>{"fgs_3"}));
    EXPECT_EQ(ids(store_->list_sessions({.status = SessionStatus::COMPLETED})), (std::vector<std::string>{"fgs_4"}));
    // fgs_1 expires first: 600 s after its creation
    EXPECT_TRUE(store_->list_sessions({.status = SessionStatus::CREATED, .expired = true, .now_ms = now}).empty());
    EXPECT_EQ(ids(store_->list_sessions({.status = SessionStatus::CREATED, .expired = true, .now_ms = now + 600'000 - 30})),
              (std::vector<std::string>{"fgs_1"}));
    EXPECT_EQ(ids(store_->list_sessions({.status = SessionStatus::CREATED, .expired = false, .now_ms = now + 600'000 - 30})),
              (std::vector<std::string>{"fgs_3", "fgs_2"}));

    // pages of two: no session twice, none left out
    std::vector<std::string> seen;
    SessionQuery page{.limit = 2};
    for (int i = 0; i < 5; ++i) {
        auto got = store_->list_sessions(page);
        for (auto& s : got) seen.push_back(s.session_id);
        if (got.size() < 2) break;
        page.before = std::make_pair(got.back().created_ms, got.back().session_id);
    }
    EXPECT_EQ(seen, (std::vector<std::string>{"fgs_4", "fgs_3", "fgs_2", "fgs_1"}));

    EXPECT_STORE_ERROR(store_->list_sessions({.limit = 0}), ErrorCode::INVALID_PARAMETER);
    EXPECT_STORE_ERROR(store_->list_sessions({.action = "x' OR 1=1 --"}), ErrorCode::INVALID_PARAMETER);
    EXPECT_STORE_ERROR(store_->list_sessions({.collection_id = "bad id!"}), ErrorCode::INVALID_PARAMETER);
}

TEST_P(OutboxTest, DeliveriesAreWrittenWithTheCompletionOnly) {
    SessionRecord s = session("fgs_a");
    store_->create_session(s);
    // a failed compare-and-set writes no delivery either
    SessionRecord wrong = s;
    wrong.status = SessionStatus::COMPLETED;
    EXPECT_FALSE(store_->update_session(wrong, SessionStatus::PROCESSING, 0, {delivery("fgd_lost")}));
    EXPECT_FALSE(store_->get_delivery("fgd_lost"));

    ASSERT_TRUE(complete(*store_, s, {delivery("fgd_1"), delivery("fgd_2", "fgw_two")}));
    std::optional<DeliveryRecord> got = another_store().get_delivery("fgd_1");
    ASSERT_TRUE(got);
    EXPECT_EQ(got->body, delivery("fgd_1").body);
    EXPECT_EQ(got->status, DeliveryStatus::PENDING);
    EXPECT_EQ(got->session_id, "fgs_a");
    EXPECT_EQ(got->event_type, "session.completed");
    EXPECT_EQ(got->give_up_ms, delivery("fgd_1").give_up_ms);

    // an invalid delivery refuses the whole update before anything is written
    SessionRecord t = session("fgs_b");
    store_->create_session(t);
    DeliveryRecord too_big = delivery("fgd_big", "fgw_one", "fgs_b");
    too_big.body.assign(kMaxDeliveryBodyBytes + 1, 'x');
    EXPECT_STORE_ERROR(complete(*store_, t, {too_big}), ErrorCode::INVALID_PARAMETER);
    DeliveryRecord bad_id = delivery("fgd_'; DROP TABLE sessions; --", "fgw_one", "fgs_b");
    EXPECT_STORE_ERROR(complete(*store_, t, {bad_id}), ErrorCode::INVALID_PARAMETER);
    EXPECT_EQ(store_->get_session("fgs_b")->status, SessionStatus::CREATED);
}

TEST_P(OutboxTest, ClaimsLeaseDueDeliveriesToOneClaimerAtATime) {
    SessionRecord s = session("fgs_a");
    store_->create_session(s);
    std::vector<DeliveryRecord> outbox;
    for (int i = 0; i < 20; ++i) outbox.push_back(delivery(test::numbered("fgd_", i)));
    DeliveryRecord later = delivery("fgd_later");
    later.next_attempt_ms += 60'000;
    outbox.push_back(later);
    ASSERT_TRUE(complete(*store_, s, outbox));

    // two stores (two nodes), four threads each claiming: every due delivery exactly once
    const std::int64_t now = clock_.now->load();
    Store& other = another_store();
    std::mutex mutex;
    std::multiset<std::string> claimed;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            Store& store = t % 2 ? other : *store_;
            for (int round = 0; round < 10; ++round) {
                for (const DeliveryRecord& d : store.claim_deliveries(now, 30'000, 3)) {
                    std::lock_guard lock(mutex);
                    claimed.insert(d.delivery_id);
                }
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(claimed.size(), 20u);
    EXPECT_EQ(std::set<std::string>(claimed.begin(), claimed.end()).size(), 20u);
    EXPECT_EQ(claimed.count("fgd_later"), 0u);
    // leased: nothing due until the lease ends, then the unfinished ones again (a node died mid-POST)
    EXPECT_TRUE(store_->claim_deliveries(now + 29'000, 30'000, 100).empty());
    std::vector<DeliveryRecord> again = store_->claim_deliveries(now + 30'000, 30'000, 100);
    EXPECT_EQ(again.size(), 20u);
    for (DeliveryRecord& d : again) {
        d.status = DeliveryStatus::DELIVERED;
        EXPECT_TRUE(store_->record_delivery(d));
    }
    // delivered ones are never claimed again
    EXPECT_EQ(ids(store_->claim_deliveries(now + 60'000, 30'000, 100)), (std::vector<std::string>{"fgd_later"}));
}

TEST_P(OutboxTest, RecordedStatesAreListedAndFinishedOnesPruned) {
    SessionRecord s = session("fgs_a");
    store_->create_session(s);
    DeliveryRecord a = delivery("fgd_a");
    clock_.advance_ms(1);
    DeliveryRecord b = delivery("fgd_b", "fgw_two");
    clock_.advance_ms(1);
    DeliveryRecord c = delivery("fgd_c");
    ASSERT_TRUE(complete(*store_, s, {a, b, c}));

    a.status = DeliveryStatus::DELIVERED;
    a.attempts = 3;
    a.delivered_ms = a.created_ms + 5;
    a.updated_ms = a.delivered_ms;
    a.last_status_code = 204;
    EXPECT_TRUE(store_->record_delivery(a));
    b.status = DeliveryStatus::FAILED;
    b.attempts = 9;
    b.last_status_code = 500;
    b.last_error = "HTTP 500 \"boom\"\n";
    EXPECT_TRUE(store_->record_delivery(b));
    DeliveryRecord absent = delivery("fgd_absent");
    EXPECT_FALSE(store_->record_delivery(absent));
    DeliveryRecord long_error = c;
    long_error.last_error.assign(kMaxDeliveryErrorBytes + 1, 'e');
    EXPECT_STORE_ERROR(store_->record_delivery(long_error), ErrorCode::INVALID_PARAMETER);

    DeliveryRecord got = *store_->get_delivery("fgd_a");
    EXPECT_EQ(got.status, DeliveryStatus::DELIVERED);
    EXPECT_EQ(got.attempts, 3u);
    EXPECT_EQ(got.last_status_code, 204);
    EXPECT_EQ(got.delivered_ms, a.delivered_ms);
    EXPECT_EQ(store_->get_delivery("fgd_b")->last_error, b.last_error);

    EXPECT_EQ(ids(store_->list_deliveries({})), (std::vector<std::string>{"fgd_c", "fgd_b", "fgd_a"}));
    EXPECT_EQ(ids(store_->list_deliveries({.webhook_ids = {"fgw_one"}})), (std::vector<std::string>{"fgd_c", "fgd_a"}));
    EXPECT_EQ(ids(store_->list_deliveries({.webhook_ids = {"fgw_one", "fgw_two"}, .status = DeliveryStatus::FAILED})),
              (std::vector<std::string>{"fgd_b"}));
    EXPECT_TRUE(store_->list_deliveries({.webhook_ids = {"fgw_none"}}).empty());
    auto first = store_->list_deliveries({.limit = 2});
    ASSERT_EQ(first.size(), 2u);
    EXPECT_EQ(ids(store_->list_deliveries({.before = std::make_pair(first.back().created_ms, first.back().delivery_id)})),
              (std::vector<std::string>{"fgd_a"}));
    EXPECT_STORE_ERROR(store_->list_deliveries({.webhook_ids = {"fgw_'"}}), ErrorCode::INVALID_PARAMETER);

    // finished deliveries are kept kDeliveryRetentionMs after their last change; pending ones until finished
    clock_.advance_ms(kDeliveryRetentionMs + 10);
    store_->prune();
    EXPECT_FALSE(store_->get_delivery("fgd_a"));
    EXPECT_FALSE(store_->get_delivery("fgd_b"));
    EXPECT_TRUE(store_->get_delivery("fgd_c"));
}

FACEGATE_STORE_BACKENDS(OutboxTest);

} // namespace
} // namespace facegate
