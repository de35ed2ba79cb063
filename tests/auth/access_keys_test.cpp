// SPDX-License-Identifier: MIT
// the keys file and the store that follows it: create/list/revoke, file modes, concurrent writers
// (threads and processes), and a running store seeing new and revoked keys without a restart.
#include "auth/access_keys.h"
#include "auth/keys_command.h"
#include "auth/sigv4.h"
#include "common/error.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace facegate {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class TempDir {
  public:
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "facegate-auth-test-XXXXXX").string();
        if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    const fs::path& path() const { return path_; }

  private:
    fs::path path_;
};

// unsets the environment's key for the test, restoring it afterwards
class EnvKeyGuard {
  public:
    EnvKeyGuard() {
        for (auto name : {kAccessKeyIdEnv, kSecretAccessKeyEnv}) {
            const char* v = std::getenv(std::string(name).c_str());
            saved_.emplace_back(std::string(name), v ? std::optional<std::string>(v) : std::nullopt);
            ::unsetenv(std::string(name).c_str());
        }
    }
    ~EnvKeyGuard() {
        for (const auto& [name, value] : saved_) {
            if (value) ::setenv(name.c_str(), value->c_str(), 1);
            else ::unsetenv(name.c_str());
        }
    }

  private:
    std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

struct AccessKeys : ::testing::Test {
    TempDir dir;
    EnvKeyGuard env;
    fs::path data() const { return dir.path() / "data"; }
};

unsigned file_mode(const fs::path& path) {
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0) return 0xffff;
    return st.st_mode & 07777;
}

std::string read_text(const fs::path& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

ErrorCode code_of(auto&& call) {
    try {
        call();
    } catch (const Error& e) {
        return e.code();
    }
    ADD_FAILURE() << "no error";
    return ErrorCode::INTERNAL;
}

TEST_F(AccessKeys, CreateListRevoke) {
    EXPECT_TRUE(list_keys(data()).empty()); // no file, no directory yet
    AccessKey a = create_key(data());
    AccessKey b = create_key(data());
    EXPECT_NE(a.access_key_id, b.access_key_id);
    EXPECT_NE(a.secret_access_key, b.secret_access_key);
    EXPECT_EQ(a.status, AccessKeyStatus::ACTIVE);

    auto keys = list_keys(data());
    ASSERT_EQ(keys.size(), 2u);
    EXPECT_EQ(keys[0].access_key_id, a.access_key_id);
    EXPECT_EQ(keys[1].access_key_id, b.access_key_id);
    EXPECT_EQ(keys[0].status, AccessKeyStatus::ACTIVE);
    EXPECT_EQ(keys[0].created.size(), 20u) << keys[0].created; // 2026-11-23T10:15:00Z
    EXPECT_TRUE(keys[0].revoked.empty());

    revoke_key(data(), a.access_key_id);
    keys = list_keys(data());
    ASSERT_EQ(keys.size(), 2u);
    EXPECT_EQ(keys[0].status, AccessKeyStatus::INACTIVE);
    EXPECT_FALSE(keys[0].revoked.empty());
    EXPECT_EQ(keys[1].status, AccessKeyStatus::ACTIVE);

    revoke_key(data(), a.access_key_id); // again: nothing to do
    EXPECT_EQ(list_keys(data())[0].status, AccessKeyStatus::INACTIVE);
    EXPECT_EQ(code_of([&] { revoke_key(data(), "FGAKNOSUCHKEY2345678"); }), ErrorCode::RESOURCE_NOT_FOUND);
}

TEST_F(AccessKeys, KeyFormat) {
    std::set<std::string> ids;
    for (int i = 0; i < 20; ++i) {
        AccessKey key = create_key(data());
        EXPECT_TRUE(looks_like_access_key_id(key.access_key_id)) << key.access_key_id;
        EXPECT_TRUE(key.access_key_id.starts_with("FGAK"));
        ASSERT_EQ(key.secret_access_key.size(), 40u);
        for (char c : key.secret_access_key) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/');
        ids.insert(key.access_key_id);
    }
    EXPECT_EQ(ids.size(), 20u);
    EXPECT_TRUE(looks_like_access_key_id("AKIAIOSFODNN7EXAMPLE"));
    EXPECT_FALSE(looks_like_access_key_id("AKIAiosfodnn7EXAMPLE"));
    EXPECT_FALSE(looks_like_access_key_id("XXXXIOSFODNN7EXAMPLE"));
    EXPECT_FALSE(looks_like_access_key_id("FGAK123"));
}

TEST_F(AccessKeys, FilesAreOwnerOnlyWhateverTheUmask) {
    mode_t old = ::umask(0);
    create_key(data());
    ::umask(old);
    EXPECT_EQ(file_mode(access_keys_path(data())), 0600u);
    EXPECT_EQ(file_mode(data() / kAccessKeysLockName), 0600u);
    EXPECT_EQ(file_mode(data()), 0700u); // created by us
    // rewritten files keep the mode, also when someone loosened it
    fs::permissions(access_keys_path(data()), fs::perms(0644));
    create_key(data());
    EXPECT_EQ(file_mode(access_keys_path(data())), 0600u);
    // no temporary file left behind
    size_t entries = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator(data())) ++entries;
    EXPECT_EQ(entries, 2u);
}

