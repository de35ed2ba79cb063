// SPDX-License-Identifier: MIT
// the engine-free parts of the Rekognition operation layer: field validation, base64, the operation table
#include "server/rekognition_api.h"
#include "server/request_fields.h"

#include "common/error.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <functional>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace facegate {
namespace {

using nlohmann::json;

const std::vector<std::string> kAllOperations = {
    "CreateCollection", "DeleteCollection", "DescribeCollection", "ListCollections", "IndexFaces",
    "ListFaces", "DeleteFaces", "SearchFaces", "SearchFacesByImage", "CompareFaces", "DetectFaces",
    "CreateUser", "DeleteUser", "ListUsers", "AssociateFaces", "DisassociateFaces", "SearchUsers",
    "SearchUsersByImage"};

const std::string kFaceId = "0b5a7c3e-1f2d-4e6a-9b8c-7d6e5f4a3b2c";

// runs `call` and returns the INVALID_PARAMETER message it throws ("" plus a test failure otherwise)
std::string invalid_parameter_message(const std::function<void()>& call) {
    try {
        call();
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::INVALID_PARAMETER) << e.what();
        return e.what();
    } catch (const std::exception& e) {
        ADD_FAILURE() << "not a facegate::Error: " << e.what();
        return "";
    }
    ADD_FAILURE() << "no error thrown";
    return "";
}

std::string encode_base64(const std::vector<uint8_t>& bytes) {
    static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (size_t i = 0; i < bytes.size(); i += 3) {
        uint32_t n = uint32_t(bytes[i]) << 16;
        if (i + 1 < bytes.size()) n |= uint32_t(bytes[i + 1]) << 8;
        if (i + 2 < bytes.size()) n |= bytes[i + 2];
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        out += i + 1 < bytes.size() ? alphabet[(n >> 6) & 63] : '=';
        out += i + 2 < bytes.size() ? alphabet[n & 63] : '=';
    }
    return out;
}

//
// the operation table
//

TEST(RekognitionOperations, AllEighteenAreImplemented) {
    for (const auto& name : kAllOperations) EXPECT_TRUE(is_rekognition_operation(name)) << name;
    auto listed = rekognition_operations();
    EXPECT_EQ(listed.size(), kAllOperations.size());
    EXPECT_EQ(std::set<std::string_view>(listed.begin(), listed.end()).size(), listed.size()) << "duplicates";
    for (auto name : listed) {
        EXPECT_NE(std::find(kAllOperations.begin(), kAllOperations.end(), std::string(name)), kAllOperations.end())
            << name;
    }
}

TEST(RekognitionOperations, OthersAreNot) {
    for (const char* name : {"", "indexfaces", "INDEXFACES", "IndexFaces ", " IndexFaces", "DetectLabels",
                             "StartFaceSearch", "CreateFaceLivenessSession", "RekognitionService.IndexFaces"}) {
        EXPECT_FALSE(is_rekognition_operation(name)) << name;
    }
}

//
// base64
//

TEST(Base64, DecodesPaddedInput) {
    EXPECT_EQ(decode_base64(""), std::vector<uint8_t>{});
    EXPECT_EQ(decode_base64("QQ=="), (std::vector<uint8_t>{'A'}));
    EXPECT_EQ(decode_base64("QUI="), (std::vector<uint8_t>{'A', 'B'}));
    EXPECT_EQ(decode_base64("QUJD"), (std::vector<uint8_t>{'A', 'B', 'C'}));
    EXPECT_EQ(decode_base64("/+8A"), (std::vector<uint8_t>{0xff, 0xef, 0x00}));
}

TEST(Base64, RoundTripsRandomBytes) {
    std::mt19937 rng(7);
    for (size_t size : {1u, 2u, 3u, 4u, 5u, 100u, 1001u, 65537u}) {
        std::vector<uint8_t> bytes(size);
        for (auto& b : bytes) b = uint8_t(rng());
        EXPECT_EQ(decode_base64(encode_base64(bytes)), bytes) << size;
    }
}

