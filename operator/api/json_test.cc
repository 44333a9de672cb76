#include "api/json.h"

#include <gtest/gtest.h>

#include <cmath>

namespace neuropart::op {
namespace {

TEST(JsonTest, ParsesEveryType) {
  StatusOr<Json> j =
      ParseJson(R"({"s":"x","i":42,"d":0.5,"b":true,"n":null,"a":[1,"two"],"o":{"k":"v"}})");
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ(j->GetString("s"), "x");
  EXPECT_EQ(j->Find("i")->type(), Json::Type::kInteger);
  EXPECT_EQ(j->GetInt("i"), 42);
  EXPECT_EQ(j->Find("d")->type(), Json::Type::kNumber);
  EXPECT_DOUBLE_EQ(j->GetNumber("d"), 0.5);
  EXPECT_TRUE(j->GetBool("b"));
  EXPECT_TRUE(j->Find("n")->is_null());
  ASSERT_EQ(j->Find("a")->elements().size(), 2u);
  EXPECT_EQ(j->Find("a")->elements()[1].string(), "two");
  EXPECT_EQ(j->At({"o", "k"})->string(), "v");
  EXPECT_EQ(j->At({"o", "missing"}), nullptr);
}

TEST(JsonTest, TypedLookupsFallBackOnWrongType) {
  Json j = Json::Object({{"s", "x"}, {"i", 3}});
  EXPECT_EQ(j.GetInt("s", -1), -1);
  EXPECT_EQ(j.GetString("i", "none"), "none");
  EXPECT_EQ(j.GetString("absent", "none"), "none");
}

TEST(JsonTest, RoundTripKeepsMemberOrderAndValues) {
  Json j = Json::Object({{"z", 1}, {"a", Json::Array({true, nullptr, "s"})}, {"m", 2.25}});
  const std::string text = DumpJson(j);
  EXPECT_EQ(text, R"({"z":1,"a":[true,null,"s"],"m":2.25})");
  StatusOr<Json> back = ParseJson(text);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, j);
}

TEST(JsonTest, EscapesStrings) {
  Json j = Json::Object({{"q", "a\"b\\c\n"}});
  StatusOr<Json> back = ParseJson(DumpJson(j));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->GetString("q"), "a\"b\\c\n");
}

TEST(JsonTest, NonFiniteNumbersBecomeNull) {
  EXPECT_EQ(DumpJson(Json::Object({{"x", std::nan("")}})), R"({"x":null})");
}

TEST(JsonTest, MalformedTextIsCorruptionNotException) {
  for (const char* bad : {"{", "{\"a\":}", "[1,2", "nul", "{\"a\":1}x", ""}) {
    StatusOr<Json> j = ParseJson(bad);
    ASSERT_FALSE(j.ok()) << bad;
    EXPECT_EQ(j.status().code(), StatusCode::kCorruption) << bad;
  }
}

TEST(JsonTest, EqualityIgnoresMemberOrderButNotValues) {
  EXPECT_EQ(Json::Object({{"a", 1}, {"b", 2}}), Json::Object({{"b", 2}, {"a", 1}}));
  EXPECT_FALSE(Json::Object({{"a", 1}}) == Json::Object({{"a", 2}}));
  EXPECT_FALSE(Json::Object({{"a", 1}}) == Json::Object({{"a", 1}, {"b", 1}}));
  EXPECT_EQ(Json(int64_t{2}), Json(2.0));
}

TEST(JsonTest, IntegerOfHostileNumbersIsDefined) {
  EXPECT_EQ(Json(2.9).integer(), 2);
  EXPECT_EQ(Json(1e300).integer(), 0);
  EXPECT_EQ(Json(std::nan("")).integer(), 0);
  EXPECT_EQ(ParseJson(R"({"step": 1e30})")->GetInt("step", 7), 0);
}

TEST(JsonTest, MutationHelpers) {
  Json j;
  j["a"]["b"] = "c";
  j["list"].Push(1);
  j["list"].Push(2);
  EXPECT_EQ(DumpJson(j), R"({"a":{"b":"c"},"list":[1,2]})");
  j.Erase("a");
  EXPECT_EQ(DumpJson(j), R"({"list":[1,2]})");
}

}  // namespace
}  // namespace neuropart::op
