// Digests used across Custodian: SHA-256 (message ids) and CRC-32C (record framing).
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace custodian {

using Sha256 = std::array<uint8_t, 32>;

// For unordered containers keyed by digests: the first bytes are already uniformly random.
struct Sha256Hash {
  size_t operator()(const Sha256& s) const {
    size_t h;
    std::memcpy(&h, s.data(), sizeof h);
    return h;
  }
};

Sha256 ComputeSha256(std::string_view data);
std::string ToHex(const uint8_t* data, size_t n);
inline std::string ToHex(const Sha256& d) { return ToHex(d.data(), d.size()); }
// Parses exactly 64 hex digits (either case); nullopt otherwise.
std::optional<Sha256> Sha256FromHex(std::string_view hex);
bool IsHex(std::string_view s);

// CRC-32C (Castagnoli), as used by iSCSI/ext4; `crc` continues a previous value.
uint32_t Crc32c(std::string_view data, uint32_t crc = 0);

}  // namespace custodian
