#include "extract/xml.h"

#include <cstdint>

#include "util/text.h"

namespace custodian::extract {
namespace {

bool IsXmlSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Decodes the reference `ref` (the text between '&' and ';'); false if it is not one we know.
bool AppendReference(std::string_view ref, std::string* out) {
  if (ref == "lt") return out->push_back('<'), true;
  if (ref == "gt") return out->push_back('>'), true;
  if (ref == "amp") return out->push_back('&'), true;
  if (ref == "quot") return out->push_back('"'), true;
  if (ref == "apos") return out->push_back('\''), true;
  if (ref.size() < 2 || ref[0] != '#') return false;
  bool hex = ref[1] == 'x' || ref[1] == 'X';
  std::string_view digits = ref.substr(hex ? 2 : 1);
  if (digits.empty()) return false;
  uint32_t cp = 0;
  for (char c : digits) {
    int d = c >= '0' && c <= '9'          ? c - '0'
            : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
            : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10
                                          : -1;
    if (d < 0) return false;
    cp = cp * (hex ? 16 : 10) + d;
    if (cp > 0x10FFFF) cp = 0xFFFD;  // saturate instead of overflowing on long digit strings
  }
  AppendUtf8(out, cp == 0 ? 0xFFFD : cp);
  return true;
}

}  // namespace

void DecodeXmlText(std::string_view raw, std::string* out) {
  size_t i = 0;
  while (i < raw.size()) {
    size_t amp = raw.find('&', i);
    if (amp == std::string_view::npos) amp = raw.size();
    out->append(raw.substr(i, amp - i));
    if (amp == raw.size()) break;
    // References are short; bounding the search for ';' keeps the scan linear.
    size_t semi = raw.substr(amp, 12).find(';');
    if (semi != std::string_view::npos && AppendReference(raw.substr(amp + 1, semi - 1), out)) {
      i = amp + semi + 1;
    } else {
      out->push_back('&');
      i = amp + 1;
    }
  }
}

std::string_view LocalName(std::string_view qualified_name) {
  size_t colon = qualified_name.rfind(':');
  return colon == std::string_view::npos ? qualified_name : qualified_name.substr(colon + 1);
}

std::string XmlAttribute(std::string_view attributes, std::string_view name) {
  size_t i = 0, n = attributes.size();
  while (i < n) {
    while (i < n && IsXmlSpace(attributes[i])) i++;
    size_t name_start = i;
    while (i < n && attributes[i] != '=' && !IsXmlSpace(attributes[i])) i++;
    std::string_view attr = attributes.substr(name_start, i - name_start);
    while (i < n && IsXmlSpace(attributes[i])) i++;
    if (i >= n || attributes[i] != '=') {
      if (i == name_start) i++;  // stray character: step over it
      continue;
    }
    i++;
    while (i < n && IsXmlSpace(attributes[i])) i++;
    if (i >= n || (attributes[i] != '"' && attributes[i] != '\'')) continue;
    char quote = attributes[i++];
    size_t end = attributes.find(quote, i);
    if (end == std::string_view::npos) end = n;
    if (attr == name) {
      std::string value;
      DecodeXmlText(attributes.substr(i, end - i), &value);
      return value;
    }
    i = end + 1;
  }
  return {};
}

void ScanXml(std::string_view xml, XmlHandler* handler) {
  const size_t n = xml.size();
  constexpr auto npos = std::string_view::npos;
  std::string text;
  size_t i = 0;
  while (i < n && !handler->Done()) {
    size_t lt = xml.find('<', i);
    if (lt == npos) lt = n;
    if (lt > i) {
      text.clear();
      DecodeXmlText(xml.substr(i, lt - i), &text);
      handler->Text(text);
    }
    if (lt >= n) break;
    std::string_view rest = xml.substr(lt);
    if (StartsWith(rest, "<!--")) {
      size_t end = xml.find("-->", lt + 4);
      i = end == npos ? n : end + 3;
    } else if (StartsWith(rest, "<![CDATA[")) {
      size_t end = xml.find("]]>", lt + 9);
      handler->Text(xml.substr(lt + 9, (end == npos ? n : end) - (lt + 9)));
      i = end == npos ? n : end + 3;
    } else if (StartsWith(rest, "<?")) {
      size_t end = xml.find("?>", lt + 2);
      i = end == npos ? n : end + 2;
    } else if (StartsWith(rest, "<!")) {
      // A DOCTYPE, skipped whole with any internal subset: its entities are never expanded.
      size_t j = lt + 2;
      int brackets = 0;
      for (; j < n; j++) {
        if (xml[j] == '[') brackets++;
        if (xml[j] == ']') brackets--;
        if (xml[j] == '>' && brackets <= 0) break;
      }
      i = j + 1;
    } else {
      size_t j = lt + 1;
      char quote = 0;
      for (; j < n; j++) {
        char c = xml[j];
        if (quote != 0) {
          if (c == quote) quote = 0;
        } else if (c == '"' || c == '\'') {
          quote = c;
        } else if (c == '>') {
          break;
        }
      }
      if (j >= n) break;  // an unterminated tag ends the document
      std::string_view body = xml.substr(lt + 1, j - lt - 1);
      i = j + 1;
      if (StartsWith(body, "/")) {
        handler->EndTag(TrimAscii(body.substr(1)));
        continue;
      }
      bool self_closing = !body.empty() && body.back() == '/';
      if (self_closing) body.remove_suffix(1);
      size_t name_end = 0;
      while (name_end < body.size() && !IsXmlSpace(body[name_end])) name_end++;
      if (name_end == 0) continue;
      handler->StartTag(body.substr(0, name_end), body.substr(name_end), self_closing);
    }
  }
}

}  // namespace custodian::extract
