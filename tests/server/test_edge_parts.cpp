// SPDX-License-Identifier: MIT
// the HTTP edge's parts that need no socket: multipart bodies, path patterns, query parameters,
// log fields, the closed metric labels, the work queue's admission control and the memory budget.
#include "common/error.h"
#include "core/image_decoder.h"
#include "core/memory_budget.h"
#include "server/http_message.h"
#include "server/log_field.h"
#include "server/metrics.h"
#include "server/multipart.h"
#include "server/router.h"
#include "server/work_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

using namespace facegate;
using namespace std::chrono_literals;

namespace {

ErrorCode code_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.code();
    }
    ADD_FAILURE() << "no facegate::Error thrown";
    return ErrorCode::INTERNAL;
}

} // namespace

TEST(Multipart, ReadsFieldsAndFilesAsCurlSendsThem) {
    const std::string file("\xff\xd8\r\n--X\r\n\0\xff\xd9", 11); // a boundary-like line and a NUL inside
    std::string body =
        "--XyZ\r\nContent-Disposition: form-data; name=\"collectionId\"\r\n\r\ncustomers\r\n"
        "--XyZ\r\nContent-Disposition: form-data; name=\"selfie\"; filename=\"me.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n" +
        file + "\r\n--XyZ--\r\n";
    auto boundary = multipart_boundary("multipart/form-data; boundary=XyZ");
    ASSERT_TRUE(boundary);
    auto parts = parse_multipart(body, *boundary);
    ASSERT_EQ(parts.size(), 2u);
    EXPECT_EQ(parts[0].name, "collectionId");
    EXPECT_EQ(parts[0].content, "customers");
    EXPECT_FALSE(parts[0].filename);
    EXPECT_EQ(parts[1].name, "selfie");
    EXPECT_EQ(parts[1].filename.value_or(""), "me.jpg");
    EXPECT_EQ(parts[1].content, file);
}

TEST(Multipart, QuotedBoundaryAndOtherTypes) {
    EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=\"a b\"").value_or(""), "a b");
    EXPECT_EQ(multipart_boundary("MULTIPART/FORM-DATA;boundary=q").value_or(""), "q");
    EXPECT_FALSE(multipart_boundary("application/json"));
    EXPECT_FALSE(multipart_boundary("multipart/form-data"));
    EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary=" + std::string(71, 'b')));
}

TEST(Multipart, MalformedBodiesAreSerializationErrors) {
    for (std::string body : {std::string(""), std::string("x"), std::string("--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end"),
                             std::string("--b\r\nContent-Disposition: form-data\r\n\r\nv\r\n--b--"),
                             std::string("--b\r\nContent-Disposition: form-data; name=\"a\"\r\nno blank line"),
                             std::string("--bjunk")}) {
        EXPECT_EQ(code_of([&] { parse_multipart(body, "b"); }), ErrorCode::SERIALIZATION) << body;
    }
    EXPECT_TRUE(parse_multipart("--b--\r\n", "b").empty());
}

TEST(Router, PatternsCaptureSegmentsAndTheRest) {
    Router router;
    for (const char* pattern : {"/", "/v1/collections/*/users", "/v1/collections/*/users/**", "/js/*"}) {
        Route route;
        route.method = "GET";
        route.pattern = pattern;
        router.add(route);
    }
    std::vector<std::string> m;
    ASSERT_TRUE(router.match("GET", "/v1/collections/c1/users", m));
    EXPECT_EQ(m, std::vector<std::string>{"c1"});
    const Route* user = router.match("GET", "/v1/collections/c1/users/a/b c", m);
    ASSERT_TRUE(user);
    EXPECT_EQ(user->pattern, "/v1/collections/*/users/**");
    EXPECT_EQ(m, (std::vector<std::string>{"c1", "a/b c"}));
    EXPECT_TRUE(router.match("HEAD", "/js/app.js", m)); // HEAD is answered as GET
    EXPECT_FALSE(router.match("GET", "/js/../x", m));   // one segment only
    EXPECT_FALSE(router.match("GET", "/js/", m));
    EXPECT_FALSE(router.match("GET", "/v1/collections//users", m));
    EXPECT_FALSE(router.match("POST", "/", m));
    EXPECT_TRUE(router.path_known("/"));
    EXPECT_FALSE(router.path_known("/nope"));
    // linear time on a long hostile path
    EXPECT_FALSE(router.match("GET", "/v1/collections/" + std::string(16000, 'a'), m));
}

