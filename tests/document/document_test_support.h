// SPDX-License-Identifier: MIT
#pragma once

// what the document analyzer's tests share: a fixed "today" (so expiry does not drift), one analyzer
// over the shared engine, and reason-list helpers

#include "document/document_analyzer.h"
#include "test_support.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace facegate::test {

inline constexpr std::chrono::year_month_day kToday{std::chrono::year(2025), std::chrono::month(6),
                                                    std::chrono::day(1)};

inline const DocumentAnalyzer& analyzer() {
    static DocumentAnalyzer a(shared_engine());
    return a;
}

inline bool has(const std::vector<std::string>& reasons, std::string_view code) {
    return std::find(reasons.begin(), reasons.end(), code) != reasons.end();
}

inline std::string joined(const std::vector<std::string>& reasons) {
    std::string out;
    for (const auto& r : reasons) out += r + " ";
    return out;
}

} // namespace facegate::test
