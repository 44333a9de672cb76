#include "neuropart/status.h"

#include <gtest/gtest.h>

namespace neuropart {
namespace {

StatusOr<int> Half(int x) {
  if (x % 2) return InvalidArgumentError("odd: " + std::to_string(x));
  return x / 2;
}

StatusOr<int> Quarter(int x) {
  ASSIGN_OR_RETURN(int h, Half(x));
  ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(StatusTest, OkIsDefault) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(StatusTest, ToStringNamesTheCode) {
  EXPECT_EQ(CorruptionError("bad byte at offset 7").ToString(), "Corruption: bad byte at offset 7");
}

TEST(StatusTest, WithContextPrefixesErrorsOnly) {
  EXPECT_EQ(NotFoundError("x").WithContext("loading").message(), "loading: x");
  EXPECT_TRUE(Status::Ok().WithContext("loading").ok());
}

TEST(StatusTest, AssignOrReturnPropagatesTheFirstError) {
  EXPECT_EQ(*Quarter(8), 2);
  StatusOr<int> r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "odd: 3");
}

}  // namespace
}  // namespace neuropart
