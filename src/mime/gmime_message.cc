// The mail parser proper, on GMime (see parser.h for where it is linked).
#include "mime/message.h"

#include <gmime/gmime.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>

#include "mime/charset.h"
#include "util/text.h"

namespace custodian::mime {
namespace {

// Beyond this many distinct problems a hostile message would only bloat the record.
constexpr size_t kMaxProblems = 50;

struct GObjectUnref {
  void operator()(void* p) const {
    if (p != nullptr) g_object_unref(p);
  }
};
template <typename T>
using GPtr = std::unique_ptr<T, GObjectUnref>;

struct ParserOptionsFree {
  void operator()(GMimeParserOptions* p) const { g_mime_parser_options_free(p); }
};

struct GFree {
  void operator()(void* p) const { g_free(p); }
};
using GCharPtr = std::unique_ptr<char, GFree>;

std::string Utf8(std::string_view v) { return IsValidUtf8(v) ? std::string(v) : ToValidUtf8(v); }
std::string Utf8(const char* s) { return s == nullptr ? std::string() : Utf8(std::string_view(s)); }

std::string JoinPath(const std::string& prefix, int index) {
  std::string n = std::to_string(index);
  return prefix.empty() ? n : prefix + "." + n;
}

// Cuts `s` to at most `max` bytes without splitting a UTF-8 sequence.
void TruncateUtf8(std::string* s, size_t max) {
  if (s->size() <= max) return;
  size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>((*s)[cut]) & 0xC0) == 0x80) cut--;
  s->resize(cut);
}

// Untrusted text shown inside a problem message, bounded so a hostile header stays short.
std::string Quoted(const char* s) {
  std::string v = Utf8(TrimAscii(s == nullptr ? "" : s));
  if (v.size() > 60) {
    TruncateUtf8(&v, 60);
    v += "...";
  }
  return "\"" + v + "\"";
}

std::string NormalizeNewlines(std::string s) {
  if (s.find('\r') == std::string::npos) return s;
  std::string r;
  r.reserve(s.size());
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] == '\r') {
      if (i + 1 < s.size() && s[i + 1] == '\n') continue;
      r.push_back('\n');  // a lone CR is an old Mac line break
    } else {
      r.push_back(s[i]);
    }
  }
  return r;
}

// Length of the header section: everything before the first empty line.
size_t HeaderSectionLength(std::string_view raw) {
  if (StartsWith(raw, "\n") || StartsWith(raw, "\r\n")) return 0;
  for (size_t p = raw.find('\n'); p != std::string_view::npos; p = raw.find('\n', p + 1)) {
    std::string_view rest = raw.substr(p + 1);
    if (StartsWith(rest, "\n") || StartsWith(rest, "\r\n")) return p + 1;
  }
  return raw.size();
}

// The longest prefix of `raw` no longer than `max` that ends at a line boundary.
std::string_view PrefixAtLineEnd(std::string_view raw, size_t max) {
  if (raw.size() <= max) return raw;
  size_t nl = raw.substr(0, max).rfind('\n');
  return raw.substr(0, nl == std::string_view::npos ? max : nl + 1);
}

// Bytes of one object's header block, as GMime stored it.
size_t HeaderBlockBytes(GMimeObject* object) {
  GMimeHeaderList* list = g_mime_object_get_header_list(object);
  size_t total = 0;
  int count = list == nullptr ? 0 : g_mime_header_list_get_count(list);
  for (int i = 0; i < count; i++) {
    GMimeHeader* h = g_mime_header_list_get_header_at(list, i);
    const char* name = g_mime_header_get_raw_name(h);
    const char* value = g_mime_header_get_raw_value(h);
    total += (name ? strlen(name) : 0) + (value ? strlen(value) : 0) + 2;
  }
  return total;
}

const char* RawHeader(GMimeObject* object, const char* name) {
  GMimeHeaderList* list = g_mime_object_get_header_list(object);
  GMimeHeader* h = list == nullptr ? nullptr : g_mime_header_list_get_header(list, name);
  return h == nullptr ? nullptr : g_mime_header_get_raw_value(h);
}

std::string ContentTypeOf(GMimeObject* object) {
  GMimeContentType* ct = g_mime_object_get_content_type(object);
  if (ct == nullptr) return "application/octet-stream";
  GCharPtr mime_type(g_mime_content_type_get_mime_type(ct));
  return mime_type ? ToLowerAscii(mime_type.get()) : "application/octet-stream";
}

