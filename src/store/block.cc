// ZSTD_c_maxBlockSize and the block-at-a-time decompression API (zstd >= 1.5.4).
#define ZSTD_STATIC_LINKING_ONLY
#define ZDICT_STATIC_LINKING_ONLY  // ZDICT_trainFromBuffer_fastCover with fixed parameters
#include "store/block.h"

#include "util/aead.h"

#include <sodium.h>
#include <zdict.h>
#include <zstd.h>

#include <memory>

#include <cstring>

namespace custodian::store {
namespace {

constexpr char kBlockMagic[4] = {'C', 'B', 'L', 'K'};
constexpr char kSegmentMagic[8] = {'C', 'U', 'S', 'T', 'S', 'E', 'G', '1'};
constexpr int kZstdLevel = 3;  // searchable texts: one frame each, often read back
// Message blocks (1 MiB, read back one at a time, rarely): level 6 is 0.021x the raw mail
// smaller than level 3 on Enron (0.231x vs 0.252x of the messages), which the archive's size
// budget needs; it costs the writer ~0.4 s of CPU per 58 MB. Decompression is as fast.
constexpr int kMessageBlockZstdLevel = 6;
constexpr size_t kAdBytes = 28;  // header bytes bound to the ciphertext as additional data
constexpr size_t kCrcOffset = 52;

void Put32(std::string* s, uint32_t v) {
  for (int i = 0; i < 4; i++) s->push_back(char(v >> (8 * i)));
}
void Put64(std::string* s, uint64_t v) {
  for (int i = 0; i < 8; i++) s->push_back(char(v >> (8 * i)));
}
uint32_t Get32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; i--) v = v << 8 | uint8_t(p[i]);
  return v;
}
uint64_t Get64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = v << 8 | uint8_t(p[i]);
  return v;
}

uint32_t RecordCrc(std::string_view header52, std::string_view payload) {
  return Crc32c(payload, Crc32c(header52));
}

}  // namespace

