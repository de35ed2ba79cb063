// SPDX-License-Identifier: MIT
#include "auth/sigv4.h"

#include "common/error.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstdio>

namespace facegate {

namespace {

using std::chrono::system_clock;

constexpr std::string_view kTerminator = "aws4_request";
constexpr size_t kMaxEchoed = 120; // longest piece of client input quoted back in an error message

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    return true;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = ascii_lower(c);
    return out;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool all_digits(std::string_view s) { return std::all_of(s.begin(), s.end(), is_digit); }

// client input quoted in a message: printable ASCII only, bounded, so it cannot forge log lines
std::string quoted(std::string_view s) {
    std::string out = "'";
    for (size_t i = 0; i < s.size() && i < kMaxEchoed; ++i) out += (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    if (s.size() > kMaxEchoed) out += "...";
    return out + "'";
}

[[noreturn]] void fail(ErrorCode code, std::string message) { throw Error(code, std::move(message)); }

[[noreturn]] void malformed(std::string message) { fail(ErrorCode::INVALID_SIGNATURE, std::move(message)); }

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// %XX sequences decoded; anything else, including '+' and broken sequences, kept as is
std::string percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out += char(hi * 16 + lo);
                i += 2;
                continue;
            }
        }
        out += s[i];
    }
    return out;
}

// RFC 3986 section 5.2.4 dot-segment removal; AWS also drops empty segments ("a//b" is "a/b")
std::string remove_dot_segments(std::string_view path) {
    if (path.empty()) return "/";
    std::vector<std::string_view> kept;
    size_t start = 0;
    while (start <= path.size()) {
        size_t end = path.find('/', start);
        if (end == std::string_view::npos) end = path.size();
        std::string_view segment = path.substr(start, end - start);
        if (segment == "..") {
            if (!kept.empty()) kept.pop_back();
        } else if (!segment.empty() && segment != ".") {
            kept.push_back(segment);
        }
        start = end + 1;
    }
    std::string out = path.front() == '/' ? "/" : "";
    for (size_t i = 0; i < kept.size(); ++i) {
        if (i) out += '/';
        out += kept[i];
    }
    if (path.back() == '/' && !kept.empty()) out += '/';
    return out;
}

struct ParsedDate {
    system_clock::time_point time;
    std::string_view date; // YYYYMMDD
};

// "YYYYMMDDTHHMMSSZ", as a valid UTC time
std::optional<ParsedDate> parse_amz_date(std::string_view s) {
    if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z' || !all_digits(s.substr(0, 8)) || !all_digits(s.substr(9, 6)))
        return std::nullopt;
    auto num = [&](size_t pos, size_t len) {
        int v = 0;
        for (size_t i = pos; i < pos + len; ++i) v = v * 10 + (s[i] - '0');
        return v;
    };
    std::chrono::year_month_day ymd{std::chrono::year(num(0, 4)), std::chrono::month(unsigned(num(4, 2))),
                                    std::chrono::day(unsigned(num(6, 2)))};
    int hour = num(9, 2), minute = num(11, 2), second = num(13, 2);
    if (!ymd.ok() || hour > 23 || minute > 59 || second > 59) return std::nullopt;
    auto time = std::chrono::sys_days(ymd) + std::chrono::hours(hour) + std::chrono::minutes(minute) +
                std::chrono::seconds(second);
    return ParsedDate{system_clock::time_point(std::chrono::duration_cast<system_clock::duration>(time.time_since_epoch())),
                      s.substr(0, 8)};
}

struct ParsedAuthorization {
    std::string_view access_key_id, date, region, service;
    std::string_view credential_scope; // date/region/service/aws4_request
    std::vector<std::string> signed_headers;
    std::string_view signature;
};

