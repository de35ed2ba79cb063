// SPDX-License-Identifier: MIT
// reading MRZs from images: the OCR-B glyph classifier on rendered glyphs, and read_mrz on
// synthesised documents (pale page, printed text, an OCR-B MRZ of composed lines) at several scales,
// blurred, noisy, turned and JPEG-compressed; nothing read from pictures without one.
#include "common/error.h"
#include "document/mrz.h"
#include "document/mrz_reader.h"
#include "document/ocrb_glyphs.h"

#include <gtest/gtest.h>
#include <opencv2/freetype.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <thread>

using namespace facegate;

namespace {

const char* kDejaVu = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

cv::Ptr<cv::freetype::FreeType2> load_font(const std::filesystem::path& path) {
    if (!std::filesystem::exists(path)) return {};
    auto font = cv::freetype::createFreeType2();
    font->loadFontData(path.string(), 0);
    return font;
}

cv::freetype::FreeType2& ocrb() {
    static auto font = load_font(ocrb_font_path());
    return *font;
}

cv::freetype::FreeType2* dejavu() {
    static auto font = load_font(kDejaVu);
    return font.get();
}

// skips a test when fonts-ocr-b is not installed (the reader then throws MODEL_UNAVAILABLE)
#define REQUIRE_OCRB()                                                                                 \
    do {                                                                                               \
        if (!std::filesystem::exists(ocrb_font_path()))                                               \
            GTEST_SKIP() << "OCR-B font absent at " << ocrb_font_path() << ": install fonts-ocr-b";    \
    } while (0)

std::string random_text(cv::RNG& rng, std::string_view alphabet, int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += alphabet[size_t(rng.uniform(0, int(alphabet.size())))];
    return s;
}

std::string random_date(cv::RNG& rng) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%02d%02d%02d", rng.uniform(0, 100), rng.uniform(1, 13), rng.uniform(1, 29));
    return buf;
}

