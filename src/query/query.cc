// The query language parser (docs/search.md). A lexer cuts the query into tokens (a field's value,
// a quoted string and a regex are each lexed whole, so `re:/a b)/` needs no special parsing), then
// recursive descent over the tokens with the nesting depth bounded, then a pass that gives every
// negation a positive sibling so the index never has to complement against nothing.
#include "query/query.h"

#include <cctype>

#include <re2/re2.h>

#include <algorithm>
#include <ctime>
#include <span>
#include <string>
#include <utility>

#include "util/text.h"

namespace custodian::query {
namespace {

using Kind = Node::Kind;

constexpr size_t kMaxQueryBytes = 64 * 1024;
constexpr int kMaxDepth = 100;
constexpr size_t kMaxTerms = 1000;
constexpr size_t kMinSubstringBytes = 3;  // the trigram index needs at least one trigram
constexpr int64_t kMaxRelativeCount = 99999;
constexpr int64_t kSecondsPerDay = 86400;

Status ErrorAt(size_t offset, std::string_view message) {
  return Status::InvalidArgument("at position " + std::to_string(offset + 1) + ": " +
                                 std::string(message));
}

// What a field's value means.
enum class ValueKind {
  kText, kDate, kSize, kHas, kIs, kCustodian, kFolder, kId, kMsgid, kThread, kSubstring, kRegex,
  kDkim, kSignedBy,
};

struct FieldSpec {
  std::string_view name;
  ValueKind kind;
  Field field = Field::kAny;
};

constexpr FieldSpec kFields[] = {
    {"from", ValueKind::kText, Field::kFrom},
    {"to", ValueKind::kText, Field::kTo},
    {"cc", ValueKind::kText, Field::kCc},
    {"bcc", ValueKind::kText, Field::kBcc},
    {"subject", ValueKind::kText, Field::kSubject},
    {"body", ValueKind::kText, Field::kBody},
    {"attachment", ValueKind::kText, Field::kAttachment},
    {"filename", ValueKind::kText, Field::kFilename},
    {"date", ValueKind::kDate},
    {"size", ValueKind::kSize},
    {"has", ValueKind::kHas},
    {"is", ValueKind::kIs},
    {"custodian", ValueKind::kCustodian},
    {"folder", ValueKind::kFolder},
    {"id", ValueKind::kId},
    {"msgid", ValueKind::kMsgid},
    {"thread", ValueKind::kThread},
    {"text", ValueKind::kSubstring},
    {"re", ValueKind::kRegex},
    {"dkim", ValueKind::kDkim},
    {"signed-by", ValueKind::kSignedBy},
};
constexpr FieldSpec kAnyField{"", ValueKind::kText, Field::kAny};

constexpr std::string_view kHasValues[] = {"attachment"};
constexpr std::string_view kIsValues[] = {"deleted", "held", "personal", "official", "flagged"};
constexpr std::string_view kDkimValues[] = {"pass", "fail", "none", "temperror", "permerror"};

// User text quoted in an error message: one line, and short enough to read.
std::string Echo(std::string_view s, size_t max_bytes = 40) {
  std::string out;
  for (size_t i = 0; i < s.size(); i++) {
    bool starts_char = (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80;
    if (i >= max_bytes && starts_char) return out + "...";
    out += static_cast<unsigned char>(s[i]) < 0x20 || s[i] == 0x7f ? ' ' : s[i];
  }
  return out;
}

const FieldSpec* FindField(std::string_view lower_name) {
  for (const FieldSpec& f : kFields)
    if (f.name == lower_name) return &f;
  return nullptr;
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); j++) row[j] = j;
  for (size_t i = 1; i <= a.size(); i++) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); j++) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string UnknownFieldMessage(std::string_view lower_name) {
  std::string_view best;
  size_t best_distance = 3;
  // Long names are never typos of a field; skipping them keeps hostile input cheap.
  if (lower_name.size() <= 16) {
    for (const FieldSpec& f : kFields) {
      size_t d = EditDistance(lower_name, f.name);
      if (lower_name.size() >= 3 && StartsWith(f.name, lower_name)) d = 1;  // `subj` → subject
      size_t allowed = lower_name.size() <= 3 ? 1 : 2;
      if (d <= allowed && d < best_distance) {
        best = f.name;
        best_distance = d;
      }
    }
  }
  std::string message = "unknown field '" + Echo(lower_name) + "'";
  if (!best.empty()) return message + " (did you mean " + std::string(best) + "?)";
  message += "; the fields are";
  for (const FieldSpec& f : kFields) message += " " + std::string(f.name) + ":";
  return message + " (to search for text containing ':', put it in quotes)";
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool IsAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHexDigit(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f'); }
// Bytes the FTS5 unicode61 tokenizer keeps in a token: ASCII letters and digits, and (roughly)
// anything non-ASCII; the index's tokenizer makes the exact call for non-ASCII text.
bool IsWordByte(char c) {
  return IsAsciiAlpha(c) || IsDigit(c) || static_cast<unsigned char>(c) >= 0x80;
}
// Where an unquoted term or value ends.
bool EndsBare(char c) { return IsSpace(c) || c == '(' || c == ')' || c == '"'; }

// Offset of the first byte that is not part of valid UTF-8, or npos.
size_t FirstInvalidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n;
    uint32_t cp;
    if (c < 0x80) {
      i++;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 2, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 3, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 4, cp = c & 0x07;
    } else {
      return i;
    }
    if (i + n > s.size()) return i;
    for (size_t k = 1; k < n; k++) {
      auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (d & 0x3F);
    }
    bool overlong = (n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000);
    if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += n;
  }
  return std::string_view::npos;
}

