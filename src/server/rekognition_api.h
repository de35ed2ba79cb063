// SPDX-License-Identifier: MIT
#pragma once

// the Rekognition operations of the face-collection API over JSON (the body of an
// `X-Amz-Target: RekognitionService.<Operation>` request): JSON request -> validated native
// request -> FaceCollections call -> JSON response with Rekognition's member names.
// no HTTP here: the server parses the body, authenticates and maps errors (error_json).

#include "service/face_collections.h"

#include <nlohmann/json.hpp>

#include <string_view>
#include <vector>

namespace facegate {

// true for the operations handle_rekognition_operation implements (the X-Amz-Target suffix, e.g. "IndexFaces")
bool is_rekognition_operation(std::string_view operation);

// true for the operations that take an image (they run on the analysis lane, with the large body limit)
bool rekognition_operation_analyses_image(std::string_view operation);

// their names, in the order of Rekognition's documentation (for metrics and tests)
std::vector<std::string_view> rekognition_operations();

// runs one operation: `request` is the parsed JSON body; returns the JSON response body.
// throws facegate::Error and nothing else: INVALID_PARAMETER for a malformed request (naming the
// member), UNKNOWN_OPERATION for an operation that is not implemented, the service's errors as
// they are, INTERNAL for any other exception.
nlohmann::json handle_rekognition_operation(FaceCollections& service, std::string_view operation,
                                            const nlohmann::json& request);

} // namespace facegate
