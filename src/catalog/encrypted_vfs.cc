#include "catalog/encrypted_vfs.h"

#include <sodium.h>
#include <sqlite3.h>

#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <vector>

#include "util/aead.h"
#include "util/digest.h"

namespace custodian::catalog {
namespace {

constexpr int kDbHeader = 100;  // page 1 keeps SQLite's header in the clear
constexpr int kWalHeader = 32;
constexpr int kWalFrameHeader = 24;
constexpr int kMaxPageSize = 65536;
static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + crypto_aead_xchacha20poly1305_ietf_ABYTES ==
              kReservedBytes);

std::mutex g_keys_mu;
std::map<std::string, CatalogKey>& Keys() {
  static auto* keys = new std::map<std::string, CatalogKey>;
  return *keys;
}
// The page size of each open catalog, by key token, for its WAL (which must use the same).
std::map<std::string, int>& PageSizes() {
  static auto* sizes = new std::map<std::string, int>;
  return *sizes;
}

// The page size an SQLite database header or WAL header gives, 0 if it gives none.
int DbHeaderPageSize(const uint8_t* h) {
  if (std::memcmp(h, "SQLite format 3", 16) != 0) return 0;
  int v = h[16] << 8 | h[17];
  return v == 1 ? 65536 : v;
}
int WalHeaderPageSize(const uint8_t* h) {
  uint32_t magic = uint32_t(h[0]) << 24 | uint32_t(h[1]) << 16 | uint32_t(h[2]) << 8 | h[3];
  if ((magic & 0xFFFFFFFEu) != 0x377f0682u) return 0;
  return int(uint32_t(h[8]) << 24 | uint32_t(h[9]) << 16 | uint32_t(h[10]) << 8 | h[11]);
}
bool ValidPageSize(int n) { return n >= 512 && n <= kMaxPageSize && (n & (n - 1)) == 0; }

enum class Kind { kPlain, kDatabase, kWal };

struct EncFile {
  sqlite3_file base;
  sqlite3_file* real;
  Kind kind;
  int page_size;  // this file's, from its header (kNewPageSize for a new file)
  CatalogKey key;
  std::string token;
};

sqlite3_vfs* g_base = nullptr;

// Seals page bytes [from, size - kReservedBytes) in place, writing nonce and tag into the
// reserved bytes. The reserved bytes must be zero on the way in (SQLite never uses them when it
// reserves them for us); otherwise their content could not be given back and WAL checksums
// would break.
bool SealPage(uint8_t* page, int size, int from, const CatalogKey& key) {
  int sealed_end = size - kReservedBytes;
  for (int i = sealed_end; i < size; i++)
    if (page[i] != 0) return false;
  uint8_t* nonce = page + sealed_end;
  uint8_t* tag = nonce + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  randombytes_buf(nonce, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  AeadSeal(page + from, size_t(sealed_end - from), nullptr, 0, nonce, key.data(), tag);
  return true;
}

// Opens a sealed page in place and zeroes the reserved bytes again. False if the tag is wrong.
bool OpenPage(uint8_t* page, int size, int from, const CatalogKey& key) {
  int sealed_end = size - kReservedBytes;
  uint8_t* nonce = page + sealed_end;
  uint8_t* tag = nonce + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  if (!AeadOpen(page + from, size_t(sealed_end - from), nullptr, 0, nonce, key.data(), tag)) return false;
  std::memset(page + sealed_end, 0, kReservedBytes);
  return true;
}

bool AllZero(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i]) return false;
  return true;
}

// A page-sized region of the file that is sealed: where it starts, and from which byte of it.
struct Region {
  int64_t start;  // file offset of the page image
  int from;       // first sealed byte within it
};

// Sealed regions overlapping [off, off+amt) for this kind of file.
std::vector<Region> RegionsIn(Kind kind, int page_size, int64_t off, int64_t amt) {
  std::vector<Region> out;
  if (amt <= 0) return out;
  if (kind == Kind::kDatabase) {
    for (int64_t p = off / page_size; p * page_size < off + amt; p++) {
      int from = p == 0 ? kDbHeader : 0;
      // A read of the header alone needs no decryption.
      if (p == 0 && off + amt <= kDbHeader) continue;
      out.push_back({p * page_size, from});
    }
  } else if (kind == Kind::kWal) {
    if (off + amt <= kWalHeader) return out;
    int64_t frame = kWalFrameHeader + page_size;
    int64_t first = off < kWalHeader ? 0 : (off - kWalHeader) / frame;
    for (int64_t f = first;; f++) {
      int64_t data = kWalHeader + f * frame + kWalFrameHeader;
      if (data >= off + amt) break;
      if (data + page_size > off) out.push_back({data, 0});
    }
  }
  return out;
}

