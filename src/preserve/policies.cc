#include "preserve/policies.h"

#include <cstring>

namespace custodian::preserve {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS retention_policies(name TEXT PRIMARY KEY, query TEXT NOT NULL, keep_days INTEGER,
                                              created INTEGER NOT NULL, actor TEXT, reason TEXT,
                                              leaf INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS holds(hold_id INTEGER PRIMARY KEY, matter TEXT NOT NULL, query TEXT NOT NULL,
                                 custodian TEXT, date_from INTEGER, date_to INTEGER, reason TEXT,
                                 created INTEGER NOT NULL, actor TEXT, leaf INTEGER NOT NULL,
                                 released INTEGER, released_by TEXT, release_reason TEXT, release_leaf INTEGER);
CREATE TABLE IF NOT EXISTS disposals(sha256 BLOB PRIMARY KEY, leaf INTEGER NOT NULL, size INTEGER NOT NULL,
                                     policy TEXT, disposed INTEGER NOT NULL) WITHOUT ROWID;
)sql";

std::optional<int64_t> OptInt(const catalog::Statement& s, int c) {
  if (s.IsNull(c)) return std::nullopt;
  return s.Int(c);
}

void BindOpt(catalog::Statement& s, int i, const std::optional<int64_t>& v) {
  if (v)
    s.Bind(i, *v);
  else
    s.BindNull(i);
}

constexpr const char* kHoldCols =
    "hold_id, matter, query, custodian, date_from, date_to, reason, created, actor, leaf, "
    "released, released_by,"
    " release_reason, release_leaf";

HoldRow ReadHold(const catalog::Statement& s) {
  HoldRow h;
  h.hold_id = s.Int(0);
  h.matter = s.Text(1);
  h.query = s.Text(2);
  h.custodian = s.Text(3);
  h.from = OptInt(s, 4);
  h.to = OptInt(s, 5);
  h.reason = s.Text(6);
  h.created = s.Int(7);
  h.actor = s.Text(8);
  h.leaf = s.Int(9);
  h.released = OptInt(s, 10);
  h.released_by = s.Text(11);
  h.release_reason = s.Text(12);
  h.release_leaf = OptInt(s, 13);
  return h;
}

PolicyRow ReadPolicy(const catalog::Statement& s) {
  PolicyRow p;
  p.name = s.Text(0);
  p.query = s.Text(1);
  p.keep_days = OptInt(s, 2);
  p.created = s.Int(3);
  p.actor = s.Text(4);
  p.reason = s.Text(5);
  p.leaf = s.Int(6);
  return p;
}

}  // namespace

Result<std::unique_ptr<Policies>> Policies::Open(catalog::Database* db, bool read_only) {
  std::unique_ptr<Policies> p(new Policies(db));
  if (!read_only) {
    CUSTODIAN_RETURN_IF_ERROR(db->Exec(kSchema));
  } else {
    auto probe = db->Prepare("SELECT 1 FROM holds LIMIT 1");
    p->tables_ = probe.ok();
  }
  return p;
}

Status Policies::SetPolicy(const PolicyRow& p) {
  CUSTODIAN_ASSIGN_OR_RETURN(
      auto s, db_->Prepare("INSERT OR REPLACE INTO retention_policies(name, query, keep_days,"
                           " created, actor, reason, leaf) VALUES(?,?,?,?,?,?,?)"));
  s.Bind(1, p.name).Bind(2, p.query);
  BindOpt(s, 3, p.keep_days);
  s.Bind(4, p.created).Bind(5, p.actor).Bind(6, p.reason).Bind(7, p.leaf);
  return s.Exec();
}

Status Policies::RemovePolicy(const std::string& name) {
  CUSTODIAN_ASSIGN_OR_RETURN(auto s, db_->Prepare("DELETE FROM retention_policies WHERE name = ?"));
  s.Bind(1, name);
  return s.Exec();
}

Status Policies::AddHold(const HoldRow& h) {
  CUSTODIAN_ASSIGN_OR_RETURN(
      auto s, db_->Prepare("INSERT INTO holds(matter, query, custodian, date_from, date_to,"
                           " reason, created, actor, leaf) VALUES(?,?,?,?,?,?,?,?,?)"));
  s.Bind(1, h.matter).Bind(2, h.query).Bind(3, h.custodian);
  BindOpt(s, 4, h.from);
  BindOpt(s, 5, h.to);
  s.Bind(6, h.reason).Bind(7, h.created).Bind(8, h.actor).Bind(9, h.leaf);
  return s.Exec();
}

