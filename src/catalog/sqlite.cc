#include "catalog/sqlite.h"

#include "catalog/english_tokenizer.h"

namespace custodian::catalog {

static Status SqlError(sqlite3* db, const std::string& what) {
  int code = sqlite3_extended_errcode(db);
  std::string msg = what + ": " + sqlite3_errmsg(db);
  if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) return Status::Corruption("catalog " + msg);
  if ((code & 0xff) == SQLITE_IOERR || code == SQLITE_FULL || code == SQLITE_CANTOPEN)
    return Status::IOError("catalog " + msg);
  return Status::Internal("catalog " + msg);
}

Statement& Statement::operator=(Statement&& o) noexcept {
  sqlite3_finalize(s_);
  db_ = o.db_;
  s_ = o.s_;
  sql_ = std::move(o.sql_);
  o.s_ = nullptr;
  return *this;
}

bool Statement::PrepareNow() {
  if (sql_.empty() || !db_) return false;
  if (sqlite3_prepare_v3(db_, sql_.data(), int(sql_.size()), SQLITE_PREPARE_PERSISTENT, &s_, nullptr) != SQLITE_OK) {
    sqlite3_finalize(s_);
    s_ = nullptr;
    return false;
  }
  sql_.clear();
  sql_.shrink_to_fit();
  return true;
}

Result<bool> Statement::Step() {
  if (!s_ && !PrepareNow()) {
    if (!db_ || sql_.empty()) return Status::Internal("catalog: step on a statement that was never prepared");
    return SqlError(db_, "prepare " + sql_.substr(0, 60));  // SQLite's message for the failed compile
  }
  int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Status st = SqlError(db_, "step");
  sqlite3_reset(s_);
  return st;
}

Status Statement::Exec() {
  auto r = Step();
  while (r.ok() && *r) r = Step();
  Reset();
  return r.ok() ? Status::Ok() : r.status();
}

Result<Database> Database::Open(const std::string& path, bool read_only) {
  return OpenUri(path, path, read_only);
}

Result<Database> Database::OpenUri(const std::string& uri, const std::string& path, bool read_only) {
  sqlite3* db = nullptr;
  int flags = read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  int rc = sqlite3_open_v2(uri.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI, nullptr);
  if (rc != SQLITE_OK) {
    Status st = Status::IOError("cannot open catalog " + path + ": " +
                                (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
    sqlite3_close(db);
    return st;
  }
  sqlite3_busy_timeout(db, 10000);
  if (int trc = RegisterEnglishTokenizer(db); trc != SQLITE_OK) {
    Status st = Status::Internal("cannot register the word index's stemmer on " + path + ": " + sqlite3_errstr(trc));
    sqlite3_close(db);
    return st;
  }
  return Database(db);
}

Database::~Database() { sqlite3_close(db_); }

Status Database::Exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string m = err ? err : "unknown";
    sqlite3_free(err);
    Status st = SqlError(db_, sql.substr(0, 60));
    return st;
  }
  return Status::Ok();
}

Result<Statement> Database::Prepare(std::string_view sql) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v3(db_, sql.data(), int(sql.size()), SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK)
    return SqlError(db_, "prepare " + std::string(sql.substr(0, 60)));
  return Statement(db_, s);
}

}  // namespace custodian::catalog
