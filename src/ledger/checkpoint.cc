#include "ledger/checkpoint.h"

#include <sodium.h>

#include <cstring>

#include "util/text.h"

namespace custodian::ledger {
namespace {

constexpr uint8_t kEd25519 = 0x01;                              // signed-note signature type
constexpr std::string_view kSignaturePrefix = "\xE2\x80\x94 ";  // U+2014 EM DASH, space
constexpr std::string_view kPrivateKeyPrefix = "PRIVATE+KEY+";
constexpr std::string_view kTimestampPrefix = "timestamp ";

Status SodiumReady() {
  if (sodium_init() < 0) return Status::Internal("libsodium failed to initialize");
  return Status::Ok();
}

std::string Dec(uint64_t v) { return std::to_string(v); }

std::string KeyIdHex(uint32_t id) {
  uint8_t be[4] = {uint8_t(id >> 24), uint8_t(id >> 16), uint8_t(id >> 8), uint8_t(id)};
  return ToHex(be, 4);
}

// Decodes one code point of already-validated UTF-8 at s[*i] and advances *i.
uint32_t NextCodePoint(std::string_view s, size_t* i) {
  auto b = uint8_t(s[*i]);
  int n = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
  uint32_t cp = n == 1 ? b : n == 2 ? b & 0x1F : n == 3 ? b & 0x0F : b & 0x07;
  for (int k = 1; k < n; k++) cp = (cp << 6) | (uint8_t(s[*i + k]) & 0x3F);
  *i += n;
  return cp;
}

// Unicode White_Space (what Go's unicode.IsSpace, used by sumdb/note, accepts).
bool IsUnicodeSpace(uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000;
}

// Valid UTF-8 without ASCII control characters other than newline (signed-note, "Format").
Status CheckNoteCharacters(std::string_view s, std::string_view what) {
  if (!IsValidUtf8(s)) return Status::InvalidArgument(std::string(what) + " is not valid UTF-8");
  for (size_t i = 0; i < s.size(); i++) {
    if (uint8_t(s[i]) < 0x20 && s[i] != '\n')
      return Status::InvalidArgument(std::string(what) + " has a control character at byte " +
                                     Dec(i));
  }
  return Status::Ok();
}

// A decimal number as tlog-checkpoint writes it: digits only, no leading zeros, fits 64 bits.
Result<uint64_t> ParseDecimal(std::string_view s) {
  if (s.empty() || s.size() > 20) return Status::InvalidArgument("not a decimal number");
  if (s.size() > 1 && s[0] == '0') return Status::InvalidArgument("leading zero");
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return Status::InvalidArgument("not a decimal number");
    uint64_t d = uint64_t(c - '0');
    if (v > (UINT64_MAX - d) / 10) return Status::InvalidArgument("number too large");
    v = v * 10 + d;
  }
  return v;
}

// "<name>+<8 lowercase hex>+<base64>" as in both key forms: the three parts, unchecked.
struct KeyParts {
  std::string_view name, id_hex, b64;
};
Result<KeyParts> SplitKey(std::string_view text) {
  size_t p1 = text.find('+');
  if (p1 == std::string_view::npos) return Status::InvalidArgument("key has no '+'");
  size_t p2 = text.find('+', p1 + 1);
  if (p2 == std::string_view::npos) return Status::InvalidArgument("key has one '+'");
  KeyParts parts{text.substr(0, p1), text.substr(p1 + 1, p2 - p1 - 1), text.substr(p2 + 1)};
  if (!IsValidKeyName(parts.name)) return Status::InvalidArgument("invalid key name");
  if (parts.id_hex.size() != 8) return Status::InvalidArgument("key id is not 8 hex digits");
  for (char c : parts.id_hex)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return Status::InvalidArgument("key id is not 8 lowercase hex digits");
  return parts;
}

// Decodes base64(0x01 || 32 bytes) into `out`; wipes the intermediate buffer.
Status DecodeTypedKey(std::string_view b64, std::array<uint8_t, 32>* out) {
  auto raw = Base64Decode(b64);
  if (!raw.ok()) return Status::InvalidArgument("key is not canonical base64");
  Status st;
  if (raw->empty() || uint8_t((*raw)[0]) != kEd25519)
    st = Status::Unsupported("key type is not Ed25519 (0x01)");
  else if (raw->size() != 1 + out->size())
    st = Status::InvalidArgument("Ed25519 key has " + Dec(raw->size() - 1) + " bytes, not 32");
  else
    std::memcpy(out->data(), raw->data() + 1, out->size());
  sodium_memzero(raw->data(), raw->size());
  return st;
}

std::string TypedKeyBase64(const uint8_t* key) {
  std::string raw(1, char(kEd25519));
  raw.append(reinterpret_cast<const char*>(key), 32);
  std::string b64 = Base64Encode(raw);
  sodium_memzero(raw.data(), raw.size());
  return b64;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Base64

std::string Base64Encode(std::string_view bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.pop_back();  // the terminating NUL
  return out;
}

Result<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return Status::InvalidArgument("base64 length is not a multiple of 4");
  std::string out(text.size() / 4 * 3, '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0)
    return Status::InvalidArgument("invalid base64");
  out.resize(len);
  // One encoding per byte string: no stray bits in the last character, no other padding.
  if (Base64Encode(out) != text) return Status::InvalidArgument("non-canonical base64");
  return out;
}

// ---------------------------------------------------------------------------------------------
// Keys

bool IsValidKeyName(std::string_view name) {
  if (name.empty() || name.size() > kMaxKeyNameBytes || !IsValidUtf8(name)) return false;
  for (size_t i = 0; i < name.size();) {
    uint32_t cp = NextCodePoint(name, &i);
    if (cp < 0x20 || cp == 0x7F || cp == '+' || IsUnicodeSpace(cp)) return false;
  }
  return true;
}

uint32_t Ed25519KeyId(std::string_view name, const PublicKey& public_key) {
  std::string buf(name);
  buf.push_back('\n');
  buf.push_back(char(kEd25519));
  buf.append(reinterpret_cast<const char*>(public_key.data()), public_key.size());
  Sha256 h = ComputeSha256(buf);
  return uint32_t(h[0]) << 24 | uint32_t(h[1]) << 16 | uint32_t(h[2]) << 8 | uint32_t(h[3]);
}

std::string FormatVerifierKey(const VerifierKey& key) {
  return key.name + "+" + KeyIdHex(key.key_id) + "+" + TypedKeyBase64(key.public_key.data());
}

Result<VerifierKey> ParseVerifierKey(std::string_view text) {
  if (text.size() > 2 * kMaxKeyNameBytes) return Status::LimitExceeded("verifier key too long");
  auto parts = SplitKey(text);
  if (!parts.ok()) return Status::InvalidArgument("verifier key: " + parts.status().message());
  VerifierKey key;
  Status st = DecodeTypedKey(parts->b64, &key.public_key);
  if (!st.ok())
    return st.code() == Status::Code::kUnsupported
               ? Status::Unsupported("verifier key: " + st.message())
               : Status::InvalidArgument("verifier key: " + st.message());
  key.name = std::string(parts->name);
  key.key_id = Ed25519KeyId(key.name, key.public_key);
  if (KeyIdHex(key.key_id) != parts->id_hex)
    return Status::InvalidArgument("verifier key: key id " + std::string(parts->id_hex) +
                                   " does not match the key (" + KeyIdHex(key.key_id) + ")");
  return key;
}

Result<SignerKey> SignerKey::FromSeed(std::string_view name, const KeySeed& seed) {
  if (!IsValidKeyName(name)) return Status::InvalidArgument("invalid key name");
  CUSTODIAN_RETURN_IF_ERROR(SodiumReady());
  SignerKey key;
  key.verifier_.name = std::string(name);
  if (crypto_sign_seed_keypair(key.verifier_.public_key.data(), key.secret_.data(), seed.data()) !=
      0)
    return Status::Internal("Ed25519 key derivation failed");
  key.verifier_.key_id = Ed25519KeyId(name, key.verifier_.public_key);
  return key;
}

Result<SignerKey> SignerKey::Generate(std::string_view name) {
  CUSTODIAN_RETURN_IF_ERROR(SodiumReady());
  KeySeed seed;
  randombytes_buf(seed.data(), seed.size());
  auto key = FromSeed(name, seed);
  sodium_memzero(seed.data(), seed.size());
  return key;
}

Result<SignerKey> SignerKey::Parse(std::string_view text) {
  if (text.size() > 2 * kMaxKeyNameBytes) return Status::LimitExceeded("signer key too long");
  if (!StartsWith(text, kPrivateKeyPrefix))
    return Status::InvalidArgument("signer key does not start with PRIVATE+KEY+");
  auto parts = SplitKey(text.substr(kPrivateKeyPrefix.size()));
  if (!parts.ok()) return Status::InvalidArgument("signer key: " + parts.status().message());
  KeySeed seed;
  Status st = DecodeTypedKey(parts->b64, &seed);
  if (!st.ok())
    return st.code() == Status::Code::kUnsupported
               ? Status::Unsupported("signer key: " + st.message())
               : Status::InvalidArgument("signer key: " + st.message());
  auto key = FromSeed(parts->name, seed);
  sodium_memzero(seed.data(), seed.size());
  if (!key.ok()) return key.status();
  if (KeyIdHex(key->verifier_.key_id) != parts->id_hex)
    return Status::InvalidArgument("signer key: key id " + std::string(parts->id_hex) +
                                   " does not match the key");
  return key;
}

SignerKey::~SignerKey() { sodium_memzero(secret_.data(), secret_.size()); }

std::string SignerKey::Format() const {
  return std::string(kPrivateKeyPrefix) + verifier_.name + "+" + KeyIdHex(verifier_.key_id) + "+" +
         TypedKeyBase64(secret_.data());  // libsodium's secret key starts with the seed
}

std::array<uint8_t, 64> SignerKey::Sign(std::string_view message) const {
  std::array<uint8_t, 64> sig;
  crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const unsigned char*>(message.data()),
                       message.size(), secret_.data());
  return sig;
}

// ---------------------------------------------------------------------------------------------
// Signed notes

Result<Note> ParseNote(std::string_view note) {
  if (note.size() > kMaxNoteBytes)
    return Status::LimitExceeded("note of " + Dec(note.size()) + " bytes (limit " +
                                 Dec(kMaxNoteBytes) + ")");
  CUSTODIAN_RETURN_IF_ERROR(CheckNoteCharacters(note, "note"));
  // The text ends at the last blank line; everything after it is signature lines.
  size_t split = note.rfind("\n\n");
  if (split == std::string_view::npos)
    return Status::InvalidArgument("note has no blank line before its signatures");
  Note out;
  out.text = std::string(note.substr(0, split + 1));
  std::string_view sigs = note.substr(split + 2);
  if (sigs.empty()) return Status::InvalidArgument("note has no signatures");
  if (sigs.back() != '\n') return Status::InvalidArgument("note does not end with a newline");
  size_t line_no = 0;
  while (!sigs.empty()) {
    size_t eol = sigs.find('\n');
    std::string_view line = sigs.substr(0, eol);
    sigs.remove_prefix(eol + 1);
    if (++line_no > kMaxNoteSignatures)
      return Status::LimitExceeded("note has more than " + Dec(kMaxNoteSignatures) + " signatures");
    std::string where = "signature line " + Dec(line_no);
    if (!StartsWith(line, kSignaturePrefix))
      return Status::InvalidArgument(where + " does not start with an em dash and a space");
    line.remove_prefix(kSignaturePrefix.size());
    size_t space = line.find(' ');
    if (space == std::string_view::npos)
      return Status::InvalidArgument(where + " has no space after the key name");
    std::string_view name = line.substr(0, space);
    if (!IsValidKeyName(name)) return Status::InvalidArgument(where + ": invalid key name");
    auto raw = Base64Decode(line.substr(space + 1));
    if (!raw.ok()) return Status::InvalidArgument(where + ": " + raw.status().message());
    if (raw->size() < 5)
      return Status::InvalidArgument(where + ": signature shorter than a key id and one byte");
    NoteSignature sig;
    sig.key_name = std::string(name);
    sig.key_id = uint32_t(uint8_t((*raw)[0])) << 24 | uint32_t(uint8_t((*raw)[1])) << 16 |
                 uint32_t(uint8_t((*raw)[2])) << 8 | uint32_t(uint8_t((*raw)[3]));
    sig.signature = raw->substr(4);
    out.signatures.push_back(std::move(sig));
  }
  return out;
}

std::string FormatNote(const Note& note) {
  std::string out = note.text + "\n";
  for (const NoteSignature& sig : note.signatures) {
    std::string raw;
    for (int shift = 24; shift >= 0; shift -= 8) raw.push_back(char(sig.key_id >> shift));
    raw += sig.signature;
    out.append(kSignaturePrefix);
    out += sig.key_name + " " + Base64Encode(raw) + "\n";
  }
  return out;
}

Status VerifyNote(const Note& note, const VerifierKey& key) {
  CUSTODIAN_RETURN_IF_ERROR(SodiumReady());
  const std::string id = key.name + "+" + KeyIdHex(key.key_id);
  size_t verified = 0;
  for (const NoteSignature& sig : note.signatures) {
    // signed-note: a signature from an unknown key (name or id differ) is ignored.
    if (sig.key_name != key.name || sig.key_id != key.key_id) continue;
    if (sig.signature.size() != crypto_sign_BYTES ||
        crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(sig.signature.data()),
                                    reinterpret_cast<const unsigned char*>(note.text.data()),
                                    note.text.size(), key.public_key.data()) != 0)
      return Status::Corruption("the signature by " + id + " does not verify");
    verified++;
  }
  if (verified == 0) return Status::NotFound("the note has no signature by " + id);
  return Status::Ok();
}

