#include "store/keys.h"

#include <sodium.h>

#include "util/digest.h"
#include "util/text.h"

namespace custodian::store {
namespace {
constexpr char kKdfContext[crypto_kdf_CONTEXTBYTES + 1] = "CUSTODN1";
constexpr uint64_t kBlockKekId = 1;
constexpr uint64_t kCatalogKeyId = 2;
}  // namespace

Keys Keys::FromMaster(const Key& master) {
  Keys k;
  crypto_kdf_derive_from_key(k.block_kek_.data(), k.block_kek_.size(), kBlockKekId, kKdfContext,
                             master.data());
  crypto_kdf_derive_from_key(k.catalog_key_.data(), k.catalog_key_.size(), kCatalogKeyId, kKdfContext,
                             master.data());
  return k;
}

Result<Keys> Keys::Create(Env* env, const std::string& path) {
  if (env->Exists(path)) return Status::AlreadyExists("master key " + path);
  Key master;
  randombytes_buf(master.data(), master.size());
  CUSTODIAN_RETURN_IF_ERROR(env->WriteFileAtomic(path, ToHex(master.data(), master.size()) + "\n", 0600));
  Keys k = FromMaster(master);
  sodium_memzero(master.data(), master.size());
  return k;
}

Result<Keys> Keys::Load(Env* env, const std::string& path) {
  auto data = env->ReadFile(path);
  if (!data.ok()) return Status::NotFound("cannot read the master key " + path + " (" + data.status().message() + ")");
  auto parsed = Sha256FromHex(TrimAscii(*data));  // 64 hex digits, same shape as a digest
  if (!parsed) return Status::Corruption("master key " + path + " is not 64 hex digits");
  Key master;
  std::copy(parsed->begin(), parsed->end(), master.begin());
  Keys k = FromMaster(master);
  sodium_memzero(master.data(), master.size());
  sodium_memzero(data->data(), data->size());
  return k;
}

Key Keys::BlockKey(const KeySeed& seed) const {
  Key out;
  crypto_generichash(out.data(), out.size(), seed.data(), seed.size(), block_kek_.data(),
                     block_kek_.size());
  return out;
}

KeySeed Keys::NewSeed() {
  KeySeed s;
  randombytes_buf(s.data(), s.size());
  return s;
}

}  // namespace custodian::store
