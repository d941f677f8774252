// OpenSource: picks the reader for a path; single-message files and directory trees.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "mailbox/internal.h"
#include "mailbox/mailbox.h"
#include "util/env.h"
#include "util/text.h"

namespace custodian::mailbox {
namespace {

constexpr std::array<std::pair<std::string_view, Format>, 9> kFormatNames = {{
    {"auto", Format::kAuto},
    {"maildir", Format::kMaildir},
    {"mbox", Format::kMbox},
    {"mboxo", Format::kMboxo},
    {"mboxrd", Format::kMboxrd},
    {"mboxcl", Format::kMboxcl},
    {"mboxcl2", Format::kMboxcl2},
    {"eml", Format::kEml},
    {"tree", Format::kTree},
}};

std::string FormatName(Format f) {
  for (const auto& [name, format] : kFormatNames)
    if (format == f) return std::string(name);
  return "?";
}

std::string ErrnoText(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

std::string BaseName(std::string_view path) {
  while (path.size() > 1 && path.ends_with('/')) path.remove_suffix(1);
  const size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

// The folder of an mbox file: its path without a ".mbox" extension.
std::string MboxFolder(std::string_view rel_path) {
  if (rel_path.ends_with(".mbox") && rel_path.size() > 5) rel_path.remove_suffix(5);
  return std::string(rel_path);
}

// Files named *.eml are single messages even when they begin with "From " (our eml export writes
// such messages verbatim, and they must come back as they went out).
bool MayBeMbox(std::string_view name) { return !name.ends_with(".eml"); }

enum class FileKind { kSkipped, kMessage, kMbox };

// Reads the message file at `path` into *data, or, with detect_mbox, stops at its first bytes if
// they start an mbox. Trouble is reported and gives kSkipped.
FileKind ReadFileOrDetectMbox(const std::string& path, bool detect_mbox, bool skip_empty,
                              const ReadLimits& limits, const ProblemCallback& cb,
                              std::string* data) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    internal::Report(cb, path, ErrnoText("open"));
    return FileKind::kSkipped;
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    internal::Report(cb, path, ErrnoText("stat"));
    return FileKind::kSkipped;
  }
  if (!S_ISREG(st.st_mode)) {
    internal::Report(cb, path, "not a regular file; skipped");
    return FileKind::kSkipped;
  }
  const uint64_t size = uint64_t(st.st_size);
  if (size == 0 && skip_empty) {
    internal::Report(cb, path, "empty file; skipped");
    return FileKind::kSkipped;
  }
  size_t got = 0;
  auto read_up_to = [&](size_t n) {
    data->resize(n);
    while (got < n) {
      const ssize_t r = ::pread(fd, data->data() + got, n - got, off_t(got));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      got += size_t(r);
    }
    data->resize(got);
    return got == n;
  };
  if (detect_mbox) {
    const size_t head = size_t(std::min<uint64_t>(size, 8));
    if (!read_up_to(head)) {
      internal::Report(cb, path, "could not read the file (" + ErrnoText("read") + ")");
      return FileKind::kSkipped;
    }
    if (internal::LooksLikeMbox(*data)) return FileKind::kMbox;
  }
  if (size > limits.max_message_bytes) {
    internal::Report(cb, path,
                     "message of " + std::to_string(size) + " bytes exceeds the limit of " +
                         std::to_string(limits.max_message_bytes) + "; skipped");
    return FileKind::kSkipped;
  }
  if (!read_up_to(size_t(size))) {
    internal::Report(cb, path, "could not read the whole file (" + ErrnoText("read") + ")");
    return FileKind::kSkipped;
  }
  return FileKind::kMessage;
}

void SetSingleMessage(std::string data, std::string folder, std::string origin,
                      SourceMessage* out) {
  HeaderFlags flags = FlagsFromHeaders(data);
  out->data = std::move(data);
  out->folder = std::move(folder);
  out->flags = std::move(flags.flags);
  out->deleted = flags.deleted;
  out->envelope.clear();
  out->origin = std::move(origin);
}

class EmlSource : public MessageSource {
 public:
  EmlSource(std::string path, std::string data) : path_(std::move(path)), data_(std::move(data)) {}
  Result<bool> Next(SourceMessage* out) override {
    if (done_) return false;
    done_ = true;
    SetSingleMessage(std::move(data_), "", path_, out);
    return true;
  }

