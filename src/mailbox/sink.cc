// Export: mbox (mboxrd), Maildir++ and eml layouts; see OpenSink in mailbox.h.
//
// Crash safety: nothing appears under its final name before its bytes are durable. eml and
// Maildir files are written under a temporary name (".<id>.eml.tmp", Maildir tmp/), fsynced in
// batches and then renamed into place; an mbox file is written as ".<name>.mbox.tmp" and renamed
// by Finish(). Leftover temporaries are dot-files, which imports skip (and report).
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "mailbox/internal.h"
#include "mailbox/mailbox.h"
#include "mailbox/mbox.h"
#include "util/digest.h"
#include "util/env.h"
#include "util/text.h"

namespace custodian::mailbox {
namespace {

constexpr size_t kBatchFiles = 256;       // eml / Maildir files fsynced together
constexpr size_t kMaxOpenMboxFiles = 64;  // beyond this, mbox files are closed and reopened

// The components of `folder` usable below the export directory: empty and "." components are
// dropped, a leading '.' (hidden files, "..") becomes '_' and NUL becomes '_'.
std::vector<std::string> SafeComponents(std::string_view folder) {
  std::vector<std::string> parts;
  for (std::string& p : Split(folder, '/')) {
    if (p.empty() || p == ".") continue;
    if (p[0] == '.') p[0] = '_';
    std::replace(p.begin(), p.end(), '\0', '_');
    parts.push_back(std::move(p));
  }
  return parts;
}

// The message id in hex, computed when the caller left it out.
std::string IdHex(const ExportMessage& m) {
  if (m.id_hex.size() >= 16 && IsHex(m.id_hex)) return ToLowerAscii(m.id_hex);
  return ToHex(ComputeSha256(m.data));
}

// Creates directories once and remembers which directories need an fsync at the end.
class Directories {
 public:
  explicit Directories(Env* env) : env_(env) {}

  // Creates base/parts[0]/parts[1]/... and returns its path.
  Result<std::string> Make(const std::string& base, const std::vector<std::string>& parts) {
    std::string path = base;
    for (const std::string& part : parts) {
      std::string child = JoinPath(path, part);
      CUSTODIAN_RETURN_IF_ERROR(Make(child));
      path = std::move(child);
    }
    return path;
  }

  Status Make(const std::string& path) {
    if (!made_.insert(path).second) return Status::Ok();
    CUSTODIAN_RETURN_IF_ERROR(env_->CreateDir(path));
    to_sync_.insert(DirName(path));  // its entry in the parent
    return Status::Ok();
  }

  void NeedsSync(const std::string& dir) { to_sync_.insert(dir); }

  Status SyncAll() {
    for (const std::string& dir : to_sync_) CUSTODIAN_RETURN_IF_ERROR(env_->SyncDir(dir));
    to_sync_.clear();
    return Status::Ok();
  }

 private:
  Env* env_;
  std::set<std::string> made_;
  std::set<std::string> to_sync_;
};

// Files written under a temporary name and renamed into place once fsynced, in batches.
class AtomicFiles {
 public:
  AtomicFiles(Env* env, Directories* dirs) : env_(env), dirs_(dirs) {}

  Status Write(std::string tmp, std::string final_path, std::string_view data) {
    if (env_->Exists(tmp)) CUSTODIAN_RETURN_IF_ERROR(env_->RemoveFile(tmp));  // a crash's leftover
    CUSTODIAN_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> f, env_->OpenAppendable(tmp));
    CUSTODIAN_RETURN_IF_ERROR(f->Append(data));
    CUSTODIAN_RETURN_IF_ERROR(f->Close());
    pending_.emplace_back(std::move(tmp), std::move(final_path));
    return pending_.size() >= kBatchFiles ? Flush() : Status::Ok();
  }

