// Where DKIM public key records come from: live DNS (libunbound), a key file for offline work,
// or records kept in the archive (in memory). Every answer says when and where it was obtained
// so that it can be kept with the message and shown in a report.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "custodian/status.h"

namespace custodian::dkim {

enum class Dnssec {
  kUnknown,   // no validation was possible (no trust anchor, or not from DNS)
  kSecure,    // the answer validated up to the root trust anchor
  kInsecure,  // validation ran, but the zone is not signed
  kBogus,     // validation failed: the answer cannot be trusted
};
const char* DnssecName(Dnssec d);

struct KeyLookup {
  enum class Outcome {
    kFound,           // `record` holds the TXT record
    kTemporaryError,  // could not be answered now (network, timeout, SERVFAIL, not kept)
    kPermanentError,  // the domain publishes no such record (NXDOMAIN, no TXT record)
  };
  Outcome outcome = Outcome::kTemporaryError;
  std::string name;        // selector._domainkey.domain, lower case
  std::string record;      // the TXT record as fetched, its strings concatenated
  std::string error;       // why there is no record (outcomes other than kFound)
  int64_t fetched_at = 0;  // seconds since the epoch; 0 when unknown
  std::string source;      // e.g. "dns (system resolver)", "key file keys.txt line 12"
  Dnssec dnssec = Dnssec::kUnknown;
};
const char* LookupOutcomeName(KeyLookup::Outcome o);

// The DNS name a key record lives at: "<selector>._domainkey.<domain>", lower case.
std::string KeyRecordName(std::string_view selector, std::string_view domain);

class KeySource {
 public:
  virtual ~KeySource() = default;
  // REQUIRES: selector and domain are valid DNS names (the verifier checks them first).
  virtual KeyLookup Lookup(std::string_view selector, std::string_view domain) = 0;
};

// Records held in memory, e.g. those kept in the archive for a message. A name that was not
// added is a temporary error ("not kept"), unless `authoritative`: then it is answered as DNS
// would answer a name that does not exist (a permanent error).
class MemoryKeySource : public KeySource {
 public:
  explicit MemoryKeySource(bool authoritative = false) : authoritative_(authoritative) {}
  // Adds (or replaces) the answer for lookup.name.
  void Add(KeyLookup lookup);
  // Shorthand: a found record for `name` ("selector._domainkey.domain").
  void AddRecord(std::string_view name, std::string_view record, std::string source = "memory");
  bool Has(std::string_view name) const;
  size_t size() const { return answers_.size(); }
  KeyLookup Lookup(std::string_view selector, std::string_view domain) override;

 private:
  bool authoritative_;
  std::map<std::string, KeyLookup> answers_;
};

inline constexpr size_t kMaxKeyFileBytes = 64 * 1024 * 1024;
inline constexpr size_t kMaxKeyFileLineBytes = 64 * 1024;
inline constexpr size_t kMaxKeyFileEntries = 1000000;

// A key file: one record a line, "selector._domainkey.domain  TXT-record" (docs/authenticity.md).
// The record is the rest of the line, or a sequence of "quoted strings" as in a zone file;
// "NXDOMAIN" records that the name did not exist, "~~reason~~" a temporary failure. Blank lines
// and lines starting with '#' are ignored. A name listed twice is an error. `source_name`
// appears in every answer ("key file NAME line N"). Names not in the file are temporary errors.
Result<std::unique_ptr<MemoryKeySource>> ParseKeyFile(std::string_view text,
                                                      std::string_view source_name);
Result<std::unique_ptr<MemoryKeySource>> LoadKeyFile(const std::string& path);

// Asks each source in turn: the first record found wins; otherwise the first permanent error;
// otherwise the last temporary one. Sources are not owned and must outlive this one.
class FallbackKeySource : public KeySource {
 public:
  explicit FallbackKeySource(std::vector<KeySource*> sources) : sources_(std::move(sources)) {}
  KeyLookup Lookup(std::string_view selector, std::string_view domain) override;

 private:
  std::vector<KeySource*> sources_;
};

struct DnsOptions {
  // "" uses the system's resolvers (/etc/resolv.conf); otherwise a resolver address such as
  // "9.9.9.9" or "127.0.0.1@5353".
  std::string resolver;
  // DNSSEC trust anchor (Debian's dns-root-data); validation is skipped when the file is absent.
  std::string trust_anchor_file = "/usr/share/dns/root.key";
  int timeout_ms = 5000;
};

// Live DNS through libunbound. Lookups are serialized; a lookup that gets no answer within the
// timeout is a temporary error. Fails only if libunbound cannot be set up.
Result<std::unique_ptr<KeySource>> NewDnsKeySource(const DnsOptions& options = {});

}  // namespace custodian::dkim
