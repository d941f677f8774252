// The mbox splitter and writer; private to src/mailbox, exposed for tests and the fuzzer.
//
// Reading rules (every variant):
//  * A message starts at a line beginning "From " at the start of the file or right after a '\n'
//    (a blank line before it is not required). Bytes before the first such line are skipped and
//    reported as a problem; a UTF-8 byte order mark before it counts as such bytes.
//  * The From_ line is not part of the message; its text after "From " is the envelope. If it ends
//    in "\r\n" the message is taken to use CRLF and its separator is "\r\n", else "\n".
//  * Before a following From_ line, exactly one line terminator (the separator) is removed: "\r\n"
//    if the message uses CRLF and the content ends so, else "\n".
//  * At end of file, one terminator is removed only if the content ends with an empty line
//    ("\n\n", "\r\n\r\n", or just a terminator); a message ending without one is kept as is.
//  * Content-Length (kMbox, kMboxcl, kMboxcl2): the header's value, counted from after the empty
//    line ending the header, must end the message at end of file or right before a From_ line,
//    optionally followed by one blank line first; otherwise it is ignored. kMboxcl/kMboxcl2 then
//    take exactly those bytes. kMbox (auto) uses it only when it reaches past the next From_ line
//    (that is, when it is needed to hold an unquoted "From " body line): when it merely agrees
//    with the From_ line boundary, the ordinary mboxrd rules apply, so a stale Content-Length
//    (off by a separator, say) cannot change the bytes of our own mboxrd exports.
//
// Writing (mboxrd, MboxEncoder): "From " envelope EOL, the message with every /^>*From / line
// given one more '>', then the separator EOL, where EOL is "\r\n" if the message's first line ends
// in "\r\n", else "\n". The separator of the last message in a file is written only if the message
// ends with '\n'; so a last message without a final newline ends the file without one, and the
// end-of-file rule above gives every message back exactly. kMboxrd reads any sequence of encoded
// messages back byte for byte. kMbox does too, except in one contrived case: a message whose
// stale Content-Length happens to reach exactly to a later message's From_ line.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailbox/mailbox.h"
#include "util/env.h"

namespace custodian::mailbox {

// Streams messages out of an mbox file; memory stays bounded by the largest message plus
// kChunkBytes. Fills data, envelope and origin ("origin@offset of the From_ line") only.
class MboxReader {
 public:
  static constexpr size_t kChunkBytes = 256 << 10;

  MboxReader(std::unique_ptr<RandomAccessFile> file, uint64_t size, Format variant,
             std::string origin, ProblemCallback on_problem, ReadLimits limits);
  Result<bool> Next(SourceMessage* out);
  // The largest capacity the read buffer reached, for tests of bounded memory.
  size_t peak_buffer_bytes() const { return peak_buffer_; }

 private:
  enum class Quoting { kNone, kMboxo, kMboxrd };
  Status SkipPreamble();
  Result<bool> ReadOne(SourceMessage* out);
  template <bool kFromLine>
  Result<uint64_t> Scan(uint64_t from, uint64_t keep_from, uint64_t max_keep, bool* overflowed);
  Status Fill(uint64_t keep_from);
  Result<std::string_view> Peek(uint64_t offset, size_t n);
  Result<std::optional<uint64_t>> ContentLengthEnd(uint64_t end);
  std::string_view Buffered(uint64_t begin, uint64_t end) const {
    return std::string_view(buf_).substr(size_t(begin - buf_off_), size_t(end - begin));
  }

  std::unique_ptr<RandomAccessFile> file_;
  uint64_t size_;
  Format variant_;
  std::string origin_;
  ProblemCallback on_problem_;
  ReadLimits limits_;
  bool started_ = false;
  uint64_t pos_ = 0;  // offset of the next From_ line
  std::string buf_;   // file bytes [buf_off_, buf_off_ + buf_.size())
  uint64_t buf_off_ = 0;
  std::string chunk_;  // scratch for reads
  std::string peek_;   // scratch for Peek outside the buffer
  size_t peak_buffer_ = 0;
};

// A RandomAccessFile over bytes in memory; `data` must outlive it.
std::unique_ptr<RandomAccessFile> NewStringFile(std::string_view data);

// Splits an mbox held in memory (tests, fuzzing).
std::vector<SourceMessage> SplitMbox(std::string_view data, Format variant,
                                     const ProblemCallback& on_problem = nullptr,
                                     const ReadLimits& limits = {});

// Encodes messages as one mboxrd file, in order.
class MboxEncoder {
 public:
  void Add(const ExportMessage& m, std::string* out);
  void Finish(std::string* out);  // the last message's separator, if it is owed

 private:
  bool has_previous_ = false;
  bool previous_ends_with_newline_ = false;
  std::string_view separator_;
};

// "\r\n" if the first line of `data` ends in CRLF, else "\n".
std::string_view LineEndingOf(std::string_view data);
// The From_ line content for a message without an envelope: "MAILER-DAEMON Thu Jan  1 00:00:00
// 1970" with the date in UTC, as asctime writes it.
std::string SynthesizeEnvelope(int64_t date);

}  // namespace custodian::mailbox
