// The Custodian engine's public API: one archive directory (docs/storage-format.md).
// The command line is a thin layer over this; the server will be another.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "custodian/status.h"

namespace custodian {

struct ImportOptions {
  std::string custodian;             // whose mailbox this is (required unless custodian_from_path)
  bool custodian_from_path = false;  // each PATH's last component names its custodian
  std::string format = "auto";       // see mailbox::ParseFormat
  std::string folder_prefix;         // prepended to every folder ("" = none)
  std::string ack_log;               // if set, append each acknowledged message id (for tests)
  std::string actor;                 // who imports, for the ledger (the CLI's --actor, else the OS user)
  size_t threads = 2;                // parse threads
  std::string dkim_key_file;         // DKIM key records for offline verification ("" = none)
  bool dns = false;                  // also look DKIM keys up in live DNS (docs/authenticity.md)
};

struct ImportRejection {
  std::string origin;  // file (and offset) it came from
  std::string reason;
};

struct ImportProgress {
  uint64_t read = 0;        // messages read from the sources
  uint64_t stored = 0;      // new messages stored (durable)
  uint64_t duplicate = 0;   // already in the archive (bytes identical)
  uint64_t new_copies = 0;  // new (message, custodian folder) placements
  uint64_t rejected = 0;    // inputs that could not be stored at all
  uint64_t flagged = 0;     // stored, but with parse problems
  uint64_t bytes = 0;       // message bytes read
  uint64_t total_bytes = 0; // size of the input files (for an ETA); 0 if unknown
  double seconds = 0;
  bool done = false;
};

struct ImportResult {
  ImportProgress counts;
  std::vector<ImportRejection> rejections;  // the first 1,000
  std::map<std::string, uint64_t> authenticity;  // new messages by DKIM verdict ("pass", ...)
};

// Re-verification of DKIM and ARC (docs/authenticity.md, "In the archive").
struct AuthenticateOptions {
  std::string key_file;  // more key records, asked before the kept ones ("" = none)
  bool dns = false;      // also ask live DNS
};

// A verification result as stored with a message.
struct AuthenticityInfo {
  std::string verdict, arc, reason;
  int64_t verified_at = 0, as_of = 0;
  std::string report_json;  // the whole result (docs/authenticity.md, "JSON"); empty for unsigned mail
  uint64_t results = 0;     // rows of history, this one included
};

struct AuthenticationReport {
  std::string id;
  std::string verdict;  // of this re-verification
  std::string json;     // its JSON object
  std::string text;     // its report for people
  std::optional<AuthenticityInfo> stored;  // the current stored result, if the message was checked
  std::vector<AuthenticityInfo> history;   // every stored result, oldest first (the last is `stored`)
};

struct RescanResult {
  uint64_t checked = 0;  // messages re-verified
  uint64_t changed = 0;  // of those, how many got a new result
  std::map<std::string, uint64_t> verdicts;  // the checked messages' verdicts now
};

struct CopyInfo {
  std::string custodian, folder, flags;
  bool deleted = false;
};

struct MessageInfo {
  std::string id;  // SHA-256 hex
  uint64_t size = 0;
  std::optional<int64_t> date;
  std::string from, subject, message_id, in_reply_to;
  std::vector<std::string> problems;
  std::vector<CopyInfo> copies;
};

struct ListFilter {
  std::optional<std::string> custodian, folder;  // folder includes its subfolders
  bool include_deleted = false;
  size_t limit = 0;  // 0 = all
};

struct ListEntry {
  MessageInfo message;  // `copies` holds just the one copy listed
};

struct CustodianSummary {
  std::string name;
  uint64_t messages = 0, copies = 0, raw_bytes = 0, folders = 0, deleted = 0;
};

struct ArchiveStats {
  uint64_t messages = 0;       // distinct messages
  uint64_t copies = 0;         // one per message per custodian folder
  uint64_t raw_bytes = 0;      // sum of distinct messages' sizes
  uint64_t flagged = 0;        // messages with parse problems
  uint64_t blocks = 0;
  uint64_t segment_bytes = 0;  // on disk: segment files
  uint64_t catalog_bytes = 0;  // on disk: catalog database (+ WAL)
  uint64_t disk_bytes = 0;     // everything under the archive directory
  uint64_t text_bytes = 0;     // of segment_bytes: decoded texts kept for substring/regex search
  uint64_t word_index_bytes = 0;  // of catalog_bytes: the FTS5 word index
  uint64_t trigram_index_bytes = 0;  // of catalog_bytes: the trigram index for substring/regex
  uint64_t catalog_free_bytes = 0;   // of catalog_bytes: free pages, reused before the file grows
  std::vector<std::pair<std::string, uint64_t>> catalog_tables;  // bytes per table and index
  uint64_t texts = 0;          // distinct searchable texts (messages share identical ones)
  std::string word_stemmer;    // "snowball"; "porter" until `reindex --all` in older archives
  std::map<std::string, uint64_t> dkim_verdicts;  // messages by current DKIM verdict
  uint64_t dkim_unchecked = 0;  // messages never verified (stored before verification at import)
  uint64_t dkim_keys = 0;       // DKIM key records kept
  std::vector<CustodianSummary> custodians;
};

struct VerifyProblem {
  std::string what;   // "message", "block", "segment", "catalog"
  std::string where;  // message id, or segment file and offset
  std::string detail;
};

struct VerifyReport {
  uint64_t messages_checked = 0, blocks_checked = 0, segments_checked = 0;
  uint64_t records_checked = 0, checkpoints_checked = 0;  // ledger records and signed checkpoints
  bool checked_against_given = false;  // a checkpoint kept elsewhere was given and checked
  std::vector<VerifyProblem> problems;
  bool ok() const { return problems.empty(); }
};

struct ExportOptions {
  std::string format = "mbox";  // mbox | maildir | eml
  ListFilter filter;
};

struct ExportResult {
  uint64_t messages = 0, bytes = 0;
};

struct SearchOptions {
  size_t limit = 50;   // 0 = all
  size_t offset = 0;
  bool by_relevance = false;  // BM25 over the query's words; otherwise newest first
  bool count_only = false;
  bool snippets = true;
  bool ids_only = false;  // only SearchResult::ids (fast: no catalog reads per hit)
};

struct SearchHit {
  MessageInfo message;  // with every copy: where it is kept
  std::string snippet;  // a line of text around the first hit; hits between \x01 and \x02
};

struct ThreadEntry {
  MessageInfo message;
  int depth = 0;  // 0 for a root; a reply is one deeper than what it replies to
};

struct SearchResult {
  uint64_t total = 0;       // matching messages
  uint64_t unindexed = 0;   // messages the index does not cover yet (see `custodian reindex`)
  std::vector<SearchHit> hits;  // empty with ids_only
  std::vector<std::array<uint8_t, 32>> ids;  // with ids_only: the hits' ids (SHA-256), in order
};

// Who makes a change and why: recorded in the ledger with the change.
struct Attribution {
  std::string actor;   // an account or OS user name (required)
  std::string reason;  // free text; may be empty
};

// Delete and recover act on one custodian's copies of the messages named by ids or a query.
struct CopySelection {
  std::string custodian;
  std::vector<std::string> ids;  // full ids or unique prefixes
  std::string query;             // docs/search.md; used when ids is empty
};

struct ChangeResult {
  uint64_t matched = 0;  // messages selected that the custodian has copies of
  uint64_t changed = 0;  // of those, messages whose copies changed (one ledger record each)
};

struct RetentionPolicy {
  std::string name, query;
  std::optional<int64_t> keep_days;  // none: permanent
  int64_t created = 0;               // seconds since the epoch
  std::string actor, reason;
};

struct LegalHold {
  std::string matter, query;
  std::string custodian;           // "" = every custodian
  std::optional<int64_t> from, to; // message dates covered (seconds since the epoch, inclusive)
  std::string reason;
  int64_t created = 0;
  std::string actor;
  std::optional<int64_t> released;  // none while the hold is active
  std::string released_by, release_reason;
};

struct DisposalItem {
  std::string id;
  uint64_t size = 0;
  std::string policy;  // the policy whose period ran out last (the longest that applies)
};

struct PurgeResult {
  bool dry_run = true;
  std::vector<DisposalItem> disposed;  // or, in a dry run, what would be
  uint64_t held = 0;       // past retention but under a legal hold: kept
  uint64_t retained = 0;   // under a policy whose period has not run out (or permanent)
  uint64_t unmanaged = 0;  // no policy matches: never disposed of
  uint64_t blocks_rewritten = 0, texts_disposed = 0;
  uint64_t bytes_reclaimed = 0;  // dead ciphertext removed from the segment files by compaction
  std::string warning;  // something the operator should know; the disposal itself happened
};

struct CheckpointInfo {
  std::string origin;
  uint64_t tree_size = 0;
  std::string root_hash;  // hex
  uint64_t timestamp_ms = 0;
  std::string note;          // the signed note (docs/ledger-format.md, "Checkpoints")
  std::string verifier_key;  // the public key that checks it
};

struct LedgerProof {
  std::string id;      // the message
  std::string event;   // "message stored", or "disposed" for a message disposed of
  std::string record;  // the leaf's data, hex (docs/ledger-format.md, "Records")
  uint64_t leaf_index = 0, tree_size = 0;
  std::string leaf_hash;          // hex: SHA-256(0x00 || record)
  std::vector<std::string> path;  // hex, lowest first (RFC 9162 §2.1.3)
  std::string root_hash;          // hex: the root at tree_size
  std::string checkpoint;         // the signed checkpoint of tree_size
};

class Archive {
 public:
  enum class Mode { kReadOnly, kWrite };

