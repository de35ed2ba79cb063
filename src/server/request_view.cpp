// SPDX-License-Identifier: MIT
#include "server/request_view.h"

#include <httplib.h>

namespace facegate {

HttpRequestView request_view(const httplib::Request& req) {
    HttpRequestView view;
    view.method = req.method;
    std::string_view target = req.target;
    auto q = target.find('?');
    view.path = target.substr(0, q);
    view.query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
    for (const auto& [name, value] : req.headers) view.headers.emplace_back(name, value);
    view.body = req.body;
    return view;
}

} // namespace facegate
