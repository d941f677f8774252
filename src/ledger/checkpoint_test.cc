#include "ledger/checkpoint.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace custodian::ledger {
namespace {

using Code = Status::Code;
const std::string kDash = "\xE2\x80\x94 ";  // U+2014 and a space: how a signature line starts

// ---------------------------------------------------------------------------------------------
// golang.org/x/mod/sumdb/note's test keys and note (note_test.go), and the examples of the
// C2SP specifications (signed-note.md, tlog-checkpoint.md).

const char* const kPeterVkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const char* const kPeterSkey =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const char* const kEnochVkey = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
const std::string kGoText =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
const std::string kPeterSig =
    kDash +
    "PeterNeumann "
    "x08go/ZJkuBS9UG/"
    "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const std::string kEnochSig = kDash +
                              "EnochRoot "
                              "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/"
                              "5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

const std::string kSpecNote =
    "Ognuno sta solo sul cuor della terra\n"
    "trafitto da un raggio di sole:\n"
    "\n"
    "ed \xC3\xA8 subito sera.\n"
    "\n" +
    kDash +
    "quasimodo.example/salvatore "
    "NnugSzTjtVAewIS+Z/iJhUPeFDkO/"
    "5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n";

const std::string kSpecCheckpoint =
    "example.com/behind-the-sofa\n"
    "20852163\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    "\n" +
    kDash +
    "example.com/behind-the-sofa "
    "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/"
    "Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n";

VerifierKey MustVkey(const std::string& text) {
  auto k = ParseVerifierKey(text);
  EXPECT_TRUE(k.ok()) << k.status().ToString();
  return k.ok() ? *k : VerifierKey{};
}

SignerKey MustSigner(std::string_view text) {
  auto k = SignerKey::Parse(text);
  EXPECT_TRUE(k.ok()) << k.status().ToString();
  return *k;
}

SignerKey MustGenerate(std::string_view name) {
  auto k = SignerKey::Generate(name);
  EXPECT_TRUE(k.ok()) << k.status().ToString();
  return *k;
}

Status Open(const std::string& note, const VerifierKey& key) {
  auto parsed = ParseNote(note);
  if (!parsed.ok()) return parsed.status();
  return VerifyNote(*parsed, key);
}

TEST(NoteKeys, GoVerifierKey) {
  VerifierKey peter = MustVkey(kPeterVkey);
  EXPECT_EQ(peter.name, "PeterNeumann");
  EXPECT_EQ(peter.key_id, 0xc74f20a3u);
  EXPECT_EQ(Ed25519KeyId(peter.name, peter.public_key), 0xc74f20a3u);
  EXPECT_EQ(FormatVerifierKey(peter), kPeterVkey);
  EXPECT_EQ(MustVkey(kEnochVkey).key_id, 0xaf0cfe78u);

  // As TestNewVerifier: no part of the key, and no key with one byte changed, is accepted.
  const std::string vkey = kPeterVkey;
  for (size_t i = 0; i <= vkey.size(); i++) {
    for (size_t j = i + 1; j <= vkey.size(); j++) {
      if (i == 0 && j == vkey.size()) continue;
      EXPECT_FALSE(ParseVerifierKey(vkey.substr(i, j - i)).ok()) << vkey.substr(i, j - i);
    }
  }
  for (size_t i = 0; i < vkey.size(); i++) {
    std::string bad = vkey;
    bad[i]++;
    EXPECT_FALSE(ParseVerifierKey(bad).ok()) << bad;
  }
  // Wrong key length and unknown algorithm, each with a key id adjusted to match.
  EXPECT_FALSE(
      ParseVerifierKey("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==")
          .ok());
  EXPECT_EQ(ParseVerifierKey("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
                .status()
                .code(),
            Code::kUnsupported);
}

TEST(NoteKeys, GoSignerKey) {
  SignerKey peter = MustSigner(kPeterSkey);
  EXPECT_EQ(peter.name(), "PeterNeumann");
  EXPECT_EQ(FormatVerifierKey(peter.verifier()), kPeterVkey);
  EXPECT_EQ(peter.Format(), kPeterSkey);

  const std::string skey = kPeterSkey;
  for (size_t i = 0; i <= skey.size(); i++) {
    for (size_t j = i + 1; j <= skey.size(); j++) {
      if (i == 0 && j == skey.size()) continue;
      EXPECT_FALSE(SignerKey::Parse(skey.substr(i, j - i)).ok()) << skey.substr(i, j - i);
    }
  }
  for (size_t i = 0; i < skey.size(); i++) {
    std::string bad = skey;
    bad[i]++;
    EXPECT_FALSE(SignerKey::Parse(bad).ok()) << bad;
  }
}

TEST(NoteKeys, GeneratedKeysRoundTrip) {
  SignerKey key = MustGenerate("archive.example/ledger");
  auto again = SignerKey::Parse(key.Format());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->verifier().public_key, key.verifier().public_key);
  EXPECT_EQ(again->verifier().key_id, key.verifier().key_id);
  auto vkey = ParseVerifierKey(FormatVerifierKey(key.verifier()));
  ASSERT_TRUE(vkey.ok());
  EXPECT_EQ(vkey->public_key, key.verifier().public_key);
  // The key id is the signed-note formula, spelled out.
  std::string preimage =
      key.name() + "\n\x01" +
      std::string(key.verifier().public_key.begin(), key.verifier().public_key.end());
  Sha256 h = ComputeSha256(preimage);
  EXPECT_EQ(key.verifier().key_id,
            uint32_t(h[0]) << 24 | uint32_t(h[1]) << 16 | uint32_t(h[2]) << 8 | h[3]);
  EXPECT_NE(MustGenerate("archive.example/ledger").verifier().public_key,
            key.verifier().public_key);
}

TEST(NoteKeys, KeyNames) {
  for (const char* good : {"PeterNeumann", "example.com/log42",
                           "\xC3\xBCnic\xC3\xB6"
                           "de",
                           "a"})
    EXPECT_TRUE(IsValidKeyName(good)) << good;
  for (const char* bad : {"", "a+b", "a b", "a\tb", "a\nb",
                          "a\x7f"
                          "b",
                          "a\xC2\xA0"
                          "b",
                          "a\xE3\x80\x80"
                          "b",
                          "a\xE2\x80\x89"
                          "b",
                          "\xff"})
    EXPECT_FALSE(IsValidKeyName(bad)) << bad;
  EXPECT_TRUE(IsValidKeyName(std::string(kMaxKeyNameBytes, 'k')));
  EXPECT_FALSE(IsValidKeyName(std::string(kMaxKeyNameBytes + 1, 'k')));
  EXPECT_FALSE(SignerKey::Generate("bad name").ok());
}

TEST(Note, GoSignatureIsReproduced) {
  SignerKey peter = MustSigner(kPeterSkey);
  auto note = SignNote(kGoText, peter);
  ASSERT_TRUE(note.ok());
  EXPECT_EQ(*note, kGoText + "\n" + kPeterSig);  // Ed25519 is deterministic
  EXPECT_FALSE(SignNote("abc", peter).ok());     // no final newline
  EXPECT_FALSE(SignNote("a\rb\n", peter).ok());  // control character
}

TEST(Note, GoOpenCases) {
  VerifierKey peter = MustVkey(kPeterVkey), enoch = MustVkey(kEnochVkey);
  VerifierKey stranger = MustGenerate("Stranger").verifier();
  const std::string both = kGoText + "\n" + kPeterSig + kEnochSig;

  auto note = ParseNote(both);
  ASSERT_TRUE(note.ok());
  EXPECT_EQ(note->text, kGoText);
  ASSERT_EQ(note->signatures.size(), 2u);
  EXPECT_EQ(note->signatures[0].key_name, "PeterNeumann");
  EXPECT_EQ(note->signatures[0].key_id, 0xc74f20a3u);
  EXPECT_EQ(note->signatures[1].key_id, 0xaf0cfe78u);
  EXPECT_EQ(FormatNote(*note), both);

  EXPECT_TRUE(Open(both, peter).ok());  // Enoch's signature is unknown here and ignored
  EXPECT_TRUE(Open(both, enoch).ok());
  EXPECT_EQ(Open(both, stranger).code(), Code::kNotFound);

  std::string many = kGoText + "\n";
  for (int i = 0; i < 101; i++) many += kPeterSig;
  EXPECT_EQ(ParseNote(many).status().code(), Code::kLimitExceeded);

  // A known key's signature that does not verify rejects the note.
  const std::string abcd = kPeterSig.substr(0, 60) + "ABCD" + kPeterSig.substr(60);
  EXPECT_EQ(Open(kGoText + "\n" + abcd, peter).code(), Code::kCorruption);

  // Duplicated signatures, and an unknown one that would not verify.
  const std::string enoch_abcd = kEnochSig.substr(0, 60) + "ABCD" + kEnochSig.substr(60);
  EXPECT_TRUE(
      Open(kGoText + "\n" + kPeterSig + kPeterSig + kEnochSig + kEnochSig + enoch_abcd, peter)
          .ok());

  const std::vector<std::string> malformed = {
      kGoText,
      kGoText + "\n",
      kGoText + "\n" + kPeterSig.substr(0, kPeterSig.size() - 1),
      "\x01" + kGoText + "\n" + kPeterSig,
      "\xff" + kGoText + "\n" + kPeterSig,
      kGoText + "\n" + kDash +
          "Bad Name "
          "x08go/ZJkuBS9UG/"
          "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
      kGoText + "\n" + kPeterSig + "Unexpected line.\n",
  };
  for (const auto& m : malformed) EXPECT_FALSE(ParseNote(m).ok()) << m;

  // Another name, or another key id, is another key: ignored, so nothing verifies.
  std::string misnamed = kPeterSig;
  misnamed.replace(misnamed.find("PeterNeumann"), 12, "CarmenSandiego");
  EXPECT_EQ(Open(kGoText + "\n" + misnamed, peter).code(), Code::kNotFound);
  std::string wrong_id = kPeterSig;
  wrong_id.replace(wrong_id.find("x08g"), 4, "xxxx");
  EXPECT_EQ(Open(kGoText + "\n" + wrong_id, peter).code(), Code::kNotFound);
}

TEST(Note, SpecExamplesParse) {
  auto note = ParseNote(kSpecNote);
  ASSERT_TRUE(note.ok()) << note.status().ToString();
  // The text may contain blank lines; it ends at the last one.
  EXPECT_EQ(note->text,
            "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\n"
            "ed \xC3\xA8 subito sera.\n");
  ASSERT_EQ(note->signatures.size(), 1u);
  EXPECT_EQ(note->signatures[0].key_name, "quasimodo.example/salvatore");
  EXPECT_EQ(note->signatures[0].key_id, 0x367ba04bu);
  EXPECT_EQ(note->signatures[0].signature.size(), 64u);
  EXPECT_EQ(FormatNote(*note), kSpecNote);
  EXPECT_EQ(VerifyNote(*note, MustVkey(kPeterVkey)).code(), Code::kNotFound);

  auto cp_note = ParseNote(kSpecCheckpoint);
  ASSERT_TRUE(cp_note.ok());
  EXPECT_EQ(cp_note->signatures[0].key_name, "example.com/behind-the-sofa");
  // A plain tlog-checkpoint is not a Custodian checkpoint: ours always carry a timestamp.
  auto cp = ParseCheckpointText(cp_note->text);
  EXPECT_EQ(cp.status().code(), Code::kInvalidArgument);
  EXPECT_NE(cp.status().message().find("timestamp"), std::string::npos);
  auto with_time = ParseCheckpointText(cp_note->text + "timestamp 1700000000000\n");
  ASSERT_TRUE(with_time.ok()) << with_time.status().ToString();
  EXPECT_EQ(with_time->origin, "example.com/behind-the-sofa");
  EXPECT_EQ(with_time->tree_size, 20852163u);
  EXPECT_EQ(Base64Encode(std::string(with_time->root_hash.begin(), with_time->root_hash.end())),
            "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=");
}

// ---------------------------------------------------------------------------------------------
// Checkpoints

Checkpoint Example(const SignerKey& key) {
  Checkpoint cp;
  cp.origin = key.name();
  cp.tree_size = 8;
  cp.root_hash = *Sha256FromHex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328");
  cp.timestamp_ms = 1717243200123;
  return cp;
}

TEST(Checkpoint, SignOpenRoundTrip) {
  SignerKey key = MustGenerate("archive.example/ledger");
  Checkpoint cp = Example(key);
  auto note = SignCheckpoint(cp, key);
  ASSERT_TRUE(note.ok()) << note.status().ToString();
  const std::string text =
      "archive.example/ledger\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n"
      "timestamp 1717243200123\n";
  EXPECT_EQ(note->substr(0, text.size() + 1 + kDash.size()), text + "\n" + kDash);
  auto opened = OpenCheckpoint(*note, key.verifier());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*opened, cp);

