// SPDX-License-Identifier: MIT
#include "core/image_decoder.h"

#include "common/error.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <string>

namespace facegate {

namespace {

[[noreturn]] void invalid(const std::string& what) {
    throw Error(ErrorCode::INVALID_IMAGE_FORMAT, "Request has invalid image format: " + what);
}

// largest libjpeg reduction (1/2, 1/4, 1/8) that keeps the long side at or above the detection size,
// so that the smallest face we promise to find is still as many pixels as detection needs
int jpeg_reduction(const ImageHeader& header, int64_t detection_side) {
    int64_t long_side = std::max(header.width, header.height);
    int factor = 1;
    while (factor < 8 && long_side / (factor * 2) >= detection_side) factor *= 2;
    return factor;
}

int imread_flags(int reduction) {
    switch (reduction) {
    case 2: return cv::IMREAD_REDUCED_COLOR_2;
    case 4: return cv::IMREAD_REDUCED_COLOR_4;
    case 8: return cv::IMREAD_REDUCED_COLOR_8;
    default: return cv::IMREAD_COLOR; // 16-bit and alpha inputs are converted to 8-bit BGR
    }
}

} // namespace

size_t decode_peak_bytes(const ImageHeader& header, int reduction) {
    constexpr size_t kCodecOverhead = 8u << 20;
    size_t pixels = size_t(header.width / reduction + 1) * size_t(header.height / reduction + 1);
    return 2 * 3 * pixels + kCodecOverhead;
}

DecodedImage decode_image(std::span<const uint8_t> bytes, const DecodeLimits& limits) {
    if (bytes.size() > limits.max_bytes) {
        throw Error(ErrorCode::IMAGE_TOO_LARGE, "Image size is too large: " + std::to_string(bytes.size()) +
                                                    " bytes, the limit is " + std::to_string(limits.max_bytes));
    }
    ImageHeader header = probe_image(bytes);
    std::string format(image_format_name(header.format));
    if (header.width < limits.min_side || header.height < limits.min_side) {
        invalid(format + " of " + std::to_string(header.width) + "x" + std::to_string(header.height) +
                " pixels is smaller than " + std::to_string(limits.min_side) + " pixels a side");
    }
    if (header.width > limits.max_side || header.height > limits.max_side ||
        header.width * header.height > limits.max_pixels) {
        invalid(format + " of " + std::to_string(header.width) + "x" + std::to_string(header.height) +
                " pixels exceeds the decoder's limits");
    }
    if (!header.complete) invalid(format + " data is truncated");

    int reduction = header.format == ImageFormat::JPEG ? jpeg_reduction(header, limits.detection_side) : 1;
    MemoryBudget::Reservation reservation;
    if (limits.budget) reservation = limits.budget->reserve(decode_peak_bytes(header, reduction), limits.budget_wait);
    cv::Mat raw(1, int(bytes.size()), CV_8UC1, const_cast<uint8_t*>(bytes.data()));
    DecodedImage out{cv::Mat(), header.format};
    out.reservation = std::move(reservation);
    try {
        out.bgr = cv::imdecode(raw, imread_flags(reduction));
    } catch (const cv::Exception&) {
        invalid(format + " data could not be decoded");
    }
    if (out.bgr.empty()) invalid(format + " data could not be decoded");
    if (out.bgr.depth() != CV_8U || out.bgr.channels() != 3) invalid(format + " pixel layout is not supported");

    // EXIF orientation may have turned the picture a quarter: the header's sides then swap
    bool rotated = (out.bgr.cols > out.bgr.rows) != (header.width > header.height) && header.width != header.height;
    out.source_width = int(rotated ? header.height : header.width);
    out.source_height = int(rotated ? header.width : header.height);
    out.scale = double(out.bgr.cols) / out.source_width;
    return out;
}

} // namespace facegate
