// ArchiveImpl: the embedded (local directory) implementation of custodian::Archive.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "catalog/catalog.h"
#include "index/index.h"
#include "ledger/checkpoint.h"
#include "preserve/ledger.h"
#include "preserve/policies.h"
#include "custodian/archive.h"
#include "store/block.h"
#include "store/keys.h"
#include "store/segment_store.h"
#include "util/env.h"

namespace custodian {

class ArchiveImpl : public Archive {
 public:
  ArchiveImpl(std::string dir, Mode mode, int lock_fd, store::Keys keys,
              std::unique_ptr<catalog::Catalog> cat, std::unique_ptr<index::Index> index,
              std::unique_ptr<store::LocalSegmentStore> segs, std::unique_ptr<preserve::Ledger> ledger,
              std::unique_ptr<preserve::Policies> policies)
      : dir_(std::move(dir)), mode_(mode), lock_fd_(lock_fd), keys_(keys), catalog_(std::move(cat)),
        index_(std::move(index)), segments_(std::move(segs)), ledger_(std::move(ledger)),
        policies_(std::move(policies)) {}
  // For writers: loads the ledger's signing key, or starts the ledger of an archive that has
  // none yet (new, or from before schema 4: its messages and copies are recorded then).
  Status StartLedger();
  // Deletes the files of segments a committed compaction left behind (compact.cc).
  Status RemoveCompactedSegments();
  catalog::Catalog* catalog() { return catalog_.get(); }
  ~ArchiveImpl() override;

  Result<ImportResult> Import(const std::vector<std::string>& paths, const ImportOptions& opts,
                              const std::function<void(const ImportProgress&)>& progress) override;
  Result<std::string> ResolveId(const std::string& id_or_prefix) override;
  Result<std::string> ReadMessage(const std::string& id) override;
  Result<MessageInfo> Describe(const std::string& id) override;
  Status List(const ListFilter& filter, const std::function<Status(const ListEntry&)>& fn) override;
  Result<ArchiveStats> Stats() override;
  Result<VerifyReport> Verify(const std::function<void(uint64_t, uint64_t)>& progress,
                              const std::string& older_checkpoint) override;
  Result<ExportResult> Export(const ExportOptions& opts, const std::string& dest) override;
  Result<SearchResult> Search(const std::string& query, const SearchOptions& opts) override;
  Status SetCacheKiB(int kib) override { return catalog_->SetCacheKiB(kib); }
  Result<std::vector<ThreadEntry>> Thread(const std::string& id) override;
  Result<uint64_t> Reindex(bool all, const std::function<void(uint64_t, uint64_t)>& progress) override;
  Result<AuthenticationReport> Authenticate(const std::string& id, const AuthenticateOptions& opts) override;
  Result<RescanResult> RescanAuthenticity(const AuthenticateOptions& opts,
                                          const std::function<void(uint64_t, uint64_t)>& progress) override;
  Result<std::optional<AuthenticityInfo>> Authenticity(const std::string& id) override;
  Result<ChangeResult> Delete(const CopySelection& sel, const Attribution& who) override;
  Result<ChangeResult> Recover(const CopySelection& sel, const Attribution& who) override;
  Status SetRetention(const RetentionPolicy& policy, const Attribution& who) override;
  Status RemoveRetention(const std::string& name, const Attribution& who) override;
  Result<std::vector<RetentionPolicy>> ListRetention() override;
  Status CreateHold(const LegalHold& hold, const Attribution& who) override;
  Status ReleaseHold(const std::string& matter, const Attribution& who) override;
  Result<std::vector<LegalHold>> ListHolds() override;
  Result<PurgeResult> Purge(bool dry_run, const Attribution& who) override;
  Status RecordAudit(const std::string& action, const std::string& detail, const Attribution& who) override;
  Result<CheckpointInfo> Checkpoint() override;
  Result<LedgerProof> Prove(const std::string& id) override;

