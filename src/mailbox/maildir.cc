// Maildir and Maildir++ reading, and the folder-name codec the Maildir writer shares.
#include <sys/stat.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "mailbox/internal.h"
#include "util/env.h"

namespace custodian::mailbox::internal {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Only the escapes EncodeMaildirFolder writes, so other '%' in foreign folder names stay as is.
bool IsOurEscape(int byte) { return byte == '.' || byte == '%' || byte < 0x20; }

class MaildirSource : public MessageSource {
 public:
  MaildirSource(std::string root, std::string prefix, ProblemCallback cb, ReadLimits limits)
      : root_(std::move(root)), prefix_(std::move(prefix)), cb_(std::move(cb)), limits_(limits) {}

  Result<bool> Next(SourceMessage* out) override {
    if (!listed_) {
      listed_ = true;
      CUSTODIAN_RETURN_IF_ERROR(ListFolders());
    }
    for (;;) {
      while (file_ < files_.size()) {
        for (; prefetched_ < std::min(files_.size(), file_ + kPrefetchAhead); prefetched_++)
          Prefetch(JoinPath(dir_, files_[prefetched_]));
        const std::string& name = files_[file_++];
        if (name.starts_with(".")) continue;  // editors' and NFS temporary files
        std::string path = JoinPath(dir_, name);
        std::optional<std::string> data = ReadMessageFile(path, limits_, cb_);
        if (!data) continue;
        out->data = std::move(*data);
        out->folder = folders_[folder_ - 1].second;
        out->flags = in_cur_ ? FlagsFromMaildirName(name) : std::string();
        out->deleted = out->flags.find('T') != std::string::npos;
        out->envelope.clear();
        out->origin = std::move(path);
        return true;
      }
      if (!NextDirectory()) return false;
    }
  }

 private:
  Status ListFolders() {
    if (IsMaildir(root_)) folders_.emplace_back(root_, Join("INBOX"));
    CUSTODIAN_ASSIGN_OR_RETURN(std::vector<std::string> names, Env::Default()->ListDir(root_));
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
      if (name.size() < 2 || name[0] != '.') continue;
      std::string dir = JoinPath(root_, name);
      if (IsMaildir(dir)) folders_.emplace_back(std::move(dir), Join(DecodeMaildirFolder(name)));
    }
    return Status::Ok();
  }

  std::string Join(const std::string& folder) const {
    return prefix_.empty() ? folder : prefix_ + "/" + folder;
  }

  // Moves to the next of <folder>/cur, <folder>/new; false when all folders are done.
  bool NextDirectory() {
    for (;;) {
      if (in_cur_ && folder_ > 0) {
        in_cur_ = false;
        dir_ = JoinPath(folders_[folder_ - 1].first, "new");
      } else {
        if (folder_ >= folders_.size()) return false;
        in_cur_ = true;
        dir_ = JoinPath(folders_[folder_++].first, "cur");
      }
      files_.clear();
      file_ = 0;
      prefetched_ = 0;
      if (!IsDirectory(dir_)) continue;
      Result<std::vector<std::string>> names = Env::Default()->ListDir(dir_);
      if (!names.ok()) {
        Report(cb_, dir_, names.status().ToString());
        continue;
      }
      files_ = std::move(*names);
      std::sort(files_.begin(), files_.end());
      return true;
    }
  }

  std::string root_;
  std::string prefix_;
  ProblemCallback cb_;
  ReadLimits limits_;
  bool listed_ = false;
  std::vector<std::pair<std::string, std::string>> folders_;  // (directory, folder name)
  size_t folder_ = 0;  // folders_[folder_ - 1] is the current one
  bool in_cur_ = false;
  std::string dir_;
  std::vector<std::string> files_;
  size_t file_ = 0;
  size_t prefetched_ = 0;  // files_[0, prefetched_) have been handed to Prefetch
};

}  // namespace

bool IsDirectory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool IsMaildir(const std::string& dir) {
  return IsDirectory(JoinPath(dir, "cur")) || IsDirectory(JoinPath(dir, "new"));
}

Result<std::string> EncodeMaildirFolder(std::string_view folder) {
  if (folder.empty() || folder == "INBOX") return std::string();
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  size_t start = 0;
  for (;;) {
    const size_t slash = folder.find('/', start);
    const std::string_view part = folder.substr(start, slash - start);
    if (part.empty()) {
      return Status::InvalidArgument("empty component in folder name \"" + std::string(folder) +
                                     "\"");
    }
    out.push_back('.');
    for (char c : part) {
      if (IsOurEscape(static_cast<unsigned char>(c))) {
        out.push_back('%');
        out.push_back(kHex[static_cast<unsigned char>(c) >> 4]);
        out.push_back(kHex[c & 0xF]);
      } else {
        out.push_back(c);
      }
    }
    if (slash == std::string_view::npos) return out;
    start = slash + 1;
  }
}

std::string DecodeMaildirFolder(std::string_view dir_name) {
  std::string out;
  for (size_t i = 1; i < dir_name.size(); ++i) {
    const char c = dir_name[i];
    if (c == '.') {
      out.push_back('/');
    } else if (c == '%' && i + 2 < dir_name.size() && HexValue(dir_name[i + 1]) >= 0 &&
               HexValue(dir_name[i + 2]) >= 0 &&
               IsOurEscape(HexValue(dir_name[i + 1]) * 16 + HexValue(dir_name[i + 2]))) {
      out.push_back(char(HexValue(dir_name[i + 1]) * 16 + HexValue(dir_name[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::unique_ptr<MessageSource> NewMaildirSource(std::string root, std::string prefix,
                                                ProblemCallback cb, ReadLimits limits) {
  return std::make_unique<MaildirSource>(std::move(root), std::move(prefix), std::move(cb), limits);
}

}  // namespace custodian::mailbox::internal