TEST(HttpMessage, QueryAndPercentDecoding) {
    HttpRequest req;
    req.target = "/v1/audit?collectionId=a%2Fb&externalId=ana+lee%40x&empty=&limit=5";
    EXPECT_EQ(req.wire_path(), "/v1/audit");
    EXPECT_EQ(req.query_param("collectionId").value_or(""), "a/b");
    EXPECT_EQ(req.query_param("externalId").value_or(""), "ana lee@x");
    EXPECT_FALSE(req.query_param("empty"));
    EXPECT_FALSE(req.query_param("missing"));
    EXPECT_EQ(percent_decode("%41%2f").value_or(""), "A/");
    EXPECT_FALSE(percent_decode("%4"));
    EXPECT_FALSE(percent_decode("%zz"));
    req.headers = {{"content-TYPE", "a"}, {"Content-Type", "b"}};
    EXPECT_EQ(req.header_value("Content-Type"), "a");
    HttpResponse res;
    res.set_header("X-A", "1");
    res.set_header("x-a", "2");
    EXPECT_EQ(res.headers.size(), 1u);
    EXPECT_EQ(res.header("X-A").value_or(""), "2");
}

TEST(LogField, EscapesControlCharactersAndCapsLength) {
    EXPECT_EQ(log_field("IndexFaces"), "IndexFaces");
    EXPECT_EQ(log_field("a\nb\r\x1b[31m\"\\"), "a\\x0ab\\x0d\\x1b[31m\\x22\\x5c");
    EXPECT_EQ(log_field("\xc3\xa9"), "\\xc3\\xa9");
    std::string long_text(10000, 'x');
    EXPECT_EQ(log_field(long_text, 16), std::string(16, 'x') + "...");
}

TEST(Metrics, LabelsComeFromTheClosedSetOnly) {
    Metrics metrics({"DetectFaces"});
    metrics.observe("DetectFaces", 200, 0.01);
    for (int i = 0; i < 1000; ++i) metrics.observe("Bogus" + std::to_string(i) + "\"\n", 400 + i, 0.001);
    std::string text = metrics.render({}, {{"facegate_x", "An x.", "gauge", 3}});
    EXPECT_EQ(text.find("Bogus"), std::string::npos);
    EXPECT_NE(text.find("operation=\"unknown\""), std::string::npos);
    EXPECT_NE(text.find("facegate_requests_total{operation=\"DetectFaces\",status=\"200\"} 1"), std::string::npos);
    EXPECT_NE(text.find("facegate_x 3"), std::string::npos);
    EXPECT_LT(text.size(), 16u * 1024); // 1000 bogus requests: at most 500 status series of one label
}

TEST(WorkQueue, RunsJobsOnItsThreads) {
    WorkQueue queue({"t", 2, 16, 2000ms});
    std::atomic<int> ran{0};
    std::vector<std::promise<void>> done(8);
    for (auto& d : done) {
        ASSERT_TRUE(queue.submit([&ran, &d](bool expired) {
                             EXPECT_FALSE(expired);
                             ++ran;
                             d.set_value();
                         }).admitted);
    }
    for (auto& d : done) d.get_future().wait();
    EXPECT_EQ(ran, 8);
    queue.stop();
    EXPECT_FALSE(queue.submit([](bool) {}).admitted); // stopped: refused
}