MrzFields random_fields(cv::RNG& rng, MrzFormat format) {
    static const char* surnames[] = {"ERIKSSON", "MUSTERMANN", "DUPONT", "ROSSI",
                                     "OKONKWO-ADEYEMI", "NGUYEN", "GARCIA LOPEZ", "SMITH"};
    static const char* givens[] = {"ANNA MARIA", "ERIKA", "JEAN PIERRE", "GIULIA",
                                   "CHIDI", "VAN", "MARIA JOSE", "JOHN"};
    static const char* states[] = {"UTO", "D", "FRA", "ITA", "NGA", "VNM", "ESP", "GBR"};
    MrzFields f;
    f.document_code = format == MrzFormat::TD1 ? (rng.uniform(0, 2) ? "ID" : "I") : "P";
    f.issuing_state = states[rng.uniform(0, 8)];
    f.nationality = states[rng.uniform(0, 8)];
    f.surname = surnames[rng.uniform(0, 8)];
    f.given_names = givens[rng.uniform(0, 8)];
    f.document_number = random_text(rng, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 2) +
                        random_text(rng, "0123456789CFGHJKLMNPRTVWXYZ", 7);
    f.birth_date = random_date(rng);
    f.expiry_date = random_date(rng);
    f.sex = std::string(1, "MF<"[rng.uniform(0, 3)]);
    if (rng.uniform(0, 2)) {
        f.optional_data = random_text(rng, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", rng.uniform(3, 10));
    }
    if (format == MrzFormat::TD1 && rng.uniform(0, 2)) f.optional_data2 = random_text(rng, "0123456789", 4);
    return f;
}

struct Synthetic {
    cv::Mat image;
    std::vector<std::string> lines;
};

struct Look {
    float char_height = 24;  // MRZ glyph height, px
    float angle = 0;         // degrees
    float blur = 0;          // Gaussian sigma, px
    float noise = 0;         // Gaussian noise sigma, gray levels
    bool jpeg = true;        // re-encoded at quality 70
};

// a document: pale page, a portrait-sized grey box, printed captions above, the MRZ at the bottom
Synthetic document(MrzFormat format, const MrzFields& fields, const Look& look, uint64_t seed) {
    cv::RNG rng(seed);
    Synthetic s;
    s.lines = compose_mrz(format, fields);
    const int n = int(s.lines[0].size());
    const int font_height = int(std::lround(look.char_height / 0.72f)); // OCR-B capitals are ~0.72 of it
    const int pitch_width = ocrb().getTextSize(std::string(size_t(n), '<'), font_height, -1, nullptr).width;
    const int width = std::clamp(int(pitch_width * rng.uniform(1.12, 1.35)), 600, 2000);
    const int height = int(width / (format == MrzFormat::TD1 ? 1.58 : 1.42));
    cv::Scalar paper(rng.uniform(215, 250), rng.uniform(215, 250), rng.uniform(215, 250));
    cv::Mat page(height, width, CV_8UC3, paper);
    // a soft tint across the page, as guilloche-free security print
    cv::Mat tint(8, 8, CV_8UC3);
    rng.fill(tint, cv::RNG::UNIFORM, -12, 12);
    cv::resize(tint, tint, page.size(), 0, 0, cv::INTER_CUBIC);
    page += tint;

    const int margin = (width - pitch_width) / 2;
    const int line_pitch = int(look.char_height * rng.uniform(1.6, 2.0));
    // turning must not take the MRZ's corners off the page
    const float turn_margin = std::abs(std::sin(look.angle * float(CV_PI) / 180)) * float(width) / 2;
    const int mrz_bottom = height - int(look.char_height * rng.uniform(0.8, 1.6) + turn_margin);
    const int first_baseline = mrz_bottom - line_pitch * (int(s.lines.size()) - 1);
    const int mrz_top = first_baseline - int(look.char_height) - line_pitch / 2;

    // portrait box and captions in the space above the MRZ
    cv::Rect portrait(margin, int(height * 0.12), int(width * 0.25), std::max(10, int(mrz_top - height * 0.2)));
    cv::rectangle(page, portrait, cv::Scalar(150, 140, 135), cv::FILLED);
    if (auto* text = dejavu()) {
        const int size = std::max(10, int(look.char_height * rng.uniform(0.7, 1.1)));
        const char* captions[] = {"Surname / Nom", "Given names / Prenoms", "Nationality", "Date of birth 12 AUG 1974",
                                  "Place of birth ZENITH", "Authority PASSPORT OFFICE"};
        int y = int(height * 0.12) + size;
        for (const char* caption : captions) {
            if (y + size > mrz_top) break;
            text->putText(page, caption, {portrait.br().x + size, y}, size, cv::Scalar(40, 40, 40), -1, cv::LINE_AA,
                          true);
            y += int(size * 1.6);
        }
    }
    const cv::Scalar ink(rng.uniform(0, 50), rng.uniform(0, 50), rng.uniform(0, 50));
    for (size_t i = 0; i < s.lines.size(); ++i) {
        const cv::Point at(margin, first_baseline + int(i) * line_pitch);
        ocrb().putText(page, s.lines[i], at, font_height, ink, -1, cv::LINE_AA, true);
    }

    if (look.angle != 0) {
        cv::Mat r = cv::getRotationMatrix2D({width / 2.0f, height / 2.0f}, look.angle, 1.0);
        cv::warpAffine(page, page, r, page.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    }
    if (look.blur > 0) cv::GaussianBlur(page, page, {0, 0}, look.blur);
    if (look.noise > 0) {
        cv::Mat noise(page.size(), CV_16SC3);
        rng.fill(noise, cv::RNG::NORMAL, 0, look.noise);
        cv::Mat wide;
        page.convertTo(wide, CV_16SC3);
        wide += noise;
        wide.convertTo(page, CV_8UC3);
    }
    if (look.jpeg) {
        std::vector<uchar> bytes;
        cv::imencode(".jpg", page, bytes, {cv::IMWRITE_JPEG_QUALITY, 70});
        page = cv::imdecode(bytes, cv::IMREAD_COLOR);
    }
    s.image = page;
    return s;
}

// a smooth, face-less picture: blotches of colour, as a photo's background
cv::Mat photo_like(int width, int height, uint64_t seed) {
    cv::RNG rng(seed);
    cv::Mat small(height / 24 + 2, width / 24 + 2, CV_8UC3);
    rng.fill(small, cv::RNG::UNIFORM, 30, 220);
    cv::Mat out;
    cv::resize(small, out, {width, height}, 0, 0, cv::INTER_CUBIC);
    return out;
}

std::string describe(const MrzReadResult& r) {
    std::string s = "band_found=" + std::to_string(r.band_found) + " score=" + std::to_string(r.mean_glyph_score);
    for (const auto& l : r.raw_lines) s += "\n  read  " + l;
    return s;
}

} // namespace

TEST(OcrbGlyphs, ClassifiesRenderedGlyphsAtSeveralSizes) {
    REQUIRE_OCRB();
    const auto& glyphs = OcrbGlyphs::instance();
    int wrong = 0, total = 0;
    for (int size : {18, 28, 40, 64}) {
        for (char c : kMrzAlphabet) {
            cv::Mat page(size * 2, size * 2, CV_8UC3, cv::Scalar::all(255));
            ocrb().putText(page, std::string(1, c), {size / 2, size * 3 / 2}, size, cv::Scalar::all(0), -1,
                           cv::LINE_AA, true);
            cv::Mat gray, ink;
            cv::cvtColor(page, gray, cv::COLOR_BGR2GRAY);
            cv::threshold(gray, ink, 0, 255, cv::THRESH_BINARY_INV | cv::THRESH_OTSU);
            GlyphMatch m = glyphs.classify(ink);
            ++total;
            // O and 0 differ by little in OCR-B: the MRZ's structure tells them apart
            bool ok = m.ch == c || (c == 'O' && m.ch == '0') || (c == '0' && m.ch == 'O');
            if (!ok) {
                ++wrong;
                ADD_FAILURE() << "size " << size << ": " << c << " read as " << m.ch << " (" << m.score << ")";
            }
            EXPECT_GT(m.score, 0.7f) << c;
            EXPECT_NE(m.runner_up, m.ch);
            EXPECT_LE(m.runner_up_score, m.score);
        }
    }
    EXPECT_EQ(wrong, 0) << "of " << total;
}

// OCR-B's 0 and O (and 8 and B) differ in shape by little, but its digits stand taller than its
// capitals: a line's surely read glyphs give its scale near each glyph (a line in perspective grows
// along its length), and each glyph's height then tells the twins apart
TEST(OcrbGlyphs, HeightsInALineTellZeroFromO) {
    REQUIRE_OCRB();
    const auto& glyphs = OcrbGlyphs::instance();
    EXPECT_GT(glyphs.relative_height('0'), glyphs.relative_height('O') * 1.03f);
    EXPECT_GT(glyphs.relative_height('8'), glyphs.relative_height('B') * 1.05f);
    EXPECT_NEAR(glyphs.relative_height('H'), 1.0f, 1e-6);

    const std::string line = "P<UTOERIKSSON<<0O8B<ANNA<MARIA<O0B8<<L898902C36";
    const std::map<char, char> twin = {{'0', 'O'}, {'O', '0'}, {'8', 'B'}, {'B', '8'}};
    std::vector<GlyphMatch> matches(line.size());
    for (size_t i = 0; i < line.size(); ++i) {
        GlyphMatch& m = matches[i];
        const float scale = 28.0f + 8.0f * float(i) / float(line.size()); // px per capital, growing
        m.ink_height = scale * glyphs.relative_height(line[i]);
        m.scores.fill(0.2f);
        auto t = twin.find(line[i]);
        if (t == twin.end()) { // read surely
            m.ch = line[i];
            m.score = 0.95f;
            m.runner_up = line[i] == 'E' ? 'F' : 'E';
            m.runner_up_score = 0.6f;
        } else { // its twin's shape leads by a little
            m.ch = t->second;
            m.score = 0.82f;
            m.runner_up = line[i];
            m.runner_up_score = 0.80f;
        }
        m.scores[mrz_alphabet_index(m.ch)] = m.score;
        m.scores[mrz_alphabet_index(m.runner_up)] = m.runner_up_score;
    }
    // too few sure glyphs give no scale: the shapes stand
    std::vector<GlyphMatch> few(matches.begin() + 13, matches.begin() + 21); // "<<0O8B<A": 4 sure
    glyphs.weigh_heights(few);
    std::string as_shaped;
    for (const auto& m : few) as_shaped += m.ch;
    EXPECT_EQ(as_shaped, "<<O0B8<A");

    glyphs.weigh_heights(matches);
    std::string read;
    for (const auto& m : matches) read += m.ch;
    EXPECT_EQ(read, line);
}

TEST(OcrbGlyphs, NoInkIsNoMatch) {
    REQUIRE_OCRB();
    EXPECT_EQ(OcrbGlyphs::instance().classify(cv::Mat::zeros(30, 20, CV_8U)).score, -1.0f);
    EXPECT_EQ(OcrbGlyphs::instance().classify(cv::Mat()).score, -1.0f);
    auto many = OcrbGlyphs::instance().classify(std::vector<cv::Mat>{});
    EXPECT_TRUE(many.empty());
}

TEST(OcrbGlyphs, MissingFontIsModelUnavailable) {
    try {
        OcrbGlyphs glyphs("/nonexistent/OCRB.otf");
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::MODEL_UNAVAILABLE);
        EXPECT_NE(std::string(e.what()).find("fonts-ocr-b"), std::string::npos) << e.what();
    }
}

