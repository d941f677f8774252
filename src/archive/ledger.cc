// The ledger seen from outside: the latest checkpoint, inclusion proofs of messages, and the
// ledger half of verify — every record re-hashed into the tree, the tree checked against every
// signed checkpoint (and one kept elsewhere), and the records replayed and compared with the
// catalog, so that a row removed, added or changed behind the archive's back is named.

#include <map>
#include <set>
#include <unordered_map>

#include "archive/archive_impl.h"
#include "ledger/record.h"
#include "util/digest.h"

namespace custodian {
namespace {

std::string Hex(const ledger::Hash& h) { return ToHex(h); }

struct ExpectedCopy {
  bool deleted = false;
  uint64_t leaf = 0;  // the last record that set its state
  bool seen = false;
};

struct ExpectedMessage {
  uint64_t stored_leaf = 0;
  uint64_t size = 0;
  std::map<std::pair<std::string, std::string>, ExpectedCopy> copies;  // (custodian, folder)
  bool seen = false;
};

struct ExpectedPolicy {
  std::string query;
  std::optional<int64_t> keep_days;
  uint64_t leaf = 0;
};

struct ExpectedHold {
  std::string query, custodian;
  uint64_t leaf = 0;
  std::optional<uint64_t> release_leaf;
};

}  // namespace

Result<CheckpointInfo> ArchiveImpl::Checkpoint() {
  if (!ledger_->started())
    return Status::NotFound("this archive has no ledger yet; open it for writing once");
  CUSTODIAN_ASSIGN_OR_RETURN(auto latest, ledger_->LatestCheckpoint());
  if (!latest) return Status::NotFound("the ledger has no checkpoint yet");
  CUSTODIAN_ASSIGN_OR_RETURN(ledger::Checkpoint cp,
                             ledger::OpenCheckpoint(latest->note, *ledger_->verifier_key()));
  CheckpointInfo info;
  info.origin = cp.origin;
  info.tree_size = cp.tree_size;
  info.root_hash = Hex(cp.root_hash);
  info.timestamp_ms = cp.timestamp_ms;
  info.note = latest->note;
  info.verifier_key = ledger::FormatVerifierKey(*ledger_->verifier_key());
  return info;
}

Result<LedgerProof> ArchiveImpl::Prove(const std::string& id) {
  if (!ledger_->started())
    return Status::NotFound("this archive has no ledger yet; open it for writing once");
  auto sha = Sha256FromHex(id);
  if (!sha) return Status::InvalidArgument("not a full message id: " + id);
  LedgerProof p;
  p.id = id;
  std::optional<int64_t> leaf;
  CUSTODIAN_ASSIGN_OR_RETURN(auto msg, catalog_->FindMessage(*sha));
  if (msg) {
    CUSTODIAN_ASSIGN_OR_RETURN(catalog::MessageRow row, catalog_->GetMessage(*msg));
    leaf = row.ledger_leaf;
    p.event = "message stored";
  } else {
    CUSTODIAN_ASSIGN_OR_RETURN(auto d, policies_->FindDisposal(*sha));
    if (!d) return Status::NotFound("no message with id " + id + ", and none was disposed of");
    leaf = d->leaf;
    p.event = "disposed";
  }
  if (!leaf)
    return Status::Corruption("message " + id + " has no ledger record (run `custodian verify`)");
  CUSTODIAN_ASSIGN_OR_RETURN(auto latest, ledger_->LatestCheckpoint());
  if (!latest || latest->tree_size <= uint64_t(*leaf))
    return Status::Corruption("no signed checkpoint covers ledger record " + std::to_string(*leaf));
  CUSTODIAN_ASSIGN_OR_RETURN(ledger::Checkpoint cp,
                             ledger::OpenCheckpoint(latest->note, *ledger_->verifier_key()));
  CUSTODIAN_ASSIGN_OR_RETURN(std::string record, ledger_->Record(uint64_t(*leaf)));
  CUSTODIAN_ASSIGN_OR_RETURN(ledger::Record decoded, ledger::DecodeRecord(record));
  if (decoded.message != *sha)
    return Status::Corruption("ledger record " + std::to_string(*leaf) + " is not about message " +
                              id);
  CUSTODIAN_ASSIGN_OR_RETURN(ledger::InclusionProof proof,
                             ledger_->ProveInclusion(uint64_t(*leaf), cp.tree_size));
  ledger::Hash leaf_hash = ledger::HashLeaf(record);
  // Never hand out a proof that does not check against the signed root.
  if (Status st = ledger::VerifyInclusion(proof, leaf_hash, cp.root_hash); !st.ok())
    return Status::Corruption("the ledger does not match its signed checkpoint: " + st.message() +
                              " (run `custodian verify`)");
  p.record = ToHex(reinterpret_cast<const uint8_t*>(record.data()), record.size());
  p.leaf_index = proof.leaf_index;
  p.tree_size = proof.tree_size;
  p.leaf_hash = Hex(leaf_hash);
  for (const auto& h : proof.path) p.path.push_back(Hex(h));
  p.root_hash = Hex(cp.root_hash);
  p.checkpoint = latest->note;
  return p;
}

Status ArchiveImpl::VerifyLedger(VerifyReport* rep, const std::string& older_checkpoint) {
  auto problem = [&](std::string what, std::string where, std::string detail) {
    rep->problems.push_back({std::move(what), std::move(where), std::move(detail)});
  };
  if (!ledger_->started()) {
    problem("ledger", "catalog.db",
            "the archive has no ledger (its tables or its key were removed)");
    return Status::Ok();
  }
  const ledger::VerifierKey& key = *ledger_->verifier_key();

  // Signed checkpoints, by tree size.
  std::map<uint64_t, ledger::Checkpoint> checkpoints;
  CUSTODIAN_ASSIGN_OR_RETURN(auto stored_checkpoints, ledger_->Checkpoints());
  for (const auto& c : stored_checkpoints) {
    rep->checkpoints_checked++;
    auto cp = ledger::OpenCheckpoint(c.note, key);
    if (!cp.ok()) {
      problem("checkpoint", "tree size " + std::to_string(c.tree_size),
              "not a valid checkpoint signed by " + key.name + ": " + cp.status().message());
      continue;
    }
    if (cp->tree_size != c.tree_size) {
      problem("checkpoint", "tree size " + std::to_string(c.tree_size),
              "the signed note is for tree size " + std::to_string(cp->tree_size));
      continue;
    }
    checkpoints[c.tree_size] = *cp;
  }

  // Every record, re-hashed into a fresh tree and replayed.
  std::vector<ledger::Hash> leaf_hashes;
  ledger::Frontier tree;
  std::map<std::pair<unsigned, uint64_t>, ledger::Hash>
      nodes;  // recomputed, from the stored level up
  std::unordered_map<Sha256, ExpectedMessage, Sha256Hash> messages;
  std::unordered_map<Sha256, uint64_t, Sha256Hash> disposed;
  std::map<std::string, ExpectedPolicy> policies;
  std::map<std::string, ExpectedHold> holds;  // active ones
  std::vector<std::pair<std::string, ExpectedHold>> released;
  uint64_t last_checkpoint = 0;
  auto bad_record = [&](uint64_t leaf, const std::string& detail) {
    problem("record", "ledger record " + std::to_string(leaf), detail);
  };
  Status st = ledger_->ForEachLeaf([&](uint64_t leaf, std::string_view bytes) -> Status {
    rep->records_checked++;
    if (leaf != tree.size()) {
      if (leaf > tree.size())
        problem("record", "ledger record " + std::to_string(tree.size()),
                "missing: the ledger jumps from record " + std::to_string(tree.size()) + " to " +
                    std::to_string(leaf));
      else
        bad_record(leaf, "appears twice");
    }
    ledger::Hash h = ledger::HashLeaf(bytes);
    leaf_hashes.push_back(h);
    CUSTODIAN_RETURN_IF_ERROR(
        tree.Append(h, [&](unsigned level, uint64_t index, const ledger::Hash& node) {
          if (level >= preserve::kStoredNodeLevel) nodes[{level, index}] = node;
        }));
    if (auto c = checkpoints.find(tree.size()); c != checkpoints.end()) {
      if (tree.Root() != c->second.root_hash)
        problem("checkpoint", "tree size " + std::to_string(tree.size()),
                "the records do not hash to the root it signed: one of ledger records " +
                    std::to_string(last_checkpoint) + ".." + std::to_string(tree.size() - 1) +
                    " was altered, added or removed since it was signed");
      last_checkpoint = tree.size();
    }
    auto rec = ledger::DecodeRecord(bytes);
    if (!rec.ok()) {
      bad_record(leaf, "cannot be read: " + rec.status().message());
      return Status::Ok();
    }
    const ledger::Record& r = *rec;
    std::string mid = ToHex(r.message);
    switch (r.type) {
      case ledger::RecordType::kMessageStored: {
        if (messages.count(r.message)) {
          bad_record(leaf, "stores message " + mid + " again (first stored at record " +
                               std::to_string(messages[r.message].stored_leaf) + ")");
          break;
        }
        ExpectedMessage& m = messages[r.message];
        m.stored_leaf = leaf;
        m.size = r.size;
        m.copies[{r.custodian, r.folder}] = {r.deleted, leaf, false};
        disposed.erase(r.message);
        break;
      }
      case ledger::RecordType::kCopyAdded: {
        auto it = messages.find(r.message);
        if (it == messages.end()) {
          bad_record(leaf, "adds a copy of message " + mid + ", which no earlier record stores");
          break;
        }
        it->second.copies[{r.custodian, r.folder}] = {r.deleted, leaf, false};
        break;
      }
      case ledger::RecordType::kDeleted:
      case ledger::RecordType::kRecovered: {
        auto it = messages.find(r.message);
        if (it == messages.end()) {
          bad_record(leaf, RecordTypeName(r.type) + " message " + mid + ", which is not stored");
          break;
        }
        for (auto& [where, c] : it->second.copies)
          if (where.first == r.custodian) c = {r.type == ledger::RecordType::kDeleted, leaf, false};
        break;
      }
      case ledger::RecordType::kHoldPlaced:
        holds[r.name] = {r.query, r.custodian, leaf, std::nullopt};
        break;
      case ledger::RecordType::kHoldReleased: {
        auto it = holds.find(r.name);
        if (it == holds.end()) {
          bad_record(leaf, "releases hold '" + r.name + "', which is not in place");
          break;
        }
        it->second.release_leaf = leaf;
        released.emplace_back(it->first, it->second);
        holds.erase(it);
        break;
      }
      case ledger::RecordType::kRetentionSet:
        policies[r.name] = {r.query, r.keep_days, leaf};
        break;
      case ledger::RecordType::kRetentionRemoved:
        if (!policies.erase(r.name))
          bad_record(leaf, "removes retention policy '" + r.name + "', which does not exist");
        break;
      case ledger::RecordType::kDisposed:
        if (!messages.erase(r.message)) {
          bad_record(leaf, "disposes of message " + mid + ", which is not stored");
          break;
        }
        disposed[r.message] = leaf;
        break;
      case ledger::RecordType::kAudit:
      case ledger::RecordType::kDkimResult:
        break;
    }
    return Status::Ok();
  });
  CUSTODIAN_RETURN_IF_ERROR(st);
  const uint64_t n = tree.size();

  // The tree against what is stored: interior nodes, the frontier, checkpoints past the end.
  CUSTODIAN_RETURN_IF_ERROR(
      ledger_->ForEachNode([&](unsigned level, uint64_t index, const ledger::Hash& h) {
        auto it = nodes.find({level, index});
        uint64_t first = index << level, last = ((index + 1) << level) - 1;
        std::string where = "ledger records " + std::to_string(first) + ".." + std::to_string(last);
        if (it == nodes.end())
          problem("record", where,
                  "the ledger stored a subtree over these records, which no longer exist");
        else if (it->second != h)
          problem("record", where,
                  "one of these records was altered: they no longer hash to the subtree stored "
                  "when they were written");
        return Status::Ok();
      }));
  auto frontier = ledger_->StoredFrontier();
  if (!frontier.ok())
    problem("ledger", "catalog.db", "the stored frontier: " + frontier.status().message());
  else if (frontier->size() != n || frontier->Root() != tree.Root())
    problem("ledger", "catalog.db",
            "the stored frontier (" + std::to_string(frontier->size()) +
                " records) does not match the records (" + std::to_string(n) + ")");
  for (const auto& [size, cp] : checkpoints)
    if (size > n)
      problem("checkpoint", "tree size " + std::to_string(size),
              "signed for " + std::to_string(size) + " records, but the ledger has only " +
                  std::to_string(n) + ": records were removed");
  if (n > 0 && (checkpoints.empty() || checkpoints.rbegin()->first < n))
    problem("ledger",
            "ledger records " +
                std::to_string(checkpoints.empty() ? 0 : checkpoints.rbegin()->first) + ".." +
                std::to_string(n - 1),
            "no signed checkpoint covers these records");

  // A checkpoint kept elsewhere: the ledger must still extend it.
  if (!older_checkpoint.empty()) {
    rep->checked_against_given = true;
    auto cp = ledger::OpenCheckpoint(older_checkpoint, key);
    if (!cp.ok()) {
      problem("checkpoint", "the checkpoint given",
              "is not a checkpoint signed by this archive's ledger key (" + key.name +
                  "): " + cp.status().message());
    } else if (cp->tree_size > n) {
      problem("rollback", "the checkpoint given",
              "it covers " + std::to_string(cp->tree_size) +
                  " records but the archive's ledger has only " + std::to_string(n) +
                  ": the archive was rolled back to an older state, or records were removed");
    } else if (cp->tree_size > 0) {
      ledger::MemoryHashSource src(leaf_hashes);
      CUSTODIAN_ASSIGN_OR_RETURN(ledger::ConsistencyProof proof,
                                 ledger::ProveConsistency(src, cp->tree_size, n));
      if (Status c = ledger::VerifyConsistency(proof, cp->root_hash, tree.Root()); !c.ok())
        problem("rollback", "the checkpoint given",
                "the ledger is not an extension of it (" + c.message() +
                    "): history before record " + std::to_string(cp->tree_size) + " was rewritten");
    }
  }

  // The catalog against the replayed records.
  CUSTODIAN_RETURN_IF_ERROR(catalog_->ForEachMessage([&](const catalog::MessageRow& m) {
    std::string id = ToHex(m.id);
    auto it = messages.find(m.id);
    if (it == messages.end()) {
      auto d = disposed.find(m.id);
      problem("message", id,
              d != disposed.end() ? "was disposed of (ledger record " + std::to_string(d->second) +
                                        ") but is in the catalog again"
                                  : "is in the catalog but no ledger record stores it");
      return Status::Ok();
    }
    it->second.seen = true;
    if (!m.ledger_leaf || uint64_t(*m.ledger_leaf) != it->second.stored_leaf)
      problem("message", id,
              "the catalog names ledger record " +
                  (m.ledger_leaf ? std::to_string(*m.ledger_leaf) : "none") +
                  " for it, the ledger stored it at record " +
                  std::to_string(it->second.stored_leaf));
    if (m.size != it->second.size)
      problem("message", id,
              "size " + std::to_string(m.size) + " in the catalog, " +
                  std::to_string(it->second.size) + " in ledger record " +
                  std::to_string(it->second.stored_leaf));
    return Status::Ok();
  }));
  catalog::CopyFilter all;
  all.include_deleted = true;
  all.storage_order = true;
  CUSTODIAN_RETURN_IF_ERROR(
      catalog_->ForEachCopy(all, [&](const catalog::CopyRow& c, const catalog::MessageRow& m) {
        std::string where = ToHex(m.id) + " in " + c.custodian + "/" + c.folder;
        auto it = messages.find(m.id);
        if (it == messages.end()) return Status::Ok();  // reported with the message
        auto ci = it->second.copies.find({c.custodian, c.folder});
        if (ci == it->second.copies.end()) {
          problem("copy", where, "is in the catalog but no ledger record adds it");
          return Status::Ok();
        }
        ci->second.seen = true;
        if (ci->second.deleted != c.deleted)
          problem("copy", where,
                  std::string(c.deleted ? "is deleted" : "is not deleted") +
                      " in the catalog, but ledger record " + std::to_string(ci->second.leaf) +
                      " says " + (ci->second.deleted ? "deleted" : "not deleted"));
        return Status::Ok();
      }));
  for (const auto& [sha, m] : messages) {
    if (!m.seen) {
      problem("message", ToHex(sha),
              "stored (ledger record " + std::to_string(m.stored_leaf) +
                  ") but missing from the catalog, and no disposal is recorded");
      continue;
    }
    for (const auto& [where, c] : m.copies)
      if (!c.seen)
        problem(
            "copy", ToHex(sha) + " in " + where.first + "/" + where.second,
            "recorded (ledger record " + std::to_string(c.leaf) + ") but missing from the catalog");
  }
  CUSTODIAN_ASSIGN_OR_RETURN(auto policy_rows, policies_->ListPolicies());
  for (const auto& p : policy_rows) {
    auto it = policies.find(p.name);
    if (it == policies.end()) {
      problem("retention", p.name,
              "policy is in the catalog but no ledger record sets it (or it was removed)");
    } else {
      if (it->second.query != p.query || it->second.keep_days != p.keep_days ||
          uint64_t(p.leaf) != it->second.leaf)
        problem("retention", p.name,
                "policy differs from ledger record " + std::to_string(it->second.leaf));
      policies.erase(it);
    }
  }
  for (const auto& [name, p] : policies)
    problem(
        "retention", name,
        "policy set by ledger record " + std::to_string(p.leaf) + " is missing from the catalog");
  CUSTODIAN_ASSIGN_OR_RETURN(auto hold_rows, policies_->ListHolds());
  for (const auto& h : hold_rows) {
    if (h.released) continue;
    auto it = holds.find(h.matter);
    if (it == holds.end()) {
      problem("hold", h.matter,
              "is in place in the catalog but the ledger has no such active hold");
    } else {
      if (it->second.query != h.query || it->second.custodian != h.custodian ||
          uint64_t(h.leaf) != it->second.leaf)
        problem("hold", h.matter, "differs from ledger record " + std::to_string(it->second.leaf));
      holds.erase(it);
    }
  }
  for (const auto& [matter, h] : holds)
    problem("hold", matter,
            "placed by ledger record " + std::to_string(h.leaf) +
                " is missing from the catalog or marked released without a record");
  CUSTODIAN_ASSIGN_OR_RETURN(auto disposal_rows, policies_->ListDisposals());
  std::set<Sha256> listed;
  for (const auto& d : disposal_rows) listed.insert(d.id);
  for (const auto& [sha, leaf] : disposed)
    if (!listed.count(sha))
      problem("disposal", ToHex(sha),
              "recorded in ledger record " + std::to_string(leaf) +
                  " but missing from the catalog's disposal register");
  return Status::Ok();
}

}  // namespace custodian
