// mbox reading (all variants, streaming) and mboxrd writing; the rules are in mbox.h.
#include "mailbox/mbox.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "mailbox/internal.h"
#include "util/text.h"

namespace custodian::mailbox {
namespace {

constexpr std::string_view kFrom = "From ";
constexpr std::string_view kBomFrom =
    "\xEF\xBB\xBF"
    "From ";

class StringFile : public RandomAccessFile {
 public:
  explicit StringFile(std::string_view data) : data_(data) {}
  Status Read(uint64_t offset, size_t n, std::string* out) const override {
    if (offset >= data_.size()) {
      out->clear();
      return Status::Ok();
    }
    out->assign(data_.substr(size_t(offset), n));
    return Status::Ok();
  }
  Result<uint64_t> Size() const override { return uint64_t(data_.size()); }

 private:
  std::string_view data_;
};

// Appends `src` with one '>' removed from each ">From " line (mboxo) or /^>+From / line (mboxrd).
void AppendUnquoted(std::string_view src, bool mboxrd, std::string* out) {
  size_t copied = 0;
  size_t from = 0;
  while (const void* hit = memmem(src.data() + from, src.size() - from, ">From ", 6)) {
    const size_t h = size_t(static_cast<const char*>(hit) - src.data());
    size_t q = h;
    while (q > 0 && src[q - 1] == '>') --q;
    if ((q == 0 || src[q - 1] == '\n') && (mboxrd || q == h)) {
      out->append(src.substr(copied, q - copied));
      copied = q + 1;
    }
    from = h + 6;
  }
  out->append(src.substr(copied));
}

// Appends `src` with every /^>*From / line given one more '>'.
void AppendQuoted(std::string_view src, std::string* out) {
  size_t copied = 0;
  size_t from = 0;
  while (const void* hit = memmem(src.data() + from, src.size() - from, "From ", 5)) {
    const size_t h = size_t(static_cast<const char*>(hit) - src.data());
    size_t q = h;
    while (q > 0 && src[q - 1] == '>') --q;
    if (q == 0 || src[q - 1] == '\n') {
      out->append(src.substr(copied, q - copied));
      out->push_back('>');
      copied = q;
    }
    from = h + 5;
  }
  out->append(src.substr(copied));
}

std::optional<uint64_t> ParseDecimal(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + uint64_t(c - '0');
  }
  return v;
}

struct ContentLength {
  uint64_t value;
  size_t body;  // offset of the body within the message
};

std::optional<ContentLength> FindContentLength(std::string_view message) {
  std::optional<uint64_t> value;
  size_t body = internal::ForEachHeader(message, [&](std::string_view name, std::string_view v) {
    if (!value && EqualsIgnoreCaseAscii(name, "Content-Length")) value = ParseDecimal(TrimAscii(v));
  });
  if (!value || body == std::string_view::npos) return std::nullopt;
  return ContentLength{*value, body};
}

}  // namespace

MboxReader::MboxReader(std::unique_ptr<RandomAccessFile> file, uint64_t size, Format variant,
                       std::string origin, ProblemCallback on_problem, ReadLimits limits)
    : file_(std::move(file)),
      size_(size),
      variant_(variant == Format::kAuto ? Format::kMbox : variant),
      origin_(std::move(origin)),
      on_problem_(std::move(on_problem)),
      limits_(limits) {}

Result<bool> MboxReader::Next(SourceMessage* out) {
  if (!started_) {
    started_ = true;
    CUSTODIAN_RETURN_IF_ERROR(SkipPreamble());
  }
  while (pos_ < size_) {
    CUSTODIAN_ASSIGN_OR_RETURN(bool got, ReadOne(out));
    if (got) return true;
  }
  return false;
}

Status MboxReader::Fill(uint64_t keep_from) {
  if (keep_from > buf_off_) {
    buf_.erase(0, size_t(keep_from - buf_off_));
    buf_off_ = keep_from;
  }
  const uint64_t end = buf_off_ + buf_.size();
  const size_t want = size_t(std::min<uint64_t>(kChunkBytes, size_ - end));
  CUSTODIAN_RETURN_IF_ERROR(file_->Read(end, want, &chunk_));
  if (chunk_.size() < want) size_ = end + chunk_.size();  // the file shrank under us
  buf_.append(chunk_);
  peak_buffer_ = std::max(peak_buffer_, buf_.capacity());
  return Status::Ok();
}

