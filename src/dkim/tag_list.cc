#include "dkim/tag_list.h"

#include <array>
#include <cstdint>

namespace custodian::dkim {
namespace {

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
// VALCHAR = %x21-3A / %x3C-7E: printable ASCII except ";".
bool IsValChar(char c) { return c >= 0x21 && c <= 0x7e && c != ';'; }

std::string Describe(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u >= 0x21 && u <= 0x7e) return std::string("'") + c + "'";
  static const char kHex[] = "0123456789abcdef";
  return std::string("byte 0x") + kHex[u >> 4] + kHex[u & 15];
}

Status Error(size_t pos, const std::string& what) {
  return Status::InvalidArgument("tag list: " + what + " at offset " + std::to_string(pos));
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

Result<TagList> TagList::Parse(std::string_view text) {
  if (text.size() > kMaxTagListBytes) {
    return Status::LimitExceeded("tag list: longer than " + std::to_string(kMaxTagListBytes) +
                                 " bytes");
  }
  TagList list;
  size_t pos = 0;
  const size_t n = text.size();
  while (true) {
    while (pos < n && IsFws(text[pos])) pos++;
    if (pos == n) {
      if (list.tags_.empty()) return Error(pos, "no tags");
      break;  // a trailing ";" is allowed
    }
    size_t name_begin = pos;
    if (!IsAlpha(text[pos])) return Error(pos, "expected a tag name, found " + Describe(text[pos]));
    while (pos < n && (IsAlpha(text[pos]) || IsDigit(text[pos]) || text[pos] == '_')) pos++;
    std::string_view name = text.substr(name_begin, pos - name_begin);
    if (name.size() > kMaxTagNameBytes) return Error(name_begin, "tag name too long");
    while (pos < n && IsFws(text[pos])) pos++;
    if (pos == n || text[pos] != '=') {
      return Error(pos, "tag '" + std::string(name) + "' has no '='");
    }
    pos++;
    Tag tag;
    tag.name = name;
    tag.value_begin = pos;
    while (pos < n && IsFws(text[pos])) pos++;
    size_t value_start = pos, value_stop = pos;
    while (pos < n && text[pos] != ';') {
      char c = text[pos];
      if (IsValChar(c)) {
        value_stop = pos + 1;
      } else if (!IsFws(c)) {
        return Error(pos, "tag '" + std::string(name) + "' contains " + Describe(c));
      }
      pos++;
    }
    tag.value = text.substr(value_start, value_stop - value_start);
    tag.value_end = pos;
    if (tag.value.size() > kMaxTagValueBytes) {
      return Status::LimitExceeded("tag list: value of '" + std::string(name) + "' longer than " +
                                   std::to_string(kMaxTagValueBytes) + " bytes");
    }
    if (list.Find(name) != nullptr) {
      return Error(name_begin, "duplicate tag '" + std::string(name) + "'");
    }
    if (list.tags_.size() == kMaxTags) {
      return Status::LimitExceeded("tag list: more than " + std::to_string(kMaxTags) + " tags");
    }
    list.tags_.push_back(tag);
    if (pos == n) break;
    pos++;  // ';'
  }
  return list;
}

const Tag* TagList::Find(std::string_view name) const {
  for (const Tag& t : tags_) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

std::optional<std::string> DecodeBase64(std::string_view text) {
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0, digits = 0, padding = 0;
  for (char c : text) {
    if (IsFws(c)) continue;
    if (c == '=') {
      padding++;
      continue;
    }
    int v = Base64Value(c);
    if (v < 0 || padding > 0) return std::nullopt;  // bad character, or data after padding
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    digits++;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(char((acc >> bits) & 0xff));
    }
  }
  int rest = digits % 4;
  if (rest == 1) return std::nullopt;  // a lone sextet cannot encode a byte
  if (padding > 0 && padding != (4 - rest) % 4) return std::nullopt;
  if (padding > 0 && rest == 0) return std::nullopt;
  return out;
}

std::string EncodeBase64(std::string_view bytes) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(kAlphabet[(v >> s) & 63]);
  }
  if (size_t rest = bytes.size() - i; rest > 0) {
    uint32_t v = uint8_t(bytes[i]) << 16;
    if (rest == 2) v |= uint8_t(bytes[i + 1]) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(rest == 2 ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::optional<std::string> DecodeDkimQuotedPrintable(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); i++) {
    char c = text[i];
    if (IsFws(c)) continue;
    if (c == '=') {
      if (i + 2 >= text.size()) return std::nullopt;
      int hi = HexValue(text[i + 1]), lo = HexValue(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(char(hi * 16 + lo));
      i += 2;
    } else if (IsValChar(c)) {
      out.push_back(c);
    } else {
      return std::nullopt;
    }
  }
  return out;
}

std::vector<std::string_view> SplitColonList(std::string_view value) {
  std::vector<std::string_view> items;
  size_t start = 0;
  while (true) {
    size_t colon = value.find(':', start);
    std::string_view item = value.substr(
        start, colon == std::string_view::npos ? std::string_view::npos : colon - start);
    while (!item.empty() && IsFws(item.front())) item.remove_prefix(1);
    while (!item.empty() && IsFws(item.back())) item.remove_suffix(1);
    items.push_back(item);
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  return items;
}

bool IsValidDomainName(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  size_t label = 0;
  for (size_t i = 0; i <= name.size(); i++) {
    if (i == name.size() || name[i] == '.') {
      if (label == 0 || label > 63) return false;
      label = 0;
      continue;
    }
    char c = name[i];
    if (!IsAlpha(c) && !IsDigit(c) && c != '-' && c != '_') return false;
    label++;
  }
  return true;
}

}  // namespace custodian::dkim
