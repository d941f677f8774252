#include "index/grams.h"

#include <algorithm>

#include "util/varint.h"

namespace custodian::index {
namespace {

constexpr uint32_t kGramMask = (1u << kGramBits) - 1;
constexpr uint32_t kNoSlot = ~0u;
// Postings encodings (docs/storage-format.md): varint gaps (written before position masks),
// a bitmap, varint gaps each followed by a position mask.
constexpr uint8_t kVarints = 0, kBitmap = 1, kVarintsMasks = 2, kBitmapMasks = 3;

// Calls fn(key, position) for every trigram of `s` in order (with repeats); position counts
// folded characters (a KELVIN SIGN is one), so it differs from the byte offset after one.
// `on_break` is called where a non-ASCII character ends a run.
template <typename Fn, typename Break>
void ForEachGram(std::string_view s, Fn fn, Break on_break) {
  uint32_t window = 0;
  int run = 0;
  uint64_t pos = 0;  // folded characters so far
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size();
  for (size_t i = 0; i < n; i++, pos++) {
    unsigned c = p[i];
    if (c >= 0x80) {
      if (c == 0xE2 && i + 2 < n && p[i + 1] == 0x84 && p[i + 2] == 0xAA) {  // KELVIN SIGN
        c = 'k';
        i += 2;
      } else if (c == 0xC5 && i + 1 < n && p[i + 1] == 0xBF) {  // LATIN SMALL LETTER LONG S
        c = 's';
        i += 1;
      } else {
        if (run) on_break();
        run = 0;
        continue;
      }
    } else if (c >= 'A' && c <= 'Z') {
      c += 'a' - 'A';
    }
    window = ((window << 7) | c) & kGramMask;
    if (++run >= 3) fn(window, pos - 2);
  }
}
template <typename Fn>
void ForEachGram(std::string_view s, Fn fn) {
  ForEachGram(s, fn, [] {});
}

// Each trigram's position mask while one thread collects a text's trigrams (2 MB, reset after
// each text).
std::vector<uint8_t>& MaskTable() {
  thread_local std::vector<uint8_t> masks(size_t(1) << kGramBits, 0);
  return masks;
}

// A bitmap over all trigrams, reused by one thread, for deduplication without sorting.
std::vector<uint64_t>& SeenBits() {
  thread_local std::vector<uint64_t> bits(size_t(1) << (kGramBits - 6), 0);
  return bits;
}

}  // namespace

void TextGrams(std::string_view text, std::vector<uint32_t>* out) {
  auto& bits = SeenBits();
  size_t start = out->size();
  ForEachGram(text, [&](uint32_t g, uint64_t) {
    uint64_t& word = bits[g >> 6];
    uint64_t bit = uint64_t(1) << (g & 63);
    if (!(word & bit)) {
      word |= bit;
      out->push_back(g);
    }
  });
  for (size_t i = start; i < out->size(); i++) bits[(*out)[i] >> 6] = 0;
}

void TextGramMasks(std::string_view text, std::vector<GramMask>* out) {
  auto& masks = MaskTable();
  size_t start = out->size();
  ForEachGram(text, [&](uint32_t g, uint64_t pos) {
    uint8_t& m = masks[g];
    if (m == 0) out->push_back({g, 0});
    m |= uint8_t(1u << (pos % 8));
  });
  for (size_t i = start; i < out->size(); i++) {
    GramMask& gm = (*out)[i];
    gm.mask = masks[gm.key];
    masks[gm.key] = 0;
  }
}

std::vector<GramRun> LiteralRuns(std::string_view literal) {
  std::vector<GramRun> runs(1);
  ForEachGram(
      literal, [&](uint32_t g, uint64_t) { runs.back().push_back(g); },
      [&] {
        if (!runs.back().empty()) runs.emplace_back();
      });
  if (runs.back().empty()) runs.pop_back();
  return runs;
}

bool RunFits(const uint8_t* masks, size_t n) {
  unsigned fit = 0xFF;  // bit p: the run can start at a position = p (mod 8)
  for (size_t i = 0; i < n && fit; i++) {
    unsigned m = masks[i], r = unsigned(i % 8);
    fit &= ((m >> r) | (m << (8 - r))) & 0xFF;  // bit (p + i) % 8 of m, moved to bit p
  }
  return fit != 0;
}

void GramAccumulator::Append(Postings& p, uint64_t gap, uint8_t mask) {
  uint8_t buf[11];
  size_t n = 0;
  while (gap >= 0x80) {
    buf[n++] = uint8_t(gap | 0x80);
    gap >>= 7;
  }
  buf[n++] = uint8_t(gap);
  buf[n++] = mask;
  for (size_t i = 0; i < n; i++) {
    if (p.fill == sizeof(Chunk::data)) {
      chunks_[p.tail].next = chunks_.size();
      p.tail = chunks_.size();
      chunks_.emplace_back();
      p.fill = 0;
    }
    chunks_[p.tail].data[p.fill++] = buf[i];
  }
  p.bytes += uint32_t(n);
  bytes_ += n;
}

void GramAccumulator::Add(int64_t text_id, std::string_view text) {
  if (slot_.empty()) slot_.assign(size_t(1) << kGramBits, kNoSlot);
  if (first_ == 0) first_ = text_id;
  last_ = text_id;
  scratch_.clear();
  TextGramMasks(text, &scratch_);
  for (const auto& [g, mask] : scratch_) {
    uint32_t& s = slot_[g];
    if (s == kNoSlot) {
      s = postings_.size();
      Postings& p = postings_.emplace_back();
      p.last = first_ - 1;
      p.head = p.tail = chunks_.size();
      chunks_.emplace_back();
      keys_.push_back(g);
      bytes_ += sizeof(Chunk) + sizeof(Postings);
    }
    Postings& p = postings_[s];
    Append(p, uint64_t(text_id - p.last), mask);
    p.last = text_id;
    p.count++;
  }
}

std::string EncodePostings(const std::vector<int64_t>& ids, const std::vector<uint8_t>& masks, int64_t first,
                           int64_t last) {
  std::string row(1, char(kVarintsMasks));
  int64_t prev = first - 1;
  for (size_t k = 0; k < ids.size(); k++) {
    PutVarint(&row, uint64_t(ids[k] - prev));
    row.push_back(char(masks[k]));
    prev = ids[k];
  }
  // A common trigram: one bit per text of the segment, then the masks, is smaller.
  size_t bitmap_bytes = (size_t(last - first + 1) + 7) / 8;
  if (bitmap_bytes + ids.size() < row.size() - 1) {
    std::string bits(1 + bitmap_bytes, '\0');
    bits[0] = char(kBitmapMasks);
    for (int64_t id : ids) {
      auto i = size_t(id - first);
      bits[1 + i / 8] = char(static_cast<unsigned char>(bits[1 + i / 8]) | (1u << (i % 8)));
    }
    bits.append(masks.begin(), masks.end());
    return bits;
  }
  return row;
}

Status GramAccumulator::Drain(const std::function<Status(uint32_t, std::string_view)>& fn) {
  std::vector<uint32_t> order(keys_.size());
  for (uint32_t i = 0; i < order.size(); i++) order[i] = i;
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return keys_[a] < keys_[b]; });
  Status st;
  std::vector<int64_t> ids;
  std::vector<uint8_t> masks;
  for (uint32_t i : order) {
    const Postings& p = postings_[i];
    ids.clear();
    masks.clear();
    int64_t id = first_ - 1;
    uint64_t gap = 0;
    int shift = 0;
    bool want_mask = false;
    for (uint32_t c = p.head, left = p.bytes; left > 0; c = chunks_[c].next) {
      uint32_t take = std::min<uint32_t>(left, sizeof(Chunk::data));
      for (uint32_t k = 0; k < take; k++) {
        uint8_t b = chunks_[c].data[k];
        if (want_mask) {
          masks.push_back(b);
          want_mask = false;
          continue;
        }
        gap |= uint64_t(b & 0x7F) << shift;
        shift += 7;
        if (!(b & 0x80)) {
          id += int64_t(gap);
          ids.push_back(id);
          gap = 0;
          shift = 0;
          want_mask = true;
        }
      }
      left -= take;
    }
    st = fn(keys_[i], EncodePostings(ids, masks, first_, last_));
    if (!st.ok()) break;
  }
  Clear();
  return st;
}