Result<std::string> SignNote(std::string_view text, const SignerKey& key) {
  CUSTODIAN_RETURN_IF_ERROR(CheckNoteCharacters(text, "note text"));
  if (text.empty() || text.back() != '\n')
    return Status::InvalidArgument("note text must end with a newline");
  auto sig = key.Sign(text);
  Note note{std::string(text), {}};
  note.signatures.push_back(
      {key.name(), key.verifier().key_id, std::string(sig.begin(), sig.end())});
  std::string out = FormatNote(note);
  if (out.size() > kMaxNoteBytes)
    return Status::LimitExceeded("signed note would be " + Dec(out.size()) + " bytes");
  return out;
}

// ---------------------------------------------------------------------------------------------
// Checkpoints

Result<std::string> FormatCheckpointText(const Checkpoint& cp) {
  if (cp.origin.empty() || cp.origin.find('\n') != std::string::npos)
    return Status::InvalidArgument("checkpoint origin must be one non-empty line");
  if (cp.extensions.size() > kMaxCheckpointExtensions)
    return Status::LimitExceeded("checkpoint has more than " + Dec(kMaxCheckpointExtensions) +
                                 " extension lines");
  std::string text = cp.origin + "\n" + Dec(cp.tree_size) + "\n" +
                     Base64Encode(std::string_view(
                         reinterpret_cast<const char*>(cp.root_hash.data()), cp.root_hash.size())) +
                     "\n" + std::string(kTimestampPrefix) + Dec(cp.timestamp_ms) + "\n";
  for (const std::string& ext : cp.extensions) {
    if (ext.empty() || ext.find('\n') != std::string::npos || StartsWith(ext, kTimestampPrefix))
      return Status::InvalidArgument(
          "checkpoint extension lines must be single non-empty lines, not timestamps");
    text += ext + "\n";
  }
  CUSTODIAN_RETURN_IF_ERROR(CheckNoteCharacters(text, "checkpoint"));
  if (text.size() > kMaxNoteBytes) return Status::LimitExceeded("checkpoint text too long");
  return text;
}