// Finds the first '\n' at or after `from` (kFromLine false: returns its offset) or the first
// "\nFrom " whose '\n' is at or after `from` (kFromLine true: returns the offset of the 'F');
// size_ if there is none. Keeps buffered bytes from `keep_from` on, unless that would hold more
// than max_keep bytes: then sets *overflowed and keeps only what the search still needs.
template <bool kFromLine>
Result<uint64_t> MboxReader::Scan(uint64_t from, uint64_t keep_from, uint64_t max_keep,
                                  bool* overflowed) {
  uint64_t scan = from;
  for (;;) {
    const char* base = buf_.data();
    const size_t n = buf_.size();
    size_t i = size_t(scan - buf_off_);
    while (i < n) {
      const void* p = std::memchr(base + i, '\n', n - i);
      if (!p) {
        i = n;
        break;
      }
      const size_t nl = size_t(static_cast<const char*>(p) - base);
      if constexpr (!kFromLine) {
        return buf_off_ + nl;
      } else {
        if (n - nl - 1 < kFrom.size()) {  // need more bytes to tell
          i = nl;
          break;
        }
        if (std::memcmp(base + nl + 1, kFrom.data(), kFrom.size()) == 0) return buf_off_ + nl + 1;
        i = nl + 1;
      }
    }
    scan = buf_off_ + i;
    if (buf_off_ + n >= size_) return size_;
    if (scan > keep_from && scan - keep_from > max_keep) *overflowed = true;
    CUSTODIAN_RETURN_IF_ERROR(Fill(*overflowed ? scan : std::min(scan, keep_from)));
  }
}

Result<std::string_view> MboxReader::Peek(uint64_t offset, size_t n) {
  const uint64_t end = std::min<uint64_t>(offset + n, size_);
  if (offset >= buf_off_ && end <= buf_off_ + buf_.size()) return Buffered(offset, end);
  CUSTODIAN_RETURN_IF_ERROR(file_->Read(offset, size_t(end - offset), &peek_));
  return std::string_view(peek_);
}

// Where the next message starts if a Content-Length says the current one ends at `end`: `end`
// itself at end of file or before a From_ line, or past one blank line before either; nullopt if
// the Content-Length is wrong.
Result<std::optional<uint64_t>> MboxReader::ContentLengthEnd(uint64_t end) {
  if (end == size_) return std::optional<uint64_t>(end);
  CUSTODIAN_ASSIGN_OR_RETURN(std::string_view p, Peek(end - 1, 8));
  std::string_view at = p.substr(1);
  if (p[0] == '\n' && at.starts_with(kFrom)) return std::optional<uint64_t>(end);
  const size_t t = at.starts_with("\r\n") ? 2 : at.starts_with("\n") ? 1 : 0;
  if (t == 0) return std::optional<uint64_t>();
  if (end + t == size_ || at.substr(t).starts_with(kFrom)) return std::optional<uint64_t>(end + t);
  return std::optional<uint64_t>();
}

Status MboxReader::SkipPreamble() {
  if (size_ == 0) return Status::Ok();
  CUSTODIAN_RETURN_IF_ERROR(Fill(0));
  if (std::string_view(buf_).starts_with(kFrom)) return Status::Ok();
  uint64_t first = 3;
  if (!std::string_view(buf_).starts_with(kBomFrom)) {
    bool overflowed = false;
    CUSTODIAN_ASSIGN_OR_RETURN(first, Scan<true>(0, 0, 0, &overflowed));
  }
  internal::Report(on_problem_, origin_,
                   first == size_
                       ? "no From_ line: all " + std::to_string(first) + " bytes skipped"
                       : "skipped " + std::to_string(first) + " bytes before the first From_ line");
  pos_ = first;
  return Status::Ok();
}

