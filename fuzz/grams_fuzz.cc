// libFuzzer target for the trigram index's postings: a damaged postings row must decode to an
// error or to ascending ids inside its segment, never crash; and any texts put through the
// accumulator must decode back to exactly the texts that contain each trigram, with their
// position masks, and a substring of a text must always pass the mask filter for it.
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "index/grams.h"

namespace {
void Check(bool ok) {
  if (!ok) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace custodian::index;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (in.size() > (256 << 10)) in = in.substr(0, 256 << 10);  // bounds the round trip below
  // 1. The input as a postings row of a segment whose span the first byte chooses.
  int64_t first = 5, last = first + (size ? data[0] : 0);
  std::vector<int64_t> ids;
  std::vector<uint8_t> masks;
  if (DecodePostings(in.substr(size ? 1 : 0), first, last, &ids, &masks).ok()) {
    Check(masks.size() == ids.size());
    for (size_t i = 0; i < ids.size(); i++)
      Check(ids[i] >= first && ids[i] <= last && (i == 0 || ids[i - 1] < ids[i]) && masks[i] != 0);
    // Probing every id of the segment gives back the same texts and masks.
    std::vector<int64_t> every;
    for (int64_t id = first; id <= last; id++) every.push_back(id);
    std::vector<uint8_t> probed;
    Check(PostingMasksFor(in.substr(size ? 1 : 0), first, last, every, &probed).ok());
    size_t k = 0;
    for (size_t j = 0; j < every.size(); j++) {
      bool listed = k < ids.size() && ids[k] == every[j];
      Check(probed[j] == (listed ? masks[k] : 0));
      if (listed) k++;
    }
  } else {
    // A damaged row may still answer a probe that stops before the damage, but never crashes.
    std::vector<uint8_t> probed;
    (void)PostingMasksFor(in.substr(size ? 1 : 0), first, last, {first, last}, &probed);
  }
  // 2. The input split at newlines into texts, accumulated, taken and decoded again.
  std::vector<std::string_view> texts;
  for (size_t at = 0; at <= in.size() && texts.size() < 64;) {
    size_t nl = in.find('\n', at);
    if (nl == std::string_view::npos) nl = in.size();
    texts.push_back(in.substr(at, nl - at));
    at = nl + 1;
  }
  static GramAccumulator acc;  // reused: its trigram table is 8 MB
  std::vector<std::map<uint32_t, uint8_t>> grams(texts.size());  // trigram -> position mask
  for (size_t i = 0; i < texts.size(); i++) {
    acc.Add(int64_t(100 + i), texts[i]);
    std::vector<uint32_t> g;
    TextGrams(texts[i], &g);
    std::vector<GramMask> gm;
    TextGramMasks(texts[i], &gm);
    Check(g.size() == gm.size());
    for (const auto& [key, mask] : gm) grams[i][key] = mask;
    for (uint32_t key : g) Check(grams[i].count(key) == 1);
    // Every substring of the text passes the filter for it: the masks never hide a hit.
    if (texts[i].size() >= 3) {
      std::string_view lit = texts[i].substr(texts[i].size() / 3, 3 + texts[i].size() % 13);
      for (const GramRun& run : LiteralRuns(lit)) {
        std::vector<uint8_t> m;
        for (uint32_t key : run) m.push_back(grams[i][key]);
        Check(RunFits(m.data(), m.size()));
      }
    }
  }
  int64_t a = acc.first(), b = acc.last();
  for (const auto& [gram, row] : acc.Take()) {
    std::vector<int64_t> got;
    std::vector<uint8_t> got_masks;
    Check(DecodePostings(row, a, b, &got, &got_masks).ok());
    std::vector<int64_t> want;
    for (size_t i = 0; i < texts.size(); i++)
      if (grams[i].count(gram)) want.push_back(int64_t(100 + i));
    Check(got == want);
    for (size_t k = 0; k < got.size(); k++)
      Check(got_masks[k] == 0xFF || got_masks[k] == grams[size_t(got[k] - 100)][gram]);
  }
  return 0;
}
