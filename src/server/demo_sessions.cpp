// SPDX-License-Identifier: MIT
#include "server/demo_sessions.h"

#include "common/error.h"
#include "service/identity_flows.h"
#include "service/shared_rate_limit.h"
#include "store/store.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <chrono>

namespace facegate {

namespace {

constexpr std::string_view kSigningKeyDocument = "demo-session-key";
constexpr std::size_t kPayloadHex = 48;  // 8 bytes of expiry (ms since the epoch) + 16 random bytes
constexpr std::size_t kSignatureHex = 64; // HMAC-SHA256

std::string to_hex(const unsigned char* data, std::size_t size) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < size; ++i) {
        out += kHex[data[i] >> 4];
        out += kHex[data[i] & 15];
    }
    return out;
}

std::string random_hex(std::size_t bytes) {
    std::string raw(bytes, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), int(bytes)) != 1)
        throw Error(ErrorCode::INTERNAL, "the random generator failed");
    std::string hex = to_hex(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
    OPENSSL_cleanse(raw.data(), raw.size());
    return hex;
}

std::int64_t unix_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace

DemoSessions::DemoSessions(DemoSessionLimits limits)
    : limits_(limits), creations_(RateLimit{std::max<uint32_t>(1, limits.creations_per_minute), std::chrono::minutes(1)}) {}

void DemoSessions::share_through(Store& store) {
    std::optional<StoredDocument> stored = store.read_document(kSigningKeyDocument);
    if (!stored || stored->text.size() != 64) {
        // the first node makes the key; a node racing it keeps the one stored first
        stored = store.update_document(kSigningKeyDocument, [](const std::optional<std::string>& current) {
            return current && current->size() == 64 ? *current : random_hex(32);
        });
    }
    std::string key;
    for (std::size_t i = 0; i < 64; i += 2) key.push_back(char(std::stoi(stored->text.substr(i, 2), nullptr, 16)));
    signing_key_ = std::move(key);
    count_in_store(creations_, store, "demo-session");
}

std::string DemoSessions::signed_token(const std::string& payload) const {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), signing_key_->data(), int(signing_key_->size()),
         reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), mac, &length);
    return payload + to_hex(mac, length);
}

std::string DemoSessions::create(std::string_view client_address) {
    RateDecision decision = creations_.check(client_address);
    if (!decision.allowed) {
        throw RateLimitExceeded("too many demo sessions from this address; retry later",
                                int(decision.retry_after.count()));
    }
    if (signing_key_) {
        const std::int64_t expiry = unix_ms() + std::chrono::duration_cast<std::chrono::milliseconds>(limits_.lifetime).count();
        unsigned char be[8];
        for (int i = 0; i < 8; ++i) be[i] = static_cast<unsigned char>(std::uint64_t(expiry) >> (56 - 8 * i));
        return signed_token(to_hex(be, 8) + random_hex(16));
    }
    unsigned char random[32];
    if (RAND_bytes(random, sizeof random) != 1) throw Error(ErrorCode::INTERNAL, "the random generator failed");
    static constexpr char kHex[] = "0123456789abcdef";
    std::string token;
    for (unsigned char c : random) {
        token += kHex[c >> 4];
        token += kHex[c & 15];
    }
    auto now = Clock::now();
    std::lock_guard lock(mutex_);
    if (sessions_.size() >= limits_.max_sessions && !make_room_locked(now)) {
        throw Error(ErrorCode::OVERLOADED, "the demo has as many sessions as it can hold; retry later");
    }
    sessions_[token] = Session{now + limits_.lifetime, now};
    return token;
}

bool DemoSessions::valid(std::string_view token) {
    if (signing_key_) {
        if (token.size() != kPayloadHex + kSignatureHex) return false;
        if (!std::all_of(token.begin(), token.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }))
            return false;
        const std::string expected = signed_token(std::string(token.substr(0, kPayloadHex)));
        if (CRYPTO_memcmp(expected.data(), token.data(), token.size()) != 0) return false;
        std::uint64_t expiry = 0;
        for (std::size_t i = 0; i < 16; ++i) expiry = (expiry << 4) | std::uint64_t(std::stoi(std::string(1, token[i]), nullptr, 16));
        return std::int64_t(expiry) > unix_ms();
    }
    if (token.size() != 64) return false;
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(std::string(token));
    if (it == sessions_.end()) return false;
    auto now = Clock::now();
    if (it->second.expiry <= now) {
        sessions_.erase(it);
        return false;
    }
    it->second.last_used = now;
    return true;
}

size_t DemoSessions::size() {
    std::lock_guard lock(mutex_);
    return sessions_.size();
}

bool DemoSessions::make_room_locked(Clock::time_point now) {
    std::erase_if(sessions_, [&](const auto& entry) { return entry.second.expiry <= now; });
    if (sessions_.size() < limits_.max_sessions) return true;
    auto idlest = std::min_element(sessions_.begin(), sessions_.end(), [](const auto& a, const auto& b) {
        return a.second.last_used < b.second.last_used;
    });
    if (idlest == sessions_.end() || now - idlest->second.last_used < limits_.idle_before_eviction) return false;
    sessions_.erase(idlest);
    return true;
}

} // namespace facegate