TEST(Base64, RefusesMalformedInput) {
    for (const char* bad : {"Q", "QQ", "QQ=", "Q===", "====", "QQ=A", "=QUJ", "QU=I", "QUJ-", "QUJ_", "QU I",
                            "QUJD\n", " QUJD", "QUJD ", "QUJ\x01", "QUJD====", "QUJ\xc3\xa9"}) {
        EXPECT_EQ(decode_base64(bad), std::nullopt) << bad;
    }
}

//
// fields: every kind, valid and not
//

TEST(RequestFields, ReadsValidValues) {
    json request = {{"CollectionId", "my.collection_1-a"},
                    {"ExternalImageId", "urn:photo:42"},
                    {"UserId", "user:7"},
                    {"FaceId", kFaceId},
                    {"ClientRequestToken", "a-b_C9"},
                    {"MaxFaces", 4096},
                    {"FaceMatchThreshold", 99.5},
                    {"SimilarityThreshold", 0},
                    {"QualityFilter", "HIGH"},
                    {"FaceIds", {kFaceId, kFaceId}},
                    {"Attributes", {"ALL", "DEFAULT"}},
                    {"Image", {{"Bytes", "QUJD"}}},
                    {"Unknown", {{"whatever", 1}}}};
    EXPECT_EQ(required_string(request, "CollectionId", kCollectionIdRule), "my.collection_1-a");
    EXPECT_EQ(optional_string(request, "ExternalImageId", kExternalImageIdRule), "urn:photo:42");
    EXPECT_EQ(required_string(request, "UserId", kUserIdRule), "user:7");
    EXPECT_EQ(required_string(request, "FaceId", kFaceIdRule), kFaceId);
    EXPECT_EQ(optional_string(request, "ClientRequestToken", kClientRequestTokenRule), "a-b_C9");
    EXPECT_EQ(optional_int(request, "MaxFaces", 1, 4096), 4096);
    EXPECT_FLOAT_EQ(optional_percent(request, "FaceMatchThreshold", 80.f), 99.5f);
    EXPECT_FLOAT_EQ(optional_percent(request, "SimilarityThreshold", 80.f), 0.f);
    EXPECT_EQ(optional_enum(request, "QualityFilter", {"NONE", "AUTO", "LOW", "MEDIUM", "HIGH"}), "HIGH");
    EXPECT_EQ(string_list(request, "FaceIds", kFaceIdRule, 1, 4096, true)->size(), 2u);
    EXPECT_EQ(enum_list(request, "Attributes", {"DEFAULT", "ALL"}), (std::vector<std::string>{"ALL", "DEFAULT"}));
    EXPECT_EQ(required_image(request, "Image"), (std::vector<uint8_t>{'A', 'B', 'C'}));
}

TEST(RequestFields, AbsentAndNullMeanDefault) {
    json request = {{"MaxFaces", nullptr}, {"QualityFilter", nullptr}};
    EXPECT_EQ(optional_string(request, "ExternalImageId", kExternalImageIdRule), std::nullopt);
    EXPECT_EQ(optional_int(request, "MaxFaces", 1, 100), std::nullopt);
    EXPECT_FLOAT_EQ(optional_percent(request, "FaceMatchThreshold", 75.f), 75.f);
    EXPECT_EQ(optional_enum(request, "QualityFilter", {"NONE"}), std::nullopt);
    EXPECT_EQ(string_list(request, "FaceIds", kFaceIdRule, 1, 100, false), std::nullopt);
    EXPECT_TRUE(enum_list(request, "Attributes", {"DEFAULT"}).empty());
    EXPECT_EQ(optional_string(request, "NextToken", kPaginationTokenRule), std::nullopt);
}

