// Catalog: the archive's metadata in SQLite (schema in docs/storage-format.md). It records where
// each message's bytes are, which custodian kept it in which folder, and the parsed headers that
// listings show. A later backend (PostgreSQL) implements the same operations.
// REQUIRES: one thread at a time per Catalog object.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "catalog/encrypted_vfs.h"
#include "catalog/sqlite.h"
#include "custodian/status.h"
#include "store/keys.h"
#include "store/segment_store.h"
#include "util/digest.h"

namespace custodian::catalog {

// What a block holds: original messages, or the decoded text the search index checks
// substrings and regular expressions against.
enum class BlockKind {
  kMessages = 0,
  kTexts = 1,
  kRetired = 2,  // content no longer referenced (e.g. texts of a rebuilt index); bytes await compaction
};

struct BlockRow {
  int64_t block_id = 0;
  BlockKind kind = BlockKind::kMessages;
  store::BlockLocation loc;
  uint32_t count = 0;
  uint64_t raw_bytes = 0;
  store::KeySeed seed{};
};

struct MessageRow {
  int64_t msg = 0;  // catalog row id
  Sha256 id{};
  int64_t block_id = 0;
  uint32_t slot = 0;
  uint64_t size = 0;
  std::optional<int64_t> date;
  std::string from, subject, message_id, in_reply_to;
  std::string problems;  // '\n'-separated parse problems, empty when clean
  int64_t added = 0;     // when it entered the archive (seconds since the epoch)
  uint32_t attachments = 0;
  std::optional<int64_t> text_id;  // its searchable text (index module); unset = not indexed
  std::optional<int64_t> ledger_leaf;  // the ledger leaf recording its arrival (preserve module)
};

struct CopyRow {
  int64_t msg = 0;
  std::string custodian, folder, flags, envelope;
  bool deleted = false;
};

struct CopyFilter {
  std::optional<std::string> custodian, folder;
  bool include_deleted = false;
  bool storage_order = false;  // order by block and slot (fast reads) instead of newest first
  size_t limit = 0;            // 0 = all
};

struct CustodianStats {
  std::string name;
  uint64_t messages = 0, copies = 0, raw_bytes = 0, folders = 0, deleted = 0;
};

struct CatalogStats {
  uint64_t messages = 0, copies = 0, raw_bytes = 0, blocks = 0, flagged = 0, custodians = 0;
  std::vector<CustodianStats> per_custodian;
};

// Authenticity (docs/storage-format.md, "Authenticity"): the key store and DKIM results.
struct DkimKeyRow {
  int64_t key_id = 0;
  std::string name;    // selector._domainkey.domain, lower case
  std::string record;  // the TXT record as obtained
  int64_t fetched_at = 0;  // 0: unknown
  std::string source, dnssec;
  int64_t kept_at = 0;
};

struct DkimSignatureRow {
  std::string d, s, a, i, result, body_hash, reason;
  bool weak = false;
  std::string weak_reason;
  std::vector<std::string> headers;  // covered
  std::optional<int64_t> body_length_limit;
  uint64_t body_bytes_signed = 0, body_bytes_unsigned = 0;
  std::optional<int64_t> key_id;
  std::string key_fingerprint;
};

// The reason of a result stored without one: unsigned mail, verdict and ARC both "none".
inline constexpr const char* kUnsignedReason = "the message has no DKIM-Signature";
// Every message from meta.dkim_checked_from on was checked at import, and one with no result
// row is unsigned ("none"); a message before it with no row was never checked (it came in
// before the archive verified DKIM). As an SQL expression, for queries:
inline constexpr const char* kDkimCheckedFromSql =
    "IFNULL((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'dkim_checked_from'), 9223372036854775807)";

struct DkimResultRow {
  int64_t result_id = 0;
  int64_t msg = 0;
  int64_t verified_at = 0, as_of = 0;
  std::string verdict, arc, reason;
  std::string report;  // JSON; empty for unsigned mail (stored as NULL)
  std::vector<DkimSignatureRow> signatures;
};

class Catalog {
 public:
  // Opens (creating if needed, unless read_only) the catalog sealed under `key`.
  static Result<std::unique_ptr<Catalog>> Open(const std::string& path, bool read_only, const CatalogKey& key);

  // Caps this connection's page cache (SQLite's cache_size), in KiB.
  Status SetCacheKiB(int kib);

  Status Begin();
  // A read transaction: every query until Commit() sees the same snapshot.
  Status BeginRead();
  Status Commit();
  Status Rollback();

  // Segments
  Result<store::SegmentState> ActiveSegment();
  Status SetSegment(const store::SegmentState& s);
  Result<std::vector<store::SegmentState>> Segments();

  // Blocks
  Result<int64_t> MaxBlockId();
  // zstd dictionaries for per-entry blocks (store::Dictionary), by id from 1.
  Result<uint32_t> AddDictionary(std::string_view bytes);
  Status ForEachDictionary(const std::function<Status(uint32_t, std::string_view)>& fn);
  Status AddBlock(const BlockRow& b);
  Result<BlockRow> GetBlock(int64_t block_id);
  Status ForEachBlock(const std::function<Status(const BlockRow&)>& fn);

