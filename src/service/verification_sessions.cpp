// SPDX-License-Identifier: MIT
#include "service/verification_sessions.h"

#include "common/bytes.h"
#include "common/error.h"
#include "common/sha256.h"
#include "protocol/error_mapping.h"
#include "service/external_id.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>

namespace facegate {

namespace {

constexpr std::int64_t kProcessingGraceMs = 5 * 60 * 1000; // a capture cut off by a crash stops holding the session
constexpr std::string_view kSessionPrefix = "fgs_";
constexpr std::string_view kSecretPrefix = "fgcs_";
// fgcs_<the session id's 32 hex digits>_<32 random bytes in base64url>
constexpr std::size_t kClientSecretSize = kSecretPrefix.size() + 32 + 1 + 43;

std::string base64url_of(std::string_view bytes) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (unsigned char c : bytes) {
        acc = (acc << 8) | c;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out.push_back(kAlphabet[(acc >> bits) & 63]);
        }
    }
    if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 63]);
    return out;
}

bool server_side(ErrorCode code) {
    switch (code) {
    case ErrorCode::THROTTLED:
    case ErrorCode::OVERLOADED:
    case ErrorCode::STORE_UNAVAILABLE:
    case ErrorCode::MODEL_UNAVAILABLE:
    case ErrorCode::INTERNAL: return true;
    default: return false;
    }
}

std::optional<float> number_of(const nlohmann::json& policy, const char* name) {
    if (!policy.contains(name)) return std::nullopt;
    const auto& v = policy[name];
    if (!v.is_number()) throw Error(ErrorCode::INVALID_PARAMETER, std::string("policy.") + name + " must be a number");
    return v.get<float>();
}

std::optional<bool> bool_of(const nlohmann::json& policy, const char* name) {
    if (!policy.contains(name)) return std::nullopt;
    const auto& v = policy[name];
    if (!v.is_boolean()) throw Error(ErrorCode::INVALID_PARAMETER, std::string("policy.") + name + " must be true or false");
    return v.get<bool>();
}

struct SessionOptions {
    Disclosure disclosure = Disclosure::FLOW;
    RegisterPolicyOverrides register_overrides;
    VerifyPolicyOverrides verify_overrides;
    bool index_always = false;
};

// the policy object of a session: only the fields of its action; INVALID_PARAMETER for anything else
SessionOptions parse_policy(const std::string& action, const nlohmann::json& policy) {
    SessionOptions out;
    if (policy.is_null()) return out;
    if (!policy.is_object()) throw Error(ErrorCode::INVALID_PARAMETER, "policy must be a JSON object");
    const std::vector<std::string> allowed =
        action == "register"
            ? std::vector<std::string>{"minDocumentConfidence", "maxExistingSearchConfidence", "allowExpired", "index"}
            : std::vector<std::string>{"minConfidence", "requireLiveness"};
    for (const auto& item : policy.items()) {
        if (std::find(allowed.begin(), allowed.end(), item.key()) == allowed.end())
            throw Error(ErrorCode::INVALID_PARAMETER, "policy field not allowed for " + action + ": " +
                                                          item.key().substr(0, 64));
    }
    if (action == "register") {
        out.register_overrides.min_document_confidence = number_of(policy, "minDocumentConfidence");
        out.register_overrides.max_existing_search_confidence = number_of(policy, "maxExistingSearchConfidence");
        out.register_overrides.allow_expired = bool_of(policy, "allowExpired");
        if (policy.contains("index")) {
            const auto& index = policy["index"];
            if (!index.is_string() || (index != "always" && index != "accepted"))
                throw Error(ErrorCode::INVALID_PARAMETER, "policy.index must be always or accepted");
            out.index_always = index == "always";
        }
        apply_overrides(RegisterPolicy{}, out.register_overrides); // ranges
    } else {
        out.verify_overrides.min_confidence = number_of(policy, "minConfidence");
        out.verify_overrides.require_liveness = bool_of(policy, "requireLiveness");
        apply_overrides(VerifyPolicy{}, out.verify_overrides);
    }
    return out;
}

