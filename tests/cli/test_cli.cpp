// SPDX-License-Identifier: MIT
// the facegate command line as a user runs it: JSON on stdout, errors as JSON on stderr with status 2
#include "test_support.h"

#include <nlohmann/json.hpp>
#include <opencv2/freetype.hpp>

#include <array>
#include <cstdio>
#include <sys/wait.h>

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

struct CliRun {
    int status;
    std::string out, err;
};

CliRun run_cli(const std::string& args) {
    fs::path err_file = fs::temp_directory_path() / ("facegate-cli-err-" + std::to_string(::getpid()));
    std::string command = std::string(FACEGATE_CLI_PATH) + " --models " + facegate::test::model_dir().string() + " " +
                          args + " 2>" + err_file.string();
    FILE* pipe = ::popen(command.c_str(), "r");
    CliRun run{};
    std::array<char, 4096> buffer;
    size_t n;
    while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) run.out.append(buffer.data(), n);
    int status = ::pclose(pipe);
    run.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::ifstream err(err_file);
    run.err.assign(std::istreambuf_iterator<char>(err), {});
    fs::remove(err_file);
    return run;
}

fs::path temp_file(const std::string& name, const std::vector<uint8_t>& bytes) {
    fs::path path = fs::temp_directory_path() / ("facegate-cli-" + std::to_string(::getpid()) + "-" + name);
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    return path;
}

std::string sample(int n) { return (facegate::test::samples_dir() / ("sample" + std::to_string(n) + ".jpg")).string(); }

} // namespace

TEST(Cli, DetectPrintsRekognitionFaceDetails) {
    FACEGATE_REQUIRE_MODELS();
    CliRun run = run_cli("detect " + sample(5));
    ASSERT_EQ(run.status, 0) << run.err;
    json out = json::parse(run.out);
    ASSERT_EQ(out["FaceDetails"].size(), 5u);
    const json& face = out["FaceDetails"][0];
    for (const char* key : {"Width", "Height", "Left", "Top"}) {
        EXPECT_GE(face["BoundingBox"][key].get<double>(), 0.0);
        EXPECT_LE(face["BoundingBox"][key].get<double>(), 1.0);
    }
    EXPECT_GT(face["Confidence"].get<double>(), 85);
    std::set<std::string> types;
    for (const auto& landmark : face["Landmarks"]) types.insert(landmark["Type"].get<std::string>());
    for (const char* t : {"eyeLeft", "eyeRight", "nose", "mouthLeft", "mouthRight", "chinBottom", "leftPupil"}) {
        EXPECT_TRUE(types.count(t)) << t;
    }
    EXPECT_TRUE(face["Pose"].contains("Yaw"));
    EXPECT_TRUE(face["Quality"].contains("Sharpness"));
    EXPECT_TRUE(face["EyesOpen"]["Value"].is_boolean());
    EXPECT_TRUE(face["Liveness"]["Live"].is_boolean());
    EXPECT_TRUE(face["Liveness"]["Score"].is_number());
}

TEST(Cli, CompareMatchesAFaceInsideItsOwnGroupPhoto) {
    FACEGATE_REQUIRE_MODELS();
    CliRun run = run_cli("compare " + sample(2) + " " + sample(2));
    ASSERT_EQ(run.status, 0) << run.err;
    json out = json::parse(run.out);
    EXPECT_TRUE(out["SourceImageFace"].contains("BoundingBox"));
    ASSERT_EQ(out["FaceMatches"].size(), 1u);
    EXPECT_GT(out["FaceMatches"][0]["Similarity"].get<double>(), 99);
    EXPECT_EQ(out["UnmatchedFaces"].size(), 2u);
    CliRun strict = run_cli("compare " + sample(2) + " " + sample(1) + " --threshold 99");
    ASSERT_EQ(strict.status, 0) << strict.err;
    EXPECT_TRUE(json::parse(strict.out)["FaceMatches"].empty());
}

