#include <openssl/evp.h>

#include <algorithm>
#include <ctime>
#include <limits>
#include <unordered_map>

#include "dkim/dkim.h"
#include "dkim/verifier.h"
#include "util/text.h"

namespace custodian::dkim {
namespace internal {
namespace {

constexpr int kMinRsaBits = 1024;  // RFC 8301 §3.2
constexpr uint64_t kNoLimit = std::numeric_limits<uint64_t>::max();

// Fields whose absence from h= a reader of the report should know about.
constexpr std::string_view kImportantFields[] = {
    "from", "sender", "reply-to", "to", "cc", "subject", "date", "message-id", "content-type"};

class BodyHasher : public BodySink {
 public:
  BodyHasher(Algorithm algorithm, uint64_t limit) : limit_(limit), ctx_(EVP_MD_CTX_new()) {
    EVP_DigestInit_ex(ctx_, algorithm == Algorithm::kRsaSha1 ? EVP_sha1() : EVP_sha256(), nullptr);
  }
  ~BodyHasher() override { EVP_MD_CTX_free(ctx_); }
  void Write(std::string_view bytes) override {
    total_ += bytes.size();
    if (hashed_ >= limit_) return;
    size_t take = size_t(std::min<uint64_t>(bytes.size(), limit_ - hashed_));
    EVP_DigestUpdate(ctx_, bytes.data(), take);
    hashed_ += take;
  }
  std::string Finish() {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_, out, &len);
    return std::string(reinterpret_cast<char*>(out), len);
  }
  uint64_t total() const { return total_; }
  uint64_t hashed() const { return hashed_; }

 private:
  uint64_t limit_;
  uint64_t total_ = 0, hashed_ = 0;
  EVP_MD_CTX* ctx_;
};

// g= of RFC 4871: the local part, with at most one "*" matching any run of characters.
bool GranularityMatches(std::string_view pattern, std::string_view local) {
  if (pattern.empty()) return false;  // "an empty g= value never matches"
  size_t star = pattern.find('*');
  if (star == std::string_view::npos) return pattern == local;
  std::string_view head = pattern.substr(0, star), tail = pattern.substr(star + 1);
  return local.size() >= head.size() + tail.size() && local.substr(0, head.size()) == head &&
         local.substr(local.size() - tail.size()) == tail;
}

std::string Join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += sep;
    out += item;
  }
  return out;
}

void AddWeakness(SignatureResult* r, const std::string& why) {
  r->weak = true;
  if (!r->weak_reason.empty()) r->weak_reason += "; ";
  r->weak_reason += why;
}

}  // namespace

