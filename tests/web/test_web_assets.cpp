// SPDX-License-Identifier: MIT
// the pages compiled into the binary: the lookup, the rules the pages must keep for the
// Content-Security-Policy to let them run (no inline script or style, nothing from another origin),
// and the routes over real HTTP on loopback.
#include "server/web_assets.h"
#include "server/http_edge.h"
#include "server/web_routes.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <memory>
#include <regex>
#include <string>
#include <thread>

using facegate::web::find_web_asset;
using facegate::web::web_assets;

namespace {

std::string text_of(const facegate::web::WebAsset& asset) { return std::string(asset.bytes); }

bool is_html(const facegate::web::WebAsset& asset) { return asset.content_type.starts_with("text/html"); }

} // namespace

TEST(WebAssets, PagesHaveCleanUrls) {
    for (auto [url, file] : {std::pair{"/", "/index.html"}, {"/signup", "/signup.html"}, {"/signin", "/signin.html"},
                             {"/admin", "/admin.html"}}) {
        const auto* asset = find_web_asset(url);
        ASSERT_NE(asset, nullptr) << url;
        EXPECT_EQ(asset->path, file);
        EXPECT_EQ(asset->content_type, "text/html; charset=utf-8");
        EXPECT_NE(text_of(*asset).find("<!doctype html>"), std::string::npos) << url;
    }
}

TEST(WebAssets, ContentTypesByExtension) {
    ASSERT_NE(find_web_asset("/css/app.css"), nullptr);
    EXPECT_EQ(find_web_asset("/css/app.css")->content_type, "text/css; charset=utf-8");
    for (const char* js : {"/js/api.js", "/js/ui.js", "/js/reasons.js", "/js/signup.js", "/js/signin.js", "/js/admin.js"}) {
        const auto* asset = find_web_asset(js);
        ASSERT_NE(asset, nullptr) << js;
        EXPECT_EQ(asset->content_type, "text/javascript; charset=utf-8") << js;
        EXPECT_GT(asset->bytes.size(), 100u) << js;
    }
    ASSERT_NE(find_web_asset("/favicon.svg"), nullptr);
    EXPECT_EQ(find_web_asset("/favicon.svg")->content_type, "image/svg+xml");
}

TEST(WebAssets, UnknownPathsAreNotFound) {
    for (const char* path : {"/nope", "/js/nope.js", "/signup/", "/../CMakeLists.txt", "", "/js/", "//js/api.js"}) {
        EXPECT_EQ(find_web_asset(path), nullptr) << path;
    }
}

TEST(WebAssets, EtagsDifferByContent) {
    const auto* a = find_web_asset("/js/api.js");
    const auto* b = find_web_asset("/js/ui.js");
    ASSERT_TRUE(a && b);
    EXPECT_NE(a->etag, b->etag);
    EXPECT_TRUE(a->etag.starts_with('"') && a->etag.ends_with('"'));
}

