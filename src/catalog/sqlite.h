// Thin RAII wrappers over the SQLite C API that report failures as Status.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "custodian/status.h"

namespace custodian::catalog {

// A prepared statement; or, made by Database::PrepareLazy, one prepared on its first Bind or
// Step, so that opening a catalog does not compile statements a command never runs. A lazy
// statement whose SQL does not compile binds nothing and reports the error from Step.
class Statement {
 public:
  Statement() = default;
  Statement(sqlite3* db, sqlite3_stmt* s) : db_(db), s_(s) {}
  Statement(sqlite3* db, std::string lazy_sql) : db_(db), sql_(std::move(lazy_sql)) {}
  Statement(Statement&& o) noexcept : db_(o.db_), s_(o.s_), sql_(std::move(o.sql_)) { o.s_ = nullptr; }
  Statement& operator=(Statement&& o) noexcept;
  ~Statement() { sqlite3_finalize(s_); }

  Statement& Bind(int i, int64_t v) {
    if (Ready()) sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  Statement& Bind(int i, std::string_view v) {
    if (Ready()) sqlite3_bind_text(s_, i, v.data(), int(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& BindBlob(int i, const void* p, size_t n) {
    if (Ready()) sqlite3_bind_blob(s_, i, p, int(n), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& BindNull(int i) {
    if (Ready()) sqlite3_bind_null(s_, i);
    return *this;
  }

  // Returns true while a row is available, false when done.
  Result<bool> Step();
  Status Exec();  // Step to completion, then Reset
  void Reset() {
    if (!s_) return;
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }

  int64_t Int(int col) const { return sqlite3_column_int64(s_, col); }
  bool IsNull(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  std::string_view Text(int col) const {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
    return p ? std::string_view(p, size_t(sqlite3_column_bytes(s_, col))) : std::string_view();
  }
  std::string_view Blob(int col) const {
    auto* p = static_cast<const char*>(sqlite3_column_blob(s_, col));
    return p ? std::string_view(p, size_t(sqlite3_column_bytes(s_, col))) : std::string_view();
  }

 private:
  bool Ready() { return s_ != nullptr || PrepareNow(); }
  bool PrepareNow();  // for a lazy statement; false if there is none or it does not compile

  sqlite3* db_ = nullptr;
  sqlite3_stmt* s_ = nullptr;
  std::string sql_;  // a lazy statement's SQL, until it is prepared
};

class Database {
 public:
  static Result<Database> Open(const std::string& path, bool read_only);
  // Opens through a VFS by URI ("file:...?vfs=..."); see encrypted_vfs.h.
  static Result<Database> OpenUri(const std::string& uri, const std::string& display_path, bool read_only);
  Database(Database&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
  ~Database();
  Status Exec(const std::string& sql);
  Result<Statement> Prepare(std::string_view sql);
  // A statement compiled on first use (see Statement); for the ones an object keeps for its
  // lifetime, most of which a given command never runs.
  Statement PrepareLazy(std::string sql) { return Statement(db_, std::move(sql)); }
  int64_t LastInsertRowid() const { return sqlite3_last_insert_rowid(db_); }
  int Changes() const { return sqlite3_changes(db_); }
  sqlite3* raw() { return db_; }

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

}  // namespace custodian::catalog
