#include <gtest/gtest.h>

#include "mailbox/internal.h"
#include "mailbox/mailbox.h"

namespace custodian::mailbox {
namespace {

HeaderFlags F(std::string_view m) { return FlagsFromHeaders(m); }

TEST(HeaderFlagsTest, Status) {
  EXPECT_EQ(F("Status: RO\n\n").flags, "S");
  EXPECT_EQ(F("Status: O\n\n").flags, "");
  EXPECT_FALSE(F("Status: RO\n\n").deleted);
  EXPECT_TRUE(F("Status: D\n\n").deleted);
  EXPECT_EQ(F("Status: D\n\n").flags, "T");
}

TEST(HeaderFlagsTest, XStatus) {
  EXPECT_EQ(F("X-Status: A\n\n").flags, "R");
  EXPECT_EQ(F("X-Status: F\n\n").flags, "F");
  EXPECT_EQ(F("X-Status: T\n\n").flags, "D");
  const HeaderFlags all = F("Status: RO\nX-Status: AFTD\n\n");
  EXPECT_EQ(all.flags, "DFRST");
  EXPECT_TRUE(all.deleted);
}

TEST(HeaderFlagsTest, XMozillaStatus) {
  EXPECT_EQ(F("X-Mozilla-Status: 0001\n\n").flags, "S");
  EXPECT_EQ(F("X-Mozilla-Status: 0003\n\n").flags, "RS");
  EXPECT_EQ(F("X-Mozilla-Status: 0005\n\n").flags, "FS");
  EXPECT_EQ(F("X-Mozilla-Status: 1000\n\n").flags, "P");
  EXPECT_TRUE(F("X-Mozilla-Status: 0008\n\n").deleted);
  EXPECT_EQ(F("X-Mozilla-Status:   0x100f  \n\n").flags, "FPRST");
  EXPECT_EQ(F("X-Mozilla-Status: 8000\n\n").flags, "");  // bits we do not map
  EXPECT_EQ(F("X-Mozilla-Status: zz01\n\n").flags, "");  // junk
  EXPECT_EQ(F("X-Mozilla-Status:\n\n").flags, "");
}

TEST(HeaderFlagsTest, NamesAreCaseInsensitiveAndFoldingIsTolerated) {
  EXPECT_EQ(F("STATUS: R\n\n").flags, "S");
  EXPECT_EQ(F("x-status:\n A\n\n").flags, "R");
  EXPECT_EQ(F("X-Status : F\r\n\r\n").flags, "F");
  EXPECT_EQ(F("Subject: x\r\nStatus: R\r\n\r\nStatus: D\r\n").flags, "S");
}

TEST(HeaderFlagsTest, OnlyTheHeaderCounts) {
  EXPECT_EQ(F("Subject: x\n\nStatus: RO\nX-Status: F\n").flags, "");
  EXPECT_EQ(F("\nStatus: R\n").flags, "");
  EXPECT_EQ(F("").flags, "");
  // Junk lines and a leading continuation line are skipped, not fatal.
  EXPECT_EQ(F(" stray\nno colon here\nStatus: R").flags, "S");
  EXPECT_EQ(F("Subject: a\n  Status: D\n\n").flags, "");
}

TEST(MaildirFlagsTest, FromFileName) {
  EXPECT_EQ(internal::FlagsFromMaildirName("1.2.host:2,TSa"), "ST");
  EXPECT_EQ(internal::FlagsFromMaildirName("1.2.host:2,SRFDPT"), "DFPRST");
  EXPECT_EQ(internal::FlagsFromMaildirName("1.2.host:2,"), "");
  EXPECT_EQ(internal::FlagsFromMaildirName("1.2.host"), "");
  EXPECT_EQ(internal::FlagsFromMaildirName("1.2:2,x.host:2,S"), "S");
  EXPECT_EQ(internal::NormalizeFlags("SRRxF"), "FRS");
}

}  // namespace
}  // namespace custodian::mailbox
