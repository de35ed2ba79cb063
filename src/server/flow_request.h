// SPDX-License-Identifier: MIT
#pragma once

// the body of a /v1 action: multipart/form-data (what a browser upload sends; the image is a file
// field) or a JSON object with the same keys (the image in base64), read into one map of fields.
// unknown fields are refused by name, so a misspelt field is an error rather than silently ignored.

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace facegate {

struct HttpRequest;

class FlowForm {
  public:
    // throws Error(SERIALIZATION) for a body that is neither, Error(INVALID_PARAMETER) for a field not in
    // `allowed` or one given twice, for an image field that is not base64 in JSON
    static FlowForm parse(const HttpRequest& request, std::initializer_list<std::string_view> allowed,
                          std::initializer_list<std::string_view> image_fields);

    // a text field (numbers and booleans of a JSON body as their JSON text); Error(INVALID_PARAMETER) when absent
    const std::string& required(std::string_view name) const;
    // an image field's bytes; Error(INVALID_PARAMETER) when absent or empty
    const std::string& image(std::string_view name) const;
    std::optional<std::string> optional(std::string_view name) const;
    // "true"/"false"; Error(INVALID_PARAMETER) for anything else
    std::optional<bool> optional_bool(std::string_view name) const;
    // a number (its range is the policy's to check); Error(INVALID_PARAMETER) for anything else
    std::optional<float> optional_number(std::string_view name) const;

  private:
    std::map<std::string, std::string, std::less<>> fields_;
};

} // namespace facegate
