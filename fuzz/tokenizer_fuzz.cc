// libFuzzer target for the word index's tokenizer (catalog/english_tokenizer.cc): any text is
// indexed into an FTS5 table with tokenize='snowball unicode61 remove_diacritics 2', without a
// crash or an error, and every word of it (a run of ASCII letters and digits) is found again
// by searching for it: stemming is the same on both sides, so indexing never loses a word.
// Inputs long enough to warm the tokenizer's stem cache (4,096 tokens) exercise it too.
#include <sqlite3.h>

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>

#include "catalog/english_tokenizer.h"

namespace {

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

sqlite3* Db() {
  static sqlite3* db = [] {
    sqlite3* d = nullptr;
    Check(sqlite3_open(":memory:", &d) == SQLITE_OK);
    Check(custodian::catalog::RegisterEnglishTokenizer(d) == SQLITE_OK);
    Check(sqlite3_exec(d, "CREATE VIRTUAL TABLE w USING fts5(body, tokenize='snowball unicode61 remove_diacritics 2')",
                       nullptr, nullptr, nullptr) == SQLITE_OK);
    return d;
  }();
  return db;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sqlite3* db = Db();
  Check(sqlite3_exec(db, "DELETE FROM w", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_stmt* ins = nullptr;
  Check(sqlite3_prepare_v2(db, "INSERT INTO w(rowid, body) VALUES(1, ?)", -1, &ins, nullptr) == SQLITE_OK);
  sqlite3_bind_text(ins, 1, reinterpret_cast<const char*>(data), int(size), SQLITE_TRANSIENT);
  Check(sqlite3_step(ins) == SQLITE_DONE);
  sqlite3_finalize(ins);
  // The first few ASCII words, each searched as a quoted term.
  std::string word;
  int searched = 0;
  for (size_t i = 0; i <= size && searched < 8; i++) {
    unsigned char c = i < size ? data[i] : ' ';
    if (std::isalnum(c)) {
      word += char(c);
      continue;
    }
    if (c >= 0x80) {  // non-ASCII is part of a token for unicode61: skip the whole run
      while (i < size && (data[i] >= 0x80 || std::isalnum(data[i]))) i++;
      word.clear();
      continue;
    }
    if (!word.empty()) {
      sqlite3_stmt* q = nullptr;
      Check(sqlite3_prepare_v2(db, "SELECT count(*) FROM w WHERE w MATCH ?", -1, &q, nullptr) == SQLITE_OK);
      std::string term = "\"" + word + "\"";
      sqlite3_bind_text(q, 1, term.data(), int(term.size()), SQLITE_TRANSIENT);
      Check(sqlite3_step(q) == SQLITE_ROW);
      Check(sqlite3_column_int(q, 0) == 1);
      sqlite3_finalize(q);
      searched++;
      word.clear();
    }
  }
  return 0;
}