TEST(RequestFields, LimitsAreInclusive) {
    EXPECT_EQ(optional_int({{"MaxResults", 0}}, "MaxResults", 0, 4096), 0);
    EXPECT_EQ(optional_int({{"MaxResults", 1}}, "MaxResults", 1, 500), 1);
    EXPECT_EQ(optional_int({{"MaxResults", 500}}, "MaxResults", 1, 500), 500);
    EXPECT_FLOAT_EQ(optional_percent({{"T", 100}}, "T", 80.f), 100.f);
    EXPECT_EQ(required_string({{"CollectionId", std::string(255, 'c')}}, "CollectionId", kCollectionIdRule).size(), 255u);
    EXPECT_EQ(required_string({{"UserId", std::string(128, 'u')}}, "UserId", kUserIdRule).size(), 128u);
    EXPECT_EQ(optional_string({{"ClientRequestToken", std::string(64, 't')}}, "ClientRequestToken",
                              kClientRequestTokenRule)->size(), 64u);
    EXPECT_EQ(string_list({{"FaceIds", json(std::vector<std::string>(100, kFaceId))}}, "FaceIds", kFaceIdRule, 1, 100,
                          true)->size(), 100u);
}

TEST(RequestFields, AwsStyleMessage) {
    auto message = invalid_parameter_message(
        [] { required_string({{"CollectionId", "a b"}}, "CollectionId", kCollectionIdRule); });
    EXPECT_EQ(message, "1 validation error detected: Value 'a b' at 'collectionId' failed to satisfy constraint: "
                       "Member must satisfy regular expression pattern: [a-zA-Z0-9_.\\-]+");
    message = invalid_parameter_message([] { required_string(json::object(), "CollectionId", kCollectionIdRule); });
    EXPECT_EQ(message, "1 validation error detected: Value null at 'collectionId' failed to satisfy constraint: "
                       "Member must not be null");
}

TEST(RequestFields, EchoedValuesAreShortened) {
    auto message = invalid_parameter_message(
        [] { required_string({{"CollectionId", std::string(5000, '!')}}, "CollectionId", kCollectionIdRule); });
    EXPECT_LT(message.size(), 300u);
    // a shortened echo stays valid UTF-8, so the error body can be serialised
    std::string accents;
    for (int i = 0; i < 100; ++i) accents += "\xc3\xa9"; // e acute, two bytes each
    for (const std::string& prefix : {std::string(), std::string("x")}) {
        message = invalid_parameter_message(
            [&] { required_string({{"CollectionId", prefix + accents}}, "CollectionId", kCollectionIdRule); });
        EXPECT_NO_THROW((void)json(message).dump()) << message;
    }
}

struct BadRequest {
    const char* what;
    std::function<void()> call;
    const char* member; // as the message must name it
};

