// The word index's stemmer: an FTS5 tokenizer "snowball" that wraps another tokenizer (as FTS5's
// own "porter" does) and stems each of its tokens with Snowball's English stemmer (Porter2, the
// one Xapian uses). FTS5's porter implements Porter's 1980 algorithm, which drops a final "s"
// even from short words: "news" was indexed as "new" and "gas" as "ga" (so `gas` found "GA",
// Georgia). Porter2 keeps them (docs/search.md).
//
//   tokenize='snowball unicode61 remove_diacritics 2'
#include "catalog/english_tokenizer.h"

#include <libstemmer.h>
#include <sqlite3.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <new>

namespace custodian::catalog {
namespace {

// Longer tokens are indexed as they are, as FTS5's porter does (a stem buys nothing there).
constexpr int kMaxStemmedBytes = 64;

// Recent stems, direct-mapped by a hash of the token. Words repeat (an import stems the same
// few thousand words again and again), and a lookup costs a fraction of a stemmer call. In an
// Enron x1 import (perf), stemming took 5.8% of the CPU without the cache and 3.0% with it
// (FTS5's porter took 1.6%). Made once a tokenizer has seen kCacheAfter tokens, so that a
// query's few tokens do not pay for it.
constexpr size_t kCacheSlots = 4096;
constexpr size_t kCacheBytes = 24;  // longer tokens, and longer stems, are not kept
constexpr uint64_t kCacheAfter = 4096;

struct CacheSlot {
  uint8_t token_len = 0;  // 0: empty
  uint8_t stem_len = 0;
  char token[kCacheBytes];
  char stem[kCacheBytes];
};

struct Tokenizer {
  fts5_tokenizer parent{};
  Fts5Tokenizer* parent_instance = nullptr;
  sb_stemmer* stemmer = nullptr;
  uint64_t tokens = 0;
  std::unique_ptr<CacheSlot[]> cache;
};

uint64_t Hash(const char* p, int n) {
  uint64_t h = 14695981039346656037ull;  // FNV-1a
  for (int i = 0; i < n; i++) h = (h ^ uint8_t(p[i])) * 1099511628211ull;
  return h;
}

struct Call {
  Tokenizer* t;
  void* ctx;
  int (*token)(void*, int, const char*, int, int, int);
};

int StemToken(void* call_ptr, int flags, const char* token, int n, int start, int end) {
  Call* call = static_cast<Call*>(call_ptr);
  Tokenizer* t = call->t;
  if (n <= 0 || n > kMaxStemmedBytes) return call->token(call->ctx, flags, token, n, start, end);
  CacheSlot* slot = nullptr;
  if (size_t(n) <= kCacheBytes) {
    if (!t->cache && ++t->tokens > kCacheAfter) t->cache.reset(new (std::nothrow) CacheSlot[kCacheSlots]);
    if (t->cache) {
      slot = &t->cache[Hash(token, n) % kCacheSlots];
      if (slot->token_len == n && std::memcmp(slot->token, token, size_t(n)) == 0)
        return call->token(call->ctx, flags, slot->stem, slot->stem_len, start, end);
    }
  }
  const sb_symbol* stem = sb_stemmer_stem(t->stemmer, reinterpret_cast<const sb_symbol*>(token), n);
  if (!stem) return SQLITE_NOMEM;
  int stem_len = sb_stemmer_length(t->stemmer);
  if (slot && stem_len <= int(kCacheBytes)) {
    slot->token_len = uint8_t(n);
    std::memcpy(slot->token, token, size_t(n));
    slot->stem_len = uint8_t(stem_len);
    std::memcpy(slot->stem, stem, size_t(stem_len));
  }
  return call->token(call->ctx, flags, reinterpret_cast<const char*>(stem), stem_len, start, end);
}

void Delete(Fts5Tokenizer* p) {
  Tokenizer* t = reinterpret_cast<Tokenizer*>(p);
  if (!t) return;
  if (t->parent_instance) t->parent.xDelete(t->parent_instance);
  if (t->stemmer) sb_stemmer_delete(t->stemmer);
  delete t;
}

int Create(void* api_ptr, const char** args, int n_args, Fts5Tokenizer** out) {
  fts5_api* api = static_cast<fts5_api*>(api_ptr);
  *out = nullptr;
  const char* parent_name = n_args > 0 ? args[0] : "unicode61";
  Tokenizer* t = new (std::nothrow) Tokenizer();
  if (!t) return SQLITE_NOMEM;
  void* parent_data = nullptr;
  int rc = api->xFindTokenizer(api, parent_name, &parent_data, &t->parent);
  if (rc == SQLITE_OK)
    rc = t->parent.xCreate(parent_data, n_args > 0 ? args + 1 : nullptr, n_args > 0 ? n_args - 1 : 0,
                           &t->parent_instance);
  if (rc == SQLITE_OK) {
    t->stemmer = sb_stemmer_new("english", "UTF_8");
    if (!t->stemmer) rc = SQLITE_NOMEM;
  }
  if (rc != SQLITE_OK) {
    Delete(reinterpret_cast<Fts5Tokenizer*>(t));
    return rc;
  }
  *out = reinterpret_cast<Fts5Tokenizer*>(t);
  return SQLITE_OK;
}

int Tokenize(Fts5Tokenizer* p, void* ctx, int flags, const char* text, int n,
             int (*token)(void*, int, const char*, int, int, int)) {
  Tokenizer* t = reinterpret_cast<Tokenizer*>(p);
  Call call{t, ctx, token};
  return t->parent.xTokenize(t->parent_instance, &call, flags, text, n, StemToken);
}

}  // namespace

int RegisterEnglishTokenizer(sqlite3* db) {
  fts5_api* api = nullptr;
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &s, nullptr);
  if (rc != SQLITE_OK) return rc;
  sqlite3_bind_pointer(s, 1, &api, "fts5_api_ptr", nullptr);
  sqlite3_step(s);
  rc = sqlite3_finalize(s);
  if (rc != SQLITE_OK) return rc;
  if (!api || api->iVersion < 2) return SQLITE_ERROR;
  fts5_tokenizer tokenizer{Create, Delete, Tokenize};
  return api->xCreateTokenizer(api, "snowball", api, &tokenizer, nullptr);
}

}  // namespace custodian::catalog