struct Token {
  enum class Type { kEnd, kLParen, kRParen, kAnd, kOr, kNot, kTerm };
  Type type = Type::kEnd;
  size_t pos = 0;                    // where the token (with its field name) starts
  const FieldSpec* field = nullptr;  // `field:` written before a term or a `(`
  std::string value;                 // a term's text, unquoted and unescaped; "-" or "NOT"
  std::vector<size_t> offsets;       // query offset of each byte of `value`, for error positions
  size_t value_end = 0;              // query offset just past the value
  bool quoted = false;
  bool star = false;  // `"..."*`
  bool case_insensitive = false;  // `re:/.../i`

  size_t At(size_t i) const { return i < offsets.size() ? offsets[i] : value_end; }
};

class Lexer {
 public:
  explicit Lexer(std::string_view q) : q_(q) {}

  Result<std::vector<Token>> Run() {
    std::vector<Token> out;
    for (;;) {
      while (i_ < q_.size() && IsSpace(q_[i_])) i_++;
      Token t;
      t.pos = i_;
      if (i_ == q_.size()) {
        out.push_back(std::move(t));
        return out;
      }
      char c = q_[i_];
      if (c == '(' || c == ')') {
        t.type = c == '(' ? Token::Type::kLParen : Token::Type::kRParen;
        i_++;
      } else if (c == '-') {
        if (i_ + 1 == q_.size() || IsSpace(q_[i_ + 1]) || q_[i_ + 1] == ')')
          return ErrorAt(i_, "'-' must be followed directly by the term to exclude, like -lunch");
        t.type = Token::Type::kNot;
        t.value = "-";
        i_++;
      } else if (c == '"') {
        CUSTODIAN_RETURN_IF_ERROR(LexQuoted(t));
      } else {
        size_t name_end = i_;
        while (name_end < q_.size() && IsAsciiAlpha(q_[name_end])) name_end++;
        // A hyphenated name (signed-by:) only when it is a field: e-mail:x stays a phrase.
        if (name_end > i_ && name_end < q_.size() && q_[name_end] == '-') {
          size_t end = name_end;
          while (end < q_.size() && (IsAsciiAlpha(q_[end]) || q_[end] == '-')) end++;
          if (end < q_.size() && q_[end] == ':' && FindField(ToLowerAscii(q_.substr(i_, end - i_))) != nullptr)
            name_end = end;
        }
        if (name_end > i_ && name_end < q_.size() && q_[name_end] == ':') {
          CUSTODIAN_RETURN_IF_ERROR(LexField(name_end, t));
        } else {
          LexBare(t);
          if (t.value == "AND") t.type = Token::Type::kAnd;
          if (t.value == "OR") t.type = Token::Type::kOr;
          if (t.value == "NOT") t.type = Token::Type::kNot;
        }
      }
      out.push_back(std::move(t));
    }
  }

 private:
  void Append(Token& t, size_t at) {
    t.value.push_back(q_[at]);
    t.offsets.push_back(at);
  }

  void LexBare(Token& t) {
    t.type = Token::Type::kTerm;
    while (i_ < q_.size() && !EndsBare(q_[i_])) Append(t, i_++);
    t.value_end = i_;
  }

  // At `"`. Only `\"` and `\\` are escapes, so Windows paths and regex-like text survive.
  Status LexQuoted(Token& t) {
    size_t open = i_++;
    t.type = Token::Type::kTerm;
    t.quoted = true;
    for (;;) {
      if (i_ == q_.size()) return ErrorAt(open, "unterminated quote: missing the closing \"");
      char c = q_[i_];
      if (c == '"') break;
      if (c == '\\' && i_ + 1 < q_.size() && (q_[i_ + 1] == '"' || q_[i_ + 1] == '\\')) i_++;
      Append(t, i_++);
    }
    t.value_end = i_++;
    if (i_ < q_.size() && q_[i_] == '*') {
      t.star = true;
      i_++;
    }
    return Status::Ok();
  }

  // At `/`. `\/` is a slash inside the pattern; every other escape is left for RE2.
  Status LexRegex(Token& t) {
    size_t open = i_++;
    t.type = Token::Type::kTerm;
    for (;;) {
      if (i_ == q_.size())
        return ErrorAt(open, "unterminated regular expression: missing the closing /");
      char c = q_[i_];
      if (c == '/') break;
      if (c == '\\' && i_ + 1 < q_.size()) {
        if (q_[i_ + 1] != '/') Append(t, i_);
        i_++;
      }
      Append(t, i_++);
    }
    t.value_end = i_++;
    for (; i_ < q_.size() && IsAsciiAlpha(q_[i_]); i_++) {
      if (q_[i_] != 'i')
        return ErrorAt(i_, "unknown regular expression flag '" + std::string(1, q_[i_]) +
                               "' (the only flag is i, for case-insensitive)");
      t.case_insensitive = true;
    }
    return Status::Ok();
  }

  // At a field name; q_[name_end] is the colon.
  Status LexField(size_t name_end, Token& t) {
    std::string name = ToLowerAscii(q_.substr(i_, name_end - i_));
    t.field = FindField(name);
    if (t.field == nullptr) return ErrorAt(i_, UnknownFieldMessage(name));
    i_ = name_end + 1;
    if (i_ == q_.size() || IsSpace(q_[i_]) || q_[i_] == ')')
      return ErrorAt(i_, "empty value after " + name + ":");
    if (t.field->kind == ValueKind::kRegex) {
      if (q_[i_] != '/')
        return ErrorAt(i_, "re: takes a pattern between slashes, like re:/\\d{3}-\\d{4}/");
      return LexRegex(t);
    }
    if (q_[i_] == '(') {
      t.type = Token::Type::kLParen;
      i_++;
      return Status::Ok();
    }
    if (q_[i_] == '"') return LexQuoted(t);
    LexBare(t);
    return Status::Ok();
  }

