// SPDX-License-Identifier: MIT
#include "server/web_routes.h"

#include "server/web_assets.h"

#include <httplib.h>

namespace facegate {

namespace {

// blob: and data: for the document preview and the captured selfie; media blob: for the camera stream.
// frame-ancestors: the console must not be framed by another site (clickjacking)
constexpr const char* kContentSecurityPolicy =
    "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'";

void serve_asset(const httplib::Request& req, httplib::Response& res) {
    const web::WebAsset* asset = web::find_web_asset(req.path);
    if (asset == nullptr) {
        res.status = 404;
        return;
    }
    res.set_header("Content-Security-Policy", kContentSecurityPolicy);
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Referrer-Policy", "same-origin");
    // the files are not fingerprinted: revalidate every time (a 304 when unchanged), so a new
    // build is seen at once
    res.set_header("Cache-Control", "no-cache");
    res.set_header("ETag", std::string(asset->etag));
    if (req.get_header_value("If-None-Match") == asset->etag) {
        res.status = 304;
        return;
    }
    res.set_content(asset->bytes.data(), asset->bytes.size(), std::string(asset->content_type));
}

} // namespace

void install_web_routes(httplib::Server& server) {
    for (const char* page : {"/", "/index.html", "/signup", "/signup.html", "/signin", "/signin.html", "/admin",
                             "/admin.html", "/favicon.svg"}) {
        server.Get(page, serve_asset);
    }
    // httplib 0.11 matches the whole path against the regex
    server.Get(R"(/(css|js|img)/[A-Za-z0-9_.\-]+)", serve_asset);
}

} // namespace facegate
