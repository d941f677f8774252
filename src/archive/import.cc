// Import: sources -> parse (in parallel) -> dedup, blocks, catalog (one writer, group commit).
//
// A batch is read and parsed on worker threads while the previous batch is written, so both
// cores stay busy. Nothing is reported stored until its batch's segment bytes are fsynced and
// its catalog transaction has committed (docs/storage-format.md, "Writing and durability").

#include <atomic>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "archive/archive_impl.h"
#include "archive/authenticity.h"
#include "index/index.h"
#include "ledger/record.h"
#include "mailbox/mailbox.h"
#include "mime/message.h"
#include "util/digest.h"
#include "util/text.h"

namespace custodian {
namespace {

// At most three batches are in flight (read, parse, write). 4,096 messages a batch let Enron x13
// imports peak at 249-270 MiB from run to run, against the brief's 256; 3,072 (with 2 MiB
// id-lookup caches) peaked at 223 MiB twice, at the same speed (bench/RESULTS.md).
constexpr size_t kBatchMessages = 3072;
constexpr size_t kBatchBytes = 16u << 20;
constexpr size_t kMaxRejectionsKept = 1000;

struct Item {
  mailbox::SourceMessage src;
  std::string custodian;
  Sha256 id{};
  bool known = false;  // already in the archive before this batch (checked by the worker)
  catalog::MessageRow row;
  std::vector<std::string> references;  // for threading
  index::SearchDocument doc;  // what search sees of it
  std::string text;           // doc.Text(), stored for substring and regex search
  Sha256 text_hash{};
  std::string text_frame;     // text compressed for its block by the parsing thread, if it could
  uint32_t text_frame_dict = 0;
  // DKIM and ARC, checked by the parsing thread; only one item per distinct message in a batch
  // carries it (copies of one message are checked once).
  std::optional<dkim::Verification> authenticity;
  int64_t as_of = 0;  // the verification time it was judged at
};

struct Batch {
  std::vector<Item> items;
  std::vector<ImportRejection> rejections;
  uint64_t bytes = 0;
};

// One source per PATH, opened lazily, read in order.
class SourceQueue {
 public:
  SourceQueue(const std::vector<std::string>& paths, const ImportOptions& opts, mailbox::Format fmt)
      : paths_(paths), opts_(opts), format_(fmt) {}

  // Reads the next batch; rejections (unreadable inputs) go into the batch too.
  Status Fill(Batch* b) {
    struct MoveProblems {
      SourceQueue* q;
      Batch* b;
      ~MoveProblems() {
        for (auto& p : q->problems_) b->rejections.push_back(std::move(p));
        q->problems_.clear();
      }
    } move_problems{this, b};
    while (b->items.size() < kBatchMessages && b->bytes < kBatchBytes) {
      if (!current_) {
        if (next_path_ >= paths_.size()) return Status::Ok();
        const std::string& path = paths_[next_path_++];
        custodian_ = opts_.custodian;
        if (opts_.custodian_from_path) {
          std::string p = path;
          while (p.size() > 1 && p.back() == '/') p.pop_back();
          custodian_ = std::filesystem::path(p).filename().string();
        }
        // Problems may be reported during any later Fill, so they go to the queue, not a batch.
        auto src = mailbox::OpenSource(path, format_, [this](const mailbox::SourceProblem& p) {
          problems_.push_back({p.origin, p.reason});
        });
        if (!src.ok()) return Status(src.status());
        current_ = std::move(*src);
      }
      Item it;
      auto more = current_->Next(&it.src);
      if (!more.ok()) return more.status();
      if (!*more) {
        current_.reset();
        continue;
      }
      it.custodian = custodian_;
      if (!opts_.folder_prefix.empty())
        it.src.folder = it.src.folder.empty() ? opts_.folder_prefix : opts_.folder_prefix + "/" + it.src.folder;
      b->bytes += it.src.data.size();
      b->items.push_back(std::move(it));
    }
    return Status::Ok();
  }