  std::string_view q_;
  size_t i_ = 0;
};

// The letter-and-digit runs of `s`, as FTS5 tokenizes them.
std::vector<std::string> SplitWords(std::string_view s) {
  std::vector<std::string> words;
  for (size_t i = 0; i < s.size();) {
    if (!IsWordByte(s[i])) {
      i++;
      continue;
    }
    size_t j = i;
    while (j < s.size() && IsWordByte(s[j])) j++;
    words.emplace_back(s.substr(i, j - i));
    i = j;
  }
  return words;
}

std::string JoinWords(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) {
    if (!out.empty()) out += ' ';
    out += w;
  }
  return out;
}

// Calendar arithmetic in UTC (proleptic Gregorian), after Howard Hinnant's date algorithms.
bool IsLeapYear(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int64_t y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeapYear(y) ? 29 : kDays[m - 1];
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = FloorDiv(y, 400);
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, int* m, int* d) {
  z += 719468;
  const int64_t era = FloorDiv(z, 146097);
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *d = int(doy - (153 * mp + 2) / 5 + 1);
  *m = int(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

// `now` moved back by whole calendar months, the day clamped to the target month's length.
int64_t MonthsBefore(int64_t now, int64_t months) {
  int64_t days = FloorDiv(now, kSecondsPerDay);
  int64_t seconds = now - days * kSecondsPerDay;
  int64_t y;
  int m, d;
  CivilFromDays(days, &y, &m, &d);
  int64_t total = y * 12 + (m - 1) - months;
  int64_t y2 = FloorDiv(total, 12);
  int m2 = int(total - y2 * 12) + 1;
  return DaysFromCivil(y2, m2, std::min(d, DaysInMonth(y2, m2))) * kSecondsPerDay + seconds;
}

// An inclusive interval of seconds; for a relative date lo == hi (an instant).
struct Span {
  int64_t lo = 0, hi = 0;
  bool relative = false;
};

constexpr std::string_view kDateHelp =
    "expected a date like 2001-05-14, 2001-05, 2001 or 2001-05-14T09:30, or a relative one "
    "like 30d, 2w, 6m or 1y";

// Reads a run of digits of length [min_len, max_len] at value[*i]; returns -1 if there is none.
int64_t ReadDigits(std::string_view s, size_t* i, size_t min_len, size_t max_len) {
  size_t j = *i;
  int64_t v = 0;
  while (j < s.size() && IsDigit(s[j]) && j - *i < max_len) v = v * 10 + (s[j++] - '0');
  if (j - *i < min_len || (j < s.size() && IsDigit(s[j]))) return -1;
  *i = j;
  return v;
}

// One end of a date range, or a whole date value: value[begin, end).
Result<Span> ParseDatePoint(const Token& t, size_t begin, size_t end, int64_t now) {
  std::string_view s = std::string_view(t.value).substr(0, end);
  size_t i = begin;
  char unit = end > begin ? ToLowerAscii(s.substr(end - 1))[0] : '\0';
  if (end - begin >= 2 && (unit == 'd' || unit == 'w' || unit == 'm' || unit == 'y') &&
      std::all_of(s.begin() + begin, s.begin() + end - 1, IsDigit)) {
    if (end - 1 - begin > 5)
      return ErrorAt(t.At(begin), "a relative date goes back at most " +
                                      std::to_string(kMaxRelativeCount) + " units");
    int64_t n = std::stoll(std::string(s.substr(begin, end - 1 - begin)));
    Span span;
    span.relative = true;
    if (unit == 'd') span.lo = now - n * kSecondsPerDay;
    if (unit == 'w') span.lo = now - n * 7 * kSecondsPerDay;
    if (unit == 'm') span.lo = MonthsBefore(now, n);
    if (unit == 'y') span.lo = MonthsBefore(now, n * 12);
    span.hi = span.lo;
    return span;
  }

  int64_t year = ReadDigits(s, &i, 4, 4);
  if (year < 0) return ErrorAt(t.At(begin), kDateHelp);
  Span span;
  int64_t first_day = DaysFromCivil(year, 1, 1);
  span.lo = first_day * kSecondsPerDay;
  span.hi = DaysFromCivil(year + 1, 1, 1) * kSecondsPerDay - 1;
  auto expect_separator = [&](std::string_view after) -> Status {
    if (s[i] == '-' || s[i] == '/') {
      i++;
      return Status::Ok();
    }
    return ErrorAt(t.At(i), "expected '-' after the " + std::string(after) + "; " +
                                std::string(kDateHelp));
  };
  if (i == end) return span;
  CUSTODIAN_RETURN_IF_ERROR(expect_separator("year"));
  size_t month_at = i;
  int64_t month = ReadDigits(s, &i, 1, 2);
  if (month < 0) return ErrorAt(t.At(month_at), "expected a month (01-12) after the year");
  if (month < 1 || month > 12)
    return ErrorAt(t.At(month_at), "there is no month " + std::to_string(month) +
                                       "; months go from 01 to 12");
  int m = int(month);
  span.lo = DaysFromCivil(year, m, 1) * kSecondsPerDay;
  span.hi = span.lo + DaysInMonth(year, m) * kSecondsPerDay - 1;
  if (i == end) return span;
  CUSTODIAN_RETURN_IF_ERROR(expect_separator("month"));
  size_t day_at = i;
  int64_t day = ReadDigits(s, &i, 1, 2);
  if (day < 0) return ErrorAt(t.At(day_at), "expected a day of the month after the month");
  if (day < 1 || day > DaysInMonth(year, m))
    return ErrorAt(t.At(day_at), "there is no day " + std::to_string(day) + " in " +
                                     std::to_string(year) + "-" + (m < 10 ? "0" : "") +
                                     std::to_string(m) + " (it has " +
                                     std::to_string(DaysInMonth(year, m)) + " days)");
  span.lo = DaysFromCivil(year, m, int(day)) * kSecondsPerDay;
  span.hi = span.lo + kSecondsPerDay - 1;
  if (i == end) return span;
  if (s[i] != 'T' && s[i] != 't')
    return ErrorAt(t.At(i), "expected T and a time after the day, like 2001-05-14T09:30");
  size_t time_at = ++i;
  int64_t hour = ReadDigits(s, &i, 2, 2);
  int64_t minute = -1, second = -1;
  if (hour >= 0 && i < end && s[i] == ':') {
    i++;
    minute = ReadDigits(s, &i, 2, 2);
  }
  if (minute >= 0 && i < end && s[i] == ':') {
    i++;
    second = ReadDigits(s, &i, 2, 2);
    if (second < 0) minute = -1;
  }
  if (minute < 0) return ErrorAt(t.At(time_at), "expected a time like 09:30 or 09:30:15 (UTC)");
  if (hour > 23 || minute > 59 || second > 59)
    return ErrorAt(t.At(time_at), "there is no such time of day (hours 00-23, minutes and "
                                  "seconds 00-59)");
  if (i < end && (s[i] == 'Z' || s[i] == 'z')) i++;
  if (i != end) return ErrorAt(t.At(i), "unexpected text after the time");
  span.lo += hour * 3600 + minute * 60 + std::max<int64_t>(second, 0);
  span.hi = span.lo + (second >= 0 ? 0 : 59);
  return span;
}

Result<NodePtr> ParseDate(const Token& t, int64_t now) {
  auto node = std::make_unique<Node>();
  node->kind = Kind::kDate;
  size_t dots = t.value.find("..");
  if (dots == std::string::npos) {
    CUSTODIAN_ASSIGN_OR_RETURN(Span span, ParseDatePoint(t, 0, t.value.size(), now));
    node->lo = span.lo;
    // `date:30d` alone means the last 30 days, like Gmail's newer_than:30d.
    if (!span.relative) node->hi = span.hi;
    return node;
  }
  if (t.value.find("..", dots + 2) != std::string::npos)
    return ErrorAt(t.At(t.value.find("..", dots + 2)), "a date range has only one '..'");
  if (dots == 0 && t.value.size() == 2)
    return ErrorAt(t.At(0), "a date range needs at least one end, like date:2001-05-01..");
  if (dots > 0) {
    CUSTODIAN_ASSIGN_OR_RETURN(Span lo, ParseDatePoint(t, 0, dots, now));
    node->lo = lo.lo;
  }
  if (dots + 2 < t.value.size()) {
    CUSTODIAN_ASSIGN_OR_RETURN(Span hi, ParseDatePoint(t, dots + 2, t.value.size(), now));
    node->hi = hi.hi;
  }
  if (node->lo && node->hi && *node->lo > *node->hi)
    return ErrorAt(t.At(0), "the date range ends before it starts (write the earlier date first)");
  return node;
}

// A byte count like 1500, 10k, 1.5M or 2GB; k, M and G are powers of 1024.
Result<int64_t> ParseBytes(const Token& t, size_t begin, size_t end) {
  std::string_view s = std::string_view(t.value).substr(0, end);
  constexpr std::string_view kHelp = "expected a size like 2000, 10k, 1.5M or 2G";
  size_t i = begin;
  int64_t whole = ReadDigits(s, &i, 1, 15);
  if (whole < 0) return ErrorAt(t.At(begin), kHelp);
  int64_t fraction = 0, scale = 1;
  size_t fraction_at = i;
  if (i < end && s[i] == '.') {
    i++;
    size_t digits_at = i;
    fraction = ReadDigits(s, &i, 1, 9);
    if (fraction < 0) return ErrorAt(t.At(digits_at), kHelp);
    for (size_t k = digits_at; k < i; k++) scale *= 10;
  }
  std::string unit = ToLowerAscii(s.substr(i));
  int64_t multiplier;
  if (unit.empty() || unit == "b") {
    multiplier = 1;
  } else if (unit == "k" || unit == "kb" || unit == "kib") {
    multiplier = int64_t{1} << 10;
  } else if (unit == "m" || unit == "mb" || unit == "mib") {
    multiplier = int64_t{1} << 20;
  } else if (unit == "g" || unit == "gb" || unit == "gib") {
    multiplier = int64_t{1} << 30;
  } else {
    return ErrorAt(t.At(i), "unknown size unit '" + Echo(s.substr(i)) +
                                "' (use k, M or G: 1k = 1024 bytes)");
  }
  if (multiplier == 1 && scale > 1)
    return ErrorAt(t.At(fraction_at), "a number of bytes has no fraction (use k, M or G)");
  int64_t bytes;
  if (__builtin_mul_overflow(whole, multiplier, &bytes) || bytes > (int64_t{1} << 60))
    return ErrorAt(t.At(begin), "size is too large");
  return bytes + fraction * multiplier / scale;
}

Result<NodePtr> ParseSize(const Token& t) {
  auto node = std::make_unique<Node>();
  node->kind = Kind::kSize;
  std::string_view v = t.value;
  size_t n = v.size();
  if (v[0] == '>' || v[0] == '<') {
    bool inclusive = n > 1 && v[1] == '=';
    size_t at = inclusive ? 2 : 1;
    if (at == n) return ErrorAt(t.At(at), "expected a size after " + std::string(v.substr(0, at)));
    CUSTODIAN_ASSIGN_OR_RETURN(int64_t bytes, ParseBytes(t, at, n));
    if (v[0] == '>') {
      node->lo = inclusive ? bytes : bytes + 1;
    } else if (!inclusive && bytes == 0) {
      return ErrorAt(t.At(0), "no message is smaller than 0 bytes");
    } else {
      node->hi = inclusive ? bytes : bytes - 1;
    }
    return node;
  }
  size_t dots = v.find("..");
  if (dots == std::string_view::npos)
    return ErrorAt(t.At(0), "size needs a comparison or a range: size:>1M, size:<=10k, "
                            "size:10k..1M");
  if (dots == 0 && n == 2) return ErrorAt(t.At(0), "a size range needs at least one end");
  if (dots > 0) {
    CUSTODIAN_ASSIGN_OR_RETURN(node->lo, ParseBytes(t, 0, dots));
  }
  if (dots + 2 < n) {
    CUSTODIAN_ASSIGN_OR_RETURN(node->hi, ParseBytes(t, dots + 2, n));
  }
  if (node->lo && node->hi && *node->lo > *node->hi)
    return ErrorAt(t.At(0), "the size range ends before it starts");
  return node;
}

Result<std::string> ParseKeyword(const Token& t, std::string_view field,
                                 std::span<const std::string_view> known) {
  std::string value = ToLowerAscii(t.value);
  if (std::find(known.begin(), known.end(), value) != known.end()) return value;
  std::string list;
  for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
  return ErrorAt(t.At(0), "unknown value '" + Echo(t.value) + "' for " + std::string(field) +
                              ": (known: " + list + ")");
}

// Dot-separated labels of letters, digits, '-' and '_' (DKIM selectors and domains use both).
bool IsDomainName(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  size_t label = 0;
  for (char c : s) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
    } else if (IsAsciiAlpha(c) || (c >= '0' && c <= '9') || c == '-' || c == '_') {
      if (++label > 63) return false;
    } else {
      return false;
    }
  }
  return label > 0;
}