void AppendAddresses(InternetAddressList* list, std::vector<Address>* out) {
  int n = list == nullptr ? 0 : internet_address_list_length(list);
  for (int i = 0; i < n; i++) {
    InternetAddress* ia = internet_address_list_get_address(list, i);
    if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
      out->push_back({Utf8(internet_address_get_name(ia)),
                      Utf8(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia)))});
    } else if (INTERNET_ADDRESS_IS_GROUP(ia)) {
      // The group itself (e.g. "undisclosed-recipients"), then its members flattened.
      out->push_back({Utf8(internet_address_get_name(ia)), ""});
      InternetAddressList* members = internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia));
      int m = members == nullptr ? 0 : internet_address_list_length(members);
      for (int k = 0; k < m; k++) {
        InternetAddress* member = internet_address_list_get_address(members, k);
        if (INTERNET_ADDRESS_IS_MAILBOX(member))
          out->push_back(
              {Utf8(internet_address_get_name(member)),
               Utf8(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(member)))});
      }
    }
  }
}

std::string DecodePhrase(GMimeParserOptions* options, std::string_view phrase) {
  std::string p(TrimAscii(phrase));
  if (p.size() >= 2 && p.front() == '"' && p.back() == '"') p = p.substr(1, p.size() - 2);
  GCharPtr decoded(g_mime_utils_header_decode_phrase(options, p.c_str()));
  return decoded ? Utf8(decoded.get()) : Utf8(p);
}

// A plain split of an address list at top-level commas, for lists GMime rejects although
// real mail is full of them (Enron's "j..kean@enron.com"). Returns nothing for group syntax.
std::vector<Address> SimpleAddressList(GMimeParserOptions* options, std::string_view raw) {
  std::vector<Address> out;
  std::vector<std::string_view> tokens;
  bool quoted = false;
  int angle = 0, paren = 0;
  size_t start = 0;
  for (size_t i = 0; i <= raw.size(); i++) {
    char c = i < raw.size() ? raw[i] : ',';
    if (quoted) {
      if (c == '\\') i++;
      if (c == '"') quoted = false;
      if (i < raw.size()) continue;
    }
    if (c == '"') quoted = true;
    if (c == '<') angle++;
    if (c == '>' && angle > 0) angle--;
    if (c == '(') paren++;
    if (c == ')' && paren > 0) paren--;
    if (c == ':' && angle == 0 && paren == 0) return {};
    if ((c == ',' && angle == 0 && paren == 0) || i >= raw.size()) {
      tokens.push_back(raw.substr(start, std::min(i, raw.size()) - start));
      start = i + 1;
    }
  }
  for (std::string_view token : tokens) {
    token = TrimAscii(token);
    if (token.empty()) continue;
    size_t lt = token.rfind('<');
    size_t gt = lt == std::string_view::npos ? lt : token.find('>', lt);
    if (gt != std::string_view::npos) {
      out.push_back({DecodePhrase(options, token.substr(0, lt)),
                     Utf8(TrimAscii(token.substr(lt + 1, gt - lt - 1)))});
      continue;
    }
    size_t open = token.find('(');  // old style: addr (Real Name)
    size_t close = open == std::string_view::npos ? open : token.find(')', open);
    if (close != std::string_view::npos) {
      out.push_back({DecodePhrase(options, token.substr(open + 1, close - open - 1)),
                     Utf8(TrimAscii(token.substr(0, open)))});
    } else {
      out.push_back({"", Utf8(token)});
    }
  }
  return out;
}

// All headers called `name`, unfolded and joined as one list.
std::string JoinedRawHeaders(GMimeObject* object, const char* name) {
  GMimeHeaderList* list = g_mime_object_get_header_list(object);
  int n = list == nullptr ? 0 : g_mime_header_list_get_count(list);
  std::string joined;
  for (int i = 0; i < n; i++) {
    GMimeHeader* h = g_mime_header_list_get_header_at(list, i);
    const char* header_name = g_mime_header_get_name(h);
    const char* value = g_mime_header_get_raw_value(h);
    if (header_name == nullptr || value == nullptr || !EqualsIgnoreCaseAscii(header_name, name))
      continue;
    if (!joined.empty()) joined += ", ";
    joined += value;
  }
  for (char& c : joined)
    if (c == '\r' || c == '\n' || c == '\t') c = ' ';
  return joined;
}