  // Creates a new archive at `dir` (which must not exist or be empty) with a new master key.
  static Status Init(const std::string& dir);
  // Opens an archive. kWrite takes the archive's writer lock and finishes crash recovery.
  static Result<std::unique_ptr<Archive>> Open(const std::string& dir, Mode mode);
  virtual ~Archive() = default;

  virtual Result<ImportResult> Import(const std::vector<std::string>& paths, const ImportOptions& opts,
                                      const std::function<void(const ImportProgress&)>& progress) = 0;

  // A full id, a unique prefix (at least 4 hex digits), or an error saying why not.
  virtual Result<std::string> ResolveId(const std::string& id_or_prefix) = 0;
  // The message's exact original bytes, checked against its id before they are returned.
  virtual Result<std::string> ReadMessage(const std::string& id) = 0;
  virtual Result<MessageInfo> Describe(const std::string& id) = 0;
  virtual Status List(const ListFilter& filter, const std::function<Status(const ListEntry&)>& fn) = 0;
  virtual Result<ArchiveStats> Stats() = 0;
  // Re-reads everything: every message against its digest, every ledger record against the tree,
  // the tree against every signed checkpoint, the catalog against the records. With
  // `older_checkpoint` (a signed note kept elsewhere), also that the ledger still extends it.
  virtual Result<VerifyReport> Verify(const std::function<void(uint64_t done, uint64_t total)>& progress,
                                      const std::string& older_checkpoint) = 0;
  virtual Result<ExportResult> Export(const ExportOptions& opts, const std::string& dest) = 0;
  // Brings the search index up to date with the store: indexes the messages it does not cover,
  // or with `all` rebuilds it from scratch. Returns the number of messages indexed.
  virtual Result<uint64_t> Reindex(bool all, const std::function<void(uint64_t done, uint64_t total)>& progress) = 0;
  // The thread of a message, as a tree in reading order (each reply after what it answers).
  virtual Result<std::vector<ThreadEntry>> Thread(const std::string& id) = 0;
  // Runs a query (docs/search.md). A malformed query is InvalidArgument "at position N: ...".
  virtual Result<SearchResult> Search(const std::string& query, const SearchOptions& opts) = 0;
  // How much of the catalog, in KiB, stays in memory once read (default 32 MiB). A process that
  // asks one question and exits does better with 1 MiB: it reads most pages once, and a small
  // cache reuses its buffers where a large one takes fresh memory for every page
  // (bench/RESULTS.md: searches 5-16% faster at 25k messages, 10-39% at 320k). Reading everything,
  // as Verify does, is faster with the default.
  virtual Status SetCacheKiB(int kib) = 0;