bool is_token_char(char c) {
    return (c >= 'a' && c <= 'z') || is_digit(c) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::vector<std::string> parse_signed_headers(std::string_view list) {
    std::vector<std::string> names;
    if (list.empty()) malformed("the SignedHeaders list of the Authorization header is empty");
    size_t start = 0;
    while (start <= list.size()) {
        size_t end = list.find(';', start);
        if (end == std::string_view::npos) end = list.size();
        std::string_view name = list.substr(start, end - start);
        if (name.empty() || !std::all_of(name.begin(), name.end(), is_token_char))
            malformed("SignedHeaders must be lower-case header names separated by ';', not " + quoted(list));
        if (std::find(names.begin(), names.end(), name) != names.end())
            malformed("SignedHeaders lists " + quoted(name) + " twice");
        names.emplace_back(name);
        start = end + 1;
    }
    if (std::find(names.begin(), names.end(), "host") == names.end())
        malformed("'Host' must be a 'SignedHeader' in the AWS Authorization.");
    return names;
}

// "AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request, SignedHeaders=a;b, Signature=hex"
ParsedAuthorization parse_authorization(std::string_view value, std::string_view expected_service) {
    value = trim(value);
    size_t space = value.find_first_of(" \t");
    std::string_view algorithm = value.substr(0, space);
    if (algorithm != kSigV4Algorithm)
        malformed("unsupported authorization algorithm " + quoted(algorithm) + ": facegate accepts only " +
                  std::string(kSigV4Algorithm) + " (AWS Signature Version 4)");
    std::string_view rest = space == std::string_view::npos ? std::string_view() : value.substr(space);

    std::optional<std::string_view> credential, signed_headers, signature;
    size_t start = 0;
    while (start <= rest.size()) {
        size_t end = rest.find(',', start);
        if (end == std::string_view::npos) end = rest.size();
        std::string_view part = trim(rest.substr(start, end - start));
        start = end + 1;
        if (part.empty()) continue;
        size_t eq = part.find('=');
        if (eq == std::string_view::npos)
            malformed("Authorization header component " + quoted(part) + " is not of the form name=value");
        std::string_view name = part.substr(0, eq), field = trim(part.substr(eq + 1));
        std::optional<std::string_view>* slot = name == "Credential"      ? &credential
                                                : name == "SignedHeaders" ? &signed_headers
                                                : name == "Signature"     ? &signature
                                                                          : nullptr;
        if (!slot) malformed("unknown Authorization header component " + quoted(name));
        if (slot->has_value()) malformed("Authorization header component " + quoted(name) + " appears twice");
        *slot = field;
    }
    std::string missing;
    if (!credential) missing += "Authorization header requires 'Credential' parameter. ";
    if (!signature) missing += "Authorization header requires 'Signature' parameter. ";
    if (!signed_headers) missing += "Authorization header requires 'SignedHeaders' parameter. ";
    if (!missing.empty()) malformed(missing.substr(0, missing.size() - 1));

    ParsedAuthorization parsed;
    // Credential: the access key id, then the scope date/region/service/aws4_request
    std::vector<std::string_view> parts;
    for (size_t s = 0;;) {
        size_t e = credential->find('/', s);
        parts.push_back(credential->substr(s, e == std::string_view::npos ? std::string_view::npos : e - s));
        if (e == std::string_view::npos) break;
        s = e + 1;
    }
    if (parts.size() != 5 || parts[0].empty() || parts[2].empty())
        malformed("Credential must be of the form AKID/YYYYMMDD/region/service/aws4_request, not " + quoted(*credential));
    if (parts[1].size() != 8 || !all_digits(parts[1]))
        malformed("the date of the Credential scope must be YYYYMMDD, not " + quoted(parts[1]));
    if (parts[4] != kTerminator)
        malformed("Credential should be scoped with a valid terminator: 'aws4_request', not " + quoted(parts[4]) + ".");
    if (parts[3] != expected_service)
        malformed("Credential should be scoped to correct service: '" + std::string(expected_service) + "', not " +
                  quoted(parts[3]) + ".");
    parsed.access_key_id = parts[0];
    parsed.date = parts[1];
    parsed.region = parts[2];
    parsed.service = parts[3];
    parsed.credential_scope = credential->substr(parts[0].size() + 1);

    parsed.signed_headers = parse_signed_headers(*signed_headers);

    if (signature->size() != 64 || !std::all_of(signature->begin(), signature->end(), [](char c) {
            return is_digit(c) || (c >= 'a' && c <= 'f');
        }))
        malformed("Signature must be 64 lower-case hex digits");
    parsed.signature = *signature;
    return parsed;
}

std::string signature_for(std::string_view secret, std::string_view date, std::string_view region,
                          std::string_view service, std::string_view string_to_sign) {
    std::string key = sigv4_signing_key(secret, date, region, service);
    std::string signature = to_hex(hmac_sha256(key, string_to_sign));
    OPENSSL_cleanse(key.data(), key.size());
    return signature;
}

std::string minutes_text(std::chrono::seconds skew) {
    auto s = skew.count();
    return s % 60 == 0 ? std::to_string(s / 60) + " min." : std::to_string(s) + " s.";
}

// the payload hash that goes into the canonical request: the body's, also when the client
// sent it in X-Amz-Content-Sha256 (which must then agree; an unsigned payload is refused)
std::string payload_hash(const HttpRequestView& request) {
    std::string computed = sha256_hex(request.body);
    if (auto claimed = request.header("x-amz-content-sha256")) {
        std::string_view value = trim(*claimed);
        if (value == "UNSIGNED-PAYLOAD" || value.starts_with("STREAMING-"))
            malformed("X-Amz-Content-Sha256 " + quoted(value) +
                      " is not supported: facegate needs the payload signed (its SHA-256 in hex)");
        if (value != computed)
            malformed("The provided 'x-amz-content-sha256' header does not match what was computed.");
    }
    return computed;
}

} // namespace

