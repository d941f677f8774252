// ARC chain validation (RFC 8617 §5.2).
#include <map>

#include "dkim/tag_list.h"
#include "dkim/verifier.h"

namespace custodian::dkim::internal {
namespace {

struct Slot {
  std::vector<size_t> seal, message, results;  // header field indexes
};

// An instance number: 1*2DIGIT from 1 to 50, no leading zero.
std::optional<int> Instance(std::string_view digits) {
  if (digits.empty() || digits.size() > 2 || digits[0] == '0') return std::nullopt;
  int n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  if (n > kMaxArcInstance) return std::nullopt;
  return n;
}

// ARC-Authentication-Results begins "i=N;" (RFC 8617 §4.1.1); the rest is RFC 8601 text.
std::optional<int> ResultsInstance(std::string_view value, std::string* rest) {
  size_t pos = 0;
  auto skip = [&] {
    while (pos < value.size() && IsFws(value[pos])) pos++;
  };
  skip();
  if (pos >= value.size() || value[pos] != 'i') return std::nullopt;
  pos++;
  skip();
  if (pos >= value.size() || value[pos] != '=') return std::nullopt;
  pos++;
  skip();
  size_t start = pos;
  while (pos < value.size() && value[pos] >= '0' && value[pos] <= '9') pos++;
  auto n = Instance(value.substr(start, pos - start));
  skip();
  if (!n || pos >= value.size() || value[pos] != ';') return std::nullopt;
  // The rest, unfolded onto one line for reports.
  rest->clear();
  bool space = false;
  for (char c : value.substr(pos + 1)) {
    if (IsFws(c)) {
      space = !rest->empty();
      continue;
    }
    if (space) rest->push_back(' ');
    space = false;
    rest->push_back(c);
  }
  return n;
}

std::optional<int> SignatureInstance(std::string_view value, std::string* error) {
  auto tags = TagList::Parse(value);
  if (!tags.ok()) {
    *error = tags.status().message();
    return std::nullopt;
  }
  const Tag* i = tags->Find("i");
  if (i == nullptr) {
    *error = "no i= tag";
    return std::nullopt;
  }
  auto n = Instance(i->value);
  if (!n) *error = "i=" + std::string(i->value) + " is not an instance from 1 to 50";
  return n;
}

// The seal of set `j` covers, in order, every set up to j: its ARC-Authentication-Results,
// ARC-Message-Signature and ARC-Seal, relaxed, the last seal without its b= value.
void VerifySeal(Verifier* v, const std::map<int, Slot>& slots, int j, SignatureResult* r) {
  const ParsedMessage& m = v->message();
  size_t index = slots.at(j).seal[0];
  r->field_index = index;
  ParsedSignature sig;
  Status parsed = ParseSignature(m.headers[index].value, SignatureKind::kArcSeal, &sig);
  r->d = sig.d;
  r->s = sig.s;
  r->a = sig.a;
  r->i = sig.i;
  r->c = "relaxed";
  r->signed_at = sig.timestamp;
  if (sig.algorithm == Algorithm::kRsaSha1) {
    r->weak = true;
    r->weak_reason = "rsa-sha1, which RFC 8301 no longer accepts";
  }
  if (!parsed.ok()) {
    r->result = Outcome::kPermError;
    r->reason = parsed.message();
    return;
  }
  std::optional<PublicKey> key = v->Key(sig, r);
  if (!key) return;
  std::string data;
  for (int k = 1; k <= j; k++) {
    const Slot& slot = slots.at(k);
    CanonicalizeHeader(m.headers[slot.results[0]].raw, Canonicalization::kRelaxed, &data);
    CanonicalizeHeader(m.headers[slot.message[0]].raw, Canonicalization::kRelaxed, &data);
    if (k < j) CanonicalizeHeader(m.headers[slot.seal[0]].raw, Canonicalization::kRelaxed, &data);
  }
  data += v->StrippedSignatureField(index, sig, Canonicalization::kRelaxed);
  r->signature_valid = key->Verify(*sig.algorithm, data, sig.signature);
  r->result = r->signature_valid ? Outcome::kPass : Outcome::kFail;
  r->reason = r->signature_valid
                  ? "seal verified with the key at " + KeyRecordName(sig.selector, sig.domain)
                  : "the seal does not verify: an ARC field of this or an earlier set was "
                    "changed, or the key is not the one that made it";
}

ArcResult Fail(ArcResult arc, const std::string& why) {
  arc.result = Outcome::kFail;
  arc.reason = why;
  return arc;
}

}  // namespace

ArcResult VerifyArcChain(Verifier* v) {
  ArcResult arc;
  const ParsedMessage& m = v->message();
  std::map<int, Slot> slots;
  std::map<int, std::string> results_text;
  bool any = false;
  std::string malformed;
  struct Kind {
    const char* name;
    std::vector<size_t> Slot::*member;
  };
  for (const Kind& kind :
       {Kind{"arc-seal", &Slot::seal}, Kind{"arc-message-signature", &Slot::message},
        Kind{"arc-authentication-results", &Slot::results}}) {
    auto it = m.by_name.find(kind.name);
    if (it == m.by_name.end()) continue;
    any = true;
    for (size_t index : it->second) {
      std::string rest, error;
      std::optional<int> n = kind.member == &Slot::results
                                 ? ResultsInstance(m.headers[index].value, &rest)
                                 : SignatureInstance(m.headers[index].value, &error);
      if (!n) {
        if (kind.member == &Slot::results) {
          error = "does not begin with \"i=N;\" (N from 1 to 50)";
        }
        if (malformed.empty()) malformed = std::string(m.headers[index].name) + ": " + error;
        continue;
      }
      (slots[*n].*kind.member).push_back(index);
      if (kind.member == &Slot::results) results_text[*n] = rest;
    }
  }
  if (!any) {
    arc.reason = "the message has no ARC header fields";
    return arc;
  }
  if (!malformed.empty()) return Fail(std::move(arc), "malformed ARC set: " + malformed);
  const int n = slots.rbegin()->first;
  for (int j = 1; j <= n; j++) {
    auto it = slots.find(j);
    auto count = [&](std::vector<size_t> Slot::*member) {
      return it == slots.end() ? size_t(0) : (it->second.*member).size();
    };
    size_t seals = count(&Slot::seal), messages = count(&Slot::message),
           results = count(&Slot::results);
    if (seals != 1 || messages != 1 || results != 1) {
      return Fail(std::move(arc), "ARC set i=" + std::to_string(j) +
                                      " must have exactly one of each field, has " +
                                      std::to_string(seals) + " ARC-Seal, " +
                                      std::to_string(messages) + " ARC-Message-Signature, " +
                                      std::to_string(results) + " ARC-Authentication-Results");
    }
  }

  arc.sets.resize(size_t(n));
  for (int j = n; j >= 1; j--) {
    ArcSetResult& set = arc.sets[size_t(j - 1)];
    set.instance = j;
    set.authentication_results = results_text[j];
    auto seal_tags = TagList::Parse(m.headers[slots[j].seal[0]].value);
    if (seal_tags.ok()) {
      if (const Tag* cv = seal_tags->Find("cv")) set.cv = std::string(cv->value);
    }
    set.message_signature = v->VerifySignature(slots[j].message[0], SignatureKind::kArcMessage);
    VerifySeal(v, slots, j, &set.seal);
  }

  // The decision, in the order of RFC 8617 §5.2.
  const std::string latest = "i=" + std::to_string(n);
  if (arc.sets.back().cv == "fail") {
    return Fail(std::move(arc), "the latest ARC-Seal (" + latest +
                                    ") records that the chain had already failed (cv=fail)");
  }
  for (const ArcSetResult& set : arc.sets) {
    const char* want = set.instance == 1 ? "none" : "pass";
    if (set.cv != want) {
      return Fail(std::move(arc), "ARC-Seal i=" + std::to_string(set.instance) +
                                      " has cv=" + set.cv + " where " + want + " is required");
    }
  }
  // A definite failure anywhere decides; a key that could not be fetched leaves it open.
  std::string unresolved;
  auto check = [&](const SignatureResult& r, const std::string& what) {
    if (r.result == Outcome::kPass) return true;
    std::string why = what + " does not verify: " + r.reason;
    if (r.result != Outcome::kTempError) {
      arc.result = Outcome::kFail;
      arc.reason = why;
      return false;
    }
    if (unresolved.empty()) unresolved = why;
    return true;
  };
  if (!check(arc.sets.back().message_signature,
             "the latest ARC-Message-Signature (" + latest + ")")) {
    return arc;
  }
  for (auto set = arc.sets.rbegin(); set != arc.sets.rend(); ++set) {
    if (!check(set->seal, "ARC-Seal i=" + std::to_string(set->instance))) return arc;
  }
  if (!unresolved.empty()) {
    arc.result = Outcome::kTempError;
    arc.reason = unresolved;
    return arc;
  }
  arc.result = Outcome::kPass;
  arc.reason = "ARC chain of " + std::to_string(n) + " set" + (n == 1 ? "" : "s") +
               " verified; last sealed by " + arc.sets.back().seal.d;
  return arc;
}

}  // namespace custodian::dkim::internal