// what default-src 'self' would block, found before a browser does: inline scripts, inline styles,
// event-handler attributes, javascript: URLs, anything loaded from another origin
TEST(WebAssets, PagesKeepTheContentSecurityPolicy) {
    const std::regex inline_script(R"(<script(?![^>]*\bsrc=)[^>]*>)", std::regex::icase);
    const std::regex style_attribute(R"(\sstyle\s*=)", std::regex::icase);
    const std::regex style_element(R"(<style[\s>])", std::regex::icase);
    const std::regex handler_attribute(R"(\son[a-z]+\s*=)", std::regex::icase);
    const std::regex remote_url(R"((src|href)\s*=\s*["']?(https?:)?//)", std::regex::icase);
    int pages = 0;
    for (const auto& asset : web_assets()) {
        if (!is_html(asset)) continue;
        ++pages;
        const std::string html = text_of(asset);
        const std::string name(asset.path);
        EXPECT_FALSE(std::regex_search(html, inline_script)) << name << ": inline <script>";
        EXPECT_FALSE(std::regex_search(html, style_attribute)) << name << ": style attribute";
        EXPECT_FALSE(std::regex_search(html, style_element)) << name << ": <style> element";
        EXPECT_FALSE(std::regex_search(html, handler_attribute)) << name << ": on...= handler";
        EXPECT_EQ(html.find("javascript:"), std::string::npos) << name;
        EXPECT_FALSE(std::regex_search(html, remote_url)) << name << ": loads from another origin";
        EXPECT_NE(html.find("<meta name=\"viewport\""), std::string::npos) << name << ": no viewport (phones)";
        EXPECT_NE(html.find("<html lang="), std::string::npos) << name;
    }
    EXPECT_EQ(pages, 5); // index, signup, signin, admin and the hosted session page (session.html)
}

// no key in a page or script: the demo pages run on a cookie session, the console asks for the key
TEST(WebAssets, NoSecretsInThePages) {
    const std::regex secret(R"((FGAK|fgk_|apiKey\s*[:=]\s*["'][A-Za-z0-9]))");
    for (const auto& asset : web_assets()) {
        EXPECT_FALSE(std::regex_search(text_of(asset), secret)) << asset.path;
    }
}

// the pages on the real HTTP edge, on a free loopback port; httplib is only the client
class WebRoutes : public ::testing::Test {
  protected:
    void SetUp() override {
        facegate::install_web_routes(router_, {.frame_origins = {"https://app.example.com"}});
        facegate::HttpEdgeConfig config;
        config.port = 0;
        config.handle_signals = false;
        edge_ = std::make_unique<facegate::HttpEdge>(config, router_, metrics_);
        port_ = edge_->bind();
        ASSERT_GT(port_, 0);
        thread_ = std::thread([this] { edge_->run(); });
    }
    void TearDown() override {
        edge_->stop();
        if (thread_.joinable()) thread_.join();
    }
    httplib::Client client() { return httplib::Client("127.0.0.1", port_); }

    facegate::Router router_;
    facegate::Metrics metrics_{{"web"}};
    std::unique_ptr<facegate::HttpEdge> edge_;
    int port_ = 0;
    std::thread thread_;
};

TEST_F(WebRoutes, ServesPagesWithSecurityHeaders) {
    auto http = client();
    for (const char* path : {"/", "/signup", "/signin", "/admin", "/css/app.css", "/js/signin.js", "/favicon.svg"}) {
        auto res = http.Get(path);
        ASSERT_TRUE(res) << path;
        EXPECT_EQ(res->status, 200) << path;
        const std::string csp = res->get_header_value("Content-Security-Policy");
        EXPECT_TRUE(csp.starts_with("default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:")) << csp;
        EXPECT_EQ(res->get_header_value("X-Content-Type-Options"), "nosniff");
        EXPECT_EQ(res->get_header_value("Cache-Control"), "no-cache");
        EXPECT_FALSE(res->get_header_value("ETag").empty());
        EXPECT_EQ(res->body, std::string(find_web_asset(path)->bytes));
    }
    EXPECT_EQ(http.Get("/signin")->get_header_value("Content-Type"), "text/html; charset=utf-8");
    EXPECT_EQ(http.Get("/js/api.js")->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
}

TEST_F(WebRoutes, RevalidatesWithEtag) {
    auto http = client();
    auto first = http.Get("/css/app.css");
    ASSERT_TRUE(first);
    auto again = http.Get("/css/app.css", {{"If-None-Match", first->get_header_value("ETag")}});
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 304);
    EXPECT_TRUE(again->body.empty());
}

TEST_F(WebRoutes, UnknownFilesAre404) {
    auto http = client();
    for (const char* path : {"/js/missing.js", "/css/..%2f..%2fCMakeLists.txt", "/img/x.png"}) {
        auto res = http.Get(path);
        ASSERT_TRUE(res) << path;
        EXPECT_EQ(res->status, 404) << path;
    }
}

// the capture pages may be framed by the applications allowed to receive results (the SDK's modal);
// the rest, the console first, by nobody
TEST_F(WebRoutes, OnlyCapturePagesMayBeFramedAndOnlyByAllowedOrigins) {
    auto http = client();
    for (const char* path : {"/signup", "/signin"}) {
        const std::string csp = http.Get(path)->get_header_value("Content-Security-Policy");
        EXPECT_NE(csp.find("frame-ancestors 'self' https://app.example.com;"), std::string::npos) << path << ": " << csp;
    }
    for (const char* path : {"/", "/admin", "/js/signin.js"}) {
        const std::string csp = http.Get(path)->get_header_value("Content-Security-Policy");
        EXPECT_NE(csp.find("frame-ancestors 'none';"), std::string::npos) << path << ": " << csp;
        EXPECT_EQ(http.Get(path)->get_header_value("Access-Control-Allow-Origin"), "") << path;
    }
    EXPECT_EQ(facegate::page_security_policy().find("app.example.com"), std::string::npos);
}

// the SDK is imported as a module script by other origins' pages: CORS mode, so it must say '*'
TEST_F(WebRoutes, TheSdkIsServedToAnyOrigin) {
    auto http = client();
    int served = 0;
    for (const auto& asset : web_assets()) {
        const std::string path(asset.path);
        if (!path.starts_with("/sdk/")) continue;
        ++served;
        auto res = http.Get(path);
        ASSERT_TRUE(res) << path;
        EXPECT_EQ(res->status, 200) << path;
        EXPECT_EQ(res->get_header_value("Access-Control-Allow-Origin"), "*") << path;
    }
    EXPECT_EQ(served, 2); // facegate.js and facegate.d.ts
    EXPECT_EQ(http.Get("/sdk/missing.js")->status, 404);
}
