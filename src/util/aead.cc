#include "util/aead.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sodium.h>

#include <cassert>
#include <cstring>
#include <memory>

namespace custodian {
namespace {

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

EVP_CIPHER_CTX* ThreadCtx() {
  // No openssl.cnf and no table of every cipher and digest: we use one cipher, and building
  // those tables was a millisecond of every command's start.
  static const bool init = OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ADD_ALL_CIPHERS |
                                                   OPENSSL_INIT_NO_ADD_ALL_DIGESTS, nullptr);
  (void)init;
  thread_local std::unique_ptr<EVP_CIPHER_CTX, CtxFree> ctx(EVP_CIPHER_CTX_new());
  return ctx.get();
}

// The ChaCha20-Poly1305 key and 96-bit nonce that XChaCha20 uses for this 192-bit nonce.
void SubkeyAndNonce(const uint8_t nonce[kAeadNonceBytes], const uint8_t key[kAeadKeyBytes], uint8_t subkey[32],
                    uint8_t iv[12]) {
  crypto_core_hchacha20(subkey, nonce, key, nullptr);
  std::memset(iv, 0, 4);
  std::memcpy(iv + 4, nonce + 16, 8);
}

bool Run(bool encrypt, uint8_t* data, size_t n, const uint8_t* ad, size_t ad_len, const uint8_t* nonce,
         const uint8_t* key, uint8_t* tag) {
  uint8_t subkey[32], iv[12];
  SubkeyAndNonce(nonce, key, subkey, iv);
  EVP_CIPHER_CTX* c = ThreadCtx();
  int len = 0;
  bool ok = EVP_CipherInit_ex(c, EVP_chacha20_poly1305(), nullptr, nullptr, nullptr, encrypt ? 1 : 0) == 1 &&
            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, 12, nullptr) == 1 &&
            EVP_CipherInit_ex(c, nullptr, nullptr, subkey, iv, encrypt ? 1 : 0) == 1;
  if (ok && !encrypt) ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, int(kAeadTagBytes), tag) == 1;
  if (ok && ad_len) ok = EVP_CipherUpdate(c, nullptr, &len, ad, int(ad_len)) == 1;
  // EVP lengths are ints: feed large blocks in pieces.
  for (size_t off = 0; ok && off < n;) {
    int piece = int(std::min<size_t>(n - off, 1u << 30));
    ok = EVP_CipherUpdate(c, data + off, &len, data + off, piece) == 1;
    off += size_t(piece);
  }
  if (ok) ok = EVP_CipherFinal_ex(c, data + n, &len) == 1;  // writes nothing for a stream cipher
  if (ok && encrypt) ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, int(kAeadTagBytes), tag) == 1;
  sodium_memzero(subkey, sizeof subkey);
  return ok;
}

}  // namespace

void AeadSeal(uint8_t* data, size_t n, const uint8_t* ad, size_t ad_len, const uint8_t nonce[kAeadNonceBytes],
              const uint8_t key[kAeadKeyBytes], uint8_t tag[kAeadTagBytes]) {
  bool ok = Run(true, data, n, ad, ad_len, nonce, key, tag);
  assert(ok);  // encryption with valid parameters cannot fail
  (void)ok;
}

bool AeadOpen(uint8_t* data, size_t n, const uint8_t* ad, size_t ad_len, const uint8_t nonce[kAeadNonceBytes],
              const uint8_t key[kAeadKeyBytes], const uint8_t tag[kAeadTagBytes]) {
  return Run(false, data, n, ad, ad_len, nonce, key, const_cast<uint8_t*>(tag));
}

}  // namespace custodian