  cp.extensions = {"custodian-format 1", "anything else"};
  cp.tree_size = 0;
  cp.root_hash = EmptyRoot();
  note = SignCheckpoint(cp, key);
  ASSERT_TRUE(note.ok());
  opened = OpenCheckpoint(*note, key.verifier());
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, cp);
}

// The example of docs/ledger-format.md, "Checkpoints" and "Keys".
TEST(Checkpoint, DocumentedExample) {
  const std::string skey =
      "PRIVATE+KEY+archive.example.com/"
      "custodian+d52d024f+AV5FEEIHwNNPTBKqRfRBNskac9VS8tdodVKzlMwPjR25";
  const std::string vkey =
      "archive.example.com/custodian+d52d024f+Ad/jMWjR1Xya7FAcb/zA9PaYJkI+Q66R7nTwvYF2bKm4";
  const std::string note =
      "archive.example.com/custodian\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n"
      "timestamp 1717243200123\n\n" +
      kDash +
      "archive.example.com/custodian "
      "1S0CT4idIeyqnhuPlcrBZt2XvTYTKw+cf2hFgBmzZ04EGHwmi5ziQBAndqM/"
      "HfbnLttECy4Itunv1ztH1x0Xj+25KgY=\n";
  SignerKey key = MustSigner(skey);
  EXPECT_EQ(FormatVerifierKey(key.verifier()), vkey);
  auto cp = OpenCheckpoint(note, MustVkey(vkey));
  ASSERT_TRUE(cp.ok()) << cp.status().ToString();
  EXPECT_EQ(cp->tree_size, 8u);
  EXPECT_EQ(ToHex(cp->root_hash),
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328");
  EXPECT_EQ(cp->timestamp_ms, 1717243200123u);
  EXPECT_TRUE(cp->extensions.empty());
  EXPECT_EQ(*SignCheckpoint(*cp, key), note);
}

TEST(Checkpoint, WrongKeys) {
  SignerKey key = MustGenerate("archive.example/ledger");
  auto note = SignCheckpoint(Example(key), key);
  ASSERT_TRUE(note.ok());
  // Another key under the same name has another key id: its signature is simply absent.
  EXPECT_EQ(
      OpenCheckpoint(*note, MustGenerate("archive.example/ledger").verifier()).status().code(),
      Code::kNotFound);
  EXPECT_EQ(OpenCheckpoint(*note, MustGenerate("other.example/ledger").verifier()).status().code(),
            Code::kNotFound);
  // Same name and key id but another public key: the signature is checked and fails.
  VerifierKey impostor = key.verifier();
  impostor.public_key = MustGenerate("x").verifier().public_key;
  EXPECT_EQ(OpenCheckpoint(*note, impostor).status().code(), Code::kCorruption);
}

TEST(Checkpoint, EveryByteIsProtected) {
  SignerKey key = MustGenerate("archive.example/ledger");
  Checkpoint cp = Example(key);
  cp.extensions = {"ext"};
  auto note = SignCheckpoint(cp, key);
  ASSERT_TRUE(note.ok());
  for (size_t i = 0; i < note->size(); i++) {
    for (uint8_t x : {0x01, 0x02, 0x20, 0x80}) {
      std::string bad = *note;
      bad[i] = char(uint8_t(bad[i]) ^ x);
      EXPECT_FALSE(OpenCheckpoint(bad, key.verifier()).ok()) << "byte " << i << " ^ " << int(x);
    }
    std::string cut = *note;
    cut.erase(i, 1);
    EXPECT_FALSE(OpenCheckpoint(cut, key.verifier()).ok()) << "without byte " << i;
  }
}

TEST(Checkpoint, UnknownSignaturesAreIgnored) {
  SignerKey key = MustGenerate("archive.example/ledger");
  SignerKey witness = MustGenerate("witness.example/w1");
  auto note = SignCheckpoint(Example(key), key);
  ASSERT_TRUE(note.ok());
  auto parsed = ParseNote(*note);
  ASSERT_TRUE(parsed.ok());
  auto w = witness.Sign(parsed->text);
  NoteSignature extra{witness.name(), witness.verifier().key_id, std::string(w.begin(), w.end())};
  NoteSignature garbage{"archive.example/ledger", key.verifier().key_id ^ 1, std::string(64, 'x')};
  NoteSignature same_id{"someone.else", key.verifier().key_id, std::string(64, 'y')};
  for (const auto& sigs : std::vector<std::vector<NoteSignature>>{
           {parsed->signatures[0], extra},
           {extra, garbage, parsed->signatures[0], same_id},
           {same_id, parsed->signatures[0], parsed->signatures[0]}}) {
    Note n{parsed->text, sigs};
    auto opened = OpenCheckpoint(FormatNote(n), key.verifier());
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
  }
  // A cosigner finds its own signature beside the log's.
  Note cosigned{parsed->text, {parsed->signatures[0], extra}};
  EXPECT_TRUE(VerifyNote(cosigned, witness.verifier()).ok());
  // One good and one bad signature by the same key: rejected.
  Note n{parsed->text,
         {parsed->signatures[0], {key.name(), key.verifier().key_id, std::string(64, 'z')}}};
  EXPECT_EQ(OpenCheckpoint(FormatNote(n), key.verifier()).status().code(), Code::kCorruption);
  // Only unknown signatures: nothing vouches for the text.
  Note only_extra{parsed->text, {extra}};
  EXPECT_EQ(OpenCheckpoint(FormatNote(only_extra), key.verifier()).status().code(),
            Code::kNotFound);
}

TEST(Checkpoint, OriginMustBeTheKeyName) {
  SignerKey key = MustGenerate("archive.example/ledger");
  Checkpoint cp = Example(key);
  cp.origin = "elsewhere.example/log";
  EXPECT_EQ(SignCheckpoint(cp, key).status().code(), Code::kInvalidArgument);
  auto text = FormatCheckpointText(cp);
  ASSERT_TRUE(text.ok());
  auto note = SignNote(*text, key);  // signed by our key, but for another log
  ASSERT_TRUE(note.ok());
  EXPECT_EQ(OpenCheckpoint(*note, key.verifier()).status().code(), Code::kCorruption);
}

TEST(Checkpoint, MalformedNotes) {
  SignerKey key = MustGenerate("archive.example/ledger");
  auto note = SignCheckpoint(Example(key), key);
  ASSERT_TRUE(note.ok());
  const std::string good = *note;
  const size_t split = good.rfind("\n\n");
  const std::string text = good.substr(0, split + 1), sig_line = good.substr(split + 2);
  const std::string b64 = sig_line.substr(sig_line.rfind(' ') + 1, std::string::npos);

  struct Case {
    std::string note;
    const char* why;
  };
  std::vector<Case> cases = {
      {"", "empty"},
      {text, "no blank line"},
      {text + "\n", "no signatures"},
      {good.substr(0, good.size() - 1), "no final newline"},
      {good + "\n", "blank line at the end"},
      {text + "\n" + "-- " + sig_line.substr(kDash.size()), "ASCII dashes"},
      {text + "\n" + "\xE2\x80\x94" + sig_line.substr(kDash.size()), "no space after the dash"},
      {text + "\n" + kDash + "archive.example/ledger  " + b64, "two spaces"},
      {text + "\n" + kDash + "archive.example/ledger" + b64, "no space before the signature"},
      {text + "\n" + kDash + "a+b " + b64, "plus in the key name"},
      {text + "\n" + kDash +
           "a\xC2\xA0"
           "b " +
           b64,
       "no-break space in the key name"},
      {text + "\n" + kDash + "archive.example/ledger " + b64.substr(0, b64.size() - 2) + "\n",
       "base64 cut short"},
      {text + "\n" + kDash + "archive.example/ledger AAAAAA==\n", "signature without bytes"},
      {text + "\n" + kDash + "archive.example/ledger \n", "empty signature"},
      {text + "\n" + kDash + "archive.example/ledger Zh==\n", "non-canonical base64"},
      {"\r" + good, "carriage return"},
      {text.substr(0, 5) + "\x80" + text.substr(5) + "\n" + sig_line, "invalid UTF-8"},
      {text.substr(0, 5) + "\xC0\xAF" + text.substr(5) + "\n" + sig_line, "overlong UTF-8"},
      {text.substr(0, 5) + std::string(1, '\0') + text.substr(5) + "\n" + sig_line, "NUL"},
  };
  for (const auto& c : cases) {
    EXPECT_FALSE(ParseNote(c.note).ok()) << c.why;
    EXPECT_FALSE(OpenCheckpoint(c.note, key.verifier()).ok()) << c.why;
  }
  for (int c = 0; c < 0x20; c++) {  // every ASCII control character but newline
    if (c == '\n') continue;
    std::string bad = good;
    bad.insert(3, 1, char(c));
    EXPECT_EQ(ParseNote(bad).status().code(), Code::kInvalidArgument) << c;
  }
  // A blank line between signatures moves the split: the first signature line becomes text, which
  // the remaining signature then does not cover.
  std::string moved = text + "\n" + sig_line + "\n" + sig_line;
  ASSERT_TRUE(ParseNote(moved).ok());
  EXPECT_EQ(ParseNote(moved)->text, text + "\n" + sig_line);
  EXPECT_EQ(OpenCheckpoint(moved, key.verifier()).status().code(), Code::kCorruption);
  // "— archive.example/ledger Zh==": the canonical spelling of that byte is "Zg==".
  EXPECT_TRUE(Base64Decode("Zg==").ok());
}

TEST(Checkpoint, Limits) {
  SignerKey key = MustGenerate("archive.example/ledger");
  auto note = SignCheckpoint(Example(key), key);
  ASSERT_TRUE(note.ok());
  auto parsed = ParseNote(*note);
  ASSERT_TRUE(parsed.ok());

  // signed-note: accept at least 16 signatures, of post-quantum size (about 5 kB) too.
  Note big{parsed->text, {}};
  for (int i = 0; i < 15; i++)
    big.signatures.push_back(
        {"pq.example/w" + std::to_string(i), uint32_t(i), std::string(4627, 'q')});
  big.signatures.push_back(parsed->signatures[0]);
  EXPECT_GT(FormatNote(big).size(), 15u * 6000);
  EXPECT_TRUE(OpenCheckpoint(FormatNote(big), key.verifier()).ok());

  Note many{parsed->text, {}};
  for (size_t i = 0; i + 1 < kMaxNoteSignatures; i++)
    many.signatures.push_back({"w.example/" + std::to_string(i), uint32_t(i), "sig"});
  many.signatures.push_back(parsed->signatures[0]);
  EXPECT_TRUE(OpenCheckpoint(FormatNote(many), key.verifier()).ok());
  many.signatures.push_back(parsed->signatures[0]);
  EXPECT_EQ(OpenCheckpoint(FormatNote(many), key.verifier()).status().code(), Code::kLimitExceeded);

  std::string huge = parsed->text + std::string(kMaxNoteBytes, 'a') + "\n\n" +
                     FormatNote(*parsed).substr(parsed->text.size() + 1);
  EXPECT_EQ(ParseNote(huge).status().code(), Code::kLimitExceeded);

  Checkpoint cp = Example(key);
  cp.extensions.assign(kMaxCheckpointExtensions, "e");
  auto text = FormatCheckpointText(cp);
  ASSERT_TRUE(text.ok());
  EXPECT_TRUE(ParseCheckpointText(*text).ok());
  EXPECT_EQ(ParseCheckpointText(*text + "e\n").status().code(), Code::kLimitExceeded);
  cp.extensions.push_back("e");
  EXPECT_EQ(FormatCheckpointText(cp).status().code(), Code::kLimitExceeded);
}

TEST(Checkpoint, StrictText) {
  const std::string root = "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=";
  auto parse = [](const std::string& s) { return ParseCheckpointText(s); };
  auto ok = parse("log\n8\n" + root + "\ntimestamp 5\n");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->timestamp_ms, 5u);
  EXPECT_TRUE(parse("log\n0\n" + root + "\ntimestamp 0\n").ok());
  auto max = parse("log\n18446744073709551615\n" + root + "\ntimestamp 18446744073709551615\n");
  ASSERT_TRUE(max.ok());
  EXPECT_EQ(max->tree_size, UINT64_MAX);

  for (const std::string& bad : std::vector<std::string>{
           "log\n8\n" + root + "\n",                                  // no timestamp
           "log\n8\n" + root + "\ntimestamp 5",                       // no final newline
           "\n8\n" + root + "\ntimestamp 5\n",                        // empty origin
           "log\n08\n" + root + "\ntimestamp 5\n",                    // leading zero
           "log\n+8\n" + root + "\ntimestamp 5\n",                    // sign
           "log\n 8\n" + root + "\ntimestamp 5\n",                    // space
           "log\n0x8\n" + root + "\ntimestamp 5\n",                   // hex
           "log\n18446744073709551616\n" + root + "\ntimestamp 5\n",  // 2^64
           "log\n8\n" + root.substr(4) + "\ntimestamp 5\n",           // short root
           "log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyh=\ntimestamp 5\n",  // stray bits
           "log\n8\n" + ToHex(ComputeSha256("x")) + "\ntimestamp 5\n",             // hex root
           "log\n8\n" + root + "\ntimestamp 05\n",
           "log\n8\n" + root + "\ntimestamp \n",
           "log\n8\n" + root + "\ntimestamp -5\n",
           "log\n8\n" + root + "\nTimestamp 5\n",
           "log\n8\n" + root + "\ntimestamp  5\n",
           "log\n8\n" + root + "\ntimestamp 5\n\n",             // empty extension line
           "log\n8\n" + root + "\ntimestamp 5\ntimestamp 6\n",  // two timestamps
           "log\n8\n" + root + "\ntimestamp 5\nok\n\nlater\n",
       }) {
    EXPECT_FALSE(parse(bad).ok()) << bad;
  }
  Checkpoint cp;
  cp.origin = "log";
  cp.extensions = {""};
  EXPECT_FALSE(FormatCheckpointText(cp).ok());
  cp.extensions = {"two\nlines"};
  EXPECT_FALSE(FormatCheckpointText(cp).ok());
  cp.extensions = {};
  cp.origin = "";
  EXPECT_FALSE(FormatCheckpointText(cp).ok());
  cp.origin = "a\tb";
  EXPECT_FALSE(FormatCheckpointText(cp).ok());
}

TEST(Checkpoint, TextRoundTrips) {
  Checkpoint cp;
  cp.origin = "archive.example/ledger \xE2\x80\x94 unicode ok";
  cp.tree_size = 123456789;
  cp.root_hash = ComputeSha256("root");
  cp.timestamp_ms = 1;
  cp.extensions = {"a", "b c"};
  auto text = FormatCheckpointText(cp);
  ASSERT_TRUE(text.ok());
  auto back = ParseCheckpointText(*text);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, cp);
  EXPECT_EQ(*FormatCheckpointText(*back), *text);
}

TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (auto [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    auto d = Base64Decode(encoded);
    ASSERT_TRUE(d.ok()) << encoded;
    EXPECT_EQ(*d, plain);
  }
  for (const char* bad : {"Zg=", "Zh==", "Zm9", "Zg", "Z===", "Zm9vYg", "Zm9v\n", "Zm 9v",
                          "Zm9v====", "=Zm9", "Zm-v", "Zm_v", "Zm8=Zm8="})
    EXPECT_FALSE(Base64Decode(bad).ok()) << bad;
}

}  // namespace
}  // namespace custodian::ledger