 private:
  const std::vector<std::string>& paths_;
  const ImportOptions& opts_;
  mailbox::Format format_;
  size_t next_path_ = 0;
  std::unique_ptr<mailbox::MessageSource> current_;
  std::string custodian_;
  std::vector<ImportRejection> problems_;
};

void FillRow(Item* it) {
  mime::ParsedMessage p = mime::ParseMessage(it->src.data);
  catalog::MessageRow& r = it->row;
  r.id = it->id;
  r.size = it->src.data.size();
  if (p.has_date) r.date = p.date;
  r.from = mime::FormatAddresses(p.from);
  r.subject = p.subject;
  r.message_id = p.message_id;
  r.in_reply_to = p.in_reply_to;
  r.attachments = uint32_t(p.attachments.size());
  it->references = p.references;
  for (const auto& prob : p.problems) {
    if (!r.problems.empty()) r.problems += '\n';
    r.problems += prob;
  }
  std::string extraction_problems;
  it->doc = index::MakeDocument(it->src.data, p, &extraction_problems);
  if (!extraction_problems.empty()) r.problems += (r.problems.empty() ? "" : "\n") + extraction_problems;
  it->text = it->doc.Text();
  it->text_hash = ComputeSha256(it->text);
}

// Hashes and parses a batch on `threads` threads. Each worker has its own read-only catalog
// connection to skip parsing messages the archive already holds (a re-import parses nothing).
// `dict`, if not null, is the dictionary text blocks are being written with: each new text is
// compressed with it here, on the parsing threads, rather than by the single writer. Each new
// message's signatures are verified here too, with keys from `keys`, once per distinct message.
Status ParseBatch(Batch* b, const std::vector<catalog::Catalog*>& readers, const store::Dictionary* dict,
                  dkim::KeySource* keys) {
  std::atomic<size_t> next{0};
  std::vector<Status> errors(readers.size());
  std::mutex claim_mu;
  std::unordered_set<Sha256, Sha256Hash> claimed;  // messages of this batch being verified
  int64_t now = int64_t(::time(nullptr));
  auto work = [&](size_t w) {
    for (size_t i; (i = next.fetch_add(1)) < b->items.size();) {
      Item& it = b->items[i];
      it.id = ComputeSha256(it.src.data);
      auto found = readers[w]->FindMessage(it.id);
      if (!found.ok()) {
        errors[w] = found.status();
        return;
      }
      it.known = found->has_value();
      if (!it.known) {
        FillRow(&it);
        bool first;
        {
          std::lock_guard<std::mutex> lock(claim_mu);
          first = claimed.insert(it.id).second;
        }
        if (first) {
          it.as_of = now;  // when it entered the archive (docs/authenticity.md)
          it.authenticity = CheckAuthenticity(it.src.data, keys, it.as_of);
        }
        if (dict) {
          it.text_frame = store::CompressEntry(it.text, dict);
          it.text_frame_dict = dict->id();
        }
      }
    }
  };
  std::vector<std::thread> pool;
  for (size_t w = 1; w < readers.size(); w++) pool.emplace_back(work, w);
  work(0);
  for (auto& t : pool) t.join();
  for (const auto& e : errors) CUSTODIAN_RETURN_IF_ERROR(e);
  return Status::Ok();
}

uint64_t InputBytes(const std::vector<std::string>& paths) {
  uint64_t total = 0;
  for (const auto& p : paths) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(p, ec)) {
      total += std::filesystem::file_size(p, ec);
      continue;
    }
    for (auto it = std::filesystem::recursive_directory_iterator(p, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      std::error_code e2;
      if (it->is_regular_file(e2)) total += it->file_size(e2);
    }
  }
  return total;
}

}  // namespace

Status ArchiveImpl::AppendBlocks(catalog::BlockKind kind, const std::vector<store::BlockEntry>& entries,
                                 int64_t* next_block, const std::function<void(size_t, int64_t, uint32_t)>& placed) {
  const store::Dictionary* dict = nullptr;
  if (kind == catalog::BlockKind::kTexts && !entries.empty()) {
    CUSTODIAN_ASSIGN_OR_RETURN(dict, TextDictionary());
  }
  std::vector<PlannedBlock> plan = PlanBlocks(kind, entries, next_block, placed);
  return WriteBlocks(&plan, SealBlocks(plan, entries, dict));
}

