// ArchiveImpl: the embedded (local directory) implementation of custodian::Archive.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "catalog/catalog.h"
#include "index/index.h"
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
              std::unique_ptr<store::LocalSegmentStore> segs)
      : dir_(std::move(dir)), mode_(mode), lock_fd_(lock_fd), keys_(keys), catalog_(std::move(cat)),
        index_(std::move(index)), segments_(std::move(segs)) {}
  ~ArchiveImpl() override;

  Result<ImportResult> Import(const std::vector<std::string>& paths, const ImportOptions& opts,
                              const std::function<void(const ImportProgress&)>& progress) override;
  Result<std::string> ResolveId(const std::string& id_or_prefix) override;
  Result<std::string> ReadMessage(const std::string& id) override;
  Result<MessageInfo> Describe(const std::string& id) override;
  Status List(const ListFilter& filter, const std::function<Status(const ListEntry&)>& fn) override;
  Result<ArchiveStats> Stats() override;
  Result<VerifyReport> Verify(const std::function<void(uint64_t, uint64_t)>& progress) override;
  Result<ExportResult> Export(const ExportOptions& opts, const std::string& dest) override;
  Result<SearchResult> Search(const std::string& query, const SearchOptions& opts) override;
  Result<std::vector<ThreadEntry>> Thread(const std::string& id) override;
  Result<uint64_t> Reindex(bool all, const std::function<void(uint64_t, uint64_t)>& progress) override;
  Result<AuthenticationReport> Authenticate(const std::string& id, const AuthenticateOptions& opts) override;
  Result<RescanResult> RescanAuthenticity(const AuthenticateOptions& opts,
                                          const std::function<void(uint64_t, uint64_t)>& progress) override;
  Result<std::optional<AuthenticityInfo>> Authenticity(const std::string& id) override;

 private:
  // Packs entries into blocks of ~1 MiB, appends them to the segment store and records them;
  // placed(i, block, slot) learns where entries[i] went. Not durable until the segments sync.
  Status AppendBlocks(catalog::BlockKind kind, const std::vector<store::BlockEntry>& entries, int64_t* next_block,
                      const std::function<void(size_t, int64_t, uint32_t)>& placed);
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
  std::unique_ptr<store::DecodedBlock> cached_block_;
  std::map<uint32_t, std::unique_ptr<store::Dictionary>> dicts_;
  bool dicts_loaded_ = false;
};

// Paths inside an archive directory.
inline std::string CatalogPath(const std::string& dir) { return JoinPath(dir, "catalog.db"); }
inline std::string SegmentsDir(const std::string& dir) { return JoinPath(dir, "segments"); }
inline std::string KeysDir(const std::string& dir) { return JoinPath(dir, "keys"); }
std::string MasterKeyPath(const std::string& dir);

}  // namespace custodian
