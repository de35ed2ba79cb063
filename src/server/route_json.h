// SPDX-License-Identifier: MIT
#pragma once

// small pieces shared by the JSON routes of /v1 (sessions, webhooks): the answer, the body, the query's limit

#include "server/http_message.h"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <initializer_list>
#include <string_view>

namespace facegate {

// 200 with the JSON (invalid UTF-8 replaced), never cached
void send_json(HttpResponse& res, const nlohmann::json& body);
// the body as a JSON object whose keys are all in `allowed`: Error SERIALIZATION (not an object) or
// INVALID_PARAMETER (an unknown key, named, cut to 64 bytes)
nlohmann::json json_object_body(const HttpRequest& req, std::initializer_list<std::string_view> allowed);
// ?limit=N, 1-1000 (default 50); INVALID_PARAMETER otherwise
std::size_t query_limit(const HttpRequest& req);

} // namespace facegate
