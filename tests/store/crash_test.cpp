// SPDX-License-Identifier: MIT
// Crash consistency: a child process writes a stream of add_faces transactions and reports each
// one through a pipe after its commit returned; the parent SIGKILLs it at a random moment, reopens
// the database and checks that it is sound and that every reported face is there.

#include "store/sqlite_db.h"

#include "store/store_test_util.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <random>
#include <sstream>
#include <thread>

namespace facegate {
namespace {

constexpr int kFacesPerImage = 3;

// runs in the child: never returns
[[noreturn]] void write_forever(const SqliteStoreOptions& options, int out_fd, int child_index) {
    try {
        SqliteStore store(options);
        std::vector<std::thread> threads;
        for (int t = 0; t < 2; ++t)
            threads.emplace_back([&, t] {
                for (int n = 0;; ++n) {
                    std::string external = test::numbered("c", child_index) + test::numbered("-t", t) + test::numbered("-", n);
                    AddFacesResult r = store.add_faces("c", test::make_image(kFacesPerImage, n, external));
                    // one write() of less than PIPE_BUF bytes: lines from the two threads never interleave
                    std::string line = external;
                    for (const FaceRecord& f : r.faces) line += " " + f.face_id;
                    line += "\n";
                    if (::write(out_fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) ::_exit(3);
                }
            });
        for (auto& t : threads) t.join();
    } catch (...) {
        ::_exit(2);
    }
    ::_exit(1);
}

struct Reported {
    std::map<std::string, std::vector<std::string>> images; // external id -> face ids
};

void crash_rounds(bool synchronous_full) {
    test::TempDir dir;
    SqliteStoreOptions options = test::options_for(dir.path());
    options.synchronous_full = synchronous_full;
    {
        SqliteStore store(options);
        store.create_collection("c", "v1");
    } // the parent holds no connection across fork()

    std::mt19937 rng(std::random_device{}());
    Reported all;
    for (int round = 0; round < 3; ++round) {
        int fds[2];
        ASSERT_EQ(::pipe(fds), 0);
        pid_t child = ::fork();
        ASSERT_GE(child, 0);
        if (child == 0) {
            ::close(fds[0]);
            write_forever(options, fds[1], round);
        }
        ::close(fds[1]);

        // wait for the first commit, then let it run for a random while and kill it
        std::string early;
        char c;
        while (::read(fds[0], &c, 1) == 1) {
            early.push_back(c);
            if (c == '\n') break;
        }
        ASSERT_FALSE(early.empty()) << "the child wrote nothing";
        std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 150)(rng)));
        ASSERT_EQ(::kill(child, SIGKILL), 0);
        int status = 0;
        ASSERT_EQ(::waitpid(child, &status, 0), child);
        EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "the child ended before the kill";

        // what is left in the pipe, after the first line we already took
        std::string rest;
        char chunk[4096];
        ssize_t n;
        while ((n = ::read(fds[0], chunk, sizeof chunk)) > 0) rest.append(chunk, static_cast<std::size_t>(n));
        ::close(fds[0]);
        std::string text = early + rest;
        std::size_t start = 0, end;
        int lines = 0;
        while ((end = text.find('\n', start)) != std::string::npos) {
            std::istringstream line(text.substr(start, end - start));
            std::string external, id;
            line >> external;
            while (line >> id) all.images[external].push_back(id);
            start = end + 1;
            ++lines;
        }
        EXPECT_GT(lines, 0);

        // reopen: sound, and every acknowledged face present
        {
            sqlite::Connection raw((options.data_dir / options.file_name).string(), false);
            EXPECT_EQ(raw.query_text("PRAGMA integrity_check"), "ok");
        }
        SqliteStore store(options);
        EXPECT_TRUE(store.check_integrity().empty());
        for (const auto& [external, ids] : all.images) {
            ASSERT_EQ(ids.size(), static_cast<std::size_t>(kFacesPerImage));
            std::vector<FaceRecord> found = store.get_faces("c", ids);
            EXPECT_EQ(found.size(), ids.size()) << "acknowledged image " << external << " lost";
        }
        // atomicity: every image is there whole or not at all; at most one unacknowledged image per thread
        std::map<std::string, int> per_image;
        PageRequest page{.after = "", .limit = 500};
        do {
            FacePage p = store.list_faces("c", {}, page);
            for (const FaceRecord& f : p.faces) ++per_image[f.external_image_id.value_or("")];
            page.after = p.next_token;
        } while (!page.after.empty());
        int unacknowledged = 0;
        for (const auto& [external, count] : per_image) {
            EXPECT_EQ(count, kFacesPerImage) << external;
            if (!all.images.count(external)) ++unacknowledged;
        }
        EXPECT_LE(unacknowledged, 2 * (round + 1));
        EXPECT_EQ(store.describe_collection("c").face_count, per_image.size() * kFacesPerImage);
    }
}

TEST(CrashConsistency, KilledWriterLosesNoAcknowledgedFaceWithSynchronousFull) { crash_rounds(true); }

TEST(CrashConsistency, KilledWriterLosesNoAcknowledgedFaceWithSynchronousNormal) { crash_rounds(false); }

} // namespace
} // namespace facegate
