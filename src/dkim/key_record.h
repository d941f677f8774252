// DKIM public key records (RFC 6376 §3.6.1, RFC 8463 §4.2) and the cryptography on them:
// decoding the key with OpenSSL, its size and fingerprint, and checking a signature.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custodian/status.h"
#include "dkim/signature.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace custodian::dkim {

inline constexpr int kMaxRsaBits = 16384;

struct KeyRecord {
  std::string key_type = "rsa";       // k=
  std::vector<std::string> hashes;    // h= (empty: any)
  std::vector<std::string> services;  // s= (empty: "*")
  bool testing = false;               // t=y: the domain is testing DKIM
  bool strict = false;                // t=s: i= must be exactly d=, no subdomain
  // g= from RFC 4871, dropped by RFC 6376 but still published by old records; honoured when
  // present because the key's owner limited which local parts may use the key.
  std::optional<std::string> granularity;
  std::string public_key;  // p= decoded; empty means the key was revoked
  std::string notes;       // n=
};

// Parses a TXT record. InvalidArgument with a reason for anything RFC 6376 says to discard:
// a v= other than "DKIM1" or not first, a missing p=, bad base64, a malformed tag list.
Result<KeyRecord> ParseKeyRecord(std::string_view record);

class PublicKey {
 public:
  PublicKey(PublicKey&&) noexcept = default;
  PublicKey& operator=(PublicKey&&) noexcept = default;
  ~PublicKey();

  // Decodes p= for k=rsa (SubjectPublicKeyInfo, or a bare PKCS#1 RSAPublicKey) or k=ed25519
  // (the raw 32-byte key of RFC 8463).
  static Result<PublicKey> Load(const KeyRecord& record);

  const std::string& type() const { return type_; }  // "rsa" or "ed25519"
  int bits() const { return bits_; }
  // "sha256:" + hex SHA-256 of the key bytes as published in p=.
  const std::string& fingerprint() const { return fingerprint_; }

  // Checks `signature` over `data` (the canonical header fields) with `algorithm`, whose key type
  // the caller has matched to this key. Ed25519 signs the SHA-256 of the data (RFC 8463 §3).
  bool Verify(Algorithm algorithm, std::string_view data, std::string_view signature) const;

 private:
  PublicKey() = default;
  struct Free {
    void operator()(EVP_PKEY* k) const;
  };
  std::unique_ptr<EVP_PKEY, Free> key_;
  std::string type_;
  int bits_ = 0;
  std::string fingerprint_;
};

// The digest a= names, over `data`: SHA-1 or SHA-256 (empty for an unknown algorithm).
std::string Digest(Algorithm algorithm, std::string_view data);

}  // namespace custodian::dkim