std::vector<ArchiveImpl::PlannedBlock> ArchiveImpl::PlanBlocks(
    catalog::BlockKind kind, const std::vector<store::BlockEntry>& entries, int64_t* next_block,
    const std::function<void(size_t, int64_t, uint32_t)>& placed) const {
  std::vector<PlannedBlock> plan;
  size_t target = kind == catalog::BlockKind::kTexts ? store::kTargetTextBlockRawBytes : store::kTargetBlockRawBytes;
  for (size_t i = 0; i < entries.size();) {
    size_t j = i, raw = 0;
    while (j < entries.size() && (j == i || raw + entries[j].data.size() <= target)) raw += entries[j++].data.size();
    PlannedBlock& p = plan.emplace_back();
    p.row.block_id = ++*next_block;
    p.row.kind = kind;
    p.row.seed = store::Keys::NewSeed();
    p.row.count = uint32_t(j - i);
    p.row.raw_bytes = raw;
    p.begin = i;
    p.end = j;
    for (size_t k = i; k < j; k++) placed(k, p.row.block_id, uint32_t(k - i));
    i = j;
  }
  return plan;
}

std::vector<std::string> ArchiveImpl::SealBlocks(const std::vector<PlannedBlock>& plan,
                                                 const std::vector<store::BlockEntry>& entries,
                                                 const store::Dictionary* dict) const {
  std::vector<std::string> sealed;
  sealed.reserve(plan.size());
  for (const PlannedBlock& p : plan) {
    std::vector<store::BlockEntry> part(entries.begin() + long(p.begin), entries.begin() + long(p.end));
    store::Key key = keys_.BlockKey(p.row.seed);
    sealed.push_back(p.row.kind == catalog::BlockKind::kTexts
                         ? store::EncodePerEntryBlock(uint64_t(p.row.block_id), part, key, dict)
                         : store::EncodeBlock(uint64_t(p.row.block_id), part, key));
  }
  return sealed;
}

Status ArchiveImpl::WriteBlocks(std::vector<PlannedBlock>* plan, const std::vector<std::string>& sealed) {
  if (sealed.size() != plan->size()) return Status::Internal("sealed blocks do not match their plan");
  for (size_t b = 0; b < plan->size(); b++) {
    catalog::BlockRow& row = (*plan)[b].row;
    CUSTODIAN_ASSIGN_OR_RETURN(row.loc, segments_->Append(sealed[b]));
    CUSTODIAN_RETURN_IF_ERROR(catalog_->AddBlock(row));
  }
  return Status::Ok();
}

Status ArchiveImpl::FlushGrams() {
  CUSTODIAN_RETURN_IF_ERROR(catalog_->Begin());
  Status st = index_->FlushGrams(true);
  if (st.ok()) st = catalog_->Commit();
  if (!st.ok()) {
    (void)catalog_->Rollback();
    index_->DropPendingGrams();
  }
  return st;
}