size_t CountWithAddress(const std::vector<Address>& list) {
  return std::count_if(list.begin(), list.end(),
                       [](const Address& a) { return !a.address.empty(); });
}

std::vector<Address> Addresses(GMimeMessage* message, GMimeAddressType type, const char* header,
                               GMimeParserOptions* options) {
  std::vector<Address> parsed;
  AppendAddresses(g_mime_message_get_addresses(message, type), &parsed);
  std::string raw = JoinedRawHeaders(GMIME_OBJECT(message), header);
  if (raw.empty()) return parsed;
  std::vector<Address> simple = SimpleAddressList(options, raw);
  return CountWithAddress(simple) > CountWithAddress(parsed) ? simple : parsed;
}

std::vector<std::string> ParseMessageIds(GMimeParserOptions* options, const char* raw) {
  std::vector<std::string> ids;
  if (raw == nullptr) return ids;
  if (GMimeReferences* refs = g_mime_references_parse(options, raw)) {
    int n = g_mime_references_length(refs);
    for (int i = 0; i < n; i++) ids.push_back(Utf8(g_mime_references_get_message_id(refs, i)));
    g_mime_references_free(refs);
  }
  return ids;
}

// In-Reply-To names the message replied to. Older mailers (MH, nmh) wrote it as prose, `Message
// from Ann <ann@x> of "Wed, 21 Aug 2002." <id@host>`, where the first bracketed token is the
// author's address: then the last token that looks like a message id (an @, no space) is it.
std::string InReplyTo(GMimeParserOptions* options, const char* raw) {
  if (raw == nullptr) return "";
  std::string_view v(raw);
  std::vector<std::string_view> tokens;
  bool prose = false;
  for (size_t at = 0; at < v.size();) {
    char c = v[at];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      at++;
    } else if (c == '<') {
      size_t close = v.find_first_of("<> \t\r\n", at + 1);
      if (close == std::string_view::npos || v[close] != '>') {
        prose = true;
        at++;
        continue;
      }
      tokens.push_back(v.substr(at + 1, close - at - 1));
      at = close + 1;
    } else {
      prose = true;
      at++;
    }
  }
  if (!prose) {
    std::vector<std::string> ids = ParseMessageIds(options, raw);
    return ids.empty() ? "" : ids.front();
  }
  for (auto t = tokens.rbegin(); t != tokens.rend(); ++t)
    if (t->find('@') != std::string_view::npos && t->front() != '@' && t->back() != '@') return Utf8(*t);
  return "";
}

using AttachmentFn = std::function<void(const Attachment&, std::string_view)>;

// The bytes a memory stream holds.
std::string_view StreamBytes(GMimeStream* mem) {
  GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
  return {reinterpret_cast<const char*>(bytes->data), bytes->len};
}

class Parser {
 public:
  // `on_attachment` (may be null) also receives each attachment's decoded content.
  Parser(const Limits& limits, GMimeParserOptions* options, ParsedMessage* out,
         const AttachmentFn* on_attachment = nullptr)
      : limits_(limits), options_(options), out_(out), on_attachment_(on_attachment) {}

  void Problem(std::string text) {
    auto& p = out_->problems;
    if (p.size() >= kMaxProblems || std::find(p.begin(), p.end(), text) != p.end()) return;
    p.push_back(std::move(text));
  }

