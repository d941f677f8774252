// Re-verification of archived messages: `custodian authenticate` and `authenticate --rescan`
// (docs/authenticity.md, "In the archive").
#include <ctime>

#include "archive/archive_impl.h"
#include "archive/authenticity.h"
#include "util/digest.h"

namespace custodian {
namespace {

AuthenticityInfo StoredInfo(const catalog::DkimResultRow& r, size_t results) {
  AuthenticityInfo info;
  info.verdict = r.verdict;
  info.arc = r.arc;
  info.reason = r.reason;
  info.verified_at = r.verified_at;
  info.as_of = r.as_of;
  info.report_json = r.report;
  info.results = results;
  return info;
}

}  // namespace

Result<std::optional<AuthenticityInfo>> ArchiveImpl::Authenticity(const std::string& id) {
  auto sha = Sha256FromHex(id);
  if (!sha) return Status::InvalidArgument("not a full message id: " + id);
  CUSTODIAN_ASSIGN_OR_RETURN(auto msg, catalog_->FindMessage(*sha));
  if (!msg) return Status::NotFound("no message with id " + id);
  CUSTODIAN_ASSIGN_OR_RETURN(auto results, catalog_->DkimResults(*msg));
  if (results.empty()) return std::optional<AuthenticityInfo>();
  return std::optional<AuthenticityInfo>(StoredInfo(results.back(), results.size()));
}

Result<AuthenticationReport> ArchiveImpl::Authenticate(const std::string& id, const AuthenticateOptions& opts) {
  auto sha = Sha256FromHex(id);
  if (!sha) return Status::InvalidArgument("not a full message id: " + id);
  CUSTODIAN_ASSIGN_OR_RETURN(auto msg, catalog_->FindMessage(*sha));
  if (!msg) return Status::NotFound("no message with id " + id);
  CUSTODIAN_ASSIGN_OR_RETURN(catalog::MessageRow row, catalog_->GetMessage(*msg));
  CUSTODIAN_ASSIGN_OR_RETURN(std::string raw, ReadRow(row));
  CUSTODIAN_ASSIGN_OR_RETURN(auto results, catalog_->DkimResults(*msg));
  CUSTODIAN_ASSIGN_OR_RETURN(std::unique_ptr<KeySources> keys, KeySources::Open(catalog_.get(), opts.key_file, opts.dns));
  AuthenticationReport report;
  report.id = id;
  // Judge as the stored result was judged: with the key versions it used, at its time.
  int64_t as_of = row.added;  // never checked: judge as at its import
  if (!results.empty()) {
    const catalog::DkimResultRow& current = results.back();
    as_of = current.as_of;
    std::vector<int64_t> used;
    for (const auto& s : current.signatures)
      if (s.key_id) used.push_back(*s.key_id);
    keys->kept->Prefer(used);
    report.stored = StoredInfo(current, results.size());
    for (const auto& r : results) report.history.push_back(StoredInfo(r, results.size()));
  }
  dkim::Verification v = CheckAuthenticity(raw, keys->all.get(), as_of);
  report.verdict = dkim::OutcomeName(v.verdict);
  report.json = dkim::ToJson(v);
  report.text = dkim::FormatReport(v);
  return report;
}

Result<RescanResult> ArchiveImpl::RescanAuthenticity(const AuthenticateOptions& opts,
                                                     const std::function<void(uint64_t, uint64_t)>& progress) {
  if (mode_ != Mode::kWrite) return Status::Internal("archive opened read-only");
  CUSTODIAN_ASSIGN_OR_RETURN(std::unique_ptr<KeySources> keys, KeySources::Open(catalog_.get(), opts.key_file, opts.dns));
  CUSTODIAN_ASSIGN_OR_RETURN(std::vector<int64_t> todo, catalog_->MessagesToRecheck());
  RescanResult res;
  constexpr size_t kBatch = 1000;  // results committed per transaction
  for (size_t start = 0; start < todo.size(); start += kBatch) {
    size_t end = std::min(todo.size(), start + kBatch);
    CUSTODIAN_RETURN_IF_ERROR(catalog_->Begin());
    auto batch = [&]() -> Status {
      for (size_t i = start; i < end; i++) {
        CUSTODIAN_ASSIGN_OR_RETURN(catalog::MessageRow row, catalog_->GetMessage(todo[i]));
        CUSTODIAN_ASSIGN_OR_RETURN(std::string raw, ReadRow(row));
        CUSTODIAN_ASSIGN_OR_RETURN(auto results, catalog_->DkimResults(row.msg));
        int64_t as_of = results.empty() ? row.added : results.back().as_of;
        dkim::Verification v = CheckAuthenticity(raw, keys->all.get(), as_of);
        res.checked++;
        res.verdicts[dkim::OutcomeName(v.verdict)]++;
        if (!results.empty() && SameOutcome(v, results.back())) continue;
        CUSTODIAN_RETURN_IF_ERROR(
            RecordAuthenticity(catalog_.get(), ledger_.get(), keys->kept.get(), row.msg, row.id, v, as_of,
                               /*implicit_none=*/false)
                .status());
        res.changed++;
      }
      return Status::Ok();
    };
    // Committed with a signed checkpoint over the ledger records the changed results added.
    Status st = batch();
    if (!st.ok()) {
      RollbackWithLedger();
      return st;
    }
    CUSTODIAN_RETURN_IF_ERROR(CommitWithLedger());
    if (progress) progress(end, todo.size());
  }
  return res;
}

}  // namespace custodian
