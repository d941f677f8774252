#include "catalog/catalog.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace custodian::catalog {
namespace {

class CatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/custodian-cat-XXXXXX";
    dir_ = mkdtemp(tmpl);
    auto c = Catalog::Open(dir_ + "/catalog.db", false, key_);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    cat_ = std::move(*c);
  }
  void TearDown() override {
    cat_.reset();
    std::system(("rm -rf " + dir_).c_str());
  }
  int64_t AddMsg(const std::string& bytes, std::optional<int64_t> date) {
    MessageRow m;
    m.id = ComputeSha256(bytes);
    m.block_id = 1;
    m.size = bytes.size();
    m.date = date;
    m.subject = "s:" + bytes;
    auto r = cat_->AddMessage(m);
    EXPECT_TRUE(r.ok());
    return *r;
  }
  std::string dir_;
  CatalogKey key_{7, 7, 7};
  std::unique_ptr<Catalog> cat_;
};

TEST_F(CatalogTest, MessagesCopiesAndDedup) {
  ASSERT_TRUE(cat_->Begin().ok());
  int64_t a = AddMsg("a", 100), b = AddMsg("b", 200);
  auto alice = *cat_->EnsureCustodian("alice");
  EXPECT_EQ(*cat_->EnsureCustodian("alice"), alice);
  auto inbox = *cat_->EnsureFolder(alice, "inbox");
  auto sent = *cat_->EnsureFolder(alice, "sent");
  EXPECT_TRUE(*cat_->AddCopy(a, inbox, "S", false, ""));
  EXPECT_FALSE(*cat_->AddCopy(a, inbox, "S", false, ""));  // same message, same folder: no new copy
  EXPECT_TRUE(*cat_->AddCopy(a, sent, "", false, ""));
  EXPECT_TRUE(*cat_->AddCopy(b, inbox, "T", true, "x@y Mon Jan 1 00:00:00 2001"));
  ASSERT_TRUE(cat_->Commit().ok());

  EXPECT_EQ(**cat_->FindMessage(ComputeSha256("a")), a);
  EXPECT_FALSE(cat_->FindMessage(ComputeSha256("zz"))->has_value());
  auto st = cat_->Stats();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->messages, 2u);
  EXPECT_EQ(st->copies, 3u);
  ASSERT_EQ(st->per_custodian.size(), 1u);
  EXPECT_EQ(st->per_custodian[0].messages, 2u);
  EXPECT_EQ(st->per_custodian[0].deleted, 1u);

  // Deleted copies are hidden unless asked for; newest first.
  std::vector<std::string> seen;
  ASSERT_TRUE(cat_->ForEachCopy({}, [&](const CopyRow& c, const MessageRow& m) {
    seen.push_back(m.subject + "@" + c.folder);
    return Status::Ok();
  }).ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"s:a@inbox", "s:a@sent"}));
  CopyFilter all;
  all.include_deleted = true;
  all.folder = "inbox";
  seen.clear();
  ASSERT_TRUE(cat_->ForEachCopy(all, [&](const CopyRow& c, const MessageRow& m) {
    seen.push_back(m.subject + (c.deleted ? "(deleted)" : ""));
    return Status::Ok();
  }).ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"s:b(deleted)", "s:a"}));
}

// A statement prepared lazily compiles on first use: it may name a table created after it, and
// SQL that does not compile is reported by Step, not lost.
TEST_F(CatalogTest, LazyStatementsCompileOnFirstUse) {
  Statement later = cat_->db()->PrepareLazy("INSERT INTO lazy_probe(x) VALUES(?)");
  Statement broken = cat_->db()->PrepareLazy("SELEKT nothing");
  ASSERT_TRUE(cat_->db()->Exec("CREATE TABLE lazy_probe(x INTEGER)").ok());
  ASSERT_TRUE(later.Bind(1, int64_t(42)).Exec().ok());
  ASSERT_TRUE(later.Bind(1, int64_t(43)).Exec().ok());
  auto sum = cat_->db()->Prepare("SELECT SUM(x) FROM lazy_probe");
  ASSERT_TRUE(sum.ok());
  ASSERT_TRUE(*sum->Step());
  EXPECT_EQ(sum->Int(0), 85);
  broken.Bind(1, int64_t(1));  // nothing to bind to: ignored
  auto r = broken.Step();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("syntax error"), std::string::npos) << r.status().ToString();
  Statement never;
  EXPECT_FALSE(never.Step().ok());
}

