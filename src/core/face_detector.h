// SPDX-License-Identifier: MIT
#pragma once

#include "core/face_types.h"

#include <opencv2/core/mat.hpp>
#include <opencv2/dnn/dnn.hpp>

#include <vector>

namespace facegate {

struct DetectorConfig {
    float score_threshold = 0.7f; // detector probability a box must reach
    float nms_iou = 0.4f;         // boxes overlapping a better one more than this are the same face
    float min_face_px = 40.f;     // smallest face width (pixels) the zoomed pass is sized to find
};

// Ultra-Light RFB-320 detector (fr_detect.onnx) over a whole picture: one letterboxed pass finds
// large faces, a zoomed pass of overlapping 320x240 windows finds faces down to min_face_px.
// not thread-safe: one instance per worker (it owns a cv::dnn::Net).
class FaceDetector {
  public:
    FaceDetector(cv::dnn::Net net, DetectorConfig config);

    // faces of a BGR image, largest first, after non-maximum suppression. `relevant_fraction` (0-1)
    // says that faces narrower than that fraction of the largest one are not wanted: the zoomed pass
    // is skipped when it could only add such faces (a selfie: one pass instead of several). 1 asks
    // only for the largest face; 0 for every face
    std::vector<FaceBox> detect(const cv::Mat& bgr, float relevant_fraction = 0.f);

  private:
    // runs the network on `region` of `bgr` shrunk by `scale`; with drop_cut_faces, boxes that
    // touch a window edge inside the picture are dropped (a neighbouring window sees them whole)
    void run_window(const cv::Mat& bgr, const cv::Rect& region, double scale_x, double scale_y, bool drop_cut_faces,
                    std::vector<FaceBox>& out);
    void run_zoomed_pass(const cv::Mat& bgr, double scale, std::vector<FaceBox>& out);

    cv::dnn::Net net_;
    DetectorConfig config_;
};

// greedy non-maximum suppression: also drops a box mostly contained in a better one
std::vector<FaceBox> suppress_overlaps(std::vector<FaceBox> boxes, float iou_threshold);

} // namespace facegate
