#include <cstdio>

#include "cli/cli.h"
#include "util/json.h"

namespace custodian::cli {

int CmdReindex(const Context& ctx) {
  auto args = Args::Parse(ctx.argv, {}, {"--all"});
  if (!args.ok()) return Usage(args.status().message());
  if (!args->positional().empty()) return Usage("reindex takes no arguments");
  auto archive = OpenArchive(ctx, Archive::Mode::kWrite);
  if (!archive.ok()) return Fail(archive.status());
  ProgressBar bar("indexing");
  auto n = (*archive)->Reindex(args->Has("--all"), [&](uint64_t done, uint64_t total) {
    bar.Update(done, total, FormatCount(done) + " msgs");
  });
  bar.Finish();
  if (!n.ok()) return Fail(n.status());
  if (ctx.json) {
    JsonWriter w;
    w.BeginObject().Field("indexed", *n).EndObject();
    std::puts(w.str().c_str());
  } else {
    std::printf("Indexed %s messages; the search index covers the whole archive.\n", FormatCount(*n).c_str());
  }
  return kExitOk;
}

}  // namespace custodian::cli