Result<std::string> ParseHexId(const Token& t, std::string_view field) {
  std::string id = ToLowerAscii(t.value);
  if (id.size() < 4 || id.size() > 64 || !std::all_of(id.begin(), id.end(), IsHexDigit))
    return ErrorAt(t.At(0), std::string(field) +
                                ": takes 4 to 64 hex digits (all or the start of a message id)");
  return id;
}

Result<std::string> ParseRegex(const Token& t) {
  if (t.value.empty()) return ErrorAt(t.pos, "empty regular expression");
  RE2::Options options;
  options.set_log_errors(false);
  options.set_case_sensitive(!t.case_insensitive);
  RE2 re(t.value, options);
  if (!re.ok()) {
    size_t at = re.error_arg().empty() ? std::string::npos : t.value.find(re.error_arg());
    return ErrorAt(at == std::string::npos ? t.At(0) : t.At(at),
                   "invalid regular expression: " + Echo(re.error(), 100));
  }
  return t.value;
}

NodePtr MakeNode(Kind kind, size_t position, std::string text = {}, Field field = Field::kAny) {
  auto node = std::make_unique<Node>();
  node->kind = kind;
  node->position = position;
  node->text = std::move(text);
  node->field = field;
  return node;
}

// ¬¬x is x, which also keeps chains of `-` and NOT from deepening the tree.
NodePtr Negate(NodePtr child, size_t position) {
  if (child->kind == Kind::kNot) return std::move(child->children[0]);
  NodePtr node = MakeNode(Kind::kNot, position);
  node->children.push_back(std::move(child));
  return node;
}

