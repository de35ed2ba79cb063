// SPDX-License-Identifier: MIT
#include "store/template_sealer.h"

#include "common/error.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <pthread.h>

#include <atomic>
#include <cctype>
#include <cstring>
#include <memory>

namespace facegate {

namespace {

[[noreturn]] void crypto_failure(const char* what) {
    throw Error(ErrorCode::INTERNAL, std::string("templates: OpenSSL failed to ") + what);
}

const unsigned char* bytes_of(std::string_view text) { return reinterpret_cast<const unsigned char*>(text.data()); }

void put_u32(std::string& out, std::uint32_t value) {
    for (int i = 0; i < 4; ++i) out += static_cast<char>((value >> (8 * i)) & 0xff);
}

std::uint32_t get_u32(std::string_view in, std::size_t at) {
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i) value |= std::uint32_t(static_cast<unsigned char>(in[at + i])) << (8 * i);
    return value;
}

// the cipher, fetched once (OpenSSL 3: an explicit fetch avoids a lookup on every call)
const EVP_CIPHER* aes_256_gcm() {
    static const EVP_CIPHER* cipher = [] {
        EVP_CIPHER* c = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
        if (!c) crypto_failure("load AES-256-GCM");
        return c;
    }();
    return cipher;
}

struct CtxFree {
    void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};

// one context per thread and direction, kept keyed with the last key it used: a blob under the same key
// only sets its nonce (expanding an AES-256 key and GCM's tables costs as much as sealing 2 KB)
struct KeyedContext {
    std::unique_ptr<EVP_CIPHER_CTX, CtxFree> ctx;
    unsigned char key[kSecretKeyBytes];
    bool keyed = false;
    ~KeyedContext() { OPENSSL_cleanse(key, sizeof key); }
};

EVP_CIPHER_CTX* start(bool encrypt, const unsigned char* key, const unsigned char* nonce) {
    thread_local KeyedContext encryptor, decryptor;
    KeyedContext& slot = encrypt ? encryptor : decryptor;
    if (!slot.ctx) {
        slot.ctx.reset(EVP_CIPHER_CTX_new());
        if (!slot.ctx) crypto_failure("allocate a cipher context");
    }
    const bool same_key = slot.keyed && CRYPTO_memcmp(slot.key, key, kSecretKeyBytes) == 0;
    slot.keyed = false; // until this init succeeds
    const EVP_CIPHER* cipher = same_key ? nullptr : aes_256_gcm();
    const unsigned char* new_key = same_key ? nullptr : key;
    const int ok = encrypt ? EVP_EncryptInit_ex2(slot.ctx.get(), cipher, new_key, nonce, nullptr)
                           : EVP_DecryptInit_ex2(slot.ctx.get(), cipher, new_key, nonce, nullptr);
    if (ok != 1) crypto_failure(encrypt ? "start a seal" : "start an open");
    std::memcpy(slot.key, key, kSecretKeyBytes);
    slot.keyed = true;
    return slot.ctx.get();
}

// bumped in the child of every fork (pthread_atfork)
std::atomic<unsigned> fork_generation{0};

// a fresh random nonce. OpenSSL 3's RAND_bytes costs ~10 us a call whatever its length, so each thread
// draws 4 KB at a time from it and hands out 12 bytes per seal; a fork drops the buffers, so a child
// never reuses its parent's nonces
void next_nonce(unsigned char* nonce) {
    static const bool registered = [] {
        return ::pthread_atfork(nullptr, nullptr, [] { fork_generation.fetch_add(1, std::memory_order_relaxed); }) == 0;
    }();
    if (!registered) crypto_failure("watch for forks");
    struct Pool {
        unsigned char bytes[4096 - 4096 % sealing::kNonceBytes];
        std::size_t used = sizeof bytes;
        unsigned generation = 0;
    };
    thread_local Pool pool;
    const unsigned generation = fork_generation.load(std::memory_order_relaxed);
    if (pool.used == sizeof pool.bytes || pool.generation != generation) {
        if (RAND_bytes(pool.bytes, int(sizeof pool.bytes)) != 1) crypto_failure("make a nonce");
        pool.used = 0;
        pool.generation = generation;
    }
    std::memcpy(nonce, pool.bytes + pool.used, sealing::kNonceBytes);
    OPENSSL_cleanse(pool.bytes + pool.used, sealing::kNonceBytes); // handed out once
    pool.used += sealing::kNonceBytes;
}

// AES-256-GCM of `plain` with a fresh random nonce: nonce + ciphertext + tag appended to `out`
void gcm_seal(const unsigned char* key, std::string_view aad, std::string_view plain, std::string& out) {
    unsigned char nonce[sealing::kNonceBytes];
    next_nonce(nonce);
    EVP_CIPHER_CTX* ctx = start(true, key, nonce);
    int n = 0;
    if (!aad.empty() && EVP_EncryptUpdate(ctx, nullptr, &n, bytes_of(aad), int(aad.size())) != 1)
        crypto_failure("take the associated data");
    const std::size_t start = out.size();
    out.append(reinterpret_cast<const char*>(nonce), sizeof nonce);
    out.resize(start + sizeof nonce + plain.size() + sealing::kTagBytes);
    auto* cipher_text = reinterpret_cast<unsigned char*>(out.data() + start + sizeof nonce);
    if (EVP_EncryptUpdate(ctx, cipher_text, &n, bytes_of(plain), int(plain.size())) != 1) crypto_failure("seal");
    int tail = 0;
    if (EVP_EncryptFinal_ex(ctx, cipher_text + n, &tail) != 1) crypto_failure("finish a seal");
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, int(sealing::kTagBytes), cipher_text + plain.size()) != 1)
        crypto_failure("read a tag");
}

