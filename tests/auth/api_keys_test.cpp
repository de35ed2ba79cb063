// SPDX-License-Identifier: MIT
// API keys: the file (hashes only, mode 0600, concurrent writers), the key format, the `keys` commands for
// both kinds, and the ApiKeyStore: bearer tokens checked by a constant-time hash compare, following the
// file without a restart while other threads create and revoke keys.
#include "auth/api_keys.h"
#include "auth/keys_command.h"
#include "common/error.h"
#include "common/sha256.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdlib>
#include <dlfcn.h>
#include <fstream>
#include <set>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

// counts calls of OpenSSL's CRYPTO_memcmp made from this program (the static facegate_auth included) by
// interposing it, so a test can tell that a key's hash was compared with it and not with ==.
namespace {
std::atomic<long> g_memcmp_calls{0};
std::atomic<size_t> g_memcmp_last_length{0};
} // namespace

extern "C" int CRYPTO_memcmp(const void* a, const void* b, size_t length) {
    using Real = int (*)(const void*, const void*, size_t);
    static Real real = reinterpret_cast<Real>(::dlsym(RTLD_NEXT, "CRYPTO_memcmp"));
    if (!real) std::abort(); // libcrypto is linked: cannot happen
    ++g_memcmp_calls;
    g_memcmp_last_length = length;
    return real(a, b, length);
}

