// SPDX-License-Identifier: MIT
#include "server/serve.h"

#include "auth/access_keys.h"
#include "auth/api_keys.h"
#include "auth/signing_keys.h"
#include "common/error.h"
#include "protocol/error_mapping.h"
#include "protocol/rekognition_json.h"
#include "document/document_analyzer.h"
#include "server/flow_routes.h"
#include "server/web_routes.h"
#include "server/webhook_client.h"
#include "service/webhook_dispatcher.h"
#include "service/identity_flows.h"
#include "store/open_store.h"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

namespace facegate {

namespace {

constexpr std::chrono::minutes kHousekeepingEvery{10};
constexpr std::chrono::seconds kReadinessEvery{1};
constexpr std::chrono::milliseconds kKeysRefreshEvery{200};
constexpr size_t kBudgetPerWorker = size_t(512) << 20;

// /metrics tells how busy the service is and names its collections: for operators only
void require_metrics_access(const HttpRequest& req, const std::string& metrics_key, ApiKeyStore& api_keys) {
    // header_value returns a copy: keep it alive while the token (a view into it) is read
    std::string authorization = req.header_value("Authorization");
    auto token = bearer_token_of(authorization);
    if (!token) throw Error(ErrorCode::MISSING_AUTHENTICATION, "/metrics needs Authorization: Bearer <metrics key or admin API key>");
    if (!metrics_key.empty() && token->size() == metrics_key.size() &&
        CRYPTO_memcmp(token->data(), metrics_key.data(), metrics_key.size()) == 0) {
        return;
    }
    auto identity = api_keys.authenticate(*token);
    if (!identity) throw Error(ErrorCode::UNRECOGNIZED_CLIENT, "the key is not valid");
    if (identity->scope != ApiKeyScope::ADMIN) throw Error(ErrorCode::ACCESS_DENIED, "/metrics needs an admin key");
}

void render_ops_error(const std::exception_ptr& error, HttpResponse& res) {
    try {
        std::rethrow_exception(error);
    } catch (const Error& e) {
        res.status = flow_wire_error(e.code()).http_status;
        res.set_content(error_json(e).dump(), "application/json");
    } catch (const std::exception&) {
        res.status = 500;
        res.set_content(error_json(Error(ErrorCode::INTERNAL, "internal error")).dump(), "application/json");
    }
}

// /healthz and /metrics, both inline: they never wait behind analyses
void install_ops_routes(Router& router, FaceCollections& service, Metrics& metrics, const HttpEdge*& edge,
                        const MemoryBudget& budget, const std::string& metrics_key, ApiKeyStore& api_keys,
                        const std::atomic<bool>& store_ready) {
    // readiness for a load balancer: 503 while the store does not answer (a node of a shared store whose
    // database is down), so traffic goes to the nodes that can serve it. The answer comes from the
    // readiness thread's last ping: the event loop never waits on the database
    Route health;
    health.method = "GET";
    health.pattern = "/healthz";
    health.plan = [](const HttpRequest&) { return RoutePlan{Lane::INLINE, 0, "healthz"}; };
    health.handle = [&store_ready](HttpRequest&, HttpResponse& res) {
        if (store_ready.load(std::memory_order_relaxed)) {
            res.set_content(R"({"status":"ok"})", "application/json");
            return;
        }
        res.status = 503;
        res.set_header("Retry-After", "1");
        res.set_content(R"({"status":"unavailable","store":"unreachable"})", "application/json");
    };
    router.add(std::move(health));

    Route scrape;
    scrape.method = "GET";
    scrape.pattern = "/metrics";
    scrape.plan = [&metrics_key, &api_keys](const HttpRequest& req) {
        require_metrics_access(req, metrics_key, api_keys);
        return RoutePlan{Lane::INLINE, 0, "metrics"};
    };
    scrape.render_error = render_ops_error;
    scrape.handle = [&service, &metrics, &edge, &budget, &store_ready](HttpRequest&, HttpResponse& res) {
        std::vector<Metrics::Sample> samples;
        samples.push_back({"facegate_store_up", "1 while the store answers (checked every second), else 0.", "gauge",
                           store_ready.load(std::memory_order_relaxed) ? 1.0 : 0.0});
        if (edge) {
            for (auto [lane, name] : {std::pair{Lane::ANALYSIS, "analysis"}, std::pair{Lane::STORE, "store"}}) {
                auto s = edge->lane_stats(lane);
                std::string prefix = std::string("facegate_") + name + "_lane_";
                samples.push_back({prefix + "queued", "Requests waiting for a thread.", "gauge", double(s.queued)});
                samples.push_back({prefix + "running", "Requests running.", "gauge", double(s.running)});
                samples.push_back({prefix + "refused_total", "Requests refused at admission (503).", "counter",
                                   double(s.refused)});
                samples.push_back({prefix + "expired_total", "Requests shed at the queue timeout (503).", "counter",
                                   double(s.expired)});
                samples.push_back({prefix + "service_seconds", "Moving mean of a request's run time.", "gauge",
                                   s.service_seconds});
            }
            samples.push_back({"facegate_open_connections", "Open client connections.", "gauge",
                               double(edge->open_connections())});
        }
        samples.push_back({"facegate_image_memory_budget_bytes", "Bytes image decodes may hold at once.", "gauge",
                           double(budget.capacity())});
        samples.push_back({"facegate_image_memory_in_use_bytes", "Bytes image decodes hold now.", "gauge",
                           double(budget.in_use())});
        res.set_content(metrics.render(service.index_states(), samples), "text/plain; version=0.0.4");
    };
    router.add(std::move(scrape));
}

} // namespace

int serve(const ServeOptions& options) {
    const StoreLocation location{options.data_dir, options.store_uri};
    if (!location.shared()) std::filesystem::create_directories(options.data_dir);
    // templates at rest: refuses to start without the KEK of sealed data, or with a wrong one. The pool has a
    // connection for every thread that may use the store at once
    OpenStoreOptions open;
    open.kek = options.kek;
    open.connections = size_t(std::max(1, options.engine.workers)) + options.edge.store_lane.threads + 2;
    std::unique_ptr<Store> opened = open_store(location, open);
    Store& store = *opened;
    // a shared store also holds the keys, so that every node accepts the same ones
    Store* shared = location.shared() ? &store : nullptr;
    if (shared) spdlog::info("store: PostgreSQL at {}", redact_store_uri(location.uri));

    auto env_key = access_key_from_env();
    KeyList access_keys = access_key_list(options.data_dir, shared);
    // one node's first start makes a key in a file its operator can read; a shared store's nodes do not
    // (its secret would sit in the database where nobody is shown it): keys come from `facegate keys create`
    if (!shared) {
        if (auto created = ensure_initial_key(access_keys, env_key)) {
            std::fprintf(stderr, "facegate: no access key was configured: created one in %s (mode 0600); "
                                 "`facegate keys list --data %s` shows it\n",
                         created->c_str(), options.data_dir.c_str());
        }
    }
    AccessKeyStore keys(access_keys, env_key);
    if (shared) keys.refresh_in_background();

    // every decode reserves its peak memory here first, so large images wait for each other
    MemoryBudget budget(options.memory_budget ? options.memory_budget
                                              : kBudgetPerWorker * size_t(std::max(1, options.engine.workers)));
    EngineConfig engine_config = options.engine;
    engine_config.decode.budget = &budget;
    engine_config.decode.budget_wait = options.edge.analysis_lane.queue_timeout;

    auto start = std::chrono::steady_clock::now();
    FaceEngine engine(engine_config);
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
    if (shared) flows.count_rate_limits_in_store(); // one budget per key across the nodes
    ApiKeyStore api_keys(api_key_list(options.data_dir, shared));
    if (shared) api_keys.refresh_in_background();
    FlowRoutesConfig flow_config = options.flows;
    flow_config.require_auth = options.rekognition.require_auth;
    flow_config.max_image_body = options.rekognition.max_image_body;

    std::vector<std::string> operations = RekognitionRoutes::operation_names();
    for (auto& name : FlowRoutes::operation_names()) operations.push_back(name);
    for (const char* name : {"healthz", "metrics", "web"}) operations.emplace_back(name);
    Metrics metrics(operations);

    Router router;
    RekognitionRoutes rekognition(options.rekognition, service, keys);
    FlowRoutes flow_routes(flow_config, flows, api_keys, keys);
    if (shared && !flow_config.demo_collection.empty()) flow_routes.share_demo_sessions(store);
    const HttpEdge* edge_view = nullptr;
    rekognition.install(router);
    flow_routes.install(router);
    // verification sessions: results signed with the key every node reads from the store
    SigningKeys signing_keys(store, SigningKeysOptions{options.sessions.token_lifetime});
    VerificationSessions sessions(store, flows, options.sessions,
                                  [&signing_keys](const nlohmann::json& claims) { return signing_keys.sign(claims); });
    flow_routes.install_sessions(router, sessions, signing_keys);
    // webhooks: the events are written with the sessions; this node POSTs them only to hosts it allows
    Webhooks webhooks(store, options.webhooks);
    BeastWebhookClient webhook_client;
    WebhookDispatcher dispatcher(store, webhooks, webhook_client);
    std::function<void()> wake_dispatcher = [&dispatcher] { dispatcher.wake(); };
    sessions.send_events_to(webhooks, wake_dispatcher);
    flow_routes.install_webhooks(router, webhooks, wake_dispatcher);
    install_web_routes(router, WebRoutesConfig{.frame_origins = sessions.config().allowed_return_origins});
    std::atomic<bool> store_ready{store.ping()};
    install_ops_routes(router, service, metrics, edge_view, budget, options.metrics_key, api_keys, store_ready);

    // the analysis lane has exactly the engine's workers: decoding and analysis never outnumber them
    HttpEdgeConfig edge_config = options.edge;
    edge_config.analysis_lane.threads = engine.config().workers;
    HttpEdge edge(edge_config, router, metrics);
    edge_view = &edge;
    int port = edge.bind();
    spdlog::info("started in {:.2f}s with {} faces; image memory budget {} MB", startup, faces, budget.capacity() >> 20);
    std::fprintf(stderr, "facegate: listening on %s://%s:%d\n", edge.tls() ? "https" : "http",
                 options.edge.host.c_str(), port);
    std::fflush(stderr);

    // housekeeping: expired ClientRequestTokens and old change-feed entries; and readiness: a ping of the
    // store every second, which also keeps this node's indexes following the other nodes' writes
    std::mutex housekeeping_mutex;
    std::condition_variable housekeeping_wake;
    bool stopping = false;
    std::thread housekeeping([&] {
        std::unique_lock lock(housekeeping_mutex);
        auto next_prune = std::chrono::steady_clock::now() + kHousekeepingEvery;
        while (!housekeeping_wake.wait_for(lock, kReadinessEvery, [&] { return stopping; })) {
            lock.unlock();
            const bool ready = store.ping();
            if (ready != store_ready.exchange(ready))
                ready ? spdlog::info("store: reachable again") : spdlog::warn("store: unreachable; /healthz says 503");
            if (ready) {
                try {
                    service.catch_up();
                    if (std::chrono::steady_clock::now() >= next_prune) {
                        next_prune = std::chrono::steady_clock::now() + kHousekeepingEvery;
                        store.prune();
                    }
                } catch (const std::exception& e) {
                    spdlog::warn("housekeeping failed: {}", e.what());
                }
            }
            lock.lock();
        }
    });
    // the keys of a shared store: followed here, never from the event loop (a revocation on any node takes
    // effect on this one within kKeysRefreshEvery)
    std::thread keys_refresher;
    if (shared) {
        keys_refresher = std::thread([&] {
            std::unique_lock lock(housekeeping_mutex);
            while (!housekeeping_wake.wait_for(lock, kKeysRefreshEvery, [&] { return stopping; })) {
                lock.unlock();
                keys.refresh();
                api_keys.refresh();
                lock.lock();
            }
        });
    }
    if (!options.webhooks.allowed_hosts.empty()) dispatcher.start();
    edge.run();
    dispatcher.stop();
    {
        std::lock_guard lock(housekeeping_mutex);
        stopping = true;
    }
    housekeeping_wake.notify_all();
    housekeeping.join();
    if (keys_refresher.joinable()) keys_refresher.join();
    spdlog::info("stopped");
    return 0;
}

} // namespace facegate