std::string FormatTime(int64_t seconds) {
  std::time_t t = std::time_t(seconds);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return std::to_string(seconds);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

Verifier::Verifier(const ParsedMessage& message, KeySource* keys, const VerifyOptions& options)
    : message_(message),
      keys_(keys),
      options_(options),
      now_(options.now != 0 ? options.now : int64_t(std::time(nullptr))) {}

const Verifier::BodyDigest& Verifier::Body(Algorithm algorithm, Canonicalization canon,
                                           std::optional<uint64_t> limit) {
  auto key =
      std::make_tuple(algorithm == Algorithm::kRsaSha1, int(canon), limit.value_or(kNoLimit));
  auto it = bodies_.find(key);
  if (it != bodies_.end()) return it->second;
  BodyHasher hasher(algorithm, limit.value_or(kNoLimit));
  CanonicalizeBody(message_.body, canon, &hasher);
  BodyDigest d;
  d.digest = hasher.Finish();
  d.total = hasher.total();
  d.hashed = hasher.hashed();
  return bodies_.emplace(key, std::move(d)).first->second;
}

std::string Verifier::StrippedSignatureField(size_t field_index, const ParsedSignature& sig,
                                             Canonicalization canon) const {
  const HeaderField& field = message_.headers[field_index];
  size_t value_offset = size_t(field.value.data() - field.raw.data());
  std::string stripped(field.raw.substr(0, value_offset + sig.b_value_begin));
  stripped.append(field.raw.substr(value_offset + sig.b_value_end));
  std::string out;
  CanonicalizeHeader(stripped, canon, &out);
  out.resize(out.size() - 2);  // the signature field is hashed without its CRLF
  return out;
}

std::string Verifier::HeaderHashInput(size_t field_index, const ParsedSignature& sig,
                                      SignatureResult* r) const {
  std::string data;
  std::unordered_map<std::string, size_t> used;  // per name: instances consumed from the bottom
  for (const std::string& name : sig.signed_headers) {
    std::string lower = ToLowerAscii(name);
    size_t skip = used[lower]++;
    std::optional<size_t> chosen;
    auto it = message_.by_name.find(lower);
    if (it != message_.by_name.end()) {
      for (auto idx = it->second.rbegin(); idx != it->second.rend(); ++idx) {
        if (*idx == field_index) continue;  // a signature never covers itself
        if (skip-- == 0) {
          chosen = *idx;
          break;
        }
      }
    }
    if (chosen) {
      CanonicalizeHeader(message_.headers[*chosen].raw, sig.header_canon, &data);
      r->headers_covered.push_back(name);
    } else {
      r->headers_absent.push_back(name);
    }
  }
  data += StrippedSignatureField(field_index, sig, sig.header_canon);

  if (sig.kind != SignatureKind::kDkim) return data;
  // Fields a reader relies on that this signature leaves open to change or addition.
  std::vector<std::string> unsigned_fields;
  for (std::string_view important : kImportantFields) {
    auto it = message_.by_name.find(std::string(important));
    if (it == message_.by_name.end()) continue;
    size_t present = it->second.size();
    size_t covered = used.count(std::string(important)) ? used[std::string(important)] : 0;
    if (covered == 0) {
      unsigned_fields.push_back(std::string(message_.headers[it->second.back()].name));
    } else if (covered < present) {
      r->warnings.push_back(std::to_string(present - covered) + " of " + std::to_string(present) +
                            " '" + std::string(message_.headers[it->second.back()].name) +
                            "' fields are not covered by this signature (added after signing?)");
    }
  }
  if (!unsigned_fields.empty()) {
    r->warnings.push_back("not covered by this signature: " + Join(unsigned_fields, ", "));
  }
  return data;
}

std::optional<PublicKey> Verifier::Key(const ParsedSignature& sig, SignatureResult* r) {
  std::string name = KeyRecordName(sig.selector, sig.domain);
  if (keys_ == nullptr) {
    r->key.name = name;
    r->key.error = "no key source";
    r->result = Outcome::kTempError;
    r->reason = "no key source was given, so the public key at " + name + " could not be obtained";
    return std::nullopt;
  }
  auto cached = lookups_.find(name);
  if (cached == lookups_.end()) {
    cached = lookups_.emplace(name, keys_->Lookup(sig.selector, sig.domain)).first;
  }
  r->key = cached->second;
  if (r->key.name.empty()) r->key.name = name;
  switch (r->key.outcome) {
    case KeyLookup::Outcome::kFound:
      break;
    case KeyLookup::Outcome::kTemporaryError:
      r->result = Outcome::kTempError;
      r->reason = "the key at " + name + " could not be obtained: " + r->key.error;
      return std::nullopt;
    case KeyLookup::Outcome::kPermanentError:
      r->result = Outcome::kPermError;
      r->reason = "no key is published at " + name + ": " + r->key.error;
      return std::nullopt;
  }
  auto perm = [&](const std::string& why) {
    r->result = Outcome::kPermError;
    r->reason = why;
    return std::nullopt;
  };
  auto record = ParseKeyRecord(r->key.record);
  if (!record.ok())
    return perm("the key record at " + name + " is unusable: " + record.status().message());
  r->key_testing = record->testing;
  if (record->testing) {
    r->warnings.push_back("the key record says the domain is testing DKIM (t=y)");
  }
  if (record->public_key.empty()) {
    return perm("the key at " + name + " has been revoked (empty p=)");
  }
  const Algorithm algorithm = *sig.algorithm;
  const std::string want_type = algorithm == Algorithm::kEd25519Sha256 ? "ed25519" : "rsa";
  if (record->key_type != want_type) {
    return perm(std::string("a=") + AlgorithmName(algorithm) + " needs a k=" + want_type +
                " key, but the record at " + name + " has k=" + record->key_type);
  }
  if (!record->hashes.empty()) {
    const char* hash = algorithm == Algorithm::kRsaSha1 ? "sha1" : "sha256";
    if (std::find(record->hashes.begin(), record->hashes.end(), hash) == record->hashes.end()) {
      return perm("the key record at " + name + " does not allow " + hash +
                  " (h=" + Join(record->hashes, ":") + ")");
    }
  }
  if (!record->services.empty() &&
      std::find(record->services.begin(), record->services.end(), "*") == record->services.end() &&
      std::find(record->services.begin(), record->services.end(), "email") ==
          record->services.end()) {
    return perm("the key record at " + name +
                " is not for email (s=" + Join(record->services, ":") + ")");
  }
  if (sig.kind == SignatureKind::kDkim) {
    if (record->strict && !EqualsIgnoreCaseAscii(AuidDomain(sig.auid), sig.domain)) {
      return perm("the key record at " + name +
                  " forbids subdomains in i= (t=s), but i=" + sig.auid);
    }
    if (record->granularity && !GranularityMatches(*record->granularity, AuidLocalPart(sig.auid))) {
      return perm("the key record at " + name + " limits its use to local parts matching g=" +
                  *record->granularity + ", and i=" + sig.auid + " does not match");
    }
  }
  auto key = PublicKey::Load(*record);
  if (!key.ok()) return perm("the key at " + name + " cannot be used: " + key.status().message());
  r->key_type = key->type();
  r->key_bits = key->bits();
  r->key_fingerprint = key->fingerprint();
  if (key->type() == "rsa" && key->bits() < kMinRsaBits) {
    AddWeakness(r, "RSA key of " + std::to_string(key->bits()) +
                       " bits, below the 1024-bit minimum of RFC 8301");
    if (sig.kind != SignatureKind::kDkim) {
      // ARC (RFC 8617) postdates RFC 8301: a seal made with a factorable key proves nothing.
      r->result = Outcome::kFail;
      r->reason = "the RSA key at " + name + " has " + std::to_string(key->bits()) +
                  " bits, below the 1024-bit minimum of RFC 8301";
      return std::nullopt;
    }
  }
  return std::move(key).value();
}

SignatureResult Verifier::VerifySignature(size_t field_index, SignatureKind kind) {
  SignatureResult r;
  r.field_index = field_index;
  ParsedSignature sig;
  Status parsed = ParseSignature(message_.headers[field_index].value, kind, &sig);
  r.d = sig.d;
  r.s = sig.s;
  r.a = sig.a;
  r.i = sig.i;
  r.c = sig.c.empty() ? "simple/simple" : sig.c;
  r.signed_at = sig.timestamp;
  r.expires_at = sig.expiration;
  r.headers_signed = sig.signed_headers;
  r.body_length_limit = sig.body_length;
  if (sig.algorithm == Algorithm::kRsaSha1) {
    AddWeakness(&r, "rsa-sha1, which RFC 8301 no longer accepts");
  }

  // The body hash does not need the key: check it whenever the tags allow.
  if (sig.algorithm && sig.canonicalization_valid && sig.body_hash) {
    const BodyDigest& body = Body(*sig.algorithm, sig.body_canon, sig.body_length);
    r.body_bytes_total = body.total;
    r.body_bytes_signed = body.hashed;
    r.body_bytes_unsigned = body.total - body.hashed;
    r.body_hash = body.digest == *sig.body_hash ? BodyHash::kMatch : BodyHash::kMismatch;
  }
  if (!parsed.ok()) {
    r.result = Outcome::kPermError;
    r.reason = parsed.message();
    return r;
  }
  if (sig.expiration && *sig.expiration < now_) r.expired = true;
  if (sig.timestamp && *sig.timestamp > now_ + options_.clock_skew) {
    r.warnings.push_back("the signing time t= (" + FormatTime(*sig.timestamp) +
                         ") is after the verification time (" + FormatTime(now_) + ")");
  }
  std::string data = HeaderHashInput(field_index, sig, &r);

  std::optional<PublicKey> key = Key(sig, &r);
  if (!key) return r;
  r.signature_valid = key->Verify(*sig.algorithm, data, sig.signature);

  const std::string name = KeyRecordName(sig.selector, sig.domain);
  if (r.body_hash == BodyHash::kMismatch) {
    r.result = Outcome::kFail;
    r.reason = r.signature_valid
                   ? "body hash mismatch: the body was changed after signing (the signed header "
                     "fields are intact)"
                   : "body hash mismatch, and the signature does not verify: both the body and "
                     "signed header fields were changed after signing";
    return r;
  }
  if (sig.body_length && *sig.body_length > r.body_bytes_total) {
    r.result = Outcome::kFail;
    r.reason = "the body (" + std::to_string(r.body_bytes_total) +
               " canonical bytes) is shorter than the l=" + std::to_string(*sig.body_length) +
               " the signer covered: it was truncated";
    return r;
  }
  if (!r.signature_valid) {
    r.result = Outcome::kFail;
    r.reason =
        "the signature does not verify: a signed header field was changed after signing, "
        "or the key at " +
        name + " is not the key that made this signature";
    return r;
  }
  if (r.expired) {
    r.result = Outcome::kPermError;
    r.reason = "the signature expired at " + FormatTime(*sig.expiration) +
               " (x=), before the verification time " + FormatTime(now_) +
               "; it is otherwise cryptographically valid";
    return r;
  }
  r.result = Outcome::kPass;
  r.reason = "signature verified with the key at " + name;
  if (r.body_bytes_unsigned > 0) {
    r.reason += "; but " + std::to_string(r.body_bytes_unsigned) +
                " body bytes after the l= limit are not covered by it";
    r.warnings.push_back(std::to_string(r.body_bytes_unsigned) +
                         " canonical body bytes follow the l=" + std::to_string(*sig.body_length) +
                         " limit: anything there may have been added after signing");
  }
  return r;
}

}  // namespace internal

