// A raw message as DKIM sees it: header fields exactly as written (RFC 5322 §2.2) and the body,
// plus the "simple" and "relaxed" canonicalizations of both (RFC 6376 §3.4).
// Messages are stored as they arrived, with CRLF or bare LF line ends; both are read the same
// way and every canonical form uses CRLF, as on the wire when the message was signed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "custodian/status.h"

namespace custodian::dkim {

inline constexpr size_t kMaxHeaderFields = 10000;
// Verifying hashes header fields once per signature and ARC set: the limit bounds that work.
inline constexpr size_t kMaxHeaderBytes = 1024 * 1024;

struct HeaderField {
  // The whole field, "Name: value" with its folding line breaks (CRLF or LF), without the line
  // break that ends it.
  std::string_view raw;
  // The name as written, without whitespace before the colon; empty when the line is not a
  // well-formed field (no colon, or a space inside the name), which no h= entry can select.
  std::string_view name;
  std::string_view value;  // everything after the colon
};

struct ParsedMessage {
  std::vector<HeaderField> headers;  // top to bottom
  std::string_view body;             // after the empty line; empty when there is none
  // Lower-case field name -> indexes into `headers`, top to bottom.
  std::unordered_map<std::string, std::vector<size_t>> by_name;
};

// Splits `raw` (which must outlive the result). LimitExceeded beyond kMaxHeaderFields fields or
// kMaxHeaderBytes of header.
Result<ParsedMessage> ParseMessage(std::string_view raw);

enum class Canonicalization { kSimple, kRelaxed };
const char* CanonicalizationName(Canonicalization c);

// Appends the canonical form of one header field followed by CRLF.
void CanonicalizeHeader(std::string_view raw_field, Canonicalization c, std::string* out);

// Receives the canonical body in pieces.
class BodySink {
 public:
  virtual ~BodySink() = default;
  virtual void Write(std::string_view bytes) = 0;
};

// Streams the canonical form of `body` into `sink` without copying the whole body.
void CanonicalizeBody(std::string_view body, Canonicalization c, BodySink* sink);

// Convenience for tests and small inputs.
std::string CanonicalBody(std::string_view body, Canonicalization c);

}  // namespace custodian::dkim
