#include "neuropart/store/json_lite.h"

#include <gtest/gtest.h>

#include <string>

namespace neuropart {
namespace {

using Type = JsonValue::Type;

TEST(JsonLiteTest, ParsesNestedObjectsArraysStringsAndIntegers) {
  StatusOr<JsonValue> v =
      ParseJson(R"( {"a": {"b": [1, -2, 0]}, "s": "x\"y\\z\n\u00e9", "e": []} )");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  ASSERT_EQ(v->type, Type::kObject);
  ASSERT_EQ(v->members.size(), 3u);
  EXPECT_EQ(v->members[0].key, "a");  // document order is kept
  const JsonValue* b = v->Find("a")->Find("b");
  ASSERT_NE(b, nullptr);
  ASSERT_EQ(b->array.size(), 3u);
  EXPECT_EQ(b->array[1].integer, -2);
  EXPECT_EQ(v->Find("s")->string, "x\"y\\z\n\xc3\xa9");
  EXPECT_EQ(v->Find("e")->type, Type::kArray);
  EXPECT_EQ(v->Find("missing"), nullptr);
}

TEST(JsonLiteTest, RecordsByteOffsetOfEachValue) {
  StatusOr<JsonValue> v = ParseJson(R"({"k": [7]})");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->Find("k")->offset, 6u);
  EXPECT_EQ(v->Find("k")->array[0].offset, 7u);
}

TEST(JsonLiteTest, AcceptsInt64Extremes) {
  StatusOr<JsonValue> v = ParseJson("[9223372036854775807, -9223372036854775808]");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->array[0].integer, INT64_MAX);
  EXPECT_EQ(v->array[1].integer, INT64_MIN);
}

TEST(JsonLiteTest, JoinsSurrogatePairs) {
  StatusOr<JsonValue> v = ParseJson(R"("\ud83d\ude00")");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->string, "\xf0\x9f\x98\x80");
}

struct BadCase {
  const char* text;
  const char* message;  // a substring the error must contain
};

void PrintTo(const BadCase& c, std::ostream* os) {
  *os << ::testing::PrintToString(std::string(c.text));
}

class JsonLiteRejects : public ::testing::TestWithParam<BadCase> {};

TEST_P(JsonLiteRejects, WithCorruptionNamingTheProblem) {
  StatusOr<JsonValue> v = ParseJson(GetParam().text);
  ASSERT_FALSE(v.ok()) << GetParam().text;
  EXPECT_EQ(v.status().code(), StatusCode::kCorruption);
  EXPECT_NE(v.status().message().find(GetParam().message), std::string::npos)
      << v.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, JsonLiteRejects,
    ::testing::Values(
        BadCase{"", "byte 0: unexpected end"},
        BadCase{"{\"a\": 1", "byte 7: unexpected end inside an object"},
        BadCase{"{\"a\" 1}", "byte 5: expected ':'"},
        BadCase{"{\"a\": 1,}", "byte 8: expected a string key"},
        BadCase{"[1 2]", "byte 3: expected ',' or ']'"},
        BadCase{"{} x", "byte 3: unexpected trailing"},
        BadCase{"{\"a\": 1, \"a\": 2}", "byte 9: duplicate key \"a\""},
        BadCase{"[01]", "leading zero"}, BadCase{"[1.5]", "only integers"},
        BadCase{"[1e3]", "only integers"}, BadCase{"[-]", "expected a digit"},
        BadCase{"[9223372036854775808]", "out of 64-bit range"},
        BadCase{"[-9223372036854775809]", "out of 64-bit range"},
        BadCase{"[true]", "unexpected character"}, BadCase{"[null]", "unexpected character"},
        BadCase{"\"abc", "unterminated string"}, BadCase{"\"a\tb\"", "unescaped control character"},
        BadCase{"\"\\x\"", "invalid escape"}, BadCase{"\"\\u12g4\"", "invalid hex digit"},
        BadCase{"\"\\ud83d\"", "unpaired high surrogate"},
        BadCase{"\"\\ude00\"", "unpaired low surrogate"}, BadCase{"\"\xff\"", "invalid UTF-8"},
        BadCase{"\"\xc0\xaf\"", "invalid UTF-8"},        // overlong '/'
        BadCase{"\"\xed\xa0\x80\"", "invalid UTF-8"}));  // encoded surrogate

TEST(JsonLiteTest, RejectsNestingDeeperThanTheLimit) {
  const std::string ok = std::string(kJsonMaxDepth, '[') + std::string(kJsonMaxDepth, ']');
  EXPECT_TRUE(ParseJson(ok).ok());
  // Deep enough to overflow the stack of an unbounded recursive parser.
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  StatusOr<JsonValue> v = ParseJson(deep);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("nesting deeper than 64"), std::string::npos);
}

TEST(JsonLiteTest, AppendJsonStringRoundTripsAnyBytesOfValidUtf8) {
  const std::string original = std::string("q\"b\\n\n t\t c\x01 \x1f e\xc3\xa9 ") + '\0' + "z";
  std::string encoded;
  AppendJsonString(&encoded, original);
  StatusOr<JsonValue> v = ParseJson(encoded);
  ASSERT_TRUE(v.ok()) << encoded << ": " << v.status().ToString();
  EXPECT_EQ(v->string, original);
}

}  // namespace
}  // namespace neuropart
