// The trigram index: for every distinct searchable text, the set of case-folded ASCII trigrams it
// contains, so substring and regular-expression search read only the texts that can match
// (as in Google Code Search and zoekt). The format is in docs/storage-format.md ("Trigram index").
//
// Folding: ASCII letters are lower-cased; KELVIN SIGN (U+212A) counts as "k" and LONG S (U+017F)
// as "s", because a case-insensitive RE2 pattern matches them for k and s. Any other non-ASCII
// byte ends the run: only trigrams of three ASCII characters are indexed. A trigram's key is its
// three 7-bit characters, 21 bits.
//
// Postings are written in segments: a segment covers the texts first..last (consecutive text
// ids) and holds one row per trigram that occurs in them, key = segment << 21 | trigram, listing
// the texts that contain it. Texts not covered by any segment (an import that did not finish)
// are always candidates, so a missing segment makes search slower, never wrong.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "custodian/status.h"

namespace custodian::index {

constexpr int kGramBits = 21;

// Appends the distinct trigram keys of `text` to *out, in no particular order.
void TextGrams(std::string_view text, std::vector<uint32_t>* out);

// A trigram of a text and where it starts in it: bit p % 8 of `mask` is set for every position p
// (counted in folded characters) at which the trigram occurs.
struct GramMask {
  uint32_t key;
  uint8_t mask;
};
// Appends the distinct trigrams of `text` with their position masks to *out, in no particular
// order.
void TextGramMasks(std::string_view text, std::vector<GramMask>* out);

// What a text must contain if it contains `literal` (case aside): for each run of three or more
// ASCII characters in the literal, its trigrams in order, run[i] starting at the run's character
// i. Empty when the literal has no three ASCII characters in a row, i.e. when the index cannot
// narrow the search. (Only offsets within one run are used: across a non-ASCII character, case
// folding can change the length.)
using GramRun = std::vector<uint32_t>;
std::vector<GramRun> LiteralRuns(std::string_view literal);

// Whether a text in which run[i]'s trigram has position mask masks[i] can hold the run: there is
// a position p with bit (p + i) % 8 set in masks[i] for every i.
bool RunFits(const uint8_t* masks, size_t n);

// Collects the postings of texts added in increasing id order until they are written as one
// segment.
class GramAccumulator {
 public:
  void Add(int64_t text_id, std::string_view text);
  bool empty() const { return first_ == 0; }
  int64_t first() const { return first_; }
  int64_t last() const { return last_; }
  size_t bytes() const { return bytes_; }
  // Hands the segment's rows to `fn` one at a time, in trigram order: (trigram, encoded
  // postings). Only one row is encoded at a time, so a flush needs no second copy of the
  // postings. Stops at the first error; leaves the accumulator empty either way.
  Status Drain(const std::function<Status(uint32_t, std::string_view)>& fn);
  // The same rows, collected (for tests).
  std::vector<std::pair<uint32_t, std::string>> Take();
  void Clear();

 private:
  // A trigram's postings, each a varint gap (from the previous id; from first - 1 for the first)
  // and a position mask byte, live in a chain of fixed chunks in one arena: no allocation per
  // trigram, and little slack.
  struct Chunk {
    uint8_t data[28];
    uint32_t next;
  };
  struct Postings {
    int64_t last = 0;
    uint32_t head = 0, tail = 0;  // chunk indices
    uint32_t fill = 0;            // bytes used in the tail chunk
    uint32_t bytes = 0;           // all gap and mask bytes
    uint32_t count = 0;           // texts
  };
  // An append-only array in fixed slabs. A std::vector doubling its capacity held the old and
  // the new copy at once: 50 MiB at the peak of an Enron import for 17 MiB of chunks.
  template <typename T>
  class Slabs {
   public:
    static constexpr uint32_t kShift = 16;  // 64 Ki elements per slab
    T& operator[](uint32_t i) { return slabs_[i >> kShift][i & ((1u << kShift) - 1)]; }
    const T& operator[](uint32_t i) const { return slabs_[i >> kShift][i & ((1u << kShift) - 1)]; }
    uint32_t size() const { return size_; }
    T& emplace_back() {
      if ((size_ >> kShift) == slabs_.size()) slabs_.push_back(std::make_unique<T[]>(size_t(1) << kShift));
      T& t = (*this)[size_++];
      t = T();
      return t;
    }
    void clear() {
      slabs_.clear();
      size_ = 0;
    }

   private:
    std::vector<std::unique_ptr<T[]>> slabs_;
    uint32_t size_ = 0;
  };
  void Append(Postings& p, uint64_t gap, uint8_t mask);
  std::vector<uint32_t> slot_;  // trigram -> index in postings_, or ~0u
  Slabs<Postings> postings_;
  Slabs<Chunk> chunks_;
  std::vector<uint32_t> keys_;  // trigrams in postings_ order
  std::vector<GramMask> scratch_;
  int64_t first_ = 0, last_ = 0;
  size_t bytes_ = 0;
};

// Encodes the postings of segment first..last (ids ascending, each with its position mask) as
// the writer does: the shorter of varint gaps with masks (encoding 2) and a bitmap with masks (3).
std::string EncodePostings(const std::vector<int64_t>& ids, const std::vector<uint8_t>& masks, int64_t first,
                           int64_t last);

// Appends the ids in one encoded postings row of the segment first..last to *out (ascending),
// and, if `masks` is given, each one's position mask to *masks (0xFF, "anywhere", for rows
// written without masks).
Status DecodePostings(std::string_view row, int64_t first, int64_t last, std::vector<int64_t>* out,
                      std::vector<uint8_t>* masks = nullptr);

// For each of `ids` (ascending, within first..last): its position mask in the row, or 0 when the
// row does not list it; *masks gets one byte per id. Cheaper than DecodePostings when `ids` is
// short: a bitmap is probed, not expanded, and varints are read only up to the last id.
// Checks the part of the row it reads.
Status PostingMasksFor(std::string_view row, int64_t first, int64_t last, const std::vector<int64_t>& ids,
                       std::vector<uint8_t>* masks);

}  // namespace custodian::index