namespace facegate {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class TempDir {
  public:
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "facegate-api-keys-test-XXXXXX").string();
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

struct ApiKeys : ::testing::Test {
    TempDir dir;
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

// the key with character `i` replaced by another of the same alphabet, so it stays well formed
std::string flipped(std::string key, size_t i) {
    char& c = key[i];
    if (i < 4) c = c == 'f' ? 'g' : c == 'g' ? 'h' : 'l'; // the prefix: any change makes it malformed
    else if (i == 16) c = '-';
    else if (c == 'a') c = 'b';
    else if (c == '2') c = '3';
    else if (c == 'A') c = 'B';
    else if (c == '-') c = '_';
    else c = (i < 16) ? 'a' : 'A';
    return key;
}

TEST(ApiKeyScopes, NamesAndParsing) {
    EXPECT_EQ(api_key_scope_name(ApiKeyScope::FLOWS), "flows");
    EXPECT_EQ(api_key_scope_name(ApiKeyScope::ADMIN), "admin");
    EXPECT_EQ(parse_api_key_scope("flows"), ApiKeyScope::FLOWS);
    EXPECT_EQ(parse_api_key_scope("admin"), ApiKeyScope::ADMIN);
    for (std::string_view bad : {"", "Admin", "FLOWS", "root", "flows "})
        EXPECT_EQ(code_of([&] { parse_api_key_scope(bad); }), ErrorCode::INVALID_PARAMETER) << bad;
    EXPECT_TRUE(api_key_scope_allows(ApiKeyScope::FLOWS, ApiKeyScope::FLOWS));
    EXPECT_FALSE(api_key_scope_allows(ApiKeyScope::FLOWS, ApiKeyScope::ADMIN));
    EXPECT_TRUE(api_key_scope_allows(ApiKeyScope::ADMIN, ApiKeyScope::FLOWS));
    EXPECT_TRUE(api_key_scope_allows(ApiKeyScope::ADMIN, ApiKeyScope::ADMIN));
}

TEST(ApiKeyBearer, TokenOfAuthorizationHeader) {
    EXPECT_EQ(bearer_token_of("Bearer abc"), "abc");
    EXPECT_EQ(bearer_token_of("bearer  abc "), "abc");
    EXPECT_EQ(bearer_token_of("BEARER\tabc"), std::nullopt); // the scheme is followed by a space
    EXPECT_EQ(bearer_token_of("Basic abc"), std::nullopt);
    EXPECT_EQ(bearer_token_of("BearerX abc"), std::nullopt);
    EXPECT_EQ(bearer_token_of("Bearer"), std::nullopt);
    EXPECT_EQ(bearer_token_of("Bearer  "), std::nullopt);
    EXPECT_EQ(bearer_token_of("Bearer a b"), std::nullopt);
    EXPECT_EQ(bearer_token_of(""), std::nullopt);
}

TEST_F(ApiKeys, CreateListRevoke) {
    EXPECT_TRUE(list_api_keys(data()).empty()); // no file, no directory yet
    NewApiKey a = create_api_key(data(), ApiKeyScope::FLOWS);
    NewApiKey b = create_api_key(data(), ApiKeyScope::ADMIN);
    EXPECT_NE(a.id, b.id);
    EXPECT_NE(a.api_key, b.api_key);
    EXPECT_EQ(a.scope, ApiKeyScope::FLOWS);
    EXPECT_EQ(b.scope, ApiKeyScope::ADMIN);

    auto keys = list_api_keys(data());
    ASSERT_EQ(keys.size(), 2u);
    EXPECT_EQ(keys[0].id, a.id);
    EXPECT_EQ(keys[0].scope, ApiKeyScope::FLOWS);
    EXPECT_EQ(keys[1].id, b.id);
    EXPECT_EQ(keys[1].scope, ApiKeyScope::ADMIN);
    EXPECT_EQ(keys[0].status, KeyStatus::ACTIVE);
    EXPECT_EQ(keys[0].created.size(), 20u) << keys[0].created;
    EXPECT_TRUE(keys[0].revoked.empty());

    revoke_api_key(data(), a.id);
    keys = list_api_keys(data());
    EXPECT_EQ(keys[0].status, KeyStatus::INACTIVE);
    EXPECT_EQ(keys[0].revoked.size(), 20u);
    EXPECT_EQ(keys[1].status, KeyStatus::ACTIVE);
    std::string revoked_at = keys[0].revoked;
    revoke_api_key(data(), a.id); // again: nothing to do
    EXPECT_EQ(list_api_keys(data())[0].revoked, revoked_at);
    EXPECT_EQ(code_of([&] { revoke_api_key(data(), "fgk_nosuchkey234"); }), ErrorCode::RESOURCE_NOT_FOUND);
}

TEST_F(ApiKeys, KeyFormat) {
    std::set<std::string> ids, keys;
    for (int i = 0; i < 20; ++i) {
        NewApiKey key = create_api_key(data(), ApiKeyScope::FLOWS);
        EXPECT_TRUE(looks_like_api_key_id(key.id)) << key.id;
        ASSERT_EQ(key.api_key.size(), 60u) << key.api_key;
        EXPECT_TRUE(key.api_key.starts_with(key.id + "_")); // the id is the visible prefix
        for (char c : key.api_key.substr(17))
            EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << key.api_key;
        ids.insert(key.id);
        keys.insert(key.api_key);
    }
    EXPECT_EQ(ids.size(), 20u);
    EXPECT_EQ(keys.size(), 20u);
    EXPECT_TRUE(looks_like_api_key_id("fgk_abcdefghij27"));
    EXPECT_FALSE(looks_like_api_key_id("fgk_ABCDEFGHIJ27")); // upper case
    EXPECT_FALSE(looks_like_api_key_id("fgk_abcdefghij18")); // not base32
    EXPECT_FALSE(looks_like_api_key_id("fgk_abcdefghij2"));
    EXPECT_FALSE(looks_like_api_key_id("FGAKABCDEFGHIJKLMNOP"));
}

TEST_F(ApiKeys, FileHoldsOnlyHashes) {
    NewApiKey key = create_api_key(data(), ApiKeyScope::ADMIN);
    std::string text = read_text(api_keys_path(data()));
    EXPECT_EQ(text.find(key.api_key.substr(17)), std::string::npos) << "the secret part is in the file";
    auto doc = nlohmann::json::parse(text);
    ASSERT_EQ(doc.at("apiKeys").size(), 1u);
    const auto& entry = doc["apiKeys"][0];
    EXPECT_EQ(entry.at("id"), key.id);
    EXPECT_EQ(entry.at("sha256"), sha256_hex(key.api_key));
    EXPECT_EQ(entry.at("scope"), "admin");
    EXPECT_EQ(entry.at("status"), "Active");
}

TEST_F(ApiKeys, FilesAreOwnerOnlyWhateverTheUmask) {
    mode_t old = ::umask(0);
    create_api_key(data(), ApiKeyScope::FLOWS);
    ::umask(old);
    EXPECT_EQ(file_mode(api_keys_path(data())), 0600u);
    EXPECT_EQ(file_mode(data() / kApiKeysLockName), 0600u);
    EXPECT_EQ(file_mode(data()), 0700u);
    fs::permissions(api_keys_path(data()), fs::perms(0644));
    NewApiKey second = create_api_key(data(), ApiKeyScope::FLOWS);
    EXPECT_EQ(file_mode(api_keys_path(data())), 0600u);
    revoke_api_key(data(), second.id);
    EXPECT_EQ(file_mode(api_keys_path(data())), 0600u);
    std::set<std::string> entries; // no temporary file left behind
    for (const auto& entry : fs::directory_iterator(data())) entries.insert(entry.path().filename().string());
    EXPECT_EQ(entries, (std::set<std::string>{"api-keys.json", "api-keys.lock"}));
}

TEST_F(ApiKeys, AuthenticateAcceptsOnlyTheExactActiveKey) {
    NewApiKey flows = create_api_key(data(), ApiKeyScope::FLOWS);
    NewApiKey admin = create_api_key(data(), ApiKeyScope::ADMIN);
    ApiKeyStore store(data(), 0ms);
    EXPECT_EQ(store.authenticate(flows.api_key), (ApiKeyIdentity{flows.id, ApiKeyScope::FLOWS}));
    EXPECT_EQ(store.authenticate(admin.api_key), (ApiKeyIdentity{admin.id, ApiKeyScope::ADMIN}));
    EXPECT_EQ(store.active_key_count(), 2u);

    // every single changed character, in the id and in the secret, is refused
    for (size_t i = 0; i < flows.api_key.size(); ++i) {
        std::string bad = flipped(flows.api_key, i);
        ASSERT_NE(bad, flows.api_key) << i;
        EXPECT_EQ(store.authenticate(bad), std::nullopt) << "position " << i << ": " << bad;
    }
    // one key's id with another's secret
    EXPECT_EQ(store.authenticate(flows.id + admin.api_key.substr(16)), std::nullopt);
    // malformed
    for (std::string bad : {std::string(), flows.id, flows.api_key.substr(0, 59), flows.api_key + "A",
                            " " + flows.api_key, flows.api_key + " ", "Bearer " + flows.api_key,
                            std::string(60, 'a'), flows.api_key.substr(0, 59) + "="})
        EXPECT_EQ(store.authenticate(bad), std::nullopt) << bad;
    std::string with_nul = flows.api_key;
    with_nul[30] = '\0';
    EXPECT_EQ(store.authenticate(with_nul), std::nullopt);
}

TEST_F(ApiKeys, HashesAreComparedInConstantTime) {
    NewApiKey key = create_api_key(data(), ApiKeyScope::FLOWS);
    ApiKeyStore store(data(), 0ms);

    long before = g_memcmp_calls;
    ASSERT_TRUE(store.authenticate(key.api_key));
    EXPECT_GT(g_memcmp_calls.load(), before) << "a valid key was accepted without CRYPTO_memcmp";
    EXPECT_EQ(g_memcmp_last_length.load(), 64u); // the whole hex digest, whatever its content

    // a wrong secret of a known id: CRYPTO_memcmp is what refuses it
    before = g_memcmp_calls;
    ASSERT_FALSE(store.authenticate(flipped(key.api_key, 40)));
    EXPECT_GT(g_memcmp_calls.load(), before) << "a wrong secret was refused without CRYPTO_memcmp";
    EXPECT_EQ(g_memcmp_last_length.load(), 64u);
}

TEST_F(ApiKeys, StoreFollowsTheFileWithoutRestart) {
    ApiKeyStore store(data(), 0ms); // no file yet
    EXPECT_EQ(store.active_key_count(), 0u);
    NewApiKey a = create_api_key(data(), ApiKeyScope::FLOWS);
    EXPECT_TRUE(store.authenticate(a.api_key));
    NewApiKey b = create_api_key(data(), ApiKeyScope::ADMIN);
    EXPECT_EQ(store.authenticate(b.api_key), (ApiKeyIdentity{b.id, ApiKeyScope::ADMIN}));
    revoke_api_key(data(), a.id);
    EXPECT_FALSE(store.authenticate(a.api_key));
    EXPECT_TRUE(store.authenticate(b.api_key));
    EXPECT_EQ(store.active_key_count(), 1u);
}

// a flow creates a key with the CLI and uses it at once: an unknown id makes the store look at the
// file now, whatever the recheck interval
TEST_F(ApiKeys, KeyCreatedJustNowWorksAtOnce) {
    create_api_key(data(), ApiKeyScope::FLOWS);
    ApiKeyStore store(data(), std::chrono::hours(1));
    NewApiKey fresh = create_api_key(data(), ApiKeyScope::ADMIN);
    EXPECT_EQ(store.authenticate(fresh.api_key), (ApiKeyIdentity{fresh.id, ApiKeyScope::ADMIN}));
}

TEST_F(ApiKeys, RevokedKeyStopsWorkingWithinTheRecheckInterval) {
    NewApiKey key = create_api_key(data(), ApiKeyScope::FLOWS);
    ApiKeyStore store(data()); // the default 200 ms
    ASSERT_TRUE(store.authenticate(key.api_key));

    auto revoked_at = std::chrono::steady_clock::now();
    revoke_api_key(data(), key.api_key.substr(0, 16));
    while (store.authenticate(key.api_key) && std::chrono::steady_clock::now() < revoked_at + 5s)
        std::this_thread::sleep_for(10ms);
    auto took = std::chrono::steady_clock::now() - revoked_at;
    EXPECT_FALSE(store.authenticate(key.api_key));
    EXPECT_LT(took, 600ms) << "the interval is 200 ms"; // slack for a loaded machine

    // and a new key starts working within it too, without a restart
    NewApiKey fresh = create_api_key(data(), ApiKeyScope::ADMIN);
    auto created_at = std::chrono::steady_clock::now();
    while (!store.authenticate(fresh.api_key) && std::chrono::steady_clock::now() < created_at + 5s)
        std::this_thread::sleep_for(10ms);
    EXPECT_TRUE(store.authenticate(fresh.api_key));
    EXPECT_LT(std::chrono::steady_clock::now() - created_at, 600ms);
}

TEST_F(ApiKeys, StoreFailsClosedOnABrokenFileAndRecovers) {
    NewApiKey key = create_api_key(data(), ApiKeyScope::FLOWS);
    ApiKeyStore store(data(), 0ms);
    ASSERT_TRUE(store.authenticate(key.api_key));

    std::string good = read_text(api_keys_path(data()));
    std::ofstream(api_keys_path(data()), std::ios::trunc) << "{ not json";
    EXPECT_FALSE(store.authenticate(key.api_key));
    std::ofstream(api_keys_path(data()), std::ios::trunc) << good;
    EXPECT_TRUE(store.authenticate(key.api_key));

    // a hash of the wrong length would make the constant-time compare read past it: the file is refused
    auto doc = nlohmann::json::parse(good);
    doc["apiKeys"][0]["sha256"] = "abc";
    std::ofstream(api_keys_path(data()), std::ios::trunc) << doc.dump();
    EXPECT_FALSE(store.authenticate(key.api_key));
    EXPECT_EQ(code_of([&] { ApiKeyStore fresh(data()); }), ErrorCode::STORE_UNAVAILABLE);
    EXPECT_EQ(code_of([&] { list_api_keys(data()); }), ErrorCode::STORE_UNAVAILABLE);

    doc = nlohmann::json::parse(good);
    doc["apiKeys"][0]["scope"] = "root";
    std::ofstream(api_keys_path(data()), std::ios::trunc) << doc.dump();
    EXPECT_EQ(code_of([&] { ApiKeyStore fresh(data()); }), ErrorCode::STORE_UNAVAILABLE);
}

TEST_F(ApiKeys, ThreadsCreatingAndRevokingWhileTheStoreAuthenticates) {
    NewApiKey stable = create_api_key(data(), ApiKeyScope::FLOWS);
    NewApiKey revoked = create_api_key(data(), ApiKeyScope::ADMIN);
    revoke_api_key(data(), revoked.id);
    ApiKeyStore store(data(), 0ms);

    constexpr int kWriters = 3, kEach = 12;
    std::atomic<bool> stop{false};
    std::atomic<long> wrong{0}, checks{0}, failures{0};
    std::vector<std::thread> readers;
    for (int t = 0; t < 3; ++t)
        readers.emplace_back([&] {
            while (!stop) {
                if (store.authenticate(stable.api_key) != ApiKeyIdentity{stable.id, ApiKeyScope::FLOWS}) ++wrong;
                if (store.authenticate(revoked.api_key)) ++wrong;
                ++checks;
            }
        });
    // each writer creates keys and revokes every other one of its own
    std::vector<std::vector<NewApiKey>> kept(kWriters), dropped(kWriters);
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w)
        writers.emplace_back([&, w] {
            try {
                for (int i = 0; i < kEach; ++i) {
                    NewApiKey key = create_api_key(data(), i % 2 ? ApiKeyScope::ADMIN : ApiKeyScope::FLOWS);
                    if (i % 2) {
                        revoke_api_key(data(), key.id);
                        dropped[w].push_back(key);
                    } else {
                        kept[w].push_back(key);
                    }
                }
            } catch (...) {
                ++failures;
            }
        });
    for (auto& t : writers) t.join();
    stop = true;
    for (auto& t : readers) t.join();

    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(wrong.load(), 0) << "of " << checks.load() << " checks";
    EXPECT_GT(checks.load(), 0);
    EXPECT_EQ(list_api_keys(data()).size(), size_t(2 + kWriters * kEach)); // no write lost
    for (int w = 0; w < kWriters; ++w) {
        for (const auto& key : kept[w]) EXPECT_EQ(store.authenticate(key.api_key), (ApiKeyIdentity{key.id, key.scope}));
        for (const auto& key : dropped[w]) EXPECT_FALSE(store.authenticate(key.api_key)) << key.id;
    }
    EXPECT_EQ(store.active_key_count(), size_t(1 + kWriters * (kEach / 2)));
}

TEST_F(ApiKeys, ConcurrentCreatesFromProcessesLoseNothing) {
    constexpr int kProcesses = 3, kEach = 8;
    std::vector<pid_t> children;
    for (int p = 0; p < kProcesses; ++p) {
        pid_t pid = ::fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            int status = 0;
            try {
                for (int i = 0; i < kEach; ++i) create_api_key(data(), ApiKeyScope::FLOWS);
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
    auto keys = list_api_keys(data());
    EXPECT_EQ(keys.size(), size_t(kProcesses * kEach));
    std::set<std::string> ids;
    for (const auto& k : keys) ids.insert(k.id);
    EXPECT_EQ(ids.size(), keys.size());
}

TEST_F(ApiKeys, KeysCommandsForBothKinds) {
    auto api = nlohmann::json::parse(keys_create_command(data(), "api", "admin"));
    ASSERT_EQ(api.size(), 3u);
    std::string api_key = api.at("apiKey"), id = api.at("id");
    EXPECT_EQ(api.at("scope"), "admin");
    EXPECT_TRUE(api_key.starts_with(id + "_"));
    auto flows = nlohmann::json::parse(keys_create_command(data(), "api"));
    EXPECT_EQ(flows.at("scope"), "flows"); // the default scope
    auto access = nlohmann::json::parse(keys_create_command(data())); // the default kind
    ASSERT_EQ(access.size(), 2u);
    std::string access_id = access.at("accessKeyId");

    std::string listed_text = keys_list_command(data());
    EXPECT_EQ(listed_text.find(api_key.substr(17)), std::string::npos);
    EXPECT_EQ(listed_text.find(sha256_hex(api_key)), std::string::npos);
    auto listed = nlohmann::json::parse(listed_text);
    ASSERT_EQ(listed.at("accessKeys").size(), 1u);
    ASSERT_EQ(listed.at("apiKeys").size(), 2u);
    EXPECT_EQ(listed["apiKeys"][0].at("id"), id);
    EXPECT_EQ(listed["apiKeys"][0].at("scope"), "admin");
    EXPECT_EQ(listed["apiKeys"][0].at("status"), "Active");
    EXPECT_EQ(listed["apiKeys"][1].at("scope"), "flows");

    EXPECT_EQ(nlohmann::json::parse(keys_revoke_command(data(), id)).at("status"), "Inactive");
    EXPECT_EQ(nlohmann::json::parse(keys_revoke_command(data(), access_id)).at("status"), "Inactive");
    listed = nlohmann::json::parse(keys_list_command(data()));
    EXPECT_EQ(listed["apiKeys"][0].at("status"), "Inactive");
    EXPECT_TRUE(listed["apiKeys"][0].contains("revoked"));
    EXPECT_EQ(listed["apiKeys"][1].at("status"), "Active");
    EXPECT_EQ(listed["accessKeys"][0].at("status"), "Inactive");

    EXPECT_EQ(code_of([&] { keys_create_command(data(), "bogus"); }), ErrorCode::INVALID_PARAMETER);
    EXPECT_EQ(code_of([&] { keys_create_command(data(), "api", "root"); }), ErrorCode::INVALID_PARAMETER);
    EXPECT_EQ(code_of([&] { keys_create_command(data(), "access", "flows"); }), ErrorCode::INVALID_PARAMETER);
    EXPECT_EQ(code_of([&] { keys_revoke_command(data(), "fgk_nosuchkey234"); }), ErrorCode::RESOURCE_NOT_FOUND);
    // a whole key pasted instead of its id: refused without echoing the secret
    try {
        keys_revoke_command(data(), api_key);
        FAIL() << "revoked by the whole key";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::INVALID_PARAMETER);
        EXPECT_EQ(std::string(e.what()).find(api_key.substr(17)), std::string::npos) << e.what();
    }
}

} // namespace
} // namespace facegate
