// custodian authenticate [--json] [--keys FILE] [--dns] ID
// custodian authenticate --rescan [--keys FILE] [--dns]
#include <cstdio>

#include "cli/cli.h"
#include "util/json.h"

namespace custodian::cli {
namespace {

void WriteResult(JsonWriter& w, const AuthenticityInfo& r) {
  w.BeginObject()
      .Field("verdict", r.verdict)
      .Field("arc", r.arc)
      .Field("reason", r.reason)
      .Field("verified_at", FormatDateIso(r.verified_at))
      .Field("as_of", FormatDateIso(r.as_of));
}

void WriteStored(JsonWriter& w, const AuthenticationReport& rep) {
  w.Key("stored");
  if (!rep.stored) {
    w.Null();
  } else {
    WriteResult(w, *rep.stored);
    w.Field("results", rep.stored->results).EndObject();
  }
  w.Key("history").BeginArray();
  for (const auto& r : rep.history) {
    WriteResult(w, r);
    w.EndObject();
  }
  w.EndArray();
}

// The text report ends with what a weak signature means, when there is one.
constexpr char kWeakNote[] =
    "A weak signature uses rsa-sha1 or an RSA key under 1,024 bits. RFC 6376 accepts it, so it is\n"
    "reported as it verifies; RFC 8301 (2018) no longer does, because a 512-bit key can be factored\n"
    "today and SHA-1 collisions can be made. Read a weak pass as consistent with the signer, not as\n"
    "strong evidence of it.\n";

int Rescan(const Context& ctx, const AuthenticateOptions& opts) {
  auto archive = OpenArchive(ctx, Archive::Mode::kWrite);
  if (!archive.ok()) return Fail(archive.status());
  ProgressBar bar("re-verifying");
  auto res = (*archive)->RescanAuthenticity(opts, [&](uint64_t done, uint64_t total) {
    bar.Update(done, total, FormatCount(done) + " msgs");
  });
  bar.Finish();
  if (!res.ok()) return Fail(res.status());
  if (ctx.json) {
    JsonWriter w;
    w.BeginObject().Field("checked", res->checked).Field("changed", res->changed);
    w.Key("verdicts").BeginObject();
    for (const auto& [verdict, n] : res->verdicts) w.Field(verdict, n);
    w.EndObject().EndObject();
    std::puts(w.str().c_str());
    return kExitOk;
  }
  std::printf("Re-verified %s messages whose result could change; %s results changed\n",
              FormatCount(res->checked).c_str(), FormatCount(res->changed).c_str());
  for (const auto& [verdict, n] : res->verdicts) std::printf("  %-10s %s\n", verdict.c_str(), FormatCount(n).c_str());
  return kExitOk;
}

}  // namespace

int CmdAuthenticate(const Context& ctx) {
  auto args = Args::Parse(ctx.argv, {"--keys"}, {"--rescan", "--dns"});
  if (!args.ok()) return Usage(args.status().message());
  AuthenticateOptions opts;
  opts.key_file = args->Get("--keys").value_or("");
  opts.dns = args->Has("--dns");
  if (args->Has("--rescan")) {
    if (!args->positional().empty()) return Usage("authenticate --rescan takes no message ID");
    return Rescan(ctx, opts);
  }
  if (args->positional().size() != 1) return Usage("authenticate needs exactly one message ID (or --rescan)");
  auto archive = OpenArchive(ctx, Archive::Mode::kReadOnly);
  if (!archive.ok()) return Fail(archive.status());
  auto id = (*archive)->ResolveId(args->positional()[0]);
  if (!id.ok()) return Fail(id.status());
  auto rep = (*archive)->Authenticate(*id, opts);
  if (!rep.ok()) return Fail(rep.status());
  if (ctx.json) {
    // The verification's own object, with the message id and the stored result added.
    std::string json = rep->json;
    JsonWriter extra;
    extra.BeginObject().Field("id", rep->id);
    WriteStored(extra, *rep);
    extra.EndObject();
    std::string head = extra.str();  // {"id":...,"stored":...}
    head.pop_back();                 // drop its '}'
    std::string out = json.size() > 2 ? head + "," + json.substr(1) : head + "}";
    std::puts(out.c_str());
    return kExitOk;
  }
  std::printf("Message %s\n\n%s", rep->id.c_str(), rep->text.c_str());
  if (!rep->text.empty() && rep->text.back() != '\n') std::putchar('\n');
  if (rep->json.find("\"weak\":true") != std::string::npos) std::printf("\n%s", kWeakNote);
  if (rep->stored) {
    std::printf("\nStored result: %s (ARC %s), verified %s, judged as of %s; %s\n", rep->stored->verdict.c_str(),
                rep->stored->arc.c_str(), FormatDateIso(rep->stored->verified_at).c_str(),
                FormatDateIso(rep->stored->as_of).c_str(), rep->stored->reason.c_str());
    if (rep->stored->results > 1)
      std::printf("  (%llu results in its history; the newest is shown)\n",
                  static_cast<unsigned long long>(rep->stored->results));
  } else {
    std::printf("\nNo stored result: the message was archived before verification at import "
                "(run `custodian authenticate --rescan`).\n");
  }
  return kExitOk;
}

}  // namespace custodian::cli