  // Syncing a whole batch before any rename lets the kernel write the files out together.
  Status Flush() {
    for (const auto& [tmp, final_path] : pending_) {
      CUSTODIAN_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> f, env_->OpenAppendable(tmp));
      CUSTODIAN_RETURN_IF_ERROR(f->Sync());
      CUSTODIAN_RETURN_IF_ERROR(f->Close());
    }
    for (const auto& [tmp, final_path] : pending_) {
      CUSTODIAN_RETURN_IF_ERROR(env_->Rename(tmp, final_path));
      dirs_->NeedsSync(DirName(tmp));
      dirs_->NeedsSync(DirName(final_path));
    }
    pending_.clear();
    return dirs_->SyncAll();
  }

 private:
  Env* env_;
  Directories* dirs_;
  std::vector<std::pair<std::string, std::string>> pending_;
};

class EmlSink : public MessageSink {
 public:
  explicit EmlSink(std::string dir) : dir_(std::move(dir)) {}

  Status Add(const ExportMessage& m) override {
    CUSTODIAN_ASSIGN_OR_RETURN(std::string folder_dir, dirs_.Make(dir_, SafeComponents(m.folder)));
    const std::string id = IdHex(m);
    return files_.Write(JoinPath(folder_dir, "." + id + ".eml.tmp"),
                        JoinPath(folder_dir, id + ".eml"), m.data);
  }

  Status Finish() override {
    CUSTODIAN_RETURN_IF_ERROR(files_.Flush());
    return dirs_.SyncAll();
  }

 private:
  std::string dir_;
  Directories dirs_{Env::Default()};
  AtomicFiles files_{Env::Default(), &dirs_};
};

class MaildirSink : public MessageSink {
 public:
  explicit MaildirSink(std::string dir) : dir_(std::move(dir)) {}

  // The root is a Maildir even with no INBOX message, so that the export reads back as one.
  Status Start() { return MakeMaildir(dir_, false); }

  Status Add(const ExportMessage& m) override {
    CUSTODIAN_ASSIGN_OR_RETURN(std::string sub, internal::EncodeMaildirFolder(m.folder));
    const std::string folder_dir = sub.empty() ? dir_ : JoinPath(dir_, sub);
    if (!sub.empty()) CUSTODIAN_RETURN_IF_ERROR(MakeMaildir(folder_dir, true));
    const std::string name = std::to_string(m.date) + "." + IdHex(m).substr(0, 16) +
                             ".custodian:2," + internal::NormalizeFlags(m.flags);
    return files_.Write(JoinPath(folder_dir, "tmp/" + name), JoinPath(folder_dir, "cur/" + name),
                        m.data);
  }

  Status Finish() override {
    CUSTODIAN_RETURN_IF_ERROR(files_.Flush());
    return dirs_.SyncAll();
  }

 private:
  Status MakeMaildir(const std::string& path, bool subfolder) {
    if (made_.count(path)) return Status::Ok();
    CUSTODIAN_RETURN_IF_ERROR(dirs_.Make(path));
    for (const char* sub : {"cur", "new", "tmp"})
      CUSTODIAN_RETURN_IF_ERROR(dirs_.Make(JoinPath(path, sub)));
    if (subfolder) {  // the Maildir++ marker of a subfolder
      CUSTODIAN_ASSIGN_OR_RETURN(auto f,
                                 Env::Default()->OpenAppendable(JoinPath(path, "maildirfolder")));
      CUSTODIAN_RETURN_IF_ERROR(f->Close());
      dirs_.NeedsSync(path);
    }
    made_.insert(path);
    return Status::Ok();
  }

  std::string dir_;
  std::set<std::string> made_;
  Directories dirs_{Env::Default()};
  AtomicFiles files_{Env::Default(), &dirs_};
};

class MboxSink : public MessageSink {
 public:
  explicit MboxSink(std::string dir) : dir_(std::move(dir)) {}