SessionOptions parse_options(const SessionRecord& s) {
    nlohmann::json options = nlohmann::json::parse(s.options, nullptr, false);
    if (!options.is_object()) throw Error(ErrorCode::INTERNAL, "a stored session's options are malformed");
    SessionOptions out = parse_policy(s.action, options.value("policy", nlohmann::json()));
    out.disclosure = options.value("disclosure", "flow") == "full" ? Disclosure::FULL : Disclosure::FLOW;
    return out;
}

std::chrono::year_month_day day_of(std::int64_t ms) {
    return std::chrono::year_month_day{
        std::chrono::floor<std::chrono::days>(std::chrono::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(ms)))};
}

std::int64_t system_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace

std::optional<std::string> url_origin(std::string_view url) {
    if (url.empty() || url.size() > kMaxSessionUrlBytes) return std::nullopt;
    for (unsigned char c : url)
        if (c <= 0x20 || c >= 0x7f || c == '\\') return std::nullopt;
    std::string lower(url.substr(0, 8));
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    std::string scheme;
    if (lower.starts_with("https://")) scheme = "https";
    else if (lower.starts_with("http://")) scheme = "http";
    else return std::nullopt;
    std::string_view rest = url.substr(scheme.size() + 3);
    std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
    if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
    if (authority.front() == ':' || authority.back() == ':') return std::nullopt;
    std::string host(authority);
    std::transform(host.begin(), host.end(), host.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return scheme + "://" + host;
}

VerificationSessions::VerificationSessions(Store& store, IdentityFlows& flows, SessionsConfig config, ClaimsSigner sign,
                                           Clock clock)
    : store_(store), flows_(flows), config_(std::move(config)), sign_(std::move(sign)),
      clock_(clock ? std::move(clock) : Clock(system_ms)) {
    if (config_.attempts < 1 || config_.attempts > 10)
        throw Error(ErrorCode::INVALID_PARAMETER, "session attempts must be between 1 and 10");
    for (std::string& origin : config_.allowed_return_origins) {
        std::optional<std::string> parsed = url_origin(origin);
        if (!parsed || parsed->size() != origin.size())
            throw Error(ErrorCode::INVALID_PARAMETER, "an allowed return origin must be scheme://host[:port], no path: " +
                                                          origin.substr(0, 200));
        origin = *parsed;
    }
    while (!config_.public_url.empty() && config_.public_url.back() == '/') config_.public_url.pop_back();
}

bool VerificationSessions::return_origin_allowed(std::string_view url) const {
    std::optional<std::string> origin = url_origin(url);
    if (!origin) return false;
    return std::find(config_.allowed_return_origins.begin(), config_.allowed_return_origins.end(), *origin) !=
           config_.allowed_return_origins.end();
}

CreatedSession VerificationSessions::create(const NewSessionRequest& request) {
    if (request.action != "register" && request.action != "verify")
        throw Error(ErrorCode::INVALID_PARAMETER, "action must be register or verify");
    validate_collection_id(request.collection_id);
    const std::string external_id = canonical_external_id(request.external_id);
    const std::int64_t lifetime = request.expires_in.value_or(config_.default_lifetime.count());
    if (lifetime < 1 || lifetime > config_.max_lifetime.count())
        throw Error(ErrorCode::INVALID_PARAMETER,
                    "expiresIn must be between 1 and " + std::to_string(config_.max_lifetime.count()) + " seconds");
    if (request.return_url) {
        if (!url_origin(*request.return_url))
            throw Error(ErrorCode::INVALID_PARAMETER, "returnUrl must be an absolute http or https URL of at most 2048 bytes");
        if (!return_origin_allowed(*request.return_url))
            throw Error(ErrorCode::INVALID_PARAMETER,
                        "returnUrl's origin is not one this server may redirect to (--allowed-return-origin)");
    }
    const bool has_policy = request.policy.is_object() && !request.policy.empty();
    if (!request.policy.is_null() && !request.policy.is_object())
        throw Error(ErrorCode::INVALID_PARAMETER, "policy must be a JSON object");
    if (has_policy && !request.may_override_policy)
        throw Error(ErrorCode::ACCESS_DENIED, "this caller may not override the policy: use an admin key or an API key "
                                              "created with --allow-policy-overrides");
    parse_policy(request.action, request.policy); // validates
    if (request.action == "verify" && !store_.get_collection(request.collection_id))
        throw Error(ErrorCode::RESOURCE_NOT_FOUND, "the collection does not exist");

    const std::string base = config_.public_url.empty() ? request.base_url : config_.public_url;
    if (!url_origin(base)) throw Error(ErrorCode::INVALID_PARAMETER, "the request's Host does not make a URL");

    CreatedSession out;
    SessionRecord& s = out.record;
    const std::string id_hex = hex_of(random_bytes(16));
    s.session_id = std::string(kSessionPrefix) + id_hex;
    // the secret names its session (as Stripe's do), so that a browser SDK needs nothing else
    out.client_secret = std::string(kSecretPrefix) + id_hex + "_" + base64url_of(random_bytes(32));
    s.owner = request.owner;
    s.secret_sha256 = sha256_hex(out.client_secret);
    s.action = request.action;
    s.collection_id = request.collection_id;
    s.external_id = external_id;
    s.return_url = request.return_url.value_or("");
    s.base_url = base;
    nlohmann::json options{{"disclosure", request.disclosure == Disclosure::FULL ? "full" : "flow"}};
    if (has_policy) options["policy"] = request.policy;
    s.options = options.dump();
    s.created_ms = clock_();
    s.updated_ms = s.created_ms;
    s.expires_ms = s.created_ms + lifetime * 1000;
    store_.create_session(s);
    out.url = base + "/s/" + s.session_id + "#" + out.client_secret;
    return out;
}

std::string VerificationSessions::status_of(const SessionRecord& s) const {
    const std::int64_t now = clock_();
    if (s.status == SessionStatus::CREATED && now >= s.expires_ms) return "expired";
    if (s.status == SessionStatus::PROCESSING && now >= s.expires_ms + kProcessingGraceMs) return "expired";
    return std::string(session_status_name(s.status));
}

std::uint32_t VerificationSessions::attempts_left(const SessionRecord& s) const {
    if (status_of(s) != "created") return 0;
    return s.attempts >= config_.attempts ? 0 : config_.attempts - s.attempts;
}

std::string VerificationSessions::issuer_of(const SessionRecord& s) const {
    if (!config_.issuer.empty()) return config_.issuer;
    return s.base_url;
}

std::string VerificationSessions::token(const SessionRecord& s, bool flow) {
    const nlohmann::json result = nlohmann::json::parse(s.result, nullptr, false);
    const nlohmann::json shown = nlohmann::json::parse(s.public_result, nullptr, false);
    const std::int64_t iat = clock_() / 1000;
    nlohmann::json claims{{"iss", issuer_of(s)},
                          {"aud", s.owner},
                          {"sub", s.external_id},
                          {"sid", s.session_id},
                          {"action", s.action},
                          {"collectionId", s.collection_id},
                          {"iat", iat},
                          {"exp", iat + config_.token_lifetime.count()}};
    claims["outcome"] = shown.is_object() ? shown.value("outcome", "other_method") : "other_method";
    if (!flow) {
        // through the browser: what the person may see (docs/security.md), never a score, never existing_user
        claims["decision"] = shown.is_object() ? shown.value("decision", "rejected") : "rejected";
        return sign_(claims);
    }
    claims["decision"] = result.is_object() ? result.value("decision", "rejected") : "rejected";
    if (result.is_object() && !result.contains("error")) {
        for (const char* name : {"confidence", "documentConfidence", "existingSearchConfidence"})
            if (result.contains(name) && result[name].is_number()) claims[name] = result[name];
    }
    return sign_(claims);
}

std::string VerificationSessions::redirect_url(const SessionRecord& s) {
    if (s.status != SessionStatus::COMPLETED || s.return_url.empty() || !return_origin_allowed(s.return_url)) return "";
    std::string url = s.return_url;
    std::string fragment;
    if (auto hash = url.find('#'); hash != std::string::npos) {
        fragment = url.substr(hash);
        url.resize(hash);
    }
    url += url.find('?') == std::string::npos ? '?' : '&';
    url += "facegate_session=" + s.session_id + "&result=" + token(s, false);
    return url + fragment;
}

nlohmann::json VerificationSessions::describe(const std::string& session_id, const std::string& owner) {
    std::optional<SessionRecord> s = store_.get_session(session_id);
    if (!s || s->owner != owner) throw Error(ErrorCode::RESOURCE_NOT_FOUND, "no such session");
    nlohmann::json out = owner_view(*s);
    if (s->status == SessionStatus::COMPLETED) out["resultToken"] = token(*s, true);
    return out;
}

nlohmann::json VerificationSessions::summary(const SessionRecord& s) const {
    nlohmann::json out{{"sessionId", s.session_id},
                       {"action", s.action},
                       {"collectionId", s.collection_id},
                       {"externalId", s.external_id},
                       {"status", status_of(s)},
                       {"attempts", s.attempts},
                       {"maxAttempts", config_.attempts},
                       {"createdAt", iso_time(s.created_ms)},
                       {"expiresAt", iso_time(s.expires_ms)}};
    if (s.status == SessionStatus::COMPLETED) out["completedAt"] = iso_time(s.updated_ms);
    return out;
}

nlohmann::json VerificationSessions::owner_view(const SessionRecord& s) const {
    nlohmann::json out = summary(s);
    out["returnUrl"] = s.return_url.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.return_url);
    if (s.status == SessionStatus::COMPLETED) out["result"] = nlohmann::json::parse(s.result, nullptr, false);
    return out;
}