TEST(OcrbGlyphs, FontPathFollowsTheEnvironment) {
    const char* old = std::getenv("FACEGATE_OCRB_FONT");
    std::string saved = old ? old : "";
    setenv("FACEGATE_OCRB_FONT", "/somewhere/else.otf", 1);
    EXPECT_EQ(ocrb_font_path(), "/somewhere/else.otf");
    if (old) setenv("FACEGATE_OCRB_FONT", saved.c_str(), 1);
    else unsetenv("FACEGATE_OCRB_FONT");
    EXPECT_EQ(ocrb_font_path().filename(), std::filesystem::path(saved.empty() ? "OCRB.otf" : saved).filename());
}

// documents of both sizes across the range of glyph heights, each blurred, noisy, turned and JPEG'd
TEST(MrzReader, ReadsSyntheticDocuments) {
    REQUIRE_OCRB();
    int exact = 0, total = 0;
    std::string failures;
    for (int i = 0; i < 24; ++i) {
        cv::RNG rng(uint64_t(1000 + i));
        const MrzFormat format = i % 2 ? MrzFormat::TD3 : MrzFormat::TD1;
        Look look;
        look.char_height = float(14 + (i * 26) / 23); // 14 .. 40 px
        look.angle = float(rng.uniform(-5.0, 5.0));
        look.blur = float(rng.uniform(0.0, 0.05 * look.char_height));
        look.noise = float(rng.uniform(0.0, 10.0));
        auto doc = document(format, random_fields(rng, format), look, uint64_t(i));
        auto r = read_mrz(doc.image);
        ++total;
        bool ok = r.readable() && r.lines == doc.lines;
        if (ok) ++exact;
        else {
            failures += "\n#" + std::to_string(i) + " " + std::string(mrz_format_name(format)) + " h=" +
                        std::to_string(look.char_height) + " angle=" + std::to_string(look.angle) +
                        " blur=" + std::to_string(look.blur) + " " + describe(r);
            for (const auto& l : doc.lines) failures += "\n  truth " + l;
        }
        EXPECT_TRUE(r.band_found) << i;
    }
    EXPECT_GE(exact, total - 1) << failures;
    if (!failures.empty()) std::cout << "misread:" << failures << "\n";
}

