#include "neuropart/base/json.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <string>

namespace neuropart {
namespace {

// The stored files' limits (safetensors headers, checkpoint manifests).
constexpr JsonLimits kStore{.max_depth = 64, .strings_and_integers_only = true};

TEST(JsonTest, ParsesEveryType) {
  StatusOr<Json> j =
      ParseJson(R"({"s":"x","i":42,"d":0.5,"b":true,"n":null,"a":[1,"two"],"o":{"k":"v"}})");
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ(GetString(*j, "s"), "x");
  EXPECT_TRUE(FindMember(*j, "i")->is_number_integer());
  EXPECT_EQ(GetInt(*j, "i"), 42);
  EXPECT_TRUE(FindMember(*j, "d")->is_number_float());
  EXPECT_DOUBLE_EQ(GetNumber(*j, "d"), 0.5);
  EXPECT_TRUE(GetBool(*j, "b"));
  EXPECT_TRUE(FindMember(*j, "n")->is_null());
  ASSERT_EQ(Elements(*FindMember(*j, "a")).size(), 2u);
  EXPECT_EQ(AsString(Elements(*FindMember(*j, "a"))[1]), "two");
  EXPECT_EQ(AsString(*AtPath(*j, {"o", "k"})), "v");
  EXPECT_EQ(AtPath(*j, {"o", "missing"}), nullptr);
}

TEST(JsonTest, ParsesNestedObjectsArraysStringsAndIntegersInTheStoreSubset) {
  StatusOr<Json> v =
      ParseJson(R"( {"a": {"b": [1, -2, 0]}, "s": "x\"y\\z\n\u00e9", "e": []} )", kStore);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  ASSERT_TRUE(v->is_object());
  ASSERT_EQ(Members(*v).size(), 3u);
  EXPECT_EQ(Members(*v).begin()->first, "a");  // document order is kept
  const Json* b = AtPath(*v, {"a", "b"});
  ASSERT_NE(b, nullptr);
  ASSERT_EQ(Elements(*b).size(), 3u);
  EXPECT_EQ(AsInt(Elements(*b)[1]), -2);
  EXPECT_EQ(GetString(*v, "s"), "x\"y\\z\n\xc3\xa9");
  EXPECT_TRUE(FindMember(*v, "e")->is_array());
  EXPECT_EQ(FindMember(*v, "missing"), nullptr);
}

TEST(JsonTest, RecordsByteOffsetOfEachValue) {
  Json v;
  JsonOffsets offsets;
  ASSERT_TRUE(ParseJsonWithOffsets(R"( {"k": [7], "s": "\"}", "o": {}})", kStore, &v, &offsets)
                  .ok());
  EXPECT_EQ(offsets.Of(v), 1u);
  EXPECT_EQ(offsets.Of(*FindMember(v, "k")), 7u);
  EXPECT_EQ(offsets.Of(Elements(*FindMember(v, "k"))[0]), 8u);
  EXPECT_EQ(offsets.Of(*FindMember(v, "s")), 17u);
  EXPECT_EQ(offsets.Of(*FindMember(v, "o")), 29u);
}

TEST(JsonTest, AcceptsInt64Extremes) {
  StatusOr<Json> v = ParseJson("[9223372036854775807, -9223372036854775808]", kStore);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(AsInt(Elements(*v)[0]), INT64_MAX);
  EXPECT_EQ(AsInt(Elements(*v)[1]), INT64_MIN);
}

TEST(JsonTest, JoinsSurrogatePairs) {
  StatusOr<Json> v = ParseJson(R"("\ud83d\ude00")");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(AsString(*v), "\xf0\x9f\x98\x80");
}

struct BadCase {
  const char* text;
  const char* where;    // the error must start "JSON byte <offset>: "
  const char* message;  // and contain this
};

void PrintTo(const BadCase& c, std::ostream* os) {
  *os << ::testing::PrintToString(std::string(c.text));
}

class JsonRejects : public ::testing::TestWithParam<BadCase> {};