Result<Checkpoint> ParseCheckpointText(std::string_view text) {
  if (text.size() > kMaxNoteBytes) return Status::LimitExceeded("checkpoint text too long");
  CUSTODIAN_RETURN_IF_ERROR(CheckNoteCharacters(text, "checkpoint"));
  if (text.empty() || text.back() != '\n')
    return Status::InvalidArgument("checkpoint text must end with a newline");
  std::vector<std::string_view> lines;
  for (std::string_view rest = text; !rest.empty();) {
    size_t eol = rest.find('\n');
    if (eol == 0)
      return Status::InvalidArgument("checkpoint line " + Dec(lines.size() + 1) + " is empty");
    if (lines.size() == 4 + kMaxCheckpointExtensions)
      return Status::LimitExceeded("checkpoint has more than " + Dec(kMaxCheckpointExtensions) +
                                   " extension lines");
    lines.push_back(rest.substr(0, eol));
    rest.remove_prefix(eol + 1);
  }
  if (lines.size() < 4)
    return Status::InvalidArgument("checkpoint has " + Dec(lines.size()) +
                                   " lines; needs origin, tree size, root hash and timestamp");
  Checkpoint cp;
  cp.origin = std::string(lines[0]);
  auto size = ParseDecimal(lines[1]);
  if (!size.ok())
    return Status::InvalidArgument("checkpoint line 2 (tree size): " + size.status().message());
  cp.tree_size = *size;
  auto root = Base64Decode(lines[2]);
  if (!root.ok() || root->size() != cp.root_hash.size())
    return Status::InvalidArgument("checkpoint line 3 is not the base64 of a 32-byte root hash");
  std::memcpy(cp.root_hash.data(), root->data(), cp.root_hash.size());
  if (!StartsWith(lines[3], kTimestampPrefix))
    return Status::InvalidArgument("checkpoint line 4 is not \"timestamp <milliseconds>\"");
  auto ts = ParseDecimal(lines[3].substr(kTimestampPrefix.size()));
  if (!ts.ok())
    return Status::InvalidArgument("checkpoint line 4 (timestamp): " + ts.status().message());
  cp.timestamp_ms = *ts;
  for (size_t i = 4; i < lines.size(); i++) {
    if (StartsWith(lines[i], kTimestampPrefix))
      return Status::InvalidArgument("checkpoint has a second timestamp line");
    cp.extensions.emplace_back(lines[i]);
  }
  return cp;
}

Result<std::string> SignCheckpoint(const Checkpoint& checkpoint, const SignerKey& key) {
  if (checkpoint.origin != key.name())
    return Status::InvalidArgument("checkpoint origin \"" + checkpoint.origin +
                                   "\" is not the signing key's name \"" + key.name() + "\"");
  CUSTODIAN_ASSIGN_OR_RETURN(std::string text, FormatCheckpointText(checkpoint));
  return SignNote(text, key);
}

Result<Checkpoint> OpenCheckpoint(std::string_view note_bytes, const VerifierKey& key) {
  CUSTODIAN_ASSIGN_OR_RETURN(Note note, ParseNote(note_bytes));
  // signed-note: the text means nothing until a trusted signature over it has verified.
  CUSTODIAN_RETURN_IF_ERROR(VerifyNote(note, key));
  CUSTODIAN_ASSIGN_OR_RETURN(Checkpoint cp, ParseCheckpointText(note.text));
  if (cp.origin != key.name)
    return Status::Corruption("checkpoint origin \"" + cp.origin + "\" is not the key's name \"" +
                              key.name + "\"");
  return cp;
}

}  // namespace custodian::ledger