nlohmann::json VerificationSessions::list(const SessionListRequest& request) {
    SessionQuery query;
    query.owner = request.admin ? "" : request.owner;
    query.action = request.action;
    query.collection_id = request.collection_id;
    query.now_ms = clock_();
    query.limit = request.limit;
    if (request.limit < 1 || request.limit > 1000) throw Error(ErrorCode::INVALID_PARAMETER, "limit must be 1-1000");
    if (!request.status.empty()) {
        // "expired" is a created session past its expiry; "created" one still open
        if (request.status == "expired" || request.status == "created") {
            query.status = SessionStatus::CREATED;
            query.expired = request.status == "expired";
        } else if (request.status == "processing" || request.status == "completed" || request.status == "canceled") {
            query.status = parse_session_status(request.status);
        } else {
            throw Error(ErrorCode::INVALID_PARAMETER, "status must be created, processing, completed, expired or canceled");
        }
    }
    if (!request.next_token.empty()) {
        // "<created_ms>.<session id>" of the last session of the previous page
        const std::size_t dot = request.next_token.find('.');
        std::int64_t created = -1;
        if (dot != std::string::npos && dot > 0 && dot <= 15 &&
            std::all_of(request.next_token.begin(), request.next_token.begin() + long(dot), ::isdigit))
            created = std::stoll(request.next_token.substr(0, dot));
        const std::string id = dot == std::string::npos ? "" : request.next_token.substr(dot + 1);
        if (created < 0 || !id.starts_with(kSessionPrefix) || id.size() != kSessionPrefix.size() + 32)
            throw Error(ErrorCode::INVALID_PAGINATION_TOKEN, "nextToken is not one this listing gave out");
        query.before = std::make_pair(created, id);
    }
    std::vector<SessionRecord> page = store_.list_sessions(query);
    nlohmann::json sessions = nlohmann::json::array();
    for (const SessionRecord& s : page) {
        nlohmann::json item = summary(s);
        item["owner"] = s.owner;
        if (s.status == SessionStatus::COMPLETED) {
            const nlohmann::json result = nlohmann::json::parse(s.result, nullptr, false);
            if (result.is_object() && result.contains("decision")) item["decision"] = result["decision"];
        }
        sessions.push_back(std::move(item));
    }
    nlohmann::json out{{"sessions", std::move(sessions)}};
    if (page.size() == query.limit)
        out["nextToken"] = std::to_string(page.back().created_ms) + "." + page.back().session_id;
    return out;
}

