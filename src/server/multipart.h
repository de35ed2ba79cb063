// SPDX-License-Identifier: MIT
#pragma once

// multipart/form-data bodies (RFC 7578), what a browser's upload form and curl -F send. the body is
// already whole and bounded by the edge's limit; parts are views into it.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace facegate {

struct MultipartPart {
    std::string name;                     // the form field's name (Content-Disposition)
    std::optional<std::string> filename;  // present for file fields
    std::string_view content;             // points into the body
};

// the boundary parameter of a multipart/form-data Content-Type, or nullopt for another type
std::optional<std::string> multipart_boundary(std::string_view content_type);

// the parts of `body`; throws Error(SERIALIZATION) for a malformed body (no closing boundary, a part
// without a name, headers that do not end)
std::vector<MultipartPart> parse_multipart(std::string_view body, std::string_view boundary);

} // namespace facegate
