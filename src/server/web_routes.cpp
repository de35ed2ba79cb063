// SPDX-License-Identifier: MIT
#include "server/web_routes.h"

#include "server/web_assets.h"

namespace facegate {

namespace {

constexpr size_t kMaxBody = 4096; // a page request has no business sending more

enum class Sharing { SAME_ORIGIN, ANY_ORIGIN };

void serve_asset(HttpRequest& req, HttpResponse& res, const std::string& policy, Sharing sharing) {
    res.operation = "web";
    const web::WebAsset* asset = web::find_web_asset(req.path);
    if (asset == nullptr) {
        res.status = 404;
        res.set_content("not found\n", "text/plain; charset=utf-8");
        return;
    }
    res.set_header("Content-Security-Policy", policy);
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Referrer-Policy", "same-origin");
    // the SDK is a module script on other sites' pages: those are fetched in CORS mode. It holds no secret
    if (sharing == Sharing::ANY_ORIGIN) res.set_header("Access-Control-Allow-Origin", "*");
    // the files are not fingerprinted: revalidate every time (a 304 when unchanged), so a new
    // build is seen at once
    res.set_header("Cache-Control", "no-cache");
    res.set_header("ETag", std::string(asset->etag));
    if (req.header_value("If-None-Match") == asset->etag) {
        res.status = 304;
        return;
    }
    res.set_content(std::string(asset->bytes), asset->content_type);
}

void add_page(Router& router, std::string pattern, std::string policy, Sharing sharing = Sharing::SAME_ORIGIN) {
    Route route;
    route.method = "GET";
    route.pattern = std::move(pattern);
    route.plan = [](const HttpRequest&) { return RoutePlan{Lane::INLINE, kMaxBody, "web"}; };
    route.handle = [policy = std::move(policy), sharing](HttpRequest& req, HttpResponse& res) {
        serve_asset(req, res, policy, sharing);
    };
    router.add(std::move(route));
}

} // namespace

std::string page_security_policy(std::span<const std::string> frame_origins) {
    // blob: and data: for the document preview and the captured selfie; media blob: for the camera stream.
    // frame-ancestors: no other site may frame a page (clickjacking), but the capture pages may be framed
    // by the applications allowed to receive sessions' results (the SDK's modal)
    std::string ancestors = frame_origins.empty() ? "'none'" : "'self'";
    for (const std::string& origin : frame_origins) ancestors += " " + origin;
    return "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; frame-ancestors " + ancestors +
           "; base-uri 'self'; form-action 'self'";
}

void install_web_routes(Router& router, const WebRoutesConfig& config) {
    const std::string unframed = page_security_policy();
    const std::string capture = page_security_policy(config.frame_origins);
    for (const char* page : {"/", "/index.html", "/admin", "/admin.html", "/favicon.svg"}) add_page(router, page, unframed);
    for (const char* page : {"/signup", "/signup.html", "/signin", "/signin.html"}) add_page(router, page, capture);
    // one path segment under each folder: find_web_asset knows the files, ".." never reaches it
    for (const char* folder : {"/css/*", "/js/*", "/img/*"}) add_page(router, folder, unframed);
    add_page(router, "/sdk/*", unframed, Sharing::ANY_ORIGIN);
}

} // namespace facegate
