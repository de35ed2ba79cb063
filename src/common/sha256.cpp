// SPDX-License-Identifier: MIT
#include "common/sha256.h"

#include "common/bytes.h"
#include "common/error.h"

#include <openssl/evp.h>

namespace facegate {

std::string sha256_hex(std::string_view bytes) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (!EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr)) {
        throw Error(ErrorCode::INTERNAL, "SHA-256 computation failed");
    }
    return hex_of(std::string_view(reinterpret_cast<const char*>(digest), length));
}

} // namespace facegate