TEST_F(AccessKeys, ListAndErrorsNeverShowSecrets) {
    AccessKey key = create_key(data());
    std::string listed = keys_list_command(data());
    EXPECT_EQ(listed.find(key.secret_access_key), std::string::npos);
    EXPECT_NE(listed.find(key.access_key_id), std::string::npos);

    // a file cut inside the secret: the parse error must not quote it
    std::string text = read_text(access_keys_path(data()));
    std::ofstream(access_keys_path(data()), std::ios::trunc) << text.substr(0, text.find(key.secret_access_key) + 30);
    try {
        list_keys(data());
        FAIL() << "parsed a truncated file";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::STORE_UNAVAILABLE);
        EXPECT_EQ(std::string(e.what()).find(key.secret_access_key.substr(0, 20)), std::string::npos) << e.what();
    }
}

TEST_F(AccessKeys, Commands) {
    auto created = nlohmann::json::parse(keys_create_command(data()));
    ASSERT_EQ(created.size(), 2u);
    std::string id = created.at("accessKeyId");
    EXPECT_EQ(created.at("secretAccessKey").get<std::string>().size(), 40u);

    auto listed = nlohmann::json::parse(keys_list_command(data()));
    ASSERT_EQ(listed.at("accessKeys").size(), 1u);
    EXPECT_EQ(listed["accessKeys"][0].at("accessKeyId"), id);
    EXPECT_EQ(listed["accessKeys"][0].at("status"), "Active");
    EXPECT_FALSE(listed["accessKeys"][0].contains("secretAccessKey"));

    auto revoked = nlohmann::json::parse(keys_revoke_command(data(), id));
    EXPECT_EQ(revoked.at("status"), "Inactive");
    listed = nlohmann::json::parse(keys_list_command(data()));
    EXPECT_EQ(listed["accessKeys"][0].at("status"), "Inactive");
    EXPECT_TRUE(listed["accessKeys"][0].contains("revoked"));
    EXPECT_EQ(code_of([&] { keys_revoke_command(data(), "nope"); }), ErrorCode::RESOURCE_NOT_FOUND);
}

TEST_F(AccessKeys, ConcurrentCreatesFromThreadsLoseNothing) {
    constexpr int kThreads = 8, kEach = 10;
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < kEach; ++i) {
                try {
                    create_key(data());
                } catch (...) {
                    ++failures;
                }
            }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(failures.load(), 0);
    auto keys = list_keys(data());
    EXPECT_EQ(keys.size(), size_t(kThreads * kEach));
    std::set<std::string> ids;
    for (const auto& k : keys) ids.insert(k.access_key_id);
    EXPECT_EQ(ids.size(), keys.size());
}

