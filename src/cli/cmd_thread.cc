#include <cstdio>

#include "cli/cli.h"
#include "util/json.h"

namespace custodian::cli {

int CmdThread(const Context& ctx) {
  auto args = Args::Parse(ctx.argv, {}, {});
  if (!args.ok()) return Usage(args.status().message());
  if (args->positional().size() != 1) return Usage("thread needs one message ID");
  auto archive = OpenArchive(ctx, Archive::Mode::kReadOnly);
  if (!archive.ok()) return Fail(archive.status());
  auto id = (*archive)->ResolveId(args->positional()[0]);
  if (!id.ok()) return Fail(id.status());
  auto thread = (*archive)->Thread(*id);
  if (!thread.ok()) return Fail(thread.status());
  for (const auto& e : *thread) {
    const MessageInfo& m = e.message;
    if (ctx.json) {
      JsonWriter w;
      w.BeginObject().Field("id", m.id).Field("depth", e.depth);
      if (m.date) w.Field("date", FormatDateIso(*m.date)); else w.Key("date").Null();
      w.Field("from", m.from).Field("subject", m.subject).Field("message_id", m.message_id)
          .Field("in_reply_to", m.in_reply_to).EndObject();
      std::puts(w.str().c_str());
    } else {
      std::string date = m.date ? FormatDateShort(*m.date) : "(no date)       ";
      std::printf("%s  %s  %s%s%s  (%s)\n", m.id.substr(0, 12).c_str(), date.c_str(),
                  std::string(size_t(e.depth) * 2, ' ').c_str(), m.id == *id ? "> " : "",
                  (m.subject.empty() ? "(no subject)" : m.subject).c_str(), m.from.c_str());
    }
  }
  return kExitOk;
}

}  // namespace custodian::cli
