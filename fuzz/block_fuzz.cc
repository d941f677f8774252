// Fuzzes the segment record decoder: whatever bytes a damaged or hostile segment holds, decoding
// must fail cleanly or succeed with a consistent block — never crash or over-read.
#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <memory>
#include <string_view>
#include <vector>

#include "store/block.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace custodian::store;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  static const Key key = Keys::FromMaster(Key{1}).BlockKey(KeySeed{});
  (void)DecodeBlockHeader(in);
  (void)BlockCrcMatches(in);
  auto b = DecodeBlock(in, key);
  if (b.ok())
    for (size_t i = 0; i < b->ids.size(); i++) (void)b->message(i);
  (void)CheckSegmentHeader(in, 1);
  // And the success path: the input split into messages, encoded, must decode to the same bytes.
  std::vector<BlockEntry> entries;
  for (size_t at = 0; at < in.size();) {
    size_t len = std::min<size_t>(in.size() - at, 1 + uint8_t(in[at]));
    entries.push_back({custodian::ComputeSha256(in.substr(at, len)), in.substr(at, len)});
    at += len;
  }
  std::string rec = EncodeBlock(7, entries, key);
  auto back = DecodeBlock(rec, key);
  if (!back.ok() || back->ids.size() != entries.size()) __builtin_trap();
  for (size_t i = 0; i < entries.size(); i++)
    if (back->message(i) != entries[i].data) __builtin_trap();
  // Per-entry blocks, with a dictionary made of the input itself, expanded or entry by entry.
  static std::unique_ptr<Dictionary> dict;
  if (!dict && size > 64) dict = Dictionary::Create(1, std::string(in));
  DictionaryLookup dicts = [](uint32_t id) { return id == 1 ? dict.get() : nullptr; };
  for (const Dictionary* d : {static_cast<const Dictionary*>(nullptr), static_cast<const Dictionary*>(dict.get())}) {
    std::string per = EncodePerEntryBlock(8, entries, key, d);
    auto whole = DecodeBlock(per, key, dicts);
    auto lazy = DecodeBlock(per, key, dicts, /*expand=*/false);
    if (!whole.ok() || !lazy.ok() || whole->ids.size() != entries.size()) __builtin_trap();
    std::string buf;
    for (size_t i = 0; i < entries.size(); i++) {
      auto e = DecodeEntry(*lazy, i, dicts);
      if (whole->message(i) != entries[i].data || !e.ok() || *e != entries[i].data) __builtin_trap();
      // A zstd block at a time: every prefix is the entry's own, and the last is all of it.
      std::string_view last;
      bool complete = false;
      custodian::Status st = DecodeEntryPrefix(*lazy, i, dicts, &buf, [&](std::string_view t, bool c) {
        if (entries[i].data.substr(0, t.size()) != t) __builtin_trap();
        last = t;
        complete = c;
        return false;
      });
      if (!st.ok() || !complete || last != entries[i].data) __builtin_trap();
    }
    // Damaged per-entry records fail cleanly too.
    if (!per.empty()) {
      per[per.size() / 2] ^= 1;
      (void)DecodeBlock(per, key, dicts);
    }
  }
  return 0;
}