// AND/OR of `children`, flattening nested ones of the same kind; `*` in an AND is redundant.
NodePtr Combine(Kind kind, std::vector<NodePtr> children) {
  if (children.size() == 1) return std::move(children[0]);
  NodePtr node = MakeNode(kind, children[0]->position);
  for (NodePtr& child : children) {
    if (child->kind == kind) {
      for (NodePtr& grandchild : child->children) node->children.push_back(std::move(grandchild));
    } else {
      node->children.push_back(std::move(child));
    }
  }
  if (kind == Kind::kAnd) {
    auto is_all = [](const NodePtr& c) { return c->kind == Kind::kAll; };
    if (!std::all_of(node->children.begin(), node->children.end(), is_all))
      std::erase_if(node->children, is_all);
    if (node->children.size() == 1) return std::move(node->children[0]);
  }
  return node;
}

// Every NOT ends up in an AND with at least one positive child (`*` if the query gave none), so
// the index can evaluate a NOT as "minus" and never needs the complement of a set on its own.
void AnchorNegations(NodePtr& node, bool parent_is_and) {
  for (NodePtr& child : node->children) AnchorNegations(child, node->kind == Kind::kAnd);
  auto is_not = [](const NodePtr& c) { return c->kind == Kind::kNot; };
  if (node->kind == Kind::kAnd && std::all_of(node->children.begin(), node->children.end(), is_not)) {
    node->children.insert(node->children.begin(), MakeNode(Kind::kAll, node->position));
  } else if (node->kind == Kind::kNot && !parent_is_and) {
    NodePtr wrapper = MakeNode(Kind::kAnd, node->position);
    wrapper->children.push_back(MakeNode(Kind::kAll, node->position));
    wrapper->children.push_back(std::move(node));
    node = std::move(wrapper);
  }
}

class Parser {
 public:
  Parser(std::vector<Token> tokens, int64_t now) : tokens_(std::move(tokens)), now_(now) {}

  Result<NodePtr> ParseQuery() {
    if (Peek().type == Token::Type::kEnd)
      return ErrorAt(Peek().pos, "empty query (* matches every message)");
    CUSTODIAN_ASSIGN_OR_RETURN(NodePtr root, ParseOr(kAnyField, 0));
    // ParseAnd consumes every token that can start a term, so only a stray ')' is left over.
    if (Peek().type != Token::Type::kEnd) return ErrorAt(Peek().pos, "unmatched ')'");
    AnchorNegations(root, false);
    return root;
  }

 private:
  using Type = Token::Type;