  Status Add(const ExportMessage& m) override {
    std::vector<std::string> parts = SafeComponents(m.folder);
    if (parts.empty()) parts.push_back("INBOX");
    const std::string name = parts.back() + ".mbox";
    parts.pop_back();
    CUSTODIAN_ASSIGN_OR_RETURN(std::string parent, dirs_.Make(dir_, parts));
    std::string final_path = JoinPath(parent, name);
    auto [it, inserted] = targets_.try_emplace(final_path);
    Target& t = it->second;
    if (inserted) {
      if (env_->Exists(final_path)) {
        targets_.erase(it);
        return Status::AlreadyExists(final_path + " exists; export into an empty directory");
      }
      t.tmp = JoinPath(parent, "." + name + ".tmp");
      t.final_path = std::move(final_path);
      if (env_->Exists(t.tmp)) CUSTODIAN_RETURN_IF_ERROR(env_->RemoveFile(t.tmp));
    }
    CUSTODIAN_RETURN_IF_ERROR(Open(&t));
    scratch_.clear();
    t.encoder.Add(m, &scratch_);
    return t.file->Append(scratch_);
  }

  Status Finish() override {
    for (auto& [path, t] : targets_) {
      CUSTODIAN_RETURN_IF_ERROR(Open(&t));
      scratch_.clear();
      t.encoder.Finish(&scratch_);
      CUSTODIAN_RETURN_IF_ERROR(t.file->Append(scratch_));
      CUSTODIAN_RETURN_IF_ERROR(t.file->Sync());
      CUSTODIAN_RETURN_IF_ERROR(t.file->Close());
      t.file.reset();
      --open_;
      CUSTODIAN_RETURN_IF_ERROR(env_->Rename(t.tmp, t.final_path));
      dirs_.NeedsSync(DirName(t.final_path));
    }
    targets_.clear();
    return dirs_.SyncAll();
  }

 private:
  struct Target {
    std::string tmp;
    std::string final_path;
    std::unique_ptr<WritableFile> file;  // null while closed to save descriptors
    MboxEncoder encoder;
    uint64_t last_use = 0;
  };

  Status Open(Target* t) {
    t->last_use = ++clock_;
    if (t->file) return Status::Ok();
    if (open_ >= kMaxOpenMboxFiles) {
      Target* lru = nullptr;
      for (auto& [path, other] : targets_)
        if (other.file && (!lru || other.last_use < lru->last_use)) lru = &other;
      CUSTODIAN_RETURN_IF_ERROR(lru->file->Close());
      lru->file.reset();
      --open_;
    }
    CUSTODIAN_ASSIGN_OR_RETURN(t->file, env_->OpenAppendable(t->tmp));
    ++open_;
    return Status::Ok();
  }

  Env* env_ = Env::Default();
  std::string dir_;
  Directories dirs_{Env::Default()};
  std::map<std::string, Target> targets_;  // by final path
  size_t open_ = 0;
  uint64_t clock_ = 0;
  std::string scratch_;
};

}  // namespace

Result<std::unique_ptr<MessageSink>> OpenSink(const std::string& dir, Format format) {
  if (dir.empty()) return Status::InvalidArgument("empty export directory");
  // Create the directory and any missing parents.
  for (size_t slash = dir.find('/', 1); slash != std::string::npos;
       slash = dir.find('/', slash + 1))
    CUSTODIAN_RETURN_IF_ERROR(Env::Default()->CreateDir(dir.substr(0, slash)));
  CUSTODIAN_RETURN_IF_ERROR(Env::Default()->CreateDir(dir));
  switch (format) {
    case Format::kMbox:
    case Format::kMboxrd:
      return std::unique_ptr<MessageSink>(new MboxSink(dir));
    case Format::kMaildir: {
      auto sink = std::make_unique<MaildirSink>(dir);
      CUSTODIAN_RETURN_IF_ERROR(sink->Start());
      return std::unique_ptr<MessageSink>(std::move(sink));
    }
    case Format::kEml:
      return std::unique_ptr<MessageSink>(new EmlSink(dir));
    default:
      return Status::InvalidArgument("cannot export as this format; use mbox, maildir or eml");
  }
}

}  // namespace custodian::mailbox