std::optional<std::string_view> HttpRequestView::header(std::string_view name) const {
    for (const auto& [n, v] : headers)
        if (iequals(n, name)) return std::string_view(v);
    return std::nullopt;
}

std::vector<std::string_view> HttpRequestView::header_values(std::string_view name) const {
    std::vector<std::string_view> values;
    for (const auto& [n, v] : headers)
        if (iequals(n, name)) values.emplace_back(v);
    return values;
}

void HttpRequestView::set_header(std::string_view name, std::string value) {
    std::erase_if(headers, [&](const auto& h) { return iequals(h.first, name); });
    headers.emplace_back(std::string(name), std::move(value));
}

std::string to_hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char b : bytes) {
        out += digits[b >> 4];
        out += digits[b & 15];
    }
    return out;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (!HMAC(EVP_sha256(), key.data(), int(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
              data.size(), mac, &length))
        throw Error(ErrorCode::INTERNAL, "HMAC-SHA256 failed");
    return std::string(reinterpret_cast<const char*>(mac), length);
}

std::string sigv4_uri_encode(std::string_view text, bool keep_slash) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size());
    for (unsigned char c : text) {
        bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                          c == '_' || c == '.' || c == '~';
        if (unreserved || (keep_slash && c == '/')) {
            out += char(c);
        } else {
            out += '%';
            out += digits[c >> 4];
            out += digits[c & 15];
        }
    }
    return out;
}

std::string sigv4_canonical_uri(std::string_view wire_path) {
    return sigv4_uri_encode(remove_dot_segments(wire_path), true);
}

std::string sigv4_canonical_query(std::string_view wire_query) {
    std::vector<std::pair<std::string, std::string>> pairs;
    size_t start = 0;
    while (start <= wire_query.size()) {
        size_t end = wire_query.find('&', start);
        if (end == std::string_view::npos) end = wire_query.size();
        std::string_view piece = wire_query.substr(start, end - start);
        start = end + 1;
        if (piece.empty()) continue;
        size_t eq = piece.find('=');
        std::string_view name = piece.substr(0, eq);
        std::string_view value = eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1);
        pairs.emplace_back(sigv4_uri_encode(percent_decode(name), false), sigv4_uri_encode(percent_decode(value), false));
    }
    std::sort(pairs.begin(), pairs.end());
    std::string out;
    for (const auto& [name, value] : pairs) {
        if (!out.empty()) out += '&';
        out += name;
        out += '=';
        out += value;
    }
    return out;
}

std::string sigv4_trim_header_value(std::string_view value) {
    std::string out;
    bool pending_space = false;
    for (char c : trim(value)) {
        if (is_space(c)) {
            pending_space = true;
            continue;
        }
        if (pending_space) out += ' ';
        pending_space = false;
        out += c;
    }
    return out;
}

