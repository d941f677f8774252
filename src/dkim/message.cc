#include "dkim/message.h"

#include "dkim/tag_list.h"
#include "util/text.h"

namespace custodian::dkim {
namespace {

// One line of `text` starting at `pos`: its content without the line break, and where the
// next line starts. A line break is LF, optionally preceded by CR.
struct Line {
  std::string_view content;
  size_t next;
  bool terminated;
};

Line NextLine(std::string_view text, size_t pos) {
  size_t nl = text.find('\n', pos);
  if (nl == std::string_view::npos) return {text.substr(pos), text.size(), false};
  size_t end = nl;
  if (end > pos && text[end - 1] == '\r') end--;
  return {text.substr(pos, end - pos), nl + 1, true};
}

// Field names are printable ASCII except the colon (RFC 5322 §2.2).
bool IsFieldName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (c < 0x21 || c > 0x7e || c == ':') return false;
  }
  return true;
}

HeaderField MakeField(std::string_view raw) {
  HeaderField f;
  f.raw = raw;
  size_t colon = raw.find(':');
  if (colon == std::string_view::npos) return f;
  std::string_view name = raw.substr(0, colon);
  while (!name.empty() && IsWsp(name.back())) name.remove_suffix(1);
  if (IsFieldName(name)) f.name = name;
  f.value = raw.substr(colon + 1);
  return f;
}

// Relaxed body canonicalization of one line: runs of WSP become one SP, trailing WSP goes.
void RelaxLine(std::string_view line, std::string* out) {
  out->clear();
  bool in_wsp = false;
  for (char c : line) {
    if (IsWsp(c)) {
      in_wsp = true;
      continue;
    }
    if (in_wsp) out->push_back(' ');
    in_wsp = false;
    out->push_back(c);
  }
}

class StringSink : public BodySink {
 public:
  explicit StringSink(std::string* out) : out_(out) {}
  void Write(std::string_view bytes) override { out_->append(bytes); }

 private:
  std::string* out_;
};

}  // namespace

Result<ParsedMessage> ParseMessage(std::string_view raw) {
  ParsedMessage msg;
  size_t pos = 0;
  size_t field_start = std::string_view::npos, field_end = 0;
  auto flush = [&]() -> Status {
    if (field_start == std::string_view::npos) return Status::Ok();
    if (msg.headers.size() == kMaxHeaderFields) {
      return Status::LimitExceeded("message has more than " + std::to_string(kMaxHeaderFields) +
                                   " header fields");
    }
    HeaderField f = MakeField(raw.substr(field_start, field_end - field_start));
    if (!f.name.empty()) msg.by_name[ToLowerAscii(f.name)].push_back(msg.headers.size());
    msg.headers.push_back(f);
    field_start = std::string_view::npos;
    return Status::Ok();
  };
  while (pos < raw.size()) {
    if (pos > kMaxHeaderBytes) {
      return Status::LimitExceeded("message header is longer than " +
                                   std::to_string(kMaxHeaderBytes) + " bytes");
    }
    Line line = NextLine(raw, pos);
    if (line.content.empty() && line.terminated) {  // the empty line that ends the header
      CUSTODIAN_RETURN_IF_ERROR(flush());
      msg.body = raw.substr(line.next);
      return msg;
    }
    size_t content_end = pos + line.content.size();
    if (IsWsp(line.content[0]) && field_start != std::string_view::npos) {
      field_end = content_end;  // a continuation line
    } else {
      CUSTODIAN_RETURN_IF_ERROR(flush());
      field_start = pos;
      field_end = content_end;
    }
    pos = line.next;
  }
  CUSTODIAN_RETURN_IF_ERROR(flush());
  return msg;  // no empty line: header only, empty body
}

const char* CanonicalizationName(Canonicalization c) {
  return c == Canonicalization::kSimple ? "simple" : "relaxed";
}

void CanonicalizeHeader(std::string_view raw_field, Canonicalization c, std::string* out) {
  if (c == Canonicalization::kSimple) {
    // Unchanged, except that a bare LF line break is written as CRLF.
    for (size_t i = 0; i < raw_field.size(); i++) {
      if (raw_field[i] == '\n' && (i == 0 || raw_field[i - 1] != '\r')) out->push_back('\r');
      out->push_back(raw_field[i]);
    }
    out->append("\r\n");
    return;
  }
  size_t colon = raw_field.find(':');
  std::string_view name = raw_field.substr(0, colon);
  while (!name.empty() && IsFws(name.back())) name.remove_suffix(1);
  out->append(ToLowerAscii(name));
  out->push_back(':');
  if (colon == std::string_view::npos) {
    out->append("\r\n");
    return;
  }
  // Unfold (drop line breaks), collapse WSP runs, drop WSP after the colon and at the end.
  std::string_view value = raw_field.substr(colon + 1);
  bool pending_space = false, started = false;
  for (size_t i = 0; i < value.size(); i++) {
    char ch = value[i];
    if (ch == '\n' || (ch == '\r' && i + 1 < value.size() && value[i + 1] == '\n')) continue;
    if (IsWsp(ch)) {
      pending_space = started;
      continue;
    }
    if (pending_space) out->push_back(' ');
    pending_space = false;
    started = true;
    out->push_back(ch);
  }
  out->append("\r\n");
}

void CanonicalizeBody(std::string_view body, Canonicalization c, BodySink* sink) {
  static constexpr std::string_view kCrlf = "\r\n";
  size_t pending_empty = 0;  // empty lines are held back: those at the end are dropped
  bool wrote = false;
  std::string relaxed;
  size_t pos = 0;
  while (pos < body.size()) {
    Line line = NextLine(body, pos);
    pos = line.next;
    std::string_view content = line.content;
    if (c == Canonicalization::kRelaxed) {
      RelaxLine(content, &relaxed);
      content = relaxed;
    }
    if (content.empty()) {
      pending_empty++;
      continue;
    }
    for (; pending_empty > 0; pending_empty--) sink->Write(kCrlf);
    sink->Write(content);
    sink->Write(kCrlf);
    wrote = true;
  }
  // An empty body is one CRLF in "simple" and nothing in "relaxed" (RFC 6376 §3.4.3, §3.4.4).
  if (!wrote && c == Canonicalization::kSimple) sink->Write(kCrlf);
}

std::string CanonicalBody(std::string_view body, Canonicalization c) {
  std::string out;
  StringSink sink(&out);
  CanonicalizeBody(body, c, &sink);
  return out;
}

}  // namespace custodian::dkim
