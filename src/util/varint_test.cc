#include "util/varint.h"

#include <gtest/gtest.h>

namespace custodian {
namespace {

TEST(Varint, RoundTripsAndRefusesCutOrOversizedNumbers) {
  std::string buf;
  const uint64_t values[] = {0, 1, 127, 128, 300, 1ull << 35, ~0ull};
  for (uint64_t v : values) PutVarint(&buf, v);
  EXPECT_EQ(buf.substr(0, 5), std::string("\x00\x01\x7f\x80\x01", 5));
  size_t at = 0;
  for (uint64_t v : values) {
    uint64_t got;
    ASSERT_TRUE(GetVarint(buf, &at, &got));
    EXPECT_EQ(got, v);
  }
  EXPECT_EQ(at, buf.size());
  uint64_t v;
  at = 0;
  EXPECT_FALSE(GetVarint(std::string("\x80\x80", 2), &at, &v));  // cut off
  at = 0;
  EXPECT_FALSE(GetVarint(std::string(9, '\xff') + "\x02", &at, &v));  // 65 bits
  at = 0;
  EXPECT_FALSE(GetVarint(std::string(10, '\xff') + "\x01", &at, &v));  // 11 bytes
}

}  // namespace
}  // namespace custodian