std::string sigv4_canonical_request(const HttpRequestView& request, const std::vector<std::string>& signed_headers,
                                    std::string_view payload_hash) {
    std::string out(request.method);
    out += '\n';
    out += sigv4_canonical_uri(request.path);
    out += '\n';
    out += sigv4_canonical_query(request.query);
    out += '\n';
    std::string list;
    for (const auto& name : signed_headers) {
        out += name;
        out += ':';
        bool first = true;
        for (std::string_view value : request.header_values(name)) {
            if (!first) out += ',';
            first = false;
            out += sigv4_trim_header_value(value);
        }
        out += '\n';
        if (!list.empty()) list += ';';
        list += name;
    }
    out += '\n';
    out += list;
    out += '\n';
    out += payload_hash;
    return out;
}

std::string sigv4_string_to_sign(std::string_view amz_date, std::string_view credential_scope,
                                 std::string_view canonical_request) {
    std::string out(kSigV4Algorithm);
    out += '\n';
    out += amz_date;
    out += '\n';
    out += credential_scope;
    out += '\n';
    out += sha256_hex(canonical_request);
    return out;
}

std::string sigv4_signing_key(std::string_view secret, std::string_view date, std::string_view region,
                              std::string_view service) {
    std::string seed = "AWS4";
    seed += secret;
    std::string key = hmac_sha256(seed, date);
    OPENSSL_cleanse(seed.data(), seed.size());
    key = hmac_sha256(key, region);
    key = hmac_sha256(key, service);
    return hmac_sha256(key, kTerminator);
}

std::string sigv4_amz_date(system_clock::time_point time) {
    auto seconds = std::chrono::floor<std::chrono::seconds>(time);
    auto days = std::chrono::floor<std::chrono::days>(seconds);
    std::chrono::year_month_day ymd(days);
    std::chrono::hh_mm_ss hms(seconds - days);
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%04d%02u%02uT%02d%02d%02dZ", int(ymd.year()), unsigned(ymd.month()),
                  unsigned(ymd.day()), int(hms.hours().count()), int(hms.minutes().count()),
                  int(hms.seconds().count()));
    return buffer;
}

VerifiedCaller verify_sigv4(const HttpRequestView& request, const KeyLookup& keys, system_clock::time_point now,
                            const SigV4Options& options) {
    auto authorizations = request.header_values("authorization");
    if (authorizations.empty()) {
        if (request.query.find("X-Amz-Signature=") != std::string_view::npos)
            fail(ErrorCode::MISSING_AUTHENTICATION, "Missing Authentication Token: query-string (presigned URL) "
                                                    "signatures are not supported; send an Authorization header");
        fail(ErrorCode::MISSING_AUTHENTICATION,
             "Missing Authentication Token: the request has no Authorization header (sign it with AWS Signature "
             "Version 4)");
    }
    if (authorizations.size() > 1) malformed("the request has more than one Authorization header");
    ParsedAuthorization auth = parse_authorization(authorizations.front(), options.service);

    auto amz_dates = request.header_values("x-amz-date");
    if (amz_dates.empty())
        malformed("Authorization header requires existence of a 'X-Amz-Date' header (facegate does not accept the "
                  "'Date' header instead)");
    if (amz_dates.size() > 1) malformed("the request has more than one X-Amz-Date header");
    std::string_view amz_date = trim(amz_dates.front());
    auto parsed_date = parse_amz_date(amz_date);
    if (!parsed_date) malformed("X-Amz-Date must be of the form YYYYMMDDTHHMMSSZ, not " + quoted(amz_date));
    if (parsed_date->date != auth.date)
        malformed("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: " +
                  quoted(auth.date) + " != " + quoted(parsed_date->date) + ", from " + quoted(amz_date) + ".");

    if (request.header("x-amz-security-token"))
        fail(ErrorCode::UNRECOGNIZED_CLIENT,
             "The security token included in the request is invalid: facegate does not support temporary "
             "credentials (X-Amz-Security-Token); use a facegate access key without a session token");

    std::optional<std::string> secret = keys ? keys(auth.access_key_id) : std::nullopt;
    if (!secret)
        fail(ErrorCode::UNRECOGNIZED_CLIENT, "The security token included in the request is invalid: unknown or "
                                             "revoked access key id " + quoted(auth.access_key_id));

    if (parsed_date->time + options.max_skew < now)
        malformed("Signature expired: " + std::string(amz_date) + " is now earlier than " +
                  sigv4_amz_date(now - options.max_skew) + " (" + sigv4_amz_date(now) + " - " +
                  minutes_text(options.max_skew) + ")");
    if (parsed_date->time > now + options.max_skew)
        malformed("Signature not yet current: " + std::string(amz_date) + " is still later than " +
                  sigv4_amz_date(now + options.max_skew) + " (" + sigv4_amz_date(now) + " + " +
                  minutes_text(options.max_skew) + ")");

    for (const auto& name : auth.signed_headers)
        if (!request.header(name)) malformed("the signed header " + quoted(name) + " is missing from the request");

    std::string canonical = sigv4_canonical_request(request, auth.signed_headers, payload_hash(request));
    std::string to_sign = sigv4_string_to_sign(amz_date, auth.credential_scope, canonical);
    std::string expected = signature_for(*secret, auth.date, auth.region, auth.service, to_sign);
    OPENSSL_cleanse(secret->data(), secret->size());
    // both are 64 hex digits here; CRYPTO_memcmp takes the same time wherever they differ
    if (CRYPTO_memcmp(expected.data(), auth.signature.data(), expected.size()) != 0)
        malformed("The request signature we calculated does not match the signature you provided. Check your "
                  "Secret Access Key and signing method.");
    return VerifiedCaller{std::string(auth.access_key_id), std::string(auth.region)};
}

