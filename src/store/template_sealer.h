// SPDX-License-Identifier: MIT
#pragma once

// Face templates (embeddings) at rest: the cryptography, and nothing else (no database, no files).
// OpenSSL EVP, AES-256-GCM throughout.
//
// Three kinds of key:
// - the key-encryption key (KEK), 32 random bytes the operator keeps (a file, the environment, a KMS);
//   written as 64 hex digits (`openssl rand -hex 32`). It only wraps data keys.
// - data keys, 32 random bytes each, stored in the database wrapped by the KEK, each with a version
//   (1, 2, ...) that every blob it sealed names.
// - nothing else: a blob is opened by the data key its header names.
//
// Sealed template (2081 bytes for a 512-float embedding):
//
//   offset  size  what
//   0       1     format: 0x01
//   1       4     data-key version, little-endian
//   5       12    nonce, random for every seal (96 bits)
//   17      n     AES-256-GCM ciphertext of the embedding's little-endian float32 bytes
//   17+n    16    GCM tag over the ciphertext and the associated data
//
//   associated data: the 5 header bytes, "facegate template", 0, collection id, 0, face id
//   (so a blob copied to another face or collection row does not open).
//
// Wrapped data key (60 bytes): nonce (12) + AES-256-GCM(KEK, data key) (32) + tag (16), associated
// data "facegate data key" + the version (4 bytes LE): a wrapped key moved to another version does not
// unwrap either.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace facegate {

inline constexpr std::size_t kSecretKeyBytes = 32;

// 32 secret bytes that wipe themselves (OPENSSL_cleanse) when destroyed or overwritten
class SecretKey {
  public:
    SecretKey() = default;
    explicit SecretKey(const unsigned char* bytes);
    SecretKey(const SecretKey& other) : SecretKey(other.data()) {}
    SecretKey& operator=(const SecretKey& other);
    ~SecretKey();
    const unsigned char* data() const { return bytes_.data(); }
    unsigned char* data() { return bytes_.data(); }
    bool operator==(const SecretKey& other) const; // constant time

    static SecretKey random(); // RAND_bytes; Error INTERNAL if the generator fails

  private:
    std::array<unsigned char, kSecretKeyBytes> bytes_{};
};

// the key-encryption key, with its id: the first 8 bytes of SHA-256("facegate kek id" 0 key) in hex.
// The id names the KEK in the database and in messages without revealing it.
struct Kek {
    SecretKey key{};
    std::string id{};
};

// 64 hex digits (surrounding white space ignored) -> Kek; Error INVALID_PARAMETER saying what `source`
// holds otherwise (source names where the text came from, e.g. "--kek-file /etc/facegate/kek")
Kek parse_kek(std::string_view text, std::string_view source);
Kek make_kek(const SecretKey& key); // computes the id
std::string kek_text(const Kek& kek); // the 64 hex digits (for writing a new KEK file)

namespace sealing {

inline constexpr unsigned char kFormat = 0x01;
inline constexpr std::size_t kHeaderBytes = 5;
inline constexpr std::size_t kNonceBytes = 12;
inline constexpr std::size_t kTagBytes = 16;
inline constexpr std::size_t kWrappedKeyBytes = kNonceBytes + kSecretKeyBytes + kTagBytes;

constexpr std::size_t sealed_size(std::size_t plain_bytes) {
    return kHeaderBytes + kNonceBytes + plain_bytes + kTagBytes;
}

// the data-key version a sealed blob names; nullopt when it is not a sealed blob of this format
std::optional<std::uint32_t> key_version_of(std::string_view sealed);

// seals `plain` under `key` (version `version`) for the face `face_id` of `collection_id`
std::string seal(const SecretKey& key, std::uint32_t version, std::string_view collection_id,
                 std::string_view face_id, std::string_view plain);

// the plain bytes; nullopt when the blob does not open: another key, another face or collection, or altered
std::optional<std::string> open(const SecretKey& key, std::string_view collection_id, std::string_view face_id,
                                std::string_view sealed);
// the same into `out` (exactly the plain size: sealed.size() - sealed_size(0)); false when it does not open
// (then `out` holds nothing of it)
bool open_into(const SecretKey& key, std::string_view collection_id, std::string_view face_id, std::string_view sealed,
               unsigned char* out, std::size_t out_size);

std::string wrap_key(const Kek& kek, std::uint32_t version, const SecretKey& data_key);
// nullopt when `wrapped` does not unwrap with this KEK for this version
std::optional<SecretKey> unwrap_key(const Kek& kek, std::uint32_t version, std::string_view wrapped);

} // namespace sealing

} // namespace facegate