  // Messages
  Result<std::optional<int64_t>> FindMessage(const Sha256& id);
  Result<int64_t> AddMessage(const MessageRow& m);  // m.msg is ignored; returns the new row id
  Result<MessageRow> GetMessage(int64_t msg);
  // Ids starting with the hex prefix (at most `limit`).
  Result<std::vector<Sha256>> FindByPrefix(const std::string& hex_prefix, int limit);
  Status ForEachMessageInBlock(int64_t block_id, const std::function<Status(const MessageRow&)>& fn);
  Status ForEachMessage(const std::function<Status(const MessageRow&)>& fn);  // in storage order

  // Custodians, folders and copies
  Result<int64_t> EnsureCustodian(const std::string& name);
  Result<int64_t> EnsureFolder(int64_t custodian_id, const std::string& path);
  // Returns true if the copy is new.
  Result<bool> AddCopy(int64_t msg, int64_t folder_id, const std::string& flags, bool deleted,
                       const std::string& envelope);
  Result<std::vector<CopyRow>> CopiesOf(int64_t msg);
  // Copies matching the filter, newest message date first.
  Status ForEachCopy(const CopyFilter& f, const std::function<Status(const CopyRow&, const MessageRow&)>& fn);
  Result<bool> CustodianExists(const std::string& name);

  Result<CatalogStats> Stats();
  // Bytes of block records of one kind in the segments.
  Result<uint64_t> BlockBytes(BlockKind kind);
  // Bytes used by each table or index of the database, by SQLite's own accounting (dbstat);
  // FTS5's shadow tables are reported under their virtual table's name.
  Result<std::vector<std::pair<std::string, uint64_t>>> TableSizes();
  // Bytes of pages the database file holds but no table uses (reused before the file grows).
  Result<uint64_t> FreeBytes();

  // For the search index: messages it does not cover yet (text_id unset), in storage order.
  Result<std::vector<MessageRow>> MessagesWithoutText(size_t limit);
  // The messages in the same thread as `msg` (itself included), oldest first.
  Result<std::vector<MessageRow>> ThreadOf(int64_t msg);
  Status SetTextId(int64_t msg, int64_t text_id);
  Status ClearTextIds();
  Status RetireBlocks(BlockKind kind);

  // Preservation (the preserve module's tables live beside these; all in the caller's transaction).
  Status SetMessageLeaf(int64_t msg, int64_t leaf);
  Result<std::vector<CopyRow>> CopiesOfCustodian(int64_t msg, const std::string& custodian);
  Status SetCopiesDeleted(int64_t msg, const std::string& custodian, bool deleted);
  // Points a message at its new place after its block was rewritten.
  Status MoveMessage(int64_t msg, int64_t block_id, uint32_t slot);
  // Disposal: the message row and its copies go.
  Status RemoveMessage(int64_t msg);
  // Marks a block retired and destroys its key seed: its ciphertext can never be read again.
  Status ShredBlock(int64_t block_id);
  // Compaction: segments holding retired blocks; a block moved to another place; a retired
  // block's row (and with it any seed it kept) deleted; a segment the catalog no longer uses.
  Result<std::vector<uint64_t>> SegmentsWithRetiredBlocks();
  Status MoveBlock(int64_t block_id, const store::BlockLocation& loc);
  Status DeleteBlock(int64_t block_id);
  Status RemoveSegment(uint64_t segment);
  // Copies the write-ahead log into the database and empties it (after a disposal, so that no
  // old page image with a destroyed seed survives in the log). Outside any transaction.
  Status CheckpointWal();
  // SQLite's own check plus cross-table invariants; one line per problem found.
  Result<std::vector<std::string>> CheckConsistency();
  // The connection, for modules whose tables live in the same database and transactions
  // (the search index). REQUIRES: used from the thread that uses this Catalog.
  Database* db() { return &db_; }

  // Authenticity. KeepDkimKey returns the row of (name, record), adding it if new (k.key_id is
  // ignored). AddDkimResult appends a result and its signatures (r.result_id is ignored).
  Result<int64_t> KeepDkimKey(const DkimKeyRow& k);
  Status ForEachDkimKey(const std::function<Status(const DkimKeyRow&)>& fn);  // oldest first
  Result<int64_t> AddDkimResult(const DkimResultRow& r);
  // The message's results, oldest first (the last is the current one), with their signatures.
  Result<std::vector<DkimResultRow>> DkimResults(int64_t msg);
  // Messages a check with more keys could change: never checked, or a temperror anywhere in
  // the current result. In storage order.
  Result<std::vector<int64_t>> MessagesToRecheck();
  // Messages by current verdict; messages never checked; key records kept.
  struct DkimSummary {
    std::map<std::string, uint64_t> verdicts;
    uint64_t unchecked = 0, keys = 0;
  };
  Result<DkimSummary> SummarizeDkim();

  Result<std::string> GetMeta(const std::string& key);
  Status SetMeta(const std::string& key, const std::string& value);

 private:
  struct KeyRegistration {  // declared before db_, so the key outlives the connection
    std::string token;
    ~KeyRegistration() { ForgetCatalogKey(token); }
  };
  Catalog(std::string token, Database db) : key_{std::move(token)}, db_(std::move(db)) {}
  Status Prepare();
  Status UpgradeSchema(int from);
  KeyRegistration key_;
  Database db_;
  Statement find_msg_, add_msg_, add_block_, add_copy_, get_msg_, get_block_, set_segment_;
  Statement add_dkim_result_, add_dkim_signature_;  // one of each per new message at import
};

}  // namespace custodian::catalog