TEST(Cli, ErrorsAreRekognitionJsonOnStderrWithStatus2) {
    FACEGATE_REQUIRE_MODELS();
    auto garbage = temp_file("garbage.jpg", {'n', 'o', 't', ' ', 'a', 'n', ' ', 'i', 'm', 'a', 'g', 'e'});
    CliRun bad = run_cli("detect " + garbage.string());
    EXPECT_EQ(bad.status, 2);
    EXPECT_TRUE(bad.out.empty());
    EXPECT_EQ(json::parse(bad.err)["__type"], "InvalidImageFormatException");

    auto blank = temp_file("blank.png", facegate::test::encode(facegate::test::synthetic_background(300, 200), ".png"));
    CliRun noface = run_cli("compare " + blank.string() + " " + sample(1));
    EXPECT_EQ(noface.status, 2);
    EXPECT_EQ(json::parse(noface.err)["__type"], "InvalidParameterException");

    std::vector<uint8_t> huge(6 * 1024 * 1024, 0);
    auto big = temp_file("big.jpg", huge);
    CliRun too_large = run_cli("detect " + big.string());
    EXPECT_EQ(too_large.status, 2);
    EXPECT_EQ(json::parse(too_large.err)["__type"], "ImageTooLargeException");

    CliRun missing = run_cli("detect /nonexistent/photo.jpg");
    EXPECT_EQ(missing.status, 2);
    EXPECT_EQ(json::parse(missing.err)["__type"], "InvalidParameterException");
    for (const auto& f : {garbage, blank, big}) fs::remove(f);
}

// `facegate document --explain`: the analysis as register sees it, and every MRZ character with how
// it was chosen and its alternatives. the page is synthesised: the ICAO specimen's MRZ in OCR-B
TEST(Cli, DocumentExplainShowsEveryMrzCharacter) {
    FACEGATE_REQUIRE_MODELS();
    const fs::path font = "/usr/share/fonts/opentype/ocr-b/OCRB.otf";
    if (!fs::exists(font)) GTEST_SKIP() << "OCR-B font absent at " << font << ": install fonts-ocr-b";
    const std::vector<std::string> lines = {"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
                                            "L898902C36UTO7408122F1204159ZE184226B<<<<<10"};
    cv::Mat page(700, 1000, CV_8UC3, cv::Scalar(225, 235, 240));
    auto ocrb = cv::freetype::createFreeType2();
    ocrb->loadFontData(font.string(), 0);
    for (size_t i = 0; i < lines.size(); ++i)
        ocrb->putText(page, lines[i], {90, 600 + int(i) * 44}, 28, cv::Scalar(30, 30, 30), -1, cv::LINE_AA, true);
    std::vector<uint8_t> png;
    cv::imencode(".png", page, png);
    auto path = temp_file("mrz.png", png);

    CliRun run = run_cli("document --explain " + path.string());
    ASSERT_EQ(run.status, 0) << run.err;
    json out = json::parse(run.out);
    ASSERT_TRUE(out["mrz"].is_object()) << run.out;
    EXPECT_EQ(out["mrz"]["lines"], json(lines));
    EXPECT_EQ(out["mrz"]["checkDigits"]["birthDate"], true);
    const json& characters = out["explain"]["mrzCharacters"];
    ASSERT_EQ(characters.size(), 2u);
    ASSERT_EQ(characters[1].size(), 44u);
    EXPECT_EQ(characters[1][13]["char"], "7");
    EXPECT_TRUE(characters[1][13]["source"].is_string());
    EXPECT_EQ(characters[1][13]["alternatives"].size(), 3u);
    EXPECT_TRUE(out["documentConfidence"].is_number());

    // a group photo: no MRZ, nothing to explain about one
    CliRun photo = run_cli("document " + sample(1));
    ASSERT_EQ(photo.status, 0) << photo.err;
    json plain = json::parse(photo.out);
    EXPECT_TRUE(plain["mrz"].is_null());
    EXPECT_FALSE(plain.contains("explain"));
    EXPECT_LT(plain["documentConfidence"].get<double>(), 20);
    fs::remove(path);
}