TEST_F(AccessKeys, ConcurrentCreatesAndRevokesFromProcessesLoseNothing) {
    constexpr int kProcesses = 4, kEach = 10;
    AccessKey victim = create_key(data());
    std::vector<pid_t> children;
    for (int p = 0; p < kProcesses; ++p) {
        pid_t pid = ::fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            int status = 0;
            try {
                for (int i = 0; i < kEach; ++i) create_key(data());
                if (p == 0) revoke_key(data(), victim.access_key_id);
            } catch (...) {
                status = 1;
            }
            ::_exit(status);
        }
        children.push_back(pid);
    }
    for (pid_t pid : children) {
        int status = 0;
        ASSERT_EQ(::waitpid(pid, &status, 0), pid);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    auto keys = list_keys(data());
    EXPECT_EQ(keys.size(), size_t(1 + kProcesses * kEach));
    EXPECT_EQ(keys[0].access_key_id, victim.access_key_id);
    EXPECT_EQ(keys[0].status, AccessKeyStatus::INACTIVE);
    EXPECT_EQ(file_mode(access_keys_path(data())), 0600u);
}

TEST_F(AccessKeys, EnsureInitialKey) {
    auto path = ensure_initial_key(data(), std::nullopt);
    ASSERT_TRUE(path);
    EXPECT_EQ(*path, access_keys_path(data()));
    EXPECT_EQ(file_mode(*path), 0600u);
    auto keys = list_keys(data());
    ASSERT_EQ(keys.size(), 1u);
    EXPECT_EQ(read_text(*path).find("secretAccessKey") != std::string::npos, true);

    EXPECT_FALSE(ensure_initial_key(data(), std::nullopt)); // already has an active key
    EXPECT_EQ(list_keys(data()).size(), 1u);

    revoke_key(data(), keys[0].access_key_id); // none active: a new one
    EXPECT_TRUE(ensure_initial_key(data(), std::nullopt));
    EXPECT_EQ(list_keys(data()).size(), 2u);
}

TEST_F(AccessKeys, NoInitialKeyWhenTheEnvironmentHasOne) {
    ::setenv(std::string(kAccessKeyIdEnv).c_str(), "AKIAENVKEY0000000000", 1);
    ::setenv(std::string(kSecretAccessKeyEnv).c_str(), "env-secret", 1);
    EXPECT_FALSE(ensure_initial_key(data()));
    EXPECT_FALSE(fs::exists(access_keys_path(data())));
}

TEST_F(AccessKeys, KeyFromEnvironment) {
    EXPECT_FALSE(access_key_from_env());
    ::setenv(std::string(kAccessKeyIdEnv).c_str(), "AKIAENVKEY0000000000", 1);
    EXPECT_EQ(code_of([] { access_key_from_env(); }), ErrorCode::INVALID_PARAMETER);
    ::setenv(std::string(kSecretAccessKeyEnv).c_str(), "env secret", 1);
    EXPECT_EQ(code_of([] { access_key_from_env(); }), ErrorCode::INVALID_PARAMETER);
    ::setenv(std::string(kSecretAccessKeyEnv).c_str(), "env-secret", 1);
    auto key = access_key_from_env();
    ASSERT_TRUE(key);
    EXPECT_EQ(key->access_key_id, "AKIAENVKEY0000000000");
    EXPECT_EQ(key->secret_access_key, "env-secret");

    AccessKeyStore store(data()); // picks it up
    EXPECT_EQ(store.secret_for("AKIAENVKEY0000000000"), "env-secret");
    EXPECT_EQ(store.active_key_count(), 1u);
    // the environment's key is not in the file, so it cannot be revoked there
    try {
        revoke_key(data(), "AKIAENVKEY0000000000");
        FAIL() << "revoked";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::RESOURCE_NOT_FOUND);
        EXPECT_NE(std::string(e.what()).find(kAccessKeyIdEnv), std::string::npos) << e.what();
    }
}

TEST_F(AccessKeys, StoreFollowsTheFileWithoutRestart) {
    AccessKey before = create_key(data());
    AccessKeyStore store(data(), std::nullopt, 0ms);
    EXPECT_EQ(store.secret_for(before.access_key_id), before.secret_access_key);
    EXPECT_FALSE(store.secret_for("FGAKNOSUCHKEY2345678"));

    AccessKey after = create_key(data());
    EXPECT_EQ(store.secret_for(after.access_key_id), after.secret_access_key);
    EXPECT_EQ(store.active_key_count(), 2u);

    revoke_key(data(), before.access_key_id);
    EXPECT_FALSE(store.secret_for(before.access_key_id));
    EXPECT_EQ(store.secret_for(after.access_key_id), after.secret_access_key);
    EXPECT_EQ(store.active_key_count(), 1u);
}

