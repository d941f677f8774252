#include "catalog/catalog.h"

#include <cstdlib>

#include <cstdio>
#include <cstring>

#include "util/text.h"

namespace custodian::catalog {
namespace {

// 1: the foundation; 2: trigram index, text dictionaries, messages_keys (added tables and
// indexes only, so opening a version 1 archive for writing upgrades it in place); 3: threading
// keeps keys of Message-IDs and subjects, not the strings (converted by Index::Open); 4: the
// authenticity tables (DKIM results and kept keys), created by UpgradeSchema; 5: the
// preservation ledger (messages.ledger_leaf, added by a writer's open; the ledger, hold, retention
// and disposal tables are created by preserve::Ledger / preserve::Policies, which also backfill
// older archives).
constexpr int kSchemaVersion = 5;

// Added in schema 4 (docs/storage-format.md, "Authenticity").
constexpr const char* kAuthenticitySchema = R"sql(
CREATE TABLE IF NOT EXISTS dkim_keys(key_id INTEGER PRIMARY KEY, name TEXT NOT NULL,
                                     record TEXT NOT NULL, fetched_at INTEGER, source TEXT NOT NULL,
                                     dnssec TEXT NOT NULL, kept_at INTEGER NOT NULL,
                                     UNIQUE(name, record));
CREATE TABLE IF NOT EXISTS dkim_results(result_id INTEGER PRIMARY KEY, msg INTEGER NOT NULL,
                                        verified_at INTEGER NOT NULL, as_of INTEGER NOT NULL,
                                        verdict TEXT NOT NULL, arc TEXT NOT NULL,
                                        reason TEXT NOT NULL, report TEXT);
CREATE INDEX IF NOT EXISTS dkim_results_msg ON dkim_results(msg, result_id);
CREATE TABLE IF NOT EXISTS dkim_signatures(result_id INTEGER NOT NULL, idx INTEGER NOT NULL,
                                           d TEXT NOT NULL, s TEXT NOT NULL, a TEXT NOT NULL,
                                           i TEXT NOT NULL, result TEXT NOT NULL,
                                           body_hash TEXT NOT NULL, reason TEXT NOT NULL,
                                           weak INTEGER NOT NULL, weak_reason TEXT NOT NULL,
                                           headers TEXT NOT NULL, body_length_limit INTEGER,
                                           body_bytes_signed INTEGER NOT NULL,
                                           body_bytes_unsigned INTEGER NOT NULL, key_id INTEGER,
                                           key_fingerprint TEXT NOT NULL,
                                           PRIMARY KEY(result_id, idx)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS dkim_signatures_passing ON dkim_signatures(d) WHERE result = 'pass';
)sql";

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS segments(seg_id INTEGER PRIMARY KEY, committed_length INTEGER NOT NULL,
                                    sealed INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS dictionaries(dict_id INTEGER PRIMARY KEY, dict BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS blocks(block_id INTEGER PRIMARY KEY, seg_id INTEGER NOT NULL,
                                  offset INTEGER NOT NULL, length INTEGER NOT NULL,
                                  count INTEGER NOT NULL, raw_bytes INTEGER NOT NULL,
                                  key_seed BLOB, kind INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS messages(msg INTEGER PRIMARY KEY, sha256 BLOB NOT NULL UNIQUE,
                                    block_id INTEGER NOT NULL, slot INTEGER NOT NULL,
                                    size INTEGER NOT NULL, date INTEGER, from_addr TEXT,
                                    subject TEXT, message_id TEXT, in_reply_to TEXT,
                                    problems TEXT, added INTEGER NOT NULL,
                                    attachments INTEGER NOT NULL DEFAULT 0, text_id INTEGER,
                                    thread_id INTEGER, ledger_leaf INTEGER);
CREATE INDEX IF NOT EXISTS messages_block ON messages(block_id, slot);
CREATE INDEX IF NOT EXISTS messages_text ON messages(text_id);
-- What every search reads of its hits: far denser than the rows, so a search touches few pages.
CREATE INDEX IF NOT EXISTS messages_keys ON messages(msg, date, sha256);
CREATE INDEX IF NOT EXISTS messages_thread ON messages(thread_id);
CREATE TABLE IF NOT EXISTS custodians(cust_id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS folders(folder_id INTEGER PRIMARY KEY, cust_id INTEGER NOT NULL,
                                   path TEXT NOT NULL, UNIQUE(cust_id, path));
CREATE TABLE IF NOT EXISTS copies(msg INTEGER NOT NULL, folder_id INTEGER NOT NULL,
                                  flags TEXT NOT NULL, deleted INTEGER NOT NULL,
                                  envelope TEXT, added INTEGER NOT NULL,
                                  PRIMARY KEY(msg, folder_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS copies_folder ON copies(folder_id);
)sql";

constexpr const char* kMessageCols =
    "m.msg, m.sha256, m.block_id, m.slot, m.size, m.date, m.from_addr, m.subject, m.message_id, "
    "m.in_reply_to, m.problems, m.added, m.attachments, m.text_id, m.ledger_leaf";

Sha256 BlobToSha(std::string_view b) {
  Sha256 s{};
  if (b.size() == s.size()) std::memcpy(s.data(), b.data(), s.size());
  return s;
}

MessageRow ReadMessageRow(const Statement& s, int c) {
  MessageRow m;
  m.msg = s.Int(c);
  m.id = BlobToSha(s.Blob(c + 1));
  m.block_id = s.Int(c + 2);
  m.slot = uint32_t(s.Int(c + 3));
  m.size = uint64_t(s.Int(c + 4));
  if (!s.IsNull(c + 5)) m.date = s.Int(c + 5);
  m.from = s.Text(c + 6);
  m.subject = s.Text(c + 7);
  m.message_id = s.Text(c + 8);
  m.in_reply_to = s.Text(c + 9);
  m.problems = s.Text(c + 10);
  m.added = s.Int(c + 11);
  m.attachments = uint32_t(s.Int(c + 12));
  if (!s.IsNull(c + 13)) m.text_id = s.Int(c + 13);
  if (!s.IsNull(c + 14)) m.ledger_leaf = s.Int(c + 14);
  return m;
}

}  // namespace

static std::string UriEscape(const std::string& path) {
  std::string out;
  for (unsigned char ch : path) {
    if (ch == '%' || ch == '?' || ch == '#' || ch < 0x20) {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", ch);
      out += buf;
    } else {
      out += char(ch);
    }
  }
  return out;
}

Result<std::unique_ptr<Catalog>> Catalog::Open(const std::string& path, bool read_only, const CatalogKey& key) {
  std::string token = RegisterCatalogKey(key);
  std::string uri = "file:" + UriEscape(path) + "?vfs=" + kEncryptedVfsName + "&custodian_key=" + token;
  auto opened = Database::OpenUri(uri, path, read_only);
  if (!opened.ok()) {
    ForgetCatalogKey(token);
    return opened.status();
  }
  std::unique_ptr<Catalog> c(new Catalog(token, std::move(*opened)));
  // Each page keeps kReservedBytes for the nonce and tag. On a new database this sets it; on an
  // existing one it reports what the file has, which must match.
  int reserve = -1;
  sqlite3_file_control(c->db_.raw(), "main", SQLITE_FCNTL_RESERVE_BYTES, &reserve);
  sqlite3_int64 size = 0;
  {
    // The first read of a page is where a wrong key (or a damaged file) shows.
    auto undecryptable = [&](const Status& st) {
      if (st.code() == Status::Code::kIOError || st.code() == Status::Code::kCorruption)
        return Status::Corruption("catalog " + path +
                                  " cannot be decrypted: wrong master key, or the file is damaged");
      return st;
    };
    auto pc = c->db_.Prepare("PRAGMA page_count");
    if (!pc.ok()) return undecryptable(pc.status());
    auto row = pc->Step();
    if (!row.ok()) return undecryptable(row.status());
    size = *row ? pc->Int(0) : 0;
  }
  if (size == 0 && !read_only) {
    int want = kReservedBytes;
    sqlite3_file_control(c->db_.raw(), "main", SQLITE_FCNTL_RESERVE_BYTES, &want);
    CUSTODIAN_RETURN_IF_ERROR(c->db_.Exec("PRAGMA page_size=" + std::to_string(kNewPageSize)));
    // Switching a new database to WAL writes page 1 under a rollback journal; keeping that journal
    // in memory means no journal file (which would hold pages in the clear) is ever created.
    CUSTODIAN_RETURN_IF_ERROR(c->db_.Exec("PRAGMA journal_mode=MEMORY"));
  } else if (reserve != kReservedBytes) {
    return Status::Unsupported("catalog " + path + " was not written by this version (no page encryption)");
  }
  // synchronous=FULL: a commit is on disk when it returns — imports acknowledge only after it.
  CUSTODIAN_RETURN_IF_ERROR(c->db_.Exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=OFF; "
                                        "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-32768;"
                                        " PRAGMA mmap_size=0;"));
  if (!read_only) {
    CUSTODIAN_RETURN_IF_ERROR(c->db_.Exec("PRAGMA journal_mode=WAL; PRAGMA secure_delete=ON;"));
    CUSTODIAN_RETURN_IF_ERROR(c->db_.Exec(kSchema));
    // Schema 4 -> 5: each message names the ledger leaf that recorded its arrival.
    CUSTODIAN_ASSIGN_OR_RETURN(auto col, c->db_.Prepare("SELECT 1 FROM pragma_table_info('messages')"
                                                        " WHERE name = 'ledger_leaf'"));
    CUSTODIAN_ASSIGN_OR_RETURN(bool has_leaf, col.Step());
    if (!has_leaf) CUSTODIAN_RETURN_IF_ERROR(c->db_.Exec("ALTER TABLE messages ADD COLUMN ledger_leaf INTEGER"));
  }
  auto v = c->GetMeta("schema_version");
  if (!v.ok() && !(v.status().code() == Status::Code::kNotFound && !read_only)) return v.status();
  int version = v.ok() ? std::atoi(v->c_str()) : 0;
  if (version > kSchemaVersion)
    return Status::Unsupported("the archive was written by a newer version of custodian (catalog schema " + *v +
                               "; this build knows up to " + std::to_string(kSchemaVersion) + ")");
  if (version < kSchemaVersion) {
    if (read_only && version > 0)
      return Status::Unsupported("the archive was written by an older version of custodian (catalog schema " + *v +
                                 "); open it for writing once to upgrade it, e.g. with `custodian reindex`");
    if (!read_only) CUSTODIAN_RETURN_IF_ERROR(c->UpgradeSchema(version));
  }
  if (!read_only) {
    // Unsigned mail imported from now on is stored without a DKIM result row (kDkimCheckedFromSql).
    CUSTODIAN_RETURN_IF_ERROR(c->db_.Exec(
        "INSERT OR IGNORE INTO meta(key, value) SELECT 'dkim_checked_from', IFNULL(MAX(msg), 0) + 1 FROM messages"));
  }
  CUSTODIAN_RETURN_IF_ERROR(c->Prepare());
  return c;
}

// Brings a catalog of schema `from` (0: new) to kSchemaVersion, one step at a time, in one
// transaction. Steps 1..3 need only the CREATE ... IF NOT EXISTS of kSchema (run before this) or
// are done by the index (Index::Open converts schema 2's thread tables).
Status Catalog::UpgradeSchema(int from) {
  CUSTODIAN_RETURN_IF_ERROR(Begin());
  Status st;
  if (from < 4) st = db_.Exec(kAuthenticitySchema);
  if (st.ok()) st = SetMeta("schema_version", std::to_string(kSchemaVersion));
  if (st.ok()) st = Commit();
  if (!st.ok()) (void)Rollback();
  return st;
}

Status Catalog::Prepare() {
  find_msg_ = db_.PrepareLazy("SELECT msg FROM messages WHERE sha256 = ?");
  add_dkim_result_ = db_.PrepareLazy("INSERT INTO dkim_results(msg, verified_at, as_of, verdict, arc, reason, report)"
                                    " VALUES(?,?,?,?,?,?,?)");
  add_dkim_signature_ = db_.PrepareLazy("INSERT INTO dkim_signatures(result_id, idx, d, s, a, i, result, body_hash, reason, weak,"
                  " weak_reason, headers, body_length_limit, body_bytes_signed, body_bytes_unsigned, key_id,"
                  " key_fingerprint) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  add_msg_ = db_.PrepareLazy("INSERT INTO messages(sha256, block_id, slot, size, date, from_addr, subject,"
                            " message_id, in_reply_to, problems, added, attachments, text_id, ledger_leaf)"
                            " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  add_block_ = db_.PrepareLazy("INSERT INTO blocks(block_id, seg_id, offset, length, count, raw_bytes,"
                              " key_seed, kind) VALUES(?,?,?,?,?,?,?,?)");
  add_copy_ = db_.PrepareLazy("INSERT OR IGNORE INTO copies(msg, folder_id, flags, deleted, envelope,"
                             " added) VALUES(?,?,?,?,?,strftime('%s','now'))");
  get_msg_ = db_.PrepareLazy(std::string("SELECT ") + kMessageCols + " FROM messages m WHERE m.msg = ?");
  get_block_ = db_.PrepareLazy("SELECT block_id, seg_id, offset, length, count, raw_bytes, key_seed, kind"
                              " FROM blocks WHERE block_id = ?");
  set_segment_ = db_.PrepareLazy("INSERT INTO segments(seg_id, committed_length, sealed) VALUES(?,?,?)"
                                " ON CONFLICT(seg_id) DO UPDATE SET committed_length=excluded.committed_length,"
                                " sealed=excluded.sealed");
  return Status::Ok();
}

Status Catalog::SetCacheKiB(int kib) { return db_.Exec("PRAGMA cache_size=-" + std::to_string(kib)); }

Status Catalog::Begin() { return db_.Exec("BEGIN IMMEDIATE"); }
Status Catalog::BeginRead() { return db_.Exec("BEGIN DEFERRED"); }
Status Catalog::Commit() { return db_.Exec("COMMIT"); }
Status Catalog::Rollback() { return db_.Exec("ROLLBACK"); }

Result<store::SegmentState> Catalog::ActiveSegment() {
  CUSTODIAN_ASSIGN_OR_RETURN(
      auto s, db_.Prepare("SELECT seg_id, committed_length, sealed FROM segments ORDER BY seg_id DESC LIMIT 1"));
  CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return store::SegmentState{};
  return store::SegmentState{uint64_t(s.Int(0)), uint64_t(s.Int(1)), s.Int(2) != 0};
}

Result<std::vector<store::SegmentState>> Catalog::Segments() {
  CUSTODIAN_ASSIGN_OR_RETURN(
      auto s, db_.Prepare("SELECT seg_id, committed_length, sealed FROM segments ORDER BY seg_id"));
  std::vector<store::SegmentState> out;
  while (true) {
    CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back({uint64_t(s.Int(0)), uint64_t(s.Int(1)), s.Int(2) != 0});
  }
  return out;
}

Status Catalog::SetSegment(const store::SegmentState& st) {
  set_segment_.Bind(1, int64_t(st.segment)).Bind(2, int64_t(st.committed_length)).Bind(3, int64_t(st.sealed));
  return set_segment_.Exec();
}

Result<uint32_t> Catalog::AddDictionary(std::string_view bytes) {
  CUSTODIAN_ASSIGN_OR_RETURN(auto s, db_.Prepare("INSERT INTO dictionaries(dict) VALUES(?)"));
  CUSTODIAN_RETURN_IF_ERROR(s.BindBlob(1, bytes.data(), bytes.size()).Exec());
  return uint32_t(db_.LastInsertRowid());
}

Status Catalog::ForEachDictionary(const std::function<Status(uint32_t, std::string_view)>& fn) {
  CUSTODIAN_ASSIGN_OR_RETURN(auto s, db_.Prepare("SELECT dict_id, dict FROM dictionaries ORDER BY dict_id"));
  while (true) {
    CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return Status::Ok();
    CUSTODIAN_RETURN_IF_ERROR(fn(uint32_t(s.Int(0)), s.Blob(1)));
  }
}

Result<int64_t> Catalog::MaxBlockId() {
  CUSTODIAN_ASSIGN_OR_RETURN(auto s, db_.Prepare("SELECT COALESCE(MAX(block_id), 0) FROM blocks"));
  CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
  return row ? s.Int(0) : 0;
}

Status Catalog::AddBlock(const BlockRow& b) {
  add_block_.Bind(1, b.block_id)
      .Bind(2, int64_t(b.loc.segment))
      .Bind(3, int64_t(b.loc.offset))
      .Bind(4, int64_t(b.loc.length))
      .Bind(5, int64_t(b.count))
      .Bind(6, int64_t(b.raw_bytes))
      .BindBlob(7, b.seed.data(), b.seed.size())
      .Bind(8, int64_t(b.kind));
  return add_block_.Exec();
}

static BlockRow ReadBlockRow(const Statement& s) {
  BlockRow b;
  b.block_id = s.Int(0);
  b.loc = {uint64_t(s.Int(1)), uint64_t(s.Int(2)), uint32_t(s.Int(3))};
  b.count = uint32_t(s.Int(4));
  b.raw_bytes = uint64_t(s.Int(5));
  std::string_view seed = s.Blob(6);
  if (seed.size() == b.seed.size()) std::memcpy(b.seed.data(), seed.data(), seed.size());
  b.kind = BlockKind(s.Int(7));
  return b;
}

Result<BlockRow> Catalog::GetBlock(int64_t block_id) {
  get_block_.Bind(1, block_id);
  auto row = get_block_.Step();
  if (!row.ok()) return row.status();
  if (!*row) {
    get_block_.Reset();
    return Status::NotFound("block " + std::to_string(block_id) + " is not in the catalog");
  }
  BlockRow b = ReadBlockRow(get_block_);
  get_block_.Reset();
  return b;
}

Status Catalog::ForEachBlock(const std::function<Status(const BlockRow&)>& fn) {
  CUSTODIAN_ASSIGN_OR_RETURN(
      auto s, db_.Prepare("SELECT block_id, seg_id, offset, length, count, raw_bytes, key_seed, kind"
                          " FROM blocks ORDER BY seg_id, offset"));
  while (true) {
    CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return Status::Ok();
    CUSTODIAN_RETURN_IF_ERROR(fn(ReadBlockRow(s)));
  }
}

Result<std::optional<int64_t>> Catalog::FindMessage(const Sha256& id) {
  find_msg_.BindBlob(1, id.data(), id.size());
  auto row = find_msg_.Step();
  if (!row.ok()) return row.status();
  std::optional<int64_t> r;
  if (*row) r = find_msg_.Int(0);
  find_msg_.Reset();
  return r;
}

Result<int64_t> Catalog::AddMessage(const MessageRow& m) {
  add_msg_.BindBlob(1, m.id.data(), m.id.size())
      .Bind(2, m.block_id)
      .Bind(3, int64_t(m.slot))
      .Bind(4, int64_t(m.size));
  if (m.date) add_msg_.Bind(5, *m.date); else add_msg_.BindNull(5);
  add_msg_.Bind(6, m.from).Bind(7, m.subject).Bind(8, m.message_id).Bind(9, m.in_reply_to);
  if (m.problems.empty()) add_msg_.BindNull(10); else add_msg_.Bind(10, m.problems);
  add_msg_.Bind(11, m.added).Bind(12, int64_t(m.attachments));
  if (m.text_id) add_msg_.Bind(13, *m.text_id); else add_msg_.BindNull(13);
  if (m.ledger_leaf) add_msg_.Bind(14, *m.ledger_leaf); else add_msg_.BindNull(14);
  CUSTODIAN_RETURN_IF_ERROR(add_msg_.Exec());
  return db_.LastInsertRowid();
}

Result<MessageRow> Catalog::GetMessage(int64_t msg) {
  get_msg_.Bind(1, msg);
  auto row = get_msg_.Step();
  if (!row.ok()) return row.status();
  if (!*row) {
    get_msg_.Reset();
    return Status::NotFound("message row " + std::to_string(msg));
  }
  MessageRow m = ReadMessageRow(get_msg_, 0);
  get_msg_.Reset();
  return m;
}

Result<std::vector<Sha256>> Catalog::FindByPrefix(const std::string& hex, int limit) {
  if (hex.empty() || hex.size() > 64 || !IsHex(hex)) return Status::InvalidArgument("not a hex id prefix: " + hex);
  // The blob range [lo, hi) holds exactly the ids starting with the prefix.
  std::string lo_hex = ToLowerAscii(hex) + std::string(64 - hex.size(), '0');
  Sha256 lo = *Sha256FromHex(lo_hex);
  std::string lo_blob(reinterpret_cast<const char*>(lo.data()), 32);
  // Increment the prefix (as a number of hex.size() digits) to get the exclusive upper bound.
  std::string hi_hex = ToLowerAscii(hex);
  int i = int(hi_hex.size()) - 1;
  while (i >= 0 && hi_hex[size_t(i)] == 'f') hi_hex[size_t(i--)] = '0';
  bool unbounded = i < 0;
  std::string sql = "SELECT sha256 FROM messages WHERE sha256 >= ?" + std::string(unbounded ? "" : " AND sha256 < ?") +
                    " ORDER BY sha256 LIMIT ?";
  CUSTODIAN_ASSIGN_OR_RETURN(auto s, db_.Prepare(sql));
  s.BindBlob(1, lo_blob.data(), lo_blob.size());
  if (!unbounded) {
    char& c = hi_hex[size_t(i)];
    c = c == '9' ? 'a' : char(c + 1);
    Sha256 hi = *Sha256FromHex(hi_hex + std::string(64 - hi_hex.size(), '0'));
    s.BindBlob(2, hi.data(), hi.size());
    s.Bind(3, int64_t(limit));
  } else {
    s.Bind(2, int64_t(limit));
  }
  std::vector<Sha256> out;
  while (true) {
    CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(BlobToSha(s.Blob(0)));
  }
  return out;
}

Status Catalog::ForEachMessageInBlock(int64_t block_id, const std::function<Status(const MessageRow&)>& fn) {
  CUSTODIAN_ASSIGN_OR_RETURN(
      auto s, db_.Prepare(std::string("SELECT ") + kMessageCols + " FROM messages m WHERE m.block_id = ? ORDER BY m.slot"));
  s.Bind(1, block_id);
  while (true) {
    CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return Status::Ok();
    CUSTODIAN_RETURN_IF_ERROR(fn(ReadMessageRow(s, 0)));
  }
}

Status Catalog::ForEachMessage(const std::function<Status(const MessageRow&)>& fn) {
  CUSTODIAN_ASSIGN_OR_RETURN(
      auto s, db_.Prepare(std::string("SELECT ") + kMessageCols + " FROM messages m ORDER BY m.block_id, m.slot"));
  while (true) {
    CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return Status::Ok();
    CUSTODIAN_RETURN_IF_ERROR(fn(ReadMessageRow(s, 0)));
  }
}

Result<int64_t> Catalog::EnsureCustodian(const std::string& name) {
  CUSTODIAN_ASSIGN_OR_RETURN(auto ins, db_.Prepare("INSERT OR IGNORE INTO custodians(name) VALUES(?)"));
  ins.Bind(1, name);
  CUSTODIAN_RETURN_IF_ERROR(ins.Exec());
  CUSTODIAN_ASSIGN_OR_RETURN(auto sel, db_.Prepare("SELECT cust_id FROM custodians WHERE name = ?"));
  sel.Bind(1, name);
  CUSTODIAN_ASSIGN_OR_RETURN(bool row, sel.Step());
  if (!row) return Status::Internal("custodian vanished");
  return sel.Int(0);
}

Result<int64_t> Catalog::EnsureFolder(int64_t cust, const std::string& path) {
  CUSTODIAN_ASSIGN_OR_RETURN(auto ins, db_.Prepare("INSERT OR IGNORE INTO folders(cust_id, path) VALUES(?, ?)"));
  ins.Bind(1, cust).Bind(2, path);
  CUSTODIAN_RETURN_IF_ERROR(ins.Exec());
  CUSTODIAN_ASSIGN_OR_RETURN(auto sel, db_.Prepare("SELECT folder_id FROM folders WHERE cust_id = ? AND path = ?"));
  sel.Bind(1, cust).Bind(2, path);
  CUSTODIAN_ASSIGN_OR_RETURN(bool row, sel.Step());
  if (!row) return Status::Internal("folder vanished");
  return sel.Int(0);
}

Result<bool> Catalog::AddCopy(int64_t msg, int64_t folder_id, const std::string& flags, bool deleted,
                              const std::string& envelope) {
  add_copy_.Bind(1, msg).Bind(2, folder_id).Bind(3, flags).Bind(4, int64_t(deleted));
  if (envelope.empty()) add_copy_.BindNull(5); else add_copy_.Bind(5, envelope);
  CUSTODIAN_RETURN_IF_ERROR(add_copy_.Exec());
  return db_.Changes() > 0;
}

static const char* kCopyCols = "c.name, f.path, k.flags, k.deleted, k.envelope";

static CopyRow ReadCopyRow(const Statement& s, int64_t msg) {
  CopyRow c;
  c.msg = msg;
  c.custodian = s.Text(0);
  c.folder = s.Text(1);
  c.flags = s.Text(2);
  c.deleted = s.Int(3) != 0;
  c.envelope = s.Text(4);
  return c;
}

Result<std::vector<CopyRow>> Catalog::CopiesOf(int64_t msg) {
  CUSTODIAN_ASSIGN_OR_RETURN(
      auto s, db_.Prepare(std::string("SELECT ") + kCopyCols +
                          " FROM copies k JOIN folders f ON f.folder_id = k.folder_id"
                          " JOIN custodians c ON c.cust_id = f.cust_id WHERE k.msg = ? ORDER BY c.name, f.path"));
  s.Bind(1, msg);
  std::vector<CopyRow> out;
  while (true) {
    CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(ReadCopyRow(s, msg));
  }
  return out;
}

Status Catalog::ForEachCopy(const CopyFilter& f,
                            const std::function<Status(const CopyRow&, const MessageRow&)>& fn) {
  std::string sql = std::string("SELECT ") + kCopyCols + ", " + kMessageCols +
                    " FROM copies k JOIN folders f ON f.folder_id = k.folder_id"
                    " JOIN custodians c ON c.cust_id = f.cust_id JOIN messages m ON m.msg = k.msg WHERE 1";
  if (f.custodian) sql += " AND c.name = ?1";
  if (f.folder) sql += " AND (f.path = ?2 OR f.path LIKE ?3 ESCAPE '\\')";
  if (!f.include_deleted) sql += " AND k.deleted = 0";
  sql += f.storage_order ? " ORDER BY m.block_id, m.slot, c.name, f.path"
                         : " ORDER BY m.date DESC, m.msg DESC, c.name, f.path";
  if (f.limit) sql += " LIMIT " + std::to_string(f.limit);
  CUSTODIAN_ASSIGN_OR_RETURN(auto s, db_.Prepare(sql));
  if (f.custodian) s.Bind(1, *f.custodian);
  if (f.folder) {
    std::string like;  // subfolders of F are included: "F/%"
    for (char ch : *f.folder) {
      if (ch == '%' || ch == '_' || ch == '\\') like += '\\';
      like += ch;
    }
    s.Bind(2, *f.folder).Bind(3, like + "/%");
  }
  while (true) {
    CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return Status::Ok();
    MessageRow m = ReadMessageRow(s, 5);
    CUSTODIAN_RETURN_IF_ERROR(fn(ReadCopyRow(s, m.msg), m));
  }
}

Result<bool> Catalog::CustodianExists(const std::string& name) {
  CUSTODIAN_ASSIGN_OR_RETURN(auto s, db_.Prepare("SELECT 1 FROM custodians WHERE name = ?"));
  s.Bind(1, name);
  return s.Step();
}

Result<CatalogStats> Catalog::Stats() {
  CatalogStats st;
  CUSTODIAN_ASSIGN_OR_RETURN(
      auto s, db_.Prepare("SELECT (SELECT COUNT(*) FROM messages), (SELECT COUNT(*) FROM copies),"
                          " (SELECT COALESCE(SUM(size),0) FROM messages), (SELECT COUNT(*) FROM blocks),"
                          " (SELECT COUNT(*) FROM messages WHERE problems IS NOT NULL),"
                          " (SELECT COUNT(*) FROM custodians)"));
  CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
  if (row) {
    st.messages = uint64_t(s.Int(0));
    st.copies = uint64_t(s.Int(1));
    st.raw_bytes = uint64_t(s.Int(2));
    st.blocks = uint64_t(s.Int(3));
    st.flagged = uint64_t(s.Int(4));
    st.custodians = uint64_t(s.Int(5));
  }
  CUSTODIAN_ASSIGN_OR_RETURN(
      auto p, db_.Prepare("SELECT c.name, COUNT(DISTINCT k.msg), COUNT(*),"
                          " (SELECT COALESCE(SUM(m.size),0) FROM messages m WHERE m.msg IN"
                          "   (SELECT k2.msg FROM copies k2 JOIN folders f2 ON f2.folder_id = k2.folder_id"
                          "    WHERE f2.cust_id = c.cust_id)),"
                          " COUNT(DISTINCT k.folder_id), SUM(k.deleted)"
                          " FROM custodians c JOIN folders f ON f.cust_id = c.cust_id"
                          " JOIN copies k ON k.folder_id = f.folder_id GROUP BY c.cust_id ORDER BY c.name"));
  while (true) {
    CUSTODIAN_ASSIGN_OR_RETURN(bool r, p.Step());
    if (!r) break;
    st.per_custodian.push_back({std::string(p.Text(0)), uint64_t(p.Int(1)), uint64_t(p.Int(2)),
                                uint64_t(p.Int(3)), uint64_t(p.Int(4)), uint64_t(p.Int(5))});
  }
  return st;
}

Result<uint64_t> Catalog::BlockBytes(BlockKind kind) {
  CUSTODIAN_ASSIGN_OR_RETURN(auto s, db_.Prepare("SELECT COALESCE(SUM(length), 0) FROM blocks WHERE kind = ?"));
  s.Bind(1, int64_t(kind));
  CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
  return row ? uint64_t(s.Int(0)) : 0;
}

Result<std::vector<std::pair<std::string, uint64_t>>> Catalog::TableSizes() {
  CUSTODIAN_ASSIGN_OR_RETURN(
      auto s, db_.Prepare("SELECT CASE WHEN name LIKE 'words%' THEN 'words' WHEN name LIKE 'names%' THEN 'names'"
                          " ELSE name END AS n, SUM(pgsize)"
                          " FROM dbstat GROUP BY n ORDER BY 2 DESC"));
  std::vector<std::pair<std::string, uint64_t>> out;
  while (true) {
    CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    out.emplace_back(std::string(s.Text(0)), uint64_t(s.Int(1)));
  }
}

Result<uint64_t> Catalog::FreeBytes() {
  CUSTODIAN_ASSIGN_OR_RETURN(auto s, db_.Prepare("SELECT freelist_count * page_size FROM pragma_freelist_count, pragma_page_size"));
  CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
  return row ? uint64_t(s.Int(0)) : 0;
}

Result<std::vector<MessageRow>> Catalog::MessagesWithoutText(size_t limit) {
  CUSTODIAN_ASSIGN_OR_RETURN(auto s, db_.Prepare(std::string("SELECT ") + kMessageCols +
                                                 " FROM messages m WHERE m.text_id IS NULL"
                                                 " ORDER BY m.block_id, m.slot LIMIT ?"));
  s.Bind(1, int64_t(limit));
  std::vector<MessageRow> out;
  while (true) {
    CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    out.push_back(ReadMessageRow(s, 0));
  }
}

Result<std::vector<MessageRow>> Catalog::ThreadOf(int64_t msg) {
  CUSTODIAN_ASSIGN_OR_RETURN(
      auto s, db_.Prepare(std::string("SELECT ") + kMessageCols +
                          " FROM messages m WHERE m.thread_id = (SELECT thread_id FROM messages WHERE msg = ?1)"
                          " OR m.msg = ?1 ORDER BY m.date IS NULL, m.date, m.msg"));
  s.Bind(1, msg);
  std::vector<MessageRow> out;
  while (true) {
    CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    out.push_back(ReadMessageRow(s, 0));
  }
}

Status Catalog::SetTextId(int64_t msg, int64_t text_id) {
  CUSTODIAN_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE messages SET text_id = ? WHERE msg = ?"));
  s.Bind(1, text_id).Bind(2, msg);
  return s.Exec();
}

Status Catalog::ClearTextIds() { return db_.Exec("UPDATE messages SET text_id = NULL"); }

Status Catalog::RetireBlocks(BlockKind kind) {
  CUSTODIAN_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE blocks SET kind = ? WHERE kind = ?"));
  s.Bind(1, int64_t(BlockKind::kRetired)).Bind(2, int64_t(kind));
  return s.Exec();
}

Result<std::vector<std::string>> Catalog::CheckConsistency() {
  std::vector<std::string> out;
  CUSTODIAN_ASSIGN_OR_RETURN(auto qc, db_.Prepare("PRAGMA quick_check"));
  while (true) {
    CUSTODIAN_ASSIGN_OR_RETURN(bool row, qc.Step());
    if (!row) break;
    if (qc.Text(0) != "ok") out.push_back("catalog database: " + std::string(qc.Text(0)));
  }
  struct Check {
    const char* sql;
    const char* what;
  };
  const Check checks[] = {
      {"SELECT lower(hex(sha256)) FROM messages WHERE block_id NOT IN (SELECT block_id FROM blocks)",
       "message refers to a block the catalog does not have: "},
      {"SELECT lower(hex(m.sha256)) FROM messages m JOIN blocks b ON b.block_id = m.block_id"
       " WHERE m.slot >= b.count", "message slot is past the end of its block: "},
      {"SELECT lower(hex(m.sha256)) FROM messages m JOIN blocks b ON b.block_id = m.block_id"
       " WHERE b.kind != 0", "message refers to a block that holds no messages: "},
      {"SELECT block_id || '/' || slot FROM messages GROUP BY block_id, slot HAVING COUNT(*) > 1",
       "two messages claim the same block slot: "},
      {"SELECT k.msg FROM copies k WHERE k.msg NOT IN (SELECT msg FROM messages)",
       "copy refers to a missing message row: "},
      {"SELECT k.folder_id FROM copies k WHERE k.folder_id NOT IN (SELECT folder_id FROM folders)",
       "copy refers to a missing folder: "},
      {"SELECT lower(hex(sha256)) FROM messages WHERE msg NOT IN (SELECT msg FROM copies)",
       "message has no copy in any folder: "},
      {"SELECT b.block_id FROM blocks b WHERE b.seg_id NOT IN (SELECT seg_id FROM segments)",
       "block refers to a segment the catalog does not have: "},
      {"SELECT r.result_id FROM dkim_results r WHERE r.msg NOT IN (SELECT msg FROM messages)",
       "DKIM result refers to a missing message row: "},
      {"SELECT g.result_id || '/' || g.idx FROM dkim_signatures g"
       " WHERE g.result_id NOT IN (SELECT result_id FROM dkim_results)",
       "DKIM signature refers to a missing result: "},
      {"SELECT g.result_id || '/' || g.idx FROM dkim_signatures g"
       " WHERE g.key_id IS NOT NULL AND g.key_id NOT IN (SELECT key_id FROM dkim_keys)",
       "DKIM signature refers to a key record the archive does not keep: "},
  };
  for (const auto& c : checks) {
    CUSTODIAN_ASSIGN_OR_RETURN(auto s, db_.Prepare(c.sql));
    while (true) {
      CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.push_back(c.what + std::string(s.Text(0)));
    }
  }
  return out;
}

Status Catalog::SetMessageLeaf(int64_t msg, int64_t leaf) {
  CUSTODIAN_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE messages SET ledger_leaf = ? WHERE msg = ?"));
  s.Bind(1, leaf).Bind(2, msg);
  return s.Exec();
}

Result<std::vector<CopyRow>> Catalog::CopiesOfCustodian(int64_t msg, const std::string& custodian) {
  CUSTODIAN_ASSIGN_OR_RETURN(auto all, CopiesOf(msg));
  std::vector<CopyRow> out;
  for (auto& c : all)
    if (c.custodian == custodian) out.push_back(std::move(c));
  return out;
}

Status Catalog::SetCopiesDeleted(int64_t msg, const std::string& custodian, bool deleted) {
  CUSTODIAN_ASSIGN_OR_RETURN(
      auto s, db_.Prepare("UPDATE copies SET deleted = ?1 WHERE msg = ?2 AND folder_id IN (SELECT f.folder_id"
                          " FROM folders f JOIN custodians c ON c.cust_id = f.cust_id WHERE c.name = ?3)"));
  s.Bind(1, int64_t(deleted)).Bind(2, msg).Bind(3, custodian);
  return s.Exec();
}

Status Catalog::MoveMessage(int64_t msg, int64_t block_id, uint32_t slot) {
  CUSTODIAN_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE messages SET block_id = ?, slot = ? WHERE msg = ?"));
  s.Bind(1, block_id).Bind(2, int64_t(slot)).Bind(3, msg);
  return s.Exec();
}

Status Catalog::RemoveMessage(int64_t msg) {
  CUSTODIAN_ASSIGN_OR_RETURN(auto k, db_.Prepare("DELETE FROM copies WHERE msg = ?"));
  k.Bind(1, msg);
  CUSTODIAN_RETURN_IF_ERROR(k.Exec());
  // Its DKIM results go too (they name its signers and headers); the public keys, which are
  // about domains and not about the message, stay.
  CUSTODIAN_ASSIGN_OR_RETURN(auto sig, db_.Prepare("DELETE FROM dkim_signatures WHERE result_id IN"
                                                   " (SELECT result_id FROM dkim_results WHERE msg = ?)"));
  sig.Bind(1, msg);
  CUSTODIAN_RETURN_IF_ERROR(sig.Exec());
  CUSTODIAN_ASSIGN_OR_RETURN(auto res, db_.Prepare("DELETE FROM dkim_results WHERE msg = ?"));
  res.Bind(1, msg);
  CUSTODIAN_RETURN_IF_ERROR(res.Exec());
  CUSTODIAN_ASSIGN_OR_RETURN(auto m, db_.Prepare("DELETE FROM messages WHERE msg = ?"));
  m.Bind(1, msg);
  return m.Exec();
}

Status Catalog::ShredBlock(int64_t block_id) {
  // secure_delete is on for writers, so the old seed's bytes are zeroed in the page, not just unlinked.
  CUSTODIAN_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE blocks SET kind = ?, key_seed = NULL WHERE block_id = ?"));
  s.Bind(1, int64_t(BlockKind::kRetired)).Bind(2, block_id);
  return s.Exec();
}

Result<std::vector<uint64_t>> Catalog::SegmentsWithRetiredBlocks() {
  CUSTODIAN_ASSIGN_OR_RETURN(auto s, db_.Prepare("SELECT DISTINCT seg_id FROM blocks WHERE kind = ? ORDER BY seg_id"));
  s.Bind(1, int64_t(BlockKind::kRetired));
  std::vector<uint64_t> out;
  while (true) {
    CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    out.push_back(uint64_t(s.Int(0)));
  }
}

Status Catalog::MoveBlock(int64_t block_id, const store::BlockLocation& loc) {
  CUSTODIAN_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE blocks SET seg_id = ?, offset = ?, length = ? WHERE block_id = ?"));
  s.Bind(1, int64_t(loc.segment)).Bind(2, int64_t(loc.offset)).Bind(3, int64_t(loc.length)).Bind(4, block_id);
  return s.Exec();
}

Status Catalog::DeleteBlock(int64_t block_id) {
  CUSTODIAN_ASSIGN_OR_RETURN(auto s, db_.Prepare("DELETE FROM blocks WHERE block_id = ?"));
  s.Bind(1, block_id);
  return s.Exec();
}

Status Catalog::RemoveSegment(uint64_t segment) {
  CUSTODIAN_ASSIGN_OR_RETURN(auto s, db_.Prepare("DELETE FROM segments WHERE seg_id = ?"));
  s.Bind(1, int64_t(segment));
  return s.Exec();
}

Status Catalog::CheckpointWal() {
  CUSTODIAN_ASSIGN_OR_RETURN(auto s, db_.Prepare("PRAGMA wal_checkpoint(TRUNCATE)"));
  CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
  if (row && s.Int(0) != 0) return Status::IOError("the catalog's write-ahead log could not be checkpointed (busy)");
  return Status::Ok();
}

Result<std::string> Catalog::GetMeta(const std::string& key) {
  CUSTODIAN_ASSIGN_OR_RETURN(auto s, db_.Prepare("SELECT value FROM meta WHERE key = ?"));
  s.Bind(1, key);
  CUSTODIAN_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return Status::NotFound("meta " + key);
  return std::string(s.Text(0));
}

Status Catalog::SetMeta(const std::string& key, const std::string& value) {
  CUSTODIAN_ASSIGN_OR_RETURN(auto s, db_.Prepare("INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)"));
  s.Bind(1, key).Bind(2, value);
  return s.Exec();
}

}  // namespace custodian::catalog
