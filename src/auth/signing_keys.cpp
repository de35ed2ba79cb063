// SPDX-License-Identifier: MIT
#include "auth/signing_keys.h"

#include "common/error.h"
#include "store/store.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include <array>
#include <optional>

namespace facegate {

namespace {

constexpr std::int64_t kSkewMs = 60'000; // a retired key stays published this long past its last token's expiry

[[noreturn]] void crypto_failure(const char* what) {
    throw Error(ErrorCode::INTERNAL, std::string("signing keys: OpenSSL failed to ") + what);
}

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

struct PkeyFree {
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct BioFree {
    void operator()(BIO* b) const { BIO_free(b); }
};
struct MdCtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct BnFree {
    void operator()(BIGNUM* b) const { BN_free(b); }
};
struct SigFree {
    void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};

std::string sha256(std::string_view bytes) {
    std::string out(SHA256_DIGEST_LENGTH, '\0');
    if (!SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                reinterpret_cast<unsigned char*>(out.data())))
        crypto_failure("hash");
    return out;
}

std::int64_t system_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace

std::string base64url(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const std::uint32_t v = (std::uint32_t(std::uint8_t(bytes[i])) << 16) |
                                (std::uint32_t(std::uint8_t(bytes[i + 1])) << 8) | std::uint8_t(bytes[i + 2]);
        for (int shift : {18, 12, 6, 0}) out.push_back(kAlphabet[(v >> shift) & 63]);
    }
    if (i + 1 == bytes.size()) {
        const std::uint32_t v = std::uint32_t(std::uint8_t(bytes[i])) << 16;
        out.push_back(kAlphabet[(v >> 18) & 63]);
        out.push_back(kAlphabet[(v >> 12) & 63]);
    } else if (i + 2 == bytes.size()) {
        const std::uint32_t v = (std::uint32_t(std::uint8_t(bytes[i])) << 16) | (std::uint32_t(std::uint8_t(bytes[i + 1])) << 8);
        out.push_back(kAlphabet[(v >> 18) & 63]);
        out.push_back(kAlphabet[(v >> 12) & 63]);
        out.push_back(kAlphabet[(v >> 6) & 63]);
    }
    return out;
}

std::string base64url_decode(std::string_view text) {
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '-') return 62;
        if (c == '_') return 63;
        return -1;
    };
    if (text.size() % 4 == 1) throw Error(ErrorCode::INVALID_PARAMETER, "not base64url");
    std::string out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : text) {
        const int v = value(c);
        if (v < 0) throw Error(ErrorCode::INVALID_PARAMETER, "not base64url");
        acc = (acc << 6) | std::uint32_t(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(char((acc >> bits) & 0xff));
        }
    }
    return out;
}

//
// Es256Key
//

struct Es256Key::Impl {
    std::unique_ptr<EVP_PKEY, PkeyFree> pkey;
};

Es256Key::Es256Key(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Es256Key::Es256Key(Es256Key&&) noexcept = default;
Es256Key& Es256Key::operator=(Es256Key&&) noexcept = default;
Es256Key::~Es256Key() = default;

Es256Key Es256Key::generate() {
    EVP_PKEY* pkey = EVP_EC_gen("P-256");
    if (!pkey) crypto_failure("generate an EC P-256 key");
    auto impl = std::make_unique<Impl>();
    impl->pkey.reset(pkey);
    return Es256Key(std::move(impl));
}

Es256Key Es256Key::from_pem(std::string_view pem) {
    std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), int(pem.size())));
    if (!bio) crypto_failure("read a key");
    EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
    if (!pkey) crypto_failure("parse a stored signing key");
    auto impl = std::make_unique<Impl>();
    impl->pkey.reset(pkey);
    char group[32] = {};
    size_t group_len = 0;
    if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &group_len) != 1 ||
        std::string_view(group, group_len) != "prime256v1")
        throw Error(ErrorCode::INTERNAL, "signing keys: a stored key is not an EC P-256 key");
    return Es256Key(std::move(impl));
}