  const Token& Peek() const { return tokens_[i_]; }
  const Token& Next() { return tokens_[i_++]; }
  bool StartsOperand() const {
    Type type = Peek().type;
    return type == Type::kTerm || type == Type::kLParen || type == Type::kNot;
  }

  static std::string Describe(const Token& t) {
    switch (t.type) {
      case Type::kAnd: return "AND";
      case Type::kOr: return "OR";
      case Type::kNot: return t.value;
      case Type::kRParen: return "')'";
      default: return "a term";
    }
  }

  // After an operator token `op`, the next token must start a term.
  Status ExpectOperandAfter(const Token& op) const {
    if (StartsOperand()) return Status::Ok();
    if (Peek().type == Type::kEnd)
      return ErrorAt(op.pos, Describe(op) + " at the end of the query needs a term after it");
    return ErrorAt(Peek().pos, "expected a term after " + Describe(op) + ", found " +
                                   Describe(Peek()));
  }

  Result<NodePtr> ParseOr(const FieldSpec& context, int depth) {
    std::vector<NodePtr> children;
    CUSTODIAN_ASSIGN_OR_RETURN(NodePtr first, ParseAnd(context, depth));
    children.push_back(std::move(first));
    while (Peek().type == Type::kOr) {
      CUSTODIAN_RETURN_IF_ERROR(ExpectOperandAfter(Next()));
      CUSTODIAN_ASSIGN_OR_RETURN(NodePtr next, ParseAnd(context, depth));
      children.push_back(std::move(next));
    }
    return Combine(Kind::kOr, std::move(children));
  }

  Result<NodePtr> ParseAnd(const FieldSpec& context, int depth) {
    std::vector<NodePtr> children;
    for (;;) {
      if (!children.empty() && Peek().type == Type::kAnd) {
        CUSTODIAN_RETURN_IF_ERROR(ExpectOperandAfter(Next()));
      } else if (!children.empty() && !StartsOperand()) {
        break;
      }
      CUSTODIAN_ASSIGN_OR_RETURN(NodePtr next, ParseUnary(context, depth));
      children.push_back(std::move(next));
    }
    return Combine(Kind::kAnd, std::move(children));
  }

  Result<NodePtr> ParseUnary(const FieldSpec& context, int depth) {
    // Iterative, so a long run of NOTs costs no stack.
    std::vector<size_t> negations;
    while (Peek().type == Type::kNot) {
      negations.push_back(Peek().pos);
      CUSTODIAN_RETURN_IF_ERROR(ExpectOperandAfter(Next()));
    }
    CUSTODIAN_ASSIGN_OR_RETURN(NodePtr node, ParsePrimary(context, depth));
    for (size_t k = negations.size(); k-- > 0;) node = Negate(std::move(node), negations[k]);
    return node;
  }

  Result<NodePtr> ParsePrimary(const FieldSpec& context, int depth) {
    const Token& t = Next();
    switch (t.type) {
      case Type::kTerm:
        return MakeLeaf(t, t.field != nullptr ? *t.field : context);
      case Type::kLParen: {
        if (depth >= kMaxDepth)
          return ErrorAt(t.pos, "parentheses nested more than " + std::to_string(kMaxDepth) +
                                    " deep");
        if (Peek().type == Type::kRParen) return ErrorAt(t.pos, "empty parentheses");
        if (Peek().type == Type::kEnd) return ErrorAt(t.pos, "unclosed '(': missing the matching ')'");
        CUSTODIAN_ASSIGN_OR_RETURN(
            NodePtr inner, ParseOr(t.field != nullptr ? *t.field : context, depth + 1));
        if (Peek().type != Type::kRParen)
          return ErrorAt(t.pos, "unclosed '(': missing the matching ')'");
        Next();
        return inner;
      }
      case Type::kRParen:
        return ErrorAt(t.pos, "unmatched ')'");
      case Type::kEnd:
        return ErrorAt(t.pos, "expected a term at the end of the query");
      default:
        return ErrorAt(t.pos, Describe(t) + " needs a term before it");
    }
  }

