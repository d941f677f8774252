// An SQLite VFS that encrypts the catalog at rest (docs/storage-format.md, "Catalog encryption").
// Every page of the database file, and every page image in its WAL, is sealed with
// XChaCha20-Poly1305 under the catalog key; the nonce and tag live in 40 bytes that SQLite
// reserves at the end of each page. Headers SQLite needs before it can read pages (the first 100
// bytes of the database, the WAL and frame headers) stay in the clear; they hold no mail data.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace custodian::catalog {

// New catalogs use 8 KiB pages (4 KiB ones, from earlier versions, are read as they are: each
// file's header gives its page size).
constexpr int kNewPageSize = 8192;
constexpr int kReservedBytes = 40;  // 24-byte nonce + 16-byte tag
constexpr const char* kEncryptedVfsName = "custodian-encrypted";

using CatalogKey = std::array<uint8_t, 32>;

// Registers the VFS (once) and the key; returns a token to put in the database URI as
// "custodian_key=<token>". The key stays registered until ForgetCatalogKey(token).
std::string RegisterCatalogKey(const CatalogKey& key);
void ForgetCatalogKey(const std::string& token);

}  // namespace custodian::catalog
