// SPDX-License-Identifier: MIT
#pragma once

// synthetic ID documents for tests and benchmarks: a TD1 card or TD3 passport page rendered from a face
// photo, then photographed by a simulated phone. the one header tests and benchmarks include.
//
//   facegate::IdDocumentGenerator generator;                      // loads the fonts
//   auto source = facegate::portrait_source(photo_bytes, face_box); // face_box from FaceEngine
//   auto doc = generator.generate(source, {.surname = "DOE"}, {.type = IdDocumentType::TD1}, {}, 42);
//   doc.capture.jpeg, doc.capture.corners, doc.document.mrz ...
//
// not thread-safe (FreeType state): one generator per thread. one TD3 page at 12 px/mm plus its
// 1600x1200 photo take about 40-60 ms on one core.

#include "id_document/capture_simulator.h"
#include "id_document/document_renderer.h"

#include <cstdint>
#include <span>

namespace facegate {

// decodes a face photo as FaceEngine::analyze_bytes does (same orientation and scale), so a face box
// the engine found in `bytes` applies to the result. throws Error(INVALID_IMAGE_FORMAT | IMAGE_TOO_LARGE)
PortraitSource portrait_source(std::span<const uint8_t> bytes, const cv::Rect2f& face);

struct GeneratedDocument {
    RenderedDocument document; // the flat render and where its parts are
    SimulatedCapture capture;  // the phone photo of it
};

class IdDocumentGenerator {
  public:
    // throws Error(INVALID_PARAMETER) for a missing font
    explicit IdDocumentGenerator(const FontPaths& fonts = default_font_paths());

    // the flat document only
    RenderedDocument render(const PortraitSource& portrait, const IdDocumentFields& fields,
                            const RenderOptions& options, std::mt19937& rng);

    // the flat document and a photo of it, every random choice from one std::mt19937 seeded with `seed`:
    // the same arguments give the same bytes
    GeneratedDocument generate(const PortraitSource& portrait, const IdDocumentFields& fields,
                               const RenderOptions& render_options, const CaptureOptions& capture_options,
                               uint32_t seed);

  private:
    DocumentRenderer renderer_;
};

} // namespace facegate