TEST_F(CatalogTest, PrefixLookup) {
  ASSERT_TRUE(cat_->Begin().ok());
  for (int i = 0; i < 200; i++) AddMsg("m" + std::to_string(i), i);
  ASSERT_TRUE(cat_->Commit().ok());
  std::string full = ToHex(ComputeSha256("m42"));
  for (size_t len : {1, 2, 5, 12, 64}) {
    auto r = cat_->FindByPrefix(full.substr(0, len), 1000);
    ASSERT_TRUE(r.ok());
    bool found = false;
    for (const auto& id : *r) {
      EXPECT_EQ(ToHex(id).substr(0, len), full.substr(0, len));
      found |= ToHex(id) == full;
    }
    EXPECT_TRUE(found) << len;
  }
  // Upper-case input and an all-f prefix (no upper bound) work.
  EXPECT_EQ(cat_->FindByPrefix([&] { std::string u = full.substr(0, 12); for (char& ch : u) ch = char(toupper(ch)); return u; }(), 5)->size(), 1u);
  EXPECT_TRUE(cat_->FindByPrefix("ffffffff", 5).ok());
  EXPECT_FALSE(cat_->FindByPrefix("xyz", 5).ok());
}

TEST_F(CatalogTest, SegmentsAndBlocks) {
  ASSERT_TRUE(cat_->Begin().ok());
  ASSERT_TRUE(cat_->SetSegment({1, 100, true}).ok());
  ASSERT_TRUE(cat_->SetSegment({2, 50, false}).ok());
  ASSERT_TRUE(cat_->SetSegment({2, 80, false}).ok());
  BlockRow b;
  b.block_id = 5;
  b.loc = {2, 32, 48};
  b.seed[0] = 7;
  ASSERT_TRUE(cat_->AddBlock(b).ok());
  ASSERT_TRUE(cat_->Commit().ok());
  auto act = cat_->ActiveSegment();
  EXPECT_EQ(act->segment, 2u);
  EXPECT_EQ(act->committed_length, 80u);
  EXPECT_EQ(*cat_->MaxBlockId(), 5);
  auto got = cat_->GetBlock(5);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->seed[0], 7);
  EXPECT_EQ(got->loc.length, 48u);
  EXPECT_EQ(cat_->GetBlock(6).status().code(), Status::Code::kNotFound);
}

}  // namespace
}  // namespace custodian::catalog

namespace custodian::catalog {
namespace {

std::string Slurp(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return "";
  std::string s;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
  std::fclose(f);
  return s;
}

class EncryptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/custodian-enc-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }
  void AddRows(Catalog* c, int n, const std::string& subject) {
    ASSERT_TRUE(c->Begin().ok());
    for (int i = 0; i < n; i++) {
      MessageRow m;
      m.id = ComputeSha256(subject + std::to_string(i));
      m.subject = subject;
      m.from = "zanzibar.treasurer@example.org";
      ASSERT_TRUE(c->AddMessage(m).ok());
    }
    ASSERT_TRUE(c->Commit().ok());
  }
  std::string dir_;
  CatalogKey key_{1, 2, 3};
};