int Close(sqlite3_file* f) {
  auto* e = reinterpret_cast<EncFile*>(f);
  int rc = e->real->pMethods ? e->real->pMethods->xClose(e->real) : SQLITE_OK;
  sodium_memzero(e->key.data(), e->key.size());
  e->token.~basic_string();
  return rc;
}

int Read(sqlite3_file* f, void* buf, int amt, sqlite3_int64 off) {
  auto* e = reinterpret_cast<EncFile*>(f);
  int rc = e->real->pMethods->xRead(e->real, buf, amt, off);
  if ((rc != SQLITE_OK && rc != SQLITE_IOERR_SHORT_READ) || e->kind == Kind::kPlain) return rc;
  auto* out = static_cast<uint8_t*>(buf);
  const int size = e->page_size;
  for (const Region& r : RegionsIn(e->kind, size, off, amt)) {
    alignas(16) uint8_t page[kMaxPageSize];
    bool whole = r.start >= off && r.start + size <= off + amt;
    uint8_t* p = whole ? out + (r.start - off) : page;
    if (!whole) {
      int rrc = e->real->pMethods->xRead(e->real, page, size, r.start);
      if (rrc == SQLITE_IOERR_SHORT_READ) continue;  // past the end: SQLite sees zeros
      if (rrc != SQLITE_OK) return rrc;
    }
    if (AllZero(p, size_t(size))) continue;  // never written (e.g. beyond the end of a short read)
    if (!OpenPage(p, size, r.from, e->key)) {
      // A torn WAL frame is normal after a crash: hand back the bytes so that SQLite's frame
      // checksum rejects it. In the database file a bad tag means damage or the wrong key.
      if (e->kind == Kind::kWal) {
        std::memset(p, 0, size_t(size));
        if (!whole) continue;
      } else {
        return SQLITE_IOERR_READ;
      }
    }
    if (!whole) {
      int64_t lo = std::max<int64_t>(off, r.start), hi = std::min<int64_t>(off + amt, r.start + size);
      std::memcpy(out + (lo - off), page + (lo - r.start), size_t(hi - lo));
    }
  }
  return rc;
}

int Write(sqlite3_file* f, const void* buf, int amt, sqlite3_int64 off) {
  auto* e = reinterpret_cast<EncFile*>(f);
  if (e->kind == Kind::kPlain) return e->real->pMethods->xWrite(e->real, buf, amt, off);
  // The header SQLite writes decides the page size (a new database's, or after VACUUM).
  const auto* in = static_cast<const uint8_t*>(buf);
  if (off == 0 && amt >= kWalHeader) {
    int n = e->kind == Kind::kDatabase ? (amt >= kDbHeader ? DbHeaderPageSize(in) : 0) : WalHeaderPageSize(in);
    if (n != 0) {
      if (!ValidPageSize(n)) return SQLITE_IOERR_WRITE;
      e->page_size = n;
      if (e->kind == Kind::kDatabase) {
        std::lock_guard<std::mutex> lock(g_keys_mu);
        PageSizes()[e->token] = n;
      }
    }
  }
  std::vector<Region> regions = RegionsIn(e->kind, e->page_size, off, amt);
  if (regions.empty()) return e->real->pMethods->xWrite(e->real, buf, amt, off);
  std::vector<uint8_t> copy(static_cast<const uint8_t*>(buf), static_cast<const uint8_t*>(buf) + amt);
  for (const Region& r : regions) {
    // SQLite writes whole pages (and whole WAL page images); anything else would need the rest
    // of the page, which we refuse rather than guess.
    if (r.start < off || r.start + e->page_size > off + amt) {
      if (e->kind == Kind::kDatabase && r.start == 0 && off + amt <= kDbHeader) continue;
      return SQLITE_IOERR_WRITE;
    }
    if (!SealPage(copy.data() + (r.start - off), e->page_size, r.from, e->key)) return SQLITE_IOERR_WRITE;
  }
  return e->real->pMethods->xWrite(e->real, copy.data(), amt, off);
}