TEST_F(AccessKeys, StoreWithDefaultIntervalSeesChangesWithinIt) {
    AccessKeyStore store(data(), std::nullopt); // no file yet
    EXPECT_EQ(store.active_key_count(), 0u);
    AccessKey key = create_key(data());
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!store.secret_for(key.access_key_id) && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(20ms);
    EXPECT_EQ(store.secret_for(key.access_key_id), key.secret_access_key);

    auto revoked_at = std::chrono::steady_clock::now();
    revoke_key(data(), key.access_key_id);
    while (store.secret_for(key.access_key_id) && std::chrono::steady_clock::now() < revoked_at + 5s)
        std::this_thread::sleep_for(20ms);
    EXPECT_FALSE(store.secret_for(key.access_key_id));
    EXPECT_LT(std::chrono::steady_clock::now() - revoked_at, 1s); // within the 200 ms interval, with slack
}

TEST_F(AccessKeys, StoreFailsClosedOnABrokenFileAndRecovers) {
    AccessKey key = create_key(data());
    AccessKey extra{"AKIAEXTRAKEY00000000", "extra-secret", "", AccessKeyStatus::ACTIVE};
    AccessKeyStore store(data(), extra, 0ms);
    EXPECT_TRUE(store.secret_for(key.access_key_id));

    std::string good = read_text(access_keys_path(data()));
    std::ofstream(access_keys_path(data()), std::ios::trunc) << "{ not json";
    EXPECT_FALSE(store.secret_for(key.access_key_id));
    EXPECT_EQ(store.secret_for(extra.access_key_id), "extra-secret"); // the extra key still works

    std::ofstream(access_keys_path(data()), std::ios::trunc) << good;
    EXPECT_EQ(store.secret_for(key.access_key_id), key.secret_access_key);

    std::ofstream(access_keys_path(data()), std::ios::trunc) << "{ not json";
    EXPECT_EQ(code_of([&] { AccessKeyStore fresh(data(), std::nullopt); }), ErrorCode::STORE_UNAVAILABLE);
}

TEST_F(AccessKeys, StoreIsThreadSafeWhileKeysChange) {
    AccessKey first = create_key(data());
    AccessKeyStore store(data(), std::nullopt, 0ms);
    std::atomic<bool> stop{false};
    std::atomic<int> wrong{0};
    std::vector<std::thread> readers;
    for (int t = 0; t < 4; ++t)
        readers.emplace_back([&] {
            while (!stop) {
                auto secret = store.secret_for(first.access_key_id);
                if (!secret || *secret != first.secret_access_key) ++wrong;
            }
        });
    for (int i = 0; i < 20; ++i) create_key(data());
    stop = true;
    for (auto& t : readers) t.join();
    EXPECT_EQ(wrong.load(), 0);
    EXPECT_EQ(store.active_key_count(), 21u);
}

TEST_F(AccessKeys, VerifyWithTheStoreEndToEnd) {
    AccessKey key = create_key(data());
    AccessKeyStore store(data(), std::nullopt, 0ms);
    std::string body = "{}";
    HttpRequestView request{"POST", "/", "", {{"Host", "localhost:8080"}, {"X-Amz-Target", "RekognitionService.ListCollections"}}, body};
    auto now = std::chrono::system_clock::now();
    sign_request(request, {key.access_key_id, key.secret_access_key}, "us-east-1", now);
    EXPECT_EQ(verify_sigv4(request, store.lookup(), now).access_key_id, key.access_key_id);
    revoke_key(data(), key.access_key_id);
    EXPECT_EQ(code_of([&] { verify_sigv4(request, store.lookup(), now); }), ErrorCode::UNRECOGNIZED_CLIENT);
}

} // namespace
} // namespace facegate