TEST(RequestFields, BadRequestsNameTheMember) {
    const std::initializer_list<std::string_view> filters = {"NONE", "AUTO", "LOW", "MEDIUM", "HIGH"};
    const std::vector<BadRequest> cases = {
        // strings: missing, wrong type, length, pattern
        {"missing collection", [] { required_string(json::object(), "CollectionId", kCollectionIdRule); }, "'collectionId'"},
        {"null collection", [] { required_string({{"CollectionId", nullptr}}, "CollectionId", kCollectionIdRule); }, "'collectionId'"},
        {"numeric collection", [] { required_string({{"CollectionId", 5}}, "CollectionId", kCollectionIdRule); }, "'collectionId'"},
        {"empty collection", [] { required_string({{"CollectionId", ""}}, "CollectionId", kCollectionIdRule); }, "'collectionId'"},
        {"long collection", [] { required_string({{"CollectionId", std::string(256, 'a')}}, "CollectionId", kCollectionIdRule); }, "'collectionId'"},
        {"colon in collection", [] { required_string({{"CollectionId", "a:b"}}, "CollectionId", kCollectionIdRule); }, "'collectionId'"},
        {"slash in collection", [] { required_string({{"CollectionId", "a/b"}}, "CollectionId", kCollectionIdRule); }, "'collectionId'"},
        {"e-mail external id", [] { optional_string({{"ExternalImageId", "a@b.com"}}, "ExternalImageId", kExternalImageIdRule); }, "'externalImageId'"},
        {"plus external id", [] { optional_string({{"ExternalImageId", "a+b"}}, "ExternalImageId", kExternalImageIdRule); }, "'externalImageId'"},
        {"long external id", [] { optional_string({{"ExternalImageId", std::string(256, 'e')}}, "ExternalImageId", kExternalImageIdRule); }, "'externalImageId'"},
        {"empty external id", [] { optional_string({{"ExternalImageId", ""}}, "ExternalImageId", kExternalImageIdRule); }, "'externalImageId'"},
        {"long user", [] { required_string({{"UserId", std::string(129, 'u')}}, "UserId", kUserIdRule); }, "'userId'"},
        {"space in user", [] { required_string({{"UserId", "a b"}}, "UserId", kUserIdRule); }, "'userId'"},
        {"array user", [] { required_string({{"UserId", {"a"}}}, "UserId", kUserIdRule); }, "'userId'"},
        {"uppercase face id", [] { required_string({{"FaceId", "0B5A7C3E-1F2D-4E6A-9B8C-7D6E5F4A3B2C"}}, "FaceId", kFaceIdRule); }, "'faceId'"},
        {"short face id", [] { required_string({{"FaceId", "0b5a7c3e"}}, "FaceId", kFaceIdRule); }, "'faceId'"},
        {"braced face id", [] { required_string({{"FaceId", "{0b5a7c3e-1f2d-4e6a-9b8c-7d6e5f4a3b}"}}, "FaceId", kFaceIdRule); }, "'faceId'"},
        {"dots in token", [] { optional_string({{"ClientRequestToken", "a.b"}}, "ClientRequestToken", kClientRequestTokenRule); }, "'clientRequestToken'"},
        {"long token", [] { optional_string({{"ClientRequestToken", std::string(65, 't')}}, "ClientRequestToken", kClientRequestTokenRule); }, "'clientRequestToken'"},
        {"empty token", [] { optional_string({{"ClientRequestToken", ""}}, "ClientRequestToken", kClientRequestTokenRule); }, "'clientRequestToken'"},
        {"long next token", [] { optional_string({{"NextToken", std::string(256, 'n')}}, "NextToken", kPaginationTokenRule); }, "'nextToken'"},
        // integers
        {"max faces 0", [] { optional_int({{"MaxFaces", 0}}, "MaxFaces", 1, 4096); }, "'maxFaces'"},
        {"max faces 4097", [] { optional_int({{"MaxFaces", 4097}}, "MaxFaces", 1, 4096); }, "'maxFaces'"},
        {"max faces negative", [] { optional_int({{"MaxFaces", -1}}, "MaxFaces", 1, 4096); }, "'maxFaces'"},
        {"max faces huge", [] { optional_int({{"MaxFaces", 18446744073709551615ull}}, "MaxFaces", 1, 4096); }, "'maxFaces'"},
        {"max faces float", [] { optional_int({{"MaxFaces", 3.0}}, "MaxFaces", 1, 4096); }, "'maxFaces'"},
        {"max faces string", [] { optional_int({{"MaxFaces", "3"}}, "MaxFaces", 1, 4096); }, "'maxFaces'"},
        {"max users 501", [] { optional_int({{"MaxUsers", 501}}, "MaxUsers", 1, 500); }, "'maxUsers'"},
        {"list users 0", [] { optional_int({{"MaxResults", 0}}, "MaxResults", 1, 500); }, "'maxResults'"},
        // percents
        {"threshold above 100", [] { optional_percent({{"FaceMatchThreshold", 100.01}}, "FaceMatchThreshold", 80.f); }, "'faceMatchThreshold'"},
        {"threshold negative", [] { optional_percent({{"SimilarityThreshold", -0.5}}, "SimilarityThreshold", 80.f); }, "'similarityThreshold'"},
        {"threshold string", [] { optional_percent({{"UserMatchThreshold", "90"}}, "UserMatchThreshold", 80.f); }, "'userMatchThreshold'"},
        {"threshold bool", [] { optional_percent({{"UserMatchThreshold", true}}, "UserMatchThreshold", 80.f); }, "'userMatchThreshold'"},
        // enums
        {"lowercase filter", [&] { optional_enum({{"QualityFilter", "auto"}}, "QualityFilter", filters); }, "'qualityFilter'"},
        {"numeric filter", [&] { optional_enum({{"QualityFilter", 1}}, "QualityFilter", filters); }, "'qualityFilter'"},
        {"unknown attribute", [] { enum_list({{"Attributes", {"DEFAULT", "AURA"}}}, "Attributes", {"DEFAULT", "ALL"}); }, "'attributes.2'"},
        {"attributes not a list", [] { enum_list({{"DetectionAttributes", "ALL"}}, "DetectionAttributes", {"DEFAULT", "ALL"}); }, "'detectionAttributes'"},
        // lists
        {"face ids missing", [] { string_list(json::object(), "FaceIds", kFaceIdRule, 1, 4096, true); }, "'faceIds'"},
        {"face ids empty", [] { string_list({{"FaceIds", json::array()}}, "FaceIds", kFaceIdRule, 1, 4096, true); }, "'faceIds'"},
        {"face ids string", [] { string_list({{"FaceIds", kFaceId}}, "FaceIds", kFaceIdRule, 1, 4096, true); }, "'faceIds'"},
        {"face ids 101", [] { string_list({{"FaceIds", json(std::vector<std::string>(101, kFaceId))}}, "FaceIds", kFaceIdRule, 1, 100, true); }, "'faceIds'"},
        {"face ids 4097", [] { string_list({{"FaceIds", json(std::vector<std::string>(4097, kFaceId))}}, "FaceIds", kFaceIdRule, 1, 4096, true); }, "'faceIds'"},
        {"bad second face id", [] { string_list({{"FaceIds", {kFaceId, "nope"}}}, "FaceIds", kFaceIdRule, 1, 4096, true); }, "'faceIds.2'"},
        {"numeric face id", [] { string_list({{"FaceIds", {7}}}, "FaceIds", kFaceIdRule, 1, 4096, true); }, "'faceIds.1'"},
        // images
        {"image missing", [] { required_image(json::object(), "Image"); }, "'image'"},
        {"image string", [] { required_image({{"Image", "QUJD"}}, "Image"); }, "'image'"},
        {"image without bytes", [] { required_image({{"Image", json::object()}}, "Image"); }, "'image.bytes'"},
        {"bytes not a string", [] { required_image({{"Image", {{"Bytes", {1, 2, 3}}}}}, "Image"); }, "'image.bytes'"},
        {"bytes empty", [] { required_image({{"Image", {{"Bytes", ""}}}}, "Image"); }, "'image.bytes'"},
        {"bytes not base64", [] { required_image({{"Image", {{"Bytes", "not base64!"}}}}, "Image"); }, "Image.Bytes"},
        {"target bytes not base64", [] { required_image({{"TargetImage", {{"Bytes", "QUJ"}}}}, "TargetImage"); }, "TargetImage.Bytes"},
        {"s3 object", [] { required_image({{"Image", {{"S3Object", {{"Bucket", "b"}, {"Name", "n"}}}}}}, "Image"); }, "S3Object"},
        {"s3 and bytes", [] { required_image({{"SourceImage", {{"Bytes", "QUJD"}, {"S3Object", {{"Bucket", "b"}}}}}}, "SourceImage"); }, "SourceImage.S3Object"},
        // the body
        {"body array", [] { require_object(json::array()); }, "JSON object"},
        {"body string", [] { require_object("{}"); }, "JSON object"},
    };
    for (const auto& c : cases) {
        auto message = invalid_parameter_message(c.call);
        EXPECT_NE(message.find(c.member), std::string::npos) << c.what << ": " << message;
    }
}

TEST(RequestFields, S3ObjectMessageTellsWhatToDo) {
    auto message = invalid_parameter_message(
        [] { required_image({{"Image", {{"S3Object", {{"Bucket", "b"}, {"Name", "n"}}}}}}, "Image"); });
    EXPECT_NE(message.find("not supported by facegate"), std::string::npos) << message;
    EXPECT_NE(message.find("Bytes"), std::string::npos) << message;
}

TEST(RequestFields, MemberNames) {
    EXPECT_EQ(member_name("CollectionId"), "collectionId");
    EXPECT_EQ(member_name("SourceImage"), "sourceImage");
    EXPECT_EQ(member_name(""), "");
}

} // namespace
} // namespace facegate