Result<ImportResult> ArchiveImpl::Import(const std::vector<std::string>& paths, const ImportOptions& opts,
                                         const std::function<void(const ImportProgress&)>& progress) {
  if (mode_ != Mode::kWrite) return Status::Internal("archive opened read-only");
  if (opts.custodian.empty() && !opts.custodian_from_path)
    return Status::InvalidArgument("say whose mail this is: --custodian NAME (or --custodian-from-path)");
  if (paths.empty()) return Status::InvalidArgument("nothing to import: give one or more paths");
  for (const auto& p : paths)
    if (!Env::Default()->Exists(p)) return Status::NotFound("no such file or directory: " + p);
  CUSTODIAN_ASSIGN_OR_RETURN(mailbox::Format format, mailbox::ParseFormat(opts.format));
  mime::InitMime();  // the parser (in the program: loaded now), so a missing one stops us before any mail is read

  CUSTODIAN_ASSIGN_OR_RETURN(std::unique_ptr<KeySources> keys,
                             KeySources::Open(catalog_.get(), opts.dkim_key_file, opts.dns));
  size_t threads = std::max<size_t>(1, opts.threads);
  std::vector<std::unique_ptr<catalog::Catalog>> reader_conns;
  std::vector<catalog::Catalog*> readers;
  for (size_t i = 0; i < threads; i++) {
    CUSTODIAN_ASSIGN_OR_RETURN(auto c, catalog::Catalog::Open(CatalogPath(dir_), true, keys_.CatalogKey()));
    // These connections only look ids up; a small cache keeps peak memory flat as archives grow.
    // 2 MiB (8 until 2026-11-27): the ids they look up are random, and x13 imports ran as fast
    // with 2 MiB as with 8 (bench/RESULTS.md).
    CUSTODIAN_RETURN_IF_ERROR(c->SetCacheKiB(2 * 1024));
    readers.push_back(c.get());
    reader_conns.push_back(std::move(c));
  }

  FILE* ack = nullptr;
  if (!opts.ack_log.empty()) {
    ack = std::fopen(opts.ack_log.c_str(), "a");
    if (!ack) return Status::IOError("cannot open ack log " + opts.ack_log);
  }
  struct Closer {
    FILE* f;
    ~Closer() { if (f) std::fclose(f); }
  } closer{ack};

  ImportResult result;
  ImportProgress& c = result.counts;
  c.total_bytes = InputBytes(paths);
  auto start = std::chrono::steady_clock::now();
  CUSTODIAN_ASSIGN_OR_RETURN(int64_t next_block, catalog_->MaxBlockId());
  std::map<std::pair<std::string, std::string>, int64_t> folder_ids;
  std::map<std::string, int64_t> custodian_ids;

  // Three stages overlap: reading batch k+2, parsing batch k+1 (on `threads` threads), writing
  // batch k. Only one read runs at a time, so the sources need no locking.
  SourceQueue queue(paths, opts, format);
  auto read = [&]() -> Result<Batch> {
    Batch b;
    CUSTODIAN_RETURN_IF_ERROR(queue.Fill(&b));
    return b;
  };
  // The text dictionary, once the writer has one, for the parsing threads (set between batches).
  std::atomic<const store::Dictionary*> text_dict{nullptr};
  auto parse = [&](Batch b) -> Result<Batch> {
    CUSTODIAN_RETURN_IF_ERROR(ParseBatch(&b, readers, text_dict.load(), keys->all.get()));
    return b;
  };
  // A future from std::async waits for its task when destroyed, so early returns are safe.
  std::future<Result<Batch>> reading = std::async(std::launch::async, read);
  std::future<Result<Batch>> parsing;
  while (true) {
    Result<Batch> r = reading.get();
    if (!r.ok()) return r.status();
    bool last = r->items.empty() && r->rejections.empty();
    std::optional<Batch> older;
    if (parsing.valid()) {  // the previous parse must finish first: parses share `readers`
      Result<Batch> g = parsing.get();
      if (!g.ok()) return g.status();
      older = std::move(*g);
    }
    if (!last) {
      reading = std::async(std::launch::async, read);
      parsing = std::async(std::launch::async, parse, std::move(*r));
    }
    if (!older) {
      if (last) break;
      continue;
    }
    Batch& batch = *older;

    for (auto& r : batch.rejections) {
      c.rejected++;
      if (result.rejections.size() < kMaxRejectionsKept) result.rejections.push_back(std::move(r));
    }
    uint64_t stored = 0, duplicate = 0, new_copies = 0, flagged = 0;
    if (dicts_.empty()) {  // the archive's first texts: learn a dictionary for them
      std::vector<std::string_view> samples;
      for (const auto& it : batch.items)
        if (!it.known && !it.text.empty()) samples.push_back(it.text);
      CUSTODIAN_RETURN_IF_ERROR(TrainTextDictionary(samples));
    }
    CUSTODIAN_RETURN_IF_ERROR(catalog_->Begin());
    auto write_batch = [&]() -> Status {
      // Messages new to the archive, in order, deduplicated within the batch.
      std::unordered_set<Sha256, Sha256Hash> in_batch;
      std::vector<Item*> fresh;
      for (auto& it : batch.items) {
        if (it.known || !in_batch.insert(it.id).second) continue;
        // The worker looked before the previous batch committed; look again.
        CUSTODIAN_ASSIGN_OR_RETURN(auto found, catalog_->FindMessage(it.id));
        if (!found) fresh.push_back(&it);
      }
      // The fresh messages go into blocks of ~1 MiB appended to the segment. Sealing them (zstd
      // level 6, then encryption) is the largest single task of this thread, so it runs on
      // another while this one stores the texts; the blocks are appended in order afterwards.
      // (Enron x1: the writer thread spent 0.7 s of its 3.1 s sealing message blocks.)
      std::vector<store::BlockEntry> message_entries;
      for (Item* it : fresh) message_entries.push_back({it->id, it->src.data});
      std::vector<PlannedBlock> message_plan =
          PlanBlocks(catalog::BlockKind::kMessages, message_entries, &next_block, [&](size_t i, int64_t block, uint32_t slot) {
            fresh[i]->row.block_id = block;
            fresh[i]->row.slot = slot;
            fresh[i]->row.added = ::time(nullptr);
          });
      // Declared after what it reads: an early return waits for it before they go.
      std::future<std::vector<std::string>> message_blocks = std::async(std::launch::async, [&] {
        return SealBlocks(message_plan, message_entries, nullptr);
      });
      // Their searchable texts, each distinct text once, into text blocks and the word index.
      std::unordered_map<Sha256, int64_t, Sha256Hash> text_ids;
      std::vector<Item*> fresh_texts;
      for (Item* it : fresh) {
        if (text_ids.count(it->text_hash)) continue;
        CUSTODIAN_ASSIGN_OR_RETURN(auto known_text, index_->FindText(it->text_hash));
        if (known_text) {
          text_ids[it->text_hash] = *known_text;
        } else {
          text_ids[it->text_hash] = 0;  // placed below
          fresh_texts.push_back(it);
        }
      }
      std::vector<store::BlockEntry> text_entries;
      for (Item* it : fresh_texts)
        text_entries.push_back({it->text_hash, it->text, it->text_frame, it->text_frame_dict});
      std::vector<std::pair<int64_t, uint32_t>> text_places(fresh_texts.size());
      CUSTODIAN_ASSIGN_OR_RETURN(const store::Dictionary* dict, TextDictionary());  // loaded once
      std::vector<PlannedBlock> text_plan =
          PlanBlocks(catalog::BlockKind::kTexts, text_entries, &next_block,
                     [&](size_t i, int64_t block, uint32_t slot) { text_places[i] = {block, slot}; });
      std::vector<std::string> text_blocks = SealBlocks(text_plan, text_entries, dict);
      for (size_t i = 0; i < fresh_texts.size(); i++) {
        Item* it = fresh_texts[i];
        CUSTODIAN_ASSIGN_OR_RETURN(text_ids[it->text_hash],
                                   index_->AddText(it->doc, it->text, it->text_hash, text_places[i].first,
                                                   text_places[i].second, it->text.size()));
      }
      CUSTODIAN_RETURN_IF_ERROR(WriteBlocks(&message_plan, message_blocks.get()));
      CUSTODIAN_RETURN_IF_ERROR(WriteBlocks(&text_plan, text_blocks));
      for (Item* it : fresh) it->row.text_id = text_ids[it->text_hash];
      CUSTODIAN_RETURN_IF_ERROR(index_->FlushGrams(false));
      CUSTODIAN_ASSIGN_OR_RETURN(auto seg_states, segments_->Sync());
      for (const auto& s : seg_states) CUSTODIAN_RETURN_IF_ERROR(catalog_->SetSegment(s));
      std::unordered_map<Sha256, const Item*, Sha256Hash> checked;  // which copy was verified
      for (const auto& it : batch.items)
        if (it.authenticity) checked[it.id] = &it;
      std::unordered_map<Sha256, int64_t, Sha256Hash> rows;
      // Each new message is recorded in the ledger with its first copy; later copies each get a
      // record of their own. The records commit with the rows they describe.
      const uint64_t now_ms = NowMs();
      auto record = [&](ledger::RecordType type, const Item& it, uint64_t size) {
        ledger::Record r;
        r.type = type;
        r.time_ms = now_ms;
        r.actor = opts.actor;
        r.message = it.id;
        r.size = size;
        r.custodian = it.custodian;
        r.folder = it.src.folder;
        r.deleted = it.src.deleted;
        return ledger_->Append(r);
      };
      std::unordered_set<const Item*> first_copies;
      for (Item* it : fresh) {
        CUSTODIAN_ASSIGN_OR_RETURN(uint64_t leaf, record(ledger::RecordType::kMessageStored, *it, it->row.size));
        it->row.ledger_leaf = int64_t(leaf);
        first_copies.insert(it);
        CUSTODIAN_ASSIGN_OR_RETURN(int64_t msg, catalog_->AddMessage(it->row));
        rows[it->id] = msg;
        auto v = checked.find(it->id);
        if (v == checked.end()) return Status::Internal("a new message was not verified");
        CUSTODIAN_RETURN_IF_ERROR(
            RecordAuthenticity(catalog_.get(), ledger_.get(), keys->kept.get(), msg, it->row.id, *v->second->authenticity,
                               v->second->as_of, /*implicit_none=*/true)
                .status());
        result.authenticity[dkim::OutcomeName(v->second->authenticity->verdict)]++;
        CUSTODIAN_RETURN_IF_ERROR(index_->AssignThread(msg, it->row.message_id, it->references, it->row.in_reply_to,
                                                       it->row.subject).status());
        stored++;
        if (!it->row.problems.empty()) flagged++;
      }
      for (auto& it : batch.items) {
        int64_t msg;
        if (auto r = rows.find(it.id); r != rows.end()) {
          msg = r->second;
        } else {
          CUSTODIAN_ASSIGN_OR_RETURN(auto found, catalog_->FindMessage(it.id));
          if (!found) return Status::Internal("message vanished during import");
          msg = *found;
        }
        auto& cust = custodian_ids[it.custodian];
        if (cust == 0) {
          CUSTODIAN_ASSIGN_OR_RETURN(cust, catalog_->EnsureCustodian(it.custodian));
        }
        auto& folder = folder_ids[{it.custodian, it.src.folder}];
        if (folder == 0) {
          CUSTODIAN_ASSIGN_OR_RETURN(folder, catalog_->EnsureFolder(cust, it.src.folder));
        }
        CUSTODIAN_ASSIGN_OR_RETURN(bool added, catalog_->AddCopy(msg, folder, it.src.flags, it.src.deleted,
                                                                it.src.envelope));
        if (added) new_copies++;
        if (added && !first_copies.count(&it))
          CUSTODIAN_RETURN_IF_ERROR(record(ledger::RecordType::kCopyAdded, it, 0).status());
      }
      return CommitWithLedger();
    };
    Status st = write_batch();
    if (st.ok() && !text_dict.load() && !dicts_.empty()) text_dict = dicts_.rbegin()->second.get();
    if (!st.ok()) {
      RollbackWithLedger();
      index_->DropPendingGrams();
      // Segment bytes written for this batch are past the committed length and are dropped
      // when the archive is next opened for writing.
      return st;
    }
    duplicate = batch.items.size() - stored;
    c.read += batch.items.size();
    c.stored += stored;
    c.duplicate += duplicate;
    c.new_copies += new_copies;
    c.flagged += flagged;
    c.bytes += batch.bytes;
    if (ack) {
      for (const auto& it : batch.items) std::fprintf(ack, "%s\n", ToHex(it.id).c_str());
      std::fflush(ack);
    }
    c.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (progress) progress(c);
    if (last) break;
  }
  CUSTODIAN_RETURN_IF_ERROR(FlushGrams());
  c.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  c.done = true;
  if (progress) progress(c);
  return result;
}

}  // namespace custodian