const char* OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kNone:
      return "none";
    case Outcome::kPass:
      return "pass";
    case Outcome::kFail:
      return "fail";
    case Outcome::kTempError:
      return "temperror";
    case Outcome::kPermError:
      return "permerror";
  }
  return "";
}

const char* BodyHashName(BodyHash b) {
  switch (b) {
    case BodyHash::kMatch:
      return "match";
    case BodyHash::kMismatch:
      return "mismatch";
    case BodyHash::kUnknown:
      return "unknown";
  }
  return "";
}

namespace {

void Decide(Verification* v) {
  auto& sigs = v->signatures;
  if (sigs.empty()) {
    v->verdict = Outcome::kNone;
    v->reason = "the message has no DKIM-Signature";
    return;
  }
  // A pass settles it; a temporary error may still become one; then evidence of change.
  for (Outcome o : {Outcome::kPass, Outcome::kTempError, Outcome::kFail, Outcome::kPermError}) {
    auto first = std::find_if(sigs.begin(), sigs.end(),
                              [&](const SignatureResult& s) { return s.result == o; });
    if (first == sigs.end()) continue;
    v->verdict = o;
    size_t n = size_t(std::count_if(sigs.begin(), sigs.end(),
                                    [&](const SignatureResult& s) { return s.result == o; }));
    std::string counted = std::to_string(n) + " of " + std::to_string(sigs.size()) + " signature" +
                          (sigs.size() == 1 ? "" : "s");
    if (o == Outcome::kPass) {
      v->reason = counted + " verified (" + first->d + ")";
    } else {
      v->reason =
          "no signature verified; " + counted + " " + OutcomeName(o) + ", first: " + first->reason;
    }
    return;
  }
}

void Unreadable(const Status& status, Verification* v) {
  v->verdict = Outcome::kPermError;
  v->reason = "the message header cannot be read: " + status.message();
  v->arc.result = Outcome::kFail;
  v->arc.reason = v->reason;
}

void RunDkim(internal::Verifier* verifier, const VerifyOptions& options, Verification* v) {
  const ParsedMessage& message = verifier->message();
  auto it = message.by_name.find("dkim-signature");
  if (it != message.by_name.end()) {
    for (size_t index : it->second) {
      if (v->signatures.size() < options.max_signatures) {
        v->signatures.push_back(verifier->VerifySignature(index, SignatureKind::kDkim));
        continue;
      }
      SignatureResult skipped;
      ParsedSignature sig;
      (void)ParseSignature(message.headers[index].value, SignatureKind::kDkim, &sig);
      skipped.field_index = index;
      skipped.d = sig.d;
      skipped.s = sig.s;
      skipped.a = sig.a;
      skipped.result = Outcome::kPermError;
      skipped.reason = "not evaluated: the message has more than " +
                       std::to_string(options.max_signatures) + " DKIM signatures";
      v->signatures.push_back(std::move(skipped));
    }
  }
  Decide(v);
}

}  // namespace

Verification VerifyDkim(std::string_view raw, KeySource* keys, const VerifyOptions& options) {
  Verification v;
  auto message = ParseMessage(raw);
  if (!message.ok()) {
    Unreadable(message.status(), &v);
    return v;
  }
  internal::Verifier verifier(*message, keys, options);
  RunDkim(&verifier, options, &v);
  return v;
}

ArcResult VerifyArc(std::string_view raw, KeySource* keys, const VerifyOptions& options) {
  auto message = ParseMessage(raw);
  if (!message.ok()) {
    Verification v;
    Unreadable(message.status(), &v);
    return v.arc;
  }
  internal::Verifier verifier(*message, keys, options);
  return internal::VerifyArcChain(&verifier);
}

Verification Verify(std::string_view raw, KeySource* keys, const VerifyOptions& options) {
  Verification v;
  auto message = ParseMessage(raw);
  if (!message.ok()) {
    Unreadable(message.status(), &v);
    return v;
  }
  internal::Verifier verifier(*message, keys, options);
  RunDkim(&verifier, options, &v);
  v.arc = internal::VerifyArcChain(&verifier);
  return v;
}

}  // namespace custodian::dkim
