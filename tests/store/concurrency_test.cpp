// SPDX-License-Identifier: MIT
#include "store/store_test_util.h"

#include <set>
#include <thread>

namespace facegate {
namespace {

class ConcurrencyTest : public test::StoreTest {
  protected:
    void SetUp() override {
        StoreTest::SetUp();
        store_->create_collection("c", "facegate-1");
    }
};

// every thread adds `images` images of 2 faces; returns all face ids and row ids reported
void add_concurrently(std::vector<Store*> stores, int threads_per_store, int images, std::vector<FaceRecord>& out) {
    std::mutex m;
    std::vector<std::thread> threads;
    std::atomic<int> errors{0};
    int t = 0;
    for (Store* store : stores)
        for (int i = 0; i < threads_per_store; ++i, ++t)
            threads.emplace_back([&, store, t] {
                for (int n = 0; n < images; ++n) {
                    try {
                        AddFacesResult r = store->add_faces("c", test::make_image(2, t * 1000 + n, test::numbered("t", t)));
                        std::lock_guard lock(m);
                        out.insert(out.end(), r.faces.begin(), r.faces.end());
                    } catch (const std::exception& e) {
                        ++errors;
                        ADD_FAILURE() << e.what();
                    }
                }
            });
    for (auto& th : threads) th.join();
    EXPECT_EQ(errors, 0);
}

void expect_exactly(Store& store, const std::vector<FaceRecord>& reported, std::size_t expected) {
    ASSERT_EQ(reported.size(), expected);
    std::set<std::string> ids;
    std::set<std::int64_t> rows;
    for (const FaceRecord& f : reported) {
        ids.insert(f.face_id);
        rows.insert(f.row_id);
    }
    EXPECT_EQ(ids.size(), expected);
    EXPECT_EQ(rows.size(), expected);
    EXPECT_EQ(store.describe_collection("c").face_count, expected);
    std::set<std::string> listed;
    PageRequest page{.after = "", .limit = 97};
    do {
        FacePage p = store.list_faces("c", {}, page);
        for (const FaceRecord& f : p.faces) EXPECT_TRUE(listed.insert(f.face_id).second);
        page.after = p.next_token;
    } while (!page.after.empty());
    EXPECT_EQ(listed, ids);
}

TEST_P(ConcurrencyTest, ManyThreadsWritingNothingLostNothingDuplicated) {
    std::vector<FaceRecord> reported;
    add_concurrently({store_.get()}, 8, 30, reported);
    expect_exactly(*store_, reported, 8 * 30 * 2);
    EXPECT_TRUE(check_integrity().empty());
}

TEST_P(ConcurrencyTest, TwoStoresOnOneFileLikeTwoProcesses) {
    // two store objects do not share their write mutex: they meet on SQLite's file lock and busy_timeout,
    // as the server and the CLI do, or on PostgreSQL's store-wide lock, as two nodes do
    Store& second = another_store();
    std::vector<FaceRecord> reported;
    add_concurrently({store_.get(), &second}, 3, 25, reported);
    expect_exactly(*store_, reported, 2 * 3 * 25 * 2);
    expect_exactly(second, reported, 2 * 3 * 25 * 2);
}

TEST_P(ConcurrencyTest, ReadersRunWhileWritersWrite) {
    std::atomic<bool> done{false};
    std::atomic<int> reads{0}, errors{0};
    std::vector<std::thread> readers;
    for (int i = 0; i < 3; ++i)
        readers.emplace_back([&] {
            std::size_t last = 0;
            while (!done) {
                try {
                    std::size_t n = store_->load_all_embeddings("c").faces.size();
                    EXPECT_EQ(n % 2, 0u); // never half an image
                    EXPECT_GE(n, last);   // never going back
                    last = n;
                    store_->list_faces("c", {}, {.after = "", .limit = 10});
                    ++reads;
                } catch (const std::exception& e) {
                    ++errors;
                    ADD_FAILURE() << e.what();
                }
            }
        });
    std::vector<FaceRecord> reported;
    add_concurrently({store_.get()}, 2, 40, reported);
    done = true;
    for (auto& t : readers) t.join();
    EXPECT_EQ(errors, 0);
    EXPECT_GT(reads, 0);
    expect_exactly(*store_, reported, 160);
}

TEST_P(ConcurrencyTest, ConcurrentCreateUserSucceedsOnce) {
    Store& second = another_store();
    std::atomic<int> created{0}, conflicts{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i)
        threads.emplace_back([&, i] {
            Store& s = i % 2 ? static_cast<Store&>(second) : *store_;
            try {
                s.create_user("c", "same");
                ++created;
            } catch (const Error& e) {
                if (e.code() == ErrorCode::CONFLICT) ++conflicts;
            }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(created, 1);
    EXPECT_EQ(conflicts, 7);
}

TEST_P(ConcurrencyTest, ConcurrentRetriesWithOneTokenRunOnce) {
    std::atomic<int> ran{0}, replayed{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 6; ++i)
        threads.emplace_back([&] {
            TokenRecord<UserRecord> token{"same-token", "same-hash", [](const UserRecord& u) { return u.user_id; }};
            try {
                store_->create_user("c", "u", &token);
                ++ran;
            } catch (const TokenReplayed& r) {
                EXPECT_EQ(r.entry().response, "u");
                ++replayed;
            }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(ran, 1);
    EXPECT_EQ(replayed, 5);
}

TEST_P(ConcurrencyTest, ConcurrentAssociationsRespectTheUserLimit) {
    std::vector<std::string> faces;
    for (int i = 0; i < 3; ++i)
        for (const FaceRecord& f : store_->add_faces("c", test::make_image(40, i)).faces) faces.push_back(f.face_id);
    store_->create_user("c", "u");
    std::atomic<std::size_t> associated{0}, limited{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 6; ++t)
        threads.emplace_back([&, t] {
            std::vector<std::string> mine(faces.begin() + t * 20, faces.begin() + (t + 1) * 20);
            AssociateFacesResult r = store_->associate_faces("c", "u", mine);
            associated += r.associated.size();
            for (const auto& u : r.unsuccessful)
                if (u.reason == FaceAssociationFailure::USER_FACE_LIMIT) ++limited;
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(associated, kMaxFacesPerUser);
    EXPECT_EQ(limited, 120 - kMaxFacesPerUser);
    EXPECT_EQ(store_->get_user("c", "u")->face_count, kMaxFacesPerUser);
}

TEST_P(ConcurrencyTest, APoolOfOneConnectionStillServesManyThreads) {
    Store& small = another_store(1);
    std::vector<FaceRecord> reported;
    std::atomic<bool> done{false};
    std::thread reader([&] {
        while (!done) small.describe_collection("c");
    });
    add_concurrently({&small}, 4, 10, reported);
    done = true;
    reader.join();
    expect_exactly(small, reported, 80);
}

FACEGATE_STORE_BACKENDS(ConcurrencyTest);

} // namespace
} // namespace facegate