  Result<NodePtr> MakeLeaf(const Token& t, const FieldSpec& spec) {
    if (++terms_ > kMaxTerms)
      return ErrorAt(t.pos, "more than " + std::to_string(kMaxTerms) + " search terms");
    std::string field_name = spec.name.empty() ? "" : std::string(spec.name) + ":";
    if (t.star && spec.kind != ValueKind::kText)
      return ErrorAt(t.value_end + 1, "'*' (prefix search) only applies to words");
    if (t.value.empty() && spec.kind != ValueKind::kRegex)
      return ErrorAt(t.pos, spec.name.empty() ? "empty phrase" : "empty value after " + field_name);
    switch (spec.kind) {
      case ValueKind::kText:
        return MakeTextLeaf(t, spec);
      case ValueKind::kDate: {
        CUSTODIAN_ASSIGN_OR_RETURN(NodePtr node, ParseDate(t, now_));
        node->position = t.pos;
        return node;
      }
      case ValueKind::kSize: {
        CUSTODIAN_ASSIGN_OR_RETURN(NodePtr node, ParseSize(t));
        node->position = t.pos;
        return node;
      }
      case ValueKind::kHas: {
        CUSTODIAN_ASSIGN_OR_RETURN(std::string v, ParseKeyword(t, spec.name, kHasValues));
        return MakeNode(Kind::kHas, t.pos, std::move(v));
      }
      case ValueKind::kIs: {
        CUSTODIAN_ASSIGN_OR_RETURN(std::string v, ParseKeyword(t, spec.name, kIsValues));
        return MakeNode(Kind::kIs, t.pos, std::move(v));
      }
      case ValueKind::kDkim: {
        CUSTODIAN_ASSIGN_OR_RETURN(std::string v, ParseKeyword(t, spec.name, kDkimValues));
        return MakeNode(Kind::kDkim, t.pos, std::move(v));
      }
      case ValueKind::kSignedBy: {
        std::string domain = ToLowerAscii(t.value);
        if (!domain.empty() && domain.back() == '.') domain.pop_back();
        if (!IsDomainName(domain))
          return ErrorAt(t.At(0), "signed-by: takes a domain name, like signed-by:gmail.com");
        return MakeNode(Kind::kSignedBy, t.pos, std::move(domain));
      }
      case ValueKind::kCustodian:
        return MakeNode(Kind::kCustodian, t.pos, t.value);
      case ValueKind::kFolder:
        return MakeNode(Kind::kFolder, t.pos, t.value);
      case ValueKind::kId: {
        CUSTODIAN_ASSIGN_OR_RETURN(std::string id, ParseHexId(t, spec.name));
        return MakeNode(Kind::kId, t.pos, std::move(id));
      }
      case ValueKind::kThread: {
        CUSTODIAN_ASSIGN_OR_RETURN(std::string id, ParseHexId(t, spec.name));
        return MakeNode(Kind::kThread, t.pos, std::move(id));
      }
      case ValueKind::kMsgid: {
        std::string_view id = t.value;
        if (id.front() == '<') id.remove_prefix(1);
        if (!id.empty() && id.back() == '>') id.remove_suffix(1);
        if (id.empty()) return ErrorAt(t.At(0), "empty Message-ID after msgid:");
        return MakeNode(Kind::kMsgid, t.pos, std::string(id));
      }
      case ValueKind::kSubstring:
        if (t.value.size() < kMinSubstringBytes)
          return ErrorAt(t.At(0), "text: needs at least 3 bytes, because substring search "
                                  "finds candidates by their 3-byte sequences (trigrams); "
                                  "search for a shorter word without text:");
        return MakeNode(Kind::kSubstring, t.pos, t.value);
      case ValueKind::kRegex: {
        CUSTODIAN_ASSIGN_OR_RETURN(std::string pattern, ParseRegex(t));
        NodePtr node = MakeNode(Kind::kRegex, t.pos, std::move(pattern));
        node->case_insensitive = t.case_insensitive;
        return node;
      }
    }
    return Status::Internal("unhandled field kind");
  }

  Result<NodePtr> MakeTextLeaf(const Token& t, const FieldSpec& spec) {
    std::string_view value = t.value;
    bool star = t.star;
    if (!t.quoted) {
      while (!value.empty() && value.back() == '*') {
        value.remove_suffix(1);
        star = true;
      }
      if (value.empty()) {
        if (spec.field == Field::kAny) return MakeNode(Kind::kAll, t.pos);
        return ErrorAt(t.pos, "'*' alone cannot be limited to a field; put the start of a word "
                              "before it, like from:jeff*");
      }
    }
    std::vector<std::string> words = SplitWords(value);
    if (words.empty())
      return ErrorAt(t.pos, "'" + Echo(value) + "' has no letters or digits to search "
                            "for; use text:\"...\" to find exact characters");
    Kind kind = star ? Kind::kPrefix : words.size() == 1 ? Kind::kWord : Kind::kPhrase;
    return MakeNode(kind, t.pos, JoinWords(words), spec.field);
  }

  std::vector<Token> tokens_;
  size_t i_ = 0;
  int64_t now_;
  size_t terms_ = 0;
};

std::string_view FieldName(Field field) {
  switch (field) {
    case Field::kAny: return "any";
    case Field::kFrom: return "from";
    case Field::kTo: return "to";
    case Field::kCc: return "cc";
    case Field::kBcc: return "bcc";
    case Field::kSubject: return "subject";
    case Field::kBody: return "body";
    case Field::kAttachment: return "attachment";
    case Field::kFilename: return "filename";
  }
  return "?";
}

void AppendQuoted(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[(c >> 4) & 0xf];
      out += kHex[c & 0xf];
    } else {
      out += c;
    }
  }
  out += '"';
}

void AppendBound(std::string& out, const std::optional<int64_t>& bound) {
  out += ' ';
  out += bound ? std::to_string(*bound) : "*";
}

void AppendNode(std::string& out, const Node& node) {
  out += '(';
  switch (node.kind) {
    case Kind::kAll: out += "ALL"; break;
    case Kind::kAnd: out += "AND"; break;
    case Kind::kOr: out += "OR"; break;
    case Kind::kNot: out += "NOT"; break;
    case Kind::kWord: out += "WORD"; break;
    case Kind::kPhrase: out += "PHRASE"; break;
    case Kind::kPrefix: out += "PREFIX"; break;
    case Kind::kDate: out += "DATE"; break;
    case Kind::kSize: out += "SIZE"; break;
    case Kind::kHas: out += "HAS"; break;
    case Kind::kIs: out += "IS"; break;
    case Kind::kCustodian: out += "CUSTODIAN"; break;
    case Kind::kFolder: out += "FOLDER"; break;
    case Kind::kId: out += "ID"; break;
    case Kind::kMsgid: out += "MSGID"; break;
    case Kind::kThread: out += "THREAD"; break;
    case Kind::kDkim: out += "DKIM"; break;
    case Kind::kSignedBy: out += "SIGNED-BY"; break;
    case Kind::kSubstring: out += "SUBSTRING"; break;
    case Kind::kRegex: out += node.case_insensitive ? "REGEX/i" : "REGEX"; break;
  }
  switch (node.kind) {
    case Kind::kAll:
      break;
    case Kind::kAnd:
    case Kind::kOr:
    case Kind::kNot:
      for (const NodePtr& child : node.children) {
        out += ' ';
        AppendNode(out, *child);
      }
      break;
    case Kind::kWord:
    case Kind::kPhrase:
    case Kind::kPrefix:
      out += ' ';
      out += FieldName(node.field);
      out += ' ';
      AppendQuoted(out, node.text);
      break;
    case Kind::kDate:
    case Kind::kSize:
      AppendBound(out, node.lo);
      AppendBound(out, node.hi);
      break;
    default:
      out += ' ';
      AppendQuoted(out, node.text);
      break;
  }
  out += ')';
}

}  // namespace