SigV4Signature sign_sigv4(const HttpRequestView& request, const SigV4Credentials& credentials,
                          std::string_view region, system_clock::time_point now, std::string_view service) {
    if (!request.header("host")) throw Error(ErrorCode::INVALID_PARAMETER, "sign_sigv4: the request has no Host header");
    SigV4Signature result;
    result.amz_date = sigv4_amz_date(now);

    // what gets signed: the request's headers as they will be sent, with X-Amz-Date set
    HttpRequestView to_sign = request;
    to_sign.headers.clear();
    std::vector<std::string> names;
    for (const auto& [name, value] : request.headers) {
        std::string lname = lower(trim(name));
        if (lname == "authorization" || lname == "user-agent" || lname == "expect" || lname == "x-amzn-trace-id" ||
            lname == "x-amz-date")
            continue;
        to_sign.headers.emplace_back(lname, value);
        names.push_back(lname);
    }
    to_sign.headers.emplace_back("x-amz-date", result.amz_date);
    names.emplace_back("x-amz-date");
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());

    std::string hash;
    if (auto claimed = request.header("x-amz-content-sha256")) hash = trim(*claimed);
    else hash = sha256_hex(request.body);

    std::string date = result.amz_date.substr(0, 8);
    std::string scope = date + "/" + std::string(region) + "/" + std::string(service) + "/" + std::string(kTerminator);
    std::string canonical = sigv4_canonical_request(to_sign, names, hash);
    std::string signature = signature_for(credentials.secret_access_key, date, region, service,
                                          sigv4_string_to_sign(result.amz_date, scope, canonical));
    std::string list;
    for (const auto& name : names) list += (list.empty() ? "" : ";") + name;
    result.authorization = std::string(kSigV4Algorithm) + " Credential=" + credentials.access_key_id + "/" + scope +
                           ", SignedHeaders=" + list + ", Signature=" + signature;
    return result;
}

void sign_request(HttpRequestView& request, const SigV4Credentials& credentials, std::string_view region,
                  system_clock::time_point now, std::string_view service) {
    SigV4Signature signature = sign_sigv4(request, credentials, region, now, service);
    request.set_header("X-Amz-Date", std::move(signature.amz_date));
    request.set_header("Authorization", std::move(signature.authorization));
}

} // namespace facegate
