// HtmlToText: a single forward pass over the input. Every search for a closing construct
// (comment end, </script>, a closing quote) is memoised so that a document full of unclosed
// constructs stays linear instead of rescanning the tail once per construct.

#include <cstdint>
#include <string>
#include <string_view>

#include "mime/charset.h"
#include "mime/message.h"
#include "util/text.h"

namespace custodian::mime {
namespace {

struct NamedEntity {
  std::string_view name;
  uint32_t code_point;
};

constexpr NamedEntity kEntities[] = {
    {"amp", '&'},       {"lt", '<'},        {"gt", '>'},        {"quot", '"'},
    {"apos", '\''},     {"nbsp", ' '},      {"copy", 0xA9},     {"reg", 0xAE},
    {"trade", 0x2122},  {"hellip", 0x2026}, {"mdash", 0x2014},  {"ndash", 0x2013},
    {"lsquo", 0x2018},  {"rsquo", 0x2019},  {"sbquo", 0x201A},  {"ldquo", 0x201C},
    {"rdquo", 0x201D},  {"bdquo", 0x201E},  {"laquo", 0xAB},    {"raquo", 0xBB},
    {"euro", 0x20AC},   {"pound", 0xA3},    {"yen", 0xA5},      {"cent", 0xA2},
    {"sect", 0xA7},     {"para", 0xB6},     {"middot", 0xB7},   {"bull", 0x2022},
    {"deg", 0xB0},      {"plusmn", 0xB1},   {"times", 0xD7},    {"divide", 0xF7},
    {"frac12", 0xBD},   {"frac14", 0xBC},   {"frac34", 0xBE},   {"shy", 0xAD},
    {"iexcl", 0xA1},    {"iquest", 0xBF},   {"dagger", 0x2020}, {"Dagger", 0x2021},
    {"permil", 0x2030}, {"prime", 0x2032},  {"larr", 0x2190},   {"rarr", 0x2192},
    {"uarr", 0x2191},   {"darr", 0x2193},   {"ensp", ' '},      {"emsp", ' '},
    {"thinsp", ' '},    {"zwnj", 0x200C},   {"zwj", 0x200D},    {"szlig", 0xDF},
    {"auml", 0xE4},     {"ouml", 0xF6},     {"uuml", 0xFC},     {"Auml", 0xC4},
    {"Ouml", 0xD6},     {"Uuml", 0xDC},     {"eacute", 0xE9},   {"egrave", 0xE8},
    {"ecirc", 0xEA},    {"euml", 0xEB},     {"Eacute", 0xC9},   {"aacute", 0xE1},
    {"agrave", 0xE0},   {"acirc", 0xE2},    {"atilde", 0xE3},   {"aring", 0xE5},
    {"aelig", 0xE6},    {"ccedil", 0xE7},   {"Ccedil", 0xC7},   {"iacute", 0xED},
    {"igrave", 0xEC},   {"icirc", 0xEE},    {"iuml", 0xEF},     {"ntilde", 0xF1},
    {"Ntilde", 0xD1},   {"oacute", 0xF3},   {"ograve", 0xF2},   {"ocirc", 0xF4},
    {"otilde", 0xF5},   {"oslash", 0xF8},   {"uacute", 0xFA},   {"ugrave", 0xF9},
    {"ucirc", 0xFB},    {"yacute", 0xFD},   {"yuml", 0xFF},     {"Aacute", 0xC1},
    {"Agrave", 0xC0},   {"Oacute", 0xD3},   {"Uacute", 0xDA},   {"Oslash", 0xD8},
    {"Aring", 0xC5},    {"AElig", 0xC6},    {"alpha", 0x3B1},   {"beta", 0x3B2},
    {"gamma", 0x3B3},   {"delta", 0x3B4},   {"pi", 0x3C0},      {"mu", 0x3BC},
    {"micro", 0xB5},    {"ordf", 0xAA},     {"ordm", 0xBA},     {"sup2", 0xB2},
    {"sup3", 0xB3},     {"not", 0xAC},      {"macr", 0xAF},     {"acute", 0xB4},
    {"cedil", 0xB8},    {"curren", 0xA4},   {"brvbar", 0xA6},   {"uml", 0xA8},
    {"sup1", 0xB9},     {"infin", 0x221E},  {"ne", 0x2260},     {"le", 0x2264},
    {"ge", 0x2265},     {"minus", 0x2212},  {"lsaquo", 0x2039}, {"rsaquo", 0x203A},
    {"oelig", 0x153},   {"OElig", 0x152},   {"scaron", 0x161},  {"Scaron", 0x160},
    {"circ", 0x2C6},    {"tilde", 0x2DC},   {"spades", 0x2660}, {"hearts", 0x2665},
};

// Entities that old HTML (and much HTML mail) writes without the closing semicolon.
bool AllowsNoSemicolon(std::string_view name) {
  return name == "amp" || name == "lt" || name == "gt" || name == "quot" || name == "nbsp" ||
         name == "copy" || name == "reg";
}

bool IsAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHtmlSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
char LowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Case-insensitive search for a lower-case ASCII needle, memoised across calls with
// non-decreasing start positions.
class Finder {
 public:
  Finder(std::string_view hay, std::string_view needle) : hay_(hay), needle_(needle) {}

