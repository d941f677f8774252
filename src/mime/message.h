// Parsing one RFC 5322 / MIME message into what the archive records and shows.
// Parsing never fails: a message that is malformed or exceeds a limit still yields a
// ParsedMessage whose `problems` say what was wrong; the raw bytes are kept by the store.
// Thread-safety: ParseMessage may be called concurrently from several threads; each entry point
// starts GMime (InitMime) on first use.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace custodian::mime {

struct Limits {
  size_t max_message_bytes = 256u << 20;  // larger messages are not MIME-parsed (headers only)
  size_t max_header_bytes = 1u << 20;     // header section of any one part
  size_t max_depth = 50;                  // nested multiparts / message/rfc822
  size_t max_parts = 10000;
  size_t max_text_bytes = 16u << 20;      // decoded body text kept per message
};

struct Address {
  std::string name;     // display name, RFC 2047-decoded, UTF-8 ("" if none)
  std::string address;  // addr-spec as written ("" for a group or an unparsable entry)
};

struct Attachment {
  std::string filename;      // RFC 2231/2047-decoded, UTF-8 ("" if none)
  std::string content_type;  // lower-case "type/subtype"
  uint64_t size = 0;         // decoded size in bytes
  std::string part;          // part path, e.g. "2" or "1.3"
  bool is_inline = false;    // Content-Disposition: inline (e.g. embedded image)
  std::string charset;       // the Content-Type charset parameter as written ("" if none)
};

struct Header {
  std::string name;   // as written
  std::string value;  // unfolded, RFC 2047-decoded, UTF-8
};

struct ParsedMessage {
  std::vector<Header> headers;  // top-level headers in order
  std::string subject;
  std::vector<Address> from, sender, to, cc, bcc, reply_to;
  bool has_date = false;
  int64_t date = 0;             // Date: header as seconds since the epoch, UTC
  int tz_offset_minutes = 0;    // the zone the Date: header was written in
  std::string message_id;       // without angle brackets
  std::string in_reply_to;      // first message id, without angle brackets
  std::vector<std::string> references;  // without angle brackets, in order
  std::string body_text;        // text/plain parts, else HTML rendered as text; UTF-8
  std::vector<Attachment> attachments;
  std::vector<std::string> problems;  // human-readable parse problems; empty if clean
  size_t part_count = 0;
};

void InitMime();  // idempotent; call before ParseMessage

ParsedMessage ParseMessage(std::string_view raw, const Limits& limits = {});

// Calls `fn` for each attachment ParseMessage would list (same parts, numbering, order and
// limits) with its decoded content: the transfer encoding (base64, quoted-printable) undone,
// and for message/rfc822 the embedded message as written. Attachments inside an embedded
// message are listed too, after it, as ParseMessage does. `decoded_content` is valid only
// during the call. Never fails; a malformed message yields what could be found.
void ForEachAttachment(
    std::string_view raw, const Limits& limits,
    const std::function<void(const Attachment&, std::string_view decoded_content)>& fn);

// Readable plain text from HTML: drops script/style/head, decodes entities, keeps paragraph
// and line breaks, lists links as "text <url>". Output is UTF-8.
std::string HtmlToText(std::string_view html);

// Formats an address list as "Name <addr>, addr2".
std::string FormatAddresses(const std::vector<Address>& list);

}  // namespace custodian::mime
