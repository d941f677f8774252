// libFuzzer target for the DKIM/ARC parsers: every input is tried as a tag list, a key record,
// each kind of signature field, a key file and a whole message. Each must parse or fail with a
// reason, within its limits, and a message must verify to a verdict consistent with its
// signatures and render as valid UTF-8 JSON.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dkim/dkim.h"
#include "dkim/key_record.h"
#include "dkim/signature.h"
#include "dkim/tag_list.h"
#include "util/text.h"

namespace {

using namespace custodian::dkim;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

// Keys for the names a seed or mutation is likely to use, so verification reaches the crypto.
MemoryKeySource* Keys() {
  static MemoryKeySource* keys = [] {
    auto* k = new MemoryKeySource(true);
    k->AddRecord("ed._domainkey.example.org",
                 "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
    k->AddRecord("rsa._domainkey.example.org",
                 "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3id"
                 "Y6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lx"
                 "j+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB");
    k->AddRecord("bad._domainkey.example.org", "v=DKIM1; k=rsa; p=AAAA");
    k->AddRecord("revoked._domainkey.example.org", "v=DKIM1; p=");
    return k;
  }();
  return keys;
}

void CheckSignature(const SignatureResult& s, size_t input_size) {
  Check(!s.reason.empty());
  Check(s.body_bytes_signed <= s.body_bytes_total);
  Check(s.body_bytes_unsigned == s.body_bytes_total - s.body_bytes_signed);
  Check(s.result != Outcome::kPass || (s.signature_valid && s.body_hash == BodyHash::kMatch));
  Check(s.weak == !s.weak_reason.empty());
  Check(s.field_index < input_size);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);

  auto tags = TagList::Parse(input);
  if (tags.ok()) {
    Check(!tags->tags().empty() && tags->tags().size() <= kMaxTags);
    for (const Tag& tag : tags->tags()) {
      Check(!tag.name.empty() && tag.name.size() <= kMaxTagNameBytes);
      Check(tag.value.size() <= kMaxTagValueBytes);
      Check(tag.value_begin <= tag.value_end && tag.value_end <= size);
      Check(tags->Find(tag.name) == &tag);  // no duplicates
    }
  } else {
    Check(!tags.status().message().empty());
  }

  if (auto decoded = DecodeBase64(input)) Check(*DecodeBase64(EncodeBase64(*decoded)) == *decoded);
  DecodeDkimQuotedPrintable(input);

  auto record = ParseKeyRecord(input);
  if (record.ok() && !record->public_key.empty()) {
    auto key = PublicKey::Load(*record);
    if (key.ok()) Check(key->bits() > 0 && key->fingerprint().size() == 7 + 64);
  }

  for (SignatureKind kind :
       {SignatureKind::kDkim, SignatureKind::kArcMessage, SignatureKind::kArcSeal}) {
    ParsedSignature sig;
    custodian::Status st = ParseSignature(input, kind, &sig);
    Check(st.ok() || !st.message().empty());
    Check(sig.b_value_begin <= sig.b_value_end && sig.b_value_end <= size);
    Check(sig.signed_headers.size() <= kMaxSignedHeaderNames);
    if (st.ok()) {
      Check(sig.algorithm.has_value() && !sig.signature.empty() && !sig.domain.empty());
      Check(kind == SignatureKind::kDkim ? !sig.auid.empty()
                                         : sig.instance >= 1 && sig.instance <= kMaxArcInstance);
    }
  }

  auto key_file = ParseKeyFile(input, "fuzz");
  Check(key_file.ok() || !key_file.status().message().empty());

  VerifyOptions options;
  options.now = 1700000000;
  Verification v = Verify(input, Keys(), options);
  bool any_pass = false;
  for (const SignatureResult& s : v.signatures) {
    CheckSignature(s, size);
    any_pass |= s.result == Outcome::kPass;
  }
  Check((v.verdict == Outcome::kPass) == any_pass);
  Check(v.signatures.empty() == (v.verdict == Outcome::kNone) || v.verdict == Outcome::kPermError);
  Check(v.arc.result != Outcome::kPass || !v.arc.sets.empty());
  for (const ArcSetResult& set : v.arc.sets) {
    Check(set.instance >= 1 && set.instance <= kMaxArcInstance);
    if (v.arc.result == Outcome::kPass) Check(set.seal.result == Outcome::kPass);
  }
  std::string json = ToJson(v);
  Check(custodian::IsValidUtf8(json) && json.front() == '{' && json.back() == '}');
  Check(custodian::IsValidUtf8(FormatReport(v)) || !custodian::IsValidUtf8(input));
  return 0;
}
