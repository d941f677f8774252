#include "dkim/dkim.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>

#include "dkim/key_record.h"
#include "dkim/message.h"
#include "dkim/signature.h"
#include "dkim/tag_list.h"
#include "util/test_corpora.h"
#include "util/text.h"

namespace custodian::dkim {
namespace {

namespace fs = std::filesystem;
using custodian::testing::CorpusDir;
using custodian::testing::ReadFile;

std::string Testdata(const char* name) {
  return ReadFile(fs::path(CUSTODIAN_DKIM_TESTDATA) / name);
}

std::string ToCrlf(std::string_view lf) {
  std::string out;
  for (char c : lf) {
    if (c == '\n') out.push_back('\r');
    out.push_back(c);
  }
  return out;
}

std::string ToLf(std::string_view crlf) {
  std::string out;
  for (size_t i = 0; i < crlf.size(); i++) {
    if (crlf[i] == '\r' && i + 1 < crlf.size() && crlf[i + 1] == '\n') continue;
    out.push_back(crlf[i]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// A signer for tests, built on OpenSSL and the canonicalization under test: it proves the
// round trip and that tampering is caught; the corpora below check canonicalization itself
// against other implementations.

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

struct TestKey {
  Pkey pkey;
  std::string record;  // the TXT record publishing the public key
};

TestKey GenerateRsa(int bits) {
  TestKey key;
  key.pkey.reset(EVP_RSA_gen(unsigned(bits)));
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(key.pkey.get(), &der);
  key.record = "v=DKIM1; k=rsa; p=" + EncodeBase64(std::string_view((char*)der, size_t(len)));
  OPENSSL_free(der);
  return key;
}

TestKey GenerateEd25519() {
  TestKey key;
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr);
  EVP_PKEY* pkey = nullptr;
  EVP_PKEY_keygen_init(ctx);
  EVP_PKEY_keygen(ctx, &pkey);
  EVP_PKEY_CTX_free(ctx);
  key.pkey.reset(pkey);
  unsigned char raw[32];
  size_t len = sizeof raw;
  EVP_PKEY_get_raw_public_key(pkey, raw, &len);
  key.record = "v=DKIM1; k=ed25519; p=" + EncodeBase64(std::string_view((char*)raw, len));
  return key;
}

struct SignSpec {
  std::string a = "rsa-sha256";
  std::string c = "relaxed/relaxed";
  std::string d = "example.org";
  std::string s = "sel";
  std::vector<std::string> h = {"From", "To", "Subject", "Date", "Message-ID", "MIME-Version"};
  std::optional<uint64_t> l;
  std::string extra;  // more tags, each ending in "; "
};

Canonicalization CanonOf(std::string_view name) {
  return name == "relaxed" ? Canonicalization::kRelaxed : Canonicalization::kSimple;
}

Algorithm AlgorithmOf(std::string_view a) {
  return a == "rsa-sha1"         ? Algorithm::kRsaSha1
         : a == "ed25519-sha256" ? Algorithm::kEd25519Sha256
                                 : Algorithm::kRsaSha256;
}

// The base64 signature of `data` (canonical header fields) under `alg`.
std::string SignData(Algorithm alg, EVP_PKEY* key, const std::string& data) {
  std::string to_sign = alg == Algorithm::kEd25519Sha256 ? Digest(alg, data) : data;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const EVP_MD* md = alg == Algorithm::kEd25519Sha256 ? nullptr
                     : alg == Algorithm::kRsaSha1     ? EVP_sha1()
                                                      : EVP_sha256();
  EXPECT_EQ(EVP_DigestSignInit(ctx, nullptr, md, nullptr, key), 1);
  size_t len = 0;
  EVP_DigestSign(ctx, nullptr, &len, (const unsigned char*)to_sign.data(), to_sign.size());
  std::string sig(len, '\0');
  EXPECT_EQ(EVP_DigestSign(ctx, (unsigned char*)sig.data(), &len,
                           (const unsigned char*)to_sign.data(), to_sign.size()),
            1);
  sig.resize(len);
  EVP_MD_CTX_free(ctx);
  return EncodeBase64(sig);
}

// Header fields named in `names`, chosen bottom-up, canonicalized.
std::string SelectHeaders(const ParsedMessage& m, const std::vector<std::string>& names,
                          Canonicalization c) {
  std::string data;
  std::map<std::string, size_t> used;
  for (const auto& name : names) {
    std::string lower;
    for (char ch : name) lower.push_back(char(std::tolower(ch)));
    auto it = m.by_name.find(lower);
    size_t k = used[lower]++;
    if (it == m.by_name.end() || k >= it->second.size()) continue;
    CanonicalizeHeader(m.headers[it->second[it->second.size() - 1 - k]].raw, c, &data);
  }
  return data;
}

// Appends the canonical `field` as the last, CRLF-less piece of a signed header hash.
void AppendSignatureField(const std::string& field, Canonicalization c, std::string* data) {
  CanonicalizeHeader(field, c, data);
  data->resize(data->size() - 2);
}

// Returns the message with a new signature field on top. `name` is DKIM-Signature or
// ARC-Message-Signature; `first_tags` is "v=1" or "i=N".
std::string SignAs(std::string_view message, EVP_PKEY* key, const SignSpec& spec,
                   const std::string& name, const std::string& first_tags) {
  auto parsed = ParseMessage(message);
  EXPECT_TRUE(parsed.ok());
  size_t slash = spec.c.find('/');
  Canonicalization hc = CanonOf(spec.c.substr(0, slash));
  Canonicalization bc =
      slash == std::string::npos ? Canonicalization::kSimple : CanonOf(spec.c.substr(slash + 1));
  Algorithm alg = AlgorithmOf(spec.a);
  std::string body = CanonicalBody(parsed->body, bc);
  if (spec.l) body.resize(std::min<size_t>(body.size(), *spec.l));
  std::string h;
  for (const auto& n : spec.h) h += (h.empty() ? "" : ":") + n;
  std::string value = " " + first_tags + "; a=" + spec.a + "; c=" + spec.c + "; d=" + spec.d +
                      "; s=" + spec.s + "; " + spec.extra + "h=" + h +
                      (spec.l ? "; l=" + std::to_string(*spec.l) : std::string()) +
                      ";\r\n\tbh=" + EncodeBase64(Digest(alg, body)) + "; b=";
  std::string data = SelectHeaders(*parsed, spec.h, hc);
  AppendSignatureField(name + ":" + value, hc, &data);
  return name + ":" + value + SignData(alg, key, data) + "\r\n" + std::string(message);
}

std::string SignMessage(std::string_view message, EVP_PKEY* key, const SignSpec& spec) {
  return SignAs(message, key, spec, "DKIM-Signature", "v=1");
}

// Adds ARC set `n` (1 = first) on top of `message`: authentication results, a message signature
// per `spec`, and a seal with `cv` over every set so far (RFC 8617 §5.1).
std::string AddArcSet(const std::string& message, int n, EVP_PKEY* key, const SignSpec& spec,
                      const std::string& cv) {
  std::string i = "i=" + std::to_string(n);
  std::string with_results = "ARC-Authentication-Results: " + i + "; relay" + std::to_string(n) +
                             ".example.org;\r\n\tdkim=pass header.d=example.org\r\n" + message;
  std::string with_ams = SignAs(with_results, key, spec, "ARC-Message-Signature", i);
  auto parsed = ParseMessage(with_ams);
  // The sets so far, oldest first, as the seal covers them.
  std::string data;
  for (int k = 1; k <= n; k++) {
    std::string prefix = "i=" + std::to_string(k) + ";";
    for (const char* field : {"arc-authentication-results", "arc-message-signature", "arc-seal"}) {
      for (size_t idx : parsed->by_name[field]) {
        std::string value(TrimAscii(parsed->headers[idx].value));
        if (value.rfind(prefix, 0) == 0) {
          CanonicalizeHeader(parsed->headers[idx].raw, Canonicalization::kRelaxed, &data);
        }
      }
    }
  }
  std::string seal = "ARC-Seal: " + i + "; a=" + spec.a + "; cv=" + cv + "; d=" + spec.d +
                     "; s=" + spec.s + "; t=1715678000;\r\n\tb=";
  AppendSignatureField(seal, Canonicalization::kRelaxed, &data);
  return seal + SignData(AlgorithmOf(spec.a), key, data) + "\r\n" + with_ams;
}

constexpr int64_t kMay2024 = 1715678000;  // shortly after plain.eml was written

VerifyOptions At(int64_t now) {
  VerifyOptions o;
  o.now = now;
  return o;
}

// One RSA and one Ed25519 key for the whole test binary: RSA generation is slow.
struct Keys {
  TestKey rsa = GenerateRsa(2048);
  TestKey ed = GenerateEd25519();
  MemoryKeySource source{true};
  Keys() {
    source.AddRecord("rsa._domainkey.example.org", rsa.record);
    source.AddRecord("ed._domainkey.example.org", ed.record);
  }
};
Keys& SharedKeys() {
  static Keys* keys = new Keys();
  return *keys;
}

std::string PlainMessage() { return ToCrlf(Testdata("plain.eml")); }

SignSpec RsaSpec(std::string c = "relaxed/relaxed") {
  SignSpec spec;
  spec.s = "rsa";
  spec.c = std::move(c);
  return spec;
}

SignSpec EdSpec(std::string c = "relaxed/relaxed") {
  SignSpec spec;
  spec.a = "ed25519-sha256";
  spec.s = "ed";
  spec.c = std::move(c);
  return spec;
}

// ---------------------------------------------------------------------------------------------
// Parsers.

TEST(TagList, ParsesWithFoldingAndTrailingSemicolon) {
  auto tags = TagList::Parse(" v=1; a = rsa-sha256 ;\r\n\tb=ab\r\n cd ; ");
  ASSERT_TRUE(tags.ok()) << tags.status().ToString();
  ASSERT_EQ(tags->tags().size(), 3u);
  EXPECT_EQ(tags->Find("a")->value, "rsa-sha256");
  EXPECT_EQ(tags->Find("b")->value, "ab\r\n cd");
  EXPECT_EQ(tags->Find("c"), nullptr);
}

TEST(TagList, RejectsMalformedInput) {
  for (const char* bad : {"", "  ", "a=1;;b=2", "a=1; a=2", "1a=x", "a", "a=1; b", "=x", "a=b\x01",
                          "a=caf\xc3\xa9", "a=1; ==; b=2"}) {
    auto tags = TagList::Parse(bad);
    EXPECT_FALSE(tags.ok()) << "accepted: " << bad;
  }
  EXPECT_TRUE(TagList::Parse("a=").ok());  // an empty value is allowed
  std::string many;
  for (int i = 0; i < 65; i++) many += "t" + std::to_string(i) + "=1;";
  EXPECT_EQ(TagList::Parse(many).status().code(), Status::Code::kLimitExceeded);
  EXPECT_EQ(TagList::Parse("a=" + std::string(20000, 'x')).status().code(),
            Status::Code::kLimitExceeded);
}

TEST(TagList, Base64AndQuotedPrintable) {
  EXPECT_EQ(*DecodeBase64("aGVs\r\n bG8="), "hello");
  EXPECT_EQ(*DecodeBase64("aGVsbG8"), "hello");
  EXPECT_FALSE(DecodeBase64("aGVs*G8="));
  EXPECT_FALSE(DecodeBase64("aGVsbG8=x"));
  EXPECT_FALSE(DecodeBase64("a"));
  EXPECT_EQ(EncodeBase64("hello"), "aGVsbG8=");
  EXPECT_EQ(*DecodeDkimQuotedPrintable("=6Along@messiah=2Eedu"), "jlong@messiah.edu");
  EXPECT_FALSE(DecodeDkimQuotedPrintable("a=4"));
  EXPECT_FALSE(DecodeDkimQuotedPrintable("a=ZZ"));
}

TEST(Message, SplitsHeaderFieldsWithCrlfOrLf) {
  for (std::string raw : {std::string("A: 1\r\nB :two\r\n\tthree\r\nA: 4\r\n\r\nbody\r\n"),
                          std::string("A: 1\nB :two\n\tthree\nA: 4\n\nbody\n")}) {
    auto m = ParseMessage(raw);
    ASSERT_TRUE(m.ok());
    ASSERT_EQ(m->headers.size(), 3u);
    EXPECT_EQ(m->headers[1].name, "B");
    EXPECT_EQ(m->by_name["a"], (std::vector<size_t>{0, 2}));
    EXPECT_EQ(ToLf(std::string(m->body)), "body\n");
  }
  auto no_body = ParseMessage("Subject: x");
  ASSERT_TRUE(no_body.ok());
  EXPECT_EQ(no_body->headers.size(), 1u);
  EXPECT_TRUE(no_body->body.empty());
  std::string huge;
  for (size_t i = 0; i <= kMaxHeaderFields; i++) huge += "X: y\n";
  EXPECT_EQ(ParseMessage(huge).status().code(), Status::Code::kLimitExceeded);
}

// RFC 6376 §3.4.6, the worked example.
TEST(Canonicalization, Rfc6376Example) {
  std::string relaxed, simple;
  for (std::string_view field : {"A: X", "B : Y\t\r\n\tZ  "}) {
    CanonicalizeHeader(field, Canonicalization::kRelaxed, &relaxed);
    CanonicalizeHeader(field, Canonicalization::kSimple, &simple);
  }
  EXPECT_EQ(relaxed, "a:X\r\nb:Y Z\r\n");
  EXPECT_EQ(simple, "A: X\r\nB : Y\t\r\n\tZ  \r\n");
  std::string body = " C \r\nD \t E\r\n\r\n\r\n";
  EXPECT_EQ(CanonicalBody(body, Canonicalization::kRelaxed), " C\r\nD E\r\n");
  EXPECT_EQ(CanonicalBody(body, Canonicalization::kSimple), " C \r\nD \t E\r\n");
  EXPECT_EQ(CanonicalBody(ToLf(body), Canonicalization::kSimple), " C \r\nD \t E\r\n");
}

TEST(Canonicalization, EmptyAndUnterminatedBodies) {
  EXPECT_EQ(CanonicalBody("", Canonicalization::kSimple), "\r\n");
  EXPECT_EQ(CanonicalBody("", Canonicalization::kRelaxed), "");
  EXPECT_EQ(CanonicalBody("\r\n\r\n", Canonicalization::kSimple), "\r\n");
  EXPECT_EQ(CanonicalBody(" \r\n\t\r\n", Canonicalization::kRelaxed), "");
  EXPECT_EQ(CanonicalBody("end", Canonicalization::kSimple), "end\r\n");
  EXPECT_EQ(CanonicalBody("a\n\nb  \n", Canonicalization::kRelaxed), "a\r\n\r\nb\r\n");
}

TEST(Signature, ParsesDkimTags) {
  ParsedSignature sig;
  Status st = ParseSignature(
      " v=1; a=rsa-sha256; c=relaxed; d=Example.ORG; s=s1; i==6Aoe@mail.example.org;"
      " h=from : to::subject; l=12; t=100; x=200; q=dns/txt; bh=aGVsbG8=; b=aGVs bG8=",
      SignatureKind::kDkim, &sig);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(sig.domain, "example.org");
  EXPECT_EQ(sig.auid, "joe@mail.example.org");
  EXPECT_EQ(sig.header_canon, Canonicalization::kRelaxed);
  EXPECT_EQ(sig.body_canon, Canonicalization::kSimple);
  EXPECT_EQ(sig.signed_headers, (std::vector<std::string>{"from", "to", "subject"}));
  EXPECT_EQ(*sig.body_length, 12u);
  EXPECT_EQ(sig.signature, "hello");
}

TEST(Signature, RejectsWhatRfc6376Forbids) {
  const std::string ok = "a=rsa-sha256; d=example.org; s=s1; h=from; bh=aGVsbG8=; b=aGVsbG8=";
  struct Case {
    std::string value;
    std::string reason;
  } cases[] = {
      {ok, "missing required tag v="},
      {"v=2; " + ok, "unsupported version"},
      {"v=1; a=rsa-md5; d=example.org; s=s1; h=from; bh=aGVsbG8=; b=aGVsbG8=",
       "unsupported algorithm"},
      {"v=1; " + ok + "; c=fancy", "unknown canonicalization"},
      {"v=1; a=rsa-sha256; d=example.org; s=s1; h=to; bh=aGVsbG8=; b=aGVsbG8=",
       "does not include From"},
      {"v=1; " + ok + "; i=joe@example.com", "is not d=example.org"},
      {"v=1; " + ok + "; i=joe@badexample.org", "is not d=example.org"},
      {"v=1; " + ok + "; q=http", "query method"},
      {"v=1; " + ok + "; t=200; x=100", "not later than t="},
      {"v=1; " + ok + "; l=-1", "l= is not a number"},
      {"v=1; a=rsa-sha256; d=exa mple..org; s=s1; h=from; bh=aGVsbG8=; b=aGVsbG8=",
       "d= is not a valid domain"},
      {"v=1; " + ok + "; b=", "duplicate tag"},
  };
  for (const auto& c : cases) {
    ParsedSignature sig;
    Status st = ParseSignature(c.value, SignatureKind::kDkim, &sig);
    EXPECT_FALSE(st.ok()) << c.value;
    EXPECT_NE(st.message().find(c.reason), std::string::npos) << st.message();
  }
}

TEST(KeyRecord, ParsesAndRejects) {
  auto key = ParseKeyRecord(
      "v=DKIM1; k=ed25519; h=sha256; s=email; t=y:s; p=11qYAYKxCrfVS/7Ty"
      "WQHOg7hcvPapiMlrwIaaPcHURo=");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->key_type, "ed25519");
  EXPECT_TRUE(key->testing);
  EXPECT_TRUE(key->strict);
  auto loaded = PublicKey::Load(*key);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->type(), "ed25519");
  EXPECT_EQ(loaded->fingerprint().substr(0, 7), "sha256:");

  EXPECT_TRUE(ParseKeyRecord("p=").ok());  // revoked, but well-formed
  for (const char* bad : {"v=DKIM2; p=", "k=rsa; v=DKIM1; p=", "k=dsa; p=", "k=rsa; t; p=",
                          "v=DKIM1; k=rsa", "p=***", ""}) {
    EXPECT_FALSE(ParseKeyRecord(bad).ok()) << bad;
  }
  auto not_a_key = ParseKeyRecord("k=rsa; p=aGVsbG8=");
  ASSERT_TRUE(not_a_key.ok());
  EXPECT_FALSE(PublicKey::Load(*not_a_key).ok());
}

TEST(KeyFile, ParsesRecordsQuotedStringsAndOutcomes) {
  auto source = ParseKeyFile(Testdata("keys.txt"), "keys.txt");
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  KeyLookup found = (*source)->Lookup("brisbane", "football.example.com");
  EXPECT_EQ(found.outcome, KeyLookup::Outcome::kFound);
  EXPECT_EQ(found.source, "key file keys.txt line 4");
  KeyLookup split = (*source)->Lookup("split", "EXAMPLE.org");
  EXPECT_EQ(split.record, found.record);
  EXPECT_EQ((*source)->Lookup("gone", "example.org").outcome, KeyLookup::Outcome::kPermanentError);
  KeyLookup slow = (*source)->Lookup("slow", "example.org");
  EXPECT_EQ(slow.outcome, KeyLookup::Outcome::kTemporaryError);
  EXPECT_EQ(slow.error, "Query timed out");
  EXPECT_EQ((*source)->Lookup("absent", "example.org").outcome,
            KeyLookup::Outcome::kTemporaryError);

  EXPECT_FALSE(ParseKeyFile("a._domainkey.example.org v=DKIM1; p=\n"
                            "A._domainkey.example.org v=DKIM1; p=\n",
                            "dup")
                   .ok());
  EXPECT_FALSE(ParseKeyFile("example.org v=DKIM1; p=\n", "no selector").ok());
  EXPECT_FALSE(ParseKeyFile("a._domainkey.example.org\n", "no record").ok());
  EXPECT_FALSE(ParseKeyFile("a._domainkey.example.org \"unterminated\n", "quote").ok());
  EXPECT_EQ(ParseKeyFile("a._domainkey.example.org p=" + std::string(70000, 'A') + "\n", "long")
                .status()
                .code(),
            Status::Code::kLimitExceeded);
}

// ---------------------------------------------------------------------------------------------
// Verification of messages signed here with fresh keys.

TEST(Verify, RoundTripRsaAndEd25519SimpleAndRelaxed) {
  Keys& keys = SharedKeys();
  for (bool ed : {false, true}) {
    for (const char* c : {"relaxed/relaxed", "simple/simple", "relaxed/simple", "simple/relaxed"}) {
      SignSpec spec = ed ? EdSpec(c) : RsaSpec(c);
      std::string signed_msg =
          SignMessage(PlainMessage(), (ed ? keys.ed : keys.rsa).pkey.get(), spec);
      for (const std::string& stored : {signed_msg, ToLf(signed_msg)}) {
        Verification v = Verify(stored, &keys.source, At(kMay2024));
        ASSERT_EQ(v.signatures.size(), 1u);
        const SignatureResult& s = v.signatures[0];
        EXPECT_EQ(v.verdict, Outcome::kPass) << spec.a << " " << c << ": " << s.reason;
        EXPECT_EQ(s.body_hash, BodyHash::kMatch);
        EXPECT_FALSE(s.weak) << s.weak_reason;
        EXPECT_EQ(s.key_type, ed ? "ed25519" : "rsa");
        EXPECT_EQ(s.headers_covered.size(), 6u);
        EXPECT_TRUE(s.headers_absent.empty());
        EXPECT_EQ(s.body_bytes_signed, s.body_bytes_total);
        EXPECT_EQ(v.arc.result, Outcome::kNone);
      }
    }
  }
}

TEST(Verify, TamperedBodyByteIsABodyHashMismatch) {
  Keys& keys = SharedKeys();
  for (const SignSpec& spec : {RsaSpec(), EdSpec("simple/simple")}) {
    std::string msg =
        SignMessage(PlainMessage(), (spec.s == "ed" ? keys.ed : keys.rsa).pkey.get(), spec);
    msg[msg.find("approved")] = 'A';
    Verification v = Verify(msg, &keys.source, At(kMay2024));
    const SignatureResult& s = v.signatures[0];
    EXPECT_EQ(v.verdict, Outcome::kFail);
    EXPECT_EQ(s.body_hash, BodyHash::kMismatch);
    EXPECT_TRUE(s.signature_valid);  // the header fields are intact
    EXPECT_NE(s.reason.find("body hash mismatch"), std::string::npos) << s.reason;
  }
}

TEST(Verify, TamperedSignedHeaderFailsTheSignature) {
  Keys& keys = SharedKeys();
  for (const SignSpec& spec : {RsaSpec(), EdSpec()}) {
    std::string msg =
        SignMessage(PlainMessage(), (spec.s == "ed" ? keys.ed : keys.rsa).pkey.get(), spec);
    msg.replace(msg.find("Minutes"), 7, "Minutez");
    Verification v = Verify(msg, &keys.source, At(kMay2024));
    const SignatureResult& s = v.signatures[0];
    EXPECT_EQ(v.verdict, Outcome::kFail);
    EXPECT_EQ(s.body_hash, BodyHash::kMatch);
    EXPECT_FALSE(s.signature_valid);
    EXPECT_NE(s.reason.find("signed header field was changed"), std::string::npos) << s.reason;
  }
  // Relaxed canonicalization tolerates re-folding and case changes in names; simple does not.
  std::string relaxed = SignMessage(PlainMessage(), keys.rsa.pkey.get(), RsaSpec());
  relaxed.replace(relaxed.find("Subject: Minutes"), 16, "SUBJECT:   Minutes");
  EXPECT_EQ(Verify(relaxed, &keys.source, At(kMay2024)).verdict, Outcome::kPass);
  std::string simple = SignMessage(PlainMessage(), keys.rsa.pkey.get(), RsaSpec("simple/simple"));
  simple.replace(simple.find("Subject: Minutes"), 16, "SUBJECT:   Minutes");
  EXPECT_EQ(Verify(simple, &keys.source, At(kMay2024)).verdict, Outcome::kFail);
}

TEST(Verify, BytesAppendedAfterTheLengthLimitAreReported) {
  Keys& keys = SharedKeys();
  std::string plain = PlainMessage();
  auto parsed = ParseMessage(plain);
  uint64_t length = CanonicalBody(parsed->body, Canonicalization::kRelaxed).size();
  SignSpec spec = RsaSpec();
  spec.l = length;
  std::string msg = SignMessage(plain, keys.rsa.pkey.get(), spec);
  EXPECT_EQ(Verify(msg, &keys.source, At(kMay2024)).verdict, Outcome::kPass);

  std::string appended = msg + "PS: wire the money to account 12345.\r\n";
  Verification v = Verify(appended, &keys.source, At(kMay2024));
  const SignatureResult& s = v.signatures[0];
  EXPECT_EQ(v.verdict, Outcome::kPass);  // as RFC 6376 defines it: l= bytes are what is signed
  EXPECT_EQ(s.body_bytes_signed, length);
  // 38 appended bytes, and the two empty lines before them that no longer end the body.
  EXPECT_EQ(s.body_bytes_unsigned, 42u);
  EXPECT_NE(s.reason.find("42 body bytes after the l= limit are not covered"), std::string::npos)
      << s.reason;
  EXPECT_FALSE(s.warnings.empty());
  EXPECT_NE(FormatReport(v).find("NOT signed"), std::string::npos);

  // Cut below the limit: the signed part itself is gone.
  std::string truncated = msg.substr(0, msg.find("Regards"));
  Verification cut = Verify(truncated, &keys.source, At(kMay2024));
  EXPECT_EQ(cut.verdict, Outcome::kFail);
  EXPECT_NE(cut.signatures[0].reason.find("body"), std::string::npos);
}

TEST(Verify, MailingListFooterIsABodyChangeNotAKeyProblem) {
  Keys& keys = SharedKeys();
  std::string msg = SignMessage(PlainMessage(), keys.ed.pkey.get(), EdSpec());
  std::string relayed = "List-Id: <board.lists.example.org>\r\n" + msg +
                        "_______________________________________________\r\n"
                        "board mailing list -- https://lists.example.org/board\r\n";
  relayed.replace(relayed.find("Subject: "), 9, "Subject: [board] ");
  Verification v = Verify(relayed, &keys.source, At(kMay2024));
  const SignatureResult& s = v.signatures[0];
  EXPECT_EQ(s.result, Outcome::kFail);
  EXPECT_EQ(s.body_hash, BodyHash::kMismatch);
  EXPECT_EQ(s.key.outcome, KeyLookup::Outcome::kFound);
  EXPECT_FALSE(s.key_fingerprint.empty());
  EXPECT_NE(s.reason.find("body hash mismatch"), std::string::npos) << s.reason;
  EXPECT_EQ(s.reason.find("key"), std::string::npos) << s.reason;

  // Only the footer: the header fields still verify.
  Verification footer_only = Verify(msg + "-- \r\nlist footer\r\n", &keys.source, At(kMay2024));
  EXPECT_TRUE(footer_only.signatures[0].signature_valid);
  EXPECT_EQ(footer_only.signatures[0].body_hash, BodyHash::kMismatch);
}

TEST(Verify, OverSignedAndAddedHeaderFields) {
  Keys& keys = SharedKeys();
  SignSpec spec = RsaSpec();
  spec.h = {"From", "Subject", "Subject", "Reply-To", "Date"};
  std::string msg = SignMessage(PlainMessage(), keys.rsa.pkey.get(), spec);
  Verification v = Verify(msg, &keys.source, At(kMay2024));
  ASSERT_EQ(v.verdict, Outcome::kPass) << v.signatures[0].reason;
  EXPECT_EQ(v.signatures[0].headers_absent, (std::vector<std::string>{"Subject", "Reply-To"}));
  EXPECT_NE(FormatReport(v).find("Over-signed"), std::string::npos);
  // Adding a field the signature claimed absent breaks it.
  Verification added = Verify("Reply-To: thief@example.net\r\n" + msg, &keys.source, At(kMay2024));
  EXPECT_EQ(added.verdict, Outcome::kFail);
  Verification second = Verify("Subject: Cancelled\r\n" + msg, &keys.source, At(kMay2024));
  EXPECT_EQ(second.verdict, Outcome::kFail);

  // Without over-signing an added Subject passes, but the report says it is not covered.
  std::string plain_signed = SignMessage(PlainMessage(), keys.rsa.pkey.get(), RsaSpec());
  Verification open = Verify("Subject: Cancelled\r\n" + plain_signed, &keys.source, At(kMay2024));
  EXPECT_EQ(open.verdict, Outcome::kPass);
  ASSERT_FALSE(open.signatures[0].warnings.empty());
  EXPECT_NE(open.signatures[0].warnings[0].find("1 of 2 'Subject' fields"), std::string::npos)
      << open.signatures[0].warnings[0];
}

TEST(Verify, ExpiryIsReportedAgainstTheVerificationTime) {
  Keys& keys = SharedKeys();
  SignSpec spec = EdSpec();
  spec.extra = "t=1715670000; x=1715760000; ";
  std::string msg = SignMessage(PlainMessage(), keys.ed.pkey.get(), spec);
  Verification before = Verify(msg, &keys.source, At(kMay2024));
  EXPECT_EQ(before.verdict, Outcome::kPass);
  EXPECT_FALSE(before.signatures[0].expired);
  Verification after = Verify(msg, &keys.source, At(1800000000));
  const SignatureResult& s = after.signatures[0];
  EXPECT_EQ(after.verdict, Outcome::kPermError);
  EXPECT_TRUE(s.expired);
  EXPECT_TRUE(s.signature_valid);
  EXPECT_NE(s.reason.find("expired at 2024-05-15 08:00:00 UTC"), std::string::npos) << s.reason;
}

TEST(Verify, IdentityMustBeWithinTheSigningDomain) {
  Keys& keys = SharedKeys();
  SignSpec inside = EdSpec();
  inside.extra = "i=ada@mail.example.org; ";
  EXPECT_EQ(
      Verify(SignMessage(PlainMessage(), keys.ed.pkey.get(), inside), &keys.source, At(kMay2024))
          .verdict,
      Outcome::kPass);
  SignSpec outside = EdSpec();
  outside.extra = "i=ada@example.com; ";
  Verification v =
      Verify(SignMessage(PlainMessage(), keys.ed.pkey.get(), outside), &keys.source, At(kMay2024));
  EXPECT_EQ(v.verdict, Outcome::kPermError);
  EXPECT_NE(v.signatures[0].reason.find("i= domain"), std::string::npos);

  // A key with t=s allows no subdomain in i=.
  MemoryKeySource strict(true);
  strict.AddRecord("ed._domainkey.example.org", keys.ed.record + "; t=s");
  EXPECT_EQ(Verify(SignMessage(PlainMessage(), keys.ed.pkey.get(), inside), &strict, At(kMay2024))
                .verdict,
            Outcome::kPermError);
}

TEST(Verify, KeyProblems) {
  Keys& keys = SharedKeys();
  std::string rsa_msg = SignMessage(PlainMessage(), keys.rsa.pkey.get(), RsaSpec());
  struct Case {
    std::string record;
    Outcome outcome;
    std::string reason;
  } cases[] = {
      {"v=DKIM1; k=rsa; p=", Outcome::kPermError, "revoked"},
      {keys.ed.record, Outcome::kPermError, "needs a k=rsa key"},
      {keys.rsa.record + "; h=sha1", Outcome::kPermError, "does not allow sha256"},
      {"v=DKIM1; s=chat; " + keys.rsa.record.substr(9), Outcome::kPermError, "not for email"},
      {"v=DKIM1; k=rsa; p=AAAA", Outcome::kPermError, "cannot be used"},
      {GenerateRsa(2048).record, Outcome::kFail, "is not the key that made this signature"},
  };
  for (const auto& c : cases) {
    MemoryKeySource source;
    source.AddRecord("rsa._domainkey.example.org", c.record);
    Verification v = Verify(rsa_msg, &source, At(kMay2024));
    EXPECT_EQ(v.verdict, c.outcome) << c.record;
    EXPECT_NE(v.signatures[0].reason.find(c.reason), std::string::npos) << v.signatures[0].reason;
    EXPECT_EQ(v.signatures[0].body_hash, BodyHash::kMatch);
  }
}

TEST(Verify, NoKeySourceIsATemporaryErrorWithTheBodyHashChecked) {
  Keys& keys = SharedKeys();
  std::string msg = SignMessage(PlainMessage(), keys.rsa.pkey.get(), RsaSpec());
  Verification v = Verify(msg, nullptr, At(kMay2024));
  EXPECT_EQ(v.verdict, Outcome::kTempError);
  EXPECT_EQ(v.signatures[0].body_hash, BodyHash::kMatch);
  EXPECT_NE(v.signatures[0].reason.find("no key source"), std::string::npos);
  msg[msg.find("approved")] = 'X';
  EXPECT_EQ(Verify(msg, nullptr, At(kMay2024)).signatures[0].body_hash, BodyHash::kMismatch);

  MemoryKeySource empty;  // records kept for other messages only
  Verification not_kept = Verify(msg, &empty, At(kMay2024));
  EXPECT_EQ(not_kept.verdict, Outcome::kTempError);
  EXPECT_NE(not_kept.signatures[0].reason.find("no record kept"), std::string::npos);
}

TEST(Verify, KeptKeysReverifyAfterTheDomainRotatedItsKey) {
  Keys& keys = SharedKeys();
  std::string msg = SignMessage(PlainMessage(), keys.rsa.pkey.get(), RsaSpec());
  MemoryKeySource at_import;
  KeyLookup fetched;
  fetched.outcome = KeyLookup::Outcome::kFound;
  fetched.name = "rsa._domainkey.example.org";
  fetched.record = keys.rsa.record;
  fetched.fetched_at = kMay2024;
  fetched.source = "dns (system resolver)";
  fetched.dnssec = Dnssec::kInsecure;
  at_import.Add(fetched);
  Verification first = Verify(msg, &at_import, At(kMay2024));
  ASSERT_EQ(first.verdict, Outcome::kPass);
  const KeyLookup& kept = first.signatures[0].key;  // what the archive keeps with the message
  EXPECT_EQ(kept.record, keys.rsa.record);
  EXPECT_EQ(kept.fetched_at, kMay2024);

  // Years later the selector holds another key; the kept record still proves the signature.
  MemoryKeySource today;
  today.AddRecord("rsa._domainkey.example.org", GenerateRsa(1024).record, "dns");
  EXPECT_EQ(Verify(msg, &today, At(kMay2024)).verdict, Outcome::kFail);
  MemoryKeySource archive;
  archive.Add(kept);
  FallbackKeySource both({&archive, &today});
  Verification again = Verify(msg, &both, At(kMay2024));
  EXPECT_EQ(again.verdict, Outcome::kPass);
  EXPECT_EQ(again.signatures[0].key.source, "dns (system resolver)");
  EXPECT_EQ(again.signatures[0].key_fingerprint, first.signatures[0].key_fingerprint);
  EXPECT_NE(FormatReport(again).find("fetched 2024-05-14 09:13:20 UTC"), std::string::npos)
      << FormatReport(again);
}

TEST(Verify, DnsWithoutNetworkFailsCleanlyAsTemporaryError) {
  DnsOptions options;
  options.resolver = "127.0.0.1@1";  // nothing answers there, online or not
  options.timeout_ms = 2000;
  auto dns = NewDnsKeySource(options);
  ASSERT_TRUE(dns.ok()) << dns.status().ToString();
  time_t start = time(nullptr);
  KeyLookup lookup = (*dns)->Lookup("selector", "example.org");
  EXPECT_EQ(lookup.outcome, KeyLookup::Outcome::kTemporaryError);
  EXPECT_FALSE(lookup.error.empty());
  EXPECT_EQ(lookup.name, "selector._domainkey.example.org");
  EXPECT_NE(lookup.source.find("dns"), std::string::npos);
  EXPECT_LE(time(nullptr) - start, 5);

  Keys& keys = SharedKeys();
  std::string msg = SignMessage(PlainMessage(), keys.ed.pkey.get(), EdSpec());
  Verification v = Verify(msg, dns->get(), At(kMay2024));
  EXPECT_EQ(v.verdict, Outcome::kTempError);
  EXPECT_EQ(v.signatures[0].body_hash, BodyHash::kMatch);
  std::cout << "[ dns      ] " << v.signatures[0].reason << "\n";

  DnsOptions bad;
  bad.resolver = "not an address";
  EXPECT_FALSE(NewDnsKeySource(bad).ok());

  // The system's resolvers: offline a temporary error, online a name that cannot exist.
  DnsOptions system;
  system.timeout_ms = 2000;
  auto resolver = NewDnsKeySource(system);
  ASSERT_TRUE(resolver.ok()) << resolver.status().ToString();
  KeyLookup invalid = (*resolver)->Lookup("custodian-test", "example.invalid");
  EXPECT_NE(invalid.outcome, KeyLookup::Outcome::kFound);
  EXPECT_FALSE(invalid.error.empty());
  std::cout << "[ dns      ] system resolver: " << LookupOutcomeName(invalid.outcome) << ", "
            << invalid.error << "\n";
}

TEST(Verify, WeakSignaturesAreValidButFlagged) {
  TestKey small = GenerateRsa(512);
  Keys& keys = SharedKeys();
  MemoryKeySource source;
  source.AddRecord("small._domainkey.example.org", small.record);
  source.AddRecord("rsa._domainkey.example.org", keys.rsa.record);

  SignSpec tiny = RsaSpec();
  tiny.s = "small";
  Verification v =
      Verify(SignMessage(PlainMessage(), small.pkey.get(), tiny), &source, At(kMay2024));
  EXPECT_EQ(v.verdict, Outcome::kPass);
  EXPECT_TRUE(v.signatures[0].weak);
  EXPECT_EQ(v.signatures[0].key_bits, 512);
  EXPECT_NE(v.signatures[0].weak_reason.find("512 bits"), std::string::npos);

  SignSpec sha1 = RsaSpec();
  sha1.a = "rsa-sha1";
  Verification old =
      Verify(SignMessage(PlainMessage(), keys.rsa.pkey.get(), sha1), &source, At(kMay2024));
  EXPECT_EQ(old.verdict, Outcome::kPass);
  EXPECT_TRUE(old.signatures[0].weak);
  EXPECT_NE(old.signatures[0].weak_reason.find("rsa-sha1"), std::string::npos);
  EXPECT_NE(ToJson(old).find("\"weak\":true"), std::string::npos);
}

TEST(Verify, AnyPassingSignatureDecidesTheVerdict) {
  Keys& keys = SharedKeys();
  std::string msg = SignMessage(PlainMessage(), keys.ed.pkey.get(), EdSpec());
  SignSpec broken = RsaSpec();
  broken.d = "other.example";
  msg = SignMessage(msg, keys.rsa.pkey.get(), broken);  // no key for other.example
  msg = "DKIM-Signature: v=1; garbage\r\n" + msg;
  Verification v = Verify(msg, &keys.source, At(kMay2024));
  ASSERT_EQ(v.signatures.size(), 3u);
  EXPECT_EQ(v.signatures[0].result, Outcome::kPermError);
  EXPECT_EQ(v.signatures[1].result, Outcome::kPermError);  // authoritative source: no such key
  EXPECT_EQ(v.signatures[2].result, Outcome::kPass);
  EXPECT_EQ(v.verdict, Outcome::kPass);
  EXPECT_EQ(Verify(PlainMessage(), &keys.source).verdict, Outcome::kNone);
}

SignSpec ArcSpec(const char* selector, const char* a) {
  SignSpec spec;
  spec.a = a;
  spec.s = selector;
  spec.h = {"From", "To", "Subject", "Date", "ARC-Authentication-Results"};
  return spec;
}

TEST(Arc, ChainOfTwoSetsAcrossAMailingList) {
  Keys& keys = SharedKeys();
  std::string original = SignMessage(PlainMessage(), keys.ed.pkey.get(), EdSpec());
  std::string first =
      AddArcSet(original, 1, keys.rsa.pkey.get(), ArcSpec("rsa", "rsa-sha256"), "none");
  ArcResult one = VerifyArc(first, &keys.source, At(kMay2024));
  EXPECT_EQ(one.result, Outcome::kPass) << one.reason;
  ASSERT_EQ(one.sets.size(), 1u);
  EXPECT_EQ(one.sets[0].authentication_results,
            "relay1.example.org; dkim=pass header.d=example.org");

  // The list adds a footer, breaking the author's DKIM signature and the first message
  // signature, then seals what it relays.
  std::string footer = first + "-- \r\nboard mailing list\r\n";
  std::string second =
      AddArcSet(footer, 2, keys.ed.pkey.get(), ArcSpec("ed", "ed25519-sha256"), "pass");
  Verification v = Verify(ToLf(second), &keys.source, At(kMay2024));
  EXPECT_EQ(v.verdict, Outcome::kFail);
  EXPECT_EQ(v.signatures[0].body_hash, BodyHash::kMismatch);
  EXPECT_EQ(v.arc.result, Outcome::kPass) << v.arc.reason;
  ASSERT_EQ(v.arc.sets.size(), 2u);
  EXPECT_EQ(v.arc.sets[0].message_signature.result, Outcome::kFail);  // where the body changed
  EXPECT_EQ(v.arc.sets[0].message_signature.body_hash, BodyHash::kMismatch);
  EXPECT_EQ(v.arc.sets[1].seal.result, Outcome::kPass);
  EXPECT_NE(FormatReport(v).find("ARC set 2 (cv=pass)"), std::string::npos);
}

TEST(Arc, BrokenChainsFail) {
  Keys& keys = SharedKeys();
  SignSpec spec = ArcSpec("rsa", "rsa-sha256");
  spec.h.pop_back();  // message signatures without the results: only seals cover them
  std::string first = AddArcSet(PlainMessage(), 1, keys.rsa.pkey.get(), spec, "none");
  std::string second = AddArcSet(first, 2, keys.rsa.pkey.get(), spec, "pass");
  ASSERT_EQ(VerifyArc(second, &keys.source, At(kMay2024)).result, Outcome::kPass);

  std::string aar = second;  // the results the first relay recorded, rewritten
  aar.replace(aar.find("relay1.example.org"), 6, "forged");
  ArcResult forged = VerifyArc(aar, &keys.source, At(kMay2024));
  EXPECT_EQ(forged.result, Outcome::kFail);
  // Seals are checked latest first, and the second covers the first set too.
  EXPECT_NE(forged.reason.find("ARC-Seal i=2 does not verify"), std::string::npos) << forged.reason;
  EXPECT_EQ(forged.sets[0].seal.result, Outcome::kFail);
  EXPECT_EQ(forged.sets[1].message_signature.result, Outcome::kPass);

  std::string failed = AddArcSet(first, 2, keys.rsa.pkey.get(), spec, "fail");
  EXPECT_NE(VerifyArc(failed, &keys.source, At(kMay2024)).reason.find("cv=fail"),
            std::string::npos);
  std::string wrong_cv = AddArcSet(PlainMessage(), 1, keys.rsa.pkey.get(), spec, "pass");
  EXPECT_EQ(VerifyArc(wrong_cv, &keys.source, At(kMay2024)).result, Outcome::kFail);
  std::string gap = AddArcSet(first, 3, keys.rsa.pkey.get(), spec, "pass");
  ArcResult missing = VerifyArc(gap, &keys.source, At(kMay2024));
  EXPECT_EQ(missing.result, Outcome::kFail);
  EXPECT_NE(missing.reason.find("ARC set i=2 must have exactly one"), std::string::npos);

  ArcResult offline = VerifyArc(second, nullptr, At(kMay2024));
  EXPECT_EQ(offline.result, Outcome::kTempError);
  EXPECT_NE(offline.reason.find("no key source"), std::string::npos);
}

TEST(Report, JsonAndTextCarryWhatTheIssueAsksFor) {
  Keys& keys = SharedKeys();
  std::string msg = SignMessage(PlainMessage(), keys.rsa.pkey.get(), RsaSpec());
  Verification v = Verify(msg, &keys.source, At(kMay2024));
  std::string json = ToJson(v);
  for (const char* field :
       {"\"verdict\":\"pass\"", "\"signatures\":[{", "\"d\":\"example.org\"", "\"s\":\"rsa\"",
        "\"a\":\"rsa-sha256\"", "\"result\":\"pass\"", "\"body_hash\":\"match\"",
        "\"reason\":", "\"weak\":false", "\"weak_reason\":\"\"",
        "\"fingerprint\":\"sha256:", "\"bits\":2048", "\"headers_covered\":[\"From\"",
        "\"body_bytes_signed\":", "\"dnssec\":\"unknown\"", "\"arc\":{\"result\":\"none\""}) {
    EXPECT_NE(json.find(field), std::string::npos) << field << " in " << json;
  }
  std::string text = FormatReport(v);
  for (const char* line : {"DKIM: pass", "Signed by       example.org, selector rsa",
                           "fingerprint sha256:", "body hash matches", "Result          pass"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << " in\n" << text;
  }
}

// ---------------------------------------------------------------------------------------------
// Real signatures from other implementations.

TEST(Corpus, DkimVectorsReproduceTheRfc6376Rows) {
  fs::path dir = CorpusDir("dkim-vectors");
  if (dir.empty()) GTEST_SKIP() << "shared corpora not found (set CUSTODIAN_CORPORA)";
  auto keys = LoadKeyFile((dir / "keys.txt").string());
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  std::istringstream table(ReadFile(dir / "expected.tsv"));
  std::string line;
  std::getline(table, line);  // header
  int rows = 0, reproduced = 0, weak_rows = 0, weak_flagged = 0, other_rows = 0;
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string file, expected, scope, weak;
    fields >> file >> expected >> scope >> weak;
    std::string raw = ReadFile(dir / "corpus" / file);
    Verification v = Verify(raw, keys->get());  // also runs on out-of-scope rows: no crash
    ToJson(v);
    FormatReport(v);
    if (scope != "rfc6376") {
      other_rows++;
      continue;
    }
    rows++;
    bool ok;
    std::string detail;
    for (const auto& s : v.signatures) {
      detail +=
          std::string("\n    ") + OutcomeName(s.result) + " [" + s.d + "/" + s.s + "] " + s.reason;
    }
    if (expected == "pass") {
      ok = v.verdict == Outcome::kPass;
      auto passing = std::find_if(v.signatures.begin(), v.signatures.end(),
                                  [](const auto& s) { return s.result == Outcome::kPass; });
      if (ok && weak == "yes") {
        weak_rows++;
        EXPECT_TRUE(passing->weak) << file << " should be flagged weak";
        weak_flagged += passing->weak;
      } else if (ok && weak == "no") {
        EXPECT_FALSE(passing->weak) << file << ": " << passing->weak_reason;
      }
    } else {
      ok = v.verdict != Outcome::kPass && !v.signatures.empty();
      for (const auto& s : v.signatures) ok &= !s.reason.empty();
    }
    reproduced += ok;
    EXPECT_TRUE(ok) << file << ": expected " << expected << ", got " << OutcomeName(v.verdict)
                    << detail;
  }
  std::cout << "[ vectors  ] rfc6376 rows reproduced: " << reproduced << " of " << rows
            << "; weak flagged: " << weak_flagged << " of " << weak_rows << " (" << other_rows
            << " domainkeys/pre-RFC rows out of scope)\n";
  EXPECT_GT(rows, 40);
}

// The PEM public key beside gmail.msg, as the TXT record Google published.
std::string RecordFromPem(const std::string& pem) {
  std::string b64;
  std::istringstream lines(pem);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("-----", 0) != 0) b64 += line;
  }
  return "v=DKIM1; k=rsa; p=" + b64;
}

