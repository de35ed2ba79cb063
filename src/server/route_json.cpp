// SPDX-License-Identifier: MIT
#include "server/route_json.h"

#include "common/error.h"

#include <algorithm>
#include <cctype>

namespace facegate {

void send_json(HttpResponse& res, const nlohmann::json& body) {
    res.status = 200;
    res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
    res.set_header("Cache-Control", "no-store");
}

nlohmann::json json_object_body(const HttpRequest& req, std::initializer_list<std::string_view> allowed) {
    nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
    if (!body.is_object()) throw Error(ErrorCode::SERIALIZATION, "the body must be a JSON object");
    for (const auto& item : body.items()) {
        if (std::find(allowed.begin(), allowed.end(), item.key()) == allowed.end())
            throw Error(ErrorCode::INVALID_PARAMETER, "unknown field: " + item.key().substr(0, 64));
    }
    return body;
}

std::size_t query_limit(const HttpRequest& req) {
    const std::optional<std::string> text = req.query_param("limit");
    if (!text) return 50;
    const bool digits = !text->empty() && text->size() <= 4 &&
                        std::all_of(text->begin(), text->end(), [](char c) { return c >= '0' && c <= '9'; });
    const int limit = digits ? std::stoi(*text) : 0;
    if (limit < 1 || limit > 1000) throw Error(ErrorCode::INVALID_PARAMETER, "limit must be 1-1000");
    return std::size_t(limit);
}

} // namespace facegate