  void Envelope(GMimeMessage* message) {
    Headers(message);
    out_->subject = Utf8(g_mime_message_get_subject(message));
    out_->from = Addresses(message, GMIME_ADDRESS_TYPE_FROM, "From", options_);
    out_->sender = Addresses(message, GMIME_ADDRESS_TYPE_SENDER, "Sender", options_);
    out_->to = Addresses(message, GMIME_ADDRESS_TYPE_TO, "To", options_);
    out_->cc = Addresses(message, GMIME_ADDRESS_TYPE_CC, "Cc", options_);
    out_->bcc = Addresses(message, GMIME_ADDRESS_TYPE_BCC, "Bcc", options_);
    out_->reply_to = Addresses(message, GMIME_ADDRESS_TYPE_REPLY_TO, "Reply-To", options_);

    auto* object = GMIME_OBJECT(message);
    const char* raw_date = RawHeader(object, "Date");
    GDateTime* date = g_mime_message_get_date(message);  // owned by the message
    if (date != nullptr) {
      out_->has_date = true;
      out_->date = g_date_time_to_unix(date);
      out_->tz_offset_minutes =
          static_cast<int>(g_date_time_get_utc_offset(date) / G_TIME_SPAN_MINUTE);
    } else if (raw_date == nullptr) {
      Problem("no Date header");
    } else {
      Problem("unparsable Date header: " + Quoted(raw_date));
    }

    const char* id = g_mime_message_get_message_id(message);
    if (id != nullptr) {
      out_->message_id = Utf8(id);
    } else if (const char* raw_id = RawHeader(object, "Message-ID"); raw_id != nullptr) {
      // Not a valid msg-id; keep what was written, minus brackets, so it can still be matched.
      std::string v(TrimAscii(raw_id));
      if (v.size() >= 2 && v.front() == '<' && v.back() == '>') v = v.substr(1, v.size() - 2);
      out_->message_id = Utf8(v);
    }
    out_->in_reply_to = InReplyTo(options_, RawHeader(object, "In-Reply-To"));
    out_->references = ParseMessageIds(options_, RawHeader(object, "References"));
  }

  // Walks the message body. `prefix` is the part path of the enclosing message/rfc822
  // ("" at top level): a multipart body's children are prefix.1, prefix.2...; a single
  // part body is prefix.1 (IMAP numbering).
  void Body(GMimeObject* body, const std::string& prefix, size_t depth, bool collect_text) {
    if (body == nullptr) return;
    if (GMIME_IS_MULTIPART(body)) {
      Object(body, prefix, depth, collect_text);
    } else {
      Object(body, JoinPath(prefix, 1), depth, collect_text);
    }
  }

