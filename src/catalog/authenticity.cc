// The catalog's authenticity tables: kept DKIM key records and verification results
// (docs/storage-format.md, "Authenticity"). Rows are only ever added.
#include "catalog/catalog.h"
#include "util/text.h"

namespace custodian::catalog {
namespace {

std::string JoinLines(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out += '\n';
    out += s;
  }
  return out;
}

}  // namespace

Result<int64_t> Catalog::KeepDkimKey(const DkimKeyRow& k) {
  CUSTODIAN_ASSIGN_OR_RETURN(
      auto ins, db_.Prepare("INSERT OR IGNORE INTO dkim_keys(name, record, fetched_at, source, dnssec, kept_at)"
                            " VALUES(?,?,?,?,?,?)"));
  ins.Bind(1, k.name).Bind(2, k.record);
  if (k.fetched_at) ins.Bind(3, k.fetched_at); else ins.BindNull(3);
  ins.Bind(4, k.source).Bind(5, k.dnssec).Bind(6, k.kept_at);
  CUSTODIAN_RETURN_IF_ERROR(ins.Exec());
  CUSTODIAN_ASSIGN_OR_RETURN(auto sel, db_.Prepare("SELECT key_id FROM dkim_keys WHERE name = ? AND record = ?"));
  sel.Bind(1, k.name).Bind(2, k.record);
  CUSTODIAN_ASSIGN_OR_RETURN(bool row, sel.Step());
  if (!row) return Status::Internal("kept key vanished");
  return sel.Int(0);
}

Status Catalog::ForEachDkimKey(const std::function<Status(const DkimKeyRow&)>& fn) {
  CUSTODIAN_ASSIGN_OR_RETURN(
      auto s, db_.Prepare("SELECT key_id, name, record, fetched_at, source, dnssec, kept_at FROM dkim_keys"
                          " ORDER BY key_id"));
  while (true) {
    CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return Status::Ok();
    DkimKeyRow k;
    k.key_id = s.Int(0);
    k.name = s.Text(1);
    k.record = s.Text(2);
    k.fetched_at = s.IsNull(3) ? 0 : s.Int(3);
    k.source = s.Text(4);
    k.dnssec = s.Text(5);
    k.kept_at = s.Int(6);
    CUSTODIAN_RETURN_IF_ERROR(fn(k));
  }
}

Result<int64_t> Catalog::AddDkimResult(const DkimResultRow& r) {
  Statement& ins = add_dkim_result_;
  ins.Bind(1, r.msg).Bind(2, r.verified_at).Bind(3, r.as_of).Bind(4, r.verdict).Bind(5, r.arc).Bind(6, r.reason);
  if (r.report.empty()) ins.BindNull(7); else ins.Bind(7, r.report);
  CUSTODIAN_RETURN_IF_ERROR(ins.Exec());
  int64_t id = db_.LastInsertRowid();
  if (r.signatures.empty()) return id;
  Statement& sig = add_dkim_signature_;
  for (size_t n = 0; n < r.signatures.size(); n++) {
    const DkimSignatureRow& g = r.signatures[n];
    sig.Bind(1, id).Bind(2, int64_t(n)).Bind(3, ToLowerAscii(g.d)).Bind(4, g.s).Bind(5, g.a).Bind(6, g.i);
    sig.Bind(7, g.result).Bind(8, g.body_hash).Bind(9, g.reason).Bind(10, int64_t(g.weak)).Bind(11, g.weak_reason);
    sig.Bind(12, JoinLines(g.headers));
    if (g.body_length_limit) sig.Bind(13, *g.body_length_limit); else sig.BindNull(13);
    sig.Bind(14, int64_t(g.body_bytes_signed)).Bind(15, int64_t(g.body_bytes_unsigned));
    if (g.key_id) sig.Bind(16, *g.key_id); else sig.BindNull(16);
    sig.Bind(17, g.key_fingerprint);
    CUSTODIAN_RETURN_IF_ERROR(sig.Exec());
  }
  return id;
}

