// SPDX-License-Identifier: MIT
#pragma once

#include "core/face_engine.h"
#include "server/flow_routes.h"
#include "server/http_server.h"
#include "service/flow_policy.h"
#include "service/face_collections.h"

#include <filesystem>

namespace facegate {

struct ServeOptions {
    std::filesystem::path data_dir = "data";
    HttpServerConfig http;
    EngineConfig engine;
    // faces from which a collection searches its HNSW graph (see default_collection_index_config)
    size_t approximate_from = default_collection_index_config().approximate_from;
    FlowPolicy policy;        // register/verify decisions and verify rate limits
    FlowRoutesConfig flows;   // the demo collection of the web pages
};

// `facegate serve`: opens the store under data_dir (creating it), makes a first access key when
// none is configured (and says where it is), loads the models and serves until SIGINT or SIGTERM.
// returns the process exit status.
int serve(const ServeOptions& options);

} // namespace facegate
