// Ledger records: the canonical bytes of one event, which are the data of one Merkle leaf
// (docs/ledger-format.md, "Records"). Pure encoding; what the events mean to an archive is the
// archive's business. Decoding reads untrusted bytes (a tampered catalog, a fuzzer) and has limits.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "custodian/status.h"
#include "util/digest.h"

namespace custodian::ledger {

inline constexpr uint8_t kRecordVersion = 1;
inline constexpr size_t kMaxRecordBytes = 256 * 1024;
inline constexpr size_t kMaxRecordString = 64 * 1024;  // any one string field

enum class RecordType : uint8_t {
  kMessageStored =
      1,              // message, size, custodian, folder, deleted: a new message and its first copy
  kCopyAdded = 2,     // message, custodian, folder, deleted: another copy of a stored message
  kDeleted = 3,       // message, custodian, reason: the custodian's copies hidden
  kRecovered = 4,     // message, custodian, reason: the custodian's copies shown again
  kHoldPlaced = 5,    // name (matter), query, custodian, from, to, reason
  kHoldReleased = 6,  // name (matter), reason
  kRetentionSet = 7,  // name, query, keep_days (absent: permanent), reason
  kRetentionRemoved = 8,  // name, reason
  kDisposed = 9,          // message, size, name (policy), reason: content destroyed for good
  kAudit = 10,            // name (action), detail: events of the server (logins, reads, exports)
  kDkimResult = 11,       // message, name (verdict), reason, detail (ARC, report digest, signatures)
};

// One event. Fields not used by its type are empty and are not encoded.
struct Record {
  RecordType type = RecordType::kAudit;
  uint64_t time_ms = 0;  // when it happened, milliseconds since 1970-01-01T00:00:00Z
  std::string actor;     // who: an account or OS user name
  Sha256 message{};
  uint64_t size = 0;
  std::string custodian, folder;
  bool deleted = false;
  std::string name;
  std::string query;
  std::optional<int64_t> keep_days;  // retention: none = permanent
  std::optional<int64_t> from, to;   // hold: message dates, seconds since the epoch
  std::string reason;
  std::string detail;

  friend bool operator==(const Record&, const Record&) = default;
};

// The canonical bytes of a record. Fails (InvalidArgument) for a type it cannot encode or a
// string over the limits.
Result<std::string> EncodeRecord(const Record& r);
// Strict inverse of EncodeRecord: InvalidArgument for malformed or non-canonical bytes,
// LimitExceeded over the limits, Unsupported for an unknown version or a reserved type.
Result<Record> DecodeRecord(std::string_view bytes);

// "message stored", "hold placed", ...; "type N" for an unknown one.
std::string RecordTypeName(RecordType t);
// One line for people: "2026-11-27T03:48:51Z alice deleted 3f2a… for bob: reason".
std::string DescribeRecord(const Record& r);

}  // namespace custodian::ledger
