#include "util/digest.h"

#include <gtest/gtest.h>

namespace custodian {

TEST(Digest, Sha256KnownVector) {
  EXPECT_EQ(ToHex(ComputeSha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(ToHex(ComputeSha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Digest, HexRoundTrip) {
  Sha256 d = ComputeSha256("hello");
  auto back = Sha256FromHex(ToHex(d));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, d);
  EXPECT_FALSE(Sha256FromHex("abc").has_value());
  EXPECT_FALSE(Sha256FromHex(std::string(64, 'g')).has_value());
}

TEST(Digest, Crc32cKnownVector) {
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  // Continuation gives the same answer as one call.
  EXPECT_EQ(Crc32c("6789", Crc32c("12345")), 0xE3069283u);
  std::string longer(1000, 'x');
  EXPECT_EQ(Crc32c(longer.substr(500), Crc32c(longer.substr(0, 500))), Crc32c(longer));
}

}  // namespace custodian
