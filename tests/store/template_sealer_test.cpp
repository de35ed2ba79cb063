// SPDX-License-Identifier: MIT
// the cryptography of templates at rest (store/template_sealer.h) and where the KEK comes from
// (store/kek_source.h)
#include "store/kek_source.h"
#include "store/template_sealer.h"

#include "store/store_test_util.h"

#include <sys/stat.h>

#include <fstream>
#include <set>

namespace facegate {
namespace {

using test::TempDir;

const std::string kHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const std::string kOtherHex = "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

std::string plain_of(int seed) { return encode_embedding(test::make_embedding(seed)); }

TEST(TemplateSealer, SealsAndOpensForTheSameFaceAndCollection) {
    SecretKey key = SecretKey::random();
    std::string plain = plain_of(1);
    std::string sealed = sealing::seal(key, 7, "staff", "face-a", plain);
    EXPECT_EQ(sealed.size(), sealing::sealed_size(plain.size()));
    EXPECT_EQ(sealed.size(), 2081u);
    EXPECT_EQ(static_cast<unsigned char>(sealed[0]), sealing::kFormat);
    EXPECT_EQ(sealing::key_version_of(sealed), 7u);
    EXPECT_EQ(sealed.find(plain.substr(0, 32)), std::string::npos);
    std::optional<std::string> opened = sealing::open(key, "staff", "face-a", sealed);
    ASSERT_TRUE(opened);
    EXPECT_EQ(*opened, plain);
}

TEST(TemplateSealer, EverySealHasItsOwnNonce) {
    SecretKey key = SecretKey::random();
    std::string plain = plain_of(2);
    std::set<std::string> seen;
    for (int i = 0; i < 50; ++i) seen.insert(sealing::seal(key, 1, "c", "f", plain));
    EXPECT_EQ(seen.size(), 50u);
}

TEST(TemplateSealer, DoesNotOpenElsewhereOrAltered) {
    SecretKey key = SecretKey::random();
    std::string sealed = sealing::seal(key, 1, "staff", "face-a", plain_of(3));
    EXPECT_FALSE(sealing::open(key, "staff", "face-b", sealed)) << "moved to another face";
    EXPECT_FALSE(sealing::open(key, "guests", "face-a", sealed)) << "moved to another collection";
    EXPECT_FALSE(sealing::open(key, "staf", "fface-a", sealed)) << "the ids are separated, not concatenated";
    EXPECT_FALSE(sealing::open(SecretKey::random(), "staff", "face-a", sealed)) << "another key";
    for (std::size_t at : {std::size_t(1), std::size_t(6), std::size_t(100), sealed.size() - 1}) {
        std::string altered = sealed;
        altered[at] = static_cast<char>(altered[at] ^ 0x01);
        EXPECT_FALSE(sealing::open(key, "staff", "face-a", altered)) << "byte " << at;
    }
    EXPECT_FALSE(sealing::open(key, "staff", "face-a", sealed.substr(0, sealed.size() - 1)));
    EXPECT_FALSE(sealing::open(key, "staff", "face-a", ""));
    EXPECT_FALSE(sealing::key_version_of(plain_of(3).substr(0, 3)));
}

TEST(TemplateSealer, WrapsDataKeysForOneVersionUnderOneKek) {
    Kek kek = parse_kek(kHex, "test"), other = parse_kek(kOtherHex, "test");
    SecretKey data = SecretKey::random();
    std::string wrapped = sealing::wrap_key(kek, 3, data);
    EXPECT_EQ(wrapped.size(), sealing::kWrappedKeyBytes);
    std::optional<SecretKey> back = sealing::unwrap_key(kek, 3, wrapped);
    ASSERT_TRUE(back);
    EXPECT_TRUE(*back == data);
    EXPECT_FALSE(sealing::unwrap_key(other, 3, wrapped));
    EXPECT_FALSE(sealing::unwrap_key(kek, 4, wrapped)) << "a wrapped key moved to another version";
    EXPECT_NE(sealing::wrap_key(kek, 3, data), wrapped);
}

TEST(Kek, ParsesHexAndNamesItWithoutRevealingIt) {
    Kek kek = parse_kek("  " + kHex + "\n", "test");
    EXPECT_EQ(kek_text(kek), kHex);
    EXPECT_EQ(kek.id.size(), 16u);
    EXPECT_EQ(kek.id, parse_kek(kHex, "again").id);
    EXPECT_EQ(parse_kek("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F", "upper").id, kek.id);
    EXPECT_NE(parse_kek(kOtherHex, "test").id, kek.id);
    EXPECT_EQ(kHex.find(kek.id), std::string::npos);
}

TEST(Kek, RefusesWhatIsNotAKekAndSaysWhere) {
    for (std::string bad : {std::string(""), kHex.substr(2), kHex + "00", "zz" + kHex.substr(2),
                            std::string("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")}) {
        try {
            parse_kek(bad, "--kek-file /x");
            ADD_FAILURE() << "accepted " << bad;
        } catch (const Error& e) {
            EXPECT_EQ(e.code(), ErrorCode::INVALID_PARAMETER);
            EXPECT_NE(std::string(e.what()).find("--kek-file /x"), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find("64 hex digits"), std::string::npos) << e.what();
        }
    }
}

TEST(KekSource, FileCommandEnvironmentThenTheDataDirectory) {
    TempDir dir;
    const auto data = dir.path() / "data";
    EXPECT_FALSE(load_kek({}, data)) << "nothing configured, no DATA/kek";

    std::ofstream(dir.path() / "kek.hex") << kHex << "\n";
    EXPECT_EQ(load_kek({.file = dir.path() / "kek.hex"}, data)->id, parse_kek(kHex, "t").id);
    EXPECT_EQ(load_kek({.command = "printf '%s' " + kOtherHex}, data)->id, parse_kek(kOtherHex, "t").id);
    EXPECT_EQ(load_kek({.text = kOtherHex}, data)->id, parse_kek(kOtherHex, "t").id);
    // explicit sources beat the environment
    EXPECT_EQ(load_kek({.file = dir.path() / "kek.hex", .text = kOtherHex}, data)->id, parse_kek(kHex, "t").id);

    EXPECT_STORE_ERROR(load_kek({.file = dir.path() / "missing"}, data), ErrorCode::INVALID_PARAMETER);
    EXPECT_STORE_ERROR(load_kek({.command = "exit 3"}, data), ErrorCode::INVALID_PARAMETER);
    EXPECT_STORE_ERROR(load_kek({.command = "echo not-a-key"}, data), ErrorCode::INVALID_PARAMETER);
    EXPECT_STORE_ERROR(load_kek({.file = dir.path() / "kek.hex", .command = "true"}, data), ErrorCode::INVALID_PARAMETER);
}

TEST(KekSource, CreatesDataDirKekOwnerOnlyAndFindsItAgain) {
    TempDir dir;
    const auto data = dir.path() / "data";
    Kek made = create_data_dir_kek(data);
    struct stat st {};
    ASSERT_EQ(::stat(data_dir_kek_path(data).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    std::optional<Kek> found = load_kek({}, data);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->id, made.id);
    // a second creator (another process at the same moment) reads the first one's
    EXPECT_EQ(create_data_dir_kek(data).id, made.id);
}

} // namespace
} // namespace facegate
