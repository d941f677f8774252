#include <malloc.h>

#include <cstdio>

#include "cli/cli.h"
#include "util/json.h"
#include "util/text.h"

namespace custodian::cli {

int CmdImport(const Context& ctx) {
  auto args = Args::Parse(ctx.argv, {"--custodian", "--format", "--folder", "--ack-log", "--threads", "--dkim-keys",
                                     "--actor"},
                          {"--custodian-from-path", "--dns"});
  if (!args.ok()) return Usage(args.status().message());
  ImportOptions opts;
  opts.custodian = args->Get("--custodian").value_or("");
  opts.custodian_from_path = args->Has("--custodian-from-path");
  opts.format = args->Get("--format").value_or("auto");
  opts.folder_prefix = args->Get("--folder").value_or("");
  opts.ack_log = args->Get("--ack-log").value_or("");
  opts.dkim_key_file = args->Get("--dkim-keys").value_or("");
  opts.dns = args->Has("--dns");
  opts.actor = args->Get("--actor").value_or(DefaultActor());
  if (auto t = args->Get("--threads")) {
    opts.threads = size_t(std::atoi(t->c_str()));
    if (opts.threads < 1 || opts.threads > 64) return Usage("--threads must be between 1 and 64");
  }
  if (opts.custodian.empty() && !opts.custodian_from_path)
    return Usage("import needs --custodian NAME (whose mailbox this is), or --custodian-from-path");
  if (args->positional().empty()) return Usage("import needs at least one PATH");

  // Batches are read, parsed and written on different threads, so memory is freed on a thread
  // other than the one that took it; with glibc's default of 8 arenas per core, the freed pages
  // stayed with idle arenas. Two arenas: peak RSS of an Enron x13 import 266 -> 245 MiB, at the
  // same speed (the brief allows 256; see kBatchMessages for where it is now); one arena made
  // the import 1.6x slower.
  mallopt(M_ARENA_MAX, 2);
  auto archive = OpenArchive(ctx, Archive::Mode::kWrite);
  if (!archive.ok()) return Fail(archive.status());
  ProgressBar bar("importing");
  auto res = (*archive)->Import(args->positional(), opts, [&](const ImportProgress& p) {
    double rate = p.seconds > 0 ? double(p.read) / p.seconds : 0;
    bar.Update(p.bytes, p.total_bytes,
               FormatCount(p.read) + " msgs  " + HumanBytes(double(p.bytes)) + "  " +
                   FormatCount(uint64_t(rate)) + " msg/s");
  });
  bar.Finish();
  if (!res.ok()) return Fail(res.status());
  const ImportProgress& c = res->counts;
  double rate = c.seconds > 0 ? double(c.read) / c.seconds : 0;
  if (ctx.json) {
    JsonWriter w;
    w.BeginObject()
        .Field("read", c.read)
        .Field("new", c.stored)
        .Field("duplicate", c.duplicate)
        .Field("new_copies", c.new_copies)
        .Field("rejected", c.rejected)
        .Field("flagged", c.flagged)
        .Field("bytes", c.bytes)
        .Field("seconds", c.seconds)
        .Field("messages_per_second", rate);
    w.Key("dkim").BeginObject();
    for (const auto& [verdict, n] : res->authenticity) w.Field(verdict, n);
    w.EndObject();
    w.Key("rejections").BeginArray();
    for (const auto& r : res->rejections)
      w.BeginObject().Field("origin", r.origin).Field("reason", r.reason).EndObject();
    w.EndArray().EndObject();
    std::puts(w.str().c_str());
  } else {
    std::printf("Imported %s messages (%s) in %.1f s, %s msg/s\n", FormatCount(c.read).c_str(),
                HumanBytes(double(c.bytes)).c_str(), c.seconds, FormatCount(uint64_t(rate)).c_str());
    std::printf("  new: %s   already archived: %s   new folder copies: %s\n", FormatCount(c.stored).c_str(),
                FormatCount(c.duplicate).c_str(), FormatCount(c.new_copies).c_str());
    if (!res->authenticity.empty()) {
      std::string line;
      for (const auto& [verdict, n] : res->authenticity)
        line += (line.empty() ? "" : "   ") + verdict + ": " + FormatCount(n);
      std::printf("  DKIM of the new messages: %s\n", line.c_str());
    }
    if (c.flagged)
      std::printf("  stored with parse problems (kept byte for byte, flagged): %s\n", FormatCount(c.flagged).c_str());
    if (c.rejected) {
      std::printf("  rejected (not stored): %s\n", FormatCount(c.rejected).c_str());
      size_t shown = 0;
      for (const auto& r : res->rejections) {
        if (shown++ == 20) {
          std::printf("    ... (use --json for the full list)\n");
          break;
        }
        std::printf("    %s: %s\n", r.origin.c_str(), r.reason.c_str());
      }
    }
  }
  return kExitOk;
}

}  // namespace custodian::cli
