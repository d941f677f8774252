// custodian-mime.so: the GMime parser behind the C interface of plugin_abi.h (see parser.h).
#include <cstdlib>
#include <cstring>
#include <string>

#include "mime/message.h"
#include "mime/parser.h"
#include "mime/plugin_abi.h"
#include "mime/wire.h"

namespace {

using namespace custodian::mime;

char* Copy(const std::string& s, size_t* len) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (p == nullptr) std::abort();
  std::memcpy(p, s.data(), s.size());
  *len = s.size();
  return p;
}

Limits ReadLimits(const char* p, size_t n) {
  Limits l;
  if (!wire::DecodeLimits(std::string_view(p, n), &l)) std::abort();  // same build: cannot happen
  return l;
}

char* Parse(const char* raw, size_t raw_len, const char* limits, size_t limits_len, size_t* out_len) {
  return Copy(wire::EncodeMessage(ParseMessage(std::string_view(raw, raw_len), ReadLimits(limits, limits_len))),
              out_len);
}

void EachAttachment(const char* raw, size_t raw_len, const char* limits, size_t limits_len, void* ctx,
                    void (*fn)(void*, const char*, size_t, const char*, size_t)) {
  ForEachAttachment(std::string_view(raw, raw_len), ReadLimits(limits, limits_len),
                    [&](const Attachment& a, std::string_view content) {
                      std::string w = wire::EncodeAttachment(a);
                      fn(ctx, w.data(), w.size(), content.data(), content.size());
                    });
}

int Iconv(const char* bytes, size_t len, const char* charset, char** out, size_t* out_len) {
  std::string result;
  bool ok = IconvToUtf8(std::string_view(bytes, len), charset, &result);
  *out = Copy(result, out_len);
  return ok ? 1 : 0;
}

const CustodianMimePlugin kPlugin = {CUSTODIAN_MIME_PLUGIN_BUILD, Parse, EachAttachment, Iconv, std::free};

}  // namespace

extern "C" __attribute__((visibility("default"))) const CustodianMimePlugin* custodian_mime_plugin() {
  return &kPlugin;
}