  size_t Find(size_t from) {
    if (searched_ && from >= from_ && (result_ == std::string_view::npos || result_ >= from))
      return result_;
    searched_ = true;
    from_ = from;
    result_ = std::string_view::npos;
    const char first = needle_[0];
    for (size_t i = from; i + needle_.size() <= hay_.size(); i++) {
      if (LowerAscii(hay_[i]) != first) continue;
      size_t k = 1;
      while (k < needle_.size() && LowerAscii(hay_[i + k]) == needle_[k]) k++;
      if (k == needle_.size()) {
        result_ = i;
        break;
      }
    }
    return result_;
  }

 private:
  std::string_view hay_, needle_;
  bool searched_ = false;
  size_t from_ = 0;
  size_t result_ = std::string_view::npos;
};

// Memoised search for one byte.
class CharFinder {
 public:
  CharFinder(std::string_view hay, char c) : hay_(hay), c_(c) {}
  size_t Find(size_t from) {
    if (searched_ && from >= from_ && (result_ == std::string_view::npos || result_ >= from))
      return result_;
    searched_ = true;
    from_ = from;
    result_ = hay_.find(c_, from);
    return result_;
  }

 private:
  std::string_view hay_;
  char c_;
  bool searched_ = false;
  size_t from_ = 0;
  size_t result_ = std::string_view::npos;
};

class Converter {
 public:
  explicit Converter(std::string_view html)
      : in_(html),
        comment_end_(html, "-->"),
        script_end_(html, "</script"),
        style_end_(html, "</style"),
        head_end_(html, "</head"),
        title_end_(html, "</title"),
        body_start_(html, "<body"),
        gt_(html, '>'),
        dquote_(html, '"'),
        squote_(html, '\'') {}

  std::string Run() {
    out_.reserve(in_.size() / 2);
    while (pos_ < in_.size()) {
      char c = in_[pos_];
      if (c == '<') {
        Tag();
      } else if (c == '&') {
        Entity();
      } else if (IsHtmlSpace(c)) {
        Space(c);
        pos_++;
      } else {
        Char(c);
        pos_++;
      }
    }
    FinishLink();
    while (!out_.empty() && (out_.back() == ' ' || out_.back() == '\n')) out_.pop_back();
    return IsValidUtf8(out_) ? std::move(out_) : ToValidUtf8(out_);
  }

 private:
  // Whitespace in <pre> is kept; elsewhere runs collapse to one space.
  void Space(char c) {
    if (pre_depth_ > 0) {
      if (c == '\n') {
        FlushPending();
        out_.push_back('\n');
      } else if (c != '\r') {
        Char(' ');
      }
      return;
    }
    pending_space_ = true;
  }

  void FlushPending() {
    if (pending_newlines_ > 0) {
      if (!out_.empty()) {
        size_t have = 0;
        for (size_t i = out_.size(); i > 0 && out_[i - 1] == '\n' && have < 2; i--) have++;
        for (int k = static_cast<int>(have); k < pending_newlines_; k++) out_.push_back('\n');
      }
      pending_newlines_ = 0;
      pending_space_ = false;
    } else if (pending_space_) {
      if (!out_.empty() && out_.back() != '\n' && out_.back() != ' ') out_.push_back(' ');
      pending_space_ = false;
    }
  }

  void Char(char c) {
    FlushPending();
    out_.push_back(c);
  }

