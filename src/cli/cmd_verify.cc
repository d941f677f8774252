#include <cstdio>

#include "cli/cli.h"
#include "ledger/checkpoint_file.h"
#include "util/env.h"
#include "util/json.h"

namespace custodian::cli {

int CmdVerify(const Context& ctx) {
  auto args = Args::Parse(ctx.argv, {"--checkpoint"}, {});
  if (!args.ok()) return Usage(args.status().message());
  if (!args->positional().empty()) return Usage("verify takes no arguments (but --checkpoint FILE)");
  std::string older;
  if (auto file = args->Get("--checkpoint")) {
    auto size = Env::Default()->FileSize(*file);
    if (!size.ok()) return Fail(Status::NotFound("cannot read the checkpoint file " + *file));
    if (*size > ledger::kMaxCheckpointFileBytes)
      return Fail(Status::LimitExceeded("the checkpoint file " + *file + " is too large to be a checkpoint"));
    auto contents = Env::Default()->ReadFile(*file);
    if (!contents.ok()) return Fail(contents.status());
    auto note = ledger::ReadCheckpointFile(*contents);
    if (!note.ok()) return Fail(Status::InvalidArgument(*file + ": " + note.status().message()));
    older = *note;
  }
  auto archive = OpenArchive(ctx, Archive::Mode::kReadOnly);
  if (!archive.ok()) return Fail(archive.status());
  ProgressBar bar("verifying");
  auto rep = (*archive)->Verify([&](uint64_t done, uint64_t total) {
    bar.Update(done, total, FormatCount(done) + " msgs");
  }, older);
  bar.Finish();
  if (!rep.ok()) return Fail(rep.status());
  if (ctx.json) {
    JsonWriter w;
    w.BeginObject().Field("ok", rep->ok()).Field("messages_checked", rep->messages_checked)
        .Field("records_checked", rep->records_checked).Field("checkpoints_checked", rep->checkpoints_checked)
        .Field("checked_against_given_checkpoint", rep->checked_against_given)
        .Field("blocks_checked", rep->blocks_checked).Field("segments_checked", rep->segments_checked);
    w.Key("problems").BeginArray();
    for (const auto& p : rep->problems)
      w.BeginObject().Field("what", p.what).Field("where", p.where).Field("detail", p.detail).EndObject();
    w.EndArray().EndObject();
    std::puts(w.str().c_str());
  } else if (rep->ok()) {
    auto s = [](uint64_t n) { return n == 1 ? "" : "s"; };
    auto match = [](uint64_t n) { return n == 1 ? "matches" : "match"; };
    std::printf("OK: %s message%s in %s block%s and %s segment%s %s their digests\n",
                FormatCount(rep->messages_checked).c_str(), s(rep->messages_checked),
                FormatCount(rep->blocks_checked).c_str(), s(rep->blocks_checked),
                FormatCount(rep->segments_checked).c_str(), s(rep->segments_checked), match(rep->messages_checked));
    std::printf("OK: %s ledger record%s %s %s signed checkpoint%s and the catalog%s\n",
                FormatCount(rep->records_checked).c_str(), s(rep->records_checked), match(rep->records_checked),
                FormatCount(rep->checkpoints_checked).c_str(), s(rep->checkpoints_checked),
                rep->checked_against_given ? "; the ledger extends the checkpoint given" : "");
  } else {
    std::printf("FAILED: %zu problem%s found (%s messages checked)\n", rep->problems.size(),
                rep->problems.size() == 1 ? "" : "s", FormatCount(rep->messages_checked).c_str());
    for (const auto& p : rep->problems)
      std::printf("  %s %s: %s\n", p.what.c_str(), p.where.c_str(), p.detail.c_str());
  }
  return rep->ok() ? kExitOk : kExitFailure;
}

}  // namespace custodian::cli
