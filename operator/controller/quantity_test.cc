#include "controller/quantity.h"

#include <gtest/gtest.h>

namespace neuropart::op {
namespace {

TEST(QuantityTest, ParsesNumbersAndEverySuffix) {
  EXPECT_DOUBLE_EQ(*ParseQuantity(Json(int64_t{2})), 2);
  EXPECT_DOUBLE_EQ(*ParseQuantity(Json(1.5)), 1.5);
  EXPECT_DOUBLE_EQ(*ParseQuantity(Json("500m")), 0.5);
  EXPECT_DOUBLE_EQ(*ParseQuantity(Json("4")), 4);
  EXPECT_DOUBLE_EQ(*ParseQuantity(Json("1.5Gi")), 1.5 * 1024 * 1024 * 1024);
  EXPECT_DOUBLE_EQ(*ParseQuantity(Json("512Mi")), 512.0 * 1024 * 1024);
  EXPECT_DOUBLE_EQ(*ParseQuantity(Json("2k")), 2000);
  EXPECT_DOUBLE_EQ(*ParseQuantity(Json("3M")), 3e6);
  EXPECT_DOUBLE_EQ(*ParseQuantity(Json("1e3")), 1000);
}

TEST(QuantityTest, RefusesWhatIsNotAQuantity) {
  for (const char* bad : {"", "m", "two", "1.5Q", "-1", "1 Gi"}) {
    StatusOr<double> q = ParseQuantity(Json(bad));
    EXPECT_FALSE(q.ok()) << bad;
  }
  EXPECT_FALSE(ParseQuantity(Json(true)).ok());
}

TEST(QuantityTest, FormatsWholeValuesPlainAndFractionsInMillis) {
  EXPECT_EQ(FormatQuantity(3), "3");
  EXPECT_EQ(FormatQuantity(1.25), "1250m");
  EXPECT_EQ(FormatQuantity(0.3333333), "334m");  // rounded up: never below the share
  EXPECT_EQ(FormatQuantity(4294967296.0), "4294967296");
  EXPECT_EQ(FormatQuantity(2863311530.67, /*whole=*/true), "2863311531");
}

}  // namespace
}  // namespace neuropart::op
