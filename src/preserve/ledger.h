// The archive's ledger, kept in the catalog database (docs/ledger-format.md, "Storage"):
//   ledger_leaves(leaf, record)           every record, in order (the leaf data)
//   ledger_nodes(key, hash)               complete subtrees of 2^8 leaves and more, key = level <<
//   48 | index ledger_checkpoints(tree_size, note)   every signed checkpoint, one per commit that
//   added leaves ledger_state(key, value)              the frontier (to append in O(log n)) and the
//   verifier key
// Leaves are appended in the caller's transaction, so a record commits with the change it records.
// REQUIRES: one thread at a time; `db` outlives the Ledger.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "catalog/sqlite.h"
#include "custodian/status.h"
#include "ledger/checkpoint.h"
#include "ledger/merkle.h"
#include "ledger/record.h"

namespace custodian::preserve {

// Interior nodes from this level up are stored; a proof recomputes lower ones from at most
// 2^kStoredNodeLevel leaves. 1/256 of the leaves' count in rows, against a proof cost of ~0.3 ms.
inline constexpr unsigned kStoredNodeLevel = 8;

struct StoredCheckpoint {
  uint64_t tree_size = 0;
  std::string note;  // the signed note, exactly as signed
};

class Ledger {
 public:
  static Result<std::unique_ptr<Ledger>> Open(catalog::Database* db, bool read_only);

  // False for an archive whose ledger was never started (a catalog from before schema 4).
  bool started() const { return started_; }
  // Starts the ledger with this verifier key (in the caller's transaction).
  Status Start(const ledger::VerifierKey& key);
  const std::optional<ledger::VerifierKey>& verifier_key() const { return verifier_; }

  uint64_t size() const { return frontier_.size(); }
  ledger::Hash root() const { return frontier_.Root(); }

  // Appends a record as the next leaf; returns its index. In the caller's transaction.
  Result<uint64_t> Append(const ledger::Record& record);
  // Before the caller commits: stores the frontier and, if leaves were added since the last
  // checkpoint, a checkpoint of the tree signed with `key` at `time_ms`.
  Status Seal(const ledger::SignerKey& key, uint64_t time_ms);
  // After the caller's commit succeeded, or after it rolled back: the in-memory state follows.
  void Committed() { committed_ = frontier_; }
  void RolledBack() { frontier_ = committed_; }

  // Reading.
  Result<std::string> Record(uint64_t leaf);
  // Every leaf in order with its bytes; stops at the first error `fn` returns.
  Status ForEachLeaf(const std::function<Status(uint64_t leaf, std::string_view record)>& fn);
  // The stored interior nodes, for verify: key = level << 48 | index.
  Status ForEachNode(
      const std::function<Status(unsigned level, uint64_t index, const ledger::Hash&)>& fn);
  Result<std::vector<StoredCheckpoint>> Checkpoints();
  Result<std::optional<StoredCheckpoint>> LatestCheckpoint();
  // The frontier as stored (not the in-memory one).
  Result<ledger::Frontier> StoredFrontier();

  // Proofs over the stored tree.
  Result<ledger::InclusionProof> ProveInclusion(uint64_t leaf, uint64_t tree_size);
  Result<ledger::ConsistencyProof> ProveConsistency(uint64_t old_size, uint64_t new_size);
  Result<ledger::Hash> RootAt(uint64_t tree_size);

 private:
  explicit Ledger(catalog::Database* db) : db_(db) {}
  Status Load();
  Result<std::optional<std::string>> GetState(const std::string& key);
  Status SetState(const std::string& key, std::string_view value);
  class Source;
  catalog::Database* db_;
  bool started_ = false;
  std::optional<ledger::VerifierKey> verifier_;
  ledger::Frontier frontier_, committed_;
  uint64_t checkpointed_size_ = 0;
  catalog::Statement add_leaf_, add_node_;
};

}  // namespace custodian::preserve
