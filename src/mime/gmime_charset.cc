// IconvToUtf8 (parser.h) on GMime's iconv, which knows the charset aliases mail uses.
#include <gmime/gmime.h>

#include <cerrno>

#include "mime/charset.h"
#include "mime/message.h"
#include "mime/parser.h"

namespace custodian::mime {
namespace {

constexpr uint32_t kReplacement = 0xFFFD;

// iconv with U+FFFD for each undecodable byte, so one bad byte does not lose the rest.
std::string IconvBytes(iconv_t cd, std::string_view bytes) {
  std::string out(bytes.size() * 2 + 16, '\0');
  char* in = const_cast<char*>(bytes.data());
  size_t in_left = bytes.size();
  size_t used = 0;
  bool flushed = false;
  while (!flushed) {
    char* dst = out.data() + used;
    size_t dst_left = out.size() - used;
    // With no input left, a null input pointer flushes any pending shift state (ISO-2022-JP).
    size_t rc = in_left > 0 ? iconv(cd, &in, &in_left, &dst, &dst_left)
                            : iconv(cd, nullptr, nullptr, &dst, &dst_left);
    used = out.size() - dst_left;
    if (rc != static_cast<size_t>(-1)) {
      flushed = in_left == 0;
    } else if (errno == E2BIG) {
      out.resize(out.size() * 2);
    } else if (in_left > 0) {  // EILSEQ or a truncated sequence: replace one byte, go on
      out.resize(used);
      AppendUtf8(&out, kReplacement);
      used = out.size();
      out.resize(used + in_left * 2 + 16);
      in++;
      in_left--;
    } else {
      flushed = true;
    }
  }
  out.resize(used);
  return out;
}

}  // namespace

bool IconvToUtf8(std::string_view bytes, const std::string& charset, std::string* out) {
  InitMime();  // GMime's iconv cache
  iconv_t cd = g_mime_iconv_open("UTF-8", charset.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) return false;
  *out = IconvBytes(cd, bytes);
  g_mime_iconv_close(cd);
  return true;
}

bool ConvertToUtf8(std::string_view bytes, std::string_view charset, std::string* out) {
  return ConvertToUtf8With(bytes, charset, out, IconvToUtf8);
}

}  // namespace custodian::mime