std::string Es256Key::private_pem() const {
    std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PrivateKey(bio.get(), impl_->pkey.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
        crypto_failure("write a key");
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    std::string pem(data, std::size_t(size));
    return pem;
}

namespace {

std::string coordinate(EVP_PKEY* pkey, const char* name) {
    BIGNUM* raw = nullptr;
    if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1) crypto_failure("read a public key");
    std::unique_ptr<BIGNUM, BnFree> bn(raw);
    std::string out(32, '\0');
    if (BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(out.data()), 32) != 32) crypto_failure("encode a public key");
    return out;
}

} // namespace

nlohmann::json Es256Key::public_jwk(const std::string& kid) const {
    return nlohmann::json{{"kty", "EC"},
                          {"crv", "P-256"},
                          {"x", base64url(coordinate(impl_->pkey.get(), OSSL_PKEY_PARAM_EC_PUB_X))},
                          {"y", base64url(coordinate(impl_->pkey.get(), OSSL_PKEY_PARAM_EC_PUB_Y))},
                          {"kid", kid},
                          {"alg", "ES256"},
                          {"use", "sig"}};
}

std::string Es256Key::thumbprint() const {
    // RFC 7638: the required members in lexicographic order, no whitespace
    const std::string canonical = R"({"crv":"P-256","kty":"EC","x":")" +
                                  base64url(coordinate(impl_->pkey.get(), OSSL_PKEY_PARAM_EC_PUB_X)) + R"(","y":")" +
                                  base64url(coordinate(impl_->pkey.get(), OSSL_PKEY_PARAM_EC_PUB_Y)) + R"("})";
    return base64url(sha256(canonical));
}

std::string Es256Key::sign(std::string_view input) const {
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, impl_->pkey.get()) != 1)
        crypto_failure("start a signature");
    size_t der_len = 0;
    if (EVP_DigestSign(ctx.get(), nullptr, &der_len, reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
        crypto_failure("size a signature");
    std::string der(der_len, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(der.data()), &der_len,
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
        crypto_failure("sign");
    const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
    std::unique_ptr<ECDSA_SIG, SigFree> sig(d2i_ECDSA_SIG(nullptr, &p, long(der_len)));
    if (!sig) crypto_failure("decode a signature");
    const BIGNUM* r = nullptr;
    const BIGNUM* s = nullptr;
    ECDSA_SIG_get0(sig.get(), &r, &s);
    std::string out(64, '\0');
    if (BN_bn2binpad(r, reinterpret_cast<unsigned char*>(out.data()), 32) != 32 ||
        BN_bn2binpad(s, reinterpret_cast<unsigned char*>(out.data()) + 32, 32) != 32)
        crypto_failure("encode a signature");
    return out;
}

bool Es256Key::verify(std::string_view input, std::string_view signature) const {
    if (signature.size() != 64) return false;
    std::unique_ptr<ECDSA_SIG, SigFree> sig(ECDSA_SIG_new());
    BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(signature.data()), 32, nullptr);
    BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(signature.data()) + 32, 32, nullptr);
    if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
        BN_free(r);
        BN_free(s);
        crypto_failure("build a signature");
    }
    unsigned char* der = nullptr;
    const int der_len = i2d_ECDSA_SIG(sig.get(), &der);
    if (der_len <= 0) crypto_failure("encode a signature");
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    bool ok = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, impl_->pkey.get()) == 1 &&
              EVP_DigestVerify(ctx.get(), der, size_t(der_len), reinterpret_cast<const unsigned char*>(input.data()),
                               input.size()) == 1;
    OPENSSL_free(der);
    return ok;
}

//
// SigningKeys
//

struct SigningKeys::Loaded {
    struct Key {
        std::string kid;
        std::int64_t created_ms = 0;
        std::optional<std::int64_t> retired_ms;
        std::shared_ptr<Es256Key> key;
    };
    std::int64_t version = 0;
    std::vector<Key> keys; // the current key last
};

namespace {

nlohmann::json parse_document(const std::optional<std::string>& text) {
    if (!text || text->empty()) return nlohmann::json{{"keys", nlohmann::json::array()}};
    nlohmann::json doc = nlohmann::json::parse(*text, nullptr, false);
    if (!doc.is_object() || !doc.contains("keys") || !doc["keys"].is_array())
        throw Error(ErrorCode::STORE_UNAVAILABLE, "store: the session signing keys document is malformed");
    return doc;
}

nlohmann::json new_key_entry(std::int64_t now) {
    Es256Key key = Es256Key::generate();
    return nlohmann::json{{"kid", key.thumbprint()}, {"createdMs", now}, {"privateKeyPem", key.private_pem()}};
}

bool has_current(const nlohmann::json& doc) {
    return !doc["keys"].empty() && !doc["keys"].back().contains("retiredMs");
}

} // namespace

