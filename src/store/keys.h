// The archive's master key and the subkeys derived from it (docs/storage-format.md, "Keys").
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "custodian/status.h"
#include "util/env.h"

namespace custodian::store {

using Key = std::array<uint8_t, 32>;
using KeySeed = std::array<uint8_t, 32>;

class Keys {
 public:
  // Generates a new master key and writes it (hex, mode 0600) to `path`; fails if it exists.
  static Result<Keys> Create(Env* env, const std::string& path);
  static Result<Keys> Load(Env* env, const std::string& path);
  static Keys FromMaster(const Key& master);

  // The key for one block: BLAKE2b-256 keyed with K_block over the block's seed.
  Key BlockKey(const KeySeed& seed) const;
  // The key that seals the catalog's pages (K_catalog).
  const Key& CatalogKey() const { return catalog_key_; }
  static KeySeed NewSeed();

 private:
  Key block_kek_{};
  Key catalog_key_{};
};

}  // namespace custodian::store