TEST(WorkQueue, RefusesWhenTheQueueIsFull) {
    WorkQueue queue({"t", 1, 2, 0ms}); // no timeout: only the bound
    std::promise<void> release;
    auto gate = release.get_future().share();
    std::atomic<int> ran{0};
    auto job = [&ran, gate](bool) {
        gate.wait();
        ++ran;
    };
    ASSERT_TRUE(queue.submit(job).admitted);
    // let the worker take the first job, so the next two wait in the queue
    while (queue.stats().running == 0) std::this_thread::sleep_for(1ms);
    EXPECT_TRUE(queue.submit(job).admitted);
    EXPECT_TRUE(queue.submit(job).admitted);
    EXPECT_FALSE(queue.would_admit().admitted); // what the edge asks on the headers
    auto refused = queue.submit(job);
    EXPECT_FALSE(refused.admitted);
    EXPECT_STREQ(refused.reason, "queue full");
    EXPECT_GE(refused.retry_after.count(), 1);
    release.set_value();
    queue.stop();
    EXPECT_EQ(ran, 3);
    EXPECT_EQ(queue.stats().refused, 2u);
}

TEST(WorkQueue, ShedsJobsThatWaitPastTheTimeoutAndRefusesLongExpectedWaits) {
    WorkQueue queue({"t", 1, 64, 100ms, 10ms});
    std::promise<void> release;
    auto gate = release.get_future().share();
    ASSERT_TRUE(queue.submit([gate](bool) { gate.wait(); }).admitted);
    while (queue.stats().running == 0) std::this_thread::sleep_for(1ms);
    std::promise<bool> expired_flag;
    ASSERT_TRUE(queue.submit([&expired_flag](bool expired) { expired_flag.set_value(expired); }).admitted);
    // the sweeper sheds it at its deadline although the worker is still busy
    auto future = expired_flag.get_future();
    EXPECT_TRUE(future.get());
    EXPECT_EQ(queue.stats().expired, 1u);
    release.set_value();
    queue.stop();

    // once jobs are measured slow, a deep queue is refused up front rather than admitted to expire
    WorkQueue slow({"slow", 1, 64, 100ms, 10ms});
    for (int i = 0; i < 3; ++i) {
        std::promise<void> done;
        slow.submit([&done](bool) {
            std::this_thread::sleep_for(60ms);
            done.set_value();
        });
        done.get_future().wait();
    }
    std::promise<void> hold;
    auto held = hold.get_future().share();
    slow.submit([held](bool) { held.wait(); });
    while (slow.stats().running == 0) std::this_thread::sleep_for(1ms);
    int refused = 0;
    for (int i = 0; i < 10; ++i) {
        if (!slow.submit([](bool) {}).admitted) ++refused;
    }
    EXPECT_GT(refused, 0);
    hold.set_value();
    slow.stop();
}

TEST(MemoryBudget, ReservesWaitsAndRefuses) {
    MemoryBudget budget(100);
    auto a = budget.reserve(60, 0ms);
    EXPECT_EQ(budget.in_use(), 60u);
    EXPECT_EQ(code_of([&] { budget.reserve(101, 0ms); }), ErrorCode::IMAGE_TOO_LARGE); // could never fit
    EXPECT_EQ(code_of([&] { budget.reserve(50, 20ms); }), ErrorCode::OVERLOADED);     // does not fit now
    auto waiter = std::async(std::launch::async, [&] { return budget.reserve(50, 5000ms); });
    std::this_thread::sleep_for(20ms);
    a.reset(); // releasing lets the waiter in
    auto b = waiter.get();
    EXPECT_EQ(budget.in_use(), 50u);
    b.reset();
    EXPECT_EQ(budget.in_use(), 0u);
    EXPECT_EQ(budget.peak(), 60u);
}

TEST(MemoryBudget, DecodeReservesItsPeakEstimateFromTheHeader) {
    // a 4000x4000 PNG header claims 16 MP: the estimate (two 8-bit BGR copies + codec) exceeds a 64 MB budget
    ImageHeader header{ImageFormat::PNG, 4000, 4000, true};
    EXPECT_GT(decode_peak_bytes(header, 1), size_t(64) << 20);
    EXPECT_LT(decode_peak_bytes(header, 4), decode_peak_bytes(header, 1) / 4); // a JPEG decoded at 1/4 scale
}
