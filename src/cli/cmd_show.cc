#include <cstdio>

#include "cli/cli.h"
#include "mime/message.h"
#include "util/json.h"

namespace custodian::cli {
namespace {

void AddressField(JsonWriter& w, const char* key, const std::vector<mime::Address>& list) {
  w.Key(key).BeginArray();
  for (const auto& a : list) w.BeginObject().Field("name", a.name).Field("address", a.address).EndObject();
  w.EndArray();
}

void WriteJson(const MessageInfo& info, const mime::ParsedMessage& p, const std::optional<AuthenticityInfo>& auth) {
  JsonWriter w;
  w.BeginObject().Field("id", info.id).Field("size", info.size);
  if (p.has_date) {
    w.Field("date", FormatDateIso(p.date)).Field("date_epoch", int64_t(p.date));
  } else {
    w.Key("date").Null();
  }
  w.Field("subject", p.subject);
  AddressField(w, "from", p.from);
  AddressField(w, "to", p.to);
  AddressField(w, "cc", p.cc);
  AddressField(w, "bcc", p.bcc);
  w.Field("message_id", p.message_id).Field("in_reply_to", p.in_reply_to);
  w.Key("references").BeginArray();
  for (const auto& r : p.references) w.String(r);
  w.EndArray();
  w.Key("headers").BeginArray();
  for (const auto& h : p.headers) w.BeginObject().Field("name", h.name).Field("value", h.value).EndObject();
  w.EndArray();
  w.Field("text", p.body_text);
  w.Key("attachments").BeginArray();
  for (const auto& a : p.attachments)
    w.BeginObject()
        .Field("filename", a.filename)
        .Field("content_type", a.content_type)
        .Field("size", a.size)
        .Field("part", a.part)
        .Field("inline", a.is_inline)
        .EndObject();
  w.EndArray();
  w.Key("copies").BeginArray();
  for (const auto& c : info.copies)
    w.BeginObject()
        .Field("custodian", c.custodian)
        .Field("folder", c.folder)
        .Field("flags", c.flags)
        .Field("deleted", c.deleted)
        .EndObject();
  w.EndArray();
  w.Key("problems").BeginArray();
  for (const auto& pr : p.problems) w.String(pr);
  w.EndArray();
  // The DKIM/ARC result stored at import (docs/authenticity.md); null if never checked.
  w.Key("authenticity");
  if (!auth) {
    w.Null();
  } else {
    w.BeginObject()
        .Field("verdict", auth->verdict)
        .Field("arc", auth->arc)
        .Field("reason", auth->reason)
        .Field("verified_at", FormatDateIso(auth->verified_at))
        .Field("as_of", FormatDateIso(auth->as_of));
    w.Key("report");
    if (auth->report_json.empty()) w.Null(); else w.Raw(auth->report_json);
    w.EndObject();
  }
  w.EndObject();
  std::puts(w.str().c_str());
}

}  // namespace

int CmdShow(const Context& ctx) {
  auto args = Args::Parse(ctx.argv, {}, {"--headers", "--text", "--raw"});
  if (!args.ok()) return Usage(args.status().message());
  if (args->positional().size() != 1) return Usage("show needs exactly one message ID");
  int views = args->Has("--headers") + args->Has("--text") + ctx.json;
  if (views > 1) return Usage("choose one of --headers, --text, --json");
  auto archive = OpenArchive(ctx, Archive::Mode::kReadOnly);
  if (!archive.ok()) return Fail(archive.status());
  auto id = (*archive)->ResolveId(args->positional()[0]);
  if (!id.ok()) return Fail(id.status());
  auto data = (*archive)->ReadMessage(*id);
  if (!data.ok()) return Fail(data.status());
  if (views == 0) {
    if (std::fwrite(data->data(), 1, data->size(), stdout) != data->size() || std::fflush(stdout) != 0)
      return Fail(Status::IOError("cannot write to standard output"));
    return kExitOk;
  }
  mime::ParsedMessage p = mime::ParseMessage(*data);
  if (args->Has("--headers")) {
    for (const auto& h : p.headers) std::printf("%s: %s\n", h.name.c_str(), h.value.c_str());
  } else if (args->Has("--text")) {
    std::fwrite(p.body_text.data(), 1, p.body_text.size(), stdout);
    if (!p.body_text.empty() && p.body_text.back() != '\n') std::putchar('\n');
    if (!p.attachments.empty()) {
      std::printf("\n-- %zu attachment%s --\n", p.attachments.size(), p.attachments.size() == 1 ? "" : "s");
      for (const auto& a : p.attachments)
        std::printf("[%s] %s (%s, %llu bytes)\n", a.part.c_str(), a.filename.empty() ? "(no name)" : a.filename.c_str(),
                    a.content_type.c_str(), static_cast<unsigned long long>(a.size));
    }
  } else {
    auto info = (*archive)->Describe(*id);
    if (!info.ok()) return Fail(info.status());
    auto auth = (*archive)->Authenticity(*id);
    if (!auth.ok()) return Fail(auth.status());
    WriteJson(*info, p, *auth);
  }
  return kExitOk;
}

}  // namespace custodian::cli
