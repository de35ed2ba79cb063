// SPDX-License-Identifier: MIT
// the ICAO 9303 specimen pages of the shared data set (scans of a TD3 passport and a TD2 travel
// document, PNG and JPEG): read_mrz must give their lines exactly, every check digit valid. skipped,
// saying so, when ../shared/data is absent.
#include "document/mrz_reader.h"
#include "document/ocrb_glyphs.h"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <chrono>
#include <filesystem>

using namespace facegate;
namespace fs = std::filesystem;

namespace {

fs::path documents_dir() { return fs::path(FACEGATE_TEST_SHARED_DIR) / "documents"; }

#define REQUIRE_SPECIMEN(path)                                                                         \
    do {                                                                                               \
        if (!fs::exists(documents_dir()))                                                             \
            GTEST_SKIP() << "../shared/data is absent: this test needs the shared documents at "      \
                         << documents_dir();                                                           \
        if (!fs::exists(ocrb_font_path()))                                                            \
            GTEST_SKIP() << "OCR-B font absent at " << ocrb_font_path() << ": install fonts-ocr-b";    \
        ASSERT_TRUE(fs::exists(path)) << path << " is missing from the shared documents";             \
    } while (0)

const std::vector<std::string> kTd3 = {"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
                                       "L898902C36UTO7408122F1204159ZE184226B<<<<<10"};
const std::vector<std::string> kTd2 = {"I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
                                       "D231458907UTO7408122F1204159<<<<<<<6"};

void expect_reads(const fs::path& path, const std::vector<std::string>& expected, MrzFormat format) {
    cv::Mat image = cv::imread(path.string(), cv::IMREAD_COLOR);
    ASSERT_FALSE(image.empty()) << "cannot decode " << path;
    OcrbGlyphs::instance(); // the templates are rendered once: not part of the time
    const auto start = std::chrono::steady_clock::now();
    MrzReadResult r = read_mrz(image);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::cout << path.filename().string() << ": " << ms << " ms, glyph score " << r.mean_glyph_score << "\n";
    ASSERT_TRUE(r.band_found) << path;
    ASSERT_TRUE(r.parsed) << path;
    EXPECT_EQ(r.lines, expected) << path;
    EXPECT_EQ(r.parsed->format, format);
    EXPECT_TRUE(r.parsed->all_checks_valid) << path;
    EXPECT_TRUE(r.readable());
    EXPECT_EQ(r.parsed->fields.surname, "ERIKSSON");
    EXPECT_EQ(r.parsed->fields.given_names, "ANNA MARIA");
    EXPECT_EQ(r.parsed->fields.birth_date, "740812");
    EXPECT_EQ(r.line_count, 2);
    // the zone is the bottom band of the page, across most of its width
    EXPECT_GT(r.band.y, image.rows * 2 / 3) << path;
    EXPECT_GT(r.band.width, image.cols * 2 / 3) << path;
}

} // namespace

TEST(MrzSpecimens, PassportTd3Png) {
    const auto path = documents_dir() / "passport-td3.png";
    REQUIRE_SPECIMEN(path);
    expect_reads(path, kTd3, MrzFormat::TD3);
}

TEST(MrzSpecimens, PassportTd3Jpeg) {
    const auto path = documents_dir() / "passport-td3.jpg";
    REQUIRE_SPECIMEN(path);
    expect_reads(path, kTd3, MrzFormat::TD3);
}

TEST(MrzSpecimens, TravelDocumentTd2Png) {
    const auto path = documents_dir() / "passport-td2.png";
    REQUIRE_SPECIMEN(path);
    expect_reads(path, kTd2, MrzFormat::TD2);
}

TEST(MrzSpecimens, TravelDocumentTd2Jpeg) {
    const auto path = documents_dir() / "passport-td2.jpg";
    REQUIRE_SPECIMEN(path);
    expect_reads(path, kTd2, MrzFormat::TD2);
}

// the specimens as a phone would see them: smaller, turned, recompressed
TEST(MrzSpecimens, ReadWhenPhotographedSmallAndTurned) {
    for (const auto& [name, expected] : {std::pair{"passport-td3.jpg", kTd3}, std::pair{"passport-td2.jpg", kTd2}}) {
        const auto path = documents_dir() / name;
        REQUIRE_SPECIMEN(path);
        cv::Mat image = cv::imread(path.string(), cv::IMREAD_COLOR);
        ASSERT_FALSE(image.empty());
        for (double angle : {-7.0, 4.0}) {
            for (double scale : {0.6, 1.2}) {
                cv::Mat canvas(int(image.rows * 1.4), int(image.cols * 1.4), CV_8UC3, cv::Scalar(90, 110, 120));
                const cv::Rect middle((canvas.cols - image.cols) / 2, (canvas.rows - image.rows) / 2, image.cols,
                                      image.rows);
                image.copyTo(canvas(middle));
                const cv::Size size(int(canvas.cols * scale), int(canvas.rows * scale));
                cv::Mat rotation = cv::getRotationMatrix2D({canvas.cols / 2.0f, canvas.rows / 2.0f}, angle, scale);
                rotation.at<double>(0, 2) += (size.width - canvas.cols) / 2.0; // centre to centre
                rotation.at<double>(1, 2) += (size.height - canvas.rows) / 2.0;
                cv::Mat turned;
                cv::warpAffine(canvas, turned, rotation, size, cv::INTER_AREA, cv::BORDER_REPLICATE);
                std::vector<uchar> bytes;
                cv::imencode(".jpg", turned, bytes, {cv::IMWRITE_JPEG_QUALITY, 75});
                MrzReadResult r = read_mrz(cv::imdecode(bytes, cv::IMREAD_COLOR));
                EXPECT_TRUE(r.readable()) << name << " angle " << angle << " scale " << scale;
                EXPECT_EQ(r.lines, expected) << name << " angle " << angle << " scale " << scale;
            }
        }
    }
}
