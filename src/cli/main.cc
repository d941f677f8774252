// custodian: the command line of the Custodian email archive.
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cli/cli.h"

namespace {

constexpr char kHelp[] = R"(custodian — an email archive that loses nothing and proves it

Usage: custodian [--archive DIR] [--json] COMMAND [ARGS...]

The archive is DIR, else $CUSTODIAN_ARCHIVE, else ./custodian-archive.

Commands:
  init                              create a new archive (with a new master key and a ledger
                                    signing key in DIR/keys/)
  import --custodian NAME PATH...   import Maildir, mbox, .eml files or a tree of message files
         [--custodian-from-path] [--actor NAME] [--format auto|maildir|mbox|mboxo|mboxrd|mboxcl|mboxcl2|eml|tree]
         [--folder PREFIX] [--threads N] [--dkim-keys FILE] [--dns]
                                    (DKIM and ARC are verified as mail comes in: keys from FILE,
                                    the archive's kept keys, and live DNS only with --dns)
  show ID [--headers|--text|--json] the message's exact original bytes, or decoded views of it
  ls [--custodian C] [--folder F] [--deleted] [--limit N] [--folders]
                                    list messages (one line per copy), or folders with counts
  stats                             what the archive holds and what it takes on disk
  export --format mbox|maildir|eml [--custodian C] [--folder F] [--deleted] DEST
                                    write messages out, folders as the custodian kept them
  verify [--checkpoint FILE]        re-read everything: every message against its digest, every
                                    ledger record against the tree and the signed checkpoints, the
                                    catalog against the records; with FILE (a checkpoint kept
                                    elsewhere) also that nothing before it was rolled back or rewritten
  search QUERY [--limit N] [--offset N] [--sort date|relevance] [--count | --ids]
                                    find messages: words, "phrases", from: to: subject: date:...,
                                    text:"substring", re:/regex/i, dkim:pass|fail|none,
                                    signed-by:DOMAIN, AND OR NOT ( ) (docs/search.md)
  thread ID                         the message's thread as a tree (> marks the message)
  reindex [--all]                   index messages the search index does not cover (--all: rebuild)
  authenticate ID [--keys FILE] [--dns]
                                    re-verify a message's DKIM signatures and ARC chain offline
                                    from the kept keys: who signed, which key, what is covered
  authenticate --rescan [--keys FILE] [--dns]
                                    re-verify messages whose result new keys could change

Preservation (docs/preservation.md); changes take [--actor NAME] (default: your user name)
and [--reason TEXT], recorded in the ledger:
  delete --custodian C ID...|--query Q    hide C's copies (kept; `is:deleted` finds them)
  recover --custodian C ID...|--query Q   show them again
  retention set NAME --query Q --keep 7y|90d|0d|permanent
                                    a message is kept for the longest period of the policies
                                    matching it; one no policy matches is never disposed of
  retention list | retention remove NAME
  hold create MATTER --query Q [--custodian C] [--from YYYY-MM-DD --to YYYY-MM-DD]
                                    a legal hold: nothing it covers, now or arriving later, is disposed of
  hold list | hold release MATTER --reason TEXT
  purge [--dry-run]                 dispose of messages past retention and under no hold: content
                                    destroyed for good, a disposal record kept in the ledger
  checkpoint [--json]               the latest signed checkpoint of the ledger (keep it elsewhere)
  prove ID [--json]                 the inclusion proof of the message's ledger record (RFC 9162)

Options:
  --json      machine-readable output (one JSON object, or one per line for listings)
  --help      this text;  --version  the version

ID is a message's SHA-256 (64 hex digits) or a unique prefix of at least 4.
Exit status: 0 success, 1 failure (or verify found a problem), 2 usage error.
)";

struct Command {
  const char* name;
  int (*fn)(const custodian::cli::Context&);
};

const Command kCommands[] = {
    {"init", custodian::cli::CmdInit},     {"import", custodian::cli::CmdImport},
    {"show", custodian::cli::CmdShow},     {"ls", custodian::cli::CmdLs},
    {"stats", custodian::cli::CmdStats},   {"export", custodian::cli::CmdExport},
    {"verify", custodian::cli::CmdVerify},  {"search", custodian::cli::CmdSearch},
    {"reindex", custodian::cli::CmdReindex},  {"thread", custodian::cli::CmdThread},
    {"authenticate", custodian::cli::CmdAuthenticate},
    {"delete", custodian::cli::CmdDelete},    {"recover", custodian::cli::CmdRecover},
    {"retention", custodian::cli::CmdRetention},  {"hold", custodian::cli::CmdHold},
    {"purge", custodian::cli::CmdPurge},      {"checkpoint", custodian::cli::CmdCheckpoint},
    {"prove", custodian::cli::CmdProve},
};

}  // namespace

int main(int argc, char** argv) {
  using namespace custodian::cli;
  Context ctx;
  const char* env_dir = std::getenv("CUSTODIAN_ARCHIVE");
  ctx.archive_dir = env_dir && *env_dir ? env_dir : "./custodian-archive";
  std::string command;
  // Global options may come before or after the command; the rest belongs to the command.
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--archive" || a.rfind("--archive=", 0) == 0) {
      if (a == "--archive") {
        if (i + 1 >= argc) return Usage("--archive needs a directory");
        ctx.archive_dir = argv[++i];
      } else {
        ctx.archive_dir = a.substr(10);
      }
    } else if (a == "--json") {
      ctx.json = true;
    } else if (a == "--help" || a == "-h" || (command.empty() && a == "help")) {
      std::fputs(kHelp, stdout);
      return kExitOk;
    } else if (a == "--version") {
      std::puts("custodian 0.1.0");
      return kExitOk;
    } else if (command.empty() && !a.empty() && a[0] != '-') {
      command = a;
    } else {
      ctx.argv.push_back(a);
    }
  }
  if (command.empty()) {
    std::fputs(kHelp, stderr);
    return kExitUsage;
  }
  for (const auto& c : kCommands)
    if (command == c.name) return c.fn(ctx);
  return Usage("unknown command '" + command + "'");
}
