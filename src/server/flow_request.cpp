// SPDX-License-Identifier: MIT
#include "server/flow_request.h"

#include "common/error.h"
#include "server/http_message.h"
#include "server/multipart.h"
#include "server/request_fields.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>

namespace facegate {

namespace {

[[noreturn]] void invalid(const std::string& message) { throw Error(ErrorCode::INVALID_PARAMETER, message); }

bool listed(std::initializer_list<std::string_view> names, std::string_view name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

std::string field_list(std::initializer_list<std::string_view> names) {
    std::string out;
    for (auto name : names) out += (out.empty() ? "" : ", ") + std::string(name);
    return out;
}

// the bytes of a base64 image; a data: URL (what a browser's FileReader gives) is accepted too
std::string decode_image_text(std::string_view name, std::string_view text) {
    if (text.starts_with("data:")) {
        auto comma = text.find(',');
        if (comma == std::string_view::npos || text.substr(0, comma).find(";base64") == std::string_view::npos) {
            invalid(std::string(name) + " must be base64 or a base64 data: URL");
        }
        text.remove_prefix(comma + 1);
    }
    auto bytes = decode_base64(text);
    if (!bytes) invalid(std::string(name) + " must be base64 (RFC 4648, with padding)");
    return {bytes->begin(), bytes->end()};
}

} // namespace

FlowForm FlowForm::parse(const HttpRequest& request, std::initializer_list<std::string_view> allowed,
                         std::initializer_list<std::string_view> image_fields) {
    FlowForm form;
    auto refuse_unknown = [&](const std::string& name) {
        if (!listed(allowed, name)) invalid("unknown field '" + name + "'; expected " + field_list(allowed));
    };
    const std::string type = request.header_value("Content-Type");
    if (auto boundary = multipart_boundary(type)) {
        for (const auto& part : parse_multipart(request.body, *boundary)) {
            refuse_unknown(part.name);
            if (!form.fields_.emplace(part.name, std::string(part.content)).second) {
                invalid("field '" + part.name + "' is given twice");
            }
        }
        return form;
    }
    if (type.find("json") == std::string::npos) {
        throw Error(ErrorCode::SERIALIZATION, "the body must be multipart/form-data or application/json");
    }
    nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) throw Error(ErrorCode::SERIALIZATION, "the body must be a JSON object");
    for (auto& [name, value] : body.items()) {
        refuse_unknown(name);
        if (value.is_null()) continue;
        if (listed(image_fields, name)) {
            if (!value.is_string()) invalid(name + " must be a base64 string");
            form.fields_.emplace(name, decode_image_text(name, value.get_ref<const std::string&>()));
        } else if (value.is_string()) {
            form.fields_.emplace(name, value.get<std::string>());
        } else if (value.is_number() || value.is_boolean()) {
            form.fields_.emplace(name, value.dump());
        } else {
            invalid(name + " must be a string, a number or a boolean");
        }
    }
    return form;
}

const std::string& FlowForm::required(std::string_view name) const {
    auto it = fields_.find(name);
    if (it == fields_.end() || it->second.empty()) invalid(std::string(name) + " is required");
    return it->second;
}

const std::string& FlowForm::image(std::string_view name) const {
    auto it = fields_.find(name);
    if (it == fields_.end()) invalid(std::string(name) + " is required: an image file (or base64 in JSON)");
    if (it->second.empty()) invalid(std::string(name) + " is empty");
    return it->second;
}

std::optional<std::string> FlowForm::optional(std::string_view name) const {
    auto it = fields_.find(name);
    if (it == fields_.end() || it->second.empty()) return std::nullopt;
    return it->second;
}

std::optional<bool> FlowForm::optional_bool(std::string_view name) const {
    auto value = optional(name);
    if (!value) return std::nullopt;
    if (*value == "true") return true;
    if (*value == "false") return false;
    invalid(std::string(name) + " must be true or false");
}

std::optional<float> FlowForm::optional_number(std::string_view name) const {
    auto value = optional(name);
    if (!value) return std::nullopt;
    double number = 0;
    auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), number);
    if (ec != std::errc() || end != value->data() + value->size()) invalid(std::string(name) + " must be a number");
    return float(number);
}

} // namespace facegate
