// SPDX-License-Identifier: MIT
#pragma once

// the policies behind the flows' decisions: set in the server's config, overridable per request

#include "core/similarity.h"

#include <chrono>
#include <optional>

namespace facegate {

struct RegisterPolicy {
    float min_document_confidence = 70.f;       // below it: rejected (not an identity document)
    float max_existing_search_confidence = 80.f; // above it: existing_user (the face is already registered)
    bool allow_expired = false;                 // whether an expired document may register
};

struct VerifyPolicy {
    float min_confidence = kDefaultMatchThreshold; // similarity with the external ID's faces
    bool require_liveness = true;                  // a selfie that reads as a print or a screen is rejected
};

// how often one external ID, and one client, may verify or register: nobody tries faces against an
// account, or looks faces up through sign-up, without limit
struct VerifyRateLimits {
    int per_external_id = 10;
    int per_client = 60;
    int register_per_external_id = 5;
    int register_per_client = 30;
    std::chrono::seconds window{60};
};

struct FlowPolicy {
    RegisterPolicy registration;
    VerifyPolicy verification;
    VerifyRateLimits rate_limits;
};

struct RegisterPolicyOverrides {
    std::optional<float> min_document_confidence;
    std::optional<float> max_existing_search_confidence;
    std::optional<bool> allow_expired;
};

struct VerifyPolicyOverrides {
    std::optional<float> min_confidence;
    std::optional<bool> require_liveness;
};

// the policy with the request's overrides; throws Error(INVALID_PARAMETER) for a threshold outside 0-100
RegisterPolicy apply_overrides(RegisterPolicy policy, const RegisterPolicyOverrides& overrides);
VerifyPolicy apply_overrides(VerifyPolicy policy, const VerifyPolicyOverrides& overrides);

} // namespace facegate
