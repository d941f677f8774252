#include "preserve/ledger.h"

namespace custodian::preserve {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS ledger_leaves(leaf INTEGER PRIMARY KEY, record BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS ledger_nodes(key INTEGER PRIMARY KEY, hash BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS ledger_checkpoints(tree_size INTEGER PRIMARY KEY, note TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ledger_state(key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
)sql";

int64_t NodeKey(unsigned level, uint64_t index) { return int64_t((uint64_t(level) << 48) | index); }

ledger::Hash ToHash(std::string_view b) {
  ledger::Hash h{};
  if (b.size() == h.size()) std::copy(b.begin(), b.end(), h.begin());
  return h;
}

}  // namespace

// Leaves are hashed from their stored records; complete nodes of 2^8 leaves and more are read.
class Ledger::Source : public ledger::HashSource {
 public:
  explicit Source(Ledger* l) : l_(l) {}
  Result<ledger::Hash> LeafHash(uint64_t index) override {
    CUSTODIAN_ASSIGN_OR_RETURN(std::string rec, l_->Record(index));
    return ledger::HashLeaf(rec);
  }
  Result<ledger::Hash> NodeHash(unsigned level, uint64_t index) override {
    if (level >= kStoredNodeLevel && level < 64) {
      CUSTODIAN_ASSIGN_OR_RETURN(auto s,
                                 l_->db_->Prepare("SELECT hash FROM ledger_nodes WHERE key = ?"));
      s.Bind(1, NodeKey(level, index));
      CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
      if (row) return ToHash(s.Blob(0));
    }
    return HashSource::NodeHash(level, index);
  }

 private:
  Ledger* l_;
};

Result<std::unique_ptr<Ledger>> Ledger::Open(catalog::Database* db, bool read_only) {
  std::unique_ptr<Ledger> l(new Ledger(db));
  if (!read_only) {
    CUSTODIAN_RETURN_IF_ERROR(db->Exec(kSchema));
    l->add_leaf_ = db->PrepareLazy("INSERT INTO ledger_leaves(leaf, record) VALUES(?, ?)");
    l->add_node_ = db->PrepareLazy("INSERT OR REPLACE INTO ledger_nodes(key, hash) VALUES(?, ?)");
  }
  CUSTODIAN_RETURN_IF_ERROR(l->Load());
  return l;
}

Status Ledger::Load() {
  CUSTODIAN_ASSIGN_OR_RETURN(auto key, GetState("verifier_key"));
  if (!key) return Status::Ok();
  CUSTODIAN_ASSIGN_OR_RETURN(verifier_, ledger::ParseVerifierKey(*key));
  CUSTODIAN_ASSIGN_OR_RETURN(frontier_, StoredFrontier());
  committed_ = frontier_;
  started_ = true;
  return Status::Ok();
}

Result<std::optional<std::string>> Ledger::GetState(const std::string& key) {
  auto s = db_->Prepare("SELECT value FROM ledger_state WHERE key = ?");
  if (!s.ok()) {
    // A catalog from before schema 4 opened read-only has no ledger tables.
    if (s.status().message().find("no such table") != std::string::npos)
      return std::optional<std::string>();
    return s.status();
  }
  s->Bind(1, key);
  CUSTODIAN_ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(std::string(s->Blob(0)));
}

Status Ledger::SetState(const std::string& key, std::string_view value) {
  CUSTODIAN_ASSIGN_OR_RETURN(
      auto s, db_->Prepare("INSERT OR REPLACE INTO ledger_state(key, value) VALUES(?, ?)"));
  s.Bind(1, key).BindBlob(2, value.data(), value.size());
  return s.Exec();
}

Status Ledger::Start(const ledger::VerifierKey& key) {
  if (started_) return Status::AlreadyExists("the ledger is already started");
  CUSTODIAN_RETURN_IF_ERROR(SetState("verifier_key", ledger::FormatVerifierKey(key)));
  CUSTODIAN_RETURN_IF_ERROR(SetState("frontier", ledger::Frontier().Serialize()));
  verifier_ = key;
  frontier_ = committed_ = ledger::Frontier();
  started_ = true;
  return Status::Ok();
}

Result<uint64_t> Ledger::Append(const ledger::Record& record) {
  if (!started_) return Status::Internal("the ledger is not started");
  CUSTODIAN_ASSIGN_OR_RETURN(std::string bytes, ledger::EncodeRecord(record));
  uint64_t leaf = frontier_.size();
  add_leaf_.Bind(1, int64_t(leaf)).BindBlob(2, bytes.data(), bytes.size());
  CUSTODIAN_RETURN_IF_ERROR(add_leaf_.Exec());
  Status node_status;
  CUSTODIAN_RETURN_IF_ERROR(frontier_.Append(
      ledger::HashLeaf(bytes), [&](unsigned level, uint64_t index, const ledger::Hash& h) {
        if (level < kStoredNodeLevel || !node_status.ok()) return;
        add_node_.Bind(1, NodeKey(level, index)).BindBlob(2, h.data(), h.size());
        node_status = add_node_.Exec();
      }));
  CUSTODIAN_RETURN_IF_ERROR(node_status);
  return leaf;
}

Status Ledger::Seal(const ledger::SignerKey& key, uint64_t time_ms) {
  if (!started_) return Status::Ok();
  {
    CUSTODIAN_ASSIGN_OR_RETURN(
        auto have, db_->Prepare("SELECT 1 FROM ledger_checkpoints WHERE tree_size = ?"));
    have.Bind(1, int64_t(frontier_.size()));
    CUSTODIAN_ASSIGN_OR_RETURN(bool exists, have.Step());
    if (exists) return Status::Ok();  // nothing appended since the last checkpoint
  }
  CUSTODIAN_RETURN_IF_ERROR(SetState("frontier", frontier_.Serialize()));
  ledger::Checkpoint cp;
  cp.origin = key.name();
  cp.tree_size = frontier_.size();
  cp.root_hash = frontier_.Root();
  cp.timestamp_ms = time_ms;
  CUSTODIAN_ASSIGN_OR_RETURN(std::string note, ledger::SignCheckpoint(cp, key));
  CUSTODIAN_ASSIGN_OR_RETURN(
      auto s,
      db_->Prepare("INSERT OR REPLACE INTO ledger_checkpoints(tree_size, note) VALUES(?, ?)"));
  s.Bind(1, int64_t(cp.tree_size)).Bind(2, note);
  return s.Exec();
}

Result<std::string> Ledger::Record(uint64_t leaf) {
  CUSTODIAN_ASSIGN_OR_RETURN(auto s,
                             db_->Prepare("SELECT record FROM ledger_leaves WHERE leaf = ?"));
  s.Bind(1, int64_t(leaf));
  CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return Status::NotFound("ledger record " + std::to_string(leaf) + " is missing");
  return std::string(s.Blob(0));
}

Status Ledger::ForEachLeaf(const std::function<Status(uint64_t, std::string_view)>& fn) {
  auto s = db_->Prepare("SELECT leaf, record FROM ledger_leaves ORDER BY leaf");
  if (!s.ok()) return started_ ? s.status() : Status::Ok();
  while (true) {
    CUSTODIAN_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return Status::Ok();
    CUSTODIAN_RETURN_IF_ERROR(fn(uint64_t(s->Int(0)), s->Blob(1)));
  }
}

Status Ledger::ForEachNode(
    const std::function<Status(unsigned, uint64_t, const ledger::Hash&)>& fn) {
  CUSTODIAN_ASSIGN_OR_RETURN(auto s,
                             db_->Prepare("SELECT key, hash FROM ledger_nodes ORDER BY key"));
  while (true) {
    CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return Status::Ok();
    auto key = uint64_t(s.Int(0));
    CUSTODIAN_RETURN_IF_ERROR(
        fn(unsigned(key >> 48), key & ((uint64_t(1) << 48) - 1), ToHash(s.Blob(1))));
  }
}

Result<std::vector<StoredCheckpoint>> Ledger::Checkpoints() {
  std::vector<StoredCheckpoint> out;
  if (!started_) return out;
  CUSTODIAN_ASSIGN_OR_RETURN(
      auto s, db_->Prepare("SELECT tree_size, note FROM ledger_checkpoints ORDER BY tree_size"));
  while (true) {
    CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    out.push_back({uint64_t(s.Int(0)), std::string(s.Text(1))});
  }
}

Result<std::optional<StoredCheckpoint>> Ledger::LatestCheckpoint() {
  if (!started_) return std::optional<StoredCheckpoint>();
  CUSTODIAN_ASSIGN_OR_RETURN(
      auto s,
      db_->Prepare(
          "SELECT tree_size, note FROM ledger_checkpoints ORDER BY tree_size DESC LIMIT 1"));
  CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<StoredCheckpoint>();
  return std::optional<StoredCheckpoint>(
      StoredCheckpoint{uint64_t(s.Int(0)), std::string(s.Text(1))});
}

Result<ledger::Frontier> Ledger::StoredFrontier() {
  CUSTODIAN_ASSIGN_OR_RETURN(auto f, GetState("frontier"));
  if (!f) return Status::Corruption("the ledger's frontier is missing from the catalog");
  return ledger::Frontier::Deserialize(*f);
}

Result<ledger::InclusionProof> Ledger::ProveInclusion(uint64_t leaf, uint64_t tree_size) {
  Source src(this);
  return ledger::ProveInclusion(src, leaf, tree_size);
}

Result<ledger::ConsistencyProof> Ledger::ProveConsistency(uint64_t old_size, uint64_t new_size) {
  Source src(this);
  return ledger::ProveConsistency(src, old_size, new_size);
}

Result<ledger::Hash> Ledger::RootAt(uint64_t tree_size) {
  Source src(this);
  return ledger::RootAt(src, tree_size);
}

}  // namespace custodian::preserve
