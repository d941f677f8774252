#include "util/aead.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <vector>

namespace custodian {

// Our construction must be byte-for-byte libsodium's XChaCha20-Poly1305 (archives written with
// either must read with the other), for empty, small, page-sized and large inputs, with and
// without additional data.
TEST(Aead, IdenticalToLibsodiumBothWays) {
  ASSERT_GE(sodium_init(), 0);
  for (size_t n : {size_t(0), size_t(1), size_t(15), size_t(16), size_t(17), size_t(63), size_t(64), size_t(65),
                   size_t(255), size_t(4056), size_t(16384 + 7), size_t(1u << 20)}) {
    for (size_t ad_len : {size_t(0), size_t(1), size_t(16), size_t(28)}) {
      std::vector<uint8_t> key(32), nonce(24), ad(ad_len), msg(n);
      randombytes_buf(key.data(), key.size());
      randombytes_buf(nonce.data(), nonce.size());
      randombytes_buf(ad.data(), ad.size());
      randombytes_buf(msg.data(), msg.size());
      std::vector<uint8_t> ours = msg, tag(16);
      AeadSeal(ours.data(), n, ad.data(), ad_len, nonce.data(), key.data(), tag.data());
      std::vector<uint8_t> theirs(n), their_tag(16);
      crypto_aead_xchacha20poly1305_ietf_encrypt_detached(theirs.data(), their_tag.data(), nullptr, msg.data(), n,
                                                          ad.data(), ad_len, nullptr, nonce.data(), key.data());
      EXPECT_EQ(ours, theirs) << n;
      EXPECT_EQ(tag, their_tag) << n;
      ASSERT_TRUE(AeadOpen(ours.data(), n, ad.data(), ad_len, nonce.data(), key.data(), tag.data()));
      EXPECT_EQ(ours, msg);
      if (n) {
        std::vector<uint8_t> bad = theirs;
        bad[n / 2] ^= 1;
        EXPECT_FALSE(AeadOpen(bad.data(), n, ad.data(), ad_len, nonce.data(), key.data(), tag.data()));
      }
    }
  }
}

}  // namespace custodian
