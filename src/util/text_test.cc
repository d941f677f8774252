#include "util/text.h"

#include <gtest/gtest.h>

namespace custodian {

TEST(Text, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xC3\xA9t\xC3\xA9"));
  EXPECT_FALSE(IsValidUtf8("\xC3"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));  // surrogate
  EXPECT_EQ(ToValidUtf8("a\x80z"), "a\xEF\xBF\xBDz");
}

TEST(Text, Helpers) {
  EXPECT_EQ(ToLowerAscii("MiXeD"), "mixed");
  EXPECT_EQ(TrimAscii("  x y \r\n"), "x y");
  EXPECT_TRUE(EqualsIgnoreCaseAscii("Content-Type", "content-TYPE"));
  EXPECT_EQ(Split("a/b//c", '/').size(), 4u);
  EXPECT_EQ(HumanBytes(1500), "1.5 KB");
}

TEST(Text, AppendUtf8EncodesAndReplacesInvalidCodePoints) {
  std::string out;
  for (uint32_t cp : {0x41u, 0xE9u, 0x20ACu, 0x1F600u, 0xD800u, 0x110000u}) AppendUtf8(&out, cp);
  EXPECT_EQ(out, "A\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_TRUE(IsValidUtf8(out));
}

}  // namespace custodian
