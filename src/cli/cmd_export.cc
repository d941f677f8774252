#include <cstdio>

#include "cli/cli.h"
#include "util/json.h"
#include "util/text.h"

namespace custodian::cli {

int CmdExport(const Context& ctx) {
  auto args = Args::Parse(ctx.argv, {"--format", "--custodian", "--folder"}, {"--deleted"});
  if (!args.ok()) return Usage(args.status().message());
  if (args->positional().size() != 1) return Usage("export needs one DEST directory");
  ExportOptions opts;
  opts.format = args->Get("--format").value_or("mbox");
  if (opts.format != "mbox" && opts.format != "maildir" && opts.format != "eml")
    return Usage("--format must be mbox, maildir or eml");
  opts.filter.custodian = args->Get("--custodian");
  opts.filter.folder = args->Get("--folder");
  opts.filter.include_deleted = args->Has("--deleted");
  auto archive = OpenArchive(ctx, Archive::Mode::kReadOnly);
  if (!archive.ok()) return Fail(archive.status());
  auto res = (*archive)->Export(opts, args->positional()[0]);
  if (!res.ok()) return Fail(res.status());
  if (ctx.json) {
    JsonWriter w;
    w.BeginObject().Field("messages", res->messages).Field("bytes", res->bytes)
        .Field("format", opts.format).Field("dest", args->positional()[0]).EndObject();
    std::puts(w.str().c_str());
  } else {
    std::printf("Exported %s messages (%s) as %s to %s\n", FormatCount(res->messages).c_str(),
                HumanBytes(double(res->bytes)).c_str(), opts.format.c_str(), args->positional()[0].c_str());
  }
  return kExitOk;
}

}  // namespace custodian::cli