Result<bool> MboxReader::ReadOne(SourceMessage* out) {
  if (pos_ < buf_off_ || pos_ > buf_off_ + buf_.size()) {  // a Content-Length jumped ahead
    buf_.clear();
    buf_off_ = pos_;
  }
  const uint64_t from_line = pos_;
  const uint64_t limit = limits_.max_message_bytes;
  auto where = [&] { return origin_ + "@" + std::to_string(from_line); };
  bool overflowed = false;
  CUSTODIAN_ASSIGN_OR_RETURN(uint64_t nl, Scan<false>(pos_, pos_, limit, &overflowed));
  if (overflowed) {
    CUSTODIAN_ASSIGN_OR_RETURN(pos_, Scan<true>(nl, nl, 0, &overflowed));
    internal::Report(on_problem_, where(),
                     "From_ line longer than the message limit of " + std::to_string(limit) +
                         " bytes; skipped " + std::to_string(pos_ - from_line) + " bytes");
    return false;
  }
  if (nl == size_) {  // a From_ line without a newline ends the file: an empty message
    out->envelope.assign(Buffered(pos_ + kFrom.size(), size_));
    out->data.clear();
    out->origin = where();
    pos_ = size_;
    return true;
  }
  const bool crlf = nl > pos_ && buf_[size_t(nl - 1 - buf_off_)] == '\r';
  out->envelope.assign(Buffered(pos_ + kFrom.size(), nl - (crlf ? 1 : 0)));
  const uint64_t start = nl + 1;
  // The separator is not part of the message, hence the 2 spare bytes.
  const uint64_t max_keep = limit > UINT64_MAX - 2 ? limit : limit + 2;
  CUSTODIAN_ASSIGN_OR_RETURN(uint64_t next_from, Scan<true>(nl, start, max_keep, &overflowed));
  if (overflowed) {
    internal::Report(on_problem_, where(),
                     "message of about " + std::to_string(next_from - start) +
                         " bytes exceeds the limit of " + std::to_string(limit) + "; skipped");
    pos_ = next_from;
    return false;
  }

  const std::string_view content = Buffered(start, next_from);
  uint64_t end = next_from;
  uint64_t next = next_from;
  bool by_length = false;
  if (variant_ == Format::kMbox || variant_ == Format::kMboxcl || variant_ == Format::kMboxcl2) {
    if (std::optional<ContentLength> cl = FindContentLength(content)) {
      const uint64_t body = start + cl->body;
      if (cl->value <= size_ - body) {
        const uint64_t e = body + cl->value;
        if (variant_ != Format::kMbox || e > next_from) {
          CUSTODIAN_ASSIGN_OR_RETURN(std::optional<uint64_t> after, ContentLengthEnd(e));
          if (after) {
            end = e;
            next = *after;
            by_length = true;
          }
        }
      }
    }
  }
  if (!by_length) {
    const size_t len = content.size();
    size_t t = 0;
    if (crlf && content.ends_with("\r\n")) {
      t = 2;
    } else if (content.ends_with('\n')) {
      t = 1;
    }
    // At end of file the separator is only there if the content ends with an empty line.
    if (next_from == size_ && t > 0 && len > t && content[len - t - 1] != '\n') t = 0;
    end = next_from - t;
  }
  if (end - start > limit) {
    internal::Report(on_problem_, where(),
                     "message of " + std::to_string(end - start) + " bytes exceeds the limit of " +
                         std::to_string(limit) + "; skipped");
    pos_ = next;
    return false;
  }

  bool unquote = false;
  bool mboxrd = false;
  switch (variant_) {
    case Format::kMbox:
      unquote = !by_length;
      mboxrd = true;
      break;
    case Format::kMboxrd:
      unquote = mboxrd = true;
      break;
    case Format::kMboxo:
    case Format::kMboxcl:
      unquote = true;
      break;
    default:
      break;
  }
  out->data.clear();
  if (end <= buf_off_ + buf_.size()) {
    const std::string_view bytes = Buffered(start, end);
    if (unquote) {
      AppendUnquoted(bytes, mboxrd, &out->data);
    } else {
      out->data.append(bytes);
    }
  } else if (unquote) {
    CUSTODIAN_RETURN_IF_ERROR(file_->Read(start, size_t(end - start), &peek_));
    AppendUnquoted(peek_, mboxrd, &out->data);
  } else {
    CUSTODIAN_RETURN_IF_ERROR(file_->Read(start, size_t(end - start), &out->data));
  }
  out->origin = where();
  pos_ = next;
  return true;
}