 private:
  std::string path_;
  std::string data_;
  bool done_ = false;
};

class EmptySource : public MessageSource {
 public:
  Result<bool> Next(SourceMessage*) override { return false; }
};

// An mbox file met in a tree. One named *.mbox, or holding several messages, is a folder of its
// own; a one-message mbox (the SpamAssassin layout: one mail per file, From_ line first) is just a
// message in its directory's folder, like the Enron files beside it would be.
class TreeMboxSource : public MessageSource {
 public:
  TreeMboxSource(std::unique_ptr<MessageSource> inner, std::string dir_folder, bool named_mbox)
      : inner_(std::move(inner)), dir_folder_(std::move(dir_folder)), named_mbox_(named_mbox) {}

  Result<bool> Next(SourceMessage* out) override {
    if (!started_) {
      started_ = true;
      CUSTODIAN_ASSIGN_OR_RETURN(bool first, inner_->Next(out));
      if (!first) return false;
      Result<bool> second = inner_->Next(&second_);
      if (!second.ok()) {
        deferred_ = second.status();  // give the first message, then the error
      } else {
        has_second_ = *second;
      }
      if (!named_mbox_ && !has_second_) out->folder = dir_folder_;
      return true;
    }
    if (has_second_) {
      has_second_ = false;
      *out = std::move(second_);
      return true;
    }
    if (!deferred_.ok()) return deferred_;
    return inner_->Next(out);
  }

 private:
  std::unique_ptr<MessageSource> inner_;
  std::string dir_folder_;
  bool named_mbox_;
  bool started_ = false, has_second_ = false;
  SourceMessage second_;
  Status deferred_;
};

// One message per regular file, mbox files and Maildirs read as such; see Format::kTree.
class TreeSource : public MessageSource {
 public:
  TreeSource(std::string root, ProblemCallback cb, ReadLimits limits)
      : root_(std::move(root)), cb_(std::move(cb)), limits_(limits) {}

  Status Start() {
    CUSTODIAN_ASSIGN_OR_RETURN(std::vector<std::string> names, Env::Default()->ListDir(root_));
    std::sort(names.begin(), names.end());
    stack_.push_back(Dir{"", std::move(names), 0});
    return Status::Ok();
  }

  Result<bool> Next(SourceMessage* out) override {
    for (;;) {
      if (sub_) {
        Result<bool> got = sub_->Next(out);
        if (got.ok() && *got) return true;
        if (!got.ok()) internal::Report(cb_, sub_path_, got.status().ToString());
        sub_.reset();
        continue;
      }
      if (stack_.empty()) return false;
      Dir& dir = stack_.back();
      if (dir.next == dir.names.size()) {
        stack_.pop_back();
        continue;
      }
      // Keep a window of upcoming entries being read ahead by the kernel.
      for (size_t end = std::min(dir.names.size(), dir.next + internal::kPrefetchAhead); dir.prefetched < end;
           dir.prefetched++) {
        const std::string& n = dir.names[dir.prefetched];
        internal::Prefetch(JoinPath(root_, dir.rel.empty() ? n : dir.rel + "/" + n));
      }
      const std::string& name = dir.names[dir.next++];
      std::string rel = dir.rel.empty() ? name : dir.rel + "/" + name;
      std::string path = JoinPath(root_, rel);
      if (name.starts_with(".")) {
        internal::Report(cb_, path, "hidden entry; skipped");
        continue;
      }
      struct stat st;
      if (::lstat(path.c_str(), &st) != 0) {
        internal::Report(cb_, path, ErrnoText("stat"));
        continue;
      }
      if (S_ISDIR(st.st_mode)) {
        if (internal::IsMaildir(path)) {
          sub_ = internal::NewMaildirSource(path, rel, cb_, limits_);
          sub_path_ = std::move(path);
        } else if (Result<std::vector<std::string>> names = Env::Default()->ListDir(path);
                   names.ok()) {
          std::sort(names->begin(), names->end());
          stack_.push_back(Dir{std::move(rel), std::move(*names), 0});  // invalidates `dir`
        } else {
          internal::Report(cb_, path, names.status().ToString());
        }
        continue;
      }
      if (S_ISLNK(st.st_mode) && internal::IsDirectory(path)) {
        internal::Report(cb_, path, "symbolic link to a directory; skipped");  // could loop
        continue;
      }
      std::string data;
      switch (ReadFileOrDetectMbox(path, MayBeMbox(name), true, limits_, cb_, &data)) {
        case FileKind::kSkipped:
          break;
        case FileKind::kMessage:
          SetSingleMessage(std::move(data), dir.rel, std::move(path), out);
          return true;
        case FileKind::kMbox:
          if (auto src =
                  internal::NewMboxFileSource(path, MboxFolder(rel), Format::kMbox, cb_, limits_);
              src.ok()) {
            sub_ = std::make_unique<TreeMboxSource>(std::move(*src), dir.rel, name.ends_with(".mbox"));
            sub_path_ = std::move(path);
          } else {
            internal::Report(cb_, path, src.status().ToString());
          }
          break;
      }
    }
  }

