#include "ledger/record.h"

#include <ctime>

#include "util/varint.h"

namespace custodian::ledger {
namespace {

// The fields each type carries, in encoding order after the common header.
enum Field : uint16_t {
  kMessage = 1 << 0,
  kSize = 1 << 1,
  kCustodian = 1 << 2,
  kFolder = 1 << 3,
  kDeletedFlag = 1 << 4,
  kName = 1 << 5,
  kQuery = 1 << 6,
  kKeepDays = 1 << 7,
  kFrom = 1 << 8,
  kTo = 1 << 9,
  kReason = 1 << 10,
  kDetail = 1 << 11,
};

std::optional<uint16_t> FieldsOf(RecordType t) {
  switch (t) {
    case RecordType::kMessageStored:
      return kMessage | kSize | kCustodian | kFolder | kDeletedFlag;
    case RecordType::kCopyAdded:
      return kMessage | kCustodian | kFolder | kDeletedFlag;
    case RecordType::kDeleted:
    case RecordType::kRecovered:
      return kMessage | kCustodian | kReason;
    case RecordType::kHoldPlaced:
      return kName | kQuery | kCustodian | kFrom | kTo | kReason;
    case RecordType::kHoldReleased:
      return kName | kReason;
    case RecordType::kRetentionSet:
      return kName | kQuery | kKeepDays | kReason;
    case RecordType::kRetentionRemoved:
      return kName | kReason;
    case RecordType::kDisposed:
      return kMessage | kSize | kName | kReason;
    case RecordType::kAudit:
      return kName | kDetail;
    case RecordType::kDkimResult:
      return kMessage | kName | kReason | kDetail;
  }
  return std::nullopt;
}

uint64_t ZigZag(int64_t v) { return (uint64_t(v) << 1) ^ uint64_t(v >> 63); }
int64_t UnZigZag(uint64_t v) { return int64_t(v >> 1) ^ -int64_t(v & 1); }

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool done() const { return pos_ == in_.size(); }
  size_t pos() const { return pos_; }

  Result<uint8_t> Byte(const char* what) {
    if (pos_ >= in_.size()) return Truncated(what);
    return uint8_t(in_[pos_++]);
  }
  // LEB128, minimal: no trailing zero group, at most 10 bytes, fits 64 bits.
  Result<uint64_t> Varint(const char* what) {
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (pos_ >= in_.size()) return Truncated(what);
      auto b = uint8_t(in_[pos_++]);
      if (shift == 63 && b > 1)
        return Status::InvalidArgument(std::string(what) + ": number over 64 bits");
      v |= uint64_t(b & 0x7F) << shift;
      if (!(b & 0x80)) {
        if (b == 0 && shift > 0)
          return Status::InvalidArgument(std::string(what) + ": number not in its shortest form");
        return v;
      }
    }
    return Status::InvalidArgument(std::string(what) + ": number over 64 bits");
  }
  Result<std::string> String(const char* what) {
    CUSTODIAN_ASSIGN_OR_RETURN(uint64_t n, Varint(what));
    if (n > kMaxRecordString)
      return Status::LimitExceeded(std::string(what) + ": " + std::to_string(n) +
                                   " bytes, over the limit of " + std::to_string(kMaxRecordString));
    if (n > in_.size() - pos_) return Truncated(what);
    std::string s(in_.substr(pos_, size_t(n)));
    pos_ += size_t(n);
    return s;
  }
  Result<Sha256> Digest(const char* what) {
    if (in_.size() - pos_ < 32) return Truncated(what);
    Sha256 d;
    for (auto& b : d) b = uint8_t(in_[pos_++]);
    return d;
  }
  Result<std::optional<int64_t>> OptionalInt(const char* what) {
    CUSTODIAN_ASSIGN_OR_RETURN(uint8_t present, Byte(what));
    if (present > 1)
      return Status::InvalidArgument(std::string(what) + ": presence flag is not 0 or 1");
    if (!present) return std::optional<int64_t>();
    CUSTODIAN_ASSIGN_OR_RETURN(uint64_t v, Varint(what));
    return std::optional<int64_t>(UnZigZag(v));
  }

 private:
  Status Truncated(const char* what) {
    return Status::InvalidArgument(std::string("record ends inside ") + what);
  }
  std::string_view in_;
  size_t pos_ = 0;
};

}  // namespace

Result<std::string> EncodeRecord(const Record& r) {
  auto fields = FieldsOf(r.type);
  if (!fields)
    return Status::InvalidArgument("cannot encode a record of type " + std::to_string(int(r.type)));
  uint16_t f = *fields;
  for (const std::string* s :
       {&r.actor, &r.custodian, &r.folder, &r.name, &r.query, &r.reason, &r.detail})
    if (s->size() > kMaxRecordString)
      return Status::InvalidArgument("a record field is over 64 KiB");
  std::string out;
  out.push_back(char(kRecordVersion));
  out.push_back(char(r.type));
  PutVarint(&out, r.time_ms);
  auto put_string = [&](const std::string& s) {
    PutVarint(&out, s.size());
    out += s;
  };
  auto put_optional = [&](const std::optional<int64_t>& v) {
    out.push_back(char(v ? 1 : 0));
    if (v) PutVarint(&out, ZigZag(*v));
  };
  put_string(r.actor);
  if (f & kMessage) out.append(reinterpret_cast<const char*>(r.message.data()), r.message.size());
  if (f & kSize) PutVarint(&out, r.size);
  if (f & kName) put_string(r.name);
  if (f & kQuery) put_string(r.query);
  if (f & kCustodian) put_string(r.custodian);
  if (f & kFolder) put_string(r.folder);
  if (f & kDeletedFlag) out.push_back(char(r.deleted ? 1 : 0));
  if (f & kKeepDays) put_optional(r.keep_days);
  if (f & kFrom) put_optional(r.from);
  if (f & kTo) put_optional(r.to);
  if (f & kReason) put_string(r.reason);
  if (f & kDetail) put_string(r.detail);
  if (out.size() > kMaxRecordBytes) return Status::InvalidArgument("record is over 256 KiB");
  return out;
}

