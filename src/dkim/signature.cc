#include "dkim/signature.h"

#include <limits>

#include "dkim/tag_list.h"
#include "util/text.h"

namespace custodian::dkim {
namespace {

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// 1*max_digits DIGIT, as t=, x= and l= are defined.
std::optional<uint64_t> ParseNumber(std::string_view s, size_t max_digits) {
  if (!AllDigits(s) || s.size() > max_digits) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    uint64_t d = uint64_t(c - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) {
      v = std::numeric_limits<uint64_t>::max();  // l= may have 76 digits: saturate
      break;
    }
    v = v * 10 + d;
  }
  return v;
}

bool ParseCanonicalization(std::string_view value, ParsedSignature* sig) {
  auto one = [](std::string_view name, Canonicalization* c) {
    if (name == "simple")
      *c = Canonicalization::kSimple;
    else if (name == "relaxed")
      *c = Canonicalization::kRelaxed;
    else
      return false;
    return true;
  };
  size_t slash = value.find('/');
  if (slash == std::string_view::npos) {
    sig->body_canon = Canonicalization::kSimple;
    return one(value, &sig->header_canon);
  }
  return one(value.substr(0, slash), &sig->header_canon) &&
         one(value.substr(slash + 1), &sig->body_canon);
}

const char* FieldName(SignatureKind kind) {
  switch (kind) {
    case SignatureKind::kDkim:
      return "DKIM-Signature";
    case SignatureKind::kArcMessage:
      return "ARC-Message-Signature";
    case SignatureKind::kArcSeal:
      return "ARC-Seal";
  }
  return "";
}

}  // namespace

const char* AlgorithmName(Algorithm a) {
  switch (a) {
    case Algorithm::kRsaSha1:
      return "rsa-sha1";
    case Algorithm::kRsaSha256:
      return "rsa-sha256";
    case Algorithm::kEd25519Sha256:
      return "ed25519-sha256";
  }
  return "";
}

std::string_view AuidDomain(std::string_view auid) {
  size_t at = auid.rfind('@');
  return at == std::string_view::npos ? std::string_view() : auid.substr(at + 1);
}

std::string_view AuidLocalPart(std::string_view auid) {
  size_t at = auid.rfind('@');
  return at == std::string_view::npos ? auid : auid.substr(0, at);
}

bool IsSameOrSubdomain(std::string_view sub, std::string_view domain) {
  if (domain.empty() || sub.size() < domain.size()) return false;
  std::string_view tail = sub.substr(sub.size() - domain.size());
  if (!EqualsIgnoreCaseAscii(tail, domain)) return false;
  return sub.size() == domain.size() || sub[sub.size() - domain.size() - 1] == '.';
}

