#include "archive/authenticity.h"

#include <algorithm>
#include <ctime>

#include "util/text.h"

namespace custodian {
namespace {

dkim::Dnssec DnssecFromName(std::string_view s) {
  if (s == "secure") return dkim::Dnssec::kSecure;
  if (s == "insecure") return dkim::Dnssec::kInsecure;
  if (s == "bogus") return dkim::Dnssec::kBogus;
  return dkim::Dnssec::kUnknown;
}

std::string Day(int64_t t) {
  time_t tt = time_t(t);
  struct tm tm;
  gmtime_r(&tt, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

dkim::KeyLookup FromRow(const catalog::DkimKeyRow& row) {
  dkim::KeyLookup k;
  k.outcome = dkim::KeyLookup::Outcome::kFound;
  k.name = row.name;
  k.record = row.record;
  k.fetched_at = row.fetched_at;
  k.source = row.source + ", kept in the archive since " + Day(row.kept_at);
  k.dnssec = DnssecFromName(row.dnssec);
  return k;
}

// The source as first recorded: a kept key answers with its original source plus a suffix.
std::string OriginalSource(const std::string& source) {
  size_t p = source.find(", kept in the archive since ");
  return p == std::string::npos ? source : source.substr(0, p);
}

}  // namespace

Result<std::unique_ptr<KeptKeys>> KeptKeys::Load(catalog::Catalog* catalog) {
  auto kept = std::make_unique<KeptKeys>();
  CUSTODIAN_RETURN_IF_ERROR(catalog->ForEachDkimKey([&](const catalog::DkimKeyRow& row) {
    kept->by_name_[row.name].push_back(row);
    return Status::Ok();
  }));
  return kept;
}

void KeptKeys::Prefer(const std::vector<int64_t>& key_ids) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, rows] : by_name_)
    for (const auto& row : rows)
      for (int64_t id : key_ids)
        if (row.key_id == id) preferred_[name] = id;
}

void KeptKeys::Note(const catalog::DkimKeyRow& row) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& rows = by_name_[row.name];
  for (const auto& r : rows)
    if (r.key_id == row.key_id) return;
  rows.push_back(row);
}

std::optional<int64_t> KeptKeys::KeyId(const std::string& name, const std::string& record) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return std::nullopt;
  for (const auto& r : it->second)
    if (r.record == record) return r.key_id;
  return std::nullopt;
}

size_t KeptKeys::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const auto& [name, rows] : by_name_) n += rows.size();
  return n;
}

dkim::KeyLookup KeptKeys::Lookup(std::string_view selector, std::string_view domain) {
  std::string name = dkim::KeyRecordName(selector, domain);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_name_.find(name);
  if (it == by_name_.end() || it->second.empty()) {
    dkim::KeyLookup missing;
    missing.name = name;
    missing.outcome = dkim::KeyLookup::Outcome::kTemporaryError;
    missing.error = "no record kept in the archive for " + name;
    return missing;
  }
  if (auto p = preferred_.find(name); p != preferred_.end())
    for (const auto& row : it->second)
      if (row.key_id == p->second) return FromRow(row);
  return FromRow(it->second.back());
}

dkim::KeyLookup CachingKeySource::Lookup(std::string_view selector, std::string_view domain) {
  std::string name = dkim::KeyRecordName(selector, domain);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = answers_.find(name); it != answers_.end()) return it->second;
  }
  dkim::KeyLookup answer = inner_->Lookup(selector, domain);  // outside the lock: it may be slow
  std::lock_guard<std::mutex> lock(mu_);
  return answers_.emplace(name, std::move(answer)).first->second;
}

Result<std::unique_ptr<KeySources>> KeySources::Open(catalog::Catalog* catalog, const std::string& key_file,
                                                     bool dns) {
  auto s = std::make_unique<KeySources>();
  std::vector<dkim::KeySource*> order;
  if (!key_file.empty()) {
    auto file = dkim::LoadKeyFile(key_file);
    if (!file.ok()) {
      if (file.status().code() == Status::Code::kNotFound || file.status().code() == Status::Code::kIOError)
        return Status::NotFound("cannot read the key file " + key_file + ": " + file.status().message());
      return Status::InvalidArgument("key file " + file.status().message());
    }
    s->file = std::move(*file);
    order.push_back(s->file.get());
  }
  CUSTODIAN_ASSIGN_OR_RETURN(s->kept, KeptKeys::Load(catalog));
  order.push_back(s->kept.get());
  if (dns) {
    CUSTODIAN_ASSIGN_OR_RETURN(auto resolver, dkim::NewDnsKeySource());
    s->dns = std::make_unique<CachingKeySource>(std::move(resolver));
    order.push_back(s->dns.get());
  }
  s->all = std::make_unique<dkim::FallbackKeySource>(std::move(order));
  return s;
}

bool MayBeSigned(std::string_view raw) {
  size_t end = std::min(raw.find("\n\n"), raw.find("\n\r\n"));
  std::string_view header = raw.substr(0, end);
  if (header.size() > kMaxScannedHeader) return true;  // the verifier says what is wrong with it
  auto field_at = [&](size_t i, std::string_view lower_name) {
    if (header.size() - i < lower_name.size()) return false;
    for (size_t k = 0; k < lower_name.size(); k++)
      if ((header[i + k] | 0x20) != lower_name[k]) return false;
    return true;
  };
  // Over-matching (| 0x20 also folds a few non-letters) only costs a verification.
  for (size_t i = 0; i < header.size();) {
    if (field_at(i, "dkim-signature") || field_at(i, "arc-")) return true;
    size_t nl = header.find('\n', i);
    if (nl == std::string_view::npos) break;
    i = nl + 1;
  }
  return false;
}

