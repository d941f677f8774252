// XChaCha20-Poly1305 (IETF), detached tag: the cipher of every block and every catalog page.
// Built as libsodium builds it (HChaCha20 subkey, then RFC 8439 ChaCha20-Poly1305) but running
// the bulk cipher on OpenSSL's ChaCha20 and Poly1305, which are 2-2.5x libsodium's speed here;
// the output is identical to crypto_aead_xchacha20poly1305_ietf_*_detached (aead_test.cc checks
// both ways).
#pragma once

#include <cstddef>
#include <cstdint>

namespace custodian {

constexpr size_t kAeadKeyBytes = 32, kAeadNonceBytes = 24, kAeadTagBytes = 16;

// Encrypts data[0, n) in place and writes the tag. Thread-safe.
void AeadSeal(uint8_t* data, size_t n, const uint8_t* ad, size_t ad_len, const uint8_t nonce[kAeadNonceBytes],
              const uint8_t key[kAeadKeyBytes], uint8_t tag[kAeadTagBytes]);
// Decrypts in place; false (data unspecified) if the tag does not verify.
bool AeadOpen(uint8_t* data, size_t n, const uint8_t* ad, size_t ad_len, const uint8_t nonce[kAeadNonceBytes],
              const uint8_t key[kAeadKeyBytes], const uint8_t tag[kAeadTagBytes]);

}  // namespace custodian
