// The parser for the custodian program: custodian-mime.so, loaded on the first parse (see
// parser.h). Without it nothing can be imported, so a missing or foreign plugin ends the program
// with the reason rather than letting mail through unparsed.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include "mime/charset.h"
#include "mime/message.h"
#include "mime/parser.h"
#include "mime/plugin_abi.h"
#include "mime/wire.h"
#include "util/dynlib.h"

namespace custodian::mime {
namespace {

// CUSTODIAN_MIME_LIBRARY if set, else custodian-mime.so beside the running program.
std::string PluginPath() {
  if (const char* env = std::getenv("CUSTODIAN_MIME_LIBRARY"); env && *env) return env;
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  std::string dir = n > 0 ? std::string(self, size_t(n)) : std::string();
  size_t slash = dir.rfind('/');
  return (slash == std::string::npos ? std::string(".") : dir.substr(0, slash)) + "/custodian-mime.so";
}

const CustodianMimePlugin* Plugin() {
  static const CustodianMimePlugin* plugin = [] {
    std::string path = PluginPath(), error;
    void* lib = LoadSharedLibrary(path.c_str(), &error);
    const CustodianMimePlugin* (*entry)() = nullptr;
    if (lib && !LoadFunction(lib, "custodian_mime_plugin", &entry)) error = "it has no custodian_mime_plugin";
    const CustodianMimePlugin* p = entry ? entry() : nullptr;
    if (p && std::strcmp(p->build, CUSTODIAN_MIME_PLUGIN_BUILD) != 0)
      error = std::string("it belongs to another build (") + p->build + ", this is " CUSTODIAN_MIME_PLUGIN_BUILD ")";
    if (!error.empty() || !p) {
      std::fprintf(stderr,
                   "custodian: cannot load the mail parser %s: %s\n"
                   "custodian: it is built with custodian and must sit beside it (or be named by "
                   "CUSTODIAN_MIME_LIBRARY)\n",
                   path.c_str(), error.c_str());
      // EX_SOFTWARE: an installation fault, not bad input. _exit, not exit: other threads may
      // be running (parse workers), and what is committed is already durable.
      std::fflush(stdout);
      std::fflush(stderr);
      _exit(70);
    }
    return p;
  }();
  return plugin;
}

struct Buffer {
  char* p = nullptr;
  size_t n = 0;
  ~Buffer() {
    if (p) Plugin()->free(p);
  }
  std::string_view view() const { return std::string_view(p, n); }
};

}  // namespace

void InitMime() { Plugin(); }

ParsedMessage ParseMessage(std::string_view raw, const Limits& limits) {
  std::string l = wire::EncodeLimits(limits);
  Buffer out;
  out.p = Plugin()->parse(raw.data(), raw.size(), l.data(), l.size(), &out.n);
  ParsedMessage m;
  if (!wire::DecodeMessage(out.view(), &m)) {
    std::fprintf(stderr, "custodian: the mail parser returned a malformed result\n");
    std::abort();
  }
  return m;
}

void ForEachAttachment(std::string_view raw, const Limits& limits,
                       const std::function<void(const Attachment&, std::string_view)>& fn) {
  std::string l = wire::EncodeLimits(limits);
  auto call = [](void* ctx, const char* att, size_t att_len, const char* content, size_t content_len) {
    Attachment a;
    if (!wire::DecodeAttachment(std::string_view(att, att_len), &a)) {
      std::fprintf(stderr, "custodian: the mail parser returned a malformed attachment\n");
      std::abort();
    }
    (*static_cast<const std::function<void(const Attachment&, std::string_view)>*>(ctx))(
        a, std::string_view(content, content_len));
  };
  Plugin()->for_each_attachment(raw.data(), raw.size(), l.data(), l.size(),
                                const_cast<void*>(static_cast<const void*>(&fn)), call);
}

bool IconvToUtf8(std::string_view bytes, const std::string& charset, std::string* out) {
  Buffer b;
  int ok = Plugin()->iconv_to_utf8(bytes.data(), bytes.size(), charset.c_str(), &b.p, &b.n);
  out->assign(b.view());
  return ok != 0;
}

bool ConvertToUtf8(std::string_view bytes, std::string_view charset, std::string* out) {
  return ConvertToUtf8With(bytes, charset, out, IconvToUtf8);
}

}  // namespace custodian::mime