  void CodePoint(uint32_t cp) {
    if (cp == ' ') {
      Space(' ');
      return;
    }
    FlushPending();
    AppendUtf8(&out_, cp);
  }

  void LineBreak(int newlines) {
    if (newlines > pending_newlines_) pending_newlines_ = newlines;
  }

  // "<br>" always breaks, even on an empty line, so two of them make a blank line.
  void HardBreak() {
    FlushPending();
    out_.push_back('\n');
    pending_space_ = false;
  }

  void Entity() {
    size_t p = pos_ + 1;
    if (p < in_.size() && in_[p] == '#') {
      p++;
      bool hex = p < in_.size() && (in_[p] == 'x' || in_[p] == 'X');
      if (hex) p++;
      size_t digits_start = p;
      uint32_t value = 0;
      while (p < in_.size()) {
        char d = in_[p];
        int v;
        if (IsAsciiDigit(d)) {
          v = d - '0';
        } else if (hex && LowerAscii(d) >= 'a' && LowerAscii(d) <= 'f') {
          v = LowerAscii(d) - 'a' + 10;
        } else {
          break;
        }
        if (value <= 0x10FFFF) value = value * (hex ? 16 : 10) + static_cast<uint32_t>(v);
        p++;
      }
      if (p == digits_start) {
        Char('&');
        pos_++;
        return;
      }
      if (p < in_.size() && in_[p] == ';') p++;
      if (value == 0) value = 0xFFFD;
      if (value >= 0x80 && value < 0xA0)
        value = Windows1252ToCodePoint(static_cast<uint8_t>(value));
      CodePoint(value);
      pos_ = p;
      return;
    }
    size_t name_end = p;
    while (name_end < in_.size() && name_end - p < 10 &&
           (IsAsciiAlpha(in_[name_end]) || IsAsciiDigit(in_[name_end])))
      name_end++;
    std::string_view name = in_.substr(p, name_end - p);
    bool semicolon = name_end < in_.size() && in_[name_end] == ';';
    for (const NamedEntity& e : kEntities) {
      if (e.name == name && (semicolon || AllowsNoSemicolon(name))) {
        CodePoint(e.code_point);
        pos_ = name_end + (semicolon ? 1 : 0);
        return;
      }
    }
    Char('&');
    pos_++;
  }

  // Skips to just past `end` (or to the end of input when it never comes).
  void SkipPast(size_t found, size_t len) {
    pos_ = found == std::string_view::npos ? in_.size() : found + len;
  }

  void Tag() {
    size_t p = pos_ + 1;
    if (p >= in_.size()) {
      Char('<');
      pos_++;
      return;
    }
    if (in_.compare(p, 3, "!--") == 0) {
      SkipPast(comment_end_.Find(p + 3), 3);
      return;
    }
    bool closing = in_[p] == '/';
    if (closing) p++;
    if (!closing && (in_[p] == '!' || in_[p] == '?')) {  // doctype, processing instruction
      SkipPast(gt_.Find(p), 1);
      return;
    }
    if (p >= in_.size() || !IsAsciiAlpha(in_[p])) {  // a lone "<" in text
      Char('<');
      pos_++;
      return;
    }
    std::string name;
    while (p < in_.size() && (IsAsciiAlpha(in_[p]) || IsAsciiDigit(in_[p]))) {
      if (name.size() < 16) name.push_back(LowerAscii(in_[p]));
      p++;
    }
    std::string href;
    p = Attributes(p, name == "a" && !closing ? &href : nullptr);
    pos_ = p;
    Apply(name, closing, std::move(href));
  }

