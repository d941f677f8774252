// A block: up to ~1 MiB of messages compressed and encrypted together
// (docs/storage-format.md, "Block record"). Pure functions over bytes; no I/O.
#pragma once

#include <cstdint>
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
// Searchable texts go in smaller blocks: a substring or regex search decodes only the blocks
// that hold a candidate text, and smaller blocks waste less work on the texts around it.
constexpr size_t kTargetTextBlockRawBytes = 8 * 1024;
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
  Sha256 id;
  std::string_view data;
};

// Encodes messages into a complete block record (header + ciphertext).
std::string EncodeBlock(uint64_t block_id, const std::vector<BlockEntry>& entries, const Key& key);

// Parses and checks the fixed header; `bytes` must hold at least kBlockHeaderSize bytes.
Result<BlockHeader> DecodeBlockHeader(std::string_view bytes);
// Checks the record's CRC (header + payload) without any key.
bool BlockCrcMatches(std::string_view record);

// A decrypted, decompressed block.
struct DecodedBlock {
  uint64_t block_id = 0;
  std::string plain;  // the uncompressed payload
  std::vector<Sha256> ids;
  std::vector<std::pair<size_t, size_t>> spans;  // offset/length of each message in `plain`
  std::string_view message(size_t slot) const {
    return std::string_view(plain).substr(spans[slot].first, spans[slot].second);
  }
};

// Verifies CRC and AEAD tag, decrypts and decompresses a whole record.
Result<DecodedBlock> DecodeBlock(std::string_view record, const Key& key);

std::string EncodeSegmentHeader(uint64_t segment_number);
Status CheckSegmentHeader(std::string_view bytes, uint64_t expected_number);

}  // namespace custodian::store