std::vector<std::pair<uint32_t, std::string>> GramAccumulator::Take() {
  std::vector<std::pair<uint32_t, std::string>> rows;
  (void)Drain([&](uint32_t key, std::string_view row) {
    rows.emplace_back(key, std::string(row));
    return Status::Ok();
  });
  return rows;
}

void GramAccumulator::Clear() {
  for (uint32_t g : keys_) slot_[g] = kNoSlot;
  postings_.clear();
  keys_.clear();
  chunks_.clear();
  first_ = last_ = 0;
  bytes_ = 0;
}

namespace {

// A postings row split into its parts, its sizes checked against the segment first..last.
struct Row {
  uint8_t type;
  std::string_view bits;   // bitmap encodings (1, 3): one bit per text of the segment
  std::string_view rest;   // the masks after a bitmap (3), or the varint entries (0, 2)
};

Status SplitRow(std::string_view row, int64_t first, int64_t last, Row* out) {
  if (row.empty() || last < first) return Status::Corruption("empty trigram postings");
  out->type = static_cast<uint8_t>(row[0]);
  row.remove_prefix(1);
  if (out->type == kBitmap || out->type == kBitmapMasks) {
    size_t bitmap_bytes = (size_t(last - first + 1) + 7) / 8;
    if (row.size() < bitmap_bytes) return Status::Corruption("trigram bitmap of the wrong size");
    out->bits = row.substr(0, bitmap_bytes);
    out->rest = row.substr(bitmap_bytes);
    if (out->type == kBitmap && !out->rest.empty()) return Status::Corruption("trigram bitmap of the wrong size");
    return Status::Ok();
  }
  if (out->type != kVarints && out->type != kVarintsMasks)
    return Status::Corruption("unknown trigram postings type " + std::to_string(out->type));
  out->rest = row;
  return Status::Ok();
}

// Calls fn(id, mask) for each text of a varint row (encodings 0 and 2), in order, while fn
// returns true. Rows without masks give 0xFF ("anywhere").
template <typename Fn>
Status ForEachVarintPosting(const Row& row, int64_t first, int64_t last, Fn fn) {
  const bool with_masks = row.type == kVarintsMasks;
  int64_t id = first - 1;
  for (size_t at = 0; at < row.rest.size();) {
    uint64_t gap;
    if (!GetVarint(row.rest, &at, &gap)) return Status::Corruption("truncated trigram postings");
    if (gap == 0 || gap > uint64_t(last - id)) return Status::Corruption("trigram postings out of range");
    id += int64_t(gap);
    uint8_t mask = 0xFF;
    if (with_masks) {
      if (at >= row.rest.size()) return Status::Corruption("truncated trigram postings");
      mask = static_cast<uint8_t>(row.rest[at++]);
      if (mask == 0) return Status::Corruption("empty trigram position mask");
    }
    if (!fn(id, mask)) break;
  }
  return Status::Ok();
}

}  // namespace