 private:
  // Top-level headers live on the message (everything else) and on its MIME part
  // (Content-*); merge them back into the order they were written.
  void Headers(GMimeMessage* message) {
    std::vector<std::pair<gint64, Header>> all;
    for (GMimeObject* o : {GMIME_OBJECT(message), g_mime_message_get_mime_part(message)}) {
      GMimeHeaderList* list = o == nullptr ? nullptr : g_mime_object_get_header_list(o);
      int n = list == nullptr ? 0 : g_mime_header_list_get_count(list);
      for (int i = 0; i < n; i++) {
        GMimeHeader* h = g_mime_header_list_get_header_at(list, i);
        all.push_back({g_mime_header_get_offset(h),
                       Header{Utf8(g_mime_header_get_name(h)), Utf8(g_mime_header_get_value(h))}});
      }
    }
    std::stable_sort(all.begin(), all.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    out_->headers.reserve(all.size());
    for (auto& [offset, header] : all) out_->headers.push_back(std::move(header));
  }

  bool CountPart() {
    if (out_->part_count >= limits_.max_parts) {
      Problem("more than " + std::to_string(limits_.max_parts) + " MIME parts; the rest ignored");
      return false;
    }
    out_->part_count++;
    return true;
  }

  // `path` names this object; a multipart's own path is only a prefix for its children.
  void Object(GMimeObject* object, const std::string& path, size_t depth, bool collect_text) {
    if (depth > limits_.max_depth) {
      Problem("MIME nesting deeper than " + std::to_string(limits_.max_depth) +
              " levels; deeper parts ignored");
      return;
    }
    if (!CountPart()) return;
    if (HeaderBlockBytes(object) > limits_.max_header_bytes) {
      Problem("part " + (path.empty() ? std::string("body") : path) + ": header block over " +
              std::to_string(limits_.max_header_bytes) + " bytes; treated as opaque data");
      Attachment a{"", "application/octet-stream", 0, path.empty() ? "1" : path, false, ""};
      AddAttachment(std::move(a), GMIME_IS_PART(object) ? GMIME_PART(object) : nullptr);
      return;
    }
    if (GMIME_IS_MULTIPART(object)) {
      Multipart(GMIME_MULTIPART(object), path, depth, collect_text);
    } else if (GMIME_IS_MESSAGE_PART(object)) {
      MessagePart(GMIME_MESSAGE_PART(object), path, depth, collect_text);
    } else if (GMIME_IS_PART(object)) {
      Leaf(GMIME_PART(object), path, collect_text);
    }
  }

  void Multipart(GMimeMultipart* multipart, const std::string& path, size_t depth,
                 bool collect_text) {
    int n = g_mime_multipart_get_count(multipart);
    int chosen = -1;  // for alternatives, the one child whose text is kept
    GMimeContentType* ct = g_mime_object_get_content_type(GMIME_OBJECT(multipart));
    if (collect_text && ct != nullptr &&
        g_mime_content_type_is_type(ct, "multipart", "alternative"))
      chosen = ChooseAlternative(multipart);
    for (int i = 0; i < n; i++) {
      GMimeObject* child = g_mime_multipart_get_part(multipart, i);
      bool child_text = collect_text && (chosen < 0 || chosen == i);
      Object(child, JoinPath(path, i + 1), depth + 1, child_text);
    }
  }

  // Prefers text/plain; otherwise the last non-attachment alternative (the richest, RFC 2046).
  static int ChooseAlternative(GMimeMultipart* multipart) {
    int n = g_mime_multipart_get_count(multipart);
    int fallback = -1;
    for (int i = 0; i < n; i++) {
      GMimeObject* child = g_mime_multipart_get_part(multipart, i);
      const char* disposition = g_mime_object_get_disposition(child);
      if (disposition != nullptr && EqualsIgnoreCaseAscii(disposition, "attachment")) continue;
      GMimeContentType* ct = g_mime_object_get_content_type(child);
      if (ct != nullptr && g_mime_content_type_is_type(ct, "text", "plain")) return i;
      fallback = i;
    }
    return fallback;
  }

  void MessagePart(GMimeMessagePart* part, const std::string& path, size_t depth,
                   bool collect_text) {
    auto* object = GMIME_OBJECT(part);
    GMimeMessage* inner = g_mime_message_part_get_message(part);
    Attachment a;
    a.content_type = ContentTypeOf(object);
    a.part = path;
    const char* disposition = g_mime_object_get_disposition(object);
    a.is_inline = disposition != nullptr && EqualsIgnoreCaseAscii(disposition, "inline");
    a.filename = Utf8(g_mime_object_get_content_disposition_parameter(object, "filename"));
    if (a.filename.empty())
      a.filename = Utf8(g_mime_object_get_content_type_parameter(object, "name"));
    if (a.filename.empty() && inner != nullptr) {
      std::string subject = Utf8(g_mime_message_get_subject(inner));
      if (!subject.empty()) a.filename = subject + ".eml";
    }
    if (on_attachment_ != nullptr) {
      GPtr<GMimeStream> mem(g_mime_stream_mem_new());
      if (inner != nullptr) g_mime_object_write_to_stream(GMIME_OBJECT(inner), nullptr, mem.get());
      a.size = StreamBytes(mem.get()).size();
      (*on_attachment_)(a, StreamBytes(mem.get()));
    } else if (inner != nullptr) {
      GPtr<GMimeStream> counter(g_mime_stream_null_new());
      g_mime_object_write_to_stream(GMIME_OBJECT(inner), nullptr, counter.get());
      a.size = GMIME_STREAM_NULL(counter.get())->written;
    }
    out_->attachments.push_back(std::move(a));
    if (inner == nullptr) return;
    if (depth + 1 > limits_.max_depth) {
      Problem("MIME nesting deeper than " + std::to_string(limits_.max_depth) +
              " levels; deeper parts ignored");
      return;
    }
    if (HeaderBlockBytes(GMIME_OBJECT(inner)) > limits_.max_header_bytes) {
      Problem("part " + path + ": embedded message header block over " +
              std::to_string(limits_.max_header_bytes) + " bytes; not parsed");
      return;
    }
    if (collect_text) ForwardedHeading(inner);
    Body(g_mime_message_get_mime_part(inner), path, depth + 1, collect_text);
  }

  // Forwarded mail is read as part of the message, so say where the forwarded text starts.
  void ForwardedHeading(GMimeMessage* inner) {
    std::vector<Address> from = Addresses(inner, GMIME_ADDRESS_TYPE_FROM, "From", options_);
    std::string heading = "---------- Forwarded message ----------\n";
    if (!from.empty()) heading += "From: " + FormatAddresses(from) + "\n";
    if (const char* date = g_mime_object_get_header(GMIME_OBJECT(inner), "Date"))
      heading += "Date: " + Utf8(date) + "\n";
    if (const char* subject = g_mime_message_get_subject(inner))
      heading += "Subject: " + Utf8(subject) + "\n";
    AppendText(heading + "\n");
  }

  void Leaf(GMimePart* part, const std::string& path, bool collect_text) {
    auto* object = GMIME_OBJECT(part);
    std::string content_type = ContentTypeOf(object);
    const char* disposition = g_mime_object_get_disposition(object);
    bool attachment_disposition =
        disposition != nullptr && EqualsIgnoreCaseAscii(disposition, "attachment");
    std::string filename = Utf8(g_mime_part_get_filename(part));
    bool is_text = StartsWith(content_type, "text/");
    if (is_text && !attachment_disposition && filename.empty()) {
      bool plain = content_type == "text/plain";
      if (collect_text && (plain || content_type == "text/html") && !text_full_)
        AppendText(PartText(part, plain));
      return;
    }
    Attachment a;
    a.filename = std::move(filename);
    a.content_type = std::move(content_type);
    a.part = path;
    a.is_inline = disposition != nullptr && EqualsIgnoreCaseAscii(disposition, "inline");
    const char* charset = g_mime_object_get_content_type_parameter(object, "charset");
    a.charset = Utf8(charset);
    AddAttachment(std::move(a), part);
  }

  // Records `a` with the decoded size of `part` (null: no content), decoding it into memory
  // only when someone wants the bytes.
  void AddAttachment(Attachment a, GMimePart* part) {
    if (on_attachment_ != nullptr) {
      GPtr<GMimeStream> mem(g_mime_stream_mem_new());
      GMimeDataWrapper* content = part == nullptr ? nullptr : g_mime_part_get_content(part);
      if (content != nullptr) g_mime_data_wrapper_write_to_stream(content, mem.get());
      a.size = StreamBytes(mem.get()).size();
      (*on_attachment_)(a, StreamBytes(mem.get()));
    } else if (part != nullptr) {
      a.size = DecodedSize(part);
    }
    out_->attachments.push_back(std::move(a));
  }

  static uint64_t DecodedSize(GMimePart* part) {
    GMimeDataWrapper* content = g_mime_part_get_content(part);
    if (content == nullptr) return 0;
    GPtr<GMimeStream> counter(g_mime_stream_null_new());
    g_mime_data_wrapper_write_to_stream(content, counter.get());
    return GMIME_STREAM_NULL(counter.get())->written;
  }

  // The part's text as UTF-8, HTML rendered to plain text.
  std::string PartText(GMimePart* part, bool plain) {
    GMimeDataWrapper* content = g_mime_part_get_content(part);
    if (content == nullptr) return {};
    GPtr<GMimeStream> mem(g_mime_stream_mem_new());
    g_mime_data_wrapper_write_to_stream(content, mem.get());
    std::string_view raw = StreamBytes(mem.get());
    // Plain text never shrinks by more than 4x in conversion, so this keeps enough to fill
    // the budget while bounding the work on a huge part.
    size_t budget = limits_.max_text_bytes - out_->body_text.size();
    if (plain && raw.size() / 4 > budget) raw = raw.substr(0, budget * 4 + 4);
    const char* charset = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "charset");
    std::string text;
    if (!ConvertToUtf8(raw, charset == nullptr ? "" : charset, &text))
      Problem("unknown charset " + Quoted(charset) + "; text decoded as windows-1252");
    text = NormalizeNewlines(std::move(text));
    return plain ? text : HtmlToText(text);
  }