  // Scans attributes up to and past the closing '>', honouring quotes; returns the new position.
  size_t Attributes(size_t p, std::string* href) {
    while (p < in_.size()) {
      char c = in_[p];
      if (c == '>') return p + 1;
      if (IsHtmlSpace(c) || c == '/') {
        p++;
        continue;
      }
      size_t name_start = p;
      while (p < in_.size() && !IsHtmlSpace(in_[p]) && in_[p] != '=' && in_[p] != '>') p++;
      std::string_view attr = in_.substr(name_start, p - name_start);
      while (p < in_.size() && IsHtmlSpace(in_[p])) p++;
      if (p >= in_.size() || in_[p] != '=') continue;
      p++;
      while (p < in_.size() && IsHtmlSpace(in_[p])) p++;
      if (p >= in_.size()) break;
      size_t value_start, value_end;
      char q = in_[p];
      size_t close = std::string_view::npos;
      if (q == '"') close = dquote_.Find(p + 1);
      if (q == '\'') close = squote_.Find(p + 1);
      if (close != std::string_view::npos) {
        value_start = p + 1;
        value_end = close;
        p = close + 1;
      } else {  // unquoted, or a quote that never closes: the value ends at space or '>'
        value_start = p;
        while (p < in_.size() && !IsHtmlSpace(in_[p]) && in_[p] != '>') p++;
        value_end = p;
      }
      if (href != nullptr && attr.size() == 4 && EqualsIgnoreCaseAscii(attr, "href"))
        *href = DecodeAttribute(in_.substr(value_start, value_end - value_start));
    }
    return in_.size();
  }

  // Attribute values only need the entities that appear in URLs.
  static std::string DecodeAttribute(std::string_view v) {
    std::string r;
    for (size_t i = 0; i < v.size(); i++) {
      if (v[i] == '&' && v.compare(i, 5, "&amp;") == 0) {
        r.push_back('&');
        i += 4;
      } else if (!IsHtmlSpace(v[i])) {
        r.push_back(v[i]);
      }
    }
    return r;
  }

  void Apply(const std::string& name, bool closing, std::string href) {
    if (!closing) {
      if (name == "script") return SkipPast(script_end_.Find(pos_), 0);
      if (name == "style") return SkipPast(style_end_.Find(pos_), 0);
      if (name == "title") return SkipPast(title_end_.Find(pos_), 0);
      if (name == "head") {
        // Broken mail often never closes <head>; then <body> is where content resumes.
        size_t end = head_end_.Find(pos_);
        if (end == std::string_view::npos) end = body_start_.Find(pos_);
        if (end != std::string_view::npos) pos_ = end;
        return;
      }
    }
    if (name == "br") return HardBreak();
    if (name == "p" || name == "blockquote" || name == "table" || name == "ul" || name == "ol" ||
        name == "dl" || name == "hr" || name == "pre" || name == "center" ||
        (name.size() == 2 && name[0] == 'h' && name[1] >= '1' && name[1] <= '6')) {
      LineBreak(2);
    } else if (name == "div" || name == "li" || name == "tr" || name == "dt" || name == "dd" ||
               name == "section" || name == "article" || name == "header" || name == "footer" ||
               name == "form" || name == "address" || name == "body") {
      LineBreak(1);
    } else if (name == "td" || name == "th") {
      pending_space_ = true;
    }
    if (name == "li" && !closing) {
      FlushPending();
      out_.append("- ");
    }
    if (name == "pre") pre_depth_ += closing ? (pre_depth_ > 0 ? -1 : 0) : 1;
    if (name == "a") {
      FinishLink();
      if (!closing && !href.empty()) {
        FlushPending();
        link_href_ = std::move(href);
        link_start_ = out_.size();
        in_link_ = true;
      }
    }
  }

  // Appends " <url>" after the link text unless the text already says it.
  void FinishLink() {
    if (!in_link_) return;
    in_link_ = false;
    std::string_view text = TrimAscii(std::string_view(out_).substr(link_start_));
    std::string_view url = link_href_;
    if (url.empty() || url[0] == '#' || StartsWith(ToLowerAscii(url.substr(0, 11)), "javascript:"))
      return;
    std::string_view bare = url;
    if (StartsWith(ToLowerAscii(url.substr(0, 7)), "mailto:")) bare = url.substr(7);
    if (text == url || text == bare) return;
    FlushPending();
    if (!text.empty()) out_.push_back(' ');
    out_.push_back('<');
    out_.append(url);
    out_.push_back('>');
  }

  std::string_view in_;
  size_t pos_ = 0;
  std::string out_;
  bool pending_space_ = false;
  int pending_newlines_ = 0;
  int pre_depth_ = 0;
  bool in_link_ = false;
  size_t link_start_ = 0;
  std::string link_href_;
  Finder comment_end_, script_end_, style_end_, head_end_, title_end_, body_start_;
  CharFinder gt_, dquote_, squote_;
};

}  // namespace

std::string HtmlToText(std::string_view html) { return Converter(html).Run(); }

}  // namespace custodian::mime
