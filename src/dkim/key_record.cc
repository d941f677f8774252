#include "dkim/key_record.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "dkim/tag_list.h"
#include "util/digest.h"
#include "util/text.h"

namespace custodian::dkim {
namespace {

Status Invalid(const std::string& why) { return Status::InvalidArgument("key record: " + why); }

const EVP_MD* Md(Algorithm a) { return a == Algorithm::kRsaSha1 ? EVP_sha1() : EVP_sha256(); }

}  // namespace

Result<KeyRecord> ParseKeyRecord(std::string_view record) {
  auto parsed = TagList::Parse(record);
  if (!parsed.ok()) return Invalid(parsed.status().message());
  const TagList& tags = *parsed;
  KeyRecord key;
  if (const Tag* v = tags.Find("v")) {
    if (&tags.tags().front() != v) return Invalid("v= is not the first tag");
    if (v->value != "DKIM1") return Invalid("unsupported version v=" + std::string(v->value));
  }
  if (const Tag* k = tags.Find("k")) {
    key.key_type = std::string(k->value);
    if (key.key_type != "rsa" && key.key_type != "ed25519") {
      return Invalid("unknown key type k=" + key.key_type);
    }
  }
  if (const Tag* h = tags.Find("h")) {
    for (std::string_view item : SplitColonList(h->value)) key.hashes.push_back(ToLowerAscii(item));
  }
  if (const Tag* s = tags.Find("s")) {
    for (std::string_view item : SplitColonList(s->value)) {
      key.services.push_back(ToLowerAscii(item));
    }
  }
  if (const Tag* t = tags.Find("t")) {
    for (std::string_view flag : SplitColonList(t->value)) {
      key.testing |= flag == "y";
      key.strict |= flag == "s";
    }
  }
  if (const Tag* g = tags.Find("g")) key.granularity = std::string(g->value);
  if (const Tag* n = tags.Find("n")) key.notes = std::string(n->value);
  const Tag* p = tags.Find("p");
  if (p == nullptr) return Invalid("missing p= (the public key)");
  auto decoded = DecodeBase64(p->value);
  if (!decoded) return Invalid("p= is not valid base64");
  key.public_key = std::move(*decoded);
  return key;
}

void PublicKey::Free::operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }

PublicKey::~PublicKey() = default;

Result<PublicKey> PublicKey::Load(const KeyRecord& record) {
  PublicKey key;
  const std::string& der = record.public_key;
  if (record.key_type == "ed25519") {
    if (der.size() != 32) {
      return Status::InvalidArgument("ed25519 key is " + std::to_string(der.size()) +
                                     " bytes, not the 32 bytes RFC 8463 requires");
    }
    key.key_.reset(EVP_PKEY_new_raw_public_key(
        EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(der.data()), 32));
    key.type_ = "ed25519";
  } else {
    auto p = reinterpret_cast<const unsigned char*>(der.data());
    key.key_.reset(d2i_PUBKEY(nullptr, &p, long(der.size())));
    if (!key.key_ || p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
      ERR_clear_error();
      p = reinterpret_cast<const unsigned char*>(der.data());
      key.key_.reset(d2i_PublicKey(EVP_PKEY_RSA, nullptr, &p, long(der.size())));
    }
    if (key.key_ && EVP_PKEY_get_base_id(key.key_.get()) != EVP_PKEY_RSA) {
      ERR_clear_error();
      return Status::InvalidArgument("k=rsa but p= holds a key of another type");
    }
    key.type_ = "rsa";
  }
  if (!key.key_) {
    ERR_clear_error();
    return Status::InvalidArgument("p= does not hold a valid " + record.key_type + " public key");
  }
  key.bits_ = EVP_PKEY_get_bits(key.key_.get());
  if (key.type_ == "rsa" && key.bits_ > kMaxRsaBits) {
    return Status::LimitExceeded("RSA key of " + std::to_string(key.bits_) +
                                 " bits is larger than " + std::to_string(kMaxRsaBits));
  }
  key.fingerprint_ = "sha256:" + ToHex(ComputeSha256(der));
  return key;
}

bool PublicKey::Verify(Algorithm algorithm, std::string_view data,
                       std::string_view signature) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr) return false;
  bool ok = false;
  auto sig = reinterpret_cast<const unsigned char*>(signature.data());
  if (algorithm == Algorithm::kEd25519Sha256) {
    std::string hash = Digest(algorithm, data);
    ok = EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, key_.get()) == 1 &&
         EVP_DigestVerify(ctx, sig, signature.size(),
                          reinterpret_cast<const unsigned char*>(hash.data()), hash.size()) == 1;
  } else {
    ok = EVP_DigestVerifyInit(ctx, nullptr, Md(algorithm), nullptr, key_.get()) == 1 &&
         EVP_DigestVerify(ctx, sig, signature.size(),
                          reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  }
  EVP_MD_CTX_free(ctx);
  ERR_clear_error();
  return ok;
}

std::string Digest(Algorithm algorithm, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, Md(algorithm), nullptr) != 1) return {};
  return std::string(reinterpret_cast<char*>(out), len);
}

}  // namespace custodian::dkim
