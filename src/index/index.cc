#include "index/index.h"

#include <algorithm>
#include <cstring>

#include "catalog/catalog.h"
#include "extract/extract.h"
#include "index/grams.h"
#include "util/text.h"

namespace custodian::index {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS texts(text_id INTEGER PRIMARY KEY, hash BLOB NOT NULL UNIQUE,
                                 block_id INTEGER NOT NULL, slot INTEGER NOT NULL,
                                 size INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS texts_block ON texts(block_id, slot);
CREATE TABLE IF NOT EXISTS thread_keys(key INTEGER PRIMARY KEY, thread INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS thread_keys_thread ON thread_keys(thread);
CREATE TABLE IF NOT EXISTS thread_subject_keys(key INTEGER PRIMARY KEY, thread INTEGER NOT NULL,
                                               has_reply INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS thread_subject_keys_thread ON thread_subject_keys(thread);
CREATE TABLE IF NOT EXISTS gram_segments(segment INTEGER PRIMARY KEY, first_text INTEGER NOT NULL,
                                         last_text INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS grams(key INTEGER PRIMARY KEY, postings BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS messages_unindexed ON messages(msg) WHERE text_id IS NULL;
CREATE VIRTUAL TABLE IF NOT EXISTS names USING fts5(
    hfrom, hto, hcc, hbcc, filename, content='', tokenize='unicode61 remove_diacritics 2');
)sql";

// The word index. Its tokenizer is part of the table: archives indexed before 2026-11-27 keep
// FTS5's `porter` until `custodian reindex --all` recreates the table (Index::Clear).
constexpr const char* kWordsTable =
    "CREATE VIRTUAL TABLE IF NOT EXISTS words USING fts5("
    "subject, body, attachment, content='', tokenize='snowball unicode61 remove_diacritics 2')";

const char* Column(query::Field f) {
  switch (f) {
    case query::Field::kAny: return nullptr;
    case query::Field::kFrom: return "hfrom";
    case query::Field::kTo: return "hto";
    case query::Field::kCc: return "hcc";
    case query::Field::kBcc: return "hbcc";
    case query::Field::kSubject: return "subject";
    case query::Field::kBody: return "body";
    case query::Field::kAttachment: return "attachment";
    case query::Field::kFilename: return "filename";
  }
  return nullptr;
}

std::string Quoted(std::string_view s) {
  std::string q = "\"";
  for (char c : s) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + "\"";
}

void AppendLine(std::string* out, const char* name, const std::string& value) {
  if (value.empty()) return;
  *out += name;
  *out += value;
  *out += '\n';
}

TextRow ReadTextRow(const catalog::Statement& s) {
  TextRow r;
  r.text_id = s.Int(0);
  std::string_view h = s.Blob(1);
  if (h.size() == r.hash.size()) std::memcpy(r.hash.data(), h.data(), h.size());
  r.block_id = s.Int(2);
  r.slot = uint32_t(s.Int(3));
  r.size = uint64_t(s.Int(4));
  return r;
}

// Prose is stemmed ("negotiated" finds "negotiation"); addresses, names and file names are not
// (enron.announcement@ must not find enron.announcements@).
enum class Table { kWords, kNames, kBoth };
Table TableFor(query::Field f) {
  switch (f) {
    case query::Field::kAny: return Table::kBoth;
    case query::Field::kSubject:
    case query::Field::kBody:
    case query::Field::kAttachment: return Table::kWords;
    default: return Table::kNames;
  }
}

bool IsWordNode(const query::Node& n) {
  using K = query::Node::Kind;
  return n.kind == K::kWord || n.kind == K::kPhrase || n.kind == K::kPrefix;
}

// The positive word nodes (not under a NOT), for ranking.
void PositiveWords(const query::Node& n, std::vector<const query::Node*>* out) {
  if (IsWordNode(n) && TableFor(n.field) != Table::kNames) out->push_back(&n);
  if (n.kind == query::Node::Kind::kNot) return;
  for (const auto& c : n.children) PositiveWords(*c, out);
}

}  // namespace

std::string SearchDocument::Text() const {
  std::string t;
  t.reserve(from.size() + to.size() + cc.size() + bcc.size() + subject.size() + body.size() + attachment.size() + 64);
  AppendLine(&t, "From: ", from);
  AppendLine(&t, "To: ", to);
  AppendLine(&t, "Cc: ", cc);
  AppendLine(&t, "Bcc: ", bcc);
  AppendLine(&t, "Subject: ", subject);
  t += '\n';
  t += body;
  if (!attachment.empty()) {
    if (!t.empty() && t.back() != '\n') t += '\n';
    t += attachment;
  }
  return t;
}

SearchDocument MakeDocument(std::string_view raw, const mime::ParsedMessage& p, std::string* problems) {
  SearchDocument d;
  d.from = mime::FormatAddresses(p.from);
  if (!p.sender.empty()) d.from += (d.from.empty() ? "" : ", ") + mime::FormatAddresses(p.sender);
  d.to = mime::FormatAddresses(p.to);
  d.cc = mime::FormatAddresses(p.cc);
  d.bcc = mime::FormatAddresses(p.bcc);
  d.subject = p.subject;
  d.body = p.body_text;
  for (const auto& a : p.attachments) {
    if (a.filename.empty()) continue;
    if (!d.filename.empty()) d.filename += '\n';
    d.filename += a.filename;
  }
  if (p.attachments.empty()) return d;  // the walk below parses again: only when it can matter
  extract::ExtractAttachments(raw, {}, {}, [&](const mime::Attachment& a, const extract::ExtractResult& x) {
    if (!x.text.empty()) {
      if (!d.attachment.empty()) d.attachment += '\n';
      d.attachment += x.text;
    }
    if (!x.problem.empty()) {
      if (!problems->empty()) *problems += '\n';
      *problems += "attachment " + a.part + (a.filename.empty() ? "" : " (" + a.filename + ")") + ": " + x.problem;
    }
  });
  return d;
}

std::string MatchExpression(const query::Node& n) {
  std::string e;
  if (const char* col = Column(n.field)) e = std::string(col) + " : ";
  e += Quoted(n.text);
  if (n.kind == query::Node::Kind::kPrefix) e += " *";
  return e;
}

Result<std::unique_ptr<Index>> Index::Open(catalog::Database* db, bool read_only) {
  std::unique_ptr<Index> ix(new Index(db));
  if (!read_only) {
    CUSTODIAN_RETURN_IF_ERROR(db->Exec(kSchema));
    CUSTODIAN_RETURN_IF_ERROR(db->Exec(kWordsTable));
    CUSTODIAN_RETURN_IF_ERROR(ix->UpgradeThreadTables());
  }
  CUSTODIAN_RETURN_IF_ERROR(ix->Prepare());
  return ix;
}

// Catalog schema 2 kept Message-IDs and subjects as text (thread_ids, thread_subjects); schema 3
// keeps their keys. Converts an older archive's rows once, in one transaction.
Status Index::UpgradeThreadTables() {
  CUSTODIAN_ASSIGN_OR_RETURN(auto old, db_->Prepare("SELECT count(*) FROM sqlite_master WHERE name = 'thread_ids'"));
  CUSTODIAN_ASSIGN_OR_RETURN(bool row, old.Step());
  if (!row || old.Int(0) == 0) return Status::Ok();
  old.Reset();
  CUSTODIAN_RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE"));
  auto convert = [&]() -> Status {
    CUSTODIAN_ASSIGN_OR_RETURN(auto ids, db_->Prepare("SELECT message_id, thread FROM thread_ids"));
    CUSTODIAN_ASSIGN_OR_RETURN(auto put, db_->Prepare("INSERT OR REPLACE INTO thread_keys(key, thread) VALUES(?, ?)"));
    while (true) {
      CUSTODIAN_ASSIGN_OR_RETURN(bool r, ids.Step());
      if (!r) break;
      CUSTODIAN_RETURN_IF_ERROR(put.Bind(1, ThreadKey(ids.Text(0))).Bind(2, ids.Int(1)).Exec());
    }
    CUSTODIAN_ASSIGN_OR_RETURN(auto subs, db_->Prepare("SELECT subject, thread, has_reply FROM thread_subjects"));
    CUSTODIAN_ASSIGN_OR_RETURN(
        auto put_subject,
        db_->Prepare("INSERT OR REPLACE INTO thread_subject_keys(key, thread, has_reply) VALUES(?, ?, ?)"));
    while (true) {
      CUSTODIAN_ASSIGN_OR_RETURN(bool r, subs.Step());
      if (!r) break;
      CUSTODIAN_RETURN_IF_ERROR(
          put_subject.Bind(1, ThreadKey(subs.Text(0))).Bind(2, subs.Int(1)).Bind(3, subs.Int(2)).Exec());
    }
    ids = {};
    subs = {};
    return db_->Exec("DROP TABLE thread_ids; DROP TABLE thread_subjects");
  };
  Status st = convert();
  if (!st.ok()) {
    (void)db_->Exec("ROLLBACK");
    return st;
  }
  return db_->Exec("COMMIT");
}

Status Index::Prepare() {
  find_text_ = db_->PrepareLazy("SELECT text_id FROM texts WHERE hash = ?");
  add_text_ = db_->PrepareLazy("INSERT INTO texts(hash, block_id, slot, size) VALUES(?,?,?,?)");
  add_words_ = db_->PrepareLazy("INSERT INTO words(rowid, subject, body, attachment) VALUES(?,?,?,?)");
  add_names_ = db_->PrepareLazy("INSERT INTO names(rowid, hfrom, hto, hcc, hbcc, filename) VALUES(?,?,?,?,?,?)");
  get_text_ = db_->PrepareLazy("SELECT text_id, hash, block_id, slot, size FROM texts WHERE text_id = ?");
  get_gram_ = db_->PrepareLazy("SELECT postings FROM grams WHERE key = ?");
  thread_of_id_ = db_->PrepareLazy("SELECT thread FROM thread_keys WHERE key = ?");
  add_thread_id_ = db_->PrepareLazy("INSERT OR REPLACE INTO thread_keys(key, thread) VALUES(?, ?)");
  thread_of_subject_ = db_->PrepareLazy("SELECT thread, has_reply FROM thread_subject_keys WHERE key = ?");
  add_thread_subject_ = db_->PrepareLazy("INSERT OR REPLACE INTO thread_subject_keys(key, thread, has_reply) VALUES(?, ?, ?)");
  set_thread_ = db_->PrepareLazy("UPDATE messages SET thread_id = ? WHERE msg = ?");
  return Status::Ok();
}

Result<std::optional<int64_t>> Index::FindText(const Sha256& hash) {
  find_text_.BindBlob(1, hash.data(), hash.size());
  auto row = find_text_.Step();
  if (!row.ok()) return row.status();
  std::optional<int64_t> r;
  if (*row) r = find_text_.Int(0);
  find_text_.Reset();
  return r;
}

Result<int64_t> Index::AddText(const SearchDocument& d, std::string_view text, const Sha256& hash,
                               int64_t block_id, uint32_t slot, uint64_t size) {
  add_text_.BindBlob(1, hash.data(), hash.size()).Bind(2, block_id).Bind(3, int64_t(slot)).Bind(4, int64_t(size));
  CUSTODIAN_RETURN_IF_ERROR(add_text_.Exec());
  int64_t id = db_->LastInsertRowid();
  add_words_.Bind(1, id).Bind(2, d.subject).Bind(3, d.body).Bind(4, d.attachment);
  CUSTODIAN_RETURN_IF_ERROR(add_words_.Exec());
  add_names_.Bind(1, id).Bind(2, d.from).Bind(3, d.to).Bind(4, d.cc).Bind(5, d.bcc).Bind(6, d.filename);
  CUSTODIAN_RETURN_IF_ERROR(add_names_.Exec());
  if (!grams_.empty() && id != grams_.last() + 1) CUSTODIAN_RETURN_IF_ERROR(FlushGrams(true));
  grams_.Add(id, text);
  return id;
}

Status Index::FlushGrams(bool force) {
  if (grams_.empty() || (!force && grams_.bytes() < kGramFlushBytes)) return Status::Ok();
  int64_t first = grams_.first(), last = grams_.last();
  CUSTODIAN_ASSIGN_OR_RETURN(auto max, db_->Prepare("SELECT coalesce(max(segment), 0) FROM gram_segments"));
  CUSTODIAN_ASSIGN_OR_RETURN(bool got, max.Step());
  int64_t segment = (got ? max.Int(0) : 0) + 1;
  CUSTODIAN_ASSIGN_OR_RETURN(auto add_segment,
                             db_->Prepare("INSERT INTO gram_segments(segment, first_text, last_text) VALUES(?,?,?)"));
  CUSTODIAN_RETURN_IF_ERROR(add_segment.Bind(1, segment).Bind(2, first).Bind(3, last).Exec());
  CUSTODIAN_ASSIGN_OR_RETURN(auto add_gram, db_->Prepare("INSERT INTO grams(key, postings) VALUES(?,?)"));
  Status st = grams_.Drain([&](uint32_t gram, std::string_view postings) {
    return add_gram.Bind(1, (segment << kGramBits) | int64_t(gram)).BindBlob(2, postings.data(), postings.size()).Exec();
  });
  ForgetGrams();
  return st;
}

Result<const std::vector<Index::GramSegment>*> Index::GramSegments() {
  if (gram_segments_) return &*gram_segments_;
  CUSTODIAN_ASSIGN_OR_RETURN(auto s, db_->Prepare("SELECT segment, first_text, last_text FROM gram_segments ORDER BY first_text"));
  std::vector<GramSegment> segs;
  while (true) {
    CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    segs.push_back({s.Int(0), s.Int(1), s.Int(2)});
  }
  gram_segments_ = std::move(segs);
  return &*gram_segments_;
}

Result<const std::string*> Index::GramRow(int64_t key) {
  auto it = gram_rows_.find(key);
  if (it == gram_rows_.end()) {
    get_gram_.Bind(1, key);
    auto row = get_gram_.Step();
    std::optional<std::string> value;
    if (row.ok() && *row) value.emplace(get_gram_.Blob(0));
    get_gram_.Reset();
    if (!row.ok()) return row.status();
    it = gram_rows_.emplace(key, std::move(value)).first;
  }
  return it->second ? &*it->second : nullptr;
}

Result<std::vector<int64_t>> Index::TextsWithLiteral(const std::vector<GramRun>& runs) {
  CUSTODIAN_ASSIGN_OR_RETURN(const std::vector<GramSegment>* segs, GramSegments());
  std::vector<uint32_t> keys;
  for (const GramRun& run : runs) keys.insert(keys.end(), run.begin(), run.end());
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  std::vector<std::vector<size_t>> run_keys;  // each run's trigrams as indices into keys
  for (const GramRun& run : runs) {
    auto& rk = run_keys.emplace_back();
    for (uint32_t g : run) rk.push_back(size_t(std::lower_bound(keys.begin(), keys.end(), g) - keys.begin()));
  }
  std::vector<int64_t> out, acc;
  std::vector<const std::string*> rows(keys.size());
  std::vector<size_t> order(keys.size());
  // masks[k][j]: key k's position mask in text acc[j].
  std::vector<std::vector<uint8_t>> masks(keys.size());
  std::vector<uint8_t> run_masks;
  for (const GramSegment& seg : *segs) {
    auto corrupt = [&](const Status& st) {
      return Status::Corruption("trigram index, segment " + std::to_string(seg.segment) + ": " + st.message());
    };
    bool all = true;
    for (size_t k = 0; k < keys.size() && all; k++) {
      CUSTODIAN_ASSIGN_OR_RETURN(rows[k], GramRow((seg.segment << kGramBits) | int64_t(keys[k])));
      all = rows[k] != nullptr;
    }
    if (!all) continue;  // a trigram no text of the segment has
    // The rarest trigram first (the shortest row); the others are only probed for its texts.
    for (size_t k = 0; k < keys.size(); k++) order[k] = k;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return rows[a]->size() < rows[b]->size(); });
    acc.clear();
    masks[order[0]].clear();
    Status st = DecodePostings(*rows[order[0]], seg.first_text, seg.last_text, &acc, &masks[order[0]]);
    if (!st.ok()) return corrupt(st);
    for (size_t i = 1; i < order.size() && !acc.empty(); i++) {
      size_t k = order[i];
      st = PostingMasksFor(*rows[k], seg.first_text, seg.last_text, acc, &masks[k]);
      if (!st.ok()) return corrupt(st);
      size_t kept = 0;
      for (size_t j = 0; j < acc.size(); j++) {
        if (masks[k][j] == 0) continue;
        acc[kept] = acc[j];
        for (size_t e = 0; e <= i; e++) masks[order[e]][kept] = masks[order[e]][j];
        kept++;
      }
      acc.resize(kept);
      for (size_t e = 0; e <= i; e++) masks[order[e]].resize(kept);
    }
    // Every trigram is there; keep the texts where each run's trigrams also sit at consecutive
    // positions (modulo 8).
    for (size_t j = 0; j < acc.size(); j++) {
      bool fits = true;
      for (const auto& rk : run_keys) {
        run_masks.clear();
        for (size_t k : rk) run_masks.push_back(masks[k][j]);
        if (!RunFits(run_masks.data(), run_masks.size())) {
          fits = false;
          break;
        }
      }
      if (fits) out.push_back(acc[j]);
    }
  }
  return out;
}

Result<std::vector<int64_t>> Index::UncoveredTexts() {
  CUSTODIAN_ASSIGN_OR_RETURN(const std::vector<GramSegment>* segs, GramSegments());
  CUSTODIAN_ASSIGN_OR_RETURN(auto s, db_->Prepare("SELECT text_id FROM texts WHERE text_id > ? AND text_id < ?"));
  std::vector<int64_t> out;
  int64_t from = 0;
  auto gap = [&](int64_t lo, int64_t hi) -> Status {  // ids strictly between lo and hi
    if (hi - lo <= 1) return Status::Ok();
    s.Bind(1, lo).Bind(2, hi);
    while (true) {
      auto row = s.Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      out.push_back(s.Int(0));
    }
    s.Reset();
    return Status::Ok();
  };
  for (const GramSegment& seg : *segs) {
    CUSTODIAN_RETURN_IF_ERROR(gap(from, seg.first_text));
    from = std::max(from, seg.last_text);
  }
  CUSTODIAN_RETURN_IF_ERROR(gap(from, INT64_MAX));
  return out;
}

// The key a Message-ID or normalized subject is kept under: the first 8 bytes of its SHA-256
// (little-endian, as a signed 64-bit integer). A tenth of the size of the strings, and a
// collision needs billions of distinct ids.
int64_t ThreadKey(std::string_view s) {
  Sha256 h = ComputeSha256(s);
  uint64_t k = 0;
  for (int i = 7; i >= 0; i--) k = k << 8 | h[size_t(i)];
  return int64_t(k);
}

namespace {
// "Re: Fwd: [list] Budget  " -> "budget"; sets *reply when a reply/forward prefix was removed.
std::string NormalizeSubject(std::string_view s, bool* reply) {
  *reply = false;
  std::string_view t = TrimAscii(s);
  for (bool again = true; again;) {
    again = false;
    if (!t.empty() && t[0] == '[') {  // a mailing list tag
      size_t close = t.find(']');
      if (close != std::string_view::npos) {
        t = TrimAscii(t.substr(close + 1));
        again = true;
        continue;
      }
    }
    for (std::string_view p : {"re:", "re :", "fw:", "fwd:", "aw:", "sv:", "wg:", "tr:", "antw:"}) {
      if (t.size() >= p.size() && EqualsIgnoreCaseAscii(t.substr(0, p.size()), p)) {
        t = TrimAscii(t.substr(p.size()));
        *reply = again = true;
        break;
      }
    }
  }
  std::string out;
  for (char c : t) {  // fold runs of white space, as folding and clients differ
    if (c == ' ' || c == '\t') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}
}  // namespace

Result<int64_t> Index::AssignThread(int64_t msg, const std::string& message_id,
                                    const std::vector<std::string>& references, const std::string& in_reply_to,
                                    const std::string& subject) {
  std::vector<std::string> ids = references;
  if (!in_reply_to.empty()) ids.push_back(in_reply_to);
  bool linked = !ids.empty();
  if (!message_id.empty()) ids.push_back(message_id);
  // The threads these ids already belong to.
  std::vector<int64_t> found;
  for (const auto& id : ids) {
    thread_of_id_.Bind(1, ThreadKey(id));
    auto row = thread_of_id_.Step();
    if (!row.ok()) return row.status();
    if (*row) found.push_back(thread_of_id_.Int(0));
    thread_of_id_.Reset();
  }
  bool reply = false;
  std::string subj = NormalizeSubject(subject, &reply);
  std::optional<std::pair<int64_t, bool>> by_subject;
  if (!subj.empty()) {
    thread_of_subject_.Bind(1, ThreadKey(subj));
    auto row = thread_of_subject_.Step();
    if (!row.ok()) return row.status();
    if (*row) by_subject = std::make_pair(thread_of_subject_.Int(0), thread_of_subject_.Int(1) != 0);
    thread_of_subject_.Reset();
  }
  if (!linked && by_subject && (reply || by_subject->second)) found.push_back(by_subject->first);
  // The thread: the oldest one linked (threads are numbered by their first message), or a new one.
  int64_t thread = found.empty() ? msg : *std::min_element(found.begin(), found.end());
  for (int64_t other : found) {
    if (other == thread) continue;  // merge: two threads turned out to be one
    CUSTODIAN_ASSIGN_OR_RETURN(auto a, db_->Prepare("UPDATE thread_keys SET thread = ? WHERE thread = ?"));
    CUSTODIAN_RETURN_IF_ERROR(a.Bind(1, thread).Bind(2, other).Exec());
    CUSTODIAN_ASSIGN_OR_RETURN(auto b, db_->Prepare("UPDATE messages SET thread_id = ? WHERE thread_id = ?"));
    CUSTODIAN_RETURN_IF_ERROR(b.Bind(1, thread).Bind(2, other).Exec());
    CUSTODIAN_ASSIGN_OR_RETURN(auto c, db_->Prepare("UPDATE thread_subject_keys SET thread = ? WHERE thread = ?"));
    CUSTODIAN_RETURN_IF_ERROR(c.Bind(1, thread).Bind(2, other).Exec());
  }
  for (const auto& id : ids) CUSTODIAN_RETURN_IF_ERROR(add_thread_id_.Bind(1, ThreadKey(id)).Bind(2, thread).Exec());
  if (!subj.empty() && (!by_subject || (reply && !by_subject->second && by_subject->first == thread)))
    CUSTODIAN_RETURN_IF_ERROR(add_thread_subject_.Bind(1, ThreadKey(subj)).Bind(2, thread).Bind(3, int64_t(reply)).Exec());
  CUSTODIAN_RETURN_IF_ERROR(set_thread_.Bind(1, thread).Bind(2, msg).Exec());
  return thread;
}

Status Index::Clear() {
  CUSTODIAN_RETURN_IF_ERROR(db_->Exec("DELETE FROM texts"));
  CUSTODIAN_RETURN_IF_ERROR(db_->Exec("DELETE FROM grams"));
  CUSTODIAN_RETURN_IF_ERROR(db_->Exec("DELETE FROM gram_segments"));
  grams_.Clear();
  ForgetGrams();
  // Dropped and created again rather than emptied, so that it takes the current tokenizer.
  CUSTODIAN_RETURN_IF_ERROR(db_->Exec("DROP TABLE words"));
  CUSTODIAN_RETURN_IF_ERROR(db_->Exec(kWordsTable));
  return db_->Exec("INSERT INTO names(names) VALUES('delete-all')");
}

Result<uint64_t> Index::TextUsers(int64_t text_id) {
  CUSTODIAN_ASSIGN_OR_RETURN(auto s, db_->Prepare("SELECT COUNT(*) FROM messages WHERE text_id = ?"));
  s.Bind(1, text_id);
  CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
  return row ? uint64_t(s.Int(0)) : 0;
}

Status Index::RemoveText(int64_t text_id, const SearchDocument* doc) {
  if (doc) {
    // Contentless FTS5 tables forget a row only when given exactly what was indexed.
    CUSTODIAN_ASSIGN_OR_RETURN(
        auto w, db_->Prepare("INSERT INTO words(words, rowid, subject, body, attachment) VALUES('delete',?,?,?,?)"));
    w.Bind(1, text_id).Bind(2, doc->subject).Bind(3, doc->body).Bind(4, doc->attachment);
    CUSTODIAN_RETURN_IF_ERROR(w.Exec());
    CUSTODIAN_ASSIGN_OR_RETURN(
        auto n, db_->Prepare("INSERT INTO names(names, rowid, hfrom, hto, hcc, hbcc, filename)"
                             " VALUES('delete',?,?,?,?,?,?)"));
    n.Bind(1, text_id).Bind(2, doc->from).Bind(3, doc->to).Bind(4, doc->cc).Bind(5, doc->bcc).Bind(6, doc->filename);
    CUSTODIAN_RETURN_IF_ERROR(n.Exec());
  }
  CUSTODIAN_ASSIGN_OR_RETURN(auto s, db_->Prepare("DELETE FROM texts WHERE text_id = ?"));
  s.Bind(1, text_id);
  return s.Exec();
}

Status Index::OptimizeWords() {
  CUSTODIAN_RETURN_IF_ERROR(db_->Exec("INSERT INTO words(words) VALUES('optimize')"));
  return db_->Exec("INSERT INTO names(names) VALUES('optimize')");
}

Status Index::RemoveFromGrams(const std::vector<int64_t>& dead) {
  if (dead.empty()) return Status::Ok();
  CUSTODIAN_ASSIGN_OR_RETURN(const std::vector<GramSegment>* segs, GramSegments());
  std::vector<GramSegment> touched;
  for (const auto& g : *segs) {
    auto it = std::lower_bound(dead.begin(), dead.end(), g.first_text);
    if (it != dead.end() && *it <= g.last_text) touched.push_back(g);
  }
  for (const auto& g : touched) {
    std::vector<std::pair<int64_t, std::string>> changed;  // key -> new postings ("" = none left)
    CUSTODIAN_ASSIGN_OR_RETURN(auto s, db_->Prepare("SELECT key, postings FROM grams WHERE key >= ? AND key < ?"));
    s.Bind(1, g.segment << kGramBits).Bind(2, (g.segment + 1) << kGramBits);
    std::vector<int64_t> ids, kept_ids;
    std::vector<uint8_t> masks, kept_masks;
    while (true) {
      CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      ids.clear();
      masks.clear();
      CUSTODIAN_RETURN_IF_ERROR(DecodePostings(s.Blob(1), g.first_text, g.last_text, &ids, &masks));
      kept_ids.clear();
      kept_masks.clear();
      for (size_t k = 0; k < ids.size(); k++) {
        if (std::binary_search(dead.begin(), dead.end(), ids[k])) continue;
        kept_ids.push_back(ids[k]);
        kept_masks.push_back(masks[k]);
      }
      if (kept_ids.size() == ids.size()) continue;
      // Re-encoded as the writer does (docs/storage-format.md, "Trigram index"); rows written
      // without masks get "anywhere" masks, which is what they meant.
      std::string enc = kept_ids.empty() ? std::string() : EncodePostings(kept_ids, kept_masks, g.first_text, g.last_text);
      changed.emplace_back(s.Int(0), std::move(enc));
    }
    CUSTODIAN_ASSIGN_OR_RETURN(auto del, db_->Prepare("DELETE FROM grams WHERE key = ?"));
    CUSTODIAN_ASSIGN_OR_RETURN(auto upd, db_->Prepare("UPDATE grams SET postings = ? WHERE key = ?"));
    for (const auto& [key, enc] : changed) {
      if (enc.empty()) {
        CUSTODIAN_RETURN_IF_ERROR(del.Bind(1, key).Exec());
      } else {
        CUSTODIAN_RETURN_IF_ERROR(upd.BindBlob(1, enc.data(), enc.size()).Bind(2, key).Exec());
      }
    }
  }
  ForgetGrams();  // rows read before are stale now
  return Status::Ok();
}

Status Index::MoveText(int64_t text_id, int64_t block_id, uint32_t slot) {
  CUSTODIAN_ASSIGN_OR_RETURN(auto s, db_->Prepare("UPDATE texts SET block_id = ?, slot = ? WHERE text_id = ?"));
  s.Bind(1, block_id).Bind(2, int64_t(slot)).Bind(3, text_id);
  return s.Exec();
}

Result<std::optional<int64_t>> Index::ThreadIdOf(int64_t msg) {
  CUSTODIAN_ASSIGN_OR_RETURN(auto s, db_->Prepare("SELECT thread_id FROM messages WHERE msg = ?"));
  s.Bind(1, msg);
  CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row || s.IsNull(0)) return std::optional<int64_t>();
  return std::optional<int64_t>(s.Int(0));
}

Status Index::ForgetThreadMessage(int64_t thread, const std::string& message_id) {
  CUSTODIAN_ASSIGN_OR_RETURN(auto left, db_->Prepare("SELECT 1 FROM messages WHERE thread_id = ? LIMIT 1"));
  left.Bind(1, thread);
  CUSTODIAN_ASSIGN_OR_RETURN(bool any, left.Step());
  if (!any) {
    CUSTODIAN_ASSIGN_OR_RETURN(auto a, db_->Prepare("DELETE FROM thread_keys WHERE thread = ?"));
    CUSTODIAN_RETURN_IF_ERROR(a.Bind(1, thread).Exec());
    CUSTODIAN_ASSIGN_OR_RETURN(auto b, db_->Prepare("DELETE FROM thread_subject_keys WHERE thread = ?"));
    return b.Bind(1, thread).Exec();
  }
  if (message_id.empty()) return Status::Ok();
  CUSTODIAN_ASSIGN_OR_RETURN(auto k, db_->Prepare("DELETE FROM thread_keys WHERE key = ? AND thread = ?"));
  return k.Bind(1, ThreadKey(message_id)).Bind(2, thread).Exec();
}

Result<TextRow> Index::GetText(int64_t text_id) {
  get_text_.Bind(1, text_id);
  auto row = get_text_.Step();
  if (!row.ok()) return row.status();
  if (!*row) {
    get_text_.Reset();
    return Status::NotFound("text " + std::to_string(text_id));
  }
  TextRow r = ReadTextRow(get_text_);
  get_text_.Reset();
  return r;
}

Status Index::ForEachTextInBlock(int64_t block_id, const std::function<Status(const TextRow&)>& fn) {
  CUSTODIAN_ASSIGN_OR_RETURN(
      auto s, db_->Prepare("SELECT text_id, hash, block_id, slot, size FROM texts WHERE block_id = ? ORDER BY slot"));
  s.Bind(1, block_id);
  while (true) {
    CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return Status::Ok();
    CUSTODIAN_RETURN_IF_ERROR(fn(ReadTextRow(s)));
  }
}

Status Index::ForEachText(const std::function<Status(const TextRow&)>& fn) {
  CUSTODIAN_ASSIGN_OR_RETURN(
      auto s, db_->Prepare("SELECT text_id, hash, block_id, slot, size FROM texts ORDER BY block_id, slot"));
  while (true) {
    CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return Status::Ok();
    CUSTODIAN_RETURN_IF_ERROR(fn(ReadTextRow(s)));
  }
}

Result<std::string> Index::WordStemmer() {
  CUSTODIAN_ASSIGN_OR_RETURN(auto s, db_->Prepare("SELECT sql FROM sqlite_master WHERE name = 'words'"));
  CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return Status::NotFound("the archive has no word index");
  std::string sql = ToLowerAscii(s.Text(0));
  for (const char* name : {"snowball", "porter"})
    if (sql.find(std::string("tokenize='") + name) != std::string::npos) return std::string(name);
  return std::string("none");
}

Result<uint64_t> Index::TextCount() {
  CUSTODIAN_ASSIGN_OR_RETURN(auto s, db_->Prepare("SELECT COUNT(*) FROM texts"));
  CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
  return row ? uint64_t(s.Int(0)) : 0;
}

Result<int64_t> Index::MaxTextId() {
  CUSTODIAN_ASSIGN_OR_RETURN(auto s, db_->Prepare("SELECT COALESCE(MAX(text_id), 0) FROM texts"));
  CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
  return row ? s.Int(0) : 0;
}

Result<uint64_t> Index::UnindexedMessages() {
  CUSTODIAN_ASSIGN_OR_RETURN(auto s, db_->Prepare("SELECT COUNT(*) FROM messages WHERE text_id IS NULL"));
  CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
  return row ? uint64_t(s.Int(0)) : 0;
}

Result<std::vector<std::string>> Index::CheckConsistency() {
  struct Check {
    const char* sql;
    const char* what;
  };
  const Check checks[] = {
      {"SELECT lower(hex(sha256)) FROM messages WHERE text_id IS NOT NULL AND text_id NOT IN"
       " (SELECT text_id FROM texts)", "message refers to a search text the index does not have: "},
      {"SELECT t.text_id FROM texts t LEFT JOIN blocks b ON b.block_id = t.block_id"
       " WHERE b.block_id IS NULL OR b.kind != 1", "search text is not in a text block: "},
  };
  std::vector<std::string> out;
  for (const auto& c : checks) {
    CUSTODIAN_ASSIGN_OR_RETURN(auto s, db_->Prepare(c.sql));
    while (true) {
      CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.push_back(c.what + std::string(s.Text(0)));
    }
  }
  return out;
}

namespace {
using K = query::Node::Kind;
// A node whose matches are a set of texts: the texts decide it alone, whichever message has them.
bool IsTextLevel(const query::Node& n) {
  switch (n.kind) {
    case K::kWord:
    case K::kPhrase:
    case K::kPrefix:
    case K::kSubstring:
    case K::kRegex:
      return true;
    case K::kOr:
      return !n.children.empty() && std::all_of(n.children.begin(), n.children.end(), [](const auto& c) {
               return IsTextLevel(*c);
             });
    case K::kAnd: {
      // NOT inside an AND subtracts texts; the AND needs at least one positive text-level child.
      bool positive = false;
      for (const auto& c : n.children) {
        if (c->kind == K::kNot && c->children.size() == 1 && IsTextLevel(*c->children[0])) continue;
        if (!IsTextLevel(*c)) return false;
        positive = true;
      }
      return positive;
    }
    default:
      return false;
  }
}
}  // namespace

Status Index::CompileText(const query::Node& n, const TextMatcher& matcher, Compiled* out) {
  auto param = [&](std::string v) {
    out->params.push_back(std::move(v));
    return "?" + std::to_string(out->params.size());
  };
  switch (n.kind) {
    case K::kWord:
    case K::kPhrase:
    case K::kPrefix: {
      Table t = TableFor(n.field);
      std::string m = param(MatchExpression(n));
      std::string in_words = "SELECT rowid AS tid FROM words WHERE words MATCH " + m;
      std::string in_names = "SELECT rowid AS tid FROM names WHERE names MATCH " + m;
      out->sql += t == Table::kWords ? in_words : t == Table::kNames ? in_names : in_words + " UNION " + in_names;
      return Status::Ok();
    }
    case K::kSubstring:
    case K::kRegex: {
      CUSTODIAN_ASSIGN_OR_RETURN(std::vector<int64_t> ids, matcher(n));
      std::string json = "[";
      for (size_t i = 0; i < ids.size(); i++) {
        if (i) json += ',';
        json += std::to_string(ids[i]);
      }
      json += "]";
      out->sql += "SELECT value AS tid FROM json_each(" + param(json) + ")";
      return Status::Ok();
    }
    case K::kOr:
    case K::kAnd: {
      // Positive children first, joined by INTERSECT or UNION; then EXCEPT each negated one.
      // Compound SELECTs associate left to right, so every operand is wrapped.
      bool first = true;
      for (const auto& c : n.children) {
        if (n.kind == K::kAnd && c->kind == K::kNot) continue;
        if (!first) out->sql += n.kind == K::kAnd ? " INTERSECT " : " UNION ";
        first = false;
        out->sql += "SELECT tid FROM (";
        CUSTODIAN_RETURN_IF_ERROR(CompileText(*c, matcher, out));
        out->sql += ")";
      }
      if (n.kind == K::kAnd)
        for (const auto& c : n.children) {
          if (c->kind != K::kNot) continue;
          out->sql += " EXCEPT SELECT tid FROM (";
          CUSTODIAN_RETURN_IF_ERROR(CompileText(*c->children[0], matcher, out));
          out->sql += ")";
        }
      return Status::Ok();
    }
    default:
      return Status::Internal("not a text-level query node");
  }
}

Status Index::Compile(const query::Node& n, const TextMatcher& matcher, Compiled* out) {
  auto param = [&](std::string v) {
    out->params.push_back(std::move(v));
    return "?" + std::to_string(out->params.size());
  };
  if (IsTextLevel(n)) {
    // Set algebra over texts, then one step to the messages that have them: texts are fewer
    // than messages (copies share one), and the messages table is read once.
    out->sql += "SELECT msg FROM messages WHERE text_id IN (";
    CUSTODIAN_RETURN_IF_ERROR(CompileText(n, matcher, out));
    out->sql += ")";
    return Status::Ok();
  }
  auto copies_where = [&](const std::string& cond) {
    return "SELECT DISTINCT k.msg AS msg FROM copies k JOIN folders f ON f.folder_id = k.folder_id"
           " JOIN custodians c ON c.cust_id = f.cust_id WHERE " + cond;
  };
  switch (n.kind) {
    case K::kAll:
      out->sql += "SELECT msg FROM messages";
      return Status::Ok();
    case K::kAnd:
    case K::kOr: {
      if (n.children.empty()) return Status::InvalidArgument("empty group");
      for (size_t i = 0; i < n.children.size(); i++) {
        if (i) out->sql += n.kind == K::kAnd ? " INTERSECT " : " UNION ";
        out->sql += "SELECT msg FROM (";
        CUSTODIAN_RETURN_IF_ERROR(Compile(*n.children[i], matcher, out));
        out->sql += ")";
      }
      return Status::Ok();
    }
    case K::kNot:
      if (n.children.size() != 1) return Status::InvalidArgument("NOT takes one operand");
      out->sql += "SELECT msg FROM messages EXCEPT SELECT msg FROM (";
      CUSTODIAN_RETURN_IF_ERROR(Compile(*n.children[0], matcher, out));
      out->sql += ")";
      return Status::Ok();
    case K::kWord:
    case K::kPhrase:
    case K::kPrefix:
    case K::kSubstring:
    case K::kRegex:
      break;  // text-level: compiled by CompileText above
    case K::kDate:
    case K::kSize: {
      const char* col = n.kind == K::kDate ? "date" : "size";
      out->sql += std::string("SELECT msg FROM messages WHERE ") + col + " IS NOT NULL";
      if (n.lo) out->sql += std::string(" AND ") + col + " >= " + std::to_string(*n.lo);
      if (n.hi) out->sql += std::string(" AND ") + col + " <= " + std::to_string(*n.hi);
      return Status::Ok();
    }
    case K::kHas:
      if (n.text != "attachment") return Status::InvalidArgument("has:" + n.text + " is not supported");
      out->sql += "SELECT msg FROM messages WHERE attachments > 0";
      return Status::Ok();
    case K::kIs:
      if (n.text != "deleted") return Status::Unsupported("is:" + n.text + " is not available yet");
      out->sql += copies_where("k.deleted = 1");
      return Status::Ok();
    case K::kCustodian:
      out->sql += copies_where("c.name = " + param(n.text));
      return Status::Ok();
    case K::kFolder: {
      std::string like;
      for (char ch : n.text) {
        if (ch == '%' || ch == '_' || ch == '\\') like += '\\';
        like += ch;
      }
      out->sql += copies_where("(f.path = " + param(n.text) + " OR f.path LIKE " + param(like + "/%") + " ESCAPE '\\')");
      return Status::Ok();
    }
    case K::kId: {
      // Ids are stored as blobs; compare the hex form's prefix.
      out->sql += "SELECT msg FROM messages WHERE substr(lower(hex(sha256)), 1, " + std::to_string(n.text.size()) +
                  ") = " + param(ToLowerAscii(n.text));
      return Status::Ok();
    }
    case K::kMsgid:
      out->sql += "SELECT msg FROM messages WHERE message_id = " + param(n.text);
      return Status::Ok();
    case K::kDkim:
      // A message's current result is its newest row (docs/storage-format.md, "Authenticity").
      out->sql += "SELECT r.msg AS msg FROM dkim_results r WHERE r.verdict = " + param(n.text) +
                  " AND r.result_id = (SELECT MAX(result_id) FROM dkim_results WHERE msg = r.msg)";
      // Unsigned mail checked at import has no row (catalog.h, kDkimCheckedFromSql).
      if (n.text == "none")
        out->sql += std::string(" UNION SELECT m.msg AS msg FROM messages m WHERE m.msg >= ") +
                    catalog::kDkimCheckedFromSql + " AND NOT EXISTS (SELECT 1 FROM dkim_results d WHERE d.msg = m.msg)";
      return Status::Ok();
    case K::kSignedBy:
      out->sql += "SELECT r.msg AS msg FROM dkim_signatures g"
                  " JOIN dkim_results r ON r.result_id = g.result_id WHERE g.result = 'pass' AND g.d = " +
                  param(ToLowerAscii(n.text)) +
                  " AND r.result_id = (SELECT MAX(result_id) FROM dkim_results WHERE msg = r.msg)";
      return Status::Ok();
    case K::kThread:
      out->sql += "SELECT msg FROM messages WHERE thread_id IN (SELECT thread_id FROM messages WHERE substr(lower(hex(sha256)), 1, " +
                  std::to_string(n.text.size()) + ") = " + param(ToLowerAscii(n.text)) + ")";
      return Status::Ok();
  }
  return Status::Internal("unknown query node");
}

Result<std::vector<Index::Match>> Index::Search(const query::Node& root, const TextMatcher& matcher, SortOrder order,
                                                size_t offset, size_t limit, uint64_t* total) {
  Compiled c;
  // A question about texts alone (words, phrases, text:, re: and their combinations) is
  // answered by joining its texts to their messages, which saves SQLite a list of message ids
  // to build and probe (5-7% of a word search with thousands of hits at x1).
  std::string texts_sql;  // then: a SELECT of the text ids
  if (IsTextLevel(root)) {
    CUSTODIAN_RETURN_IF_ERROR(CompileText(root, matcher, &c));
    texts_sql = c.sql;
    c.sql = "SELECT msg FROM messages WHERE text_id IN (" + texts_sql + ")";  // what Compile gives
  } else {
    CUSTODIAN_RETURN_IF_ERROR(Compile(root, matcher, &c));
  }
  auto bind_all = [&](catalog::Statement& s) {
    for (size_t i = 0; i < c.params.size(); i++) s.Bind(int(i + 1), c.params[i]);
  };
  bool whole = limit == 0 && offset == 0;  // the result itself is the count
  if (total && !whole) {
    CUSTODIAN_ASSIGN_OR_RETURN(auto s, db_->Prepare("SELECT COUNT(*) FROM (" + c.sql + ")"));
    bind_all(s);
    CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
    *total = row ? uint64_t(s.Int(0)) : 0;
  }
  std::string window = " LIMIT " + (limit ? std::to_string(limit) : std::string("-1")) + " OFFSET " +
                       std::to_string(offset);
  std::string sql;
  std::vector<const query::Node*> words;
  if (order == SortOrder::kRelevance) PositiveWords(root, &words);
  if (!words.empty()) {
    std::string match;
    for (const auto* w : words) match += (match.empty() ? "" : " OR ") + MatchExpression(*w);
    c.params.push_back(match);
    sql = "SELECT m.msg, m.sha256 FROM messages m INDEXED BY messages_keys LEFT JOIN (SELECT rowid AS tid, bm25(words) AS score FROM words"
          " WHERE words MATCH ?" + std::to_string(c.params.size()) + ") r ON r.tid = m.text_id"
          " WHERE m.msg IN (" + c.sql + ") ORDER BY r.score IS NULL, r.score, m.date DESC, m.msg DESC" + window;
  } else if (!texts_sql.empty()) {
    sql = "SELECT m.msg, m.sha256 FROM messages h INDEXED BY messages_text JOIN messages m INDEXED BY messages_keys"
          " ON m.msg = h.msg WHERE h.text_id IN (" + texts_sql + ") ORDER BY m.date IS NULL, m.date DESC, m.msg DESC" +
          window;
  } else {
    sql = "SELECT m.msg, m.sha256 FROM messages m INDEXED BY messages_keys WHERE m.msg IN (" + c.sql +
          ") ORDER BY m.date IS NULL, m.date DESC, m.msg DESC" + window;
  }
  CUSTODIAN_ASSIGN_OR_RETURN(auto s, db_->Prepare(sql));
  bind_all(s);
  std::vector<Match> out;
  while (true) {
    CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    Match m{s.Int(0), {}};
    std::string_view id = s.Blob(1);
    if (id.size() == m.id.size()) std::memcpy(m.id.data(), id.data(), id.size());
    out.push_back(m);
  }
  if (total && whole) *total = out.size();
  return out;
}

}  // namespace custodian::index
