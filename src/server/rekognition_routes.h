// SPDX-License-Identifier: MIT
#pragma once

// Rekognition's JSON 1.1 protocol on POST / (X-Amz-Target: RekognitionService.<Operation>): before
// the body is read, the operation is named and the caller's access key looked up (an unknown
// operation or key is refused at once); image operations get the image body limit and the analysis
// lane, the others a small limit and the store lane. then SigV4 is verified over the whole body and
// the operation runs (server/rekognition_api.h). writes are audited with the request's id.

#include "auth/access_keys.h"
#include "server/router.h"
#include "service/face_collections.h"

#include <string>
#include <vector>

namespace facegate {

struct RekognitionRoutesConfig {
    bool require_auth = true;                   // SigV4 on every request
    size_t max_image_body = 8 * 1024 * 1024;    // a 5 MB image in base64 plus the JSON around it
    size_t max_other_body = 1024 * 1024;        // every other operation (4096 face ids fit)
};

class RekognitionRoutes {
  public:
    RekognitionRoutes(RekognitionRoutesConfig config, FaceCollections& service, AccessKeyStore& keys);
    void install(Router& router);
    // the metric names of its requests: the operations
    static std::vector<std::string> operation_names();

  private:
    RoutePlan plan(const HttpRequest& request);
    void handle(HttpRequest& request, HttpResponse& response);

    RekognitionRoutesConfig config_;
    FaceCollections& service_;
    AccessKeyStore& keys_;
};

// renders an exception as Rekognition does: {"__type", "message", "Message"} with its HTTP status
void render_rekognition_error(const std::exception_ptr& error, HttpResponse& response);

} // namespace facegate
