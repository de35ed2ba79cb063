// SPDX-License-Identifier: MIT
#include "server/multipart.h"

#include "common/error.h"
#include "server/http_message.h"

namespace facegate {

namespace {

[[noreturn]] void malformed(const std::string& what) {
    throw Error(ErrorCode::SERIALIZATION, "the multipart/form-data body is malformed: " + what);
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// the value of parameter `key` in "form-data; name=\"x\"; filename=\"y\"" (quoted or token)
std::optional<std::string> parameter(std::string_view header, std::string_view key) {
    size_t i = header.find(';');
    while (i != std::string_view::npos && i < header.size()) {
        ++i; // past ';'
        size_t eq = header.find('=', i);
        if (eq == std::string_view::npos) return std::nullopt;
        std::string_view name = trim(header.substr(i, eq - i));
        std::string value;
        size_t j = eq + 1;
        while (j < header.size() && header[j] == ' ') ++j;
        if (j < header.size() && header[j] == '"') {
            for (++j; j < header.size() && header[j] != '"'; ++j) {
                if (header[j] == '\\' && j + 1 < header.size()) ++j;
                value += header[j];
            }
            if (j >= header.size()) return std::nullopt; // unterminated quote
            ++j;
        } else {
            size_t end = std::min(header.find(';', j), header.size());
            value = std::string(trim(header.substr(j, end - j)));
            j = end;
        }
        if (iequals(name, key)) return value;
        i = header.find(';', j);
    }
    return std::nullopt;
}

} // namespace

std::optional<std::string> multipart_boundary(std::string_view content_type) {
    std::string_view type = trim(content_type.substr(0, content_type.find(';')));
    if (!iequals(type, "multipart/form-data")) return std::nullopt;
    auto boundary = parameter(content_type, "boundary");
    // RFC 2046: 1 to 70 characters
    if (!boundary || boundary->empty() || boundary->size() > 70) return std::nullopt;
    return boundary;
}

std::vector<MultipartPart> parse_multipart(std::string_view body, std::string_view boundary) {
    const std::string delimiter = "--" + std::string(boundary);
    std::vector<MultipartPart> parts;
    size_t pos = body.find(delimiter);
    if (pos == std::string_view::npos || (pos != 0 && (pos < 2 || body.substr(pos - 2, 2) != "\r\n"))) malformed("no boundary");
    pos += delimiter.size();
    const std::string separator = "\r\n" + delimiter;
    while (true) {
        if (body.substr(pos, 2) == "--") return parts; // the closing delimiter
        if (body.substr(pos, 2) != "\r\n") malformed("a boundary is not followed by a line end");
        pos += 2;
        size_t headers_end = body.find("\r\n\r\n", pos);
        if (headers_end == std::string_view::npos) malformed("a part's headers do not end");
        MultipartPart part;
        bool has_name = false;
        std::string_view headers = body.substr(pos, headers_end - pos);
        while (!headers.empty()) {
            size_t eol = headers.find("\r\n");
            std::string_view line = headers.substr(0, eol);
            headers = eol == std::string_view::npos ? std::string_view() : headers.substr(eol + 2);
            size_t colon = line.find(':');
            if (colon == std::string_view::npos) malformed("a part header has no colon");
            if (!iequals(trim(line.substr(0, colon)), "Content-Disposition")) continue;
            std::string_view value = trim(line.substr(colon + 1));
            if (!iequals(trim(value.substr(0, value.find(';'))), "form-data")) malformed("a part is not form-data");
            if (auto name = parameter(value, "name")) {
                part.name = *name;
                has_name = true;
            }
            part.filename = parameter(value, "filename");
        }
        if (!has_name || part.name.empty()) malformed("a part has no name");
        size_t content_start = headers_end + 4;
        size_t content_end = body.find(separator, content_start);
        if (content_end == std::string_view::npos) malformed("the closing boundary is missing");
        part.content = body.substr(content_start, content_end - content_start);
        parts.push_back(std::move(part));
        pos = content_end + separator.size();
    }
}

} // namespace facegate