Status ParseSignature(std::string_view value, SignatureKind kind, ParsedSignature* out) {
  *out = ParsedSignature();
  out->kind = kind;
  const std::string field = FieldName(kind);
  auto parsed = TagList::Parse(value);
  if (!parsed.ok()) {
    return Status(parsed.status().code() == Status::Code::kLimitExceeded
                      ? Status::LimitExceeded(field + ": " + parsed.status().message())
                      : Status::InvalidArgument(field + ": " + parsed.status().message()));
  }
  const TagList& tags = *parsed;
  auto get = [&](const char* name) -> std::string {
    const Tag* t = tags.Find(name);
    return t ? std::string(t->value) : std::string();
  };
  out->a = get("a");
  out->d = get("d");
  out->s = get("s");
  out->i = get("i");
  out->c = get("c");
  out->h = get("h");
  out->cv = get("cv");

  // Every check runs so that *out is as complete as possible; the first problem is returned.
  Status first;
  auto fail = [&](const std::string& why) {
    if (first.ok()) first = Status::InvalidArgument(field + ": " + why);
  };
  auto require = [&](const char* name) {
    if (tags.Find(name) == nullptr) fail(std::string("missing required tag ") + name + "=");
  };
  const bool dkim = kind == SignatureKind::kDkim;
  const bool seal = kind == SignatureKind::kArcSeal;

  if (dkim) {
    require("v");
    if (const Tag* v = tags.Find("v"); v && v->value != "1") {
      fail("unsupported version v=" + std::string(v->value) + " (RFC 6376 defines only v=1)");
    }
  }
  require("a");
  if (const Tag* a = tags.Find("a")) {
    if (a->value == "rsa-sha256")
      out->algorithm = Algorithm::kRsaSha256;
    else if (a->value == "rsa-sha1")
      out->algorithm = Algorithm::kRsaSha1;
    else if (a->value == "ed25519-sha256")
      out->algorithm = Algorithm::kEd25519Sha256;
    else
      fail("unsupported algorithm a=" + std::string(a->value));
  }
  require("b");
  if (const Tag* b = tags.Find("b")) {
    out->b_value_begin = b->value_begin;
    out->b_value_end = b->value_end;
    auto decoded = DecodeBase64(b->value);
    if (!decoded)
      fail("b= is not valid base64");
    else if (decoded->empty())
      fail("b= is empty");
    else
      out->signature = std::move(*decoded);
  }
  if (!seal) {
    require("bh");
    if (const Tag* bh = tags.Find("bh")) {
      auto decoded = DecodeBase64(bh->value);
      if (!decoded)
        fail("bh= is not valid base64");
      else if (decoded->empty())
        fail("bh= is empty");
      else
        out->body_hash = std::move(*decoded);
    }
    if (const Tag* c = tags.Find("c")) {
      out->canonicalization_valid = ParseCanonicalization(c->value, out);
      if (!out->canonicalization_valid) fail("unknown canonicalization c=" + std::string(c->value));
    } else {
      out->canonicalization_valid = true;  // simple/simple
    }
  } else {
    // The seal has no c=: it is always computed over relaxed header fields (RFC 8617 §5.1.1).
    out->canonicalization_valid = true;
    out->header_canon = Canonicalization::kRelaxed;
    require("cv");
    if (const Tag* cv = tags.Find("cv");
        cv && cv->value != "none" && cv->value != "pass" && cv->value != "fail") {
      fail("unknown chain validation status cv=" + std::string(cv->value));
    }
    if (tags.Find("h") != nullptr) fail("an ARC-Seal must not have an h= tag");
  }
  require("d");
  if (const Tag* d = tags.Find("d")) {
    if (!IsValidDomainName(d->value))
      fail("d= is not a valid domain name");
    else
      out->domain = ToLowerAscii(d->value);
  }
  require("s");
  if (const Tag* s = tags.Find("s")) {
    if (!IsValidDomainName(s->value))
      fail("s= is not a valid selector");
    else
      out->selector = ToLowerAscii(s->value);
  }
  if (!seal) {
    require("h");
    if (const Tag* h = tags.Find("h")) {
      bool from = false;
      for (std::string_view name : SplitColonList(h->value)) {
        if (name.empty()) continue;  // "from::to": nothing to select (RFC 8617 test suite)
        if (out->signed_headers.size() == kMaxSignedHeaderNames) {
          if (first.ok()) {
            first = Status::LimitExceeded(field + ": h= lists more than " +
                                          std::to_string(kMaxSignedHeaderNames) + " fields");
          }
          break;
        }
        for (char c : name) {
          if (c < 0x21 || c > 0x7e) {
            fail("h= contains a malformed field name");
            break;
          }
        }
        from |= EqualsIgnoreCaseAscii(name, "from");
        if (kind == SignatureKind::kArcMessage && EqualsIgnoreCaseAscii(name, "arc-seal")) {
          fail("h= must not include ARC-Seal (RFC 8617 §4.1.2)");
        }
        out->signed_headers.emplace_back(name);
      }
      if (dkim && !from) fail("h= does not include From (RFC 6376 §5.4 requires it)");
    }
  }
  if (dkim) {
    if (const Tag* i = tags.Find("i")) {
      auto decoded = DecodeDkimQuotedPrintable(i->value);
      if (!decoded || decoded->find('@') == std::string::npos) {
        fail("i= is not a valid identity");
      } else {
        out->auid = std::move(*decoded);
        if (!out->domain.empty() && !IsSameOrSubdomain(AuidDomain(out->auid), out->domain)) {
          fail("i= domain '" + std::string(AuidDomain(out->auid)) + "' is not d=" + out->domain +
               " or a subdomain of it");
        }
      }
    } else if (!out->domain.empty()) {
      out->auid = "@" + out->domain;
    }
  } else {
    require("i");
    if (const Tag* i = tags.Find("i")) {
      auto n = ParseNumber(i->value, 2);
      if (!n || *n < 1 || *n > uint64_t(kMaxArcInstance) || i->value[0] == '0') {
        fail("instance i=" + std::string(i->value) + " is not a number from 1 to 50");
      } else {
        out->instance = int(*n);
      }
    }
  }
  if (!seal) {
    if (const Tag* l = tags.Find("l")) {
      out->body_length = ParseNumber(l->value, 76);
      if (!out->body_length) fail("l= is not a number");
    }
    if (const Tag* q = tags.Find("q")) {
      bool dns = false;
      for (std::string_view method : SplitColonList(q->value)) {
        dns |= EqualsIgnoreCaseAscii(method, "dns/txt");
      }
      if (!dns) fail("unsupported key query method q=" + std::string(q->value) + " (only dns/txt)");
    }
  }
  if (const Tag* t = tags.Find("t")) {
    auto n = ParseNumber(t->value, 12);
    if (!n)
      fail("t= is not a timestamp");
    else
      out->timestamp = int64_t(*n);
  }
  if (!seal) {
    if (const Tag* x = tags.Find("x")) {
      auto n = ParseNumber(x->value, 12);
      if (!n)
        fail("x= is not a timestamp");
      else
        out->expiration = int64_t(*n);
    }
    if (out->timestamp && out->expiration && *out->expiration <= *out->timestamp) {
      fail("x= (expiry) is not later than t= (signing time)");
    }
  }
  return first;
}

}  // namespace custodian::dkim
