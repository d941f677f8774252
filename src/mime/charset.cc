#include "mime/charset.h"

#include "mime/message.h"
#include "mime/parser.h"
#include "util/text.h"

namespace custodian::mime {
namespace {

// windows-1252 code points for 0x80..0x9F; 0 where the code page leaves the byte undefined.
constexpr uint16_t kCp1252High[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

// Charsets whose 8-bit bytes real mail uses as windows-1252, or which say nothing useful.
bool IsLatin1Like(const std::string& cs) {
  return cs == "us-ascii" || cs == "ascii" || cs == "iso-8859-1" || cs == "iso8859-1" ||
         cs == "iso_8859-1" || cs == "latin1" || cs == "latin-1" || cs == "windows-1252" ||
         cs == "cp1252" || cs == "x-unknown" || cs == "unknown-8bit" || cs == "unknown" ||
         cs == "default" || cs == "default_charset" || cs == "x-user-defined";
}

bool IsUtf8Name(const std::string& cs) { return cs == "utf-8" || cs == "utf8"; }

}  // namespace

uint32_t Windows1252ToCodePoint(unsigned char byte) {
  if (byte >= 0x80 && byte < 0xA0 && kCp1252High[byte - 0x80] != 0) return kCp1252High[byte - 0x80];
  return byte;
}

std::string Windows1252ToUtf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 4);
  for (char c : bytes) {
    auto b = static_cast<unsigned char>(c);
    if (b < 0x80) {
      out.push_back(c);
    } else {
      AppendUtf8(&out, Windows1252ToCodePoint(b));
    }
  }
  return out;
}

bool ConvertToUtf8With(std::string_view bytes, std::string_view charset, std::string* out,
                       bool (*iconv_to_utf8)(std::string_view, const std::string&, std::string*)) {
  std::string cs = ToLowerAscii(TrimAscii(charset));
  if (cs.empty() || IsLatin1Like(cs) || IsUtf8Name(cs)) {
    if (IsValidUtf8(bytes)) {
      out->assign(bytes);
    } else if (IsUtf8Name(cs)) {
      *out = ToValidUtf8(bytes);
    } else {
      *out = Windows1252ToUtf8(bytes);
    }
    return true;
  }
  if (!iconv_to_utf8(bytes, cs, out)) {
    *out = IsValidUtf8(bytes) ? std::string(bytes) : Windows1252ToUtf8(bytes);
    return false;
  }
  if (!IsValidUtf8(*out)) *out = ToValidUtf8(*out);
  return true;
}

}  // namespace custodian::mime