  void AppendText(const std::string& text) {
    if (text_full_ || text.empty()) return;
    std::string& body = out_->body_text;
    if (!body.empty() && body.back() != '\n') body.push_back('\n');
    if (!body.empty()) body.push_back('\n');
    body += text;
    if (body.size() > limits_.max_text_bytes) {
      TruncateUtf8(&body, limits_.max_text_bytes);
      text_full_ = true;
      Problem("body text truncated at " + std::to_string(limits_.max_text_bytes) + " bytes");
    }
  }

  const Limits& limits_;
  GMimeParserOptions* options_;
  ParsedMessage* out_;
  const AttachmentFn* on_attachment_;
  bool text_full_ = false;
};

std::unique_ptr<GMimeParserOptions, ParserOptionsFree> NewParserOptions() {
  std::unique_ptr<GMimeParserOptions, ParserOptionsFree> options(g_mime_parser_options_new());
  g_mime_parser_options_set_rfc2047_compliance_mode(options.get(), GMIME_RFC_COMPLIANCE_LOOSE);
  g_mime_parser_options_set_address_compliance_mode(options.get(), GMIME_RFC_COMPLIANCE_LOOSE);
  g_mime_parser_options_set_parameter_compliance_mode(options.get(), GMIME_RFC_COMPLIANCE_LOOSE);
  g_mime_parser_options_set_allow_addresses_without_domain(options.get(), TRUE);
  // Raw 8-bit header text: UTF-8 if it validates, else the usual Western legacy charset.
  const char* fallback[] = {"utf-8", "windows-1252", nullptr};
  g_mime_parser_options_set_fallback_charsets(options.get(), fallback);
  return options;
}

}  // namespace

