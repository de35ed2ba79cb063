// SPDX-License-Identifier: MIT
// the generator: render, then photograph, from one seed
#include "id_document/id_document_generator.h"

#include "core/image_decoder.h"

namespace facegate {

PortraitSource portrait_source(std::span<const uint8_t> bytes, const cv::Rect2f& face) {
    return {decode_image(bytes).bgr, face};
}

IdDocumentGenerator::IdDocumentGenerator(const FontPaths& fonts) : renderer_(fonts) {}

RenderedDocument IdDocumentGenerator::render(const PortraitSource& portrait, const IdDocumentFields& fields,
                                             const RenderOptions& options, std::mt19937& rng) {
    return renderer_.render(portrait, fields, options, rng);
}

GeneratedDocument IdDocumentGenerator::generate(const PortraitSource& portrait, const IdDocumentFields& fields,
                                                const RenderOptions& render_options,
                                                const CaptureOptions& capture_options, uint32_t seed) {
    std::mt19937 rng(seed);
    GeneratedDocument out;
    out.document = renderer_.render(portrait, fields, render_options, rng);
    CaptureOptions options = capture_options;
    // the glare falls across the MRZ unless the caller aimed it elsewhere
    if (options.glare_target.area() <= 0) options.glare_target = cv::Rect2f(out.document.mrz_region);
    out.capture = simulate_capture(out.document.bgr, out.document.corner_radius, options, rng, &scratch_);
    return out;
}

} // namespace facegate
