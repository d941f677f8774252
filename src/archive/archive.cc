#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "archive/archive_impl.h"
#include "mime/message.h"
#include "ledger/record.h"
#include "util/digest.h"
#include "util/text.h"

namespace custodian {
namespace {
constexpr char kFormatLine[] = "custodian-archive 1\n";
}

std::string MasterKeyPath(const std::string& dir) {
  const char* env = std::getenv("CUSTODIAN_MASTER_KEY_FILE");
  if (env && *env) return env;
  return JoinPath(KeysDir(dir), "master.key");
}

std::string LedgerKeyPath(const std::string& dir) {
  const char* env = std::getenv("CUSTODIAN_LEDGER_KEY_FILE");
  if (env && *env) return env;
  return JoinPath(KeysDir(dir), "ledger.key");
}

uint64_t NowMs() {
  return uint64_t(std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count());
}

Status Archive::Init(const std::string& dir) {
  Env* env = Env::Default();
  if (env->Exists(dir)) {
    CUSTODIAN_ASSIGN_OR_RETURN(auto names, env->ListDir(dir));
    if (!names.empty()) {
      if (env->Exists(JoinPath(dir, "FORMAT"))) return Status::AlreadyExists("an archive already exists at " + dir);
      return Status::AlreadyExists(dir + " is not empty; choose a new directory for the archive");
    }
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create " + dir + ": " + ec.message());
  CUSTODIAN_RETURN_IF_ERROR(env->CreateDir(KeysDir(dir), 0700));
  ::chmod(KeysDir(dir).c_str(), 0700);
  CUSTODIAN_RETURN_IF_ERROR(env->CreateDir(SegmentsDir(dir)));
  std::string key_path = MasterKeyPath(dir);
  // An external key (CUSTODIAN_MASTER_KEY_FILE) that already exists is reused.
  CUSTODIAN_ASSIGN_OR_RETURN(store::Keys keys, env->Exists(key_path) ? store::Keys::Load(env, key_path)
                                                                     : store::Keys::Create(env, key_path));
  {
    CUSTODIAN_ASSIGN_OR_RETURN(auto cat, catalog::Catalog::Open(CatalogPath(dir), false, keys.CatalogKey()));
    CUSTODIAN_RETURN_IF_ERROR(cat->SetMeta("created", std::to_string(::time(nullptr))));
    CUSTODIAN_RETURN_IF_ERROR(index::Index::Open(cat->db(), false).status());
  }
  // FORMAT is written last: a directory without it is not (yet) an archive.
  CUSTODIAN_RETURN_IF_ERROR(env->WriteFileAtomic(JoinPath(dir, "FORMAT"), kFormatLine));
  // The first open for writing creates the ledger's key and its first checkpoint.
  return Open(dir, Mode::kWrite).status();
}

Result<std::unique_ptr<Archive>> Archive::Open(const std::string& dir, Mode mode) {
  Env* env = Env::Default();
  auto format = env->ReadFile(JoinPath(dir, "FORMAT"));
  if (!format.ok())
    return Status::NotFound("no archive at " + dir + " (run `custodian --archive " + dir + " init` first)");
  if (*format != kFormatLine)
    return Status::Unsupported("archive at " + dir + " has format '" + std::string(TrimAscii(*format)) +
                               "', this build reads '" + std::string(TrimAscii(kFormatLine)) + "'");
  int lock_fd = -1;
  if (mode == Mode::kWrite) {
    lock_fd = ::open(JoinPath(dir, "lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock_fd < 0) return Status::IOError("cannot open the archive lock: " + std::string(std::strerror(errno)));
    if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
      ::close(lock_fd);
      return Status::IOError("another process is writing to the archive at " + dir);
    }
  }
  auto keys = store::Keys::Load(env, MasterKeyPath(dir));
  if (!keys.ok()) {
    if (lock_fd >= 0) ::close(lock_fd);
    return keys.status();
  }
  auto cat = catalog::Catalog::Open(CatalogPath(dir), mode == Mode::kReadOnly, keys->CatalogKey());
  if (!cat.ok()) {
    if (lock_fd >= 0) ::close(lock_fd);
    return cat.status();
  }
  auto active = (*cat)->ActiveSegment();
  if (!active.ok()) {
    if (lock_fd >= 0) ::close(lock_fd);
    return active.status();
  }
  auto segs = store::LocalSegmentStore::Open(env, SegmentsDir(dir), *active, mode == Mode::kReadOnly);
  if (!segs.ok()) {
    if (lock_fd >= 0) ::close(lock_fd);
    return segs.status();
  }
  auto ix = index::Index::Open((*cat)->db(), mode == Mode::kReadOnly);
  if (!ix.ok()) {
    if (lock_fd >= 0) ::close(lock_fd);
    return ix.status();
  }
  auto ledger = preserve::Ledger::Open((*cat)->db(), mode == Mode::kReadOnly);
  auto policies = ledger.ok() ? preserve::Policies::Open((*cat)->db(), mode == Mode::kReadOnly)
                              : Result<std::unique_ptr<preserve::Policies>>(ledger.status());
  if (!policies.ok()) {
    if (lock_fd >= 0) ::close(lock_fd);
    return policies.status();
  }
  // GMime starts on the first parse (mime::InitMime), not here: most commands never parse.
  std::unique_ptr<ArchiveImpl> a(new ArchiveImpl(dir, mode, lock_fd, *keys, std::move(*cat), std::move(*ix),
                                                 std::move(*segs), std::move(*ledger), std::move(*policies)));
  if (mode == Mode::kWrite) {
    CUSTODIAN_RETURN_IF_ERROR(a->StartLedger());
    CUSTODIAN_RETURN_IF_ERROR(a->RemoveCompactedSegments());  // after a crash mid-compaction
    // A crash between a disposal's commit and its log truncation leaves old page images (with
    // destroyed seeds) in the write-ahead log: empty it now. Busy (a reader open) is not an error.
    (void)a->catalog()->CheckpointWal();
  }
  return std::unique_ptr<Archive>(std::move(a));
}

Status ArchiveImpl::StartLedger() {
  Env* env = Env::Default();
  std::string path = LedgerKeyPath(dir_);
  if (ledger_->started()) {
    auto text = env->ReadFile(path);
    if (!text.ok())
      return Status::NotFound("cannot read the ledger's signing key " + path + " (" + text.status().message() +
                              "); without it no change can be signed. Set CUSTODIAN_LEDGER_KEY_FILE if it is kept elsewhere");
    auto key = ledger::SignerKey::Parse(TrimAscii(*text));
    if (!key.ok()) return Status::Corruption("ledger key " + path + ": " + key.status().message());
    if (!(key->verifier().public_key == ledger_->verifier_key()->public_key) ||
        key->name() != ledger_->verifier_key()->name)
      return Status::Corruption("ledger key " + path + " is not the key this archive's ledger was started with (" +
                                ledger::FormatVerifierKey(*ledger_->verifier_key()) + ")");
    signer_ = std::move(*key);
    return Status::Ok();
  }
  // A new archive, or one from before the ledger: a key (unless one is kept elsewhere already),
  // then every message and copy already held becomes a record, in one transaction.
  if (env->Exists(path)) {
    CUSTODIAN_ASSIGN_OR_RETURN(std::string text, env->ReadFile(path));
    auto key = ledger::SignerKey::Parse(TrimAscii(text));
    if (!key.ok()) return Status::Corruption("ledger key " + path + ": " + key.status().message());
    signer_ = std::move(*key);
  } else {
    Sha256 salt = ComputeSha256(std::to_string(NowMs()) + dir_ + ToHex(store::Keys::NewSeed().data(), 32));
    CUSTODIAN_ASSIGN_OR_RETURN(auto key, ledger::SignerKey::Generate("custodian-archive/" + ToHex(salt).substr(0, 16)));
    CUSTODIAN_RETURN_IF_ERROR(env->WriteFileAtomic(path, key.Format() + "\n", 0600));
    signer_ = std::move(key);
  }
  CUSTODIAN_RETURN_IF_ERROR(env->WriteFileAtomic(JoinPath(KeysDir(dir_), "ledger.pub"),
                                                 ledger::FormatVerifierKey(signer_->verifier()) + "\n", 0644));
  return InTransaction([&]() -> Status {
    CUSTODIAN_RETURN_IF_ERROR(ledger_->Start(signer_->verifier()));
    CUSTODIAN_ASSIGN_OR_RETURN(catalog::CatalogStats st, catalog_->Stats());
    ledger::Record start;
    start.type = ledger::RecordType::kAudit;
    start.time_ms = NowMs();
    start.actor = "custodian";
    start.name = "ledger started";
    start.detail = std::to_string(st.messages) + " messages and " + std::to_string(st.copies) +
                   " copies already in the archive are recorded next";
    CUSTODIAN_RETURN_IF_ERROR(ledger_->Append(start).status());
    std::vector<catalog::MessageRow> rows;
    CUSTODIAN_RETURN_IF_ERROR(catalog_->ForEachMessage([&](const catalog::MessageRow& m) {
      rows.push_back(m);
      return Status::Ok();
    }));
    for (const auto& m : rows) {
      CUSTODIAN_ASSIGN_OR_RETURN(auto copies, catalog_->CopiesOf(m.msg));
      for (size_t i = 0; i < copies.size(); i++) {
        ledger::Record r;
        r.type = i == 0 ? ledger::RecordType::kMessageStored : ledger::RecordType::kCopyAdded;
        r.time_ms = uint64_t(m.added) * 1000;
        r.actor = "custodian";
        r.message = m.id;
        if (i == 0) r.size = m.size;
        r.custodian = copies[i].custodian;
        r.folder = copies[i].folder;
        r.deleted = copies[i].deleted;
        CUSTODIAN_ASSIGN_OR_RETURN(uint64_t leaf, ledger_->Append(r));
        if (i == 0) CUSTODIAN_RETURN_IF_ERROR(catalog_->SetMessageLeaf(m.msg, int64_t(leaf)));
      }
    }
    return Status::Ok();
  });
}

Status ArchiveImpl::CommitWithLedger() {
  Status st = signer_ ? ledger_->Seal(*signer_, NowMs()) : Status::Ok();
  if (st.ok()) st = catalog_->Commit();
  if (!st.ok()) {
    RollbackWithLedger();
    return st;
  }
  ledger_->Committed();
  return Status::Ok();
}

void ArchiveImpl::RollbackWithLedger() {
  (void)catalog_->Rollback();
  ledger_->RolledBack();
}

Status ArchiveImpl::InTransaction(const std::function<Status()>& fn) {
  if (mode_ != Mode::kWrite) return Status::Internal("archive opened read-only");
  CUSTODIAN_RETURN_IF_ERROR(catalog_->Begin());
  Status st = fn();
  if (!st.ok()) {
    RollbackWithLedger();
    return st;
  }
  return CommitWithLedger();
}

ArchiveImpl::~ArchiveImpl() {
  ledger_.reset();
  policies_.reset();
  index_.reset();
  catalog_.reset();
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

Result<std::string> ArchiveImpl::ResolveId(const std::string& input) {
  std::string p = ToLowerAscii(TrimAscii(input));
  if (p.size() < 4 || p.size() > 64 || !IsHex(p))
    return Status::InvalidArgument("'" + input + "' is not a message id (64 hex digits, or a prefix of at least 4)");
  CUSTODIAN_ASSIGN_OR_RETURN(auto ids, catalog_->FindByPrefix(p, 2));
  if (ids.empty()) return Status::NotFound("no message with id " + input);
  if (ids.size() > 1) return Status::InvalidArgument("id prefix " + input + " is ambiguous; give more digits");
  return ToHex(ids[0]);
}

Status ArchiveImpl::LoadDictionaries() {
  if (dicts_loaded_) return Status::Ok();
  CUSTODIAN_RETURN_IF_ERROR(catalog_->ForEachDictionary([&](uint32_t id, std::string_view bytes) {
    auto d = store::Dictionary::Create(id, std::string(bytes));
    if (!d) return Status::Corruption("dictionary " + std::to_string(id) + " in the catalog is not a zstd dictionary");
    dicts_[id] = std::move(d);
    return Status::Ok();
  }));
  dicts_loaded_ = true;
  return Status::Ok();
}

store::DictionaryLookup ArchiveImpl::Dicts() const {
  return [this](uint32_t id) -> const store::Dictionary* {
    auto it = dicts_.find(id);
    return it == dicts_.end() ? nullptr : it->second.get();
  };
}

Result<const store::Dictionary*> ArchiveImpl::TextDictionary() {
  CUSTODIAN_RETURN_IF_ERROR(LoadDictionaries());
  if (dicts_.empty()) return nullptr;
  return dicts_.rbegin()->second.get();
}

Status ArchiveImpl::TrainTextDictionary(const std::vector<std::string_view>& samples) {
  CUSTODIAN_RETURN_IF_ERROR(LoadDictionaries());
  if (!dicts_.empty()) return Status::Ok();
  std::vector<std::string_view> sample;
  size_t bytes = 0;
  for (auto s : samples) {
    if (bytes > (8u << 20)) break;  // enough to learn from; training time grows with the sample
    sample.push_back(s);
    bytes += s.size();
  }
  std::string dict = store::TrainDictionary(sample, 64 << 10);
  if (dict.empty()) return Status::Ok();  // too little yet: these texts go without one
  // A transaction of its own, committed before any block uses the dictionary: a batch that
  // fails later cannot take the dictionary with it.
  CUSTODIAN_RETURN_IF_ERROR(catalog_->Begin());
  auto id = catalog_->AddDictionary(dict);
  Status st = id.ok() ? catalog_->Commit() : id.status();
  if (!st.ok()) {
    (void)catalog_->Rollback();
    return st;
  }
  auto d = store::Dictionary::Create(*id, std::move(dict));
  if (!d) return Status::Internal("a freshly trained dictionary does not load");
  dicts_[*id] = std::move(d);
  return Status::Ok();
}

Result<const store::DecodedBlock*> ArchiveImpl::LoadBlock(int64_t block_id) {
  if (cached_block_ && int64_t(cached_block_->block_id) == block_id) return cached_block_.get();
  CUSTODIAN_ASSIGN_OR_RETURN(catalog::BlockRow b, catalog_->GetBlock(block_id));
  CUSTODIAN_ASSIGN_OR_RETURN(std::string rec, segments_->Read(b.loc));
  CUSTODIAN_RETURN_IF_ERROR(LoadDictionaries());
  // Text blocks stay compressed entry by entry: a snippet needs one text, not its neighbours.
  auto decoded = store::DecodeBlock(std::move(rec), keys_.BlockKey(b.seed), Dicts(), /*expand=*/false);
  if (!decoded.ok())
    return Status::Corruption("block " + std::to_string(block_id) + " at segment " + std::to_string(b.loc.segment) +
                              " offset " + std::to_string(b.loc.offset) + ": " + decoded.status().message());
  if (int64_t(decoded->block_id) != block_id)
    return Status::Corruption("segment " + std::to_string(b.loc.segment) + " offset " + std::to_string(b.loc.offset) +
                              " holds block " + std::to_string(decoded->block_id) + ", not " + std::to_string(block_id));
  cached_block_ = std::make_unique<store::DecodedBlock>(std::move(*decoded));
  return cached_block_.get();
}

Result<std::string> ArchiveImpl::ReadRow(const catalog::MessageRow& row) {
  CUSTODIAN_ASSIGN_OR_RETURN(const store::DecodedBlock* b, LoadBlock(row.block_id));
  if (row.slot >= b->ids.size())
    return Status::Corruption("message " + ToHex(row.id) + ": slot " + std::to_string(row.slot) +
                              " is past the end of block " + std::to_string(row.block_id));
  std::string entry;
  std::string_view data;
  if (b->expanded) {
    data = b->message(row.slot);
  } else {
    CUSTODIAN_ASSIGN_OR_RETURN(entry, store::DecodeEntry(*b, row.slot, Dicts()));
    data = entry;
  }
  if (b->ids[row.slot] != row.id || ComputeSha256(data) != row.id)
    return Status::Corruption("message " + ToHex(row.id) + ": stored bytes do not match its digest");
  return std::string(data);
}

Result<std::string> ArchiveImpl::ReadMessage(const std::string& id) {
  auto sha = Sha256FromHex(id);
  if (!sha) return Status::InvalidArgument("not a full message id: " + id);
  CUSTODIAN_ASSIGN_OR_RETURN(auto msg, catalog_->FindMessage(*sha));
  if (!msg) return Status::NotFound("no message with id " + id);
  CUSTODIAN_ASSIGN_OR_RETURN(catalog::MessageRow row, catalog_->GetMessage(*msg));
  return ReadRow(row);
}

MessageInfo ArchiveImpl::ToInfo(const catalog::MessageRow& row) {
  MessageInfo info;
  info.id = ToHex(row.id);
  info.size = row.size;
  info.date = row.date;
  info.from = row.from;
  info.subject = row.subject;
  info.message_id = row.message_id;
  info.in_reply_to = row.in_reply_to;
  if (!row.problems.empty()) info.problems = Split(row.problems, '\n');
  return info;
}

Result<MessageInfo> ArchiveImpl::Describe(const std::string& id) {
  auto sha = Sha256FromHex(id);
  if (!sha) return Status::InvalidArgument("not a full message id: " + id);
  CUSTODIAN_ASSIGN_OR_RETURN(auto msg, catalog_->FindMessage(*sha));
  if (!msg) return Status::NotFound("no message with id " + id);
  CUSTODIAN_ASSIGN_OR_RETURN(catalog::MessageRow row, catalog_->GetMessage(*msg));
  MessageInfo info = ToInfo(row);
  CUSTODIAN_ASSIGN_OR_RETURN(auto copies, catalog_->CopiesOf(*msg));
  for (const auto& c : copies) info.copies.push_back({c.custodian, c.folder, c.flags, c.deleted});
  return info;
}

Status ArchiveImpl::List(const ListFilter& filter, const std::function<Status(const ListEntry&)>& fn) {
  if (filter.custodian) {
    CUSTODIAN_ASSIGN_OR_RETURN(bool exists, catalog_->CustodianExists(*filter.custodian));
    if (!exists) return Status::NotFound("no custodian named '" + *filter.custodian + "' in this archive");
  }
  catalog::CopyFilter f{filter.custodian, filter.folder, filter.include_deleted, false, filter.limit};
  return catalog_->ForEachCopy(f, [&](const catalog::CopyRow& c, const catalog::MessageRow& m) {
    ListEntry e{ToInfo(m)};
    e.message.copies.push_back({c.custodian, c.folder, c.flags, c.deleted});
    return fn(e);
  });
}

static uint64_t TreeBytes(const std::string& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code e2;
    if (it->is_regular_file(e2)) total += it->file_size(e2);
  }
  return total;
}

Result<ArchiveStats> ArchiveImpl::Stats() {
  CUSTODIAN_ASSIGN_OR_RETURN(catalog::CatalogStats cs, catalog_->Stats());
  ArchiveStats s;
  s.messages = cs.messages;
  s.copies = cs.copies;
  s.raw_bytes = cs.raw_bytes;
  s.flagged = cs.flagged;
  s.blocks = cs.blocks;
  for (const auto& c : cs.per_custodian)
    s.custodians.push_back({c.name, c.messages, c.copies, c.raw_bytes, c.folders, c.deleted});
  s.segment_bytes = TreeBytes(SegmentsDir(dir_));
  for (const char* f : {"catalog.db", "catalog.db-wal"}) {
    auto sz = Env::Default()->FileSize(JoinPath(dir_, f));
    if (sz.ok()) s.catalog_bytes += *sz;
  }
  s.disk_bytes = TreeBytes(dir_);
  CUSTODIAN_ASSIGN_OR_RETURN(auto sizes, catalog_->TableSizes());
  for (const auto& [name, bytes] : sizes)
    if (name == "words" || name == "names") s.word_index_bytes += bytes;
    else if (name == "grams" || name == "gram_segments") s.trigram_index_bytes += bytes;
  s.catalog_tables = sizes;
  CUSTODIAN_ASSIGN_OR_RETURN(s.catalog_free_bytes, catalog_->FreeBytes());
  CUSTODIAN_ASSIGN_OR_RETURN(s.text_bytes, catalog_->BlockBytes(catalog::BlockKind::kTexts));
  CUSTODIAN_ASSIGN_OR_RETURN(s.texts, index_->TextCount());
  CUSTODIAN_ASSIGN_OR_RETURN(s.word_stemmer, index_->WordStemmer());
  CUSTODIAN_ASSIGN_OR_RETURN(auto dkim, catalog_->SummarizeDkim());
  s.dkim_verdicts = dkim.verdicts;
  s.dkim_unchecked = dkim.unchecked;
  s.dkim_keys = dkim.keys;
  return s;
}

}  // namespace custodian
