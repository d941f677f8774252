// libFuzzer target for signed checkpoints and ledger keys (src/ledger/checkpoint.h), which read
// untrusted input: any input must parse or fail with a reason, and whatever parses must format
// back to exactly the same bytes (the formats leave no freedom). The seeds are signed by the fixed
// key below, so that mutations also reach signature verification and the checkpoint text.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ledger/checkpoint.h"
#include "util/digest.h"

namespace {

using custodian::Status;
using namespace custodian::ledger;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

bool IsParseError(const Status& st) {
  return st.code() == Status::Code::kInvalidArgument || st.code() == Status::Code::kLimitExceeded ||
         st.code() == Status::Code::kUnsupported;
}

// The fuzz key: its seed is SHA-256 of a public string, so the seeds can be regenerated.
const SignerKey& FuzzKey() {
  static const SignerKey key = [] {
    custodian::Sha256 seed = custodian::ComputeSha256("custodian checkpoint fuzz key");
    return *SignerKey::FromSeed("fuzz.example/ledger", seed);
  }();
  return key;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const SignerKey& key = FuzzKey();

  auto note = ParseNote(in);
  if (note.ok()) {
    Check(in.size() <= kMaxNoteBytes && note->signatures.size() <= kMaxNoteSignatures);
    Check(FormatNote(*note) == in);
    // Signing the same text again gives a note that verifies.
    auto resigned = SignNote(note->text, key);
    if (resigned.ok()) {
      auto reparsed = ParseNote(*resigned);
      Check(reparsed.ok() && reparsed->text == note->text);
      Check(VerifyNote(*reparsed, key.verifier()).ok());
    }
  } else {
    Check(IsParseError(note.status()));
  }

  auto checkpoint = OpenCheckpoint(in, key.verifier());
  if (checkpoint.ok()) {
    Check(note.ok() && checkpoint->origin == key.name());
    auto text = FormatCheckpointText(*checkpoint);
    Check(text.ok() && *text == note->text);
  } else {
    Status::Code c = checkpoint.status().code();
    Check(IsParseError(checkpoint.status()) || c == Status::Code::kNotFound ||
          c == Status::Code::kCorruption);
  }

  auto body = ParseCheckpointText(in);
  if (body.ok()) {
    auto text = FormatCheckpointText(*body);
    Check(text.ok() && *text == in);
  } else {
    Check(IsParseError(body.status()));
  }

  auto vkey = ParseVerifierKey(in);
  if (vkey.ok()) Check(FormatVerifierKey(*vkey) == in);
  auto skey = SignerKey::Parse(in);
  if (skey.ok()) {
    Check(skey->Format() == in);
    Check(ParseVerifierKey(FormatVerifierKey(skey->verifier())).ok());
  }
  return 0;
}