// the zone's geometry is reported in input pixels
TEST(MrzReader, ReportsTheZoneWhereItIs) {
    REQUIRE_OCRB();
    cv::RNG rng(7);
    Look look;
    look.jpeg = false;
    auto doc = document(MrzFormat::TD3, random_fields(rng, MrzFormat::TD3), look, 7);
    auto r = read_mrz(doc.image);
    ASSERT_TRUE(r.readable()) << describe(r);
    EXPECT_EQ(r.line_count, 2);
    EXPECT_NEAR(r.char_height, look.char_height, 0.25 * look.char_height);
    EXPECT_GT(r.band.y, doc.image.rows / 2);
    EXPECT_GT(r.band.width, doc.image.cols / 2);
    EXPECT_LT(r.band.height, doc.image.rows / 4);
    EXPECT_GT(r.ink_fraction, 0.05f);
    EXPECT_GT(r.mean_glyph_score, 0.8f);

    // the same page inside a larger photo, off-centre, turned
    cv::Mat photo = photo_like(1600, 1200, 3);
    cv::Mat page;
    cv::resize(doc.image, page, {}, 0.8, 0.8, cv::INTER_AREA);
    cv::Rect at(500, 300, page.cols, page.rows);
    at &= cv::Rect(0, 0, photo.cols, photo.rows);
    page(cv::Rect(0, 0, at.width, at.height)).copyTo(photo(at));
    cv::Mat turned;
    cv::warpAffine(photo, turned, cv::getRotationMatrix2D({800, 600}, 8, 1.0), photo.size(), cv::INTER_LINEAR,
                   cv::BORDER_REPLICATE);
    auto inside = read_mrz(turned);
    EXPECT_TRUE(inside.readable()) << describe(inside);
    EXPECT_EQ(inside.lines, doc.lines);
}