TEST_F(EncryptionTest, NothingReadableOnDiskAndWrongKeyRefused) {
  std::string path = dir_ + "/catalog.db";
  {
    auto c = Catalog::Open(path, false, key_);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    AddRows(c->get(), 500, "Quarterly Zanzibar report");
    // While open, the committed rows sit in the WAL: it must be sealed too.
    std::string wal = Slurp(path + "-wal");
    EXPECT_GT(wal.size(), 10000u);
    EXPECT_EQ(wal.find("Zanzibar"), std::string::npos);
    EXPECT_EQ(wal.find("CREATE TABLE"), std::string::npos);
  }
  std::string db = Slurp(path);
  EXPECT_GT(db.size(), 10000u);
  EXPECT_EQ(db.find("Zanzibar"), std::string::npos);
  EXPECT_EQ(db.find("zanzibar.treasurer"), std::string::npos);
  EXPECT_EQ(db.find("CREATE TABLE"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(path + "-journal"));

  CatalogKey wrong = key_;
  wrong[0] ^= 1;
  auto bad = Catalog::Open(path, true, wrong);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("cannot be decrypted"), std::string::npos) << bad.status().ToString();

  auto good = Catalog::Open(path, true, key_);
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  EXPECT_EQ((*good)->Stats()->messages, 500u);
}

// Catalogs written before 8 KiB pages have 4 KiB ones: each file's header gives its page size,
// for the database and for its WAL, and such a catalog is used as it is.
TEST_F(EncryptionTest, FourKibPageCatalogStaysReadableAndWritable) {
  std::string path = dir_ + "/catalog.db";
  {
    std::string token = RegisterCatalogKey(key_);
    auto db = Database::OpenUri("file:" + path + "?vfs=" + kEncryptedVfsName + "&custodian_key=" + token, path, false);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    int want = kReservedBytes;
    sqlite3_file_control(db->raw(), "main", SQLITE_FCNTL_RESERVE_BYTES, &want);
    ASSERT_TRUE(db->Exec("PRAGMA page_size=4096; PRAGMA journal_mode=MEMORY; CREATE TABLE early(x);"
                         " PRAGMA journal_mode=WAL;").ok());
    ForgetCatalogKey(token);
  }
  auto page_size = [&] {
    std::string h = Slurp(path).substr(16, 2);
    return (uint8_t(h[0]) << 8) | uint8_t(h[1]);
  };
  ASSERT_EQ(page_size(), 4096);
  {
    auto c = Catalog::Open(path, false, key_);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    AddRows(c->get(), 400, "Written into four KiB pages");
    EXPECT_EQ(Slurp(path + "-wal").find("Written into"), std::string::npos);
  }
  EXPECT_EQ(page_size(), 4096);
  auto r = Catalog::Open(path, true, key_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)->Stats()->messages, 400u);
  EXPECT_EQ(Slurp(path).find("Written into"), std::string::npos);
  // And a new catalog gets the new size.
  auto fresh = Catalog::Open(dir_ + "/new.db", false, key_);
  ASSERT_TRUE(fresh.ok());
  fresh->reset();
  EXPECT_EQ(uint8_t(Slurp(dir_ + "/new.db")[16]) << 8, kNewPageSize);
}

// The page size comes from the file header, in the clear: a damaged one is refused with the
// catalog's own error, not read with a wrong page size.
TEST_F(EncryptionTest, ADamagedPageSizeInTheHeaderIsRefused) {
  std::string path = dir_ + "/catalog.db";
  {
    auto c = Catalog::Open(path, false, key_);
    ASSERT_TRUE(c.ok());
    AddRows(c->get(), 50, "before the damage");
  }
  for (auto bytes : {std::string("\x03\x00", 2), std::string("\x00\x10", 2)}) {  // 768, 16: not valid
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(16);
    f.write(bytes.data(), 2);
    f.close();
    auto bad = Catalog::Open(path, true, key_);
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.status().message().find("catalog"), std::string::npos) << bad.status().ToString();
  }
}