int Truncate(sqlite3_file* f, sqlite3_int64 size) {
  auto* e = reinterpret_cast<EncFile*>(f);
  return e->real->pMethods->xTruncate(e->real, size);
}
int Sync(sqlite3_file* f, int flags) {
  auto* e = reinterpret_cast<EncFile*>(f);
  return e->real->pMethods->xSync(e->real, flags);
}
int FileSize(sqlite3_file* f, sqlite3_int64* size) {
  auto* e = reinterpret_cast<EncFile*>(f);
  return e->real->pMethods->xFileSize(e->real, size);
}
int Lock(sqlite3_file* f, int l) {
  auto* e = reinterpret_cast<EncFile*>(f);
  return e->real->pMethods->xLock(e->real, l);
}
int Unlock(sqlite3_file* f, int l) {
  auto* e = reinterpret_cast<EncFile*>(f);
  return e->real->pMethods->xUnlock(e->real, l);
}
int CheckReservedLock(sqlite3_file* f, int* out) {
  auto* e = reinterpret_cast<EncFile*>(f);
  return e->real->pMethods->xCheckReservedLock(e->real, out);
}
int FileControl(sqlite3_file* f, int op, void* arg) {
  auto* e = reinterpret_cast<EncFile*>(f);
  if (op == SQLITE_FCNTL_MMAP_SIZE) {  // memory-mapped reads would bypass decryption
    *static_cast<sqlite3_int64*>(arg) = 0;
    return SQLITE_OK;
  }
  return e->real->pMethods->xFileControl(e->real, op, arg);
}
int SectorSize(sqlite3_file* f) {
  auto* e = reinterpret_cast<EncFile*>(f);
  return e->real->pMethods->xSectorSize(e->real);
}
int DeviceCharacteristics(sqlite3_file* f) {
  auto* e = reinterpret_cast<EncFile*>(f);
  // Power-safe overwrite keeps SQLite from padding WAL commits with partial-frame writes.
  return e->real->pMethods->xDeviceCharacteristics(e->real) | SQLITE_IOCAP_POWERSAFE_OVERWRITE;
}
int ShmMap(sqlite3_file* f, int pg, int sz, int extend, void volatile** pp) {
  auto* e = reinterpret_cast<EncFile*>(f);
  return e->real->pMethods->xShmMap(e->real, pg, sz, extend, pp);
}
int ShmLock(sqlite3_file* f, int offset, int n, int flags) {
  auto* e = reinterpret_cast<EncFile*>(f);
  return e->real->pMethods->xShmLock(e->real, offset, n, flags);
}
void ShmBarrier(sqlite3_file* f) {
  auto* e = reinterpret_cast<EncFile*>(f);
  e->real->pMethods->xShmBarrier(e->real);
}
int ShmUnmap(sqlite3_file* f, int del) {
  auto* e = reinterpret_cast<EncFile*>(f);
  return e->real->pMethods->xShmUnmap(e->real, del);
}
int Fetch(sqlite3_file*, sqlite3_int64, int, void** pp) {
  *pp = nullptr;  // no memory-mapped pages: they would be ciphertext
  return SQLITE_OK;
}
int Unfetch(sqlite3_file*, sqlite3_int64, void*) { return SQLITE_OK; }

const sqlite3_io_methods kMethods = {
    3,         Close,       Read,     Write,     Truncate,   Sync,          FileSize,
    Lock,      Unlock,      CheckReservedLock,   FileControl, SectorSize,   DeviceCharacteristics,
    ShmMap,    ShmLock,     ShmBarrier,          ShmUnmap,    Fetch,        Unfetch};

int Open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  auto* e = reinterpret_cast<EncFile*>(f);
  e->base.pMethods = nullptr;
  e->real = reinterpret_cast<sqlite3_file*>(e + 1);
  e->kind = Kind::kPlain;
  e->page_size = kNewPageSize;
  new (&e->token) std::string();
  auto fail = [&](int rc) {
    e->token.~basic_string();
    return rc;
  };
  if (flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL)) {
    const char* token = name ? sqlite3_uri_parameter(name, "custodian_key") : nullptr;
    std::lock_guard<std::mutex> lock(g_keys_mu);
    auto it = token ? Keys().find(token) : Keys().end();
    if (it == Keys().end()) return fail(SQLITE_CANTOPEN);  // never open the catalog without its key
    e->key = it->second;
    e->token = token;
    e->kind = (flags & SQLITE_OPEN_MAIN_DB) ? Kind::kDatabase : Kind::kWal;
    if (e->kind == Kind::kWal) {
      auto ps = PageSizes().find(e->token);
      if (ps != PageSizes().end()) e->page_size = ps->second;
    }
  } else if (flags & (SQLITE_OPEN_MAIN_JOURNAL | SQLITE_OPEN_TEMP_DB | SQLITE_OPEN_TEMP_JOURNAL |
                      SQLITE_OPEN_SUBJOURNAL | SQLITE_OPEN_SUPER_JOURNAL | SQLITE_OPEN_TRANSIENT_DB)) {
    // These would hold page images in the clear. The catalog runs in WAL mode with temp_store
    // in memory, so SQLite never needs them; refuse rather than leak.
    return fail(SQLITE_CANTOPEN);
  }
  int rc = g_base->xOpen(g_base, name, e->real, flags, out_flags);
  if (rc != SQLITE_OK) return fail(rc);
  e->base.pMethods = &kMethods;
  if (e->kind != Kind::kPlain) {
    // An existing file's header (in the clear) gives its page size; archives written with
    // 4 KiB pages stay readable after new ones moved to 8 KiB.
    uint8_t h[kDbHeader];
    int want = e->kind == Kind::kDatabase ? kDbHeader : kWalHeader;
    if (e->real->pMethods->xRead(e->real, h, want, 0) == SQLITE_OK) {
      int n = e->kind == Kind::kDatabase ? DbHeaderPageSize(h) : WalHeaderPageSize(h);
      if (n != 0) {
        if (!ValidPageSize(n)) {
          e->real->pMethods->xClose(e->real);
          e->base.pMethods = nullptr;
          return fail(SQLITE_CORRUPT);
        }
        e->page_size = n;
      }
    }
    if (e->kind == Kind::kDatabase) {
      std::lock_guard<std::mutex> lock(g_keys_mu);
      PageSizes()[e->token] = e->page_size;
    }
  }
  return SQLITE_OK;
}

