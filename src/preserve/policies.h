// Retention policies, legal holds and the disposal register, kept in the catalog database:
//   retention_policies(name, query, keep_days, created, actor, reason, leaf)
//   holds(hold_id, matter, query, custodian, date_from, date_to, reason, created, actor, leaf,
//         released, released_by, release_reason, release_leaf)
//   disposals(sha256, leaf, size, policy, disposed)
// Each row names the ledger leaf that recorded it. What they mean (which messages a policy or a
// hold covers) is decided by the archive, which evaluates their queries at purge time.
// REQUIRES: one thread at a time; `db` outlives the Policies.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "catalog/sqlite.h"
#include "custodian/status.h"
#include "util/digest.h"

namespace custodian::preserve {

struct PolicyRow {
  std::string name, query;
  std::optional<int64_t> keep_days;  // none: permanent
  int64_t created = 0;
  std::string actor, reason;
  int64_t leaf = 0;
};

struct HoldRow {
  int64_t hold_id = 0;
  std::string matter, query, custodian;  // custodian "" = every custodian
  std::optional<int64_t> from, to;       // message dates covered, seconds since the epoch
  std::string reason;
  int64_t created = 0;
  std::string actor;
  int64_t leaf = 0;
  std::optional<int64_t> released;  // when; none while active
  std::string released_by, release_reason;
  std::optional<int64_t> release_leaf;
};

struct DisposalRow {
  Sha256 id{};
  int64_t leaf = 0;
  uint64_t size = 0;
  std::string policy;
  int64_t disposed = 0;
};

class Policies {
 public:
  static Result<std::unique_ptr<Policies>> Open(catalog::Database* db, bool read_only);

  // In the caller's transaction.
  Status SetPolicy(const PolicyRow& p);  // replaces one of the same name
  Status RemovePolicy(const std::string& name);
  Status AddHold(const HoldRow& h);
  Status ReleaseHold(int64_t hold_id, int64_t when, const std::string& by,
                     const std::string& reason, int64_t leaf);
  Status AddDisposal(const DisposalRow& d);

  Result<std::vector<PolicyRow>> ListPolicies();
  Result<std::optional<PolicyRow>> GetPolicy(const std::string& name);
  // Every hold, active and released, oldest first.
  Result<std::vector<HoldRow>> ListHolds();
  Result<std::optional<HoldRow>> ActiveHold(const std::string& matter);
  Result<std::vector<DisposalRow>> ListDisposals();
  Result<std::optional<DisposalRow>> FindDisposal(const Sha256& id);

 private:
  explicit Policies(catalog::Database* db) : db_(db) {}
  catalog::Database* db_;
  bool tables_ = true;  // false: a read-only catalog from before schema 4
};

}  // namespace custodian::preserve