Status Policies::ReleaseHold(int64_t hold_id, int64_t when, const std::string& by,
                             const std::string& reason, int64_t leaf) {
  CUSTODIAN_ASSIGN_OR_RETURN(
      auto s, db_->Prepare("UPDATE holds SET released = ?, released_by = ?, release_reason = ?,"
                           " release_leaf = ? WHERE hold_id = ?"));
  s.Bind(1, when).Bind(2, by).Bind(3, reason).Bind(4, leaf).Bind(5, hold_id);
  return s.Exec();
}

Status Policies::AddDisposal(const DisposalRow& d) {
  CUSTODIAN_ASSIGN_OR_RETURN(
      auto s, db_->Prepare("INSERT OR REPLACE INTO disposals(sha256, leaf, size, policy, disposed)"
                           " VALUES(?,?,?,?,?)"));
  s.BindBlob(1, d.id.data(), d.id.size())
      .Bind(2, d.leaf)
      .Bind(3, int64_t(d.size))
      .Bind(4, d.policy)
      .Bind(5, d.disposed);
  return s.Exec();
}

Result<std::vector<PolicyRow>> Policies::ListPolicies() {
  std::vector<PolicyRow> out;
  if (!tables_) return out;
  CUSTODIAN_ASSIGN_OR_RETURN(
      auto s, db_->Prepare("SELECT name, query, keep_days, created, actor, reason, leaf"
                           " FROM retention_policies ORDER BY name"));
  while (true) {
    CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    out.push_back(ReadPolicy(s));
  }
}

Result<std::optional<PolicyRow>> Policies::GetPolicy(const std::string& name) {
  if (!tables_) return std::optional<PolicyRow>();
  CUSTODIAN_ASSIGN_OR_RETURN(
      auto s, db_->Prepare("SELECT name, query, keep_days, created, actor, reason, leaf"
                           " FROM retention_policies WHERE name = ?"));
  s.Bind(1, name);
  CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<PolicyRow>();
  return std::optional<PolicyRow>(ReadPolicy(s));
}

Result<std::vector<HoldRow>> Policies::ListHolds() {
  std::vector<HoldRow> out;
  if (!tables_) return out;
  CUSTODIAN_ASSIGN_OR_RETURN(
      auto s, db_->Prepare(std::string("SELECT ") + kHoldCols + " FROM holds ORDER BY hold_id"));
  while (true) {
    CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    out.push_back(ReadHold(s));
  }
}

Result<std::optional<HoldRow>> Policies::ActiveHold(const std::string& matter) {
  if (!tables_) return std::optional<HoldRow>();
  CUSTODIAN_ASSIGN_OR_RETURN(auto s,
                             db_->Prepare(std::string("SELECT ") + kHoldCols +
                                          " FROM holds WHERE matter = ? AND released IS NULL"));
  s.Bind(1, matter);
  CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<HoldRow>();
  return std::optional<HoldRow>(ReadHold(s));
}

Result<std::vector<DisposalRow>> Policies::ListDisposals() {
  std::vector<DisposalRow> out;
  if (!tables_) return out;
  CUSTODIAN_ASSIGN_OR_RETURN(
      auto s, db_->Prepare("SELECT sha256, leaf, size, policy, disposed FROM disposals"
                           " ORDER BY leaf"));
  while (true) {
    CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    DisposalRow d;
    std::string_view b = s.Blob(0);
    if (b.size() == d.id.size()) std::memcpy(d.id.data(), b.data(), b.size());
    d.leaf = s.Int(1);
    d.size = uint64_t(s.Int(2));
    d.policy = s.Text(3);
    d.disposed = s.Int(4);
    out.push_back(d);
  }
}

Result<std::optional<DisposalRow>> Policies::FindDisposal(const Sha256& id) {
  if (!tables_) return std::optional<DisposalRow>();
  CUSTODIAN_ASSIGN_OR_RETURN(
      auto s, db_->Prepare("SELECT leaf, size, policy, disposed FROM disposals WHERE sha256 = ?"));
  s.BindBlob(1, id.data(), id.size());
  CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<DisposalRow>();
  DisposalRow d;
  d.id = id;
  d.leaf = s.Int(0);
  d.size = uint64_t(s.Int(1));
  d.policy = s.Text(2);
  d.disposed = s.Int(3);
  return std::optional<DisposalRow>(d);
}

}  // namespace custodian::preserve
