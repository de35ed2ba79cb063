// SPDX-License-Identifier: MIT
#pragma once

// the analysis of one document photo as JSON, for `facegate document [--explain] FILE`: what the
// register action decides from (format, documentConfidence, reasons, MRZ) and, with `explain`, why:
// the evidence, the timings, and every MRZ character as it was read or corrected, with its
// alternatives, so that a failure can be understood.

#include "document/document_analyzer.h"

#include <chrono>
#include <string>

namespace facegate {

// JSON text (indented)
std::string document_analysis_json(const DocumentAnalysis& analysis, const DocumentTimings& timings,
                                   std::chrono::year_month_day today, bool explain);

} // namespace facegate