// the inverse of gcm_seal over nonce + ciphertext + tag; false when the tag does not verify
bool gcm_open(const unsigned char* key, std::string_view aad, std::string_view sealed, unsigned char* plain_out) {
    if (sealed.size() < sealing::kNonceBytes + sealing::kTagBytes) return false;
    const std::size_t length = sealed.size() - sealing::kNonceBytes - sealing::kTagBytes;
    EVP_CIPHER_CTX* ctx = start(false, key, bytes_of(sealed));
    int n = 0;
    if (!aad.empty() && EVP_DecryptUpdate(ctx, nullptr, &n, bytes_of(aad), int(aad.size())) != 1)
        crypto_failure("take the associated data");
    if (EVP_DecryptUpdate(ctx, plain_out, &n, bytes_of(sealed) + sealing::kNonceBytes, int(length)) != 1)
        crypto_failure("open");
    std::string tag(sealed.substr(sealing::kNonceBytes + length));
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, int(sealing::kTagBytes), tag.data()) != 1)
        crypto_failure("set a tag");
    int tail = 0;
    return EVP_DecryptFinal_ex(ctx, plain_out + n, &tail) == 1;
}

std::string template_aad(std::string_view header, std::string_view collection_id, std::string_view face_id) {
    std::string aad;
    aad.reserve(header.size() + 18 + collection_id.size() + 1 + face_id.size());
    aad.append(header);
    aad.append("facegate template");
    aad += '\0';
    aad.append(collection_id);
    aad += '\0';
    aad.append(face_id);
    return aad;
}

std::string key_aad(std::uint32_t version) {
    std::string aad = "facegate data key";
    put_u32(aad, version);
    return aad;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

} // namespace

//
// keys
//

SecretKey::SecretKey(const unsigned char* bytes) {
    for (std::size_t i = 0; i < kSecretKeyBytes; ++i) bytes_[i] = bytes[i];
}

SecretKey& SecretKey::operator=(const SecretKey& other) {
    if (this != &other) bytes_ = other.bytes_;
    return *this;
}

SecretKey::~SecretKey() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }

bool SecretKey::operator==(const SecretKey& other) const {
    return CRYPTO_memcmp(bytes_.data(), other.bytes_.data(), bytes_.size()) == 0;
}

SecretKey SecretKey::random() {
    SecretKey key;
    if (RAND_bytes(key.bytes_.data(), int(key.bytes_.size())) != 1)
        throw Error(ErrorCode::INTERNAL, "templates: the random generator failed");
    return key;
}

