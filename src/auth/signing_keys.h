// SPDX-License-Identifier: MIT
#pragma once

// the keys that sign the results of verification sessions (docs/sessions.md): compact JWS, ES256 (ECDSA
// P-256 with SHA-256, the signature as JOSE's 64-byte r||s), published as a JWK Set at
// /.well-known/jwks.json.
//
// The keys live in the store's document "session-signing-keys" (Store::update_document), so every node of a
// deployment signs with the same key and publishes the same set: JSON {"keys": [{"kid", "createdMs",
// "retiredMs" (absent for the current key), "privateKeyPem"}]}, the current key last. The first signature
// makes the first key. rotate() makes a new current key; a retired key stays published until the tokens it
// signed have expired (retiredMs + the token lifetime + a minute of clock skew), then the next rotation
// drops it. The private keys are stored as PKCS#8 PEM, not sealed, like the access keys' secrets
// (docs/security.md): protect the database and its backups accordingly.

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace facegate {

class Store;

inline constexpr std::string_view kSigningKeysDocument = "session-signing-keys";

// base64url without padding (RFC 7515 section 2)
std::string base64url(std::string_view bytes);
// the inverse; Error(INVALID_PARAMETER) for a character outside the alphabet or a bad length
std::string base64url_decode(std::string_view text);

// one EC P-256 key pair (OpenSSL EVP_PKEY)
class Es256Key {
  public:
    static Es256Key generate();                     // Error(INTERNAL) when OpenSSL fails
    static Es256Key from_pem(std::string_view pem); // PKCS#8 private key; Error(INTERNAL) when it does not parse
    Es256Key(Es256Key&&) noexcept;
    Es256Key& operator=(Es256Key&&) noexcept;
    ~Es256Key();

    std::string private_pem() const; // PKCS#8
    // the public JWK {kty, crv, x, y} plus kid, alg ES256, use sig
    nlohmann::json public_jwk(const std::string& kid) const;
    // RFC 7638 thumbprint of the public key (base64url of the SHA-256 of {"crv","kty","x","y"}): the kid
    std::string thumbprint() const;
    // the 64-byte JOSE signature (r || s, each 32 bytes big-endian) of SHA-256(input)
    std::string sign(std::string_view input) const;
    // verifies a 64-byte r||s signature (for tests and self-checks)
    bool verify(std::string_view input, std::string_view signature) const;

  private:
    struct Impl;
    explicit Es256Key(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

struct SigningKeysOptions {
    std::chrono::seconds token_lifetime{300}; // exp - iat of every token (5 minutes)
};

// thread-safe. Calls the store: never from the HTTP event loop
class SigningKeys {
  public:
    using Clock = std::function<std::int64_t()>; // ms since the epoch

    explicit SigningKeys(Store& store, SigningKeysOptions options = {}, Clock clock = {});
    ~SigningKeys();

    // a compact JWS of `claims` (a JSON object) under the current key, with header {alg ES256, typ JWT, kid};
    // makes the first key when there is none. Error STORE_UNAVAILABLE when the store cannot be read or written
    std::string sign(const nlohmann::json& claims);
    // {"keys": [JWK...]}: the current key and the retired ones still within their tokens' lifetime
    nlohmann::json jwks();
    // makes a new current key, keeping the old ones published while their tokens may live; returns the new kid
    std::string rotate();
    std::chrono::seconds token_lifetime() const { return options_.token_lifetime; }

  private:
    struct Loaded;
    std::shared_ptr<const Loaded> current(bool create_if_missing);

    Store& store_;
    SigningKeysOptions options_;
    Clock clock_;
    std::mutex mutex_;
    std::shared_ptr<const Loaded> loaded_; // parsed keys of the document version loaded last
};

} // namespace facegate