  // Re-verifies a message's DKIM signatures and ARC chain from the keys the archive keeps (and
  // opts), judged at the stored verification time. Changes nothing.
  virtual Result<AuthenticationReport> Authenticate(const std::string& id, const AuthenticateOptions& opts) = 0;
  // Re-verifies every message whose result more keys could change (never checked, or a
  // temperror), adding a result row where the result changed. REQUIRES: opened for writing.
  virtual Result<RescanResult> RescanAuthenticity(const AuthenticateOptions& opts,
                                                  const std::function<void(uint64_t done, uint64_t total)>& progress) = 0;
  // The current stored result; nullopt if the message was never checked.
  virtual Result<std::optional<AuthenticityInfo>> Authenticity(const std::string& id) = 0;
  // Preservation (docs/preservation.md). Every change is a ledger record committed with it.
  // Delete hides the custodian's copies (search `is:deleted` finds them); Recover shows them again.
  virtual Result<ChangeResult> Delete(const CopySelection& sel, const Attribution& who) = 0;
  virtual Result<ChangeResult> Recover(const CopySelection& sel, const Attribution& who) = 0;
  // Sets (or replaces) a retention policy by name. A message's retention is the longest of the
  // policies that match it; a message no policy matches is never disposed of.
  virtual Status SetRetention(const RetentionPolicy& policy, const Attribution& who) = 0;
  virtual Status RemoveRetention(const std::string& name, const Attribution& who) = 0;
  virtual Result<std::vector<RetentionPolicy>> ListRetention() = 0;
  // A hold is evaluated whenever disposal runs, so it also covers mail that arrives later.
  virtual Status CreateHold(const LegalHold& hold, const Attribution& who) = 0;
  virtual Status ReleaseHold(const std::string& matter, const Attribution& who) = 0;
  virtual Result<std::vector<LegalHold>> ListHolds() = 0;  // active and released
  // Disposes of every message past retention and under no hold: its content is destroyed
  // (crypto-shredding), a disposal record stays. A dry run changes nothing (open read-only for it).
  virtual Result<PurgeResult> Purge(bool dry_run, const Attribution& who) = 0;
  // Records an event of the server (a login, a search, a read, an export) in the ledger.
  virtual Status RecordAudit(const std::string& action, const std::string& detail, const Attribution& who) = 0;
  virtual Result<CheckpointInfo> Checkpoint() = 0;
  // The inclusion proof of the ledger record of a message's arrival (or of its disposal).
  virtual Result<LedgerProof> Prove(const std::string& id) = 0;
};

}  // namespace custodian
