// Signed checkpoints of the ledger: C2SP signed notes (c2sp.org/signed-note) whose text is a
// C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint) with a timestamp line, signed with Ed25519.
// Formats, limits and an example: docs/ledger-format.md, "Checkpoints".
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "custodian/status.h"
#include "ledger/merkle.h"

namespace custodian::ledger {

// Parser limits: notes are untrusted input.
inline constexpr size_t kMaxNoteBytes = 128 * 1024;  // 16 post-quantum signatures fit
inline constexpr size_t kMaxNoteSignatures = 100;    // signed-note requires accepting >= 16
inline constexpr size_t kMaxKeyNameBytes = 256;
inline constexpr size_t kMaxCheckpointExtensions = 16;  // lines after the timestamp line

using PublicKey = std::array<uint8_t, 32>;  // Ed25519, RFC 8032 encoding
using KeySeed = std::array<uint8_t, 32>;    // Ed25519 private key seed

// Key names are non-empty, at most kMaxKeyNameBytes of valid UTF-8, without spaces (any Unicode
// White_Space), '+' or control characters.
bool IsValidKeyName(std::string_view name);
// First four bytes, big-endian, of SHA-256(name || 0x0A || 0x01 || public key).
uint32_t Ed25519KeyId(std::string_view name, const PublicKey& public_key);

// The public half: checks signatures. Text form "<name>+<8 hex key id>+<base64(0x01 || key)>".
struct VerifierKey {
  std::string name;
  uint32_t key_id = 0;
  PublicKey public_key{};
};
std::string FormatVerifierKey(const VerifierKey& key);
// Strict: valid name, 8 hex digits matching the key, canonical base64 of 0x01 and 32 bytes.
Result<VerifierKey> ParseVerifierKey(std::string_view text);

// The private half; wipes its secret on destruction. Text form (as golang.org/x/mod/sumdb/note):
// "PRIVATE+KEY+<name>+<8 hex key id>+<base64(0x01 || 32-byte seed)>".
class SignerKey {
 public:
  static Result<SignerKey> Generate(std::string_view name);
  static Result<SignerKey> FromSeed(std::string_view name, const KeySeed& seed);
  static Result<SignerKey> Parse(std::string_view text);
  SignerKey(const SignerKey& other) = default;
  SignerKey& operator=(const SignerKey& other) = default;
  ~SignerKey();

  const std::string& name() const { return verifier_.name; }
  const VerifierKey& verifier() const { return verifier_; }
  std::string Format() const;
  // The Ed25519 signature of `message`.
  std::array<uint8_t, 64> Sign(std::string_view message) const;

 private:
  SignerKey() = default;
  VerifierKey verifier_;
  std::array<uint8_t, 64> secret_{};  // libsodium's form: seed || public key
};

// A signed note, split but not verified.
struct NoteSignature {
  std::string key_name;
  uint32_t key_id = 0;
  std::string signature;  // the bytes after the key id
};
struct Note {
  std::string text;  // up to and including the newline before the blank line
  std::vector<NoteSignature> signatures;
};

// Syntax only, with the limits above: valid UTF-8, no control characters but newline, text
// ending in a newline, a blank line, then well-formed signature lines. InvalidArgument or
// LimitExceeded with the reason.
Result<Note> ParseNote(std::string_view note);
// The exact bytes ParseNote accepted (parsing is canonical).
std::string FormatNote(const Note& note);
// Checks the note's signatures against `key`. Signatures whose name or key id differ from the
// key's are ignored; every one matching both must verify (Corruption otherwise), and at least
// one must exist (NotFound otherwise).
Status VerifyNote(const Note& note, const VerifierKey& key);
// Signs `text` (a valid note text) and returns the whole note.
Result<std::string> SignNote(std::string_view text, const SignerKey& key);

// The text of a checkpoint:
//   <origin>\n<tree size>\n<base64 root hash>\ntimestamp <ms since the epoch>\n<extension>\n...
struct Checkpoint {
  std::string origin;
  uint64_t tree_size = 0;
  Hash root_hash{};
  uint64_t timestamp_ms = 0;  // when it was signed, milliseconds since 1970-01-01T00:00:00Z
  std::vector<std::string> extensions;  // opaque further lines, each non-empty

  friend bool operator==(const Checkpoint&, const Checkpoint&) = default;
};

Result<std::string> FormatCheckpointText(const Checkpoint& checkpoint);
// Strict: the exact shape above, decimal numbers without leading zeros, canonical base64 of
// 32 bytes. Formatting what it returns gives back `text`.
Result<Checkpoint> ParseCheckpointText(std::string_view text);
// A signed checkpoint note. The origin must be the key's name.
Result<std::string> SignCheckpoint(const Checkpoint& checkpoint, const SignerKey& key);
// Parses the note, verifies it against `key` (VerifyNote), parses its text and checks that the
// origin is the key's name: the checkpoint only if all of that holds.
Result<Checkpoint> OpenCheckpoint(std::string_view note, const VerifierKey& key);

// Standard base64 (RFC 4648 §4) with padding; decoding rejects anything non-canonical.
std::string Base64Encode(std::string_view bytes);
Result<std::string> Base64Decode(std::string_view text);

}  // namespace custodian::ledger
