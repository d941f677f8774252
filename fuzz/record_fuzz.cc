// libFuzzer target for ledger records (src/ledger/record.h), read back from the catalog, which an
// intruder may have altered: any input must decode or fail with a reason, and whatever decodes
// must encode back to exactly the same bytes (the encoding is canonical).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ledger/record.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using custodian::Status;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto r = custodian::ledger::DecodeRecord(in);
  if (r.ok()) {
    auto again = custodian::ledger::EncodeRecord(*r);
    if (!again.ok() || *again != in) __builtin_trap();
    (void)custodian::ledger::DescribeRecord(*r);
  } else {
    Status::Code c = r.status().code();
    if (c != Status::Code::kInvalidArgument && c != Status::Code::kLimitExceeded &&
        c != Status::Code::kUnsupported)
      __builtin_trap();
  }
  return 0;
}
