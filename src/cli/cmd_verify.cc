#include <cstdio>

#include "cli/cli.h"
#include "util/json.h"

namespace custodian::cli {

int CmdVerify(const Context& ctx) {
  auto args = Args::Parse(ctx.argv, {}, {});
  if (!args.ok()) return Usage(args.status().message());
  if (!args->positional().empty()) return Usage("verify takes no arguments");
  auto archive = OpenArchive(ctx, Archive::Mode::kReadOnly);
  if (!archive.ok()) return Fail(archive.status());
  ProgressBar bar("verifying");
  auto rep = (*archive)->Verify([&](uint64_t done, uint64_t total) {
    bar.Update(done, total, FormatCount(done) + " msgs");
  });
  bar.Finish();
  if (!rep.ok()) return Fail(rep.status());
  if (ctx.json) {
    JsonWriter w;
    w.BeginObject().Field("ok", rep->ok()).Field("messages_checked", rep->messages_checked)
        .Field("blocks_checked", rep->blocks_checked).Field("segments_checked", rep->segments_checked);
    w.Key("problems").BeginArray();
    for (const auto& p : rep->problems)
      w.BeginObject().Field("what", p.what).Field("where", p.where).Field("detail", p.detail).EndObject();
    w.EndArray().EndObject();
    std::puts(w.str().c_str());
  } else if (rep->ok()) {
    std::printf("OK: %s messages in %s blocks and %s segments match their digests\n",
                FormatCount(rep->messages_checked).c_str(), FormatCount(rep->blocks_checked).c_str(),
                FormatCount(rep->segments_checked).c_str());
  } else {
    std::printf("FAILED: %zu problem%s found (%s messages checked)\n", rep->problems.size(),
                rep->problems.size() == 1 ? "" : "s", FormatCount(rep->messages_checked).c_str());
    for (const auto& p : rep->problems)
      std::printf("  %s %s: %s\n", p.what.c_str(), p.where.c_str(), p.detail.c_str());
  }
  return rep->ok() ? kExitOk : kExitFailure;
}

}  // namespace custodian::cli