Kek make_kek(const SecretKey& key) {
    std::string input = "facegate kek id";
    input += '\0';
    input.append(reinterpret_cast<const char*>(key.data()), kSecretKeyBytes);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    const bool ok = EVP_Digest(input.data(), input.size(), digest, &length, EVP_sha256(), nullptr) == 1;
    OPENSSL_cleanse(input.data(), input.size());
    if (!ok) crypto_failure("hash a key");
    static constexpr char hex[] = "0123456789abcdef";
    Kek kek{key, {}};
    for (int i = 0; i < 8; ++i) {
        kek.id += hex[digest[i] >> 4];
        kek.id += hex[digest[i] & 15];
    }
    return kek;
}

Kek parse_kek(std::string_view text, std::string_view source) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
    const std::string wrong = std::string(source) +
                              " does not hold a key-encryption key: a KEK is 64 hex digits (32 random bytes), "
                              "for example from `openssl rand -hex 32`";
    if (text.size() != 2 * kSecretKeyBytes) throw Error(ErrorCode::INVALID_PARAMETER, wrong);
    SecretKey key;
    for (std::size_t i = 0; i < kSecretKeyBytes; ++i) {
        const int hi = hex_value(text[2 * i]), lo = hex_value(text[2 * i + 1]);
        if (hi < 0 || lo < 0) throw Error(ErrorCode::INVALID_PARAMETER, wrong);
        key.data()[i] = static_cast<unsigned char>(hi * 16 + lo);
    }
    return make_kek(key);
}

std::string kek_text(const Kek& kek) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < kSecretKeyBytes; ++i) {
        out += hex[kek.key.data()[i] >> 4];
        out += hex[kek.key.data()[i] & 15];
    }
    return out;
}

//
// sealing
//

namespace sealing {

std::optional<std::uint32_t> key_version_of(std::string_view sealed) {
    if (sealed.size() < kHeaderBytes + kNonceBytes + kTagBytes) return std::nullopt;
    if (static_cast<unsigned char>(sealed[0]) != kFormat) return std::nullopt;
    return get_u32(sealed, 1);
}

std::string seal(const SecretKey& key, std::uint32_t version, std::string_view collection_id,
                 std::string_view face_id, std::string_view plain) {
    std::string out;
    out.reserve(sealed_size(plain.size()));
    out += static_cast<char>(kFormat);
    put_u32(out, version);
    gcm_seal(key.data(), template_aad(out, collection_id, face_id), plain, out);
    return out;
}

bool open_into(const SecretKey& key, std::string_view collection_id, std::string_view face_id, std::string_view sealed,
               unsigned char* out, std::size_t out_size) {
    if (!key_version_of(sealed) || sealed.size() != sealed_size(out_size)) return false;
    const std::string_view header = sealed.substr(0, kHeaderBytes);
    if (!gcm_open(key.data(), template_aad(header, collection_id, face_id), sealed.substr(kHeaderBytes), out)) {
        OPENSSL_cleanse(out, out_size);
        return false;
    }
    return true;
}

std::optional<std::string> open(const SecretKey& key, std::string_view collection_id, std::string_view face_id,
                                std::string_view sealed) {
    if (!key_version_of(sealed)) return std::nullopt;
    std::string plain(sealed.size() - sealed_size(0), '\0');
    if (!open_into(key, collection_id, face_id, sealed, reinterpret_cast<unsigned char*>(plain.data()), plain.size()))
        return std::nullopt;
    return plain;
}

std::string wrap_key(const Kek& kek, std::uint32_t version, const SecretKey& data_key) {
    std::string out;
    out.reserve(kWrappedKeyBytes);
    gcm_seal(kek.key.data(), key_aad(version),
             std::string_view(reinterpret_cast<const char*>(data_key.data()), kSecretKeyBytes), out);
    return out;
}

std::optional<SecretKey> unwrap_key(const Kek& kek, std::uint32_t version, std::string_view wrapped) {
    if (wrapped.size() != kWrappedKeyBytes) return std::nullopt;
    SecretKey key;
    if (!gcm_open(kek.key.data(), key_aad(version), wrapped, key.data())) return std::nullopt;
    return key;
}

} // namespace sealing

} // namespace facegate
