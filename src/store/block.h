// A block: up to ~1 MiB of messages compressed and encrypted together
// (docs/storage-format.md, "Block record"). Pure functions over bytes; no I/O.
#pragma once

#include <zstd.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "custodian/status.h"
#include "store/keys.h"
#include "util/digest.h"

namespace custodian::store {

constexpr size_t kBlockHeaderSize = 56;
constexpr size_t kSegmentHeaderSize = 32;
constexpr size_t kTargetBlockRawBytes = 1024 * 1024;
// Searchable texts are compressed one by one (with a dictionary trained on the archive's own
// texts), so a substring or regex search decompresses only its candidates; their blocks are
// smaller, so it also decrypts little else.
constexpr size_t kTargetTextBlockRawBytes = 8 * 1024;
// Entries of per-entry blocks are compressed in zstd blocks of at most this much text (a zstd
// block is the unit of decompression): ~0.6% larger on Enron than zstd's default of 128 KiB.
constexpr size_t kEntryZstdBlockBytes = 4096;
constexpr uint32_t kCompressionZstd = 1;          // directory and entries: one zstd frame
constexpr uint32_t kCompressionZstdPerEntry = 2;  // one zstd frame per entry, maybe with a dictionary
constexpr uint32_t kMaxBlockPayload = 1u << 30;  // sanity bound when reading a header

struct BlockHeader {
  uint32_t payload_length = 0;
  uint64_t block_id = 0;
  uint32_t count = 0;
  uint32_t compression = 0;
  uint8_t nonce[24] = {};
  uint32_t crc = 0;
};

struct BlockEntry {
  BlockEntry() = default;
  BlockEntry(const Sha256& id, std::string_view data, std::string_view frame = {}, uint32_t frame_dict = 0)
      : id(id), data(data), frame(frame), frame_dict(frame_dict) {}
  Sha256 id{};
  std::string_view data;
  // For per-entry blocks: `data` already compressed by CompressEntry with dictionary
  // `frame_dict` (0: none), e.g. on another thread; used when it matches the block's dictionary.
  std::string_view frame;
  uint32_t frame_dict = 0;
};

// A zstd dictionary for per-entry blocks, ready for both directions. Ids start at 1.
class Dictionary {
 public:
  static std::unique_ptr<Dictionary> Create(uint32_t id, std::string bytes);
  ~Dictionary();
  uint32_t id() const { return id_; }
  const std::string& bytes() const { return bytes_; }
  const ZSTD_CDict* cdict() const;  // built on first use (thread-safe)
  const ZSTD_DDict* ddict() const { return ddict_; }

 private:
  Dictionary() = default;
  uint32_t id_ = 0;
  std::string bytes_;
  mutable std::once_flag cdict_once_;
  mutable ZSTD_CDict* cdict_ = nullptr;
  ZSTD_DDict* ddict_ = nullptr;
};
// Finds a dictionary by id; nullptr if unknown.
using DictionaryLookup = std::function<const Dictionary*(uint32_t id)>;

// Trains a dictionary of at most max_bytes on `samples`; "" when there is too little to learn from.
std::string TrainDictionary(const std::vector<std::string_view>& samples, size_t max_bytes);

// One entry's frame for a per-entry block. Thread-safe for a shared dictionary.
std::string CompressEntry(std::string_view data, const Dictionary* dict);

// Encodes entries into a complete block record (header + ciphertext): compression 1.
std::string EncodeBlock(uint64_t block_id, const std::vector<BlockEntry>& entries, const Key& key);
// The same with each entry compressed on its own (compression 2), with `dict` if not null.
std::string EncodePerEntryBlock(uint64_t block_id, const std::vector<BlockEntry>& entries, const Key& key,
                                const Dictionary* dict);

// Parses and checks the fixed header; `bytes` must hold at least kBlockHeaderSize bytes.
Result<BlockHeader> DecodeBlockHeader(std::string_view bytes);
// Checks the record's CRC (header + payload) without any key.
bool BlockCrcMatches(std::string_view record);

// A decrypted block. Expanded, `plain` holds the entries' bytes and message(slot) reads them;
// a per-entry block that is not expanded keeps its frames in `plain` (spans locate them), to be
// decompressed one by one with DecodeEntry.
struct DecodedBlock {
  uint64_t block_id = 0;
  uint32_t compression = kCompressionZstd;
  uint32_t dict_id = 0;
  bool expanded = true;
  std::string plain;
  std::vector<Sha256> ids;
  std::vector<std::pair<size_t, size_t>> spans;  // offset/length of each entry (or frame) in `plain`
  std::vector<uint32_t> sizes;                   // per-entry blocks: each entry's uncompressed size
  std::string_view message(size_t slot) const {
    return std::string_view(plain).substr(spans[slot].first, spans[slot].second);
  }
};

// Verifies CRC and AEAD tag and decrypts a record; decompresses every entry unless `expand` is
// false and the block is per-entry. `dicts` is needed for blocks compressed with a dictionary.
Result<DecodedBlock> DecodeBlock(std::string_view record, const Key& key, const DictionaryLookup& dicts = nullptr,
                                 bool expand = true);
// The same, decrypting the record where it is (no copy); an unexpanded per-entry block keeps it.
Result<DecodedBlock> DecodeBlock(std::string&& record, const Key& key, const DictionaryLookup& dicts = nullptr,
                                 bool expand = true);
// One entry of a block that DecodeBlock left unexpanded (or any entry of an expanded one).
Result<std::string> DecodeEntry(const DecodedBlock& b, size_t slot, const DictionaryLookup& dicts);
// The same, decompressed into *out one zstd block at a time (entries are written in blocks of
// at most kEntryZstdBlockBytes), calling enough(decoded so far, complete) after each block;
// stops as soon as it returns true, so a search that has found what it looks for decompresses no
// further. Unless a call returned true, the last call has complete = true and the whole entry.
// For an expanded block, one call with the whole entry (not copied to *out).
Status DecodeEntryPrefix(const DecodedBlock& b, size_t slot, const DictionaryLookup& dicts, std::string* out,
                         const std::function<bool(std::string_view decoded, bool complete)>& enough);

std::string EncodeSegmentHeader(uint64_t segment_number);
Status CheckSegmentHeader(std::string_view bytes, uint64_t expected_number);

}  // namespace custodian::store