int Delete(sqlite3_vfs*, const char* name, int sync) { return g_base->xDelete(g_base, name, sync); }
int Access(sqlite3_vfs*, const char* name, int flags, int* out) { return g_base->xAccess(g_base, name, flags, out); }
int FullPathname(sqlite3_vfs*, const char* name, int n, char* out) { return g_base->xFullPathname(g_base, name, n, out); }
void* DlOpen(sqlite3_vfs*, const char* name) { return g_base->xDlOpen(g_base, name); }
void DlError(sqlite3_vfs*, int n, char* out) { g_base->xDlError(g_base, n, out); }
void (*DlSym(sqlite3_vfs*, void* h, const char* sym))(void) { return g_base->xDlSym(g_base, h, sym); }
void DlClose(sqlite3_vfs*, void* h) { g_base->xDlClose(g_base, h); }
int Randomness(sqlite3_vfs*, int n, char* out) { return g_base->xRandomness(g_base, n, out); }
int Sleep(sqlite3_vfs*, int us) { return g_base->xSleep(g_base, us); }
int CurrentTime(sqlite3_vfs*, double* t) { return g_base->xCurrentTime(g_base, t); }
int GetLastError(sqlite3_vfs*, int n, char* out) { return g_base->xGetLastError(g_base, n, out); }
int CurrentTimeInt64(sqlite3_vfs*, sqlite3_int64* t) { return g_base->xCurrentTimeInt64(g_base, t); }

void RegisterVfs() {
  static std::once_flag once;
  std::call_once(once, [] {
    g_base = sqlite3_vfs_find(nullptr);
    static sqlite3_vfs vfs = {};
    vfs.iVersion = 2;
    vfs.szOsFile = int(sizeof(EncFile)) + g_base->szOsFile;
    vfs.mxPathname = g_base->mxPathname;
    vfs.zName = kEncryptedVfsName;
    vfs.xOpen = Open;
    vfs.xDelete = Delete;
    vfs.xAccess = Access;
    vfs.xFullPathname = FullPathname;
    vfs.xDlOpen = DlOpen;
    vfs.xDlError = DlError;
    vfs.xDlSym = DlSym;
    vfs.xDlClose = DlClose;
    vfs.xRandomness = Randomness;
    vfs.xSleep = Sleep;
    vfs.xCurrentTime = CurrentTime;
    vfs.xGetLastError = GetLastError;
    vfs.xCurrentTimeInt64 = CurrentTimeInt64;
    sqlite3_vfs_register(&vfs, 0);
  });
}

}  // namespace

std::string RegisterCatalogKey(const CatalogKey& key) {
  RegisterVfs();
  uint8_t raw[16];
  randombytes_buf(raw, sizeof raw);
  std::string token = ToHex(raw, sizeof raw);
  std::lock_guard<std::mutex> lock(g_keys_mu);
  Keys()[token] = key;
  return token;
}

void ForgetCatalogKey(const std::string& token) {
  std::lock_guard<std::mutex> lock(g_keys_mu);
  auto it = Keys().find(token);
  if (it == Keys().end()) return;
  sodium_memzero(it->second.data(), it->second.size());
  Keys().erase(it);
  PageSizes().erase(token);
}

}  // namespace custodian::catalog
