// SPDX-License-Identifier: MIT
// genuine pairs synthesised by augmentation: every face of the sample photos against itself rotated
// up to 15 degrees, rescaled, re-encoded at JPEG quality 40 and brightened or darkened must match
#include "core/face_embedder.h"
#include "core/similarity.h"
#include "test_support.h"

#include <opencv2/imgproc.hpp>

using namespace facegate;
using facegate::test::encode;
using facegate::test::read_file;
using facegate::test::shared_engine;

namespace {

struct Augmentation {
    std::string name;
    std::function<cv::Mat(const cv::Mat&)> apply;
};

cv::Mat rotate(const cv::Mat& image, double degrees) {
    cv::Mat out;
    cv::Point2f c(image.cols / 2.f, image.rows / 2.f);
    cv::warpAffine(image, out, cv::getRotationMatrix2D(c, degrees, 1.0), image.size(), cv::INTER_LINEAR, cv::BORDER_REFLECT);
    return out;
}

cv::Mat rescale(const cv::Mat& image, double factor) {
    cv::Mat out;
    cv::resize(image, out, cv::Size(), factor, factor, factor < 1 ? cv::INTER_AREA : cv::INTER_CUBIC);
    return out;
}

cv::Mat jpeg(const cv::Mat& image, int quality) {
    return cv::imdecode(encode(image, ".jpg", {cv::IMWRITE_JPEG_QUALITY, quality}), cv::IMREAD_COLOR);
}

cv::Mat brightness(const cv::Mat& image, double delta) {
    cv::Mat out;
    image.convertTo(out, -1, 1.0, delta);
    return out;
}

const std::vector<Augmentation>& augmentations() {
    static const std::vector<Augmentation> list = {
        {"rotate +15", [](const cv::Mat& m) { return rotate(m, 15); }},
        {"rotate -15", [](const cv::Mat& m) { return rotate(m, -15); }},
        {"scale 0.5", [](const cv::Mat& m) { return rescale(m, 0.5); }},
        {"scale 1.8", [](const cv::Mat& m) { return rescale(m, 1.8); }},
        {"jpeg q40", [](const cv::Mat& m) { return jpeg(m, 40); }},
        {"brighter +50", [](const cv::Mat& m) { return brightness(m, 50); }},
        {"darker -50", [](const cv::Mat& m) { return brightness(m, -50); }},
        {"rotate 10 + scale 0.7 + jpeg q40 + darker", [](const cv::Mat& m) { return jpeg(brightness(rescale(rotate(m, 10), 0.7), -30), 40); }},
    };
    return list;
}

} // namespace

TEST(AugmentedPairs, EveryAugmentedFaceMatchesItsOriginal) {
    FACEGATE_REQUIRE_MODELS();
    int pairs = 0;
    float lowest = 100;
    for (int sample = 1; sample <= 6; ++sample) {
        auto decoded = decode_image(read_file(test::samples_dir() / ("sample" + std::to_string(sample) + ".jpg")));
        auto analysis = shared_engine().analyze(decoded.bgr);
        for (size_t i = 0; i < analysis.faces.size(); ++i) {
            // a portrait of this face alone: 2.5x its box, so the augmented copies show one face
            const auto& box = analysis.faces[i].box.rect;
            float side = 2.5f * std::max(box.width, box.height);
            cv::Rect r = cv::Rect(cv::Rect2f(box.x + box.width / 2 - side / 2, box.y + box.height / 2 - side / 2, side, side)) &
                         cv::Rect(0, 0, decoded.bgr.cols, decoded.bgr.rows);
            cv::Mat portrait = decoded.bgr(r).clone();
            auto original = shared_engine().analyze(portrait);
            ASSERT_FALSE(original.faces.empty()) << "sample" << sample << " face " << i;
            for (const auto& aug : augmentations()) {
                auto changed = shared_engine().analyze(aug.apply(portrait));
                ASSERT_FALSE(changed.faces.empty()) << "sample" << sample << " face " << i << ": " << aug.name;
                float s = similarity_from_cosine(cosine_similarity(original.faces[0].embedding, changed.faces[0].embedding));
                lowest = std::min(lowest, s);

                EXPECT_GE(s, kDefaultMatchThreshold) << "sample" << sample << " face " << i << ": " << aug.name;
                ++pairs;
            }
        }
    }
    EXPECT_EQ(pairs, 22 * int(augmentations().size()));
    std::cout << "augmented genuine pairs: " << pairs << ", lowest similarity " << lowest << "\n";
}
