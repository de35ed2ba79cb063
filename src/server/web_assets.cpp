// SPDX-License-Identifier: MIT
#include "server/web_assets.h"

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace facegate::web {

namespace {

// pages are served at clean URLs; the .html names keep working too
constexpr std::pair<std::string_view, std::string_view> kPageRoutes[] = {
    {"/", "/index.html"},
    {"/signup", "/signup.html"},
    {"/signin", "/signin.html"},
    {"/admin", "/admin.html"},
};

struct Table {
    std::vector<std::string> paths; // "/" + relative path: owned here so WebAsset can hold views
    std::vector<std::string> etags;
    std::vector<WebAsset> assets;
};

// FNV-1a 64: not for security, only so a browser can revalidate with If-None-Match
std::string etag_of(const unsigned char* data, std::size_t size) {
    uint64_t hash = 0xcbf29ce484222325ull;
    for (std::size_t i = 0; i < size; ++i) {
        hash ^= data[i];
        hash *= 0x100000001b3ull;
    }
    char text[24];
    std::snprintf(text, sizeof text, "\"%016llx\"", static_cast<unsigned long long>(hash));
    return text;
}

const Table& table() {
    // built once, on first use (thread-safe static initialisation)
    static const Table instance = [] {
        Table t;
        const std::size_t n = detail::kEmbeddedFileCount;
        t.paths.reserve(n);
        t.etags.reserve(n);
        t.assets.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            const auto& file = detail::kEmbeddedFiles[i];
            t.paths.push_back("/" + std::string(file.path));
            t.etags.push_back(etag_of(file.data, file.size));
        }
        for (std::size_t i = 0; i < n; ++i) {
            const auto& file = detail::kEmbeddedFiles[i];
            t.assets.push_back({t.paths[i], file.content_type,
                                std::string_view(reinterpret_cast<const char*>(file.data), file.size), t.etags[i]});
        }
        return t;
    }();
    return instance;
}

} // namespace

std::span<const WebAsset> web_assets() { return table().assets; }

const WebAsset* find_web_asset(std::string_view url_path) {
    for (const auto& [route, file] : kPageRoutes) {
        if (url_path == route) {
            url_path = file;
            break;
        }
    }
    for (const auto& asset : table().assets) {
        if (asset.path == url_path) return &asset;
    }
    return nullptr;
}

} // namespace facegate::web