TEST(Corpus, GmailMessageVerifiesAndTamperingIsCaught) {
  fs::path dir = CorpusDir("parser-torture");
  if (dir.empty()) GTEST_SKIP() << "shared corpora not found (set CUSTODIAN_CORPORA)";
  dir /= "mimekit/UnitTests/TestData/dkim";
  std::string raw = ReadFile(dir / "gmail.msg");
  MemoryKeySource keys;
  keys.AddRecord("20120113._domainkey.gmail.com", RecordFromPem(ReadFile(dir / "gmail.pub")),
                 "gmail.pub");
  Verification v = Verify(raw, &keys);
  ASSERT_EQ(v.signatures.size(), 1u);
  const SignatureResult& s = v.signatures[0];
  EXPECT_EQ(v.verdict, Outcome::kPass) << s.reason;
  EXPECT_EQ(s.d, "gmail.com");
  EXPECT_EQ(s.key_bits, 2048);
  EXPECT_FALSE(s.weak);
  std::cout << FormatReport(v);

  // The same bytes with CRLF line ends, as they were on the wire.
  EXPECT_EQ(Verify(ToCrlf(raw), &keys).verdict, Outcome::kPass);

  std::string body_changed = raw;
  size_t body = raw.find("\n\n") + 2;
  body_changed[raw.find_first_of("abcdefghijklmnopqrstuvwxyz", body)] ^= 0x20;
  Verification b = Verify(body_changed, &keys);
  EXPECT_EQ(b.verdict, Outcome::kFail);
  EXPECT_EQ(b.signatures[0].body_hash, BodyHash::kMismatch);

  std::string header_changed = raw;
  size_t subject = header_changed.find("\nSubject:") + 10;
  header_changed[subject] ^= 0x20;
  Verification h = Verify(header_changed, &keys);
  EXPECT_EQ(h.verdict, Outcome::kFail);
  EXPECT_EQ(h.signatures[0].body_hash, BodyHash::kMatch);
  EXPECT_NE(h.signatures[0].reason.find("signed header field"), std::string::npos);

  Verification offline = Verify(raw, nullptr);
  EXPECT_EQ(offline.verdict, Outcome::kTempError);
  EXPECT_EQ(offline.signatures[0].body_hash, BodyHash::kMatch);
}

