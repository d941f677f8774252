// Preservation: delete and recover, retention policies, legal holds and disposal
// (docs/preservation.md). Every change is a ledger record committed in the same transaction.
//
// Disposal is crypto-shredding (docs/storage-format.md, "Keys"): the blocks that held a disposed
// message or its searchable text are rewritten without it under new seeds, and their old seeds
// are destroyed (with secure_delete, then a truncated write-ahead log), so the old ciphertext,
// still in the segment files until compaction, can never be decrypted again.

#include <algorithm>
#include <map>
#include <set>

#include "archive/archive_impl.h"
#include "ledger/record.h"
#include "mime/message.h"
#include "query/query.h"
#include "util/digest.h"

namespace custodian {
namespace {

constexpr int64_t kDay = 86400;

RetentionPolicy ToPolicy(const preserve::PolicyRow& p) {
  return {p.name, p.query, p.keep_days, p.created, p.actor, p.reason};
}

LegalHold ToHold(const preserve::HoldRow& h) {
  LegalHold o;
  o.matter = h.matter;
  o.query = h.query;
  o.custodian = h.custodian;
  o.from = h.from;
  o.to = h.to;
  o.reason = h.reason;
  o.created = h.created;
  o.actor = h.actor;
  o.released = h.released;
  o.released_by = h.released_by;
  o.release_reason = h.release_reason;
  return o;
}

ledger::Record NewRecord(ledger::RecordType type, const Attribution& who) {
  ledger::Record r;
  r.type = type;
  r.time_ms = NowMs();
  r.actor = who.actor;
  r.reason = who.reason;
  return r;
}

}  // namespace

Status ArchiveImpl::RequireWriter(const Attribution& who) {
  if (mode_ != Mode::kWrite) return Status::Internal("archive opened read-only");
  if (who.actor.empty()) return Status::InvalidArgument("say who makes this change (--actor)");
  return Status::Ok();
}

Result<std::vector<int64_t>> ArchiveImpl::QueryMessages(const std::string& q) {
  CUSTODIAN_ASSIGN_OR_RETURN(query::NodePtr root, query::Parse(q));
  index_->NewSnapshot();
  auto matcher = [this](const query::Node& n) { return MatchTexts(n); };
  uint64_t total = 0;
  CUSTODIAN_ASSIGN_OR_RETURN(
      auto matches,
      index_->Search(*root, matcher, index::SortOrder::kDateDescending, 0, 0, &total));
  std::vector<int64_t> out;
  out.reserve(matches.size());
  for (const auto& m : matches) out.push_back(m.msg);
  std::sort(out.begin(), out.end());
  return out;
}

Result<ChangeResult> ArchiveImpl::SetDeleted(const CopySelection& sel, const Attribution& who,
                                             bool deleted) {
  CUSTODIAN_RETURN_IF_ERROR(RequireWriter(who));
  if (sel.custodian.empty()) return Status::InvalidArgument("say whose copies: --custodian NAME");
  if (sel.ids.empty() && sel.query.empty())
    return Status::InvalidArgument("give message ids or --query");
  CUSTODIAN_ASSIGN_OR_RETURN(bool exists, catalog_->CustodianExists(sel.custodian));
  if (!exists)
    return Status::NotFound("no custodian named '" + sel.custodian + "' in this archive");
  std::vector<int64_t> msgs;
  if (!sel.ids.empty()) {
    for (const auto& id : sel.ids) {
      CUSTODIAN_ASSIGN_OR_RETURN(std::string full, ResolveId(id));
      CUSTODIAN_ASSIGN_OR_RETURN(auto msg, catalog_->FindMessage(*Sha256FromHex(full)));
      if (msg) msgs.push_back(*msg);
    }
  } else {
    CUSTODIAN_ASSIGN_OR_RETURN(msgs, QueryMessages(sel.query));
  }
  ChangeResult res;
  Status st = InTransaction([&]() -> Status {
    for (int64_t msg : msgs) {
      CUSTODIAN_ASSIGN_OR_RETURN(auto copies, catalog_->CopiesOfCustodian(msg, sel.custodian));
      if (copies.empty()) continue;
      res.matched++;
      bool differs = false;
      for (const auto& c : copies) differs |= c.deleted != deleted;
      if (!differs) continue;
      CUSTODIAN_RETURN_IF_ERROR(catalog_->SetCopiesDeleted(msg, sel.custodian, deleted));
      CUSTODIAN_ASSIGN_OR_RETURN(catalog::MessageRow row, catalog_->GetMessage(msg));
      ledger::Record r =
          NewRecord(deleted ? ledger::RecordType::kDeleted : ledger::RecordType::kRecovered, who);
      r.message = row.id;
      r.custodian = sel.custodian;
      CUSTODIAN_RETURN_IF_ERROR(ledger_->Append(r).status());
      res.changed++;
    }
    return Status::Ok();
  });
  CUSTODIAN_RETURN_IF_ERROR(st);
  return res;
}

Result<ChangeResult> ArchiveImpl::Delete(const CopySelection& sel, const Attribution& who) {
  return SetDeleted(sel, who, true);
}

Result<ChangeResult> ArchiveImpl::Recover(const CopySelection& sel, const Attribution& who) {
  return SetDeleted(sel, who, false);
}

Status ArchiveImpl::SetRetention(const RetentionPolicy& p, const Attribution& who) {
  CUSTODIAN_RETURN_IF_ERROR(RequireWriter(who));
  if (p.name.empty()) return Status::InvalidArgument("a retention policy needs a name");
  if (p.query.empty()) return Status::InvalidArgument("a retention policy needs --query");
  if (p.keep_days && *p.keep_days < 0)
    return Status::InvalidArgument("--keep must not be negative");
  CUSTODIAN_RETURN_IF_ERROR(query::Parse(p.query).status());
  return InTransaction([&]() -> Status {
    ledger::Record r = NewRecord(ledger::RecordType::kRetentionSet, who);
    r.name = p.name;
    r.query = p.query;
    r.keep_days = p.keep_days;
    CUSTODIAN_ASSIGN_OR_RETURN(uint64_t leaf, ledger_->Append(r));
    preserve::PolicyRow row{p.name,    p.query,    p.keep_days,  int64_t(r.time_ms / 1000),
                            who.actor, who.reason, int64_t(leaf)};
    return policies_->SetPolicy(row);
  });
}

Status ArchiveImpl::RemoveRetention(const std::string& name, const Attribution& who) {
  CUSTODIAN_RETURN_IF_ERROR(RequireWriter(who));
  return InTransaction([&]() -> Status {
    CUSTODIAN_ASSIGN_OR_RETURN(auto existing, policies_->GetPolicy(name));
    if (!existing) return Status::NotFound("no retention policy named '" + name + "'");
    ledger::Record r = NewRecord(ledger::RecordType::kRetentionRemoved, who);
    r.name = name;
    CUSTODIAN_RETURN_IF_ERROR(ledger_->Append(r).status());
    return policies_->RemovePolicy(name);
  });
}

Result<std::vector<RetentionPolicy>> ArchiveImpl::ListRetention() {
  CUSTODIAN_ASSIGN_OR_RETURN(auto rows, policies_->ListPolicies());
  std::vector<RetentionPolicy> out;
  for (const auto& p : rows) out.push_back(ToPolicy(p));
  return out;
}

Status ArchiveImpl::CreateHold(const LegalHold& h, const Attribution& who) {
  CUSTODIAN_RETURN_IF_ERROR(RequireWriter(who));
  if (h.matter.empty()) return Status::InvalidArgument("a hold needs a matter name");
  if (h.query.empty())
    return Status::InvalidArgument("a hold needs --query (use '*' for everything)");
  if (h.from && h.to && *h.from > *h.to) return Status::InvalidArgument("--from is after --to");
  CUSTODIAN_RETURN_IF_ERROR(query::Parse(h.query).status());
  return InTransaction([&]() -> Status {
    CUSTODIAN_ASSIGN_OR_RETURN(auto active, policies_->ActiveHold(h.matter));
    if (active)
      return Status::AlreadyExists("a hold for matter '" + h.matter + "' is already in place");
    ledger::Record r = NewRecord(ledger::RecordType::kHoldPlaced, who);
    r.name = h.matter;
    r.query = h.query;
    r.custodian = h.custodian;
    r.from = h.from;
    r.to = h.to;
    CUSTODIAN_ASSIGN_OR_RETURN(uint64_t leaf, ledger_->Append(r));
    preserve::HoldRow row;
    row.matter = h.matter;
    row.query = h.query;
    row.custodian = h.custodian;
    row.from = h.from;
    row.to = h.to;
    row.reason = who.reason;
    row.created = int64_t(r.time_ms / 1000);
    row.actor = who.actor;
    row.leaf = int64_t(leaf);
    return policies_->AddHold(row);
  });
}

Status ArchiveImpl::ReleaseHold(const std::string& matter, const Attribution& who) {
  CUSTODIAN_RETURN_IF_ERROR(RequireWriter(who));
  if (who.reason.empty()) return Status::InvalidArgument("say why the hold is released (--reason)");
  return InTransaction([&]() -> Status {
    CUSTODIAN_ASSIGN_OR_RETURN(auto active, policies_->ActiveHold(matter));
    if (!active) return Status::NotFound("no hold in place for matter '" + matter + "'");
    ledger::Record r = NewRecord(ledger::RecordType::kHoldReleased, who);
    r.name = matter;
    CUSTODIAN_ASSIGN_OR_RETURN(uint64_t leaf, ledger_->Append(r));
    return policies_->ReleaseHold(active->hold_id, int64_t(r.time_ms / 1000), who.actor, who.reason,
                                  int64_t(leaf));
  });
}

Result<std::vector<LegalHold>> ArchiveImpl::ListHolds() {
  CUSTODIAN_ASSIGN_OR_RETURN(auto rows, policies_->ListHolds());
  std::vector<LegalHold> out;
  for (const auto& h : rows) out.push_back(ToHold(h));
  return out;
}

Status ArchiveImpl::RecordAudit(const std::string& action, const std::string& detail,
                                const Attribution& who) {
  CUSTODIAN_RETURN_IF_ERROR(RequireWriter(who));
  if (action.empty()) return Status::InvalidArgument("an audit record needs an action");
  return InTransaction([&]() -> Status {
    ledger::Record r = NewRecord(ledger::RecordType::kAudit, who);
    r.reason.clear();  // audit records carry action and detail
    r.name = action;
    r.detail = detail;
    return ledger_->Append(r).status();
  });
}

Status ArchiveImpl::DisposeMessage(const catalog::MessageRow& row, const std::string& policy,
                                   const Attribution& who, std::vector<index::TextRow>* dead_texts,
                                   bool* index_kept) {
  // The text's index entries can be removed only with the document they were made from, which
  // only this message's bytes can give: read them while they exist.
  std::optional<index::SearchDocument> doc;
  std::optional<index::TextRow> text;
  if (row.text_id) {
    CUSTODIAN_ASSIGN_OR_RETURN(uint64_t users, index_->TextUsers(*row.text_id));
    if (users == 1) {
      CUSTODIAN_ASSIGN_OR_RETURN(std::string bytes, ReadRow(row));
      CUSTODIAN_ASSIGN_OR_RETURN(text, index_->GetText(*row.text_id));
      std::string problems;
      index::SearchDocument d = index::MakeDocument(bytes, mime::ParseMessage(bytes), &problems);
      if (ComputeSha256(d.Text()) == text->hash) doc = std::move(d);
    }
  }
  ledger::Record r = NewRecord(ledger::RecordType::kDisposed, who);
  r.message = row.id;
  r.size = row.size;
  r.name = policy;
  CUSTODIAN_ASSIGN_OR_RETURN(uint64_t leaf, ledger_->Append(r));
  CUSTODIAN_RETURN_IF_ERROR(
      policies_->AddDisposal({row.id, int64_t(leaf), row.size, policy, int64_t(r.time_ms / 1000)}));
  CUSTODIAN_ASSIGN_OR_RETURN(auto thread, index_->ThreadIdOf(row.msg));
  CUSTODIAN_RETURN_IF_ERROR(catalog_->RemoveMessage(row.msg));
  if (thread) CUSTODIAN_RETURN_IF_ERROR(index_->ForgetThreadMessage(*thread, row.message_id));
  if (row.text_id) {
    CUSTODIAN_ASSIGN_OR_RETURN(uint64_t users, index_->TextUsers(*row.text_id));
    if (users == 0 && text) {
      CUSTODIAN_RETURN_IF_ERROR(index_->RemoveText(*row.text_id, doc ? &*doc : nullptr));
      if (!doc) *index_kept = true;
      dead_texts->push_back(*text);
    }
  }
  return Status::Ok();
}

Result<uint64_t> ArchiveImpl::RewriteBlocks(const std::vector<int64_t>& blocks,
                                            catalog::BlockKind kind) {
  CUSTODIAN_RETURN_IF_ERROR(LoadDictionaries());
  CUSTODIAN_ASSIGN_OR_RETURN(int64_t next_block, catalog_->MaxBlockId());
  cached_block_.reset();
  uint64_t rewritten = 0;
  for (int64_t block_id : blocks) {
    CUSTODIAN_ASSIGN_OR_RETURN(catalog::BlockRow b, catalog_->GetBlock(block_id));
    if (b.kind != kind) continue;  // already retired
    CUSTODIAN_ASSIGN_OR_RETURN(std::string rec, segments_->Read(b.loc));
    auto decoded = store::DecodeBlock(rec, keys_.BlockKey(b.seed), Dicts());
    if (!decoded.ok())
      return Status::Corruption("block " + std::to_string(block_id) +
                                " cannot be read to rewrite it without the "
                                "disposed content: " +
                                decoded.status().message() + " (run `custodian verify`)");
    // The survivors: rows that still point into this block.
    std::vector<std::pair<int64_t, uint32_t>> rows;  // (message or text id, old slot)
    if (kind == catalog::BlockKind::kMessages) {
      CUSTODIAN_RETURN_IF_ERROR(
          catalog_->ForEachMessageInBlock(block_id, [&](const catalog::MessageRow& m) {
            rows.emplace_back(m.msg, m.slot);
            return Status::Ok();
          }));
    } else {
      CUSTODIAN_RETURN_IF_ERROR(index_->ForEachTextInBlock(block_id, [&](const index::TextRow& t) {
        rows.emplace_back(t.text_id, t.slot);
        return Status::Ok();
      }));
    }
    std::vector<store::BlockEntry> entries;
    for (const auto& [id, slot] : rows) {
      if (slot >= decoded->ids.size())
        return Status::Corruption("block " + std::to_string(block_id) + " lacks slot " +
                                  std::to_string(slot));
      std::string_view data = decoded->message(slot);
      if (ComputeSha256(data) != decoded->ids[slot])
        return Status::Corruption(
            "block " + std::to_string(block_id) + " slot " + std::to_string(slot) +
            " does not match its digest; not rewriting it (run `custodian verify`)");
      entries.push_back({decoded->ids[slot], data});
    }
    std::vector<std::pair<int64_t, uint32_t>> places(rows.size());
    CUSTODIAN_RETURN_IF_ERROR(
        AppendBlocks(kind, entries, &next_block, [&](size_t i, int64_t nb, uint32_t ns) {
          places[i] = {nb, ns};
        }));
    for (size_t i = 0; i < rows.size(); i++) {
      if (kind == catalog::BlockKind::kMessages) {
        CUSTODIAN_RETURN_IF_ERROR(
            catalog_->MoveMessage(rows[i].first, places[i].first, places[i].second));
      } else {
        CUSTODIAN_RETURN_IF_ERROR(
            index_->MoveText(rows[i].first, places[i].first, places[i].second));
      }
    }
    CUSTODIAN_RETURN_IF_ERROR(catalog_->ShredBlock(block_id));
    rewritten++;
  }
  CUSTODIAN_ASSIGN_OR_RETURN(auto seg_states, segments_->Sync());
  for (const auto& s : seg_states) CUSTODIAN_RETURN_IF_ERROR(catalog_->SetSegment(s));
  return rewritten;
}

Result<PurgeResult> ArchiveImpl::Purge(bool dry_run, const Attribution& who) {
  if (!dry_run) CUSTODIAN_RETURN_IF_ERROR(RequireWriter(who));
  PurgeResult res;
  res.dry_run = dry_run;
  const int64_t now = int64_t(NowMs() / 1000);
  if (dry_run)
    CUSTODIAN_RETURN_IF_ERROR(catalog_->BeginRead());
  else
    CUSTODIAN_RETURN_IF_ERROR(catalog_->Begin());
  std::vector<catalog::MessageRow> disposable;
  std::vector<std::string> disposable_policy;
  Status st = [&]() -> Status {
    // Retention: the longest period of every policy that matches a message (permanent wins).
    struct Keep {
      std::optional<int64_t> days;  // none: permanent
      std::string policy;
    };
    std::map<int64_t, Keep> keep;
    CUSTODIAN_ASSIGN_OR_RETURN(auto policies, policies_->ListPolicies());
    for (const auto& p : policies) {
      CUSTODIAN_ASSIGN_OR_RETURN(auto msgs, QueryMessages(p.query));
      for (int64_t m : msgs) {
        auto [it, fresh] = keep.try_emplace(m, Keep{p.keep_days, p.name});
        if (fresh) continue;
        Keep& k = it->second;
        if (!k.days) continue;
        if (!p.keep_days || *p.keep_days > *k.days) k = Keep{p.keep_days, p.name};
      }
    }
    // Holds are evaluated now, not when placed: they cover mail that arrived since.
    std::set<int64_t> held;
    CUSTODIAN_ASSIGN_OR_RETURN(auto holds, policies_->ListHolds());
    for (const auto& h : holds) {
      if (h.released) continue;
      CUSTODIAN_ASSIGN_OR_RETURN(auto msgs, QueryMessages(h.query));
      for (int64_t m : msgs) {
        if (!keep.count(m)) continue;  // never disposed of anyway
        if (!h.custodian.empty()) {
          CUSTODIAN_ASSIGN_OR_RETURN(auto copies, catalog_->CopiesOfCustodian(m, h.custodian));
          if (copies.empty()) continue;
        }
        if (h.from || h.to) {
          CUSTODIAN_ASSIGN_OR_RETURN(catalog::MessageRow row, catalog_->GetMessage(m));
          // A message without a date is held: the hold may be meant for it.
          if (row.date && ((h.from && *row.date < *h.from) || (h.to && *row.date > *h.to)))
            continue;
        }
        held.insert(m);
      }
    }
    CUSTODIAN_ASSIGN_OR_RETURN(catalog::CatalogStats stats, catalog_->Stats());
    res.unmanaged = stats.messages - keep.size();
    for (const auto& [m, k] : keep) {
      CUSTODIAN_ASSIGN_OR_RETURN(catalog::MessageRow row, catalog_->GetMessage(m));
      int64_t basis = row.date.value_or(row.added);
      if (!k.days || basis + *k.days * kDay > now) {
        res.retained++;
      } else if (held.count(m)) {
        res.held++;
      } else {
        disposable.push_back(row);
        disposable_policy.push_back(k.policy);
        res.disposed.push_back({ToHex(row.id), row.size, k.policy});
      }
    }
    if (dry_run || disposable.empty()) return Status::Ok();
    std::set<int64_t> message_blocks, text_blocks;
    std::vector<index::TextRow> dead_texts;
    bool index_kept = false;
    for (size_t i = 0; i < disposable.size(); i++) {
      message_blocks.insert(disposable[i].block_id);
      CUSTODIAN_RETURN_IF_ERROR(
          DisposeMessage(disposable[i], disposable_policy[i], who, &dead_texts, &index_kept));
    }
    std::vector<int64_t> dead_ids;
    for (const auto& t : dead_texts) {
      text_blocks.insert(t.block_id);
      dead_ids.push_back(t.text_id);
    }
    std::sort(dead_ids.begin(), dead_ids.end());
    CUSTODIAN_RETURN_IF_ERROR(index_->RemoveFromGrams(dead_ids));
    // Deleted FTS5 entries stay in older index segments until they are merged.
    if (!dead_ids.empty()) CUSTODIAN_RETURN_IF_ERROR(index_->OptimizeWords());
    if (index_kept)
      res.warning =
          "the word index entries of some disposed texts could not be removed (their text no "
          "longer "
          "derives identically from the message); they can never be a hit; `custodian reindex "
          "--all` "
          "rebuilds the index without them";
    CUSTODIAN_ASSIGN_OR_RETURN(uint64_t a,
                               RewriteBlocks({message_blocks.begin(), message_blocks.end()},
                                             catalog::BlockKind::kMessages));
    CUSTODIAN_ASSIGN_OR_RETURN(uint64_t b, RewriteBlocks({text_blocks.begin(), text_blocks.end()},
                                                         catalog::BlockKind::kTexts));
    res.blocks_rewritten = a + b;
    res.texts_disposed = dead_ids.size();
    return Status::Ok();
  }();
  if (dry_run) {
    (void)catalog_->Commit();
    CUSTODIAN_RETURN_IF_ERROR(st);
    return res;
  }
  if (!st.ok()) {
    RollbackWithLedger();
    return st;
  }
  if (disposable.empty()) {
    (void)catalog_->Rollback();
    return res;
  }
  CUSTODIAN_RETURN_IF_ERROR(CommitWithLedger());
  // The content is unreadable now; compaction also takes its ciphertext off the disk.
  CUSTODIAN_ASSIGN_OR_RETURN(res.bytes_reclaimed, Compact(who));
  // Old page images holding the destroyed seeds must not survive in the write-ahead log.
  if (Status wal = catalog_->CheckpointWal(); !wal.ok())
    res.warning += (res.warning.empty() ? "" : "; ") + wal.message() +
                   ": it is emptied when the archive is next written with no reader open";
  return res;
}

}  // namespace custodian
