// libFuzzer target for checkpoint files given by users (src/ledger/checkpoint_file.h): any input
// must give a note or a reason, within the limits, and a note read from JSON must be re-readable.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ledger/checkpoint.h"
#include "ledger/checkpoint_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using custodian::Status;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto note = custodian::ledger::ReadCheckpointFile(in);
  if (note.ok()) {
    if (note->size() > custodian::ledger::kMaxNoteBytes) __builtin_trap();
    (void)custodian::ledger::ParseNote(*note);
  } else {
    Status::Code c = note.status().code();
    if (c != Status::Code::kInvalidArgument && c != Status::Code::kLimitExceeded) __builtin_trap();
  }
  return 0;
}
