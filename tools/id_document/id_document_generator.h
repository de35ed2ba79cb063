// SPDX-License-Identifier: MIT
#pragma once

// synthetic ID documents for tests and benchmarks: a TD1 card or TD3 passport page rendered from a face
// photo, then photographed by a simulated phone. the one header tests and benchmarks include.
//
//   facegate::IdDocumentGenerator generator;                        // loads the fonts
//   auto source = facegate::portrait_source(photo_bytes, face_box);  // face_box from FaceEngine
//   auto doc = generator.generate(source, {.surname = "DOE"}, {.type = facegate::IdDocumentType::TD1}, {}, 42);
//   doc.capture.jpeg, doc.capture.corners, doc.document.mrz, doc.document.portrait ...
//
// not thread-safe (FreeType state, reused buffers): one generator per thread. a TD1 card at 12 px/mm
// and its 1600x1200 photo take about 35-45 ms of one core, a TD3 page 60-80 ms; on VMs where page
// faults are dear, glibc giving the freed images back to the system between documents can add 15-20 ms
// (GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=268435456 avoids it).

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
    // the same arguments give the same bytes. glare (CaptureOptions) falls across the MRZ unless
    // capture_options.glare_target says otherwise
    GeneratedDocument generate(const PortraitSource& portrait, const IdDocumentFields& fields,
                               const RenderOptions& render_options, const CaptureOptions& capture_options,
                               uint32_t seed);

  private:
    DocumentRenderer renderer_;
    CaptureScratch scratch_;
};

} // namespace facegate
