#include <cstdio>
#include <map>

#include "cli/cli.h"
#include "util/json.h"
#include "util/text.h"

namespace custodian::cli {
namespace {

// Cuts a UTF-8 string to at most `width` code points, padding with spaces.
std::string Column(const std::string& s, size_t width) {
  std::string out;
  size_t cps = 0;
  for (size_t i = 0; i < s.size() && cps < width; cps++) {
    size_t n = 1;
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0xF0) n = 4; else if (c >= 0xE0) n = 3; else if (c >= 0xC0) n = 2;
    char ch = s[i];
    if (n == 1 && (ch == '\n' || ch == '\r' || ch == '\t')) ch = ' ';
    if (n == 1) out += ch; else out.append(s, i, n);
    i += n;
  }
  out.append(width - cps, ' ');
  return out;
}

}  // namespace

int CmdLs(const Context& ctx) {
  auto args = Args::Parse(ctx.argv, {"--custodian", "--folder", "--limit"}, {"--deleted", "--folders"});
  if (!args.ok()) return Usage(args.status().message());
  if (!args->positional().empty()) return Usage("ls takes no positional arguments");
  ListFilter f;
  f.custodian = args->Get("--custodian");
  f.folder = args->Get("--folder");
  f.include_deleted = args->Has("--deleted");
  long long limit = args->Has("--limit") ? std::atoll(args->Get("--limit")->c_str()) : 0;
  if (limit < 0) return Usage("--limit takes a number (0 = all)");
  auto archive = OpenArchive(ctx, Archive::Mode::kReadOnly);
  if (!archive.ok()) return Fail(archive.status());

  if (args->Has("--folders")) {
    std::map<std::pair<std::string, std::string>, std::pair<uint64_t, uint64_t>> counts;  // total, deleted
    f.include_deleted = true;
    Status st = (*archive)->List(f, [&](const ListEntry& e) {
      const auto& c = e.message.copies[0];
      auto& n = counts[{c.custodian, c.folder}];
      n.first++;
      n.second += c.deleted;
      return Status::Ok();
    });
    if (!st.ok()) return Fail(st);
    for (const auto& [key, n] : counts) {
      if (ctx.json) {
        JsonWriter w;
        w.BeginObject().Field("custodian", key.first).Field("folder", key.second).Field("messages", n.first)
            .Field("deleted", n.second).EndObject();
        std::puts(w.str().c_str());
      } else {
        std::printf("%-16s %-40s %8s%s\n", key.first.c_str(), key.second.c_str(), FormatCount(n.first).c_str(),
                    n.second ? (" (" + FormatCount(n.second) + " deleted)").c_str() : "");
      }
    }
    return kExitOk;
  }

  f.limit = size_t(limit);
  Status st = (*archive)->List(f, [&](const ListEntry& e) -> Status {
    const MessageInfo& m = e.message;
    const CopyInfo& c = m.copies[0];
    if (ctx.json) {
      JsonWriter w;
      w.BeginObject().Field("id", m.id);
      if (m.date) w.Field("date", FormatDateIso(*m.date)); else w.Key("date").Null();
      w.Field("from", m.from).Field("subject", m.subject).Field("size", m.size)
          .Field("custodian", c.custodian).Field("folder", c.folder).Field("flags", c.flags)
          .Field("deleted", c.deleted).Field("flagged", !m.problems.empty()).EndObject();
      std::puts(w.str().c_str());
    } else {
      std::string date = m.date ? FormatDateShort(*m.date) : "(no date)       ";
      std::string place = c.custodian + (c.folder.empty() ? "" : "/" + c.folder);
      std::printf("%s  %s  %s  %s  %s%s\n", m.id.substr(0, 12).c_str(), date.c_str(), Column(m.from, 28).c_str(),
                  Column(m.subject.empty() ? "(no subject)" : m.subject, 40).c_str(), place.c_str(),
                  c.deleted ? " [deleted]" : "");
    }
    return Status::Ok();
  });
  if (!st.ok()) return Fail(st);
  return kExitOk;
}

}  // namespace custodian::cli