Result<NodePtr> Parse(std::string_view query, const ParseOptions& options) {
  if (query.size() > kMaxQueryBytes)
    return ErrorAt(kMaxQueryBytes, "the query is longer than 64 KiB");
  if (size_t bad = FirstInvalidUtf8(query); bad != std::string_view::npos)
    return ErrorAt(bad, "the query is not valid UTF-8");
  CUSTODIAN_ASSIGN_OR_RETURN(std::vector<Token> tokens, Lexer(query).Run());
  int64_t now = options.now != 0 ? options.now : int64_t(std::time(nullptr));
  return Parser(std::move(tokens), now).ParseQuery();
}

std::string FormatQueryError(std::string_view query, const Status& error) {
  constexpr std::string_view kPrefix = "at position ";
  const std::string& message = error.message();
  size_t colon = message.find(": ");
  if (!StartsWith(message, kPrefix) || colon == std::string::npos) return message;
  size_t position = 0;
  for (size_t i = kPrefix.size(); i < colon; i++) {
    if (!IsDigit(message[i]) || position > query.size()) return message;
    position = position * 10 + size_t(message[i] - '0');
  }
  if (position == 0 || position > query.size() + 1) return message;
  size_t offset = position - 1;

  // Show at most ~72 bytes around the position so a long query still fits a terminal line.
  constexpr size_t kBefore = 40, kWidth = 72;
  auto is_continuation = [&](size_t i) {
    return i < query.size() && (static_cast<unsigned char>(query[i]) & 0xC0) == 0x80;
  };
  size_t begin = offset > kBefore ? offset - kBefore : 0;
  while (begin > 0 && is_continuation(begin)) begin--;
  size_t end = std::min(query.size(), begin + kWidth);
  while (end < query.size() && is_continuation(end)) end++;

  std::string line = begin > 0 ? "..." : "";
  size_t column = line.size();
  for (size_t i = begin; i < end; i++) {
    char c = query[i];
    line += IsSpace(c) || static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
    // The caret counts characters, not bytes, so it lines up under non-ASCII text.
    if (i < offset && !is_continuation(i)) column++;
  }
  if (end < query.size()) line += "...";
  // Parse reports the first invalid byte, so nothing invalid precedes the caret to shift it.
  line = ToValidUtf8(line);
  return line + "\n" + std::string(column, ' ') + "^\n" + message.substr(colon + 2);
}

std::string ToString(const Node& node) {
  std::string out;
  AppendNode(out, node);
  return out;
}

// Rewrites `x?` as `(?:x|)` where x is one literal character, an escaped punctuation character or
// a bracket class: the same language, but RE2's prefilter keeps both spellings as exact strings
// ("enron ?online" needs "enron online" or "enrononline") where for `x?` it drops the literal
// around it ("enron" and "online" anywhere). Only used to pick candidates; the original pattern
// decides the matches. Anything it does not understand is copied unchanged.
std::string ExpandOptionals(std::string_view p) {
  static const std::string_view kSpecial = ".^$|()[]{}*+?\\";
  std::string out;
  out.reserve(p.size() + 16);
  size_t atom = std::string::npos;  // where the last token began in `out`, if it is a simple atom
  for (size_t i = 0; i < p.size();) {
    char c = p[i];
    size_t start = out.size();
    if (c == '\\' && i + 1 < p.size()) {
      char n = p[i + 1];
      bool punct = !std::isalnum(static_cast<unsigned char>(n)) && !(static_cast<unsigned char>(n) & 0x80);
      out.append(p.substr(i, 2));
      i += 2;
      if (!punct && i < p.size() && p[i] == '{') {  // \p{Greek}, \x{263a}
        size_t close = p.find('}', i);
        if (close == std::string_view::npos) return std::string(p);
        out.append(p.substr(i, close + 1 - i));
        i = close + 1;
      }
      atom = punct ? start : std::string::npos;
    } else if (c == '[') {
      size_t j = i + 1;
      if (j < p.size() && p[j] == '^') j++;
      if (j < p.size() && p[j] == ']') j++;
      for (; j < p.size() && p[j] != ']'; j++) {
        if (p[j] == '\\') j++;
        else if (p[j] == '[' && j + 1 < p.size() && p[j + 1] == ':') return std::string(p);  // [[:alpha:]]
      }
      if (j >= p.size()) return std::string(p);
      out.append(p.substr(i, j + 1 - i));
      i = j + 1;
      atom = start;
    } else if (c == '(' && i + 1 < p.size() && p[i + 1] == '?') {
      out.append("(?");
      i += 2;
      atom = std::string::npos;
    } else if (c == '{') {
      size_t close = p.find('}', i);
      if (close == std::string_view::npos) return std::string(p);
      out.append(p.substr(i, close + 1 - i));
      i = close + 1;
      atom = std::string::npos;
    } else if (c == '?' && atom != std::string::npos) {
      std::string x = out.substr(atom);
      out.resize(atom);
      out += "(?:" + x + "|)";
      i++;
      if (i < p.size() && p[i] == '?') i++;  // lazy: the same language
      atom = std::string::npos;
    } else {
      out += c;
      i++;
      bool literal = kSpecial.find(c) == std::string_view::npos && !(static_cast<unsigned char>(c) & 0x80);
      atom = literal ? start : std::string::npos;
    }
  }
  return out;
}

}  // namespace custodian::query
