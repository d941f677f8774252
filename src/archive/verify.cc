// Verify: every segment, block and message the catalog knows is read back and checked — record
// checksums, authentication tags, each message's SHA-256 against its id — and every byte of every
// segment must belong to a block the catalog knows. Then the ledger (ledger.cc).

#include <map>

#include "archive/archive_impl.h"
#include "util/digest.h"

namespace custodian {

Result<VerifyReport> ArchiveImpl::Verify(const std::function<void(uint64_t, uint64_t)>& progress,
                                         const std::string& older_checkpoint) {
  VerifyReport rep;
  // One snapshot: the ledger and the rows it is compared with must be of the same moment.
  CUSTODIAN_RETURN_IF_ERROR(catalog_->BeginRead());
  struct EndRead {
    catalog::Catalog* c;
    ~EndRead() { (void)c->Commit(); }
  } end_read{catalog_.get()};
  CUSTODIAN_RETURN_IF_ERROR(VerifyLedger(&rep, older_checkpoint));
  CUSTODIAN_RETURN_IF_ERROR(LoadDictionaries());
  auto problem = [&](std::string what, std::string where, std::string detail) {
    rep.problems.push_back({std::move(what), std::move(where), std::move(detail)});
  };

  CUSTODIAN_ASSIGN_OR_RETURN(auto consistency, catalog_->CheckConsistency());
  for (auto& c : consistency) problem("catalog", "catalog.db", c);
  CUSTODIAN_ASSIGN_OR_RETURN(auto index_consistency, index_->CheckConsistency());
  for (auto& c : index_consistency) problem("index", "catalog.db", c);

  CUSTODIAN_ASSIGN_OR_RETURN(auto segs, catalog_->Segments());
  std::map<uint64_t, store::SegmentState> seg_by_id;
  for (const auto& s : segs) seg_by_id[s.segment] = s;
  for (const auto& s : segs) {
    rep.segments_checked++;
    std::string path = segments_->SegmentPath(s.segment);
    auto size = segments_->SegmentSize(s.segment);
    if (!size.ok()) {
      problem("segment", path, "missing: " + size.status().message());
      continue;
    }
    if (*size < s.committed_length) {
      problem("segment", path, "truncated: " + std::to_string(*size) + " bytes on disk, " +
                                   std::to_string(s.committed_length) + " committed");
    } else if (*size > s.committed_length && s.sealed) {
      problem("segment", path, std::to_string(*size - s.committed_length) +
                                   " bytes follow the end of this sealed segment");
    }
    auto hdr = segments_->Read({s.segment, 0, uint32_t(store::kSegmentHeaderSize)});
    if (!hdr.ok()) {
      problem("segment", path, hdr.status().message());
    } else if (Status st = store::CheckSegmentHeader(*hdr, s.segment); !st.ok()) {
      problem("segment", path + "@0", st.message());
    }
  }

  CUSTODIAN_ASSIGN_OR_RETURN(catalog::CatalogStats stats, catalog_->Stats());
  uint64_t total = stats.messages, done = 0;
  // Blocks in storage order: each must start where the previous ended, so that no record in a
  // segment goes unaccounted for (an added record, or a block row removed from the catalog).
  std::map<uint64_t, uint64_t> expected_next;  // segment -> offset where the next block must start
  for (const auto& s : segs) expected_next[s.segment] = store::kSegmentHeaderSize;
  Status st = catalog_->ForEachBlock([&](const catalog::BlockRow& b) -> Status {
    rep.blocks_checked++;
    std::string where = segments_->SegmentPath(b.loc.segment) + "@" + std::to_string(b.loc.offset);
    uint64_t& next = expected_next[b.loc.segment];
    if (b.loc.offset != next)
      problem("segment", segments_->SegmentPath(b.loc.segment) + "@" + std::to_string(next),
              b.loc.offset > next ? std::to_string(b.loc.offset - next) +
                                        " bytes hold no block the catalog knows (a block record missing from the catalog?)"
                                  : "block " + std::to_string(b.block_id) + " overlaps the previous block");
    next = b.loc.offset + b.loc.length;
    if (b.kind == catalog::BlockKind::kRetired) {
      // Nothing refers to it any more; its bytes are accounted for, its record must still be whole.
      auto rec = segments_->Read(b.loc);
      if (!rec.ok() || !store::BlockCrcMatches(*rec))
        problem("block", where, "retired block " + std::to_string(b.block_id) + " is damaged");
      return Status::Ok();
    }
    std::vector<catalog::MessageRow> rows;
    if (b.kind == catalog::BlockKind::kMessages) {
      CUSTODIAN_RETURN_IF_ERROR(catalog_->ForEachMessageInBlock(b.block_id, [&](const catalog::MessageRow& m) {
        rows.push_back(m);
        return Status::Ok();
      }));
    } else {
      // A text block: its entries are the index's texts, identified by their own SHA-256.
      CUSTODIAN_RETURN_IF_ERROR(index_->ForEachTextInBlock(b.block_id, [&](const index::TextRow& t) {
        catalog::MessageRow r;
        r.id = t.hash;
        r.slot = t.slot;
        r.size = t.size;
        rows.push_back(r);
        return Status::Ok();
      }));
    }
    const char* what = b.kind == catalog::BlockKind::kMessages ? "message" : "search text";
    auto report_rows = [&](const std::string& detail) {
      for (const auto& m : rows) problem(what, ToHex(m.id), detail);
      if (rows.empty()) problem("block", where, detail);
    };
    auto rec = segments_->Read(b.loc);
    if (!rec.ok()) {
      report_rows("unreadable: " + rec.status().message());
      if (b.kind == catalog::BlockKind::kMessages) done += rows.size();
      return Status::Ok();
    }
    auto decoded = store::DecodeBlock(*rec, keys_.BlockKey(b.seed), Dicts());
    if (!decoded.ok()) {
      report_rows("block " + std::to_string(b.block_id) + " at " + where + ": " + decoded.status().message());
      if (b.kind == catalog::BlockKind::kMessages) done += rows.size();
      return Status::Ok();
    }
    if (int64_t(decoded->block_id) != b.block_id)
      problem("block", where, "holds block " + std::to_string(decoded->block_id) + ", catalog expects " +
                                  std::to_string(b.block_id));
    if (decoded->ids.size() != b.count)
      problem("block", where, "holds " + std::to_string(decoded->ids.size()) + " messages, catalog says " +
                                  std::to_string(b.count));
    std::vector<bool> claimed(decoded->ids.size(), false);
    for (const auto& m : rows) {
      if (b.kind == catalog::BlockKind::kMessages) rep.messages_checked++;
      if (m.slot >= decoded->ids.size()) {
        problem(what, ToHex(m.id), "slot " + std::to_string(m.slot) + " is past the end of block " +
                                            std::to_string(b.block_id));
        continue;
      }
      claimed[m.slot] = true;
      std::string_view data = decoded->message(m.slot);
      if (decoded->ids[m.slot] != m.id)
        problem(what, ToHex(m.id), "block " + std::to_string(b.block_id) + " slot " + std::to_string(m.slot) +
                                            " holds message " + ToHex(decoded->ids[m.slot]) + " instead");
      else if (ComputeSha256(data) != m.id)
        problem(what, ToHex(m.id), "stored bytes do not match their SHA-256");
      else if (data.size() != m.size)
        problem(what, ToHex(m.id), "size in the catalog differs from the stored bytes");
    }
    for (size_t i = 0; i < claimed.size(); i++)
      if (!claimed[i])
        problem(what, ToHex(decoded->ids[i]), "stored in block " + std::to_string(b.block_id) +
                                                  " but missing from the catalog");
    if (b.kind == catalog::BlockKind::kMessages) done += rows.size();
    if (progress) progress(done, total);
    return Status::Ok();
  });
  CUSTODIAN_RETURN_IF_ERROR(st);
  for (const auto& [seg, next] : expected_next) {
    const auto& s = seg_by_id[seg];
    if (next < s.committed_length)
      problem("segment", segments_->SegmentPath(seg) + "@" + std::to_string(next),
              std::to_string(s.committed_length - next) +
                  " committed bytes at the end hold no block the catalog knows (a block record missing from the catalog?)");
  }
  return rep;
}

}  // namespace custodian
