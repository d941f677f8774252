#include "util/aead.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sodium.h>

#include <algorithm>
#include <cassert>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace custodian {
namespace {

// The ChaCha20-Poly1305 key and 96-bit nonce that XChaCha20 uses for this 192-bit nonce.
void SubkeyAndNonce(const uint8_t nonce[kAeadNonceBytes], const uint8_t key[kAeadKeyBytes], uint8_t subkey[32],
                    uint8_t iv[12]) {
  crypto_core_hchacha20(subkey, nonce, key, nullptr);
  std::memset(iv, 0, 4);
  std::memcpy(iv + 4, nonce + 16, 8);
}

#if CUSTODIAN_OPENSSL_PRIMITIVES
// RFC 8439 section 2.8 on OpenSSL's ChaCha20 and Poly1305 primitives directly. The EVP interface
// computes the same thing, but OpenSSL 3's first cipher fetch builds a method for every cipher
// of the default provider: 1-1.6 ms of every command's start, for 4 KiB catalog pages. These
// functions are global in the static libcrypto we link (not exported by libcrypto.so, hence the
// EVP path below for the sanitizer builds); aead_test.cc checks the output against libsodium.
extern "C" {
void ChaCha20_ctr32(unsigned char* out, const unsigned char* inp, size_t len, const unsigned int key[8],
                    const unsigned int counter[4]);
size_t Poly1305_ctx_size(void);
void Poly1305_Init(void* ctx, const unsigned char key[32]);
void Poly1305_Update(void* ctx, const unsigned char* inp, size_t len);
void Poly1305_Final(void* ctx, unsigned char mac[16]);
}

uint32_t Le32(const uint8_t* p) { return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24; }

bool Run(bool encrypt, uint8_t* data, size_t n, const uint8_t* ad, size_t ad_len, const uint8_t* nonce,
         const uint8_t* key, uint8_t* tag) {
  uint8_t subkey[32], iv[12];
  SubkeyAndNonce(nonce, key, subkey, iv);
  unsigned int k[8], counter[4] = {0, Le32(iv), Le32(iv + 4), Le32(iv + 8)};
  for (int i = 0; i < 8; i++) k[i] = Le32(subkey + 4 * i);
  // Block 0 of the key stream is the one-time Poly1305 key; the data starts at block 1.
  alignas(16) uint8_t poly_key[64] = {0};
  ChaCha20_ctr32(poly_key, poly_key, sizeof poly_key, k, counter);
  static const size_t ctx_size = Poly1305_ctx_size();
  alignas(64) uint8_t ctx_buf[512];
  if (ctx_size > sizeof ctx_buf) std::abort();
  void* ctx = ctx_buf;
  Poly1305_Init(ctx, poly_key);
  static const uint8_t zeros[16] = {0};
  auto pad16 = [&](size_t len) {
    if (len % 16) Poly1305_Update(ctx, zeros, 16 - len % 16);
  };
  Poly1305_Update(ctx, ad, ad_len);
  pad16(ad_len);
  counter[0] = 1;
  // The block counter is 32 bits, as in RFC 8439: at most 256 GiB per call (our largest is a
  // block of a few MiB).
  if (n > (uint64_t(1) << 38) - 64) std::abort();
  if (encrypt) {
    ChaCha20_ctr32(data, data, n, k, counter);
    Poly1305_Update(ctx, data, n);
  } else {
    Poly1305_Update(ctx, data, n);
  }
  pad16(n);
  uint8_t lens[16];
  for (int i = 0; i < 8; i++) {
    lens[i] = uint8_t(uint64_t(ad_len) >> (8 * i));
    lens[8 + i] = uint8_t(uint64_t(n) >> (8 * i));
  }
  Poly1305_Update(ctx, lens, sizeof lens);
  uint8_t mac[16];
  Poly1305_Final(ctx, mac);
  bool ok = true;
  if (encrypt) {
    std::memcpy(tag, mac, 16);
  } else {
    ok = sodium_memcmp(mac, tag, 16) == 0;
    if (ok) ChaCha20_ctr32(data, data, n, k, counter);
  }
  sodium_memzero(subkey, sizeof subkey);
  sodium_memzero(k, sizeof k);
  sodium_memzero(poly_key, sizeof poly_key);
  sodium_memzero(ctx_buf, sizeof ctx_buf);
  return ok;
}
#else
struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

EVP_CIPHER_CTX* ThreadCtx() {
  // No openssl.cnf and no table of every cipher and digest: we use one cipher.
  static const bool init = OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ADD_ALL_CIPHERS |
                                                   OPENSSL_INIT_NO_ADD_ALL_DIGESTS, nullptr);
  (void)init;
  thread_local std::unique_ptr<EVP_CIPHER_CTX, CtxFree> ctx(EVP_CIPHER_CTX_new());
  return ctx.get();
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
#endif

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
