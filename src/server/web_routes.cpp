// SPDX-License-Identifier: MIT
#include "server/web_routes.h"

#include "server/web_assets.h"

namespace facegate {

namespace {

// blob: and data: for the document preview and the captured selfie; media blob: for the camera stream.
// frame-ancestors: the console must not be framed by another site (clickjacking)
constexpr const char* kContentSecurityPolicy =
    "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'";

constexpr size_t kMaxBody = 4096; // a page request has no business sending more

void serve_asset(HttpRequest& req, HttpResponse& res) {
    res.operation = "web";
    const web::WebAsset* asset = web::find_web_asset(req.path);
    if (asset == nullptr) {
        res.status = 404;
        res.set_content("not found\n", "text/plain; charset=utf-8");
        return;
    }
    res.set_header("Content-Security-Policy", kContentSecurityPolicy);
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Referrer-Policy", "same-origin");
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

void add_page(Router& router, std::string pattern) {
    Route route;
    route.method = "GET";
    route.pattern = std::move(pattern);
    route.plan = [](const HttpRequest&) { return RoutePlan{Lane::INLINE, kMaxBody, "web"}; };
    route.handle = serve_asset;
    router.add(std::move(route));
}

} // namespace

void install_web_routes(Router& router) {
    for (const char* page : {"/", "/index.html", "/signup", "/signup.html", "/signin", "/signin.html", "/admin",
                             "/admin.html", "/favicon.svg"}) {
        add_page(router, page);
    }
    // one path segment under each folder: find_web_asset knows the files, ".." never reaches it
    for (const char* folder : {"/css/*", "/js/*", "/img/*"}) add_page(router, folder);
}

} // namespace facegate