void VerificationSessions::send_events_to(Webhooks& webhooks, std::function<void()> on_event) {
    webhooks_ = &webhooks;
    on_event_ = std::move(on_event);
}

nlohmann::json VerificationSessions::cancel(const std::string& session_id, const std::string& owner) {
    std::optional<SessionRecord> s = store_.get_session(session_id);
    if (!s || s->owner != owner) throw Error(ErrorCode::RESOURCE_NOT_FOUND, "no such session");
    const std::string status = status_of(*s);
    if (status != "created") throw Error(ErrorCode::CONFLICT, "the session is " + status + ": it cannot be canceled");
    SessionRecord next = *s;
    next.status = SessionStatus::CANCELED;
    next.updated_ms = clock_();
    if (!store_.update_session(next, SessionStatus::CREATED, s->attempts))
        throw Error(ErrorCode::CONFLICT, "the session changed meanwhile: read it again");
    return describe(session_id, owner);
}

SessionRecord VerificationSessions::authenticate(const std::string& session_id, std::string_view secret) {
    const auto refused = [] { return Error(ErrorCode::UNRECOGNIZED_CLIENT, "the session or its client secret is not valid"); };
    const bool well_formed_id = session_id.size() == kSessionPrefix.size() + 32 && session_id.starts_with(kSessionPrefix) &&
                                std::all_of(session_id.begin() + kSessionPrefix.size(), session_id.end(),
                                            [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
    if (!well_formed_id || secret.size() != kClientSecretSize || !secret.starts_with(kSecretPrefix) ||
        secret.substr(kSecretPrefix.size(), 33) != session_id.substr(kSessionPrefix.size()) + "_")
        throw refused();
    std::optional<SessionRecord> s = store_.get_session(session_id);
    const std::string hash = sha256_hex(secret);
    if (!s || s->secret_sha256.size() != hash.size() ||
        CRYPTO_memcmp(s->secret_sha256.data(), hash.data(), hash.size()) != 0)
        throw refused();
    return *s;
}

nlohmann::json VerificationSessions::client_state(const SessionRecord& s, const std::optional<std::string>& embed_origin) {
    nlohmann::json out{{"sessionId", s.session_id},
                       {"action", s.action},
                       {"status", status_of(s)},
                       {"attemptsLeft", attempts_left(s)},
                       {"expiresAt", iso_time(s.expires_ms)}};
    if (embed_origin) {
        // the page posts its end to this origin only, and only an allowed one may frame it (frame-ancestors)
        std::optional<std::string> origin = url_origin(*embed_origin);
        if (!origin || *origin != *embed_origin || !return_origin_allowed(*origin))
            throw Error(ErrorCode::INVALID_PARAMETER, "embedOrigin is not an origin this server allows (--allowed-return-origin)");
        out["embedOrigin"] = *origin;
    }
    if (s.status == SessionStatus::COMPLETED) {
        out["result"] = nlohmann::json::parse(s.public_result, nullptr, false);
        add_completion(out, s);
    }
    return out;
}

void VerificationSessions::add_completion(nlohmann::json& out, const SessionRecord& s) {
    if (s.status != SessionStatus::COMPLETED) return;
    // the browser's signed result (no score): the SDK hands it to the application's backend, which verifies it
    out["resultToken"] = token(s, false);
    if (const std::string redirect = redirect_url(s); !redirect.empty()) out["redirectUrl"] = redirect;
}

nlohmann::json VerificationSessions::capture(const SessionRecord& session, std::span<const std::uint8_t> image,
                                             const std::string& request_id) {
    const std::string status = status_of(session);
    if (status != "created") throw Error(ErrorCode::CONFLICT, "the session is " + status + ": no capture is possible");
    if (session.attempts >= config_.attempts) throw Error(ErrorCode::CONFLICT, "the session has no attempts left");
    const SessionOptions options = parse_options(session);

    SessionRecord claimed = session;
    claimed.status = SessionStatus::PROCESSING;
    claimed.attempts = session.attempts + 1;
    claimed.updated_ms = clock_();
    if (!store_.update_session(claimed, SessionStatus::CREATED, session.attempts))
        throw Error(ErrorCode::CONFLICT, "another capture of this session is running or finished");
    const bool last = claimed.attempts >= config_.attempts;

    // back to created (the attempt counted or given back), or completed with the results
    auto settle = [&](SessionStatus status, std::uint32_t attempts, std::string result, std::string shown) {
        SessionRecord next = claimed;
        next.status = status;
        next.attempts = attempts;
        next.updated_ms = clock_();
        next.result = std::move(result);
        next.public_result = std::move(shown);
        // the webhooks' events are written with the completion itself: a completed session always has them
        std::vector<DeliveryRecord> outbox;
        if (status == SessionStatus::COMPLETED && webhooks_)
            outbox = webhooks_->deliveries_for(next, "session.completed", owner_view(next).dump(-1, ' ', false,
                                                                          nlohmann::json::error_handler_t::replace));
        if (!store_.update_session(next, SessionStatus::PROCESSING, claimed.attempts, outbox))
            throw Error(ErrorCode::CONFLICT, "the session changed during the capture");
        if (!outbox.empty() && on_event_) on_event_();
        return next;
    };

    nlohmann::json owner_view, public_view;
    try {
        if (session.action == "register") {
            RegisterRequest request;
            request.collection_id = session.collection_id;
            request.external_id = session.external_id;
            request.document = image;
            request.index_always = options.index_always;
            request.overrides = options.register_overrides;
            request.client = session.owner;
            request.request_id = request_id;
            RegisterResult result = flows_.register_document(request);
            owner_view = register_result_json(request, result, day_of(clock_()), options.disclosure);
            public_view = register_result_json(request, result, day_of(clock_()), Disclosure::PUBLIC);
        } else {
            VerifyRequest request;
            request.collection_id = session.collection_id;
            request.external_id = session.external_id;
            request.selfie = image;
            request.overrides = options.verify_overrides;
            request.client = session.owner;
            request.request_id = request_id;
            VerifyResult result;
            try {
                result = flows_.verify_selfie(request);
            } catch (const Error& e) {
                // the collection was deleted since the session was made: nobody to sign in as
                if (e.code() != ErrorCode::RESOURCE_NOT_FOUND) throw;
                result = VerifyResult{};
                result.reasons = {"UNKNOWN_EXTERNAL_ID"};
                result.policy = apply_overrides(flows_.policy().verification, request.overrides);
            }
            owner_view = verify_result_json(request, result, options.disclosure);
            public_view = verify_result_json(request, result, Disclosure::PUBLIC);
        }
    } catch (const Error& e) {
        if (server_side(e.code())) {
            settle(SessionStatus::CREATED, session.attempts, "", ""); // not the person's fault: the attempt is given back
        } else if (!last) {
            settle(SessionStatus::CREATED, claimed.attempts, "", "");
        } else {
            const WireError wire = wire_error(e.code());
            nlohmann::json failed{{"collectionId", session.collection_id},
                                  {"externalId", session.external_id},
                                  {"decision", "rejected"},
                                  {"error", {{"__type", wire.type}, {"message", std::string(e.what()).substr(0, 512)}}}};
            settle(SessionStatus::COMPLETED, claimed.attempts,
                   failed.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                   nlohmann::json{{"decision", "rejected"}, {"outcome", "other_method"}, {"advice", nlohmann::json::array()}}
                       .dump());
        }
        throw;
    } catch (...) {
        settle(SessionStatus::CREATED, session.attempts, "", "");
        throw;
    }

    const bool retry = public_view.value("outcome", "") == "retry";
    SessionRecord settled =
        retry && !last
            ? settle(SessionStatus::CREATED, claimed.attempts, "", "")
            : settle(SessionStatus::COMPLETED, claimed.attempts,
                     owner_view.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), public_view.dump());
    nlohmann::json out = public_view;
    out["status"] = status_of(settled);
    out["attemptsLeft"] = attempts_left(settled);
    add_completion(out, settled);
    return out;
}

} // namespace facegate