TEST_F(EncryptionTest, WalRecoveryAfterCrashAndTornTail) {
  std::string path = dir_ + "/catalog.db", copy = dir_ + "/copy.db";
  auto c = Catalog::Open(path, false, key_);
  ASSERT_TRUE(c.ok());
  AddRows(c->get(), 300, "committed before the crash");
  // A crash while open: copy the database and its WAL as they are on disk now.
  std::filesystem::copy_file(path, copy);
  std::filesystem::copy_file(path + "-wal", copy + "-wal");
  {
    // A torn last frame: half a frame of garbage after the committed ones.
    FILE* f = std::fopen((copy + "-wal").c_str(), "ab");
    std::string junk(2048, '\x5a');
    std::fwrite(junk.data(), 1, junk.size(), f);
    std::fclose(f);
  }
  auto r = Catalog::Open(copy, false, key_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)->Stats()->messages, 300u);
  auto problems = (*r)->CheckConsistency();
  ASSERT_TRUE(problems.ok());
  for (const auto& p : *problems) EXPECT_EQ(p.find("catalog database"), std::string::npos) << p;
}

}  // namespace
}  // namespace custodian::catalog

namespace custodian::catalog {
namespace {

TEST_F(CatalogTest, OlderSchemaIsUpgradedByAWriterAndExplainedToAReader) {
  ASSERT_TRUE(cat_->SetMeta("schema_version", "1").ok());
  ASSERT_TRUE(cat_->db()->Exec("ALTER TABLE messages DROP COLUMN ledger_leaf").ok());  // as before schema 5
  cat_.reset();
  auto reader = Catalog::Open(dir_ + "/catalog.db", true, key_);
  ASSERT_FALSE(reader.ok());
  EXPECT_NE(reader.status().message().find("older version"), std::string::npos) << reader.status().ToString();
  auto writer = Catalog::Open(dir_ + "/catalog.db", false, key_);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  EXPECT_EQ(*(*writer)->GetMeta("schema_version"), "5");
  EXPECT_TRUE((*writer)->db()->Prepare("SELECT ledger_leaf FROM messages").ok()) << "schema 5 column added";
  writer->reset();
  EXPECT_TRUE(Catalog::Open(dir_ + "/catalog.db", true, key_).ok());
  // A newer archive is refused by both.
  {
    auto w = Catalog::Open(dir_ + "/catalog.db", false, key_);
    ASSERT_TRUE((*w)->SetMeta("schema_version", "99").ok());
  }
  auto newer = Catalog::Open(dir_ + "/catalog.db", true, key_);
  ASSERT_FALSE(newer.ok());
  EXPECT_NE(newer.status().message().find("newer version"), std::string::npos);
  EXPECT_FALSE(Catalog::Open(dir_ + "/catalog.db", false, key_).ok());
}

TEST_F(CatalogTest, Schema3GainsTheAuthenticityTablesWhenAWriterOpensIt) {
  // A schema 3 catalog: as this build writes it, without the tables schema 4 added.
  ASSERT_TRUE(cat_->db()->Exec("DROP TABLE dkim_signatures; DROP TABLE dkim_results; DROP TABLE dkim_keys").ok());
  ASSERT_TRUE(cat_->SetMeta("schema_version", "3").ok());
  cat_.reset();
  auto reader = Catalog::Open(dir_ + "/catalog.db", true, key_);
  ASSERT_FALSE(reader.ok());
  EXPECT_NE(reader.status().message().find("custodian reindex"), std::string::npos);
  auto writer = Catalog::Open(dir_ + "/catalog.db", false, key_);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  EXPECT_EQ(*(*writer)->GetMeta("schema_version"), "5");
  auto todo = (*writer)->MessagesToRecheck();
  ASSERT_TRUE(todo.ok()) << todo.status().ToString();
}

TEST_F(CatalogTest, DkimResultsAreAppendedAndKeysKeptPerVersion) {
  int64_t msg = AddMsg("signed", 1);
  DkimKeyRow k{0, "s1._domainkey.example.org", "v=DKIM1; p=AAAA", 0, "key file k.txt line 1", "unknown", 100};
  auto k1 = cat_->KeepDkimKey(k);
  ASSERT_TRUE(k1.ok());
  EXPECT_EQ(*cat_->KeepDkimKey(k), *k1);  // the same record is kept once
  k.record = "v=DKIM1; p=BBBB";  // the domain rotated its key: both versions stay
  auto k2 = cat_->KeepDkimKey(k);
  ASSERT_TRUE(k2.ok());
  EXPECT_NE(*k2, *k1);
  std::vector<std::string> records;
  ASSERT_TRUE(cat_->ForEachDkimKey([&](const DkimKeyRow& r) {
    records.push_back(r.record);
    EXPECT_EQ(r.fetched_at, 0);
    return Status::Ok();
  }).ok());
  EXPECT_EQ(records, (std::vector<std::string>{"v=DKIM1; p=AAAA", "v=DKIM1; p=BBBB"}));

  // A message added now counts as checked at import: with no row, it is unsigned ("none").
  EXPECT_TRUE(cat_->MessagesToRecheck()->empty());
  auto implicit = cat_->DkimResults(msg);
  ASSERT_TRUE(implicit.ok());
  ASSERT_EQ(implicit->size(), 1u);
  EXPECT_EQ((*implicit)[0].verdict, "none");
  EXPECT_EQ((*implicit)[0].reason, kUnsignedReason);
  EXPECT_EQ(cat_->SummarizeDkim()->verdicts["none"], 1u);
  EXPECT_EQ(cat_->SummarizeDkim()->unchecked, 0u);
  // One from before the archive verified DKIM (before meta.dkim_checked_from) was never checked.
  ASSERT_TRUE(cat_->SetMeta("dkim_checked_from", std::to_string(msg + 1)).ok());
  EXPECT_TRUE(cat_->DkimResults(msg)->empty());
  EXPECT_EQ(cat_->SummarizeDkim()->unchecked, 1u);
  EXPECT_EQ(cat_->MessagesToRecheck()->size(), 1u);  // never checked
  DkimResultRow r;
  r.msg = msg;
  r.verified_at = 10;
  r.as_of = 10;
  r.verdict = "temperror";
  r.arc = "none";
  r.reason = "no key";
  r.report = "{}";
  DkimSignatureRow g;
  g.d = "Example.ORG";
  g.s = "s1";
  g.a = "rsa-sha256";
  g.result = "temperror";
  g.body_hash = "match";
  g.reason = "no key";
  g.headers = {"from", "subject"};
  g.body_length_limit = 12;
  g.body_bytes_signed = 12;
  g.body_bytes_unsigned = 30;
  r.signatures = {g};
  ASSERT_TRUE(cat_->AddDkimResult(r).ok());
  EXPECT_EQ(cat_->MessagesToRecheck()->size(), 1u);  // a temperror: keys may come
  r.verdict = "pass";
  r.signatures[0].result = "pass";
  r.signatures[0].key_id = *k2;
  ASSERT_TRUE(cat_->AddDkimResult(r).ok());
  EXPECT_TRUE(cat_->MessagesToRecheck()->empty());
  auto history = cat_->DkimResults(msg);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 2u);  // the old result stays
  EXPECT_EQ((*history)[0].verdict, "temperror");
  const DkimSignatureRow& got = (*history)[1].signatures.at(0);
  EXPECT_EQ(got.d, "example.org");
  EXPECT_EQ(got.headers, (std::vector<std::string>{"from", "subject"}));
  EXPECT_EQ(got.body_length_limit, 12);
  EXPECT_EQ(got.body_bytes_unsigned, 30u);
  EXPECT_EQ(got.key_id, *k2);

  auto dkim_problems = [&] {
    std::vector<std::string> out;
    auto problems = cat_->CheckConsistency();
    EXPECT_TRUE(problems.ok());
    if (problems.ok())
      for (const auto& p : *problems)
        if (p.find("DKIM") != std::string::npos) out.push_back(p);
    return out;
  };
  EXPECT_TRUE(dkim_problems().empty());
  r.msg = 999;  // no such message
  ASSERT_TRUE(cat_->AddDkimResult(r).ok());
  EXPECT_EQ(dkim_problems().size(), 1u);
}

}  // namespace
}  // namespace custodian::catalog
