// The FTS5 tokenizer "snowball": English stemming (Snowball's Porter2) over another tokenizer.
#pragma once

struct sqlite3;

namespace custodian::catalog {

// Makes tokenize='snowball PARENT ARGS...' available on this connection (every catalog
// connection gets it on open). Returns an SQLite result code.
int RegisterEnglishTokenizer(sqlite3* db);

}  // namespace custodian::catalog
