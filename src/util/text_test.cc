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

}  // namespace custodian
