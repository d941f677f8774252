// Flags: from mbox status headers and from Maildir file names.
#include <string>
#include <string_view>

#include "mailbox/internal.h"
#include "mailbox/mailbox.h"
#include "util/text.h"

namespace custodian::mailbox {
namespace {

constexpr std::string_view kFlagLetters = "DFPRST";

// One bit per letter of kFlagLetters.
class FlagSet {
 public:
  void Add(char c) {
    const size_t i = kFlagLetters.find(c);
    if (i != std::string_view::npos) bits_ |= 1u << i;
  }
  bool Has(char c) const { return bits_ & (1u << kFlagLetters.find(c)); }
  std::string Letters() const {
    std::string s;
    for (size_t i = 0; i < kFlagLetters.size(); ++i)
      if (bits_ & (1u << i)) s.push_back(kFlagLetters[i]);
    return s;
  }

 private:
  unsigned bits_ = 0;
};

char Upper(char c) { return c >= 'a' && c <= 'z' ? char(c - 'a' + 'A') : c; }

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = Upper(c);
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

HeaderFlags FlagsFromHeaders(std::string_view message) {
  FlagSet flags;
  internal::ForEachHeader(message, [&](std::string_view name, std::string_view value) {
    if (EqualsIgnoreCaseAscii(name, "Status")) {
      for (char c : value) {
        switch (Upper(c)) {
          case 'R':
            flags.Add('S');
            break;
          case 'D':
            flags.Add('T');
            break;
          default:
            break;  // O (old, not new) has no Maildir flag
        }
      }
    } else if (EqualsIgnoreCaseAscii(name, "X-Status")) {
      for (char c : value) {
        switch (Upper(c)) {
          case 'A':
            flags.Add('R');
            break;
          case 'F':
            flags.Add('F');
            break;
          case 'T':
            flags.Add('D');
            break;
          case 'D':
            flags.Add('T');
            break;
          default:
            break;
        }
      }
    } else if (EqualsIgnoreCaseAscii(name, "X-Mozilla-Status")) {
      // Leading hex digits of the trimmed value; anything else is junk and ignored.
      std::string_view v = TrimAscii(value);
      if (v.starts_with("0x") || v.starts_with("0X")) v.remove_prefix(2);
      uint32_t bits = 0;
      size_t digits = 0;
      while (digits < v.size() && digits < 8 && HexDigit(v[digits]) >= 0)
        bits = bits << 4 | uint32_t(HexDigit(v[digits++]));
      if (digits == 0) return;
      if (bits & 0x0001) flags.Add('S');
      if (bits & 0x0002) flags.Add('R');
      if (bits & 0x0004) flags.Add('F');
      if (bits & 0x0008) flags.Add('T');
      if (bits & 0x1000) flags.Add('P');
    }
  });
  return HeaderFlags{flags.Letters(), flags.Has('T')};
}

namespace internal {

std::string NormalizeFlags(std::string_view letters) {
  FlagSet flags;
  for (char c : letters) flags.Add(c);
  return flags.Letters();
}

std::string FlagsFromMaildirName(std::string_view name) {
  const size_t info = name.rfind(":2,");
  if (info == std::string_view::npos) return "";
  return NormalizeFlags(name.substr(info + 3));
}

}  // namespace internal
}  // namespace custodian::mailbox