SigningKeys::SigningKeys(Store& store, SigningKeysOptions options, Clock clock)
    : store_(store), options_(options), clock_(clock ? std::move(clock) : Clock(system_ms)) {}

SigningKeys::~SigningKeys() = default;

std::shared_ptr<const SigningKeys::Loaded> SigningKeys::current(bool create_if_missing) {
    std::lock_guard lock(mutex_);
    const std::int64_t version = store_.document_version(kSigningKeysDocument);
    if (loaded_ && loaded_->version == version && (!create_if_missing || !loaded_->keys.empty())) return loaded_;
    std::optional<StoredDocument> stored = store_.read_document(kSigningKeysDocument);
    nlohmann::json doc = parse_document(stored ? std::optional<std::string>(stored->text) : std::nullopt);
    if (create_if_missing && !has_current(doc)) {
        // the first node to sign makes the key; one racing it keeps the key stored first
        stored = store_.update_document(kSigningKeysDocument, [&](const std::optional<std::string>& text) {
            nlohmann::json d = parse_document(text);
            if (!has_current(d)) d["keys"].push_back(new_key_entry(clock_()));
            return d.dump();
        });
        doc = parse_document(stored->text);
    }
    auto loaded = std::make_shared<Loaded>();
    loaded->version = stored ? stored->version : 0;
    for (const auto& entry : doc["keys"]) {
        Loaded::Key k;
        k.kid = entry.value("kid", "");
        k.created_ms = entry.value("createdMs", std::int64_t(0));
        if (entry.contains("retiredMs")) k.retired_ms = entry["retiredMs"].get<std::int64_t>();
        k.key = std::make_shared<Es256Key>(Es256Key::from_pem(entry.value("privateKeyPem", "")));
        loaded->keys.push_back(std::move(k));
    }
    loaded_ = loaded;
    return loaded_;
}

std::string SigningKeys::sign(const nlohmann::json& claims) {
    auto loaded = current(true);
    const Loaded::Key& key = loaded->keys.back();
    if (key.retired_ms) throw Error(ErrorCode::INTERNAL, "signing keys: no current key");
    const nlohmann::json header{{"alg", "ES256"}, {"typ", "JWT"}, {"kid", key.kid}};
    const std::string input = base64url(header.dump()) + "." + base64url(claims.dump());
    return input + "." + base64url(key.key->sign(input));
}

nlohmann::json SigningKeys::jwks() {
    auto loaded = current(true);
    const std::int64_t now = clock_();
    const std::int64_t keep = options_.token_lifetime.count() * 1000 + kSkewMs;
    nlohmann::json keys = nlohmann::json::array();
    for (auto it = loaded->keys.rbegin(); it != loaded->keys.rend(); ++it) {
        if (it->retired_ms && *it->retired_ms + keep <= now) continue;
        keys.push_back(it->key->public_jwk(it->kid));
    }
    return nlohmann::json{{"keys", keys}};
}

std::string SigningKeys::rotate() {
    std::string kid;
    const std::int64_t keep = options_.token_lifetime.count() * 1000 + kSkewMs;
    store_.update_document(kSigningKeysDocument, [&](const std::optional<std::string>& text) {
        nlohmann::json doc = parse_document(text);
        const std::int64_t now = clock_();
        nlohmann::json kept = nlohmann::json::array();
        for (auto entry : doc["keys"]) {
            if (!entry.contains("retiredMs")) entry["retiredMs"] = now;
            // a key whose last token has expired is no longer needed by anyone
            if (entry["retiredMs"].get<std::int64_t>() + keep > now) kept.push_back(entry);
        }
        nlohmann::json fresh = new_key_entry(now);
        kid = fresh["kid"].get<std::string>();
        kept.push_back(std::move(fresh));
        doc["keys"] = kept;
        return doc.dump();
    });
    return kid;
}

} // namespace facegate
