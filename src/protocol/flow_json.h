// SPDX-License-Identifier: MIT
#pragma once

// the JSON of the /v1 flow API (docs/api-v1.md): camelCase keys, Rekognition's BoundingBox and Pose shapes

#include "service/identity_flows.h"

#include <nlohmann/json.hpp>

#include <chrono>

namespace facegate {

// what an answer may say about other people. FULL (admin keys, access keys): everything, including
// the external ID of the best match under someone else. FLOW (flows keys): the numbers and reasons a
// flow branches on, never another person's external ID. PUBLIC (the demo pages' session): only the
// outcome and what the person can do about it, never a score or whether an identifier or a face is
// registered.
enum class Disclosure { FULL, FLOW, PUBLIC };

// `today` turns the MRZ's two-digit years into full dates
nlohmann::json register_result_json(const RegisterRequest& request, const RegisterResult& result,
                                    std::chrono::year_month_day today, Disclosure disclosure = Disclosure::FULL);
nlohmann::json verify_result_json(const VerifyRequest& request, const VerifyResult& result,
                                  Disclosure disclosure = Disclosure::FULL);

nlohmann::json flow_collections_json(const std::vector<FlowCollection>& collections);
nlohmann::json flow_users_json(const std::vector<FlowUser>& users);
nlohmann::json external_id_faces_json(const ExternalIdFaces& faces);
nlohmann::json erasure_json(const ErasureResult& erasure);
nlohmann::json flow_audit_json(const FlowAuditPage& page);
nlohmann::json flow_policy_json(const FlowPolicy& policy);

// "2026-11-30T04:05:00Z" of milliseconds since the epoch
std::string iso_time(std::int64_t ms);

} // namespace facegate
