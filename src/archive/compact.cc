// Compaction: segments that hold retired blocks (shredded by disposal, or texts replaced by a
// rebuilt index) are rewritten. Their live block records are copied verbatim to the newest
// segment (a record does not depend on where it lies: its authenticated header names its block,
// not its offset), the retired blocks' rows go (with any seed they kept), and the old files are
// deleted once the catalog no longer refers to them.
//
// Crash safety: until the transaction commits, the copies are bytes past the committed length
// and are dropped at the next open. The commit also lists the old segments in meta
// "segments_to_remove"; their files are deleted after it, or by the next writer if a crash came
// first.

#include <cstdlib>
#include <set>

#include "archive/archive_impl.h"
#include "ledger/record.h"
#include "util/text.h"

namespace custodian {
namespace {
constexpr char kPendingRemoval[] = "segments_to_remove";
}

Status ArchiveImpl::RemoveCompactedSegments() {
  auto pending = catalog_->GetMeta(kPendingRemoval);
  if (!pending.ok())
    return pending.status().code() == Status::Code::kNotFound ? Status::Ok() : pending.status();
  if (pending->empty()) return Status::Ok();
  CUSTODIAN_ASSIGN_OR_RETURN(auto segs, catalog_->Segments());
  std::set<uint64_t> known;
  for (const auto& s : segs) known.insert(s.segment);
  for (const auto& n : Split(*pending, ',')) {
    uint64_t seg = std::strtoull(n.c_str(), nullptr, 10);
    if (seg == 0 || known.count(seg)) continue;  // never a segment the catalog still uses
    CUSTODIAN_RETURN_IF_ERROR(segments_->RemoveSegment(seg));
  }
  CUSTODIAN_RETURN_IF_ERROR(catalog_->Begin());
  Status st = catalog_->SetMeta(kPendingRemoval, "");
  if (st.ok()) return catalog_->Commit();
  (void)catalog_->Rollback();
  return st;
}

Result<uint64_t> ArchiveImpl::Compact(const Attribution& who) {
  CUSTODIAN_ASSIGN_OR_RETURN(std::vector<uint64_t> victims, catalog_->SegmentsWithRetiredBlocks());
  if (victims.empty()) return uint64_t(0);
  std::set<uint64_t> victim_set(victims.begin(), victims.end());
  uint64_t reclaimed = 0, moved = 0;
  cached_block_.reset();
  Status st = InTransaction([&]() -> Status {
    CUSTODIAN_ASSIGN_OR_RETURN(store::SegmentState active, catalog_->ActiveSegment());
    if (victim_set.count(active.segment)) CUSTODIAN_RETURN_IF_ERROR(segments_->SealActive());
    std::vector<catalog::BlockRow> blocks;
    CUSTODIAN_RETURN_IF_ERROR(catalog_->ForEachBlock([&](const catalog::BlockRow& b) {
      if (victim_set.count(b.loc.segment)) blocks.push_back(b);
      return Status::Ok();
    }));
    for (const auto& b : blocks) {
      if (b.kind == catalog::BlockKind::kRetired) {
        reclaimed += b.loc.length;
        CUSTODIAN_RETURN_IF_ERROR(catalog_->DeleteBlock(b.block_id));
        continue;
      }
      CUSTODIAN_ASSIGN_OR_RETURN(std::string rec, segments_->Read(b.loc));
      if (!store::BlockCrcMatches(rec))
        return Status::Corruption("block " + std::to_string(b.block_id) +
                                  " is damaged; not compacting its segment"
                                  " (run `custodian verify`)");
      CUSTODIAN_ASSIGN_OR_RETURN(store::BlockLocation loc, segments_->Append(rec));
      CUSTODIAN_RETURN_IF_ERROR(catalog_->MoveBlock(b.block_id, loc));
      moved += b.loc.length;
    }
    // The sealing of a victim is among the states Sync reports: record them, then drop victims.
    CUSTODIAN_ASSIGN_OR_RETURN(auto seg_states, segments_->Sync());
    for (const auto& s : seg_states) CUSTODIAN_RETURN_IF_ERROR(catalog_->SetSegment(s));
    for (uint64_t v : victims) CUSTODIAN_RETURN_IF_ERROR(catalog_->RemoveSegment(v));
    std::string list;
    for (uint64_t v : victims) list += (list.empty() ? "" : ",") + std::to_string(v);
    CUSTODIAN_RETURN_IF_ERROR(catalog_->SetMeta(kPendingRemoval, list));
    ledger::Record r;
    r.type = ledger::RecordType::kAudit;
    r.time_ms = NowMs();
    r.actor = who.actor;
    r.name = "compaction";
    r.detail = "segments " + list + " rewritten: " + std::to_string(reclaimed) +
               " bytes of retired blocks reclaimed, " + std::to_string(moved) +
               " bytes of live blocks moved";
    return ledger_->Append(r).status();
  });
  CUSTODIAN_RETURN_IF_ERROR(st);
  CUSTODIAN_RETURN_IF_ERROR(RemoveCompactedSegments());
  return reclaimed;
}

}  // namespace custodian