Result<std::vector<DkimResultRow>> Catalog::DkimResults(int64_t msg) {
  CUSTODIAN_ASSIGN_OR_RETURN(
      auto s, db_.Prepare("SELECT result_id, verified_at, as_of, verdict, arc, reason, report FROM dkim_results"
                          " WHERE msg = ? ORDER BY result_id"));
  CUSTODIAN_ASSIGN_OR_RETURN(
      auto g, db_.Prepare("SELECT d, s, a, i, result, body_hash, reason, weak, weak_reason, headers,"
                          " body_length_limit, body_bytes_signed, body_bytes_unsigned, key_id, key_fingerprint"
                          " FROM dkim_signatures WHERE result_id = ? ORDER BY idx"));
  s.Bind(1, msg);
  std::vector<DkimResultRow> out;
  while (true) {
    CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) {
      if (out.empty()) {  // checked at import and unsigned: "none", stored as no row at all
        CUSTODIAN_ASSIGN_OR_RETURN(
            auto u, db_.Prepare(std::string("SELECT added FROM messages WHERE msg = ? AND msg >= ") + kDkimCheckedFromSql));
        u.Bind(1, msg);
        CUSTODIAN_ASSIGN_OR_RETURN(bool unsigned_row, u.Step());
        if (unsigned_row) {
          DkimResultRow r;
          r.msg = msg;
          r.verified_at = r.as_of = u.Int(0);
          r.verdict = r.arc = "none";
          r.reason = kUnsignedReason;
          out.push_back(std::move(r));
        }
      }
      break;
    }
    DkimResultRow r;
    r.result_id = s.Int(0);
    r.msg = msg;
    r.verified_at = s.Int(1);
    r.as_of = s.Int(2);
    r.verdict = s.Text(3);
    r.arc = s.Text(4);
    r.reason = s.Text(5);
    if (r.reason.empty() && r.verdict == "none") r.reason = kUnsignedReason;
    r.report = s.Text(6);
    g.Bind(1, r.result_id);
    while (true) {
      CUSTODIAN_ASSIGN_OR_RETURN(bool more, g.Step());
      if (!more) break;
      DkimSignatureRow x;
      x.d = g.Text(0);
      x.s = g.Text(1);
      x.a = g.Text(2);
      x.i = g.Text(3);
      x.result = g.Text(4);
      x.body_hash = g.Text(5);
      x.reason = g.Text(6);
      x.weak = g.Int(7) != 0;
      x.weak_reason = g.Text(8);
      if (!g.Text(9).empty()) x.headers = Split(std::string(g.Text(9)), '\n');
      if (!g.IsNull(10)) x.body_length_limit = g.Int(10);
      x.body_bytes_signed = uint64_t(g.Int(11));
      x.body_bytes_unsigned = uint64_t(g.Int(12));
      if (!g.IsNull(13)) x.key_id = g.Int(13);
      x.key_fingerprint = g.Text(14);
      r.signatures.push_back(std::move(x));
    }
    g.Reset();
    out.push_back(std::move(r));
  }
  return out;
}

Result<Catalog::DkimSummary> Catalog::SummarizeDkim() {
  DkimSummary out;
  CUSTODIAN_ASSIGN_OR_RETURN(
      auto v, db_.Prepare("SELECT r.verdict, COUNT(*) FROM dkim_results r"
                          " WHERE r.result_id = (SELECT MAX(result_id) FROM dkim_results WHERE msg = r.msg)"
                          " GROUP BY r.verdict"));
  while (true) {
    CUSTODIAN_ASSIGN_OR_RETURN(bool row, v.Step());
    if (!row) break;
    out.verdicts[std::string(v.Text(0))] = uint64_t(v.Int(1));
  }
  // Messages without a row: unsigned if checked at import, else never checked.
  std::string checked_from = kDkimCheckedFromSql;
  CUSTODIAN_ASSIGN_OR_RETURN(
      auto n, db_.Prepare("SELECT (SELECT COUNT(*) FROM messages WHERE msg < " + checked_from +
                          "         AND msg NOT IN (SELECT msg FROM dkim_results)),"
                          " (SELECT COUNT(*) FROM messages WHERE msg >= " + checked_from +
                          "         AND msg NOT IN (SELECT msg FROM dkim_results)),"
                          " (SELECT COUNT(*) FROM dkim_keys)"));
  CUSTODIAN_ASSIGN_OR_RETURN(bool row, n.Step());
  if (row) {
    out.unchecked = uint64_t(n.Int(0));
    if (n.Int(1) > 0) out.verdicts["none"] += uint64_t(n.Int(1));
    out.keys = uint64_t(n.Int(2));
  }
  return out;
}

Result<std::vector<int64_t>> Catalog::MessagesToRecheck() {
  CUSTODIAN_ASSIGN_OR_RETURN(
      auto s, db_.Prepare(std::string("SELECT m.msg FROM messages m")+
                          " LEFT JOIN dkim_results r ON r.result_id ="
                          "   (SELECT MAX(result_id) FROM dkim_results WHERE msg = m.msg)"
                          " WHERE (r.result_id IS NULL AND m.msg < " + std::string(kDkimCheckedFromSql) + ")"
                          "   OR r.verdict = 'temperror' OR r.arc = 'temperror'"
                          "   OR EXISTS (SELECT 1 FROM dkim_signatures g WHERE g.result_id = r.result_id"
                          "              AND g.result = 'temperror')"
                          " ORDER BY m.block_id, m.slot"));
  std::vector<int64_t> out;
  while (true) {
    CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    out.push_back(s.Int(0));
  }
}

}  // namespace custodian::catalog
