// A checkpoint kept by a user (a file given to `custodian verify --checkpoint`): either the signed
// note itself, as `custodian checkpoint` prints it, or the JSON object `custodian checkpoint
// --json` prints, whose "note" member holds the note. Untrusted input: limits, and a reason when
// refused.
#pragma once

#include <string>
#include <string_view>

#include "custodian/status.h"

namespace custodian::ledger {

inline constexpr size_t kMaxCheckpointFileBytes = 1 << 20;

// The signed note the file holds (not yet verified: see OpenCheckpoint).
Result<std::string> ReadCheckpointFile(std::string_view contents);

}  // namespace custodian::ledger
