// The search query language (docs/search.md): parsing a query string into a tree that the index
// evaluates. Pure: no I/O, no knowledge of how the index stores anything.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custodian/status.h"

namespace custodian::query {

// Which part of a message a word, phrase or prefix must occur in.
enum class Field {
  kAny,         // headers (from, to, cc, bcc, subject), body and attachment text
  kFrom,        // From: (and Sender:) — address or display name
  kTo,
  kCc,
  kBcc,
  kSubject,
  kBody,        // the message's own text
  kAttachment,  // text extracted from attachments
  kFilename,    // attachment file names
};

struct Node;
using NodePtr = std::unique_ptr<Node>;

struct Node {
  enum class Kind {
    kAll,      // `*`: every message
    kAnd,      // children: all must match
    kOr,       // children: any must match
    kNot,      // one child: must not match
    kWord,     // `text` (a single token; case/accent-insensitive, stemmed) in `field`
    kPhrase,   // `text` is the phrase's words in order, in `field`
    kPrefix,   // `text*`: any word starting with `text`, in `field`
    kDate,     // `lo`/`hi`: seconds since the epoch, inclusive; a missing end is open
    kSize,     // `lo`/`hi`: bytes, inclusive
    kHas,      // `text`: "attachment"
    kIs,       // `text`: "deleted" (later: "held", "personal", ...)
    kCustodian,// `text`: a custodian's name (exact)
    kFolder,   // `text`: a folder path (exact; subfolders included)
    kId,       // `text`: a message id (SHA-256) or a prefix of one, lower-case hex
    kMsgid,    // `text`: a Message-ID, without angle brackets
    kThread,   // `text`: a message id (or prefix); matches every message of its thread
    kSubstring,// `text`: exact substring of the decoded headers and text (`text:"..."`)
    kRegex,    // `text`: RE2 pattern over the decoded headers and text; `case_insensitive`
    kDkim,     // `text`: the current DKIM verdict: "pass", "fail", "none", "temperror", "permerror"
    kSignedBy, // `text`: a domain (lower case) with a passing DKIM signature (d=)
  };
  Kind kind = Kind::kAll;
  Field field = Field::kAny;
  std::string text;
  std::optional<int64_t> lo, hi;
  bool case_insensitive = false;
  std::vector<NodePtr> children;
  size_t position = 0;  // byte offset in the query where this node starts (for messages)
};

struct ParseOptions {
  int64_t now = 0;  // seconds since the epoch, for relative dates like `date:30d..`; 0 = time(nullptr)
};

// Parses a query. On error the Status is InvalidArgument with a message of the form
// "at position N: <what is wrong>" (N counts bytes from 1), for FormatQueryError to display.
Result<NodePtr> Parse(std::string_view query, const ParseOptions& options = {});

// Renders a parse error for a terminal: the query, a caret under the position, the message.
std::string FormatQueryError(std::string_view query, const Status& error);

// A canonical, fully parenthesised rendering of a tree (for tests and --explain).
std::string ToString(const Node& node);

// A regex pattern with each simple optional atom `x?` (one literal character, an escaped
// punctuation mark or a bracket class) written `(?:x|)`: the same language, but RE2's
// prefilter then keeps the literals around it. Anything else is copied unchanged.
std::string ExpandOptionals(std::string_view pattern);

}  // namespace custodian::query