TEST(MrzReader, FoundButUnreadableIsTellable) {
    REQUIRE_OCRB();
    cv::RNG rng(11);
    auto fields = random_fields(rng, MrzFormat::TD3);
    auto doc = document(MrzFormat::TD3, fields, Look{}, 11);
    // the same zone with wrong check digits: a zone, read, that does not check
    auto lines = doc.lines;
    lines[1][9] = char('0' + (lines[1][9] - '0' + 5) % 10);
    lines[1][19] = char('0' + (lines[1][19] - '0' + 5) % 10);
    cv::Mat page(doc.image.size(), CV_8UC3, cv::Scalar::all(240));
    const int font_height = int(std::lround(24 / 0.72f));
    for (size_t i = 0; i < lines.size(); ++i)
        ocrb().putText(page, lines[i], {40, page.rows - 100 + int(i) * 44}, font_height, cv::Scalar::all(20), -1,
                       cv::LINE_AA, true);
    auto r = read_mrz(page);
    EXPECT_TRUE(r.band_found);
    EXPECT_FALSE(r.readable());
    ASSERT_TRUE(r.parsed) << describe(r);
    EXPECT_FALSE(r.parsed->all_checks_valid);
}

TEST(MrzReader, NothingWithoutAnMrz) {
    REQUIRE_OCRB();
    std::vector<std::pair<std::string, cv::Mat>> images;
    images.push_back({"white", cv::Mat(900, 1200, CV_8UC3, cv::Scalar::all(255))});
    images.push_back({"black", cv::Mat(900, 1200, CV_8UC3, cv::Scalar::all(0))});
    cv::Mat noise(900, 1200, CV_8UC3);
    cv::randu(noise, 0, 256);
    images.push_back({"noise", noise});
    cv::Mat fine_noise(1200, 1600, CV_8UC1);
    cv::randn(fine_noise, 128, 40);
    images.push_back({"gaussian noise", fine_noise});
    images.push_back({"photo-like", photo_like(1600, 1200, 5)});
    images.push_back({"tiny", cv::Mat(1, 1, CV_8UC3, cv::Scalar::all(128))});
    images.push_back({"thin", cv::Mat(3, 2000, CV_8UC3, cv::Scalar::all(128))});
    images.push_back({"empty", cv::Mat()});
    images.push_back({"huge", cv::Mat(6000, 8000, CV_8UC1, cv::Scalar::all(200))});
    images.push_back({"16-bit", cv::Mat(600, 800, CV_16UC3, cv::Scalar::all(30000))});
    images.push_back({"bgra", cv::Mat(600, 800, CV_8UC4, cv::Scalar::all(90))});
    // printed captions but no MRZ
    cv::Mat captions(900, 1200, CV_8UC3, cv::Scalar::all(235));
    if (auto* text = dejavu()) {
        for (int y = 80; y < 860; y += 40)
            text->putText(captions, "Date of birth / Date de naissance 12 AUG 1974", {40, y}, 28, cv::Scalar::all(30),
                          -1, cv::LINE_AA, true);
    }
    images.push_back({"captions", captions});
    for (const auto& [name, image] : images) {
        auto r = read_mrz(image);
        EXPECT_FALSE(r.band_found) << name << ": " << describe(r);
        EXPECT_FALSE(r.readable()) << name;
    }
}

