// Fuzzes the segment record decoder: whatever bytes a damaged or hostile segment holds, decoding
// must fail cleanly or succeed with a consistent block — never crash or over-read.
#include <cstddef>
#include <cstdint>
#include <string_view>

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
  return 0;
}
