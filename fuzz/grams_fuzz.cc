// libFuzzer target for the trigram index's postings: a damaged postings row must decode to an
// error or to ascending ids inside its segment, never crash; and any texts put through the
// accumulator must decode back to exactly the texts that contain each trigram.
#include <cstddef>
#include <cstdint>
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
  if (DecodePostings(in.substr(size ? 1 : 0), first, last, &ids).ok())
    for (size_t i = 0; i < ids.size(); i++) Check(ids[i] >= first && ids[i] <= last && (i == 0 || ids[i - 1] < ids[i]));
  // 2. The input split at newlines into texts, accumulated, taken and decoded again.
  std::vector<std::string_view> texts;
  for (size_t at = 0; at <= in.size() && texts.size() < 64;) {
    size_t nl = in.find('\n', at);
    if (nl == std::string_view::npos) nl = in.size();
    texts.push_back(in.substr(at, nl - at));
    at = nl + 1;
  }
  static GramAccumulator acc;  // reused: its trigram table is 8 MB
  std::vector<std::set<uint32_t>> grams(texts.size());
  for (size_t i = 0; i < texts.size(); i++) {
    acc.Add(int64_t(100 + i), texts[i]);
    std::vector<uint32_t> g;
    TextGrams(texts[i], &g);
    grams[i].insert(g.begin(), g.end());
  }
  int64_t a = acc.first(), b = acc.last();
  for (const auto& [gram, row] : acc.Take()) {
    std::vector<int64_t> got;
    Check(DecodePostings(row, a, b, &got).ok());
    std::vector<int64_t> want;
    for (size_t i = 0; i < texts.size(); i++)
      if (grams[i].count(gram)) want.push_back(int64_t(100 + i));
    Check(got == want);
  }
  return 0;
}