TEST_P(JsonRejects, WithCorruptionNamingTheByteAndTheProblem) {
  StatusOr<Json> v = ParseJson(GetParam().text, kStore);
  ASSERT_FALSE(v.ok()) << GetParam().text;
  EXPECT_EQ(v.status().code(), StatusCode::kCorruption);
  const std::string& m = v.status().message();
  EXPECT_EQ(m.rfind(std::string("JSON byte ") + GetParam().where + ": ", 0), 0u) << m;
  EXPECT_NE(m.find(GetParam().message), std::string::npos) << m;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, JsonRejects,
    ::testing::Values(
        BadCase{"", "0", "unexpected end of input"},
        BadCase{"{\"a\": 1", "7", "unexpected end of input; expected '}'"},
        BadCase{"{\"a\" 1}", "5", "expected ':'"},
        BadCase{"{\"a\": 1,}", "8", "expected string literal"},
        BadCase{"[1 2]", "3", "expected ']'"}, BadCase{"{} x", "3", "expected end of input"},
        BadCase{"{\"a\": 1, \"a\": 2}", "9", "duplicate key \"a\""},
        BadCase{"{\"o\": {\"a\": 1, \"\\u0061\": 2}}", "15", "duplicate key \"a\""},
        BadCase{"[01]", "2", "expected ']'"}, BadCase{"[1.5]", "1", "only integers"},
        BadCase{"[1e3]", "1", "only integers"}, BadCase{"[-]", "2", "expected digit"},
        BadCase{"[9223372036854775808]", "1", "out of 64-bit range"},
        BadCase{"[-9223372036854775809]", "1", "out of 64-bit range"},
        BadCase{"[true]", "1", "unexpected literal"}, BadCase{"[null]", "1", "unexpected literal"},
        BadCase{"\"abc", "4", "missing closing quote"},
        BadCase{"\"a\tb\"", "2", "control character U+0009"},
        BadCase{"\"\\x\"", "2", "forbidden character after backslash"},
        BadCase{"\"\\u12g4\"", "5", "followed by 4 hex digits"},
        BadCase{"\"\\ud83d\"", "7", "surrogate U+D800..U+DBFF must be followed"},
        BadCase{"\"\\ude00\"", "6", "surrogate U+DC00..U+DFFF must follow"},
        BadCase{"\"\xff\"", "1", "ill-formed UTF-8"},
        BadCase{"\"\xc0\xaf\"", "1", "ill-formed UTF-8"},        // overlong '/'
        BadCase{"\"\xed\xa0\x80\"", "2", "ill-formed UTF-8"}));  // encoded surrogate

TEST(JsonTest, OutsideTheStoreSubsetLiteralsAndFractionsAreValues) {
  StatusOr<Json> v = ParseJson("[true, null, 1.5, 1e3, 18446744073709551615]");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_TRUE(AsBool(Elements(*v)[0]));
  EXPECT_TRUE(Elements(*v)[1].is_null());
  EXPECT_DOUBLE_EQ(AsNumber(Elements(*v)[2]), 1.5);
  EXPECT_EQ(AsInt(Elements(*v)[3]), 1000);
  EXPECT_EQ(AsInt(Elements(*v)[4]), 0);  // beyond int64
}

TEST(JsonTest, MalformedTextIsCorruptionNotException) {
  for (const char* bad : {"{", "{\"a\":}", "[1,2", "nul", "{\"a\":1}x", "", "{\"a\":1,\"a\":2}"}) {
    StatusOr<Json> j = ParseJson(bad);
    ASSERT_FALSE(j.ok()) << bad;
    EXPECT_EQ(j.status().code(), StatusCode::kCorruption) << bad;
  }
}

TEST(JsonTest, RejectsNestingDeeperThanTheLimit) {
  const std::string ok = std::string(64, '[') + std::string(64, ']');
  EXPECT_TRUE(ParseJson(ok, kStore).ok());
  // Deep enough to overflow the stack of an unbounded recursive parser.
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  StatusOr<Json> v = ParseJson(deep, kStore);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().message(), "JSON byte 64: nesting deeper than 64");
  EXPECT_TRUE(ParseJson(std::string(128, '[') + std::string(128, ']')).ok());
  v = ParseJson(std::string(129, '[') + std::string(129, ']'));
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("nesting deeper than 128"), std::string::npos);
}

