// Authenticity in the archive (docs/authenticity.md, "In the archive"): where verification gets
// its keys, and how a result and the key records it used are kept. Internal to src/archive.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "preserve/ledger.h"
#include "dkim/dkim.h"

namespace custodian {

// The key records the archive keeps (dkim_keys), every version of each name. A lookup answers
// with the preferred version of the name (Prefer), else the newest. Thread-safe.
class KeptKeys : public dkim::KeySource {
 public:
  static Result<std::unique_ptr<KeptKeys>> Load(catalog::Catalog* catalog);

  // Answer with these rows for their names (the versions a message was verified with).
  void Prefer(const std::vector<int64_t>& key_ids);
  // Records a row just kept, so later lookups and KeyId see it.
  void Note(const catalog::DkimKeyRow& row);
  // The row holding exactly this record, if kept.
  std::optional<int64_t> KeyId(const std::string& name, const std::string& record) const;
  size_t size() const;

  dkim::KeyLookup Lookup(std::string_view selector, std::string_view domain) override;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::vector<catalog::DkimKeyRow>> by_name_;  // oldest first
  std::map<std::string, int64_t> preferred_;
};

// Remembers every answer of another source (one DNS lookup per name per run). Thread-safe.
class CachingKeySource : public dkim::KeySource {
 public:
  explicit CachingKeySource(std::unique_ptr<dkim::KeySource> inner) : inner_(std::move(inner)) {}
  dkim::KeyLookup Lookup(std::string_view selector, std::string_view domain) override;

 private:
  std::unique_ptr<dkim::KeySource> inner_;
  std::mutex mu_;
  std::map<std::string, dkim::KeyLookup> answers_;
};

// The key sources of one run, in the order they are asked: a key file, the kept keys, DNS.
struct KeySources {
  std::unique_ptr<dkim::MemoryKeySource> file;
  std::unique_ptr<KeptKeys> kept;
  std::unique_ptr<CachingKeySource> dns;
  std::unique_ptr<dkim::FallbackKeySource> all;

  // `key_file` may be empty; `dns` loads libunbound (an error if it cannot).
  static Result<std::unique_ptr<KeySources>> Open(catalog::Catalog* catalog, const std::string& key_file, bool dns);
};

// False when the header has no DKIM-Signature or ARC field at the start of a line, so there is
// nothing to verify: most archived mail is unsigned, and this scan costs far less than parsing
// the header for the verifier. Headers over kMaxScannedHeader are left to the verifier.
inline constexpr size_t kMaxScannedHeader = 1 << 20;
bool MayBeSigned(std::string_view raw);

// DKIM and ARC for one message's stored bytes.
dkim::Verification CheckAuthenticity(std::string_view raw, dkim::KeySource* keys, int64_t as_of);

// Keeps the key records `v` used (in `kept` too) and appends its result for message `msg` (whose
// digest is `id`), in the caller's transaction. The one place a verification result enters the
// archive. A signed message's result is also a ledger record (type 11, docs/ledger-format.md)
// that carries the SHA-256 of the stored report; unsigned mail ("none", which no key can
// change) adds none. With `implicit_none` (import: the message is after meta.dkim_checked_from),
// an unsigned result is not stored at all and returns 0.
Result<int64_t> RecordAuthenticity(catalog::Catalog* catalog, preserve::Ledger* ledger, KeptKeys* kept, int64_t msg,
                                   const Sha256& id, const dkim::Verification& v, int64_t as_of,
                                   bool implicit_none);

// The detail of a DKIM result's ledger record: "arc=R report=sha256:H" and, per signature,
// "; d=D s=S a=A result=R body=B key=F".
std::string DkimLedgerDetail(const catalog::DkimResultRow& r);

// True when two verifications would be stored alike (verdicts, ARC and every signature's
// result, body hash and reason): --rescan adds a row only when the result changed.
bool SameOutcome(const dkim::Verification& v, const catalog::DkimResultRow& stored);

}  // namespace custodian
