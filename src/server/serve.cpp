// SPDX-License-Identifier: MIT
#include "server/serve.h"

#include "auth/access_keys.h"
#include "common/error.h"
#include "document/document_analyzer.h"
#include "server/flow_routes.h"
#include "server/web_routes.h"
#include "service/identity_flows.h"
#include "store/sqlite_store.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <thread>

namespace facegate {

namespace {

constexpr std::chrono::minutes kHousekeepingEvery{10};

HttpServer* running_server = nullptr;

extern "C" void on_stop_signal(int) {
    // httplib's stop() only flips flags and shuts the listening socket: safe enough from a handler
    if (running_server) running_server->stop();
}

} // namespace

int serve(const ServeOptions& options) {
    std::filesystem::create_directories(options.data_dir);
    SqliteStoreOptions store_options;
    store_options.data_dir = options.data_dir;
    SqliteStore store(store_options);

    auto env_key = access_key_from_env();
    if (auto created = ensure_initial_key(options.data_dir, env_key)) {
        std::fprintf(stderr, "facegate: no access key was configured: created one in %s (mode 0600); "
                             "`facegate keys list --data %s` shows it\n",
                     created->c_str(), options.data_dir.c_str());
    }
    AccessKeyStore keys(options.data_dir, env_key);

    auto start = std::chrono::steady_clock::now();
    FaceEngine engine(options.engine);
    VectorIndexConfig index_config = default_collection_index_config();
    index_config.approximate_from = options.approximate_from;
    FaceCollections service(store, engine, index_config);
    // load every collection's index now, so the first request does not pay for it
    std::string token;
    size_t faces = 0;
    do {
        auto page = service.list_collections(token, 1000);
        for (const auto& c : page.collections) {
            service.search_ready(c.collection_id);
            faces += service.describe_collection(c.collection_id).face_count;
        }
        token = page.next_token;
    } while (!token.empty());
    double startup = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    DocumentAnalyzer analyzer(engine);
    IdentityFlows flows(service, analyzer, options.policy);
    ApiKeyStore api_keys(options.data_dir);
    FlowRoutesConfig flow_config = options.flows;
    flow_config.require_auth = options.http.require_auth;
    FlowRoutes flow_routes(flow_config, flows, api_keys, keys);

    HttpServer server(options.http, service, keys);
    server.add_routes([&](httplib::Server& routes, Metrics& metrics) {
        flow_routes.install(routes, metrics);
        install_web_routes(routes);
    });
    int port = server.bind();
    running_server = &server;
    std::signal(SIGINT, on_stop_signal);
    std::signal(SIGTERM, on_stop_signal);
    spdlog::info("started in {:.2f}s with {} faces", startup, faces);
    std::fprintf(stderr, "facegate: listening on http://%s:%d\n", options.http.host.c_str(), port);
    std::fflush(stderr);
    // housekeeping: expired ClientRequestTokens and old change-feed entries
    std::atomic<bool> stopping{false};
    std::thread housekeeping([&] {
        auto next = std::chrono::steady_clock::now() + kHousekeepingEvery;
        while (!stopping) {
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            if (std::chrono::steady_clock::now() < next) continue;
            next += kHousekeepingEvery;
            try {
                store.prune();
            } catch (const std::exception& e) {
                spdlog::warn("housekeeping failed: {}", e.what());
            }
        }
    });
    server.run();
    stopping = true;
    housekeeping.join();
    running_server = nullptr;
    spdlog::info("stopped");
    return 0;
}

} // namespace facegate
