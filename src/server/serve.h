// SPDX-License-Identifier: MIT
#pragma once

#include "core/face_engine.h"
#include "server/flow_routes.h"
#include "server/http_edge.h"
#include "server/rekognition_routes.h"
#include "service/face_collections.h"
#include "service/flow_policy.h"
#include "service/verification_sessions.h"
#include "service/webhooks.h"
#include "store/kek_source.h"

#include <filesystem>

namespace facegate {

struct ServeOptions {
    std::filesystem::path data_dir = "data";
    // a PostgreSQL connection URI (--store, FACEGATE_STORE): the store shared by several nodes, which also
    // holds the keys; empty: SQLite under data_dir (store/open_store.h)
    std::string store_uri;
    HttpEdgeConfig edge;                 // listening, limits, deadlines, TLS, lanes (their threads follow the engine's workers)
    RekognitionRoutesConfig rekognition; // POST /: authentication and body limits
    EngineConfig engine;
    // bytes that image decodes may hold at once (0: 512 MB per engine worker)
    size_t memory_budget = 0;
    // faces from which a collection searches its HNSW graph (see default_collection_index_config)
    size_t approximate_from = default_collection_index_config().approximate_from;
    FlowPolicy policy;        // register/verify decisions and verify rate limits
    FlowRoutesConfig flows;   // the demo collection of the web pages
    WebhooksConfig webhooks;  // where and how completed sessions are POSTed (docs/sessions.md, "Webhooks")
    SessionsConfig sessions;  // verification sessions (docs/sessions.md): attempts, return origins, issuer
    // GET /metrics needs `Authorization: Bearer <this>` or an admin API key; empty: an admin API key only
    std::string metrics_key;
    // the key-encryption key of the templates at rest (store/kek_source.h); none: DATA/kek, made on first start
    KekOptions kek;
};

// `facegate serve`: opens the store under data_dir (creating it), makes a first access key when
// none is configured (and says where it is), loads the models and serves until SIGINT or SIGTERM
// (a graceful stop: in-flight requests finish). returns the process exit status.
int serve(const ServeOptions& options);

} // namespace facegate