 private:
  struct Dir {
    std::string rel;  // '/'-joined path below root_, "" for root_ itself
    std::vector<std::string> names;
    size_t next;
    size_t prefetched = 0;  // names[0, prefetched) have been handed to Prefetch
  };

  std::string root_;
  ProblemCallback cb_;
  ReadLimits limits_;
  std::vector<Dir> stack_;
  std::unique_ptr<MessageSource> sub_;  // the Maildir or mbox being read
  std::string sub_path_;
};

Result<std::unique_ptr<MessageSource>> OpenDirectory(const std::string& path, Format format,
                                                     ProblemCallback cb, const ReadLimits& limits) {
  if (format == Format::kMaildir || internal::IsMaildir(path))
    return internal::NewMaildirSource(path, "", std::move(cb), limits);
  auto tree = std::make_unique<TreeSource>(path, std::move(cb), limits);
  CUSTODIAN_RETURN_IF_ERROR(tree->Start());
  return std::unique_ptr<MessageSource>(std::move(tree));
}

}  // namespace

Result<Format> ParseFormat(std::string_view name) {
  for (const auto& [n, format] : kFormatNames)
    if (EqualsIgnoreCaseAscii(n, name)) return format;
  return Status::InvalidArgument(
      "unknown mailbox format \"" + std::string(name) +
      "\" (expected auto, maildir, mbox, mboxo, mboxrd, mboxcl, mboxcl2, eml or tree)");
}

Result<std::unique_ptr<MessageSource>> OpenSource(const std::string& path, Format format,
                                                  ProblemCallback on_problem,
                                                  const ReadLimits& limits) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::NotFound(path);
    return Status::IOError(path + ": " + ErrnoText("stat"));
  }
  if (S_ISDIR(st.st_mode)) {
    if (format != Format::kAuto && format != Format::kTree && format != Format::kMaildir) {
      return Status::InvalidArgument("format " + FormatName(format) + " reads a file, and " + path +
                                     " is a directory");
    }
    return OpenDirectory(path, format, std::move(on_problem), limits);
  }
  if (format == Format::kMaildir)
    return Status::InvalidArgument("format maildir reads a directory, and " + path + " is not");
  const std::string mbox_folder = MboxFolder(BaseName(path));
  if (format != Format::kAuto && format != Format::kTree && format != Format::kEml) {
    return internal::NewMboxFileSource(path, mbox_folder, format, std::move(on_problem), limits);
  }
  std::string data;
  const bool detect = format != Format::kEml && MayBeMbox(path);
  switch (ReadFileOrDetectMbox(path, detect, true, limits, on_problem, &data)) {
    case FileKind::kSkipped:
      return std::unique_ptr<MessageSource>(new EmptySource);
    case FileKind::kMessage:
      return std::unique_ptr<MessageSource>(new EmlSource(path, std::move(data)));
    case FileKind::kMbox:
      break;
  }
  return internal::NewMboxFileSource(path, mbox_folder, Format::kMbox, std::move(on_problem),
                                     limits);
}

namespace internal {

void Prefetch(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return;  // the real read reports any trouble
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED);
  ::close(fd);
}


void Report(const ProblemCallback& cb, std::string origin, std::string reason) {
  if (cb) cb(SourceProblem{std::move(origin), std::move(reason)});
}

std::optional<std::string> ReadMessageFile(const std::string& path, const ReadLimits& limits,
                                           const ProblemCallback& cb) {
  std::string data;
  if (ReadFileOrDetectMbox(path, false, false, limits, cb, &data) != FileKind::kMessage)
    return std::nullopt;
  return data;
}

}  // namespace internal
}  // namespace custodian::mailbox
