// Mailbox formats: reading Maildir, mbox (mboxo, mboxrd, mboxcl, mboxcl2), single .eml files and
// trees of one-message-per-file (such as the CMU Enron layout), and writing mbox / Maildir / eml
// for export. This module knows nothing about the archive: it turns files into messages and back.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "custodian/status.h"

namespace custodian::mailbox {

enum class Format {
  kAuto,     // detect: Maildir (cur/new), mbox (begins with "From "), else one message per file
  kMaildir,
  kMbox,     // mbox, variant detected: Content-Length honoured when valid, else mboxrd unquoting
  kMboxo,    // unquote ">From " (exactly one '>') only
  kMboxrd,   // unquote /^>+From / by removing one '>'
  kMboxcl,   // boundaries by Content-Length, mboxo unquoting
  kMboxcl2,  // boundaries by Content-Length, no unquoting
  kEml,      // a single message per file
  kTree,     // a directory tree of files, each a message (or an mbox if it begins with "From ")
};
// Reading rules in brief (mbox details in mbox.h):
//  * Directory, kAuto/kTree: a Maildir (cur/ or new/ present) is read as Maildir; otherwise a tree,
//    walked in byte-wise sorted order: a subdirectory that is a Maildir is read as one with folders
//    "<rel>/INBOX", "<rel>/<sub>"; a file beginning with "From " (a UTF-8 BOM allowed) is an mbox,
//    except *.eml files, which are always one message (our eml export writes messages verbatim);
//    dot-files/dot-directories, zero-length files and symlinks to directories are skipped and
//    reported as problems.
//  * Maildir: cur/ then new/ of the root ("INBOX") and of each ".a.b" subfolder ("a/b", %2E %25
//    and %00-%1F decoded, see OpenSink), files sorted; files in new/ have no flags; empty files
//    are (empty) messages; dot-files, tmp/ and index files are ignored.
//  * A regular file: kAuto is mbox if it begins with "From " (BOM allowed) and is not *.eml.

// Parses "auto", "maildir", "mbox", "mboxo", "mboxrd", "mboxcl", "mboxcl2", "eml", "tree".
Result<Format> ParseFormat(std::string_view name);

struct ReadLimits {
  uint64_t max_message_bytes = 512ull << 20;  // a larger message is reported, not read
};

// Maildir-style flag letters, sorted: D draft, F flagged, P passed, R replied, S seen, T trashed.
struct SourceMessage {
  std::string folder;    // as the custodian kept it, '/'-separated: a Maildir root is "INBOX", a
                         // tree file "a/b/1." is "a/b", a tree mbox "a/x.mbox" is "a/x"; "" at top
  std::string data;      // the message's bytes (mbox From_ line removed, ">From " unquoted)
  std::string flags;     // sorted flag letters, e.g. "RS"
  bool deleted = false;  // Maildir T, mbox Status/X-Status D, X-Mozilla-Status expunged bit
  std::string envelope;  // the mbox From_ line without "From " and line ending, if any
  std::string origin;    // where it came from, for reports: "path" or "path@offset"
};

// A problem with one input that did not stop the import (unreadable file, oversized message).
struct SourceProblem {
  std::string origin;
  std::string reason;
};

class MessageSource {
 public:
  virtual ~MessageSource() = default;
  // Fills *out with the next message; returns false at the end. A non-OK Result is fatal for the
  // whole source (e.g. the path vanished); per-message trouble goes to the problem callback.
  virtual Result<bool> Next(SourceMessage* out) = 0;
};

using ProblemCallback = std::function<void(const SourceProblem&)>;

// Opens `path` (a file or a directory). Memory stays bounded by the largest message, whatever the
// size of an mbox file. Files are visited in a stable (sorted) order.
Result<std::unique_ptr<MessageSource>> OpenSource(const std::string& path, Format format,
                                                  ProblemCallback on_problem,
                                                  const ReadLimits& limits = {});

// Flags read from a message's own headers (mbox Status / X-Status / X-Mozilla-Status), only in
// the header section. Deleted messages also get 'T' in `flags`, as Maildir-read ones have.
struct HeaderFlags {
  std::string flags;
  bool deleted = false;
};
HeaderFlags FlagsFromHeaders(std::string_view message);

// --- Writing (export) ---

struct ExportMessage {
  std::string_view data;
  std::string_view folder;    // '/'-separated
  std::string_view flags;     // Maildir flag letters
  std::string_view envelope;  // mbox From_ line content, may be empty
  std::string_view id_hex;    // used for file names
  int64_t date = 0;           // for a synthesized From_ line / Maildir file name
};

class MessageSink {
 public:
  virtual ~MessageSink() = default;
  virtual Status Add(const ExportMessage& m) = 0;
  virtual Status Finish() = 0;  // flushes and fsyncs everything written
};

// Layouts under `dir` (created if missing), chosen so that importing `dir` again gives back the
// same folders and the same message bytes:
//   mbox:    dir/<folder>.mbox (mboxrd quoting; "" folder -> dir/INBOX.mbox)
//   maildir: Maildir++ — dir/{cur,new,tmp} for "INBOX" (and ""), dir/.<a>.<b>/ for folder "a/b"
//   eml:     dir/<folder>/<id>.eml ("" folder -> dir/<id>.eml)
// Format kMbox or kMboxrd gives the mbox layout. Maildir file names are
// "<date>.<first 16 of id_hex>.custodian:2,<flags>" in cur/; in Maildir++ folder names '.', '%'
// and control characters are written as %XX (so "v1.2" -> ".v1%2E2"), and an empty component
// ("a//b") is InvalidArgument. For mbox and eml, empty and "." components are dropped and a
// leading '.' (also "..") becomes '_', so nothing lands outside `dir` or hidden. An existing
// <folder>.mbox is never appended to or replaced: Add returns AlreadyExists. Files only appear
// under their final names once durable (temporary names are dot-files, which imports skip).
// Known limits: an empty message exported as eml is a zero-length file, which import reports and
// skips; an eml or mbox folder component named cur/new makes its parent read as a Maildir.
Result<std::unique_ptr<MessageSink>> OpenSink(const std::string& dir, Format format);

}  // namespace custodian::mailbox
