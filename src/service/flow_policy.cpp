// SPDX-License-Identifier: MIT
#include "service/flow_policy.h"

#include "common/error.h"

#include <cmath>
#include <string>

namespace facegate {

namespace {

float threshold(std::optional<float> value, float fallback, const char* name) {
    if (!value) return fallback;
    if (!std::isfinite(*value) || *value < 0 || *value > 100) {
        throw Error(ErrorCode::INVALID_PARAMETER, std::string(name) + " must be between 0 and 100");
    }
    return *value;
}

} // namespace

RegisterPolicy apply_overrides(RegisterPolicy policy, const RegisterPolicyOverrides& overrides) {
    policy.min_document_confidence =
        threshold(overrides.min_document_confidence, policy.min_document_confidence, "minDocumentConfidence");
    policy.max_existing_search_confidence = threshold(overrides.max_existing_search_confidence,
                                                      policy.max_existing_search_confidence,
                                                      "maxExistingSearchConfidence");
    policy.allow_expired = overrides.allow_expired.value_or(policy.allow_expired);
    return policy;
}

VerifyPolicy apply_overrides(VerifyPolicy policy, const VerifyPolicyOverrides& overrides) {
    policy.min_confidence = threshold(overrides.min_confidence, policy.min_confidence, "minConfidence");
    policy.require_liveness = overrides.require_liveness.value_or(policy.require_liveness);
    return policy;
}

} // namespace facegate