Result<Record> DecodeRecord(std::string_view bytes) {
  if (bytes.size() > kMaxRecordBytes)
    return Status::LimitExceeded("record of " + std::to_string(bytes.size()) +
                                 " bytes, over the limit of " + std::to_string(kMaxRecordBytes));
  Reader in(bytes);
  CUSTODIAN_ASSIGN_OR_RETURN(uint8_t version, in.Byte("version"));
  if (version != kRecordVersion)
    return Status::Unsupported("record version " + std::to_string(version) + " (this build reads " +
                               std::to_string(kRecordVersion) + ")");
  CUSTODIAN_ASSIGN_OR_RETURN(uint8_t type, in.Byte("type"));
  Record r;
  r.type = RecordType(type);
  auto fields = FieldsOf(r.type);
  if (!fields) return Status::Unsupported("unknown record type " + std::to_string(type));
  uint16_t f = *fields;
  CUSTODIAN_ASSIGN_OR_RETURN(r.time_ms, in.Varint("time"));
  CUSTODIAN_ASSIGN_OR_RETURN(r.actor, in.String("actor"));
  if (f & kMessage) {
    CUSTODIAN_ASSIGN_OR_RETURN(r.message, in.Digest("message"));
  }
  if (f & kSize) {
    CUSTODIAN_ASSIGN_OR_RETURN(r.size, in.Varint("size"));
  }
  if (f & kName) {
    CUSTODIAN_ASSIGN_OR_RETURN(r.name, in.String("name"));
  }
  if (f & kQuery) {
    CUSTODIAN_ASSIGN_OR_RETURN(r.query, in.String("query"));
  }
  if (f & kCustodian) {
    CUSTODIAN_ASSIGN_OR_RETURN(r.custodian, in.String("custodian"));
  }
  if (f & kFolder) {
    CUSTODIAN_ASSIGN_OR_RETURN(r.folder, in.String("folder"));
  }
  if (f & kDeletedFlag) {
    CUSTODIAN_ASSIGN_OR_RETURN(uint8_t d, in.Byte("deleted flag"));
    if (d > 1) return Status::InvalidArgument("deleted flag is not 0 or 1");
    r.deleted = d == 1;
  }
  if (f & kKeepDays) {
    CUSTODIAN_ASSIGN_OR_RETURN(r.keep_days, in.OptionalInt("keep days"));
  }
  if (f & kFrom) {
    CUSTODIAN_ASSIGN_OR_RETURN(r.from, in.OptionalInt("from date"));
  }
  if (f & kTo) {
    CUSTODIAN_ASSIGN_OR_RETURN(r.to, in.OptionalInt("to date"));
  }
  if (f & kReason) {
    CUSTODIAN_ASSIGN_OR_RETURN(r.reason, in.String("reason"));
  }
  if (f & kDetail) {
    CUSTODIAN_ASSIGN_OR_RETURN(r.detail, in.String("detail"));
  }
  if (!in.done())
    return Status::InvalidArgument(std::to_string(bytes.size() - in.pos()) +
                                   " bytes follow the end of the record");
  return r;
}

std::string RecordTypeName(RecordType t) {
  switch (t) {
    case RecordType::kMessageStored:
      return "message stored";
    case RecordType::kCopyAdded:
      return "copy added";
    case RecordType::kDeleted:
      return "deleted";
    case RecordType::kRecovered:
      return "recovered";
    case RecordType::kHoldPlaced:
      return "hold placed";
    case RecordType::kHoldReleased:
      return "hold released";
    case RecordType::kRetentionSet:
      return "retention set";
    case RecordType::kRetentionRemoved:
      return "retention removed";
    case RecordType::kDisposed:
      return "disposed";
    case RecordType::kAudit:
      return "audit";
    case RecordType::kDkimResult:
      return "dkim result";
  }
  return "type " + std::to_string(int(t));
}

std::string DescribeRecord(const Record& r) {
  time_t t = time_t(r.time_ms / 1000);
  struct tm tm;
  gmtime_r(&t, &tm);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  std::string s =
      std::string(when) + " " + (r.actor.empty() ? "-" : r.actor) + " " + RecordTypeName(r.type);
  auto fields = FieldsOf(r.type).value_or(0);
  if (fields & kName) s += " '" + r.name + "'";
  if (fields & kMessage) s += " " + ToHex(r.message);
  if ((fields & kCustodian) && !r.custodian.empty()) s += " custodian " + r.custodian;
  if (fields & kFolder) s += " folder " + r.folder;
  if (fields & kQuery) s += " query " + r.query;
  if (fields & kKeepDays)
    s += r.keep_days ? " keep " + std::to_string(*r.keep_days) + "d" : " keep permanent";
  if (!r.reason.empty()) s += ": " + r.reason;
  if (!r.detail.empty()) s += ": " + r.detail;
  return s;
}

}  // namespace custodian::ledger
