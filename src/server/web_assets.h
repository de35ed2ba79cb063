// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

namespace facegate::web {

// one file of web/, compiled into the binary (cmake/embed_web.cmake)
struct WebAsset {
    std::string_view path;         // as served: "/css/app.css"; pages also have a clean URL (find_web_asset)
    std::string_view content_type; // "text/html; charset=utf-8", ...
    std::string_view bytes;
    std::string_view etag;         // strong validator of the bytes, quoted: "\"9f1c...\""
};

// the asset for a URL path: "/" -> index.html, "/signup" -> signup.html, "/signin", "/admin";
// any other file of web/ at "/" + its path ("/js/api.js"). nullptr when there is none.
const WebAsset* find_web_asset(std::string_view url_path);

// every embedded file (for tests and diagnostics)
std::span<const WebAsset> web_assets();

namespace detail {
// what the generated source defines
struct EmbeddedFile {
    const char* path; // relative to web/: "css/app.css"
    const char* content_type;
    const unsigned char* data;
    std::size_t size;
};
extern const EmbeddedFile kEmbeddedFiles[];
extern const std::size_t kEmbeddedFileCount;
} // namespace detail

} // namespace facegate::web
