// SPDX-License-Identifier: MIT
// the `facegate` command line: parses arguments, reads files, prints JSON. No logic of its own:
// detect/compare call the engine and service, the collection commands go through the same
// Rekognition operation layer as the server, serve starts the server.
#include "auth/keys_command.h"
#include "common/error.h"
#include "core/face_engine.h"
#include "document/document_analyzer.h"
#include "document/document_explain.h"
#include "protocol/flow_json.h"
#include "protocol/rekognition_json.h"
#include "server/rekognition_api.h"
#include "server/serve.h"
#include "service/compare_faces.h"
#include "service/face_collections.h"
#include "service/identity_flows.h"
#include "auth/signing_keys.h"
#include "store/kek_source.h"
#include "store/open_store.h"
#include "store/store_migration.h"

#include <CLI/CLI.hpp>
#include <openssl/evp.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <vector>

namespace {

using facegate::Error;
using facegate::ErrorCode;

constexpr int kExitError = 2;

// reads at most limit + 1 bytes, enough for the decoder to refuse an oversize image without reading it all
std::vector<uint8_t> read_image_file(const std::string& path, size_t limit) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(ErrorCode::INVALID_PARAMETER, "cannot read image file " + path);
    std::vector<uint8_t> bytes(limit + 1);
    in.read(reinterpret_cast<char*>(bytes.data()), std::streamsize(bytes.size()));
    bytes.resize(size_t(in.gcount()));
    return bytes;
}

std::string base64(const std::vector<uint8_t>& bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(), int(bytes.size()));
    out.resize(size_t(n));
    return out;
}

void split_listen(const std::string& listen, facegate::HttpEdgeConfig& http) {
    auto colon = listen.rfind(':');
    if (colon == std::string::npos) throw Error(ErrorCode::INVALID_PARAMETER, "--listen must be HOST:PORT");
    http.host = listen.substr(0, colon);
    try {
        http.port = std::stoi(listen.substr(colon + 1));
    } catch (const std::exception&) {
        throw Error(ErrorCode::INVALID_PARAMETER, "--listen must be HOST:PORT");
    }
    if (http.port < 0 || http.port > 65535) throw Error(ErrorCode::INVALID_PARAMETER, "port out of range");
}

// the store a command opens (SQLite in the data directory, or PostgreSQL with --store), its face templates
// sealed under the configured KEK (store/kek_source.h); with may_create_kek, a new data directory gets DATA/kek
std::unique_ptr<facegate::Store> open_command_store(const facegate::StoreLocation& location,
                                                    const facegate::KekOptions& kek, bool may_create_kek = true) {
    facegate::OpenStoreOptions options;
    options.kek = kek;
    options.may_create_kek = may_create_kek;
    options.connections = 2;
    return facegate::open_store(location, options);
}

