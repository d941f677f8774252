#include <unistd.h>

#include <cstdio>

#include "cli/cli.h"
#include "query/query.h"
#include "util/digest.h"
#include "util/json.h"
#include "util/text.h"

namespace custodian::cli {
namespace {

// The index marks hits with \x01 ... \x02; a terminal shows them bold, anything else «...».
std::string Mark(const std::string& s, bool tty) {
  std::string out;
  for (char c : s) {
    if (c == '\x01') out += tty ? "\033[1m" : "«";
    else if (c == '\x02') out += tty ? "\033[0m" : "»";
    else out += c;
  }
  return out;
}

std::string Places(const MessageInfo& m) {
  std::string p;
  for (size_t i = 0; i < m.copies.size(); i++) {
    if (i == 3) {
      p += " (+" + std::to_string(m.copies.size() - 3) + " more)";
      break;
    }
    if (i) p += ", ";
    const CopyInfo& c = m.copies[i];
    p += c.custodian + (c.folder.empty() ? "" : "/" + c.folder) + (c.deleted ? " [deleted]" : "");
  }
  return p;
}

}  // namespace

int CmdSearch(const Context& ctx) {
  auto args = Args::Parse(ctx.argv, {"--limit", "--offset", "--sort"}, {"--count", "--ids"});
  if (!args.ok()) return Usage(args.status().message());
  if (args->positional().empty()) return Usage("search needs a QUERY (see docs/search.md; `*` matches everything)");
  std::string q;
  for (const auto& p : args->positional()) q += (q.empty() ? "" : " ") + p;
  SearchOptions opts;
  if (auto l = args->Get("--limit")) {
    char* end = nullptr;
    long long v = std::strtoll(l->c_str(), &end, 10);
    if (*end || v < 0) return Usage("--limit takes a number (0 = all)");
    opts.limit = size_t(v);
  }
  if (auto o = args->Get("--offset")) {
    char* end = nullptr;
    long long v = std::strtoll(o->c_str(), &end, 10);
    if (*end || v < 0) return Usage("--offset takes a number");
    opts.offset = size_t(v);
  }
  std::string sort = args->Get("--sort").value_or("date");
  if (sort != "date" && sort != "relevance") return Usage("--sort is date or relevance");
  opts.by_relevance = sort == "relevance";
  opts.count_only = args->Has("--count");
  bool ids_only = args->Has("--ids");  // one id per line, like `notmuch search --output=messages`
  opts.snippets = !ids_only;
  opts.ids_only = ids_only;

  auto archive = OpenArchive(ctx, Archive::Mode::kReadOnly);
  if (!archive.ok()) return Fail(archive.status());
  if (Status st = (*archive)->SetCacheKiB(1024); !st.ok()) return Fail(st);  // one question, then exit
  auto res = (*archive)->Search(q, opts);
  if (!res.ok()) {
    if (res.status().code() == Status::Code::kInvalidArgument) {
      // The caret lines up under the query only if the query starts its own line.
      std::fprintf(stderr, "custodian: invalid query\n%s\n", query::FormatQueryError(q, res.status()).c_str());
      return kExitUsage;
    }
    return Fail(res.status());
  }
  if (res->unindexed)
    std::fprintf(stderr, "custodian: warning: %s messages are not in the search index yet; run `custodian reindex`\n",
                 FormatCount(res->unindexed).c_str());
  if (opts.count_only) {
    std::printf("%llu\n", static_cast<unsigned long long>(res->total));
    return kExitOk;
  }
  if (ids_only) {
    std::string out;
    for (const auto& id : res->ids) {
      out += ToHex(id.data(), id.size());
      out += '\n';
      if (out.size() >= (64 << 10)) {
        std::fwrite(out.data(), 1, out.size(), stdout);
        out.clear();
      }
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    return kExitOk;
  }
  bool tty = ::isatty(1);
  for (const auto& h : res->hits) {
    const MessageInfo& m = h.message;
    if (ctx.json) {
      JsonWriter w;
      w.BeginObject().Field("id", m.id);
      if (m.date) w.Field("date", FormatDateIso(*m.date)); else w.Key("date").Null();
      w.Field("from", m.from).Field("subject", m.subject).Field("size", m.size).Field("message_id", m.message_id);
      w.Key("copies").BeginArray();
      for (const auto& c : m.copies)
        w.BeginObject().Field("custodian", c.custodian).Field("folder", c.folder).Field("deleted", c.deleted).EndObject();
      w.EndArray().Field("snippet", Mark(h.snippet, false)).EndObject();
      std::puts(w.str().c_str());
    } else {
      std::string date = m.date ? FormatDateShort(*m.date) : "(no date)       ";
      std::printf("%s  %s  %s\n    %s  %s\n", date.c_str(), m.id.substr(0, 12).c_str(),
                  (m.subject.empty() ? "(no subject)" : m.subject).c_str(), m.from.c_str(), Places(m).c_str());
      if (!h.snippet.empty()) std::printf("    %s\n", Mark(h.snippet, tty).c_str());
    }
  }
  if (!ctx.json) {
    if (res->total == 0) {
      std::fprintf(stderr, "No messages match.\n");
    } else {
      std::fprintf(stderr, "%s message%s match; showing %zu%s.\n", FormatCount(res->total).c_str(),
                   res->total == 1 ? "" : "s", res->hits.size(),
                   res->hits.size() < res->total ? " (use --limit 0 for all, or --offset)" : "");
    }
  }
  return kExitOk;
}

}  // namespace custodian::cli