dkim::Verification CheckAuthenticity(std::string_view raw, dkim::KeySource* keys, int64_t as_of) {
  if (!MayBeSigned(raw)) {  // what Verify says of such a message, without parsing it
    dkim::Verification none;
    none.verdict = dkim::Outcome::kNone;
    none.reason = "the message has no DKIM-Signature";
    none.arc.result = dkim::Outcome::kNone;
    none.arc.reason = "the message has no ARC header fields";
    return none;
  }
  dkim::VerifyOptions options;
  options.now = as_of;
  return dkim::Verify(raw, keys, options);
}

std::string DkimLedgerDetail(const catalog::DkimResultRow& r) {
  std::string out = "arc=" + r.arc + " report=sha256:" + ToHex(ComputeSha256(r.report));
  for (const auto& g : r.signatures)
    out += "; d=" + g.d + " s=" + g.s + " a=" + g.a + " result=" + g.result + " body=" + g.body_hash +
           " key=" + (g.key_fingerprint.empty() ? "-" : g.key_fingerprint);
  return out;
}

Result<int64_t> RecordAuthenticity(catalog::Catalog* catalog, preserve::Ledger* ledger, KeptKeys* kept, int64_t msg,
                                   const Sha256& id, const dkim::Verification& v, int64_t as_of, bool implicit_none) {
  int64_t now = int64_t(::time(nullptr));
  // Every record that was found is kept (also those of ARC seals): the evidence stays with
  // the archive, not in a key file beside it or in DNS.
  auto keep = [&](const dkim::SignatureResult& s) -> Result<std::optional<int64_t>> {
    const dkim::KeyLookup& k = s.key;
    if (k.outcome != dkim::KeyLookup::Outcome::kFound || k.name.empty()) return std::optional<int64_t>();
    if (auto id = kept->KeyId(k.name, k.record)) return id;
    catalog::DkimKeyRow row;
    row.name = ToLowerAscii(k.name);
    row.record = k.record;
    row.fetched_at = k.fetched_at;
    row.source = OriginalSource(k.source);
    row.dnssec = dkim::DnssecName(k.dnssec);
    row.kept_at = now;
    CUSTODIAN_ASSIGN_OR_RETURN(row.key_id, catalog->KeepDkimKey(row));
    kept->Note(row);
    return std::optional<int64_t>(row.key_id);
  };
  catalog::DkimResultRow r;
  r.msg = msg;
  r.verified_at = now;
  r.as_of = as_of;
  r.verdict = dkim::OutcomeName(v.verdict);
  r.arc = dkim::OutcomeName(v.arc.result);
  // Unsigned mail (most of an archive) keeps neither reason nor report: both say only "none".
  if (!v.signatures.empty() || v.arc.result != dkim::Outcome::kNone) {
    r.reason = v.reason;
    r.report = dkim::ToJson(v);
  }
  for (const auto& s : v.signatures) {
    catalog::DkimSignatureRow g;
    g.d = s.d;
    g.s = s.s;
    g.a = s.a;
    g.i = s.i;
    g.result = dkim::OutcomeName(s.result);
    g.body_hash = dkim::BodyHashName(s.body_hash);
    g.reason = s.reason;
    g.weak = s.weak;
    g.weak_reason = s.weak_reason;
    g.headers = s.headers_covered;
    if (s.body_length_limit) g.body_length_limit = int64_t(*s.body_length_limit);
    g.body_bytes_signed = s.body_bytes_signed;
    g.body_bytes_unsigned = s.body_bytes_unsigned;
    CUSTODIAN_ASSIGN_OR_RETURN(g.key_id, keep(s));
    g.key_fingerprint = s.key_fingerprint;
    r.signatures.push_back(std::move(g));
  }
  for (const auto& set : v.arc.sets) {
    CUSTODIAN_RETURN_IF_ERROR(keep(set.seal).status());
    CUSTODIAN_RETURN_IF_ERROR(keep(set.message_signature).status());
  }
  const bool is_unsigned = v.signatures.empty() && v.arc.result == dkim::Outcome::kNone &&
                           v.verdict == dkim::Outcome::kNone;
  // At import, unsigned mail (most of an archive) is stored as no row at all: a message from
  // meta.dkim_checked_from on without a row reads as "none" (catalog.h).
  if (is_unsigned && implicit_none) return int64_t(0);
  if (!is_unsigned) {
    ledger::Record rec;
    rec.type = ledger::RecordType::kDkimResult;
    rec.time_ms = uint64_t(now) * 1000;
    rec.actor = "custodian";
    rec.message = id;
    rec.name = r.verdict;
    rec.reason = r.reason.substr(0, ledger::kMaxRecordString);
    rec.detail = DkimLedgerDetail(r).substr(0, ledger::kMaxRecordString);
    CUSTODIAN_RETURN_IF_ERROR(ledger->Append(rec).status());
  }
  return catalog->AddDkimResult(r);
}

bool SameOutcome(const dkim::Verification& v, const catalog::DkimResultRow& stored) {
  if (stored.verdict != dkim::OutcomeName(v.verdict) || stored.arc != dkim::OutcomeName(v.arc.result) ||
      stored.signatures.size() != v.signatures.size())
    return false;
  for (size_t i = 0; i < v.signatures.size(); i++) {
    const auto& a = v.signatures[i];
    const auto& b = stored.signatures[i];
    if (b.result != dkim::OutcomeName(a.result) || b.body_hash != dkim::BodyHashName(a.body_hash) ||
        b.reason != a.reason || b.key_fingerprint != a.key_fingerprint)
      return false;
  }
  return true;
}

}  // namespace custodian
