// delete, recover, retention, hold, purge: preservation commands (docs/preservation.md). Each
// change is made by Archive and recorded in its ledger with --actor (default: the OS user) and
// --reason.
#include <cmath>
#include <cstdio>
#include <ctime>

#include "cli/cli.h"
#include "util/json.h"
#include "util/text.h"

namespace custodian::cli {
namespace {

Attribution Who(const Args& a) {
  return {a.Get("--actor").value_or(DefaultActor()), a.Get("--reason").value_or("")};
}

// "7y", "90d", "0d" or "permanent"; a year is 365.25 days rounded up, so that N years always
// cover N calendar years, leap days included.
Result<std::optional<int64_t>> ParseKeep(const std::string& s) {
  if (s == "permanent") return std::optional<int64_t>();
  if (s.size() < 2 || s.size() > 7)
    return Status::InvalidArgument("--keep takes 7y, 90d, 0d or permanent, not '" + s + "'");
  std::string digits = s.substr(0, s.size() - 1);
  for (char c : digits)
    if (c < '0' || c > '9')
      return Status::InvalidArgument("--keep takes 7y, 90d, 0d or permanent, not '" + s + "'");
  int64_t n = std::stoll(digits);
  if (s.back() == 'd') return std::optional<int64_t>(n);
  if (s.back() == 'y') return std::optional<int64_t>((n * 1461 + 3) / 4);
  return Status::InvalidArgument("--keep takes 7y, 90d, 0d or permanent, not '" + s + "'");
}

std::string FormatKeep(const std::optional<int64_t>& days) {
  return days ? std::to_string(*days) + "d" : "permanent";
}

// YYYY-MM-DD (UTC) as seconds since the epoch; end_of_day gives its last second.
Result<int64_t> ParseDay(const std::string& s, bool end_of_day) {
  struct tm tm = {};
  const char* end = strptime(s.c_str(), "%Y-%m-%d", &tm);
  if (!end || *end) return Status::InvalidArgument("dates are YYYY-MM-DD, not '" + s + "'");
  int64_t t = int64_t(timegm(&tm));
  return end_of_day ? t + 86399 : t;
}

int Change(const Context& ctx, bool deleted) {
  const char* name = deleted ? "delete" : "recover";
  auto args = Args::Parse(ctx.argv, {"--custodian", "--query", "--actor", "--reason"}, {});
  if (!args.ok()) return Usage(args.status().message());
  CopySelection sel;
  sel.custodian = args->Get("--custodian").value_or("");
  sel.query = args->Get("--query").value_or("");
  sel.ids = args->positional();
  if (sel.custodian.empty()) return Usage(std::string(name) + " needs --custodian NAME");
  if (sel.ids.empty() == sel.query.empty())
    return Usage(std::string(name) + " takes message IDs or --query Q (one of them)");
  auto archive = OpenArchive(ctx, Archive::Mode::kWrite);
  if (!archive.ok()) return Fail(archive.status());
  auto res = deleted ? (*archive)->Delete(sel, Who(*args)) : (*archive)->Recover(sel, Who(*args));
  if (!res.ok()) return Fail(res.status());
  if (ctx.json) {
    JsonWriter w;
    w.BeginObject()
        .Field("custodian", sel.custodian)
        .Field("matched", res->matched)
        .Field("changed", res->changed)
        .EndObject();
    std::puts(w.str().c_str());
  } else {
    std::printf("%s %s message%s of %s", deleted ? "Deleted" : "Recovered",
                FormatCount(res->changed).c_str(), res->changed == 1 ? "" : "s",
                sel.custodian.c_str());
    if (res->matched > res->changed)
      std::printf(" (%s more matched and already were)",
                  FormatCount(res->matched - res->changed).c_str());
    std::printf("\n");
  }
  return kExitOk;
}

}  // namespace

int CmdDelete(const Context& ctx) { return Change(ctx, true); }
int CmdRecover(const Context& ctx) { return Change(ctx, false); }

int CmdRetention(const Context& ctx) {
  auto args = Args::Parse(ctx.argv, {"--query", "--keep", "--actor", "--reason"}, {});
  if (!args.ok()) return Usage(args.status().message());
  const auto& pos = args->positional();
  if (pos.empty())
    return Usage(
        "retention set NAME --query Q --keep 7y|90d|0d|permanent, retention list, retention remove "
        "NAME");
  const std::string& verb = pos[0];
  if (verb == "list") {
    if (pos.size() != 1) return Usage("retention list takes no arguments");
    auto archive = OpenArchive(ctx, Archive::Mode::kReadOnly);
    if (!archive.ok()) return Fail(archive.status());
    auto list = (*archive)->ListRetention();
    if (!list.ok()) return Fail(list.status());
    for (const auto& p : *list) {
      if (ctx.json) {
        JsonWriter w;
        w.BeginObject().Field("name", p.name).Field("query", p.query).Key("keep_days");
        if (p.keep_days)
          w.Int(*p.keep_days);
        else
          w.Null();
        w.Field("keep", FormatKeep(p.keep_days))
            .Field("created", FormatDateIso(p.created))
            .Field("actor", p.actor)
            .Field("reason", p.reason)
            .EndObject();
        std::puts(w.str().c_str());
      } else {
        std::printf("%-20s keep %-10s %s   (set %s by %s)\n", p.name.c_str(),
                    FormatKeep(p.keep_days).c_str(), p.query.c_str(),
                    FormatDateShort(p.created).c_str(), p.actor.c_str());
      }
    }
    if (!ctx.json && list->empty())
      std::puts("No retention policies: nothing is ever disposed of.");
    return kExitOk;
  }
  if (verb != "set" && verb != "remove")
    return Usage("unknown retention command '" + verb + "' (set, list, remove)");
  if (pos.size() != 2) return Usage("retention " + verb + " takes one policy NAME");
  Status st;
  auto archive = OpenArchive(ctx, Archive::Mode::kWrite);
  if (!archive.ok()) return Fail(archive.status());
  if (verb == "set") {
    auto q = args->Get("--query");
    auto keep = args->Get("--keep");
    if (!q || !keep)
      return Usage("retention set NAME needs --query Q and --keep 7y|90d|0d|permanent");
    auto days = ParseKeep(*keep);
    if (!days.ok()) return Usage(days.status().message());
    RetentionPolicy p;
    p.name = pos[1];
    p.query = *q;
    p.keep_days = *days;
    st = (*archive)->SetRetention(p, Who(*args));
  } else {
    st = (*archive)->RemoveRetention(pos[1], Who(*args));
  }
  if (!st.ok()) return Fail(st);
  if (ctx.json) {
    JsonWriter w;
    w.BeginObject()
        .Field("policy", pos[1])
        .Field(verb == "set" ? "set" : "removed", true)
        .EndObject();
    std::puts(w.str().c_str());
  } else {
    std::printf("Retention policy '%s' %s\n", pos[1].c_str(), verb == "set" ? "set" : "removed");
  }
  return kExitOk;
}

int CmdHold(const Context& ctx) {
  auto args = Args::Parse(ctx.argv,
                          {"--query", "--custodian", "--from", "--to", "--actor", "--reason"}, {});
  if (!args.ok()) return Usage(args.status().message());
  const auto& pos = args->positional();
  if (pos.empty())
    return Usage(
        "hold create MATTER --query Q [--custodian C] [--from DATE --to DATE] [--reason R], hold "
        "list, hold release MATTER --reason R");
  const std::string& verb = pos[0];
  if (verb == "list") {
    if (pos.size() != 1) return Usage("hold list takes no arguments");
    auto archive = OpenArchive(ctx, Archive::Mode::kReadOnly);
    if (!archive.ok()) return Fail(archive.status());
    auto list = (*archive)->ListHolds();
    if (!list.ok()) return Fail(list.status());
    for (const auto& h : *list) {
      if (ctx.json) {
        JsonWriter w;
        w.BeginObject()
            .Field("matter", h.matter)
            .Field("active", !h.released)
            .Field("query", h.query)
            .Field("custodian", h.custodian);
        w.Key("from");
        if (h.from)
          w.String(FormatDateIso(*h.from));
        else
          w.Null();
        w.Key("to");
        if (h.to)
          w.String(FormatDateIso(*h.to));
        else
          w.Null();
        w.Field("reason", h.reason)
            .Field("created", FormatDateIso(h.created))
            .Field("actor", h.actor);
        if (h.released)
          w.Field("released", FormatDateIso(*h.released))
              .Field("released_by", h.released_by)
              .Field("release_reason", h.release_reason);
        w.EndObject();
        std::puts(w.str().c_str());
      } else {
        std::printf("%-24s %-8s %s%s%s  (placed %s by %s%s)\n", h.matter.c_str(),
                    h.released ? "released" : "ACTIVE", h.query.c_str(),
                    h.custodian.empty() ? "" : (" custodian " + h.custodian).c_str(),
                    h.from || h.to
                        ? (" dates " +
                           (h.from ? FormatDateShort(*h.from).substr(0, 10) : std::string("..")) +
                           ".." + (h.to ? FormatDateShort(*h.to).substr(0, 10) : std::string("")))
                              .c_str()
                        : "",
                    FormatDateShort(h.created).c_str(), h.actor.c_str(),
                    h.released ? ("; released " + FormatDateShort(*h.released) + " by " +
                                  h.released_by + ": " + h.release_reason)
                                     .c_str()
                               : "");
      }
    }
    if (!ctx.json && list->empty()) std::puts("No legal holds.");
    return kExitOk;
  }
  if (verb != "create" && verb != "release")
    return Usage("unknown hold command '" + verb + "' (create, list, release)");
  if (pos.size() != 2) return Usage("hold " + verb + " takes one MATTER name");
  auto archive = OpenArchive(ctx, Archive::Mode::kWrite);
  if (!archive.ok()) return Fail(archive.status());
  Status st;
  if (verb == "create") {
    LegalHold h;
    h.matter = pos[1];
    h.query = args->Get("--query").value_or("");
    if (h.query.empty()) return Usage("hold create needs --query Q ('*' for every message)");
    h.custodian = args->Get("--custodian").value_or("");
    if (auto f = args->Get("--from")) {
      auto t = ParseDay(*f, false);
      if (!t.ok()) return Usage(t.status().message());
      h.from = *t;
    }
    if (auto f = args->Get("--to")) {
      auto t = ParseDay(*f, true);
      if (!t.ok()) return Usage(t.status().message());
      h.to = *t;
    }
    st = (*archive)->CreateHold(h, Who(*args));
  } else {
    if (!args->Get("--reason")) return Usage("hold release needs --reason: why the hold ends");
    st = (*archive)->ReleaseHold(pos[1], Who(*args));
  }
  if (!st.ok()) return Fail(st);
  if (ctx.json) {
    JsonWriter w;
    w.BeginObject()
        .Field("matter", pos[1])
        .Field(verb == "create" ? "created" : "released", true)
        .EndObject();
    std::puts(w.str().c_str());
  } else {
    std::printf("Hold '%s' %s\n", pos[1].c_str(), verb == "create" ? "placed" : "released");
  }
  return kExitOk;
}

int CmdPurge(const Context& ctx) {
  auto args = Args::Parse(ctx.argv, {"--actor", "--reason"}, {"--dry-run"});
  if (!args.ok()) return Usage(args.status().message());
  if (!args->positional().empty()) return Usage("purge takes no arguments");
  bool dry = args->Has("--dry-run");
  // A dry run opens the archive read-only: it cannot change a byte.
  auto archive = OpenArchive(ctx, dry ? Archive::Mode::kReadOnly : Archive::Mode::kWrite);
  if (!archive.ok()) return Fail(archive.status());
  Attribution who = Who(*args);
  if (who.reason.empty()) who.reason = "retention period over";
  auto res = (*archive)->Purge(dry, who);
  if (!res.ok()) return Fail(res.status());
  if (ctx.json) {
    JsonWriter w;
    w.BeginObject()
        .Field("dry_run", dry)
        .Field("disposed", uint64_t(res->disposed.size()))
        .Field("held", res->held)
        .Field("retained", res->retained)
        .Field("unmanaged", res->unmanaged)
        .Field("blocks_rewritten", res->blocks_rewritten)
        .Field("texts_disposed", res->texts_disposed)
        .Field("bytes_reclaimed", res->bytes_reclaimed);
    if (!res->warning.empty()) w.Field("warning", res->warning);
    w.Key("messages").BeginArray();
    for (const auto& d : res->disposed)
      w.BeginObject().Field("id", d.id).Field("size", d.size).Field("policy", d.policy).EndObject();
    w.EndArray().EndObject();
    std::puts(w.str().c_str());
  } else {
    for (const auto& d : res->disposed)
      std::printf("%s %s  %s bytes  policy %s\n", dry ? "would dispose of" : "disposed of",
                  d.id.c_str(), FormatCount(d.size).c_str(), d.policy.c_str());
    std::printf(
        "%s %s message%s; kept: %s under a legal hold, %s within retention, %s under no policy\n",
        dry ? "Would dispose of" : "Disposed of", FormatCount(res->disposed.size()).c_str(),
        res->disposed.size() == 1 ? "" : "s", FormatCount(res->held).c_str(),
        FormatCount(res->retained).c_str(), FormatCount(res->unmanaged).c_str());
    if (res->bytes_reclaimed)
      std::printf("Compaction reclaimed %s of dead ciphertext\n",
                  HumanBytes(double(res->bytes_reclaimed)).c_str());
    if (!res->warning.empty()) std::printf("Note: %s\n", res->warning.c_str());
  }
  return kExitOk;
}

}  // namespace custodian::cli