// RFC 8463 Appendix A: the same message signed with ed25519-sha256 and rsa-sha256, with the keys
// the RFC publishes.
TEST(Corpus, Rfc8463ExampleVerifiesWithBothAlgorithms) {
  fs::path dir = CorpusDir("parser-torture");
  if (dir.empty()) GTEST_SKIP() << "shared corpora not found (set CUSTODIAN_CORPORA)";
  std::string raw = ReadFile(dir / "mimekit/UnitTests/TestData/dkim/rfc8463-example.msg");
  MemoryKeySource keys(true);
  keys.AddRecord("brisbane._domainkey.football.example.com",
                 "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
  keys.AddRecord("test._domainkey.football.example.com",
                 "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3id"
                 "Y6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lx"
                 "j+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB");
  Verification v = Verify(raw, &keys);
  ASSERT_EQ(v.signatures.size(), 2u);
  for (const auto& s : v.signatures) {
    EXPECT_EQ(s.result, Outcome::kPass) << s.a << ": " << s.reason;
  }
  EXPECT_EQ(v.signatures[0].key_type, "ed25519");
}

// ---------------------------------------------------------------------------------------------
// The ARC test suite (ValiMail, YAML). A reader for exactly the subset of YAML that file uses:
// documents separated by "---", maps by indentation, "|" literal and ">-" folded scalars.

struct ArcCase {
  std::string name, message, cv;
  size_t document = 0;
};

struct ArcSuite {
  std::vector<std::map<std::string, std::string>> records;  // per document
  std::vector<ArcCase> cases;
};

size_t Indent(const std::string& line) {
  size_t n = 0;
  while (n < line.size() && line[n] == ' ') n++;
  return n;
}

bool Blank(const std::string& line) { return Indent(line) == line.size(); }

std::string TrimSpaces(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.pop_back();
  size_t i = Indent(s);
  return s.substr(i);
}

// Reads the block scalar whose indicator ended lines[*i]; parent is the key's indentation.
std::string BlockScalar(const std::vector<std::string>& lines, size_t* i, size_t parent,
                        const std::string& indicator) {
  std::vector<std::string> body;
  size_t indent = 0;
  size_t j = *i + 1;
  for (; j < lines.size(); j++) {
    const std::string& line = lines[j];
    if (line.rfind("---", 0) == 0) break;
    if (Blank(line)) {
      body.push_back("");
      continue;
    }
    if (indent == 0) indent = Indent(line);
    if (Indent(line) < indent || Indent(line) <= parent) break;
    body.push_back(line.substr(indent));
  }
  *i = j - 1;
  std::string out;
  if (indicator[0] == '|') {
    for (const auto& l : body) out += l + "\n";
  } else {  // folded: lines of one paragraph joined by a space
    for (size_t k = 0; k < body.size(); k++) {
      if (k > 0) out += body[k].empty() || body[k - 1].empty() ? "\n" : " ";
      out += body[k];
    }
    out += "\n";
  }
  // Chomping: "-" strips every final line break, the default keeps one.
  while (!out.empty() && out.back() == '\n') out.pop_back();
  if (indicator.find('-') == std::string::npos && !out.empty()) out += "\n";
  return out;
}

ArcSuite ReadArcSuite(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ArcSuite suite;
  suite.records.emplace_back();
  std::string section;
  ArcCase* current = nullptr;
  for (size_t i = 0; i < lines.size(); i++) {
    const std::string& line = lines[i];
    if (line.rfind("---", 0) == 0) {
      suite.records.emplace_back();
      section.clear();
      current = nullptr;
      continue;
    }
    if (Blank(line) || TrimSpaces(line)[0] == '#') continue;
    size_t indent = Indent(line);
    size_t colon = line.find(':', indent);
    if (colon == std::string::npos) continue;
    std::string key = line.substr(indent, colon - indent);
    std::string value = TrimSpaces(line.substr(colon + 1));
    if (!value.empty() && (value[0] == '|' || value[0] == '>')) {
      value = BlockScalar(lines, &i, indent, value);
    }
    if (indent == 0) {
      section = key;
    } else if (section == "tests" && indent == 2) {
      suite.cases.push_back({key, "", "", suite.records.size() - 1});
      current = &suite.cases.back();
    } else if (section == "tests" && indent == 4 && current != nullptr) {
      if (key == "message") current->message = value;
      if (key == "cv") current->cv = TrimSpaces(value);
    } else if (section == "txt-records" && indent == 2) {
      suite.records.back()[key] = value;
    }
  }
  return suite;
}

TEST(Corpus, ArcTestSuiteValidationCases) {
  fs::path dir = CorpusDir("dkim-vectors");
  if (dir.empty()) GTEST_SKIP() << "shared corpora not found (set CUSTODIAN_CORPORA)";
  ArcSuite suite = ReadArcSuite(ReadFile(dir / "arc-test-suite/arc-draft-validation-tests.yml"));
  int passed = 0, unstated = 0;
  std::map<std::string, int> by_expectation;
  for (const ArcCase& c : suite.cases) {
    MemoryKeySource keys(true);  // the suite's DNS: names it does not list do not exist
    for (const auto& [name, record] : suite.records[c.document]) keys.AddRecord(name, record);
    ArcResult arc = VerifyArc(c.message, &keys);
    // Three cases seal with cv=fail and state no expectation; RFC 8617 §5.2 says "fail".
    std::string cv = c.cv.empty() ? "Fail" : c.cv;
    unstated += c.cv.empty();
    Outcome want = cv == "Pass" ? Outcome::kPass : cv == "None" ? Outcome::kNone : Outcome::kFail;
    by_expectation[cv]++;
    bool ok = arc.result == want;
    passed += ok;
    EXPECT_TRUE(ok) << c.name << ": expected " << cv << ", got " << OutcomeName(arc.result) << ": "
                    << arc.reason;
  }
  std::cout << "[ arc      ] validation cases passed: " << passed << " of " << suite.cases.size()
            << " (Pass " << by_expectation["Pass"] << ", Fail " << by_expectation["Fail"]
            << ", None " << by_expectation["None"] << "; " << unstated
            << " with no stated cv taken as Fail)\n";
  EXPECT_GT(suite.cases.size(), 150u);
}

}  // namespace
}  // namespace custodian::dkim
