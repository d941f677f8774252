// DKIM (RFC 6376, RFC 8463 ed25519, RFC 8301 weak crypto) and ARC (RFC 8617) verification of a
// message as stored: raw bytes with CRLF or LF line ends, and keys from a KeySource. The
// results are plain structs that can be kept with the message, rendered as JSON for scripts,
// or as a report a records officer, a journalist or a court can follow (docs/authenticity.md).
//
// Pure apart from the KeySource: the same bytes, kept key records and verification time give
// the same result, which is what makes offline re-verification years later meaningful.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dkim/key_source.h"

namespace custodian {
class JsonWriter;
}

namespace custodian::dkim {

// The RFC 8601 result words.
enum class Outcome { kNone, kPass, kFail, kTempError, kPermError };
const char* OutcomeName(Outcome o);  // "none", "pass", "fail", "temperror", "permerror"

enum class BodyHash {
  kMatch,
  kMismatch,
  kUnknown,  // the signature is too malformed to say which hash over which body (no a=, bh=...)
};
const char* BodyHashName(BodyHash b);  // "match", "mismatch", "unknown"

struct VerifyOptions {
  // The verification time, seconds since the epoch, for x= (expiry) and t= (signing time).
  // 0 means now. To re-verify archived mail as its receiver would have, pass the time the
  // message arrived (see docs/authenticity.md: expiry is reported, never hidden).
  int64_t now = 0;
  // Signatures beyond this many are reported as not evaluated (each may cost a DNS lookup).
  size_t max_signatures = 16;
  // Signing times further than this in the future draw a warning.
  int64_t clock_skew = 300;
};

struct SignatureResult {
  Outcome result = Outcome::kPermError;
  std::string reason;                 // one sentence saying why, for every result
  std::vector<std::string> warnings;  // facts that do not change the result

  size_t field_index = 0;  // position of the signature's header field (0 = topmost)
  // The tags as written (empty when absent).
  std::string d, s, a, i, c;
  std::optional<int64_t> signed_at;   // t=
  std::optional<int64_t> expires_at;  // x=
  bool expired = false;               // x= lies before the verification time

  // Header fields: h= as listed; which of those were present and hashed, and which named no
  // field at verification (over-signing: adding such a field later breaks the signature).
  std::vector<std::string> headers_signed;
  std::vector<std::string> headers_covered;
  std::vector<std::string> headers_absent;

  // Body (canonical bytes). body_hash is computed whether or not a key is available.
  BodyHash body_hash = BodyHash::kUnknown;
  std::optional<uint64_t> body_length_limit;  // l=
  uint64_t body_bytes_total = 0;
  uint64_t body_bytes_signed = 0;
  uint64_t body_bytes_unsigned = 0;  // bytes after the l= limit, not covered by the signature

  // The key, when one was obtained and decoded.
  KeyLookup key;         // the record as fetched: text, when, from where, DNSSEC
  std::string key_type;  // "rsa" or "ed25519"
  int key_bits = 0;
  std::string key_fingerprint;   // "sha256:<hex>" of the key bytes in p=
  bool key_testing = false;      // t=y in the key record
  bool signature_valid = false;  // the cryptographic check succeeded (even if expired)

  // Valid under RFC 6376 but no longer acceptable under RFC 8301: rsa-sha1, RSA under 1024 bits.
  bool weak = false;
  std::string weak_reason;
};

struct ArcSetResult {
  int instance = 0;
  std::string cv;  // the seal's cv= as written
  // The ARC-Seal over this and the earlier sets: who sealed, with which key, and whether it
  // verifies (body and header fields do not apply to a seal).
  SignatureResult seal;
  // The message signature of this set, verified like a DKIM signature. Only the latest one
  // decides the chain (RFC 8617 §5.2); older ones show where the message was changed.
  SignatureResult message_signature;
  std::string authentication_results;  // ARC-Authentication-Results after "i=N;"
};

struct ArcResult {
  // none (no ARC fields), pass, fail; temperror when only a key lookup failed temporarily.
  Outcome result = Outcome::kNone;
  std::string reason;
  std::vector<ArcSetResult> sets;  // by instance, 1 first
};

struct Verification {
  Outcome verdict = Outcome::kNone;  // pass if any signature passes (see docs/authenticity.md)
  std::string reason;
  std::vector<SignatureResult> signatures;  // in header order, top first
  ArcResult arc;
};

// DKIM-Signature fields only; `keys` may be null (every signature is then a temperror, with
// the body hash still checked).
Verification VerifyDkim(std::string_view raw, KeySource* keys, const VerifyOptions& options = {});
// ARC only.
ArcResult VerifyArc(std::string_view raw, KeySource* keys, const VerifyOptions& options = {});
// Both: the DKIM verdict and signatures, and the ARC chain.
Verification Verify(std::string_view raw, KeySource* keys, const VerifyOptions& options = {});

// Rendering. The JSON object has at least "verdict" and "signatures", each signature with "d",
// "s", "a", "result", "body_hash", "reason", "weak" and "weak_reason" (docs/authenticity.md).
void WriteJson(const Verification& v, JsonWriter* out);
std::string ToJson(const Verification& v);
// A plain-text report in English, one paragraph per signature.
std::string FormatReport(const Verification& v);

}  // namespace custodian::dkim
