#include <cstdio>

#include "cli/cli.h"
#include "util/json.h"

namespace custodian::cli {

int CmdInit(const Context& ctx) {
  auto args = Args::Parse(ctx.argv, {}, {});
  if (!args.ok()) return Usage(args.status().message());
  if (!args->positional().empty()) return Usage("init takes no arguments (use --archive DIR)");
  Status st = Archive::Init(ctx.archive_dir);
  if (!st.ok()) return Fail(st);
  if (ctx.json) {
    JsonWriter w;
    w.BeginObject().Field("archive", ctx.archive_dir).Field("created", true).EndObject();
    std::puts(w.str().c_str());
  } else {
    std::printf("Created an empty archive at %s\n", ctx.archive_dir.c_str());
    std::printf("Its master key is %s/keys/master.key — keep a copy somewhere safe and separate:\n"
                "without it the archive cannot be read.\n",
                ctx.archive_dir.c_str());
    std::printf("Its ledger signs checkpoints with %s/keys/ledger.key (keep a copy too); the public\n"
                "key an auditor checks them with is %s/keys/ledger.pub (docs/preservation.md).\n",
                ctx.archive_dir.c_str(), ctx.archive_dir.c_str());
  }
  return kExitOk;
}

}  // namespace custodian::cli
