// Shared pieces of the `custodian` command line: argument parsing, output helpers, progress.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "custodian/archive.h"
#include "custodian/status.h"

namespace custodian::cli {

enum ExitCode { kExitOk = 0, kExitFailure = 1, kExitUsage = 2 };

// Parsed options of one subcommand. Options may appear anywhere; "--" ends them.
class Args {
 public:
  // `with_value`: options that take a value (--opt V or --opt=V); `flags`: boolean options.
  static Result<Args> Parse(const std::vector<std::string>& argv, const std::set<std::string>& with_value,
                            const std::set<std::string>& flags);
  bool Has(const std::string& opt) const { return values_.count(opt) > 0; }
  std::optional<std::string> Get(const std::string& opt) const;
  std::vector<std::string> GetAll(const std::string& opt) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::multimap<std::string, std::string> values_;
  std::vector<std::string> positional_;
};

struct Context {
  std::string archive_dir;
  bool json = false;
  std::vector<std::string> argv;  // the subcommand's own arguments
};

// Prints "custodian: <message>" to stderr and returns the exit code for it.
int Fail(const Status& st);
int Usage(const std::string& message);

Result<std::unique_ptr<Archive>> OpenArchive(const Context& ctx, Archive::Mode mode);
// Who is acting, for the ledger when --actor is not given: the OS user name.
std::string DefaultActor();

std::string FormatDateIso(int64_t epoch);    // 2001-05-14T23:39:00Z
std::string FormatDateShort(int64_t epoch);  // 2001-05-14 23:39
std::string FormatCount(uint64_t n);         // 24,637

// A one-line progress bar on stderr, redrawn at most 10 times a second; silent when stderr is
// not a terminal.
class ProgressBar {
 public:
  explicit ProgressBar(std::string label);
  void Update(uint64_t done, uint64_t total, const std::string& detail);
  void Finish();
  bool active() const { return tty_; }

 private:
  std::string label_;
  bool tty_;
  double last_ = -1;
  double start_;
  bool drawn_ = false;
};

// Subcommands.
int CmdInit(const Context& ctx);
int CmdImport(const Context& ctx);
int CmdShow(const Context& ctx);
int CmdLs(const Context& ctx);
int CmdStats(const Context& ctx);
int CmdExport(const Context& ctx);
int CmdVerify(const Context& ctx);
int CmdSearch(const Context& ctx);
int CmdReindex(const Context& ctx);
int CmdThread(const Context& ctx);
int CmdAuthenticate(const Context& ctx);
int CmdDelete(const Context& ctx);
int CmdRecover(const Context& ctx);
int CmdRetention(const Context& ctx);
int CmdHold(const Context& ctx);
int CmdPurge(const Context& ctx);
int CmdCheckpoint(const Context& ctx);
int CmdProve(const Context& ctx);

}  // namespace custodian::cli
