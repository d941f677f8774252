// The tag=value lists of DKIM-Signature, ARC and DNS key records (RFC 6376 §3.2), and the two
// encodings their values use: base64 with folding whitespace and DKIM quoted-printable.
// Everything here parses untrusted input: strict grammar, explicit limits, no exceptions.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custodian/status.h"

namespace custodian::dkim {

inline constexpr size_t kMaxTagListBytes = 64 * 1024;
inline constexpr size_t kMaxTags = 64;
inline constexpr size_t kMaxTagNameBytes = 32;
inline constexpr size_t kMaxTagValueBytes = 16 * 1024;

struct Tag {
  std::string_view name;   // case-sensitive, as written
  std::string_view value;  // without surrounding whitespace; inner folding kept as written
  // Offsets into the parsed text: just after the '=', and the ';' ending the tag (or the end).
  // Deleting [value_begin, value_end) is how "b=" is emptied for hashing (RFC 6376 §3.7).
  size_t value_begin = 0;
  size_t value_end = 0;
};

class TagList {
 public:
  // Parses `text` strictly: tag-spec *(";" tag-spec) [";"], names ALPHA *(ALPHA/DIGIT/"_"),
  // values of printable ASCII except ";" with folding whitespace between them, no duplicate
  // names, within the limits above. On error the Status is InvalidArgument with a reason.
  // The views point into `text`, which must outlive the TagList.
  static Result<TagList> Parse(std::string_view text);

  const std::vector<Tag>& tags() const { return tags_; }
  // nullptr when the tag is absent.
  const Tag* Find(std::string_view name) const;

 private:
  std::vector<Tag> tags_;
};

// Whitespace inside tag values: SP, HTAB and the CR/LF of folded header lines.
inline bool IsFws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
inline bool IsWsp(char c) { return c == ' ' || c == '\t'; }

// Base64 as DKIM writes it: folding whitespace anywhere is ignored, padding is optional but
// must be correct when present. nullopt for any other character or a truncated group.
std::optional<std::string> DecodeBase64(std::string_view text);
std::string EncodeBase64(std::string_view bytes);

// DKIM quoted-printable (RFC 6376 §2.11), used by i= and z=: "=XX" escapes, whitespace
// ignored. nullopt when malformed.
std::optional<std::string> DecodeDkimQuotedPrintable(std::string_view text);

// Splits a colon-separated value (h=, q=, s=, t=, key h=) into trimmed items; empty items are
// kept so callers can decide whether they are an error.
std::vector<std::string_view> SplitColonList(std::string_view value);

// True for a domain name or selector usable in a DNS query: dot-separated labels of 1-63
// letters, digits, '-' or '_', at most 253 bytes in all.
bool IsValidDomainName(std::string_view name);

}  // namespace custodian::dkim
