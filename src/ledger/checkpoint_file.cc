#include "ledger/checkpoint_file.h"

#include <cstdint>
#include <optional>

#include "ledger/checkpoint.h"
#include "util/text.h"

namespace custodian::ledger {
namespace {

void SkipSpace(std::string_view s, size_t* i) {
  while (*i < s.size() && (s[*i] == ' ' || s[*i] == '\t' || s[*i] == '\n' || s[*i] == '\r')) ++*i;
}

Result<uint32_t> Hex4(std::string_view s, size_t at) {
  if (at + 4 > s.size()) return Status::InvalidArgument("truncated \\u escape");
  uint32_t v = 0;
  for (size_t k = at; k < at + 4; k++) {
    char c = s[k];
    int d = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : -1;
    if (d < 0) return Status::InvalidArgument("bad \\u escape");
    v = v << 4 | uint32_t(d);
  }
  return v;
}

// A JSON string starting at s[*i] == '"'; advances past its closing quote.
Result<std::string> ParseString(std::string_view s, size_t* i) {
  if (*i >= s.size() || s[*i] != '"') return Status::InvalidArgument("expected a JSON string");
  std::string out;
  for (size_t k = *i + 1; k < s.size(); k++) {
    char c = s[k];
    if (c == '"') {
      *i = k + 1;
      return out;
    }
    if (uint8_t(c) < 0x20) return Status::InvalidArgument("control character in a JSON string");
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (++k >= s.size()) break;
    switch (s[k]) {
      case '"':
        out.push_back('"');
        break;
      case '\\':
        out.push_back('\\');
        break;
      case '/':
        out.push_back('/');
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'u': {
        CUSTODIAN_ASSIGN_OR_RETURN(uint32_t cp, Hex4(s, k + 1));
        k += 4;
        if (cp >= 0xD800 && cp < 0xDC00) {  // a surrogate pair
          if (k + 2 >= s.size() || s[k + 1] != '\\' || s[k + 2] != 'u')
            return Status::InvalidArgument("unpaired surrogate in a JSON string");
          CUSTODIAN_ASSIGN_OR_RETURN(uint32_t lo, Hex4(s, k + 3));
          if (lo < 0xDC00 || lo >= 0xE000)
            return Status::InvalidArgument("unpaired surrogate in a JSON string");
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          k += 6;
        } else if (cp >= 0xDC00 && cp < 0xE000) {
          return Status::InvalidArgument("unpaired surrogate in a JSON string");
        }
        AppendUtf8(&out, cp);
        break;
      }
      default:
        return Status::InvalidArgument("bad escape in a JSON string");
    }
  }
  return Status::InvalidArgument("unterminated JSON string");
}

// Skips one JSON value of a flat object (string, number, true/false/null). Nested values are
// not part of what `checkpoint --json` writes and are refused.
Status SkipValue(std::string_view s, size_t* i) {
  if (*i < s.size() && s[*i] == '"') return ParseString(s, i).status();
  size_t start = *i;
  while (*i < s.size() && s[*i] != ',' && s[*i] != '}' && s[*i] != ' ' && s[*i] != '\n' &&
         s[*i] != '\t' && s[*i] != '\r') {
    char c = s[*i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '-' || c == '+' || c == '.' ||
          c == 'E'))
      return Status::InvalidArgument("unexpected character in the checkpoint JSON at byte " +
                                     std::to_string(*i));
    ++*i;
  }
  if (*i == start)
    return Status::InvalidArgument("missing value in the checkpoint JSON at byte " +
                                   std::to_string(*i));
  return Status::Ok();
}

}  // namespace

Result<std::string> ReadCheckpointFile(std::string_view s) {
  if (s.size() > kMaxCheckpointFileBytes)
    return Status::LimitExceeded("checkpoint file of " + std::to_string(s.size()) +
                                 " bytes, over the limit of " +
                                 std::to_string(kMaxCheckpointFileBytes));
  size_t i = 0;
  SkipSpace(s, &i);
  if (i >= s.size()) return Status::InvalidArgument("the checkpoint file is empty");
  if (s[i] != '{') {
    if (s.size() > kMaxNoteBytes)
      return Status::LimitExceeded("the checkpoint note is over 128 KiB");
    return std::string(s);  // the note itself
  }
  std::optional<std::string> note;
  ++i;
  SkipSpace(s, &i);
  if (i < s.size() && s[i] == '}')
    return Status::InvalidArgument("the checkpoint JSON has no \"note\"");
  for (int members = 0;; members++) {
    if (members > 64) return Status::LimitExceeded("the checkpoint JSON has over 64 members");
    SkipSpace(s, &i);
    CUSTODIAN_ASSIGN_OR_RETURN(std::string key, ParseString(s, &i));
    SkipSpace(s, &i);
    if (i >= s.size() || s[i] != ':')
      return Status::InvalidArgument("expected ':' in the checkpoint JSON");
    ++i;
    SkipSpace(s, &i);
    if (key == "note") {
      if (note) return Status::InvalidArgument("the checkpoint JSON has two \"note\" members");
      CUSTODIAN_ASSIGN_OR_RETURN(note, ParseString(s, &i));
    } else {
      CUSTODIAN_RETURN_IF_ERROR(SkipValue(s, &i));
    }
    SkipSpace(s, &i);
    if (i < s.size() && s[i] == ',') {
      ++i;
      continue;
    }
    if (i < s.size() && s[i] == '}') {
      ++i;
      break;
    }
    return Status::InvalidArgument("expected ',' or '}' in the checkpoint JSON at byte " +
                                   std::to_string(i));
  }
  SkipSpace(s, &i);
  if (i != s.size()) return Status::InvalidArgument("bytes follow the checkpoint JSON object");
  if (!note) return Status::InvalidArgument("the checkpoint JSON has no \"note\"");
  if (note->size() > kMaxNoteBytes)
    return Status::LimitExceeded("the checkpoint note is over 128 KiB");
  return *note;
}

}  // namespace custodian::ledger
