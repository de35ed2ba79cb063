// SPDX-License-Identifier: MIT
#include "server/router.h"

#include <algorithm>

namespace facegate {

namespace {
// matches without backtracking: '*' is one segment, '**' (last) the rest; linear in the path
bool path_matches(std::string_view pattern, std::string_view path, std::vector<std::string>* captures) {
    if (captures) captures->clear();
    size_t p = 0, i = 0;
    while (p < pattern.size()) {
        if (pattern.compare(p, 2, "**") == 0) {
            if (i >= path.size()) return false;
            if (captures) captures->emplace_back(path.substr(i));
            return p + 2 == pattern.size();
        }
        if (pattern[p] == '*') {
            size_t end = std::min(path.find('/', i), path.size());
            if (end == i) return false;
            if (captures) captures->emplace_back(path.substr(i, end - i));
            i = end;
            ++p;
            continue;
        }
        if (i >= path.size() || path[i] != pattern[p]) return false;
        ++i;
        ++p;
    }
    return i == path.size();
}
} // namespace

void Router::add(Route route) { routes_.push_back(std::move(route)); }

const Route* Router::match(std::string_view method, const std::string& path, std::vector<std::string>& matches) const {
    std::string_view wanted = method == "HEAD" ? std::string_view("GET") : method;
    for (const auto& route : routes_) {
        if (route.method == wanted && path_matches(route.pattern, path, &matches)) return &route;
    }
    return nullptr;
}

bool Router::path_known(const std::string& path) const {
    for (const auto& route : routes_) {
        if (path_matches(route.pattern, path, nullptr)) return true;
    }
    return false;
}

} // namespace facegate
