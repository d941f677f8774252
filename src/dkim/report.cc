// Rendering verification results: JSON for scripts and the archive, and a plain-text report for
// people (docs/authenticity.md describes both).
#include "dkim/dkim.h"
#include "dkim/verifier.h"
#include "util/json.h"

namespace custodian::dkim {
namespace {

void OptionalInt(JsonWriter* w, std::string_view key, const std::optional<int64_t>& v) {
  w->Key(key);
  if (v)
    w->Int(*v);
  else
    w->Null();
}

void StringList(JsonWriter* w, std::string_view key, const std::vector<std::string>& items) {
  w->Key(key).BeginArray();
  for (const auto& item : items) w->String(item);
  w->EndArray();
}

void KeyJson(JsonWriter* w, const SignatureResult& s) {
  const KeyLookup& k = s.key;
  w->Key("key").BeginObject();
  w->Field("name", k.name);
  w->Field("lookup", k.source.empty() && k.error.empty() && k.record.empty()
                         ? "not attempted"
                         : LookupOutcomeName(k.outcome));
  if (!k.error.empty()) w->Field("error", k.error);
  w->Field("record", k.record);
  OptionalInt(w, "fetched_at", k.fetched_at ? std::optional<int64_t>(k.fetched_at) : std::nullopt);
  w->Field("source", k.source);
  w->Field("dnssec", DnssecName(k.dnssec));
  w->Field("type", s.key_type);
  w->Field("bits", s.key_bits);
  w->Field("fingerprint", s.key_fingerprint);
  w->Field("testing", s.key_testing);
  w->EndObject();
}

// `seal`: an ARC-Seal, which has no body or h= to report.
void SignatureJson(JsonWriter* w, const SignatureResult& s, bool seal) {
  w->BeginObject();
  w->Field("d", s.d).Field("s", s.s).Field("a", s.a);
  w->Field("result", OutcomeName(s.result));
  if (!seal) w->Field("body_hash", BodyHashName(s.body_hash));
  w->Field("reason", s.reason);
  w->Field("weak", s.weak).Field("weak_reason", s.weak_reason);
  w->Field("i", s.i);
  if (!seal) w->Field("c", s.c);
  w->Field("field_index", uint64_t(s.field_index));
  OptionalInt(w, "signed_at", s.signed_at);
  if (!seal) {
    OptionalInt(w, "expires_at", s.expires_at);
    w->Field("expired", s.expired);
    StringList(w, "headers_signed", s.headers_signed);
    StringList(w, "headers_covered", s.headers_covered);
    StringList(w, "headers_absent", s.headers_absent);
    w->Key("body_length_limit");
    if (s.body_length_limit)
      w->UInt(*s.body_length_limit);
    else
      w->Null();
    w->Field("body_bytes_total", s.body_bytes_total);
    w->Field("body_bytes_signed", s.body_bytes_signed);
    w->Field("body_bytes_unsigned", s.body_bytes_unsigned);
  }
  w->Field("signature_valid", s.signature_valid);
  KeyJson(w, s);
  StringList(w, "warnings", s.warnings);
  w->EndObject();
}

void Line(std::string* out, std::string_view label, const std::string& text) {
  std::string padded(label);
  padded.resize(16, ' ');
  *out += "  " + padded + text + "\n";
}

std::string JoinOr(const std::vector<std::string>& items, const char* empty) {
  if (items.empty()) return empty;
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

void KeyReport(std::string* out, const SignatureResult& s) {
  const KeyLookup& k = s.key;
  if (!s.key_type.empty()) {
    Line(out, "Key",
         s.key_type +
             (s.key_type == "rsa" ? " " + std::to_string(s.key_bits) + " bits" : std::string()) +
             ", fingerprint " + s.key_fingerprint);
  } else if (k.name.empty()) {
    Line(out, "Key", "not looked up");
  } else {
    Line(out, "Key", "none usable");
  }
  if (!k.name.empty()) {
    std::string where = "at " + k.name;
    if (k.outcome == KeyLookup::Outcome::kFound) {
      where += k.fetched_at ? ", fetched " + internal::FormatTime(k.fetched_at) : "";
      where += k.source.empty() ? "" : " from " + k.source;
      where += std::string(", DNSSEC ") + DnssecName(k.dnssec);
    } else {
      where += ": " + std::string(LookupOutcomeName(k.outcome)) + " (" + k.error + ")";
    }
    Line(out, "", where);
  }
}

void SignatureReport(std::string* out, const SignatureResult& s) {
  Line(out, "Signed by",
       (s.d.empty() ? "(no d=)" : s.d) + ", selector " + (s.s.empty() ? "(no s=)" : s.s) +
           (s.i.empty() ? "" : ", identity " + s.i));
  Line(out, "Algorithm", (s.a.empty() ? "(no a=)" : s.a) + ", canonicalization " + s.c);
  KeyReport(out, s);
  Line(out, "Header fields", JoinOr(s.headers_covered, "none"));
  if (!s.headers_absent.empty()) {
    Line(out, "Over-signed",
         JoinOr(s.headers_absent, "") +
             " (absent when verified: adding one would break the signature)");
  }
  std::string body;
  if (s.body_hash == BodyHash::kUnknown) {
    body = "not checked (the signature is malformed)";
  } else {
    if (s.body_length_limit) {
      body = "first " + std::to_string(s.body_bytes_signed) + " of " +
             std::to_string(s.body_bytes_total) +
             " canonical bytes covered (l=" + std::to_string(*s.body_length_limit) + ")";
      if (s.body_bytes_unsigned > 0) {
        body += "; the " + std::to_string(s.body_bytes_unsigned) + " bytes after it are NOT signed";
      }
    } else {
      body = "all " + std::to_string(s.body_bytes_total) + " canonical bytes covered";
    }
    body += s.body_hash == BodyHash::kMatch ? "; body hash matches" : "; body hash DOES NOT match";
  }
  Line(out, "Body", body);
  std::string when = s.signed_at ? internal::FormatTime(*s.signed_at) : "not stated";
  if (s.expires_at) {
    when += std::string("; ") + (s.expired ? "expired " : "expires ") +
            internal::FormatTime(*s.expires_at);
  }
  Line(out, "Signed at", when);
  Line(out, "Result", std::string(OutcomeName(s.result)) + ": " + s.reason);
  if (s.weak) Line(out, "Weak", "valid under RFC 6376 but weak: " + s.weak_reason);
  for (const auto& warning : s.warnings) Line(out, "Note", warning);
}

}  // namespace

void WriteJson(const Verification& v, JsonWriter* w) {
  w->BeginObject();
  w->Field("verdict", OutcomeName(v.verdict));
  w->Field("reason", v.reason);
  w->Key("signatures").BeginArray();
  for (const auto& s : v.signatures) SignatureJson(w, s, false);
  w->EndArray();
  w->Key("arc").BeginObject();
  w->Field("result", OutcomeName(v.arc.result));
  w->Field("reason", v.arc.reason);
  w->Key("sets").BeginArray();
  for (const auto& set : v.arc.sets) {
    w->BeginObject();
    w->Field("instance", set.instance);
    w->Field("cv", set.cv);
    w->Field("authentication_results", set.authentication_results);
    w->Key("seal");
    SignatureJson(w, set.seal, true);
    w->Key("message_signature");
    SignatureJson(w, set.message_signature, false);
    w->EndObject();
  }
  w->EndArray();
  w->EndObject();
  w->EndObject();
}

std::string ToJson(const Verification& v) {
  JsonWriter w;
  WriteJson(v, &w);
  return w.str();
}

std::string FormatReport(const Verification& v) {
  std::string out = std::string("DKIM: ") + OutcomeName(v.verdict) + " — " + v.reason + "\n";
  for (size_t n = 0; n < v.signatures.size(); n++) {
    const SignatureResult& s = v.signatures[n];
    out += "\nSignature " + std::to_string(n + 1) + " of " + std::to_string(v.signatures.size()) +
           " (header field " + std::to_string(s.field_index + 1) + "): " + OutcomeName(s.result) +
           (s.weak && s.result == Outcome::kPass ? " (weak)" : "") + "\n";
    SignatureReport(&out, s);
  }
  out += std::string("\nARC: ") + OutcomeName(v.arc.result) + " — " + v.arc.reason + "\n";
  for (const auto& set : v.arc.sets) {
    out += "\nARC set " + std::to_string(set.instance) + " (cv=" + set.cv + ")\n";
    Line(&out, "Sealed by",
         set.seal.d + ", selector " + set.seal.s + ": " + OutcomeName(set.seal.result) + " — " +
             set.seal.reason);
    KeyReport(&out, set.seal);
    Line(&out, "Message sig.",
         std::string(OutcomeName(set.message_signature.result)) + " — " +
             set.message_signature.reason);
    if (!set.authentication_results.empty()) {
      Line(&out, "Results seen", set.authentication_results);
    }
  }
  return out;
}

}  // namespace custodian::dkim
