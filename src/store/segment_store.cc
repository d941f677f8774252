#include "store/segment_store.h"

#include <cstdio>

#include "store/block.h"

namespace custodian::store {

std::string LocalSegmentStore::SegmentPath(uint64_t segment) const {
  char name[32];
  std::snprintf(name, sizeof name, "%08llu.seg", static_cast<unsigned long long>(segment));
  return JoinPath(dir_, name);
}

Result<std::unique_ptr<LocalSegmentStore>> LocalSegmentStore::Open(Env* env, const std::string& dir,
                                                                   const SegmentState& active,
                                                                   bool read_only,
                                                                   uint64_t segment_limit) {
  std::unique_ptr<LocalSegmentStore> s(new LocalSegmentStore(env, dir, segment_limit));
  s->active_ = active.segment;
  if (read_only) return s;
  CUSTODIAN_RETURN_IF_ERROR(env->CreateDir(dir));
  // Remove segment files newer than the catalog knows: they were started by an uncommitted batch.
  CUSTODIAN_ASSIGN_OR_RETURN(auto names, env->ListDir(dir));
  for (const auto& n : names) {
    unsigned long long num = 0;
    if (std::sscanf(n.c_str(), "%llu.seg", &num) == 1 && num > active.segment &&
        n == s->SegmentPath(num).substr(dir.size() + 1)) {
      CUSTODIAN_RETURN_IF_ERROR(env->RemoveFile(JoinPath(dir, n)));
    }
  }
  if (active.segment == 0 || active.sealed) {
    CUSTODIAN_RETURN_IF_ERROR(s->StartSegment(active.segment + 1));
    return s;
  }
  std::string path = s->SegmentPath(active.segment);
  CUSTODIAN_ASSIGN_OR_RETURN(uint64_t size, env->FileSize(path));
  if (size < active.committed_length)
    return Status::Corruption("segment " + path + " is shorter (" + std::to_string(size) +
                              " bytes) than its committed length " +
                              std::to_string(active.committed_length));
  if (size > active.committed_length) CUSTODIAN_RETURN_IF_ERROR(env->Truncate(path, active.committed_length));
  CUSTODIAN_ASSIGN_OR_RETURN(s->writer_, env->OpenAppendable(path));
  return s;
}

Status LocalSegmentStore::StartSegment(uint64_t number) {
  std::string path = SegmentPath(number);
  if (env_->Exists(path)) CUSTODIAN_RETURN_IF_ERROR(env_->RemoveFile(path));
  CUSTODIAN_ASSIGN_OR_RETURN(writer_, env_->OpenAppendable(path));
  CUSTODIAN_RETURN_IF_ERROR(writer_->Append(EncodeSegmentHeader(number)));
  active_ = number;
  dirty_.push_back({number, writer_->Size(), false});
  return env_->SyncDir(dir_);
}

Result<BlockLocation> LocalSegmentStore::Append(std::string_view record) {
  if (!writer_) return Status::Internal("segment store opened read-only");
  // A full segment is sealed (made durable) and the next one started.
  if (writer_->Size() + record.size() > limit_) CUSTODIAN_RETURN_IF_ERROR(SealActive());
  BlockLocation loc{active_, writer_->Size(), uint32_t(record.size())};
  CUSTODIAN_RETURN_IF_ERROR(writer_->Append(record));
  if (dirty_.empty() || dirty_.back().segment != active_) dirty_.push_back({active_, 0, false});
  dirty_.back().committed_length = writer_->Size();
  return loc;
}

Status LocalSegmentStore::SealActive() {
  if (!writer_) return Status::Internal("segment store opened read-only");
  if (writer_->Size() <= kSegmentHeaderSize) return Status::Ok();  // empty: nothing to seal
  CUSTODIAN_RETURN_IF_ERROR(writer_->Sync());
  uint64_t sealed_size = writer_->Size();
  CUSTODIAN_RETURN_IF_ERROR(writer_->Close());
  if (dirty_.empty() || dirty_.back().segment != active_) dirty_.push_back({active_, 0, false});
  dirty_.back().committed_length = sealed_size;
  dirty_.back().sealed = true;
  return StartSegment(active_ + 1);
}

Status LocalSegmentStore::RemoveSegment(uint64_t segment) {
  if (segment == active_) return Status::Internal("cannot remove the active segment");
  {
    std::lock_guard<std::mutex> lock(readers_mu_);
    readers_.erase(segment);
  }
  std::string path = SegmentPath(segment);
  if (env_->Exists(path)) CUSTODIAN_RETURN_IF_ERROR(env_->RemoveFile(path));
  return env_->SyncDir(dir_);
}

Result<std::vector<SegmentState>> LocalSegmentStore::Sync() {
  if (writer_) CUSTODIAN_RETURN_IF_ERROR(writer_->Sync());
  std::vector<SegmentState> out;
  out.swap(dirty_);
  return out;
}

Result<std::string> LocalSegmentStore::Read(const BlockLocation& loc) const {
  const RandomAccessFile* f;
  {
    std::lock_guard<std::mutex> lock(readers_mu_);
    auto& slot = readers_[loc.segment];
    if (!slot) {
      CUSTODIAN_ASSIGN_OR_RETURN(slot, env_->OpenRead(SegmentPath(loc.segment)));
    }
    f = slot.get();
  }
  std::string out;
  CUSTODIAN_RETURN_IF_ERROR(f->Read(loc.offset, loc.length, &out));
  if (out.size() != loc.length)
    return Status::Corruption("segment " + SegmentPath(loc.segment) + " is truncated: block at offset " +
                              std::to_string(loc.offset) + " is missing " +
                              std::to_string(loc.length - out.size()) + " bytes");
  return out;
}

Result<uint64_t> LocalSegmentStore::SegmentSize(uint64_t segment) const {
  return env_->FileSize(SegmentPath(segment));
}

}  // namespace custodian::store
