// LEB128 varints (7 bits a byte, least significant first): the trigram index's postings, the
// mail parser's wire format and the ledger's records use them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace custodian {

inline void PutVarint(std::string* out, uint64_t v) {
  for (; v >= 0x80; v >>= 7) out->push_back(char(0x80 | (v & 0x7F)));
  out->push_back(char(v));
}

// Reads the varint at in[*at] and advances *at past it; false if it is cut off or does not fit
// 64 bits. (Whoever needs the shortest form only, as the ledger does, checks that itself.)
inline bool GetVarint(std::string_view in, size_t* at, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*at >= in.size()) return false;
    auto b = static_cast<unsigned char>(in[(*at)++]);
    if (shift == 63 && b > 1) return false;
    *v |= uint64_t(b & 0x7F) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

}  // namespace custodian
