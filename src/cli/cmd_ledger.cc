// checkpoint and prove: what an auditor takes away from the archive (docs/preservation.md).
#include <cstdio>

#include "cli/cli.h"
#include "util/json.h"
#include "util/text.h"

namespace custodian::cli {

int CmdCheckpoint(const Context& ctx) {
  auto args = Args::Parse(ctx.argv, {}, {});
  if (!args.ok()) return Usage(args.status().message());
  if (!args->positional().empty()) return Usage("checkpoint takes no arguments");
  auto archive = OpenArchive(ctx, Archive::Mode::kReadOnly);
  if (!archive.ok()) return Fail(archive.status());
  auto cp = (*archive)->Checkpoint();
  if (!cp.ok()) return Fail(cp.status());
  if (ctx.json) {
    JsonWriter w;
    w.BeginObject()
        .Field("origin", cp->origin)
        .Field("tree_size", cp->tree_size)
        .Field("root_hash", cp->root_hash)
        .Field("timestamp_ms", cp->timestamp_ms)
        .Field("time", FormatDateIso(int64_t(cp->timestamp_ms / 1000)))
        .Field("verifier_key", cp->verifier_key)
        .Field("note", cp->note)
        .EndObject();
    std::puts(w.str().c_str());
  } else {
    // The signed note itself, ready to be kept in a file and given to `verify --checkpoint`.
    std::fputs(cp->note.c_str(), stdout);
  }
  return kExitOk;
}

int CmdProve(const Context& ctx) {
  auto args = Args::Parse(ctx.argv, {}, {});
  if (!args.ok()) return Usage(args.status().message());
  if (args->positional().size() != 1) return Usage("prove takes one message ID");
  auto archive = OpenArchive(ctx, Archive::Mode::kReadOnly);
  if (!archive.ok()) return Fail(archive.status());
  std::string id = args->positional()[0];
  if (id.size() != 64) {  // a prefix names a message still held
    auto full = (*archive)->ResolveId(id);
    if (!full.ok()) return Fail(full.status());
    id = *full;
  }
  auto p = (*archive)->Prove(ToLowerAscii(id));
  if (!p.ok()) return Fail(p.status());
  if (ctx.json) {
    JsonWriter w;
    w.BeginObject()
        .Field("id", p->id)
        .Field("event", p->event)
        .Field("leaf_index", p->leaf_index)
        .Field("tree_size", p->tree_size)
        .Field("leaf_hash", p->leaf_hash)
        .Field("record", p->record);
    w.Key("path").BeginArray();
    for (const auto& h : p->path) w.String(h);
    w.EndArray().Field("root_hash", p->root_hash).Field("checkpoint", p->checkpoint).EndObject();
    std::puts(w.str().c_str());
  } else {
    std::printf("Message %s: its ledger record (%s) is leaf %llu of the tree of %llu leaves\n",
                p->id.c_str(), p->event.c_str(), (unsigned long long)p->leaf_index,
                (unsigned long long)p->tree_size);
    std::printf("leaf hash  %s\nroot hash  %s\npath (lowest first):\n", p->leaf_hash.c_str(),
                p->root_hash.c_str());
    for (const auto& h : p->path) std::printf("  %s\n", h.c_str());
    std::printf("signed checkpoint:\n%s", p->checkpoint.c_str());
  }
  return kExitOk;
}

}  // namespace custodian::cli
