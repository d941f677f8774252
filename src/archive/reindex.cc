// Reindex: rebuilds the search index from the store. Texts are recomputed from the messages'
// stored bytes, so the index never depends on anything the store does not hold.

#include <atomic>
#include <cstring>
#include <thread>
#include <unordered_map>

#include "archive/archive_impl.h"
#include "mime/message.h"
#include "util/digest.h"

namespace custodian {
namespace {
constexpr size_t kReindexBatch = 2048;

struct Pending {
  catalog::MessageRow row;
  std::string data;
  index::SearchDocument doc;
  std::string text;
  Sha256 hash{};
};

}  // namespace

Result<uint64_t> ArchiveImpl::Reindex(bool all, const std::function<void(uint64_t, uint64_t)>& progress) {
  if (mode_ != Mode::kWrite) return Status::Internal("archive opened read-only");
  if (all) {
    CUSTODIAN_RETURN_IF_ERROR(catalog_->Begin());
    Status st = catalog_->RetireBlocks(catalog::BlockKind::kTexts);
    if (st.ok()) st = index_->Clear();
    if (st.ok()) st = catalog_->ClearTextIds();
    if (st.ok()) st = catalog_->Commit();
    if (!st.ok()) {
      (void)catalog_->Rollback();
      return st;
    }
  }
  CUSTODIAN_ASSIGN_OR_RETURN(uint64_t total, index_->UnindexedMessages());
  CUSTODIAN_ASSIGN_OR_RETURN(int64_t next_block, catalog_->MaxBlockId());
  uint64_t done = 0;
  while (true) {
    CUSTODIAN_ASSIGN_OR_RETURN(auto rows, catalog_->MessagesWithoutText(kReindexBatch));
    if (rows.empty()) break;
    std::vector<Pending> batch(rows.size());
    for (size_t i = 0; i < rows.size(); i++) {
      batch[i].row = rows[i];
      CUSTODIAN_ASSIGN_OR_RETURN(batch[i].data, ReadRow(rows[i]));
    }
    // Parsing is the slow part: both cores.
    std::atomic<size_t> next{0};
    auto work = [&] {
      for (size_t i; (i = next.fetch_add(1)) < batch.size();) {
        Pending& p = batch[i];
        std::string ignored;  // recorded on the message when it was imported
        p.doc = index::MakeDocument(p.data, mime::ParseMessage(p.data), &ignored);
        p.text = p.doc.Text();
        p.hash = ComputeSha256(p.text);
        p.data.clear();
      }
    };
    std::thread helper(work);
    work();
    helper.join();

    if (dicts_.empty()) {  // the archive's first texts: learn a dictionary for them
      std::vector<std::string_view> samples;
      for (const auto& p : batch) samples.push_back(p.text);
      CUSTODIAN_RETURN_IF_ERROR(TrainTextDictionary(samples));
    }
    CUSTODIAN_RETURN_IF_ERROR(catalog_->Begin());
    auto write = [&]() -> Status {
      std::unordered_map<Sha256, int64_t, Sha256Hash> ids;
      std::vector<Pending*> fresh;
      for (auto& p : batch) {
        if (ids.count(p.hash)) continue;
        CUSTODIAN_ASSIGN_OR_RETURN(auto known, index_->FindText(p.hash));
        ids[p.hash] = known.value_or(0);
        if (!known) fresh.push_back(&p);
      }
      std::vector<store::BlockEntry> entries;
      for (Pending* p : fresh) entries.push_back({p->hash, p->text});
      std::vector<std::pair<int64_t, uint32_t>> places(fresh.size());
      CUSTODIAN_RETURN_IF_ERROR(AppendBlocks(catalog::BlockKind::kTexts, entries, &next_block,
                                             [&](size_t i, int64_t block, uint32_t slot) { places[i] = {block, slot}; }));
      CUSTODIAN_ASSIGN_OR_RETURN(auto seg_states, segments_->Sync());
      for (const auto& s : seg_states) CUSTODIAN_RETURN_IF_ERROR(catalog_->SetSegment(s));
      for (size_t i = 0; i < fresh.size(); i++) {
        CUSTODIAN_ASSIGN_OR_RETURN(ids[fresh[i]->hash], index_->AddText(fresh[i]->doc, fresh[i]->text, fresh[i]->hash, places[i].first,
                                                                       places[i].second, fresh[i]->text.size()));
      }
      for (auto& p : batch) CUSTODIAN_RETURN_IF_ERROR(catalog_->SetTextId(p.row.msg, ids[p.hash]));
      CUSTODIAN_RETURN_IF_ERROR(index_->FlushGrams(false));
      return catalog_->Commit();
    };
    if (Status st = write(); !st.ok()) {
      (void)catalog_->Rollback();
      index_->DropPendingGrams();
      return st;
    }
    done += batch.size();
    if (progress) progress(done, total);
  }
  CUSTODIAN_RETURN_IF_ERROR(FlushGrams());
  return done;
}

}  // namespace custodian
