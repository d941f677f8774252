// SegmentStore: where encoded block records live. The interface is narrow on purpose: the local
// implementation keeps append-only files under ARCHIVE/segments/, and a later one can put sealed
// segments in S3-compatible object storage with Object Lock.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "custodian/status.h"
#include "util/env.h"

namespace custodian::store {

struct BlockLocation {
  uint64_t segment = 0;
  uint64_t offset = 0;
  uint32_t length = 0;
};

// What the catalog must record (in the same transaction as the blocks) after Sync().
struct SegmentState {
  uint64_t segment = 0;
  uint64_t committed_length = 0;
  bool sealed = false;
};

class SegmentStore {
 public:
  virtual ~SegmentStore() = default;
  // Appends one record; not durable until Sync(). REQUIRES: a single writer.
  virtual Result<BlockLocation> Append(std::string_view record) = 0;
  // Makes every appended record durable. Returns the state of each segment written since the
  // previous Sync(), for the catalog to commit.
  virtual Result<std::vector<SegmentState>> Sync() = 0;
  // Reads exactly one record. Safe to call from several threads.
  virtual Result<std::string> Read(const BlockLocation& loc) const = 0;
  // The bytes of a whole segment (for verify), up to `length`.
  virtual Result<uint64_t> SegmentSize(uint64_t segment) const = 0;
};

class LocalSegmentStore : public SegmentStore {
 public:
  static constexpr uint64_t kDefaultSegmentLimit = 256ull << 20;

  // Opens ARCHIVE/segments. `active` is the newest segment the catalog knows (segment 0 if none):
  // bytes past its committed length, and any newer segment files, belong to a batch that never
  // committed and are removed.
  static Result<std::unique_ptr<LocalSegmentStore>> Open(Env* env, const std::string& dir,
                                                         const SegmentState& active,
                                                         bool read_only,
                                                         uint64_t segment_limit = kDefaultSegmentLimit);

  Result<BlockLocation> Append(std::string_view record) override;
  Result<std::vector<SegmentState>> Sync() override;
  Result<std::string> Read(const BlockLocation& loc) const override;
  Result<uint64_t> SegmentSize(uint64_t segment) const override;

  std::string SegmentPath(uint64_t segment) const;
  // Compaction. SealActive: the next Append starts a new segment (no-op if the active one holds
  // no record yet). RemoveSegment: deletes a segment file the catalog no longer refers to.
  Status SealActive();
  Status RemoveSegment(uint64_t segment);

 private:
  LocalSegmentStore(Env* env, std::string dir, uint64_t limit)
      : env_(env), dir_(std::move(dir)), limit_(limit) {}
  Status StartSegment(uint64_t number);

  Env* env_;
  std::string dir_;
  uint64_t limit_;
  uint64_t active_ = 0;
  std::unique_ptr<WritableFile> writer_;
  std::vector<SegmentState> dirty_;  // segments appended to since the last Sync
  mutable std::mutex readers_mu_;
  mutable std::map<uint64_t, std::unique_ptr<RandomAccessFile>> readers_;
};

}  // namespace custodian::store