// a store, engine and service, for the collection and flow commands
struct LocalService {
    std::unique_ptr<facegate::Store> store;
    facegate::FaceEngine engine;
    facegate::FaceCollections service;
    LocalService(std::unique_ptr<facegate::Store> opened, const facegate::EngineConfig& config)
        : store(std::move(opened)), engine(config), service(*store, engine) {}
};

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"facegate: self-hosted face verification (Rekognition-compatible JSON on stdout)"};
    app.require_subcommand(1);
    app.set_config("--config", "", "TOML/INI file with option values (for example listen = \"0.0.0.0:8080\")");
    facegate::EngineConfig config;
    std::string model_dir = config.model_dir.string();
    app.add_option("--models", model_dir, "directory of the ONNX models")->envname("FACEGATE_MODEL_DIR")->capture_default_str();
    app.add_option("--threads", config.threads_per_inference, "OpenCV threads per inference (0: OpenCV's default)")
        ->envname("FACEGATE_THREADS")->capture_default_str();
    std::string data_dir = "data";

    auto* detect = app.add_subcommand("detect", "faces of an image, as Rekognition's DetectFaces with Attributes ALL");
    std::string detect_image;
    detect->add_option("IMAGE", detect_image, "JPEG, PNG, WebP or BMP file")->required();

    auto* document = app.add_subcommand("document", "the analysis of an ID document photo, as register sees it");
    std::string document_image;
    bool explain_document = false;
    document->add_option("FILE", document_image, "image of the identity document")->required();
    document->add_flag("--explain", explain_document,
                       "the evidence, timings and every MRZ character as read or corrected, with its alternatives");

    auto* compare = app.add_subcommand("compare", "the largest face of SOURCE against every face of TARGET, "
                                                  "as Rekognition's CompareFaces");
    std::string source_image, target_image;
    float threshold = facegate::kDefaultMatchThreshold;
    compare->add_option("SOURCE", source_image, "image whose largest face is compared")->required();
    compare->add_option("TARGET", target_image, "image whose faces are compared with it")->required();
    compare->add_option("--threshold", threshold, "similarity (0-100) from which a face matches")->capture_default_str();

    auto* serve = app.add_subcommand("serve", "the HTTP server: Rekognition's API on POST /, /healthz, /metrics");
    std::string listen = "127.0.0.1:8080";
    facegate::ServeOptions serve_options;
    serve->add_option("--data", data_dir, "data directory (SQLite database, access keys)")->envname("FACEGATE_DATA_DIR")->capture_default_str();
    serve->add_option("--listen", listen, "HOST:PORT to listen on (port 0: any free port)")->envname("FACEGATE_LISTEN")->capture_default_str();
    serve->add_option("--workers", config.workers, "face analyses that run at once")->envname("FACEGATE_WORKERS")->capture_default_str();
    // the HTTP edge (docs/server.md): event loop threads, limits, deadlines, admission control, TLS
    facegate::HttpEdgeConfig& edge = serve_options.edge;
    serve->add_option("--http-threads", edge.io_threads, "threads running the HTTP event loop (connections cost none)")
        ->envname("FACEGATE_HTTP_THREADS")->capture_default_str();
    serve->add_option("--max-body", serve_options.rekognition.max_image_body,
                      "largest request body in bytes of the image endpoints (others: 1 MB, /v1 admin: 64 KB)")
        ->envname("FACEGATE_MAX_BODY")->capture_default_str();
    serve->add_option("--max-connections", edge.max_connections, "open connections beyond which new ones are closed")
        ->envname("FACEGATE_MAX_CONNECTIONS")->capture_default_str();
    serve->add_option("--max-header-bytes", edge.max_header_bytes, "largest request line and header block (431 beyond)")
        ->capture_default_str();
    serve->add_option("--max-header-fields", edge.max_header_fields, "most header fields in a request (431 beyond)")
        ->capture_default_str();
    auto millis = [&](const char* name, std::chrono::milliseconds& value, const char* help, const char* env) {
        auto* opt = serve->add_option_function<double>(
            name, [&value](double seconds) { value = std::chrono::milliseconds(int64_t(seconds * 1000)); }, help);
        opt->envname(env)->default_str(std::to_string(double(value.count()) / 1000));
    };
    millis("--header-timeout", edge.header_timeout, "seconds for the request line and headers", "FACEGATE_HEADER_TIMEOUT");
    millis("--idle-timeout", edge.idle_timeout, "seconds a kept-alive connection may wait for its next request",
           "FACEGATE_IDLE_TIMEOUT");
    millis("--body-timeout", edge.body_timeout, "seconds of grace for a body, beyond its length at --body-min-rate",
           "FACEGATE_BODY_TIMEOUT");
    serve->add_option("--body-min-rate", edge.body_min_rate, "bytes per second a request body must arrive at, at least")
        ->envname("FACEGATE_BODY_MIN_RATE")->capture_default_str();
    millis("--write-timeout", edge.write_timeout, "seconds for the client to take a response", "FACEGATE_WRITE_TIMEOUT");
    millis("--queue-timeout", edge.analysis_lane.queue_timeout,
           "seconds a request may wait for an analysis worker; beyond (expected or real) it is shed with 503",
           "FACEGATE_QUEUE_TIMEOUT");
    serve->add_option("--queue-depth", edge.analysis_lane.max_queued, "analyses that may wait for a worker (503 beyond)")
        ->envname("FACEGATE_QUEUE_DEPTH")->capture_default_str();
    size_t memory_budget_mb = 0;
    serve->add_option("--memory-budget", memory_budget_mb,
                      "MB image decodes may hold at once (0: 512 per worker); larger images wait or are refused")
        ->envname("FACEGATE_MEMORY_BUDGET")->capture_default_str();
    millis("--shutdown-timeout", edge.shutdown_timeout, "seconds in-flight requests may take to finish after SIGTERM",
           "FACEGATE_SHUTDOWN_TIMEOUT");
    serve->add_option("--tls-cert", edge.tls_cert, "PEM certificate chain: serve HTTPS (reloaded on SIGHUP)")
        ->envname("FACEGATE_TLS_CERT");
    serve->add_option("--tls-key", edge.tls_key, "PEM private key of --tls-cert")->envname("FACEGATE_TLS_KEY");
    serve->add_option("--metrics-key", serve_options.metrics_key,
                      "a bearer token that may read /metrics (an admin API key always may)")
        ->envname("FACEGATE_METRICS_KEY");
    serve->add_flag("--trust-forwarded-proto", serve_options.flows.trust_forwarded_proto,
                    "behind a TLS proxy: X-Forwarded-Proto: https makes the demo cookie Secure")
        ->envname("FACEGATE_TRUST_FORWARDED_PROTO");
    serve->add_option("--approximate-from", serve_options.approximate_from,
                      "faces from which a collection searches its HNSW graph instead of scanning every face")
        ->envname("FACEGATE_APPROXIMATE_FROM")->capture_default_str();

    // the flows' policy: the server's defaults (overridable per request) and the CLI's register/verify
    facegate::FlowPolicy& policy = serve_options.policy;
    serve->add_option("--min-document-confidence", policy.registration.min_document_confidence,
                      "register: documentConfidence below which a sign-up is rejected")
        ->envname("FACEGATE_MIN_DOCUMENT_CONFIDENCE")->capture_default_str();
    serve->add_option("--max-existing-search-confidence", policy.registration.max_existing_search_confidence,
                      "register: similarity with another user's face above which the decision is existing_user")
        ->envname("FACEGATE_MAX_EXISTING_SEARCH_CONFIDENCE")->capture_default_str();
    serve->add_option("--allow-expired", policy.registration.allow_expired, "register: whether expired documents pass")
        ->envname("FACEGATE_ALLOW_EXPIRED")->capture_default_str();
    serve->add_option("--min-confidence", policy.verification.min_confidence, "verify: similarity needed to accept")
        ->envname("FACEGATE_MIN_CONFIDENCE")->capture_default_str();
    serve->add_option("--require-liveness", policy.verification.require_liveness, "verify: reject selfies that are not live")
        ->envname("FACEGATE_REQUIRE_LIVENESS")->capture_default_str();
    serve->add_option("--verify-limit-per-id", policy.rate_limits.per_external_id,
                      "verify: attempts per external ID in the window")
        ->envname("FACEGATE_VERIFY_LIMIT_PER_ID")->capture_default_str();
    serve->add_option("--verify-limit-per-client", policy.rate_limits.per_client,
                      "verify: attempts per client (API key, or address for the demo pages) in the window")
        ->envname("FACEGATE_VERIFY_LIMIT_PER_CLIENT")->capture_default_str();
    serve->add_option("--register-limit-per-id", policy.rate_limits.register_per_external_id,
                      "register: attempts per external ID in the window")
        ->envname("FACEGATE_REGISTER_LIMIT_PER_ID")->capture_default_str();
    serve->add_option("--register-limit-per-client", policy.rate_limits.register_per_client,
                      "register: attempts per client (API key, or address for the demo pages) in the window")
        ->envname("FACEGATE_REGISTER_LIMIT_PER_CLIENT")->capture_default_str();
    int window_seconds = int(policy.rate_limits.window.count());
    serve->add_option("--verify-limit-window", window_seconds, "verify: the rate limits' window in seconds")
        ->envname("FACEGATE_VERIFY_LIMIT_WINDOW")->capture_default_str();
    serve->add_option("--demo-max-sessions", serve_options.flows.demo_sessions.max_sessions,
                      "demo sessions held at once (the least recently used idle one makes room; active ones never)")
        ->envname("FACEGATE_DEMO_MAX_SESSIONS")->capture_default_str();
    serve->add_option("--demo-sessions-per-minute", serve_options.flows.demo_sessions.creations_per_minute,
                      "demo sessions one client address may create per minute")
        ->envname("FACEGATE_DEMO_SESSIONS_PER_MINUTE")->capture_default_str();
    serve->add_option("--demo-collection", serve_options.flows.demo_collection,
                      "collection of the demo pages /signup and /signin (empty: no demo)")
        ->envname("FACEGATE_DEMO_COLLECTION")->capture_default_str();

    // verification sessions (docs/sessions.md)
    serve->add_option("--session-attempts", serve_options.sessions.attempts,
                      "captures one verification session allows (1-10)")
        ->envname("FACEGATE_SESSION_ATTEMPTS")->check(CLI::Range(1, 10))->capture_default_str();
    serve->add_option("--allowed-return-origin", serve_options.sessions.allowed_return_origins,
                      "an origin (scheme://host[:port]) sessions may redirect to at the end; repeatable")
        ->envname("FACEGATE_ALLOWED_RETURN_ORIGINS")->delimiter(',');
    serve->add_option("--public-url", serve_options.sessions.public_url,
                      "this server's URL as browsers reach it (the hosted pages' links; default: from the Host header)")
        ->envname("FACEGATE_PUBLIC_URL");
    serve->add_option("--session-issuer", serve_options.sessions.issuer,
                      "iss of the signed session results (default: the public URL)")
        ->envname("FACEGATE_SESSION_ISSUER");

    // webhooks (docs/sessions.md, "Webhooks")
    serve->add_option("--webhook-allow", serve_options.webhooks.allowed_hosts,
                      "a host (or host:port) webhooks may POST to; repeatable. None: no webhooks")
        ->envname("FACEGATE_WEBHOOK_ALLOW")->delimiter(',');
    std::int64_t webhook_timeout_ms = serve_options.webhooks.timeout.count();
    std::int64_t webhook_first_retry_ms = serve_options.webhooks.first_retry.count();
    std::int64_t webhook_retry_for_s = serve_options.webhooks.retry_for.count() / 1000;
    serve->add_option("--webhook-timeout-ms", webhook_timeout_ms, "one webhook POST, from connect to the answer")
        ->envname("FACEGATE_WEBHOOK_TIMEOUT_MS")->check(CLI::Range(100, 60'000))->capture_default_str();
    serve->add_option("--webhook-first-retry-ms", webhook_first_retry_ms,
                      "the wait after a failed webhook POST; doubles with every failure, up to an hour")
        ->envname("FACEGATE_WEBHOOK_FIRST_RETRY_MS")->check(CLI::Range(10, 3'600'000))->capture_default_str();
    serve->add_option("--webhook-retry-for", webhook_retry_for_s, "seconds a failing delivery is retried before it fails")
        ->envname("FACEGATE_WEBHOOK_RETRY_FOR")->check(CLI::Range(1, 7 * 24 * 3600))->capture_default_str();

    auto* register_command = app.add_subcommand("register", "sign-up: an ID document photo under an external ID");
    auto* verify_command = app.add_subcommand("verify", "sign-in: a selfie against an external ID's faces");
    std::string flow_image, flow_collection, flow_external_id, index_mode;
    facegate::RegisterPolicyOverrides register_overrides;
    facegate::VerifyPolicyOverrides verify_overrides;
    for (auto* command : {register_command, verify_command}) {
        command->add_option("--data", data_dir, "data directory")->envname("FACEGATE_DATA_DIR")->capture_default_str();
        command->add_option("--collection", flow_collection, "collection id")->required();
        command->add_option("--external-id", flow_external_id, "the user's login identifier (any UTF-8)")->required();
    }
    register_command->add_option("DOCUMENT", flow_image, "image of the identity document")->required();
    register_command->add_option("--index", index_mode, "always: store the face whatever the decision")
        ->check(CLI::IsMember({"always", "accepted"}));
    register_command->add_option("--min-document-confidence", register_overrides.min_document_confidence);
    register_command->add_option("--max-existing-search-confidence", register_overrides.max_existing_search_confidence);
    register_command->add_option("--allow-expired", register_overrides.allow_expired);
    verify_command->add_option("SELFIE", flow_image, "the selfie")->required();
    verify_command->add_option("--min-confidence", verify_overrides.min_confidence);
    verify_command->add_option("--require-liveness", verify_overrides.require_liveness);

    auto* keys = app.add_subcommand("keys", "access keys (SigV4) and API keys (Bearer, /v1) of a data directory "
                                            "(works with or without a running server)");
    keys->require_subcommand(1);
    keys->add_option("--data", data_dir, "data directory")->envname("FACEGATE_DATA_DIR")->capture_default_str();
    auto* keys_create = keys->add_subcommand("create", "make a key and print it once");
    std::string key_kind(facegate::kAccessKeyKind), key_scope;
    keys_create->add_option("--kind", key_kind, "access: a SigV4 key pair (admin); api: a Bearer key for /v1")
        ->check(CLI::IsMember({"access", "api"}))->capture_default_str();
    bool allow_policy_overrides = false;
    keys_create->add_flag("--allow-policy-overrides", allow_policy_overrides,
                          "API keys: requests may carry their own thresholds (minConfidence...); admin keys always may");
    keys_create->add_option("--scope", key_scope, "API keys: flows (register, verify; the default) or admin")
        ->check(CLI::IsMember({"flows", "admin"}));
    auto* keys_list = keys->add_subcommand("list", "list keys (no secrets)");
    auto* keys_revoke = keys->add_subcommand("revoke", "revoke a key");
    std::string revoke_id;
    keys_revoke->add_option("KEY_ID", revoke_id, "an access key id, or an API key id (fgk_...)")->required();
    // templates at rest (docs/security.md): the KEK and the data key
    auto* keys_rotate_kek = keys->add_subcommand("rotate-kek", "re-wrap the face templates' data key with a new "
                                                               "key-encryption key (the old one from --kek-file...)");
    std::string new_kek_file;
    keys_rotate_kek->add_option("--new-kek-file", new_kek_file, "file with the new KEK (64 hex digits)")->required();
    auto* keys_rotate_data_key = keys->add_subcommand(
        "rotate-data-key", "make a new data key and re-seal every face template with it (resumable; safe beside a "
                           "running server)");
    size_t reseal_batch = 512;
    keys_rotate_data_key->add_option("--batch", reseal_batch, "templates re-sealed per write transaction")
        ->capture_default_str();

    auto* keys_rotate_signing_key = keys->add_subcommand(
        "rotate-signing-key", "make a new signing key for the session results (the old one stays published until "
                              "its tokens expire)");

    auto* collection = app.add_subcommand("collection", "face collections in a data directory");
    collection->require_subcommand(1);
    collection->add_option("--data", data_dir, "data directory")->envname("FACEGATE_DATA_DIR")->capture_default_str();
    std::string collection_id;
    auto* collection_create = collection->add_subcommand("create", "CreateCollection");
    collection_create->add_option("COLLECTION_ID", collection_id)->required();
    auto* collection_list = collection->add_subcommand("list", "ListCollections");
    auto* collection_delete = collection->add_subcommand("delete", "DeleteCollection");
    collection_delete->add_option("COLLECTION_ID", collection_id)->required();

    auto* index = app.add_subcommand("index", "IndexFaces: store the faces of IMAGE in a collection");
    std::string index_image, external_id;
    index->add_option("--data", data_dir, "data directory")->envname("FACEGATE_DATA_DIR")->capture_default_str();
    index->add_option("--collection", collection_id, "collection id")->required();
    index->add_option("--external-id", external_id, "ExternalImageId to store the faces under");
    index->add_option("IMAGE", index_image)->required();

    auto* search = app.add_subcommand("search", "SearchFacesByImage: faces of a collection like IMAGE's largest face");
    std::string search_image;
    int max_faces = 10;
    search->add_option("--data", data_dir, "data directory")->envname("FACEGATE_DATA_DIR")->capture_default_str();
    search->add_option("--collection", collection_id, "collection id")->required();
    search->add_option("--threshold", threshold, "FaceMatchThreshold (0-100)")->capture_default_str();
    search->add_option("--max-faces", max_faces, "MaxFaces")->capture_default_str();
    search->add_option("IMAGE", search_image)->required();

    auto* migrate = app.add_subcommand("migrate", "copy a data directory's store (collections, faces, users, tokens, "
                                                  "audit, keys) into a PostgreSQL database; a second run copies nothing");
    std::string migrate_from, migrate_to;
    migrate->add_option("--from", migrate_from, "data directory (its SQLite database and key files)")->required();
    migrate->add_option("--to", migrate_to, "PostgreSQL connection URI")->required();
    std::string migrate_from_kek;
    migrate->add_option("--from-kek-file", migrate_from_kek,
                        "the source's KEK, when it is not DATA_DIR/kek (default) nor the destination's");

    // every command that opens the store: where the key-encryption key of the face templates is
    facegate::KekOptions kek_options;
    std::string store_uri;
    for (auto* command : {serve, register_command, verify_command, keys, collection, index, search, migrate}) {
        if (command != migrate)
            command->add_option("--store", store_uri, "PostgreSQL connection URI (postgresql://USER@HOST:PORT/DB?...): "
                                                  "the store shared by several nodes, keys included; "
                                                  "default: SQLite in --data")
            ->envname("FACEGATE_STORE");
        command->add_option("--kek-file", kek_options.file, "file holding the key-encryption key of the face "
                                                            "templates, 64 hex digits (default: DATA/kek)")
            ->envname("FACEGATE_KEK_FILE");
        command->add_option("--kek-command", kek_options.command,
                            "command whose output is the key-encryption key (a KMS or vault client)")
            ->envname("FACEGATE_KEK_COMMAND");
    }

    // options of a command may follow its subcommand (`facegate keys create --data DIR`)
    for (auto* command : {keys, collection}) {
        for (auto* sub : command->get_subcommands({})) sub->fallthrough();
    }
    CLI11_PARSE(app, argc, argv);

    try {
        config.model_dir = model_dir;
        nlohmann::json out;
        policy.rate_limits.window = std::chrono::seconds(window_seconds);
        if (const char* kek_text = std::getenv("FACEGATE_KEK")) kek_options.text = kek_text;
        if (*serve) {
            serve_options.kek = kek_options;
            split_listen(listen, serve_options.edge);
            serve_options.memory_budget = memory_budget_mb << 20;
            serve_options.webhooks.timeout = std::chrono::milliseconds(webhook_timeout_ms);
            serve_options.webhooks.first_retry = std::chrono::milliseconds(webhook_first_retry_ms);
            serve_options.webhooks.retry_for = std::chrono::seconds(webhook_retry_for_s);
            serve_options.data_dir = data_dir;
            serve_options.store_uri = store_uri;
            serve_options.engine = config;
            return facegate::serve(serve_options);
        }
        const facegate::StoreLocation location{data_dir, store_uri};
        if (*migrate) {
            // both stores open with the same KEK: the source's to read its templates, the destination's to seal them
            if (!std::filesystem::exists(std::filesystem::path(migrate_from) / "facegate.db"))
                throw Error(ErrorCode::INVALID_PARAMETER, "no facegate database in " + migrate_from);
            // the source opens with its own KEK (--from-kek-file, else DATA_DIR/kek when it has one, else the
            // destination's); the destination with --kek-file, --kek-command or FACEGATE_KEK. The templates are
            // re-sealed under the destination's data key either way
            facegate::KekOptions source_kek = kek_options;
            if (!migrate_from_kek.empty()) source_kek = facegate::KekOptions{.file = migrate_from_kek};
            else if (std::filesystem::exists(facegate::data_dir_kek_path(migrate_from))) source_kek = facegate::KekOptions{};
            auto opened = [](const char* side, const auto& open) {
                try {
                    return open();
                } catch (const Error& e) {
                    throw Error(e.code(), std::string(side) + ": " + e.what());
                }
            };
            std::unique_ptr<facegate::Store> from = opened("the source (--from)", [&] {
                return open_command_store({migrate_from, ""}, source_kek, false);
            });
            std::unique_ptr<facegate::Store> to = opened("the destination (--to)", [&] {
                return open_command_store({migrate_from, migrate_to}, kek_options, false);
            });
            auto said = std::chrono::steady_clock::now();
            facegate::MigrationReport report = facegate::migrate_store(
                *from, *to, std::filesystem::absolute(migrate_from).string(), [&](const std::string& what, std::uint64_t n) {
                    if (std::chrono::steady_clock::now() - said < std::chrono::seconds(2)) return;
                    said = std::chrono::steady_clock::now();
                    std::cerr << "facegate: migrate: " << n << " " << what << " so far\n";
                });
            const std::size_t access = facegate::copy_access_keys(facegate::access_key_list(migrate_from),
                                                                  facegate::access_key_list(migrate_from, to.get()));
            const std::size_t api = facegate::copy_api_keys(facegate::api_key_list(migrate_from),
                                                            facegate::api_key_list(migrate_from, to.get()));
            auto counts = [](const facegate::MigrationCounts& c) {
                return nlohmann::ordered_json{{"source", c.source}, {"copied", c.copied}, {"destination", c.destination}};
            };
            nlohmann::ordered_json result{{"to", facegate::redact_store_uri(migrate_to)},
                                          {"collections", counts(report.collections)},
                                          {"users", counts(report.users)},
                                          {"faces", counts(report.faces)},
                                          {"clientRequestTokens", counts(report.tokens)},
                                          {"auditRecords", counts(report.audit)},
                                          {"keysCopied", {{"access", access}, {"api", api}}},
                                          {"verified", report.mismatches.empty()},
                                          {"mismatches", report.mismatches}};
            std::cout << result.dump(2) << '\n';
            return report.mismatches.empty() ? 0 : kExitError;
        }
        if (*keys && *keys_rotate_signing_key) {
            std::unique_ptr<facegate::Store> opened = open_command_store(location, kek_options, false);
            facegate::SigningKeys signing(*opened);
            const std::string kid = signing.rotate();
            nlohmann::ordered_json result{{"kid", kid}};
            std::vector<std::string> published;
            const nlohmann::json set = signing.jwks();
            for (const auto& key : set["keys"]) published.push_back(key["kid"].get<std::string>());
            result["published"] = published;
            std::cout << result.dump(2) << '\n';
            return 0;
        }
        if (*keys && (*keys_rotate_kek || *keys_rotate_data_key)) {
            std::unique_ptr<facegate::Store> opened = open_command_store(location, kek_options, false);
            facegate::Store& store = *opened;
            nlohmann::ordered_json result;
            if (*keys_rotate_kek) {
                const std::string previous = store.template_key_status().kek_id;
                std::optional<facegate::Kek> next = facegate::load_kek({.file = new_kek_file}, data_dir);
                store.rotate_kek(*next);
                result = {{"kekId", next->id}, {"previousKekId", previous}};
                std::cerr << "facegate: the data keys are now wrapped by the KEK in " << new_kek_file
                          << ": start facegate with --kek-file " << new_kek_file
                          << " (or put that KEK where --kek-file or --kek-command finds it); the old KEK no longer "
                             "opens the store\n";
            } else {
                const auto started = std::chrono::steady_clock::now();
                auto said = started;
                facegate::DataKeyRotation rotation =
                    store.rotate_data_key(reseal_batch, [&](std::uint64_t done, std::uint64_t left) {
                        if (std::chrono::steady_clock::now() - said < std::chrono::seconds(2)) return;
                        said = std::chrono::steady_clock::now();
                        std::cerr << "facegate: re-sealed " << done << " face templates, " << left << " to go\n";
                    });
                result = {{"dataKeyVersion", rotation.version},
                          {"resumed", rotation.resumed},
                          {"resealed", rotation.resealed},
                          {"retiredDataKeys", rotation.retired},
                          {"seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()}};
            }
            facegate::TemplateKeyStatus status = store.template_key_status();
            result["dataKeys"] = status.versions;
            result["pending"] = status.pending;
            std::cout << result.dump(2) << '\n';
            return 0;
        }
        if (*keys) {
            // the keys of a data directory are files; those of a shared store are in it
            std::unique_ptr<facegate::Store> shared;
            if (location.shared()) shared = open_command_store(location, kek_options, false);
            if (*keys_create) {
                std::cout << facegate::keys_create_command(data_dir, key_kind, key_scope, allow_policy_overrides,
                                                           shared.get())
                          << '\n';
            }
            else if (*keys_list) std::cout << facegate::keys_list_command(data_dir, shared.get()) << '\n';
            else std::cout << facegate::keys_revoke_command(data_dir, revoke_id, shared.get()) << '\n';
            return 0;
        }
        config.workers = 1;
        if (*register_command || *verify_command) {
            LocalService local(open_command_store(location, kek_options), config);
            facegate::DocumentAnalyzer analyzer(local.engine);
            facegate::IdentityFlows flows(local.service, analyzer, policy);
            auto image = read_image_file(flow_image, config.decode.max_bytes);
            if (*register_command) {
                facegate::RegisterRequest request{flow_collection, flow_external_id, image, index_mode == "always",
                                                  register_overrides, "cli", ""};
                out = facegate::register_result_json(request, flows.register_document(request), facegate::mrz_today_utc());
            } else {
                facegate::VerifyRequest request{flow_collection, flow_external_id, image, verify_overrides, "cli", ""};
                out = facegate::verify_result_json(request, flows.verify_selfie(request));
            }
            std::cout << out.dump(2) << '\n';
            return 0;
        }
        if (*collection || *index || *search) {
            LocalService local(open_command_store(location, kek_options), config);
            if (*collection_create) {
                out = facegate::handle_rekognition_operation(local.service, "CreateCollection", {{"CollectionId", collection_id}});
            } else if (*collection_list) {
                out = facegate::handle_rekognition_operation(local.service, "ListCollections", nlohmann::json::object());
            } else if (*collection_delete) {
                out = facegate::handle_rekognition_operation(local.service, "DeleteCollection", {{"CollectionId", collection_id}});
            } else if (*index) {
                nlohmann::json request = {{"CollectionId", collection_id},
                                          {"Image", {{"Bytes", base64(read_image_file(index_image, config.decode.max_bytes))}}}};
                if (!external_id.empty()) request["ExternalImageId"] = external_id;
                out = facegate::handle_rekognition_operation(local.service, "IndexFaces", request);
            } else {
                out = facegate::handle_rekognition_operation(
                    local.service, "SearchFacesByImage",
                    {{"CollectionId", collection_id},
                     {"Image", {{"Bytes", base64(read_image_file(search_image, config.decode.max_bytes))}}},
                     {"FaceMatchThreshold", threshold},
                     {"MaxFaces", max_faces}});
            }
            std::cout << out.dump(2) << '\n';
            return 0;
        }
        facegate::FaceEngine engine(config);
        if (*document) {
            facegate::DocumentTimings timings;
            const auto today = facegate::mrz_today_utc();
            auto analysis = facegate::DocumentAnalyzer(engine).analyze(
                read_image_file(document_image, config.decode.max_bytes), today, &timings);
            std::cout << facegate::document_analysis_json(analysis, timings, today, explain_document) << '\n';
            return 0;
        }
        if (*detect) {
            out = facegate::detect_faces_json(engine.analyze_bytes(read_image_file(detect_image, config.decode.max_bytes)));
        } else {
            auto source = read_image_file(source_image, config.decode.max_bytes);
            auto target = read_image_file(target_image, config.decode.max_bytes);
            out = facegate::compare_faces_json(facegate::compare_faces(engine, source, target, threshold));
        }
        std::cout << out.dump(2) << '\n';
        return 0;
    } catch (const Error& e) {
        std::cerr << facegate::error_json(e, true).dump() << '\n';
    } catch (const std::exception& e) {
        std::cerr << facegate::error_json(Error(ErrorCode::INTERNAL, e.what())).dump() << '\n';
    }
    return kExitError;
}