TEST(JsonTest, ManyKeysParseInLinearTime) {
  std::string text = "{";
  for (int i = 0; i < 200000; ++i) text += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":1";
  text += "}";
  const auto start = std::chrono::steady_clock::now();
  StatusOr<Json> v = ParseJson(text, kStore);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(Members(*v).size(), 200000u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(JsonTest, DumpRoundTripsAnyBytesOfValidUtf8) {
  const std::string original = std::string("q\"b\\n\n t\t c\x01 \x1f e\xc3\xa9 ") + '\0' + "z";
  const std::string encoded = DumpJson(Json(original));
  StatusOr<Json> v = ParseJson(encoded, kStore);
  ASSERT_TRUE(v.ok()) << encoded << ": " << v.status().ToString();
  EXPECT_EQ(AsString(*v), original);
}

TEST(JsonTest, DumpReplacesInvalidUtf8InsteadOfThrowing) {
  EXPECT_EQ(DumpJson(Json::object({{"k\xff", "a\xc0"}})),
            "{\"k\xef\xbf\xbd\":\"a\xef\xbf\xbd\"}");
}

TEST(JsonTest, TypedLookupsFallBackOnWrongType) {
  Json j = Json::object({{"s", "x"}, {"i", 3}, {"b", true}});
  EXPECT_EQ(GetInt(j, "s", -1), -1);
  EXPECT_EQ(GetString(j, "i", "none"), "none");
  EXPECT_EQ(GetString(j, "absent", "none"), "none");
  EXPECT_DOUBLE_EQ(GetNumber(j, "b", 0.5), 0.5);
  EXPECT_FALSE(GetBool(j, "i", false));
  EXPECT_EQ(AsString(j), "");
  EXPECT_EQ(AsInt(Json("7")), 0);
  EXPECT_FALSE(AsBool(Json(1)));
  const Json text = "str";
  EXPECT_EQ(FindMember(text, "s"), nullptr);
  EXPECT_EQ(AtPath(text, {"s"}), nullptr);
  EXPECT_EQ(AtPath(j, {}), &j);
}

TEST(JsonTest, MembersAndElementsOfOtherTypesAreEmpty) {
  // nlohmann itself iterates a primitive as one element; these do not.
  for (const Json& v : {Json(), Json(3), Json("s"), Json::array({1})}) {
    EXPECT_TRUE(Members(v).empty()) << v;
  }
  for (const Json& v : {Json(), Json(3), Json("s"), Json::object({{"a", 1}})}) {
    EXPECT_TRUE(Elements(v).empty()) << v;
  }
}

TEST(JsonTest, RoundTripKeepsMemberOrderAndValues) {
  Json j = Json::object({{"z", 1}, {"a", Json::array({true, nullptr, "s"})}, {"m", 2.25}});
  const std::string text = DumpJson(j);
  EXPECT_EQ(text, R"({"z":1,"a":[true,null,"s"],"m":2.25})");
  StatusOr<Json> back = ParseJson(text);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, j);
}

TEST(JsonTest, EscapesStrings) {
  Json j = Json::object({{"q", "a\"b\\c\n"}});
  StatusOr<Json> back = ParseJson(DumpJson(j));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(GetString(*back, "q"), "a\"b\\c\n");
}

TEST(JsonTest, NonFiniteNumbersBecomeNull) {
  EXPECT_EQ(DumpJson(Json::object({{"x", std::nan("")}, {"y", INFINITY}})),
            R"({"x":null,"y":null})");
}

TEST(JsonTest, EqualityIgnoresMemberOrderButNotValues) {
  EXPECT_TRUE(JsonEquals(Json::object({{"a", 1}, {"b", 2}}), Json::object({{"b", 2}, {"a", 1}})));
  EXPECT_FALSE(JsonEquals(Json::object({{"a", 1}}), Json::object({{"a", 2}})));
  EXPECT_FALSE(JsonEquals(Json::object({{"a", 1}}), Json::object({{"a", 1}, {"b", 1}})));
  EXPECT_FALSE(JsonEquals(Json::array({1, 2}), Json::array({2, 1})));
  EXPECT_TRUE(JsonEquals(Json(int64_t{2}), Json(2.0)));
  EXPECT_TRUE(JsonEquals(Json(uint64_t{2}), Json(int64_t{2})));
  EXPECT_FALSE(JsonEquals(Json(UINT64_MAX), Json(int64_t{-1})));
  EXPECT_FALSE(JsonEquals(Json("1"), Json(1)));
  EXPECT_TRUE(JsonEquals(Json(), Json(nullptr)));
}

TEST(JsonTest, IntegerOfHostileNumbersIsDefined) {
  EXPECT_EQ(AsInt(Json(2.9)), 2);
  EXPECT_EQ(AsInt(Json(-2.9)), -2);
  EXPECT_EQ(AsInt(Json(1e300)), 0);
  EXPECT_EQ(AsInt(Json(std::nan(""))), 0);
  EXPECT_EQ(GetInt(*ParseJson(R"({"step": 1e30})"), "step", 7), 0);
}

TEST(JsonTest, MutationHelpers) {
  Json j;
  j["a"]["b"] = "c";
  j["list"].push_back(1);
  j["list"].push_back(2);
  EXPECT_EQ(DumpJson(j), R"({"a":{"b":"c"},"list":[1,2]})");
  EraseMember(&j, "a");
  EraseMember(&j, "absent");
  EXPECT_EQ(DumpJson(j), R"({"list":[1,2]})");
  Json s = "not an object";
  EraseMember(&s, "a");
  EXPECT_EQ(s, "not an object");
}

TEST(JsonTest, IsValidUtf8AgreesWithWhatDumpJsonKeeps) {
  for (const std::string text : {"", "plain", "\xc3\xa9t\xc3\xa9", "\xf0\x9f\x98\x80"}) {
    EXPECT_TRUE(IsValidUtf8(text)) << text;
    EXPECT_EQ(DumpJson(Json(text)), "\"" + text + "\"");
  }
  for (const std::string text : {"o\xdd\xddut", "\xc3", "\xed\xa0\x80", "\xff"}) {
    EXPECT_FALSE(IsValidUtf8(text)) << text;
  }
}

}  // namespace
}  // namespace neuropart