Status DecodePostings(std::string_view data, int64_t first, int64_t last, std::vector<int64_t>* out,
                      std::vector<uint8_t>* masks) {
  Row row;
  CUSTODIAN_RETURN_IF_ERROR(SplitRow(data, first, last, &row));
  if (row.type == kVarints || row.type == kVarintsMasks) {
    return ForEachVarintPosting(row, first, last, [&](int64_t id, uint8_t mask) {
      out->push_back(id);
      if (masks) masks->push_back(mask);
      return true;
    });
  }
  size_t n = 0;
  for (size_t byte = 0; byte < row.bits.size(); byte++) {
    for (auto b = static_cast<unsigned char>(row.bits[byte]); b; b &= b - 1) {
      int64_t id = first + int64_t(byte * 8 + size_t(__builtin_ctz(b)));
      if (id > last) return Status::Corruption("trigram bitmap past its segment");
      out->push_back(id);
      uint8_t mask = 0xFF;
      if (row.type == kBitmapMasks) {
        if (n >= row.rest.size()) return Status::Corruption("trigram position masks missing");
        mask = static_cast<uint8_t>(row.rest[n]);
        if (mask == 0) return Status::Corruption("empty trigram position mask");
      }
      n++;
      if (masks) masks->push_back(mask);
    }
  }
  if (row.type == kBitmapMasks && n != row.rest.size()) return Status::Corruption("trigram position masks left over");
  return Status::Ok();
}

Status PostingMasksFor(std::string_view data, int64_t first, int64_t last, const std::vector<int64_t>& ids,
                       std::vector<uint8_t>* masks) {
  masks->assign(ids.size(), 0);
  Row row;
  CUSTODIAN_RETURN_IF_ERROR(SplitRow(data, first, last, &row));
  if (row.type == kVarints || row.type == kVarintsMasks) {
    size_t j = 0;  // read no further than the last id asked about
    return ForEachVarintPosting(row, first, last, [&](int64_t id, uint8_t mask) {
      while (j < ids.size() && ids[j] < id) j++;
      if (j < ids.size() && ids[j] == id) (*masks)[j++] = mask;
      return j < ids.size();
    });
  }
  // rank: the number of set bits before byte `byte`, advanced as the ids ascend.
  size_t byte = 0, rank = 0;
  for (size_t j = 0; j < ids.size(); j++) {
    if (ids[j] < first || ids[j] > last) return Status::Corruption("trigram lookup outside its segment");
    size_t bit = size_t(ids[j] - first);
    for (; byte < bit / 8; byte++) rank += size_t(__builtin_popcount(static_cast<unsigned char>(row.bits[byte])));
    auto b = static_cast<unsigned char>(row.bits[byte]);
    if (!(b & (1u << (bit % 8)))) continue;
    if (row.type == kBitmap) {
      (*masks)[j] = 0xFF;
      continue;
    }
    size_t n = rank + size_t(__builtin_popcount(b & ((1u << (bit % 8)) - 1)));
    if (n >= row.rest.size()) return Status::Corruption("trigram position masks missing");
    (*masks)[j] = static_cast<uint8_t>(row.rest[n]);
    if ((*masks)[j] == 0) return Status::Corruption("empty trigram position mask");
  }
  return Status::Ok();
}

}  // namespace custodian::index