namespace {

ZSTD_CCtx* ThreadCCtx() {
  // One context per thread: creating one per block showed up in profiles of small blocks.
  thread_local std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> cctx(ZSTD_createCCtx(), ZSTD_freeCCtx);
  return cctx.get();
}

ZSTD_DCtx* ThreadDCtx() {
  thread_local std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> dctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
  return dctx.get();
}

// Header + sealed payload: the record for `compressed` (the plaintext payload).
std::string Seal(uint64_t block_id, uint32_t count, uint32_t compression, std::string_view compressed,
                 const Key& key) {
  size_t clen = compressed.size();
  std::string rec;
  rec.reserve(kBlockHeaderSize + clen + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  rec.append(kBlockMagic, 4);
  Put32(&rec, uint32_t(clen + crypto_aead_xchacha20poly1305_ietf_ABYTES));
  Put64(&rec, block_id);
  Put32(&rec, count);
  Put32(&rec, compression);
  Put32(&rec, 0);
  uint8_t nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
  randombytes_buf(nonce, sizeof nonce);
  rec.append(reinterpret_cast<const char*>(nonce), sizeof nonce);
  Put32(&rec, 0);  // CRC placeholder
  size_t payload_at = rec.size();
  rec.resize(payload_at + clen + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  auto* payload = reinterpret_cast<uint8_t*>(rec.data() + payload_at);
  std::memcpy(payload, compressed.data(), clen);
  AeadSeal(payload, clen, reinterpret_cast<const uint8_t*>(rec.data()), kAdBytes, nonce, key.data(), payload + clen);
  uint32_t crc = RecordCrc(std::string_view(rec).substr(0, kCrcOffset),
                           std::string_view(rec).substr(payload_at));
  for (int i = 0; i < 4; i++) rec[kCrcOffset + i] = char(crc >> (8 * i));
  return rec;
}

}  // namespace

std::unique_ptr<Dictionary> Dictionary::Create(uint32_t id, std::string bytes) {
  std::unique_ptr<Dictionary> d(new Dictionary());
  d->id_ = id;
  d->bytes_ = std::move(bytes);
  d->ddict_ = ZSTD_createDDict(d->bytes_.data(), d->bytes_.size());
  if (!d->ddict_) return nullptr;
  return d;
}

Dictionary::~Dictionary() {
  ZSTD_freeCDict(cdict_);
  ZSTD_freeDDict(ddict_);
}

const ZSTD_CDict* Dictionary::cdict() const {
  std::call_once(cdict_once_, [this] { cdict_ = ZSTD_createCDict(bytes_.data(), bytes_.size(), kZstdLevel); });
  return cdict_;
}

std::string TrainDictionary(const std::vector<std::string_view>& samples, size_t max_bytes) {
  std::string all;
  std::vector<size_t> sizes;
  for (auto s : samples) {
    if (s.empty()) continue;
    all.append(s);
    sizes.push_back(s.size());
  }
  if (sizes.size() < 16 || all.size() < 8 * max_bytes) return "";
  std::string dict(max_bytes, '\0');
  // FastCover with fixed parameters. ZDICT_trainFromBuffer searches four segment sizes (k): on
  // 8 MB of Enron texts it took 0.50 s, one training with k = 256 0.11 s, and all of Enron's x1
  // texts compressed 0.8% smaller with the latter (the search chose k = 537, which did worse
  // than each fixed value tried: 256, 537, 1024). In an Enron x1 import, training went from
  // 3.3% to 1.1% of the CPU samples (on the writer thread), and the stored texts from 10.8 to
  // 10.7 MB.
  ZDICT_fastCover_params_t params{};
  params.k = 256;
  params.d = 8;
  params.f = 20;
  params.accel = 1;
  params.zParams.compressionLevel = kZstdLevel;
  size_t n = ZDICT_trainFromBuffer_fastCover(dict.data(), dict.size(), all.data(), sizes.data(),
                                             unsigned(sizes.size()), params);
  if (ZDICT_isError(n)) return "";
  dict.resize(n);
  return dict;
}

std::string EncodeBlock(uint64_t block_id, const std::vector<BlockEntry>& entries, const Key& key) {
  std::string plain;
  size_t total = 4 + entries.size() * 36;
  for (const auto& e : entries) total += e.data.size();
  plain.reserve(total);
  Put32(&plain, uint32_t(entries.size()));
  for (const auto& e : entries) {
    plain.append(reinterpret_cast<const char*>(e.id.data()), e.id.size());
    Put32(&plain, uint32_t(e.data.size()));
  }
  for (const auto& e : entries) plain.append(e.data);

  std::string compressed(ZSTD_compressBound(plain.size()), '\0');
  size_t clen = ZSTD_compressCCtx(ThreadCCtx(), compressed.data(), compressed.size(), plain.data(), plain.size(),
                                  kMessageBlockZstdLevel);
  assert(!ZSTD_isError(clen));  // only fails on a too-small buffer, which compressBound rules out
  compressed.resize(clen);
  return Seal(block_id, uint32_t(entries.size()), kCompressionZstd, compressed, key);
}

namespace {

// One entry's frame, in zstd blocks of at most kEntryZstdBlockBytes; returns its length.
size_t CompressEntryFrame(char* dst, size_t capacity, std::string_view data, const Dictionary* dict) {
  ZSTD_CCtx* c = ThreadCCtx();
  ZSTD_CCtx_reset(c, ZSTD_reset_session_and_parameters);
  if (dict && dict->cdict()) ZSTD_CCtx_refCDict(c, dict->cdict());
  else ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, kZstdLevel);
  ZSTD_CCtx_setParameter(c, ZSTD_c_maxBlockSize, int(kEntryZstdBlockBytes));
  size_t n = ZSTD_compress2(c, dst, capacity, data.data(), data.size());
  ZSTD_CCtx_reset(c, ZSTD_reset_session_and_parameters);  // the context serves whole blocks too
  assert(!ZSTD_isError(n));
  return n;
}

}  // namespace

std::string CompressEntry(std::string_view data, const Dictionary* dict) {
  // Into a reused buffer, then copied at its size: a frame waits in the import pipeline, and
  // one kept at ZSTD_compressBound's size took 2.6x the memory (12 MB at the peak of an Enron
  // import).
  thread_local std::string scratch;
  if (scratch.size() < ZSTD_compressBound(data.size())) scratch.resize(ZSTD_compressBound(data.size()));
  size_t n = CompressEntryFrame(scratch.data(), scratch.size(), data, dict);
  std::string out(scratch.data(), n);
  if (scratch.size() > (1u << 20)) std::string().swap(scratch);  // a huge text: do not keep its buffer
  return out;
}

std::string EncodePerEntryBlock(uint64_t block_id, const std::vector<BlockEntry>& entries, const Key& key,
                                const Dictionary* dict) {
  // u32 count, u32 dictionary id, count x {id, u32 size, u32 frame length}, then the frames.
  std::string frames;
  std::vector<uint32_t> frame_len;
  size_t bound = 0;
  for (const auto& e : entries) bound += e.frame.empty() ? ZSTD_compressBound(e.data.size()) : e.frame.size();
  frames.reserve(bound);
  uint32_t dict_id = dict && dict->cdict() ? dict->id() : 0;
  for (const auto& e : entries) {
    size_t at = frames.size();
    if (!e.frame.empty() && e.frame_dict == dict_id) {
      frames.append(e.frame);
    } else {
      frames.resize(at + ZSTD_compressBound(e.data.size()));
      frames.resize(at + CompressEntryFrame(frames.data() + at, frames.size() - at, e.data, dict_id ? dict : nullptr));
    }
    frame_len.push_back(uint32_t(frames.size() - at));
  }
  std::string plain;
  plain.reserve(8 + entries.size() * 40 + frames.size());
  Put32(&plain, uint32_t(entries.size()));
  Put32(&plain, dict_id);
  for (size_t i = 0; i < entries.size(); i++) {
    plain.append(reinterpret_cast<const char*>(entries[i].id.data()), entries[i].id.size());
    Put32(&plain, uint32_t(entries[i].data.size()));
    Put32(&plain, frame_len[i]);
  }
  plain += frames;
  return Seal(block_id, uint32_t(entries.size()), kCompressionZstdPerEntry, plain, key);
}

Result<BlockHeader> DecodeBlockHeader(std::string_view bytes) {
  if (bytes.size() < kBlockHeaderSize) return Status::Corruption("truncated block header");
  if (std::memcmp(bytes.data(), kBlockMagic, 4) != 0) return Status::Corruption("bad block magic");
  BlockHeader h;
  h.payload_length = Get32(bytes.data() + 4);
  h.block_id = Get64(bytes.data() + 8);
  h.count = Get32(bytes.data() + 16);
  h.compression = Get32(bytes.data() + 20);
  std::memcpy(h.nonce, bytes.data() + 28, 24);
  h.crc = Get32(bytes.data() + kCrcOffset);
  if (h.payload_length < crypto_aead_xchacha20poly1305_ietf_ABYTES || h.payload_length > kMaxBlockPayload)
    return Status::Corruption("implausible block payload length " + std::to_string(h.payload_length));
  if (h.compression != kCompressionZstd && h.compression != kCompressionZstdPerEntry)
    return Status::Corruption("unknown block compression " + std::to_string(h.compression));
  return h;
}

bool BlockCrcMatches(std::string_view record) {
  if (record.size() < kBlockHeaderSize) return false;
  uint32_t stored = Get32(record.data() + kCrcOffset);
  return RecordCrc(record.substr(0, kCrcOffset), record.substr(kBlockHeaderSize)) == stored;
}

namespace {

Result<std::string> Decompress(std::string_view frame, uint32_t size, uint32_t dict_id, const DictionaryLookup& dicts,
                               uint64_t block_id) {
  if (size > kMaxBlockPayload) return Status::Corruption("implausible entry size in block " + std::to_string(block_id));
  std::string out(size, '\0');
  size_t got;
  if (dict_id) {
    const Dictionary* d = dicts ? dicts(dict_id) : nullptr;
    if (!d) return Status::Corruption("block " + std::to_string(block_id) + " needs dictionary " +
                                      std::to_string(dict_id) + ", which the archive does not have");
    got = ZSTD_decompress_usingDDict(ThreadDCtx(), out.data(), out.size(), frame.data(), frame.size(), d->ddict());
  } else {
    got = ZSTD_decompressDCtx(ThreadDCtx(), out.data(), out.size(), frame.data(), frame.size());
  }
  if (ZSTD_isError(got) || got != size)
    return Status::Corruption("cannot decompress an entry of block " + std::to_string(block_id));
  return out;
}

}  // namespace

Result<DecodedBlock> DecodeBlock(std::string_view record, const Key& key, const DictionaryLookup& dicts,
                                 bool expand) {
  return DecodeBlock(std::string(record), key, dicts, expand);
}

Result<DecodedBlock> DecodeBlock(std::string&& record, const Key& key, const DictionaryLookup& dicts, bool expand) {
  CUSTODIAN_ASSIGN_OR_RETURN(BlockHeader h, DecodeBlockHeader(record));
  if (record.size() != kBlockHeaderSize + h.payload_length)
    return Status::Corruption("block record length does not match its header");
  if (!BlockCrcMatches(record)) return Status::Corruption("block checksum mismatch");
  size_t clen = h.payload_length - crypto_aead_xchacha20poly1305_ietf_ABYTES;
  // Decrypted in place: the payload becomes the compressed bytes, header and tag stay.
  auto* payload = reinterpret_cast<uint8_t*>(record.data()) + kBlockHeaderSize;
  if (!AeadOpen(payload, clen, reinterpret_cast<const uint8_t*>(record.data()), kAdBytes, h.nonce, key.data(),
                payload + clen))
    return Status::Corruption("block " + std::to_string(h.block_id) +
                              " fails authentication (wrong key or altered content)");
  DecodedBlock b;
  b.block_id = h.block_id;
  b.compression = h.compression;
  std::string_view compressed(record.data() + kBlockHeaderSize, clen);
  if (h.compression == kCompressionZstdPerEntry) {
    std::string_view p = compressed;
    if (p.size() < 8 || Get32(p.data()) != h.count) return Status::Corruption("block directory mismatch");
    b.dict_id = Get32(p.data() + 4);
    size_t dir_end = 8 + size_t(h.count) * 40;
    if (dir_end > p.size()) return Status::Corruption("block directory truncated");
    size_t at = dir_end;
    for (uint32_t i = 0; i < h.count; i++) {
      const char* e = p.data() + 8 + size_t(i) * 40;
      Sha256 id;
      std::memcpy(id.data(), e, 32);
      uint32_t size = Get32(e + 32), flen = Get32(e + 36);
      if (at + flen > p.size()) return Status::Corruption("block entry extends past its end");
      b.ids.push_back(id);
      b.spans.emplace_back(kBlockHeaderSize + at, flen);  // frames stay where they are in the record
      b.sizes.push_back(size);
      at += flen;
    }
    if (at != p.size()) return Status::Corruption("block has trailing bytes");
    b.plain = std::move(record);
    b.expanded = false;
    if (!expand) return b;
    std::string plain;
    std::vector<std::pair<size_t, size_t>> spans;
    for (size_t i = 0; i < b.ids.size(); i++) {
      CUSTODIAN_ASSIGN_OR_RETURN(std::string entry, DecodeEntry(b, i, dicts));
      spans.emplace_back(plain.size(), entry.size());
      plain += entry;
    }
    b.plain = std::move(plain);
    b.spans = std::move(spans);
    b.expanded = true;
    return b;
  }
  unsigned long long raw = ZSTD_getFrameContentSize(compressed.data(), clen);
  if (raw == ZSTD_CONTENTSIZE_ERROR || raw == ZSTD_CONTENTSIZE_UNKNOWN || raw > (1ull << 32))
    return Status::Corruption("bad compressed frame in block " + std::to_string(h.block_id));
  b.plain.resize(size_t(raw));
  size_t got = ZSTD_decompressDCtx(ThreadDCtx(), b.plain.data(), b.plain.size(), compressed.data(), clen);
  if (ZSTD_isError(got) || got != raw)
    return Status::Corruption("cannot decompress block " + std::to_string(h.block_id));
  // Directory: count, then (id, length) pairs.
  std::string_view p = b.plain;
  if (p.size() < 4 || Get32(p.data()) != h.count) return Status::Corruption("block directory mismatch");
  size_t dir_end = 4 + size_t(h.count) * 36;
  if (dir_end > p.size()) return Status::Corruption("block directory truncated");
  size_t at = dir_end;
  for (uint32_t i = 0; i < h.count; i++) {
    const char* e = p.data() + 4 + size_t(i) * 36;
    Sha256 id;
    std::memcpy(id.data(), e, 32);
    size_t len = Get32(e + 32);
    if (at + len > p.size()) return Status::Corruption("block message extends past its end");
    b.ids.push_back(id);
    b.spans.emplace_back(at, len);
    at += len;
  }
  if (at != p.size()) return Status::Corruption("block has trailing bytes");
  return b;
}

Result<std::string> DecodeEntry(const DecodedBlock& b, size_t slot, const DictionaryLookup& dicts) {
  if (slot >= b.ids.size()) return Status::NotFound("no entry " + std::to_string(slot) + " in block " +
                                                    std::to_string(b.block_id));
  if (b.expanded) return std::string(b.message(slot));
  return Decompress(b.message(slot), b.sizes[slot], b.dict_id, dicts, b.block_id);
}

Status DecodeEntryPrefix(const DecodedBlock& b, size_t slot, const DictionaryLookup& dicts, std::string* out,
                         const std::function<bool(std::string_view decoded, bool complete)>& enough) {
  if (slot >= b.ids.size()) return Status::NotFound("no entry " + std::to_string(slot) + " in block " +
                                                    std::to_string(b.block_id));
  if (b.expanded) {
    enough(b.message(slot), true);
    return Status::Ok();
  }
  auto bad = [&] { return Status::Corruption("cannot decompress an entry of block " + std::to_string(b.block_id)); };
  uint32_t size = b.sizes[slot];
  if (size > kMaxBlockPayload) return Status::Corruption("implausible entry size in block " + std::to_string(b.block_id));
  ZSTD_DCtx* d = ThreadDCtx();
  size_t rc;
  if (b.dict_id) {
    const Dictionary* dict = dicts ? dicts(b.dict_id) : nullptr;
    if (!dict) return Status::Corruption("block " + std::to_string(b.block_id) + " needs dictionary " +
                                         std::to_string(b.dict_id) + ", which the archive does not have");
    rc = ZSTD_decompressBegin_usingDDict(d, dict->ddict());
  } else {
    rc = ZSTD_decompressBegin(d);
  }
  if (ZSTD_isError(rc)) return bad();
  if (out->size() < size) out->resize(size);  // grows only: the caller's buffer is reused
  std::string_view in = b.message(slot);
  size_t pos = 0;
  while (size_t need = ZSTD_nextSrcSizeToDecompress(d)) {
    if (need > in.size()) return bad();
    size_t got = ZSTD_decompressContinue(d, out->data() + pos, size - pos, in.data(), need);
    if (ZSTD_isError(got)) return bad();
    in.remove_prefix(need);
    pos += got;
    if (got && pos < size && enough(std::string_view(out->data(), pos), false)) return Status::Ok();
  }
  if (pos != size || !in.empty()) return bad();
  enough(std::string_view(out->data(), pos), true);
  return Status::Ok();
}

std::string EncodeSegmentHeader(uint64_t segment_number) {
  std::string h(kSegmentMagic, 8);
  Put32(&h, 1);
  Put32(&h, 0);
  Put64(&h, segment_number);
  Put32(&h, 0);
  Put32(&h, Crc32c(h));
  return h;
}

Status CheckSegmentHeader(std::string_view bytes, uint64_t expected_number) {
  if (bytes.size() < kSegmentHeaderSize || std::memcmp(bytes.data(), kSegmentMagic, 8) != 0)
    return Status::Corruption("not a Custodian segment (bad magic)");
  if (Get32(bytes.data() + 28) != Crc32c(bytes.substr(0, 28)))
    return Status::Corruption("segment header checksum mismatch");
  if (Get32(bytes.data() + 8) != 1) return Status::Unsupported("segment format version");
  if (Get64(bytes.data() + 16) != expected_number)
    return Status::Corruption("segment number does not match its file name");
  return Status::Ok();
}

}  // namespace custodian::store
