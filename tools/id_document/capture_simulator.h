// SPDX-License-Identifier: MIT
#pragma once

// a phone photo of a flat document: the document laid on a surface (optionally held by a hand), seen
// in perspective and slightly rotated, lit unevenly, a little out of focus, with sensor noise, and
// JPEG-encoded as phones do. every random choice comes from the caller's std::mt19937, so one seed
// gives the same bytes every time (on one platform: the standard distributions are not portable).

#include "id_document/capture_scene.h"

#include <opencv2/core/mat.hpp>
#include <opencv2/core/matx.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <random>
#include <vector>

namespace facegate {

struct CaptureOptions {
    cv::Size output_size{1600, 1200};
    std::optional<SceneBackground> background; // none: table or clutter at random
    double hand_probability = 0.5;
    double min_fill = 0.55, max_fill = 0.8;    // document width over image width, before perspective
    double max_corner_jitter = 0.12;           // each corner moves up to this fraction of the document's size
    double max_rotation_deg = 10;
    double max_blur_sigma = 1.5;               // Gaussian blur, pixels of the output
    double max_noise_sigma = 5;                // sensor noise, 8-bit levels
    int min_jpeg_quality = 75, max_jpeg_quality = 92;
    // the photo turned after it was taken, degrees counter-clockwise on screen (a phone held sideways or
    // upside down without an EXIF orientation: 90, 180, 270; or any angle), on a canvas enlarged to hold
    // it. no random draw: a seed gives the same photo, turned
    double turn_deg = 0;
};

struct SimulatedCapture {
    cv::Mat bgr;                          // the photo before JPEG compression
    std::vector<uint8_t> jpeg;            // the photo as a file
    std::array<cv::Point2f, 4> corners{}; // the document's corners in the photo: TL TR BR BL of the flat image
                                          // (a card's rounded corners: where its straight edges meet)
    cv::Matx33d homography;               // flat document pixels -> photo pixels
    SceneBackground background = SceneBackground::TABLE;
    bool hand = false;
    double rotation_deg = 0, corner_jitter = 0, blur_sigma = 0, noise_sigma = 0;
    double turn_deg = 0; // CaptureOptions::turn_deg
    int jpeg_quality = 0;
};

// buffers a capture needs only while it runs, worth keeping between captures: when the allocator has
// given a multi-megabyte buffer back to the system, a fresh one costs page faults (tens of ms on some VMs)
struct CaptureScratch {
    cv::Mat region;   // the document's region: the warped document, then its blurred copy
    cv::Mat coverage; // the document's anti-aliased coverage of that region
};

// `document`: the flat 8-bit BGR document, a rectangle with corners rounded by `corner_radius` pixels.
// `scratch`: buffers to reuse (none: fresh ones). the result shares no memory with them.
// throws Error(INVALID_PARAMETER) for an empty document or options out of range.
SimulatedCapture simulate_capture(const cv::Mat& document, float corner_radius, const CaptureOptions& options,
                                  std::mt19937& rng, CaptureScratch* scratch = nullptr);

// the image of `point` (flat document pixels) in the photo
cv::Point2f map_to_capture(const SimulatedCapture& capture, cv::Point2f point);

} // namespace facegate