std::unique_ptr<RandomAccessFile> NewStringFile(std::string_view data) {
  return std::make_unique<StringFile>(data);
}

std::vector<SourceMessage> SplitMbox(std::string_view data, Format variant,
                                     const ProblemCallback& on_problem, const ReadLimits& limits) {
  MboxReader reader(NewStringFile(data), data.size(), variant, "memory", on_problem, limits);
  std::vector<SourceMessage> messages;
  for (;;) {
    SourceMessage m;
    Result<bool> got = reader.Next(&m);
    if (!got.ok() || !*got) break;
    messages.push_back(std::move(m));
  }
  return messages;
}

std::string_view LineEndingOf(std::string_view data) {
  const size_t nl = data.find('\n');
  return nl != std::string_view::npos && nl > 0 && data[nl - 1] == '\r' ? "\r\n" : "\n";
}

std::string SynthesizeEnvelope(int64_t date) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t t = std::time_t(date);
  std::tm tm{};
  if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999) {
    t = 0;  // a date asctime cannot print: fall back to the epoch
    gmtime_r(&t, &tm);
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "MAILER-DAEMON %s %s %2d %02d:%02d:%02d %d", kDays[tm.tm_wday],
                kMonths[tm.tm_mon], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                tm.tm_year + 1900);
  return buf;
}

void MboxEncoder::Add(const ExportMessage& m, std::string* out) {
  if (has_previous_) out->append(separator_);
  separator_ = LineEndingOf(m.data);
  out->append(kFrom);
  if (m.envelope.empty()) {
    out->append(SynthesizeEnvelope(m.date));
  } else {
    const size_t at = out->size();
    out->append(m.envelope);
    // A line break inside the envelope would end the From_ line early.
    std::replace_if(
        out->begin() + std::ptrdiff_t(at), out->end(),
        [](char c) { return c == '\r' || c == '\n'; }, ' ');
  }
  out->append(separator_);
  AppendQuoted(m.data, out);
  has_previous_ = true;
  previous_ends_with_newline_ = m.data.ends_with('\n');
}

void MboxEncoder::Finish(std::string* out) {
  if (has_previous_ && previous_ends_with_newline_) out->append(separator_);
  has_previous_ = false;
}

namespace internal {

namespace {

class MboxSource : public MessageSource {
 public:
  MboxSource(std::unique_ptr<MboxReader> reader, std::string folder)
      : reader_(std::move(reader)), folder_(std::move(folder)) {}
  Result<bool> Next(SourceMessage* out) override {
    CUSTODIAN_ASSIGN_OR_RETURN(bool got, reader_->Next(out));
    if (!got) return false;
    out->folder = folder_;
    HeaderFlags flags = FlagsFromHeaders(out->data);
    out->flags = std::move(flags.flags);
    out->deleted = flags.deleted;
    return true;
  }

 private:
  std::unique_ptr<MboxReader> reader_;
  std::string folder_;
};

}  // namespace

bool LooksLikeMbox(std::string_view head) {
  return head.starts_with(kFrom) || head.starts_with(kBomFrom);
}

Result<std::unique_ptr<MessageSource>> NewMboxFileSource(const std::string& path,
                                                         std::string folder, Format variant,
                                                         ProblemCallback cb, ReadLimits limits) {
  CUSTODIAN_ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file,
                             Env::Default()->OpenRead(path));
  CUSTODIAN_ASSIGN_OR_RETURN(uint64_t size, file->Size());
  auto reader =
      std::make_unique<MboxReader>(std::move(file), size, variant, path, std::move(cb), limits);
  return std::unique_ptr<MessageSource>(new MboxSource(std::move(reader), std::move(folder)));
}

}  // namespace internal
}  // namespace custodian::mailbox