void InitMime() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

// Lines that could be MIME boundaries ("--..."). GMime builds every part in memory before our
// part limit applies, so a message with far more candidate boundaries than allowed parts is
// parsed for its headers only (a 9 MB message with 300,000 parts took 600 MB otherwise).
static size_t BoundaryCandidates(std::string_view raw) {
  size_t n = 0;
  for (size_t at = raw.find("\n--"); at != std::string_view::npos; at = raw.find("\n--", at + 3)) n++;
  return n;
}

// The parse behind ParseMessage and ForEachAttachment; `full` false skips the envelope and the
// body text, which only ParseMessage needs.
static ParsedMessage Parse(std::string_view raw, const Limits& limits,
                           const AttachmentFn* on_attachment, bool full) {
  InitMime();
  ParsedMessage out;
  auto options = NewParserOptions();
  Parser parser(limits, options.get(), &out, on_attachment);

  std::string_view input = raw;
  bool headers_only = false;
  size_t header_bytes = HeaderSectionLength(raw);
  if (header_bytes > limits.max_header_bytes) {
    parser.Problem("header section is " + std::to_string(header_bytes) + " bytes, over the " +
                   std::to_string(limits.max_header_bytes) + "-byte limit; headers truncated");
    input = PrefixAtLineEnd(raw, limits.max_header_bytes);
    headers_only = true;
  } else if (raw.size() > limits.max_message_bytes) {
    parser.Problem("message is " + std::to_string(raw.size()) + " bytes, over the " +
                   std::to_string(limits.max_message_bytes) + "-byte limit; only headers parsed");
    input = raw.substr(0, header_bytes);
    headers_only = true;
  } else if (size_t b = BoundaryCandidates(raw); b > 2 * limits.max_parts + 2) {
    parser.Problem(std::to_string(b) + " boundary-like lines, more than the " + std::to_string(limits.max_parts) +
                   "-part limit allows; only headers parsed");
    input = raw.substr(0, header_bytes);
    headers_only = true;
  }
  if (TrimAscii(input).empty() && !headers_only) {
    parser.Problem("empty message");
    return out;
  }

  GPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(input.data(), input.size()));
  GPtr<GMimeParser> gparser(g_mime_parser_new_with_stream(stream.get()));
  g_mime_parser_set_format(gparser.get(), GMIME_FORMAT_MESSAGE);
  GPtr<GMimeMessage> message(g_mime_parser_construct_message(gparser.get(), options.get()));
  if (message == nullptr) {
    parser.Problem("not an RFC 5322 message: no header section");
    return out;
  }
  if (full) {
    parser.Envelope(message.get());
    if (out.headers.empty()) parser.Problem("no headers");
  }
  if (!headers_only) parser.Body(g_mime_message_get_mime_part(message.get()), "", 0, full);
  return out;
}

ParsedMessage ParseMessage(std::string_view raw, const Limits& limits) {
  return Parse(raw, limits, nullptr, true);
}

void ForEachAttachment(std::string_view raw, const Limits& limits, const AttachmentFn& fn) {
  Parse(raw, limits, &fn, false);
}

}  // namespace custodian::mime
