// Helpers shared by the mailbox readers and writers; private to src/mailbox.
#pragma once

#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "mailbox/mailbox.h"

namespace custodian::mailbox::internal {

// Asks the kernel to start reading a file we will read soon (posix_fadvise WILLNEED), so that on
// a cold cache the disk works ahead of the parser instead of one small file at a time.
void Prefetch(const std::string& path);
constexpr size_t kPrefetchAhead = 64;


// Calls fn(name, value) for each header field of `message`, stopping at the first empty line.
// `value` runs from after the colon to the end of the field's last continuation line (folded
// lines included, line endings and all); lines without a colon are skipped as junk. Returns the
// offset of the body (just past the empty line), or npos if the header runs to the end.
template <typename Fn>
size_t ForEachHeader(std::string_view message, Fn&& fn) {
  const char* s = message.data();
  const size_t n = message.size();
  auto line_end = [&](size_t from) {
    const void* p = std::memchr(s + from, '\n', n - from);
    return p ? size_t(static_cast<const char*>(p) - s) : n;
  };
  size_t i = 0;
  while (i < n) {
    size_t e = line_end(i);
    if (e == i || (e == i + 1 && s[i] == '\r')) return e < n ? e + 1 : n;  // header ends
    size_t vend = e;
    size_t next = e < n ? e + 1 : n;
    while (next < n && (s[next] == ' ' || s[next] == '\t')) {  // folded continuation lines
      vend = line_end(next);
      next = vend < n ? vend + 1 : n;
    }
    if (s[i] != ' ' && s[i] != '\t') {
      const void* colon = std::memchr(s + i, ':', e - i);
      if (colon) {
        size_t c = size_t(static_cast<const char*>(colon) - s);
        size_t name_end = c;
        while (name_end > i && (s[name_end - 1] == ' ' || s[name_end - 1] == '\t')) --name_end;
        fn(message.substr(i, name_end - i), message.substr(c + 1, vend - c - 1));
      }
    }
    i = next;
  }
  return std::string_view::npos;
}

// Keeps only Maildir flag letters (D F P R S T), sorted and without duplicates.
std::string NormalizeFlags(std::string_view letters);
// Flags of a Maildir file name: the letters after the last ":2,".
std::string FlagsFromMaildirName(std::string_view name);

// Maildir++ folder names: "a/b" <-> ".a.b". Inside a component '.', '%' and control characters
// are written as %XX (so "v1.2" survives a round trip); reading decodes only those escapes.
Result<std::string> EncodeMaildirFolder(std::string_view folder);  // "" for the root (INBOX)
std::string DecodeMaildirFolder(std::string_view dir_name);        // dir_name begins with '.'

// A directory with a cur/ or new/ subdirectory.
bool IsMaildir(const std::string& dir);
bool IsDirectory(const std::string& path);

// True if `head` (the first bytes of a file) starts an mbox: "From ", optionally after a UTF-8
// byte order mark.
bool LooksLikeMbox(std::string_view head);

void Report(const ProblemCallback& cb, std::string origin, std::string reason);

// Reads a whole message file; on trouble (not a regular file, too large, unreadable) reports a
// problem and returns nullopt.
std::optional<std::string> ReadMessageFile(const std::string& path, const ReadLimits& limits,
                                           const ProblemCallback& cb);

// Sources used by OpenSource and by each other (a tree holds Maildirs and mbox files).
Result<std::unique_ptr<MessageSource>> NewMboxFileSource(const std::string& path,
                                                         std::string folder, Format variant,
                                                         ProblemCallback cb, ReadLimits limits);
// Folders are prefix-relative: the root is "INBOX" (prefix "") or "<prefix>/INBOX".
std::unique_ptr<MessageSource> NewMaildirSource(std::string root, std::string prefix,
                                                ProblemCallback cb, ReadLimits limits);

}  // namespace custodian::mailbox::internal