 private:
  // Commits the open transaction with a signed checkpoint of the ledger if it added records;
  // on failure rolls back (catalog and ledger).
  Status CommitWithLedger();
  void RollbackWithLedger();
  // Runs `fn` in a write transaction that commits with the ledger.
  Status InTransaction(const std::function<Status()>& fn);
  Status RequireWriter(const Attribution& who);
  Result<ChangeResult> SetDeleted(const CopySelection& sel, const Attribution& who, bool deleted);
  // Catalog row ids of the messages a query matches (the whole archive's, no window).
  Result<std::vector<int64_t>> QueryMessages(const std::string& query);
  // Disposes of one message in the open transaction: record, rows, text and index entries;
  // its block is rewritten later (RewriteBlocks).
  // Texts no message uses any more go to *dead_texts; *index_kept is set when a text's word-index
  // entries could not be removed.
  Status DisposeMessage(const catalog::MessageRow& row, const std::string& policy, const Attribution& who,
                        std::vector<index::TextRow>* dead_texts, bool* index_kept);
  // Rewrites each block into a new one without the entries no longer referenced, then destroys
  // the old block's key seed. In the open transaction; segments are synced before returning.
  Result<uint64_t> RewriteBlocks(const std::vector<int64_t>& blocks, catalog::BlockKind kind);
  // Rewrites the segments holding retired blocks without them (compact.cc); returns the bytes
  // reclaimed. Outside any transaction.
  Result<uint64_t> Compact(const Attribution& who);
  // The ledger part of verify: records, tree, checkpoints, and the catalog against the records.
  Status VerifyLedger(VerifyReport* rep, const std::string& older_checkpoint);
  // Packs entries into blocks of ~1 MiB, appends them to the segment store and records them;
  // placed(i, block, slot) learns where entries[i] went. Not durable until the segments sync.
  // The same in three steps, so that sealing can run on another thread: PlanBlocks numbers the
  // blocks and places the entries; SealBlocks compresses and encrypts them (it touches nothing
  // shared); WriteBlocks appends them in plan order and records them.
  Status AppendBlocks(catalog::BlockKind kind, const std::vector<store::BlockEntry>& entries, int64_t* next_block,
                      const std::function<void(size_t, int64_t, uint32_t)>& placed);
  struct PlannedBlock {
    catalog::BlockRow row;  // all but its location
    size_t begin = 0, end = 0;  // its entries
  };
  std::vector<PlannedBlock> PlanBlocks(catalog::BlockKind kind, const std::vector<store::BlockEntry>& entries,
                                       int64_t* next_block,
                                       const std::function<void(size_t, int64_t, uint32_t)>& placed) const;
  std::vector<std::string> SealBlocks(const std::vector<PlannedBlock>& plan,
                                      const std::vector<store::BlockEntry>& entries,
                                      const store::Dictionary* dict) const;
  Status WriteBlocks(std::vector<PlannedBlock>* plan, const std::vector<std::string>& sealed);
  // Writes the trigram postings still pending, in a transaction of its own.
  Status FlushGrams();
  // The decoded text of one text row (index), checked against its hash.
  Result<std::string> ReadText(const index::TextRow& row);
  Result<std::vector<int64_t>> MatchTexts(const query::Node& node);
  // The texts a substring or regex node can match, by the trigram index; nullopt for all texts.
  Result<std::optional<std::vector<int64_t>>> CandidateTexts(const query::Node& node);
  // Reads a message's bytes given its catalog row, using a one-block cache (exports and verify
  // read in storage order, so consecutive messages usually share a block).
  Result<std::string> ReadRow(const catalog::MessageRow& row);
  Result<const store::DecodedBlock*> LoadBlock(int64_t block_id);
  // The archive's zstd dictionaries (for text blocks), loaded once; Dicts() looks them up
  // without touching the catalog, so decoding threads may use it.
  Status LoadDictionaries();
  store::DictionaryLookup Dicts() const;
  // The dictionary new text blocks are compressed with: the newest; nullptr if none yet.
  Result<const store::Dictionary*> TextDictionary();
  // Trains one on `samples` and commits it, in a transaction of its own, if the archive has none
  // yet and they are enough to learn from. Call outside any transaction.
  Status TrainTextDictionary(const std::vector<std::string_view>& samples);
  MessageInfo ToInfo(const catalog::MessageRow& row);

  std::string dir_;
  Mode mode_;
  int lock_fd_;
  store::Keys keys_;
  std::unique_ptr<catalog::Catalog> catalog_;
  std::unique_ptr<index::Index> index_;  // uses catalog_'s connection; declared after it
  std::unique_ptr<store::LocalSegmentStore> segments_;
  std::unique_ptr<preserve::Ledger> ledger_;      // uses catalog_'s connection
  std::unique_ptr<preserve::Policies> policies_;  // uses catalog_'s connection
  std::optional<ledger::SignerKey> signer_;       // writers only
  std::unique_ptr<store::DecodedBlock> cached_block_;
  std::map<uint32_t, std::unique_ptr<store::Dictionary>> dicts_;
  bool dicts_loaded_ = false;
};

// Paths inside an archive directory.
inline std::string CatalogPath(const std::string& dir) { return JoinPath(dir, "catalog.db"); }
inline std::string SegmentsDir(const std::string& dir) { return JoinPath(dir, "segments"); }
inline std::string KeysDir(const std::string& dir) { return JoinPath(dir, "keys"); }
std::string MasterKeyPath(const std::string& dir);
// The ledger's Ed25519 signing key: DIR/keys/ledger.key, or $CUSTODIAN_LEDGER_KEY_FILE.
std::string LedgerKeyPath(const std::string& dir);
uint64_t NowMs();

}  // namespace custodian