// the server reads on several workers at once: the templates are shared, the buffers per thread
TEST(MrzReader, ConcurrentReadsAgree) {
    REQUIRE_OCRB();
    std::vector<Synthetic> docs;
    for (int i = 0; i < 4; ++i) {
        cv::RNG rng(uint64_t(300 + i));
        const MrzFormat format = i % 2 ? MrzFormat::TD3 : MrzFormat::TD1;
        Look look;
        look.char_height = float(16 + 6 * i);
        docs.push_back(document(format, random_fields(rng, format), look, uint64_t(300 + i)));
    }
    constexpr size_t kThreads = 3;
    const size_t n = docs.size();
    std::vector<std::vector<std::string>> read(n * kThreads);
    std::vector<std::thread> threads;
    for (size_t t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (size_t i = 0; i < n; ++i) read[t * n + i] = read_mrz(docs[(i + t) % n].image).lines;
        });
    }
    for (auto& t : threads) t.join();
    for (size_t t = 0; t < kThreads; ++t) {
        for (size_t i = 0; i < n; ++i) EXPECT_EQ(read[t * n + i], docs[(i + t) % n].lines) << t << " " << i;
    }
}

// a page foreshortened to 70% of its height from one end to the other (an open booklet close to the
// camera, photographed along its length): the walk along the line loses its way, but every glyph is
// there, each in its cell by its order
TEST(MrzReader, AStronglyForeshortenedZoneReads) {
    REQUIRE_OCRB();
    cv::RNG rng(44);
    Look look;
    look.char_height = 30;
    auto doc = document(MrzFormat::TD3, random_fields(rng, MrzFormat::TD3), look, 44);
    const float w = float(doc.image.cols), h = float(doc.image.rows);
    const std::vector<cv::Point2f> from = {{0, 0}, {w, 0}, {w, h}, {0, h}};
    const std::vector<cv::Point2f> to = {{0, 0}, {w * 0.7f, h * 0.15f}, {w * 0.7f, h * 0.85f}, {0, h}};
    cv::Mat photo;
    cv::warpPerspective(doc.image, photo, cv::getPerspectiveTransform(from, to), doc.image.size(), cv::INTER_AREA,
                        cv::BORDER_CONSTANT, cv::Scalar(90, 110, 140));
    auto r = read_mrz(photo);
    ASSERT_TRUE(r.readable()) << describe(r);
    EXPECT_EQ(r.lines, doc.lines);
}

// a document that is a small part of a large picture (far from the camera, or a photo turned onto a
// wider canvas): its glyphs are too small to make lines at the working scale, and are found at the
// larger one the reader tries when nothing read
TEST(MrzReader, ASmallZoneInALargePictureIsFound) {
    REQUIRE_OCRB();
    cv::RNG rng(33);
    Look look;
    look.char_height = 10; // 3 px at the working scale of 1000 px: too small to make lines
    auto doc = document(MrzFormat::TD3, random_fields(rng, MrzFormat::TD3), look, 33);
    cv::Mat picture = photo_like(3200, 2400, 33);
    ASSERT_LT(doc.image.cols, 1200);
    doc.image.copyTo(picture(cv::Rect(cv::Point(1100, 900), doc.image.size())));
    auto r = read_mrz(picture);
    ASSERT_TRUE(r.readable()) << describe(r);
    EXPECT_EQ(r.lines, doc.lines);
}

// a document pasted into a photo-sized picture of texture is found and read there (its cost is
// measured by bench/run_document_eval.sh and the register benchmark, not here)
TEST(MrzReader, ReadsADocumentInAPhotoSizedPicture) {
    REQUIRE_OCRB();
    cv::RNG rng(21);
    auto doc = document(MrzFormat::TD3, random_fields(rng, MrzFormat::TD3), Look{}, 21);
    cv::Mat photo = photo_like(1600, 1200, 9);
    doc.image(cv::Rect(0, 0, std::min(doc.image.cols, 1400), std::min(doc.image.rows, 1000)))
        .copyTo(photo(cv::Rect(100, 100, std::min(doc.image.cols, 1400), std::min(doc.image.rows, 1000))));
    auto r = read_mrz(photo);
    ASSERT_TRUE(r.readable());
    EXPECT_EQ(r.lines, doc.lines);
}
