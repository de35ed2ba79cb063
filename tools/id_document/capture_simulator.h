// SPDX-License-Identifier: MIT
#pragma once

// a phone photo of a flat document: the document laid on a surface (optionally held by a hand), seen
// in perspective and slightly rotated, lit unevenly, a little out of focus, with sensor noise, and
// JPEG-encoded as phones do. every random choice comes from the caller's std::mt19937, so one seed
// gives the same bytes every time (on one platform: the standard distributions are not portable).
//
// options for the hard cases: a camera model tilting the document up to 35 degrees and more, any
// rotation on the table and any turn of the finished photo, a glare streak and a laminate reflection
// across part of the MRZ, and an old flatbed scan (low contrast, yellowed, blocky JPEG). the draws of
// the glare come from a copy of the generator, so a capture with glare is the same photo as the one
// without it, plus the glare.

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
    std::optional<SceneBackground> background{}; // none: table or clutter at random
    double hand_probability = 0.5;
    double min_fill = 0.55, max_fill = 0.8;    // document width over image width, before perspective
    double max_corner_jitter = 0.12;           // each corner moves up to this fraction of the document's size
    double max_rotation_deg = 10;              // on the table, either way: 0-180
    // a camera model instead of the corner jitter alone: the document's plane tilted by an angle drawn
    // in [min_tilt_deg, max_tilt_deg] (0-60) about a random axis in it, seen by a phone's camera (about
    // 65 degrees across the frame); the jitter then stays under 2%. 0: no tilt (as before)
    double min_tilt_deg = 0, max_tilt_deg = 0;
    double max_blur_sigma = 1.5;               // Gaussian blur, pixels of the output
    double max_noise_sigma = 5;                // sensor noise, 8-bit levels
    int min_jpeg_quality = 75, max_jpeg_quality = 92;
    // the photo turned after it was taken, degrees counter-clockwise on screen (a phone held sideways or
    // upside down without an EXIF orientation: 90, 180, 270; or any angle), on a canvas enlarged to hold
    // it. no random draw: a seed gives the same photo, turned
    double turn_deg = 0;
    // glare: a bright streak of a light's reflection across the MRZ, and a broad laminate reflection
    // over part of it (slightly iridescent); each lightens at most 85% of the way to white (88% where both meet) and covers a
    // part of the MRZ's length, never all of it
    bool glare_streak = false;
    bool laminate_reflection = false;
    // the flat document's pixels the glare crosses (IdDocumentGenerator puts the MRZ here); empty: the
    // lower third of the document
    cv::Rect2f glare_target{};
    // an old flatbed scan instead of a phone photo: a light even lid, the document square to it (up to
    // 3 degrees, no tilt, no hand), even light, a yellowed tone
    bool scan = false;
    // contrast around a lifted mean, drawn in [min, max] (0.2-1; 1: untouched; 0.35-0.6: a faded old
    // scan). combine with low JPEG qualities (10-30) for the blocks of old scans
    double min_contrast = 1, max_contrast = 1;
};

// the glare of a capture, in the flat document's pixels
struct CaptureGlare {
    bool streak = false, reflection = false;
    cv::Point2f streak_point;      // a point on the streak's centre line
    float streak_angle_deg = 0;    // its direction
    float streak_sigma = 0;        // its half-width (Gaussian sigma)
    float streak_peak = 0;         // 0-1: how far towards white at its centre
    cv::RotatedRect reflection_ellipse; // the reflection's extent (its edge: 1/e of the peak)
    float reflection_peak = 0;
};

// how far towards white the glare lightens the flat document's point `p` (0-1)
float glare_alpha(const CaptureGlare& glare, cv::Point2f p);

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
    double tilt_deg = 0, tilt_axis_deg = 0; // the camera model's tilt (0: none) and its axis in the document
    bool scan = false;
    double contrast = 1;
    CaptureGlare glare;
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
