// Parsing the signature header fields: DKIM-Signature (RFC 6376 §3.5), and ARC-Message-Signature
// and ARC-Seal (RFC 8617 §4.1), which reuse its tags with a few differences.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custodian/status.h"
#include "dkim/message.h"

namespace custodian::dkim {

inline constexpr size_t kMaxSignedHeaderNames = 512;
inline constexpr int kMaxArcInstance = 50;  // RFC 8617 §4.2.1

enum class SignatureKind { kDkim, kArcMessage, kArcSeal };

enum class Algorithm { kRsaSha1, kRsaSha256, kEd25519Sha256 };
const char* AlgorithmName(Algorithm a);

struct ParsedSignature {
  SignatureKind kind = SignatureKind::kDkim;
  // Tag values as written (empty when absent), for reports even when parsing failed.
  std::string a, d, s, i, c, h, cv;

  // Decoded and checked; each is set only when its tag is present and valid.
  std::optional<Algorithm> algorithm;
  bool canonicalization_valid = false;
  Canonicalization header_canon = Canonicalization::kSimple;
  Canonicalization body_canon = Canonicalization::kSimple;
  std::string domain;                       // d=, lower case
  std::string selector;                     // s=, lower case
  std::string auid;                         // DKIM: i= decoded (default "@" + d=)
  int instance = 0;                         // ARC: i=
  std::vector<std::string> signed_headers;  // h= names as written, empty entries dropped
  std::optional<std::string> body_hash;     // bh= decoded
  std::string signature;                    // b= decoded
  std::optional<uint64_t> body_length;      // l= (saturates at UINT64_MAX)
  std::optional<int64_t> timestamp;         // t=
  std::optional<int64_t> expiration;        // x=

  // Where b='s value lies in the field value, to empty it for hashing.
  size_t b_value_begin = 0, b_value_end = 0;
};

// Parses a signature field's value (everything after the colon). Returns OK when the signature
// is well-formed for its kind; otherwise InvalidArgument (or LimitExceeded) with a reason, and
// *out holds whatever could be read (RFC 6376 calls this PERMFAIL).
Status ParseSignature(std::string_view value, SignatureKind kind, ParsedSignature* out);

// The local part and domain of a DKIM AUID "local@domain".
std::string_view AuidDomain(std::string_view auid);
std::string_view AuidLocalPart(std::string_view auid);

// True when `sub` equals `domain` or is a subdomain of it (case-insensitive).
bool IsSameOrSubdomain(std::string_view sub, std::string_view domain);

}  // namespace custodian::dkim
