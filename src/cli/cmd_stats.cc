#include <cstdio>

#include "cli/cli.h"
#include "util/json.h"
#include "util/text.h"

namespace custodian::cli {

int CmdStats(const Context& ctx) {
  auto args = Args::Parse(ctx.argv, {}, {});
  if (!args.ok()) return Usage(args.status().message());
  if (!args->positional().empty()) return Usage("stats takes no arguments");
  auto archive = OpenArchive(ctx, Archive::Mode::kReadOnly);
  if (!archive.ok()) return Fail(archive.status());
  auto s = (*archive)->Stats();
  if (!s.ok()) return Fail(s.status());
  double ratio = s->raw_bytes ? double(s->disk_bytes) / double(s->raw_bytes) : 0;
  if (ctx.json) {
    JsonWriter w;
    w.BeginObject()
        .Field("messages", s->messages)
        .Field("copies", s->copies)
        .Field("raw_bytes", s->raw_bytes)
        .Field("disk_bytes", s->disk_bytes)
        .Field("segment_bytes", s->segment_bytes)
        .Field("catalog_bytes", s->catalog_bytes)
        .Field("disk_ratio", ratio)
        .Field("blocks", s->blocks)
        .Field("texts", s->texts)
        .Field("text_bytes", s->text_bytes)
        .Field("word_index_bytes", s->word_index_bytes)
        .Field("word_stemmer", s->word_stemmer)
        .Field("trigram_index_bytes", s->trigram_index_bytes)
        .Field("catalog_free_bytes", s->catalog_free_bytes)
        .Field("flagged", s->flagged);
    w.Key("dkim").BeginObject();
    for (const auto& [verdict, n] : s->dkim_verdicts) w.Field(verdict, n);
    w.Field("unchecked", s->dkim_unchecked).Field("keys_kept", s->dkim_keys).EndObject();
    w.Key("catalog_tables").BeginObject();
    for (const auto& [name, bytes] : s->catalog_tables) w.Field(name, bytes);
    w.EndObject();
    w.Key("custodians").BeginArray();
    for (const auto& c : s->custodians)
      w.BeginObject()
          .Field("name", c.name)
          .Field("messages", c.messages)
          .Field("copies", c.copies)
          .Field("raw_bytes", c.raw_bytes)
          .Field("folders", c.folders)
          .Field("deleted", c.deleted)
          .EndObject();
    w.EndArray().EndObject();
    std::puts(w.str().c_str());
    return kExitOk;
  }
  std::printf("Archive %s\n", ctx.archive_dir.c_str());
  std::printf("  messages:  %s distinct, %s copies in custodians' folders\n", FormatCount(s->messages).c_str(),
              FormatCount(s->copies).c_str());
  std::printf("  raw size:  %s\n", HumanBytes(double(s->raw_bytes)).c_str());
  std::printf("  on disk:   %s (%.2fx raw: segments %s, catalog %s)\n", HumanBytes(double(s->disk_bytes)).c_str(),
              ratio, HumanBytes(double(s->segment_bytes)).c_str(), HumanBytes(double(s->catalog_bytes)).c_str());
  std::printf("  search:    %s distinct texts; word index %s; for substring/regex: texts %s, trigram index %s\n",
              FormatCount(s->texts).c_str(), HumanBytes(double(s->word_index_bytes)).c_str(),
              HumanBytes(double(s->text_bytes)).c_str(), HumanBytes(double(s->trigram_index_bytes)).c_str());
  if (s->word_stemmer == "porter")
    std::printf("  stemming:  Porter's original algorithm (`news` also finds \"new\"); `custodian reindex --all`\n"
                "             moves this archive to Snowball English (docs/search.md)\n");
  else
    std::printf("  stemming:  %s\n", s->word_stemmer == "snowball" ? "Snowball English" : s->word_stemmer.c_str());
  if (s->messages) {
    std::string line;
    for (const auto& [verdict, n] : s->dkim_verdicts)
      line += (line.empty() ? "" : ", ") + verdict + " " + FormatCount(n);
    if (s->dkim_unchecked) line += (line.empty() ? "" : ", ") + FormatCount(s->dkim_unchecked) + " never checked";
    std::printf("  DKIM:      %s; %s key records kept\n", line.c_str(), FormatCount(s->dkim_keys).c_str());
  }
  if (s->flagged) std::printf("  flagged:   %s messages stored with parse problems\n", FormatCount(s->flagged).c_str());
  if (!s->custodians.empty()) {
    std::printf("\n  %-20s %10s %10s %8s %10s %12s\n", "custodian", "messages", "copies", "folders", "deleted", "raw size");
    for (const auto& c : s->custodians)
      std::printf("  %-20s %10s %10s %8s %10s %12s\n", c.name.c_str(), FormatCount(c.messages).c_str(),
                  FormatCount(c.copies).c_str(), FormatCount(c.folders).c_str(), FormatCount(c.deleted).c_str(),
                  HumanBytes(double(c.raw_bytes)).c_str());
  }
  return kExitOk;
}

}  // namespace custodian::cli
