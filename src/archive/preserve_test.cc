// Preservation through the engine's API: the ledger, delete/recover, retention, holds, disposal
// by crypto-shredding, and verify naming what was tampered with.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "catalog/catalog.h"
#include "custodian/archive.h"
#include "ledger/checkpoint.h"
#include "ledger/merkle.h"
#include "ledger/record.h"
#include "preserve/ledger.h"
#include "store/keys.h"
#include "util/aead.h"
#include "util/digest.h"
#include "util/env.h"

namespace custodian {
namespace {

namespace fs = std::filesystem;

std::string Msg(const std::string& from, const std::string& subject, const std::string& body,
                const std::string& date = "Mon, 14 May 2001 16:39:00 -0700") {
  return "From: " + from + "\nTo: bob@example.com\nSubject: " + subject + "\nDate: " + date +
         "\nMessage-ID: <" + subject + "@example.com>\n\n" + body;
}

void WriteFile(const fs::path& p, const std::string& data) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << data;
}

std::string ReadAll(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

const Attribution kWho{"officer", "test"};

class PreserveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/custodian-preserve-XXXXXX";
    root_ = mkdtemp(tmpl);
    dir_ = root_ / "archive";
    ASSERT_TRUE(Archive::Init(dir_).ok());
    one_ = Msg("alice@example.com", "one", "the zanzibar quarterly numbers\n");
    two_ = Msg("alice@example.com", "two", "second message body\n");
    three_ = Msg("alice@example.com", "three", "third message body\n");
    WriteFile(root_ / "md/cur/1.host:2,S", one_);
    WriteFile(root_ / "md/cur/2.host:2,S", two_);
    WriteFile(root_ / "md/.Sent/cur/3.host:2,S", three_);
    WriteFile(root_ / "md/.Sent/cur/4.host:2,S", one_);  // a second copy of one
    fs::create_directories(root_ / "md/new");
    fs::create_directories(root_ / "md/tmp");
  }
  void TearDown() override { fs::remove_all(root_); }

  std::unique_ptr<Archive> Open(Archive::Mode mode = Archive::Mode::kWrite,
                                const fs::path& dir = {}) {
    auto a = Archive::Open(dir.empty() ? dir_ : dir, mode);
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    return a.ok() ? std::move(*a) : nullptr;
  }
  void Import(Archive* a, const fs::path& path, const std::string& custodian) {
    ImportOptions o;
    o.custodian = custodian;
    o.actor = "importer";
    auto r = a->Import({path}, o, nullptr);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  VerifyReport Verify(const fs::path& dir, const std::string& checkpoint = "") {
    auto a = Open(Archive::Mode::kReadOnly, dir);
    if (!a) return {};
    auto rep = a->Verify(nullptr, checkpoint);
    EXPECT_TRUE(rep.ok()) << rep.status().ToString();
    return rep.ok() ? *rep : VerifyReport{};
  }
  static std::string Problems(const VerifyReport& r) {
    std::string s;
    for (const auto& p : r.problems) s += p.what + " " + p.where + ": " + p.detail + "\n";
    return s;
  }
  // The catalog opened directly, with the archive's key: an intruder who has the key.
  std::unique_ptr<catalog::Catalog> RawCatalog(const fs::path& dir) {
    auto keys = store::Keys::Load(Env::Default(), (dir / "keys/master.key").string());
    EXPECT_TRUE(keys.ok());
    auto c = catalog::Catalog::Open((dir / "catalog.db").string(), false, keys->CatalogKey());
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(*c) : nullptr;
  }
  std::vector<ledger::Record> Records() {
    std::vector<ledger::Record> out;
    auto c = RawCatalog(dir_);
    auto l = preserve::Ledger::Open(c->db(), true);
    EXPECT_TRUE(l.ok());
    EXPECT_TRUE((*l)->ForEachLeaf([&](uint64_t, std::string_view bytes) {
                      auto r = ledger::DecodeRecord(bytes);
                      EXPECT_TRUE(r.ok()) << r.status().ToString();
                      if (r.ok()) out.push_back(*r);
                      return Status::Ok();
                    })
                    .ok());
    return out;
  }
  fs::path Copy(const std::string& name) {
    fs::path to = root_ / name;
    fs::copy(dir_, to, fs::copy_options::recursive);
    return to;
  }

  fs::path root_, dir_;
  std::string one_, two_, three_;
};

TEST_F(PreserveTest, EveryChangeIsARecordUnderASignedCheckpoint) {
  {
    auto a = Open();
    Import(a.get(), root_ / "md", "alice");
    Import(a.get(), root_ / "md", "alice");  // nothing new: no records
  }
  auto recs = Records();
  ASSERT_EQ(recs.size(), 5u);  // ledger started, 3 messages stored, 1 more copy
  EXPECT_EQ(recs[0].type, ledger::RecordType::kAudit);
  int stored = 0, copies = 0;
  for (const auto& r : recs) {
    stored += r.type == ledger::RecordType::kMessageStored;
    copies += r.type == ledger::RecordType::kCopyAdded;
    if (r.type == ledger::RecordType::kMessageStored) {
      EXPECT_EQ(r.actor, "importer");
    }
  }
  EXPECT_EQ(stored, 3);
  EXPECT_EQ(copies, 1);

  auto a = Open(Archive::Mode::kReadOnly);
  auto cp = a->Checkpoint();
  ASSERT_TRUE(cp.ok()) << cp.status().ToString();
  EXPECT_EQ(cp->tree_size, 5u);
  auto vkey = ledger::ParseVerifierKey(cp->verifier_key);
  ASSERT_TRUE(vkey.ok());
  EXPECT_EQ(ReadAll(dir_ / "keys/ledger.pub"), cp->verifier_key + "\n");
  auto opened = ledger::OpenCheckpoint(cp->note, *vkey);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(ToHex(opened->root_hash), cp->root_hash);

  // The proof checks with nothing but RFC 9162 and the signed root.
  std::string id = ToHex(ComputeSha256(one_));
  auto p = a->Prove(id);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->event, "message stored");
  ledger::InclusionProof proof{p->leaf_index, p->tree_size, {}};
  for (const auto& h : p->path) proof.path.push_back(*Sha256FromHex(h));
  EXPECT_TRUE(ledger::VerifyInclusion(proof, *Sha256FromHex(p->leaf_hash), opened->root_hash).ok());
  std::string record;
  for (size_t i = 0; i + 1 < p->record.size(); i += 2)
    record.push_back(char(std::stoi(p->record.substr(i, 2), nullptr, 16)));
  EXPECT_EQ(ToHex(ledger::HashLeaf(record)), p->leaf_hash);
  EXPECT_EQ(ledger::DecodeRecord(record)->message, ComputeSha256(one_));

  auto rep = a->Verify(nullptr, "");
  ASSERT_TRUE(rep.ok());
  EXPECT_TRUE(rep->ok()) << Problems(*rep);
  EXPECT_EQ(rep->records_checked, 5u);
  EXPECT_GE(rep->checkpoints_checked, 2u);  // the empty start, then each import batch
}

TEST_F(PreserveTest, DeleteHidesRecoverShowsBothRecorded) {
  auto a = Open();
  Import(a.get(), root_ / "md", "alice");
  std::string id = ToHex(ComputeSha256(one_));
  auto d = a->Delete({"alice", {id.substr(0, 8)}, ""}, kWho);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->changed, 1u);
  auto info = a->Describe(id);
  ASSERT_EQ(info->copies.size(), 2u);
  EXPECT_TRUE(info->copies[0].deleted && info->copies[1].deleted);
  auto hits = a->Search("is:deleted", {});
  ASSERT_EQ(hits->total, 1u);
  EXPECT_EQ(hits->hits[0].message.id, id);
  // Deleting again changes nothing and records nothing.
  EXPECT_EQ(a->Delete({"alice", {id}, ""}, kWho)->changed, 0u);
  auto r = a->Recover({"alice", {}, "subject:one"}, kWho);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->changed, 1u);
  EXPECT_EQ(a->Search("is:deleted", {})->total, 0u);
  EXPECT_EQ(a->Delete({"nobody", {id}, ""}, kWho).status().code(), Status::Code::kNotFound);
  EXPECT_EQ(a->Delete({"alice", {id}, ""}, {"", ""}).status().code(),
            Status::Code::kInvalidArgument);
  a.reset();
  auto recs = Records();
  ASSERT_GE(recs.size(), 2u);
  EXPECT_EQ(recs[recs.size() - 2].type, ledger::RecordType::kDeleted);
  EXPECT_EQ(recs[recs.size() - 2].actor, "officer");
  EXPECT_EQ(recs.back().type, ledger::RecordType::kRecovered);
  EXPECT_EQ(recs.back().custodian, "alice");
  EXPECT_TRUE(Verify(dir_).ok()) << Problems(Verify(dir_));
}

TEST_F(PreserveTest, HoldsBeatRetentionAndCoverLaterMail) {
  auto a = Open();
  Import(a.get(), root_ / "md", "alice");
  // A policy of 0 days over everything; "one" is held by a hold placed after the policy.
  ASSERT_TRUE(a->SetRetention({"all", "*", 0, 0, "", ""}, kWho).ok());
  ASSERT_TRUE(a->SetRetention({"long", "subject:three", 365 * 200, 0, "", ""}, kWho).ok());
  LegalHold h;
  h.matter = "Smith v. Jones";
  h.query = "zanzibar";
  ASSERT_TRUE(a->CreateHold(h, kWho).ok());
  EXPECT_EQ(a->CreateHold(h, kWho).code(), Status::Code::kAlreadyExists);
  // A hold on carol's mail, before any of it arrives.
  LegalHold c;
  c.matter = "Carol";
  c.query = "*";
  c.custodian = "carol";
  ASSERT_TRUE(a->CreateHold(c, {"officer", "carol's mail"}).ok());
  std::string later = Msg("carol@example.com", "late", "arrived after the hold\n");
  WriteFile(root_ / "carol/cur/1.x:2,S", later);
  fs::create_directories(root_ / "carol/new");
  fs::create_directories(root_ / "carol/tmp");
  Import(a.get(), root_ / "carol", "carol");

  auto dry = a->Purge(true, kWho);
  ASSERT_TRUE(dry.ok()) << dry.status().ToString();
  ASSERT_EQ(dry->disposed.size(), 1u);  // only "two"
  EXPECT_EQ(dry->disposed[0].id, ToHex(ComputeSha256(two_)));
  EXPECT_EQ(dry->held, 2u);      // one (hold), late (carol's hold)
  EXPECT_EQ(dry->retained, 1u);  // three: the longest policy wins
  EXPECT_EQ(dry->unmanaged, 0u);
  EXPECT_EQ(a->ReadMessage(ToHex(ComputeSha256(two_))).ok(), true);  // a dry run changes nothing

  auto res = a->Purge(false, kWho);
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->disposed.size(), 1u);
  EXPECT_EQ(a->ReadMessage(ToHex(ComputeSha256(two_))).status().code(), Status::Code::kNotFound);
  EXPECT_TRUE(a->ReadMessage(ToHex(ComputeSha256(one_))).ok());
  EXPECT_TRUE(a->ReadMessage(ToHex(ComputeSha256(later))).ok());

  // Releasing the hold is recorded, and then its messages can go.
  EXPECT_EQ(a->ReleaseHold("Smith v. Jones", {"officer", ""}).code(),
            Status::Code::kInvalidArgument);
  ASSERT_TRUE(a->ReleaseHold("Smith v. Jones", {"counsel", "case settled"}).ok());
  auto holds = a->ListHolds();
  ASSERT_EQ(holds->size(), 2u);
  EXPECT_TRUE((*holds)[0].released.has_value());
  EXPECT_EQ((*holds)[0].released_by, "counsel");
  EXPECT_EQ((*holds)[0].release_reason, "case settled");
  res = a->Purge(false, kWho);
  ASSERT_TRUE(res.ok());
  ASSERT_EQ(res->disposed.size(), 1u);
  EXPECT_EQ(res->disposed[0].id, ToHex(ComputeSha256(one_)));
  // The disposal is provable after the fact.
  auto p = a->Prove(ToHex(ComputeSha256(one_)));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->event, "disposed");
  a.reset();
  auto recs = Records();
  bool released = false;
  int disposed = 0;
  for (const auto& r : recs) {
    if (r.type == ledger::RecordType::kHoldReleased) {
      released = true;
      EXPECT_EQ(r.actor, "counsel");
      EXPECT_EQ(r.reason, "case settled");
      EXPECT_EQ(r.name, "Smith v. Jones");
    }
    if (r.type == ledger::RecordType::kDisposed) {
      disposed++;
      EXPECT_EQ(r.name, "all");
      EXPECT_EQ(r.actor, "officer");
    }
  }
  EXPECT_TRUE(released);
  EXPECT_EQ(disposed, 2);
  auto rep = Verify(dir_);
  EXPECT_TRUE(rep.ok()) << Problems(rep);
}

TEST_F(PreserveTest, NoPolicyNoDisposal) {
  auto a = Open();
  Import(a.get(), root_ / "md", "alice");
  auto res = a->Purge(false, kWho);
  ASSERT_TRUE(res.ok());
  EXPECT_TRUE(res->disposed.empty());
  EXPECT_EQ(res->unmanaged, 3u);
  ASSERT_TRUE(a->SetRetention({"p", "subject:one", std::nullopt, 0, "", ""}, kWho).ok());
  ASSERT_TRUE(a->SetRetention({"q", "subject:one", 0, 0, "", ""}, kWho).ok());
  EXPECT_TRUE(a->Purge(false, kWho)->disposed.empty());  // permanent beats 0 days
  ASSERT_TRUE(a->RemoveRetention("p", kWho).ok());
  EXPECT_EQ(a->RemoveRetention("p", kWho).code(), Status::Code::kNotFound);
  EXPECT_EQ(a->Purge(false, kWho)->disposed.size(), 1u);
  EXPECT_EQ(a->SetRetention({"bad", "from:(", 1, 0, "", ""}, kWho).code(),
            Status::Code::kInvalidArgument);
}

// Scans every page of the catalog and every frame of its WAL, decrypted with the catalog key as
// SQLite would see them, and the raw bytes of every file, for `needle`.
bool FoundAnywhere(const fs::path& dir, const std::string& needle) {
  auto keys = store::Keys::Load(Env::Default(), (dir / "keys/master.key").string());
  const auto& key = keys->CatalogKey();
  auto open_page = [&](std::string page) -> std::string {
    size_t size = page.size();
    for (size_t from : {size_t(0), size_t(100)}) {
      std::string p = page;
      auto* b = reinterpret_cast<uint8_t*>(p.data());
      const uint8_t* nonce = b + size - 40;
      if (AeadOpen(b + from, size - 40 - from, nullptr, 0, nonce, key.data(), nonce + 24)) return p;
    }
    return page;
  };
  auto be = [](const std::string& d, size_t at, int n) {
    size_t v = 0;
    for (int i = 0; i < n; i++) v = v << 8 | static_cast<unsigned char>(d[at + size_t(i)]);
    return v;
  };
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::string data = ReadAll(e.path());
    if (data.find(needle) != std::string::npos) return true;
    std::string name = e.path().filename().string();
    // Each file's page size is in its header (docs/storage-format.md, "Catalog encryption").
    if (name == "catalog.db" && data.size() >= 100) {
      size_t page = be(data, 16, 2) == 1 ? 65536 : be(data, 16, 2);
      for (size_t off = 0; off + page <= data.size(); off += page)
        if (open_page(data.substr(off, page)).find(needle) != std::string::npos) return true;
    } else if (name == "catalog.db-wal" && data.size() >= 32) {
      size_t page = be(data, 8, 4);
      for (size_t off = 32; off + 24 + page <= data.size(); off += 24 + page)
        if (open_page(data.substr(off + 24, page)).find(needle) != std::string::npos) return true;
    }
  }
  return false;
}

TEST_F(PreserveTest, PurgeDestroysTheContentAndItsKey) {
  std::string secret = Msg("dave@example.com", "secret", "xylophonist quokka payroll 4471-2231\n");
  WriteFile(root_ / "d/cur/1.x:2,S", secret);
  fs::create_directories(root_ / "d/new");
  fs::create_directories(root_ / "d/tmp");
  std::string id = ToHex(ComputeSha256(secret));
  store::KeySeed seed{}, text_seed{};
  std::string dead_record;  // the encrypted block that held the message
  {
    auto a = Open();
    Import(a.get(), root_ / "md", "alice");
    Import(a.get(), root_ / "d", "dave");
    EXPECT_EQ(a->Search("quokka", {})->total, 1u);
    EXPECT_EQ(a->Search("text:\"payroll 4471\"", {})->total, 1u);
    ASSERT_TRUE(a->SetRetention({"dave", "custodian:dave", 0, 0, "", ""}, kWho).ok());
  }
  {
    auto c = RawCatalog(dir_);
    auto msg = c->FindMessage(ComputeSha256(secret));
    auto row = c->GetMessage(**msg);
    auto block = c->GetBlock(row->block_id);
    seed = block->seed;
    dead_record =
        ReadAll(dir_ / "segments/00000001.seg").substr(block->loc.offset, block->loc.length);
    ASSERT_EQ(block->loc.segment, 1u);
    auto t = c->db()->Prepare(
        "SELECT b.key_seed FROM texts t JOIN blocks b ON b.block_id = t.block_id"
        " WHERE t.text_id = ?");
    t->Bind(1, *row->text_id);
    ASSERT_TRUE(*t->Step());
    std::string_view s = t->Blob(0);
    std::copy(s.begin(), s.end(), text_seed.begin());
  }
  std::string seed_bytes(seed.begin(), seed.end()),
      text_seed_bytes(text_seed.begin(), text_seed.end());
  ASSERT_TRUE(FoundAnywhere(dir_, seed_bytes));  // the check can fail: the seed is there before
  {
    auto a = Open();
    auto res = a->Purge(false, kWho);
    ASSERT_TRUE(res.ok()) << res.status().ToString();
    ASSERT_EQ(res->disposed.size(), 1u);
    EXPECT_EQ(res->texts_disposed, 1u);
    EXPECT_GE(res->blocks_rewritten, 2u);
    EXPECT_TRUE(res->warning.empty()) << res->warning;
    EXPECT_GT(res->bytes_reclaimed, 0u);
    EXPECT_EQ(a->Search("quokka", {})->total, 0u);
    EXPECT_EQ(a->Search("xylophonist OR from:dave@example.com", {})->total, 0u);
    EXPECT_EQ(a->Search("text:\"payroll 4471\"", {})->total, 0u);
    EXPECT_EQ(a->Search("re:/quokka/", {})->total, 0u);
    EXPECT_EQ(a->ReadMessage(id).status().code(), Status::Code::kNotFound);
    // The others survived the rewrite of their block.
    EXPECT_TRUE(a->ReadMessage(ToHex(ComputeSha256(one_))).ok());
    EXPECT_EQ(a->Search("zanzibar", {})->total, 1u);
  }
  EXPECT_FALSE(FoundAnywhere(dir_, seed_bytes)) << "the disposed block's key seed survives";
  EXPECT_FALSE(FoundAnywhere(dir_, text_seed_bytes))
      << "the disposed text block's key seed survives";
  EXPECT_FALSE(FoundAnywhere(dir_, "quokka"));
  EXPECT_FALSE(FoundAnywhere(dir_, "xylophonist"));
  // Compaction rewrote the segment: the dead block's ciphertext is no longer on disk.
  EXPECT_FALSE(fs::exists(dir_ / "segments/00000001.seg"));
  ASSERT_GT(dead_record.size(), 200u);
  for (size_t off = 0; off + 64 <= dead_record.size(); off += 64)
    EXPECT_FALSE(FoundAnywhere(dir_, dead_record.substr(off, 64))) << "dead block bytes at " << off;
  auto rep = Verify(dir_);
  EXPECT_TRUE(rep.ok()) << Problems(rep);
}

TEST_F(PreserveTest, VerifyNamesWhatWasTamperedWith) {
  std::string id_one = ToHex(ComputeSha256(one_)), id_two = ToHex(ComputeSha256(two_));
  {
    auto a = Open();
    Import(a.get(), root_ / "md", "alice");
    LegalHold h;
    h.matter = "M";
    h.query = "*";
    ASSERT_TRUE(a->CreateHold(h, kWho).ok());
  }
  ASSERT_TRUE(Verify(dir_).ok());
  auto expect_named = [&](const fs::path& dir, const std::string& where,
                          const std::string& detail) {
    auto rep = Verify(dir);
    bool found = false;
    for (const auto& p : rep.problems)
      found |=
          p.where.find(where) != std::string::npos && p.detail.find(detail) != std::string::npos;
    EXPECT_TRUE(found) << "expected '" << where << "' / '" << detail << "' in:\n" << Problems(rep);
  };
  {  // a copy row deleted
    fs::path d = Copy("t1");
    ASSERT_TRUE(RawCatalog(d)
                    ->db()
                    ->Exec("DELETE FROM copies WHERE folder_id = (SELECT folder_id FROM folders"
                           " WHERE path = 'Sent') AND msg = (SELECT msg FROM messages WHERE"
                           " subject = 'one')")
                    .ok());
    expect_named(d, id_one + " in alice/Sent", "missing from the catalog");
  }
  {  // a message record removed, with its copies, cleanly
    fs::path d = Copy("t2");
    ASSERT_TRUE(
        RawCatalog(d)
            ->db()
            ->Exec(
                "DELETE FROM copies WHERE msg = (SELECT msg FROM messages WHERE subject = 'two');"
                " DELETE FROM messages WHERE subject = 'two'")
            .ok());
    expect_named(d, id_two, "missing from the catalog, and no disposal is recorded");
  }
  {  // a ledger record altered: the copy in Sent now claims to be deleted
    fs::path d = Copy("t3");
    auto c = RawCatalog(d);
    auto l = preserve::Ledger::Open(c->db(), true);
    uint64_t target = 0;
    std::string bytes;
    ASSERT_TRUE((*l)->ForEachLeaf([&](uint64_t leaf, std::string_view b) {
                      auto r = ledger::DecodeRecord(b);
                      if (r->type == ledger::RecordType::kCopyAdded) {
                        target = leaf;
                        r->deleted = true;
                        bytes = *ledger::EncodeRecord(*r);
                      }
                      return Status::Ok();
                    })
                    .ok());
    ASSERT_FALSE(bytes.empty());
    {  // the statement must be finalized before its connection closes
      auto s = c->db()->Prepare("UPDATE ledger_leaves SET record = ? WHERE leaf = ?");
      ASSERT_TRUE(s->BindBlob(1, bytes.data(), bytes.size()).Bind(2, int64_t(target)).Exec().ok());
    }
    l->reset();
    c.reset();
    expect_named(d, "tree size", "do not hash to the root it signed");
    expect_named(d, id_one + " in alice/Sent", "says deleted");
  }
  {  // a ledger record removed
    fs::path d = Copy("t6");
    ASSERT_TRUE(RawCatalog(d)->db()->Exec("DELETE FROM ledger_leaves WHERE leaf = 2").ok());
    expect_named(d, "ledger record 2", "missing");
    expect_named(d, "tree size", "do not hash to the root it signed");
  }
  {  // a hold removed behind the ledger's back
    fs::path d = Copy("t4");
    ASSERT_TRUE(RawCatalog(d)->db()->Exec("DELETE FROM holds").ok());
    expect_named(d, "M", "missing from the catalog");
  }
  {  // a message slipped in: catalog rows without a record
    fs::path d = Copy("t5");
    ASSERT_TRUE(RawCatalog(d)
                    ->db()
                    ->Exec("UPDATE messages SET ledger_leaf = NULL WHERE subject = 'three'")
                    .ok());
    expect_named(d, ToHex(ComputeSha256(three_)), "names ledger record none");
  }
}

TEST_F(PreserveTest, RollbackIsCaughtByANewerCheckpoint) {
  {
    auto a = Open();
    Import(a.get(), root_ / "md", "alice");
  }
  fs::path old_copy = Copy("old");
  std::string newer;
  {
    auto a = Open();
    ASSERT_TRUE(a->Delete({"alice", {ToHex(ComputeSha256(two_))}, ""}, kWho).ok());
    newer = a->Checkpoint()->note;
  }
  EXPECT_TRUE(Verify(dir_, newer).ok());
  EXPECT_TRUE(Verify(dir_, newer).checked_against_given);
  // The old copy is a perfectly consistent archive: only the newer checkpoint shows the rollback.
  EXPECT_TRUE(Verify(old_copy).ok());
  auto rep = Verify(old_copy, newer);
  ASSERT_FALSE(rep.ok());
  EXPECT_EQ(rep.problems[0].what, "rollback");
  // Rolled back, then written to past the checkpoint's size: a rewritten history, still caught.
  {
    auto a = Open(Archive::Mode::kWrite, old_copy);
    ASSERT_TRUE(a->Delete({"alice", {ToHex(ComputeSha256(three_))}, ""}, kWho).ok());
    ASSERT_TRUE(a->Recover({"alice", {ToHex(ComputeSha256(three_))}, ""}, kWho).ok());
  }
  rep = Verify(old_copy, newer);
  ASSERT_FALSE(rep.ok());
  EXPECT_EQ(rep.problems[0].what, "rollback");
  EXPECT_NE(rep.problems[0].detail.find("not an extension"), std::string::npos) << Problems(rep);
  // A checkpoint of another log is refused, not trusted.
  auto other = ledger::SignerKey::Generate("someone-else/log");
  ledger::Checkpoint cp{"someone-else/log", 1, ledger::HashLeaf("x"), 1, {}};
  rep = Verify(dir_, *ledger::SignCheckpoint(cp, *other));
  ASSERT_FALSE(rep.ok());
  EXPECT_NE(rep.problems[0].detail.find("not a checkpoint signed by this archive"),
            std::string::npos);
}

TEST_F(PreserveTest, ArchiveFromBeforeTheLedgerIsBackfilled) {
  {
    auto a = Open();
    Import(a.get(), root_ / "md", "alice");
  }
  {  // Turn it into a schema 3 catalog: no ledger, no key.
    auto c = RawCatalog(dir_);
    ASSERT_TRUE(
        c->db()
            ->Exec(
                "DROP TABLE ledger_leaves; DROP TABLE ledger_nodes; DROP TABLE ledger_checkpoints;"
                " DROP TABLE ledger_state; DROP TABLE holds; DROP TABLE retention_policies;"
                " DROP TABLE disposals; ALTER TABLE messages DROP COLUMN ledger_leaf;"
                " UPDATE meta SET value = '3' WHERE key = 'schema_version'")
            .ok());
  }
  fs::remove(dir_ / "keys/ledger.key");
  auto ro = Archive::Open(dir_, Archive::Mode::kReadOnly);
  ASSERT_FALSE(ro.ok());
  EXPECT_NE(ro.status().message().find("older version"), std::string::npos);
  { auto a = Open(); }  // the upgrade
  EXPECT_TRUE(fs::exists(dir_ / "keys/ledger.key"));
  auto recs = Records();
  ASSERT_EQ(recs.size(), 5u);
  EXPECT_EQ(recs[0].name, "ledger started");
  auto rep = Verify(dir_);
  EXPECT_TRUE(rep.ok()) << Problems(rep);
  auto a = Open(Archive::Mode::kReadOnly);
  EXPECT_TRUE(a->Prove(ToHex(ComputeSha256(three_))).ok());
}

TEST_F(PreserveTest, ACrashAfterCompactionLeavesNoOldSegmentBehind) {
  {
    auto a = Open();
    Import(a.get(), root_ / "md", "alice");
    ASSERT_TRUE(a->SetRetention({"two", "subject:two", 0, 0, "", ""}, kWho).ok());
    auto res = a->Purge(false, kWho);
    ASSERT_TRUE(res.ok());
    EXPECT_GT(res->bytes_reclaimed, 0u);
  }
  EXPECT_FALSE(fs::exists(dir_ / "segments/00000001.seg"));
  ASSERT_TRUE(fs::exists(dir_ / "segments/00000002.seg"));
  // As if the process died after the commit but before deleting the old file; the list also
  // names segment 2, which the catalog still uses and which must survive.
  WriteFile(dir_ / "segments/00000001.seg", "old ciphertext");
  ASSERT_TRUE(RawCatalog(dir_)->SetMeta("segments_to_remove", "1,2").ok());
  { auto a = Open(); }
  EXPECT_FALSE(fs::exists(dir_ / "segments/00000001.seg"));
  EXPECT_TRUE(fs::exists(dir_ / "segments/00000002.seg"));
  auto rep = Verify(dir_);
  EXPECT_TRUE(rep.ok()) << Problems(rep);
}

TEST_F(PreserveTest, AuditEventsAreRecords) {
  {
    auto a = Open();
    ASSERT_TRUE(a->RecordAudit("export", "12 messages to /tmp/x", {"reviewer", ""}).ok());
    EXPECT_EQ(a->RecordAudit("", "x", kWho).code(), Status::Code::kInvalidArgument);
  }
  auto recs = Records();
  EXPECT_EQ(recs.back().type, ledger::RecordType::kAudit);
  EXPECT_EQ(recs.back().name, "export");
  EXPECT_EQ(recs.back().detail, "12 messages to /tmp/x");
  EXPECT_EQ(recs.back().actor, "reviewer");
  EXPECT_TRUE(Verify(dir_).ok());
}

TEST_F(PreserveTest, WriterNeedsTheLedgerKey) {
  fs::rename(dir_ / "keys/ledger.key", root_ / "ledger.key");
  auto a = Archive::Open(dir_, Archive::Mode::kWrite);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("ledger"), std::string::npos);
  EXPECT_TRUE(Archive::Open(dir_, Archive::Mode::kReadOnly).ok());
  setenv("CUSTODIAN_LEDGER_KEY_FILE", (root_ / "ledger.key").c_str(), 1);
  EXPECT_TRUE(Archive::Open(dir_, Archive::Mode::kWrite).ok());
  unsetenv("CUSTODIAN_LEDGER_KEY_FILE");
}

}  // namespace
}  // namespace custodian

namespace custodian {
namespace {

// A signed message's DKIM result is a ledger record, at import and again when a rescan with
// later keys changes it; the record carries the SHA-256 of the report the catalog keeps.
// Unsigned mail adds none.
TEST_F(PreserveTest, DkimResultsOfSignedMailAreLedgerRecords) {
  std::ifstream in(fs::path(CUSTODIAN_DKIM_FIXTURES) / "signed.eml", std::ios::binary);
  std::string signed_msg((std::istreambuf_iterator<char>(in)), {});
  ASSERT_FALSE(signed_msg.empty()) << "fixture missing";
  WriteFile(root_ / "s/cur/1.x:2,S", signed_msg);
  fs::create_directories(root_ / "s/new");
  fs::create_directories(root_ / "s/tmp");
  std::string id = ToHex(ComputeSha256(signed_msg));
  auto dkim_records = [&] {
    std::vector<ledger::Record> out;
    for (const auto& r : Records())
      if (r.type == ledger::RecordType::kDkimResult) out.push_back(r);
    return out;
  };
  {
    auto a = Open();
    Import(a.get(), root_ / "md", "alice");
  }
  EXPECT_TRUE(dkim_records().empty());  // unsigned
  {
    // Unsigned mail checked at import is stored as no result row at all, and reads as "none".
    auto c = RawCatalog(dir_);
    auto n = c->db()->Prepare("SELECT COUNT(*) FROM dkim_results");
    ASSERT_TRUE(n.ok() && *n->Step());
    EXPECT_EQ(n->Int(0), 0);
  }
  {
    auto a = Open(Archive::Mode::kReadOnly);
    auto none = a->Authenticity(ToHex(ComputeSha256(one_)));
    ASSERT_TRUE(none.ok() && *none) << none.status().ToString();
    EXPECT_EQ((*none)->verdict, "none");
    SearchOptions o;
    o.count_only = true;
    EXPECT_EQ(a->Search("dkim:none", o)->total, 3u);
  }
  uint64_t size_before = 0;
  {
    auto a = Open();
    Import(a.get(), root_ / "s", "sam");  // no key: temperror
    size_before = a->Checkpoint()->tree_size;
    AuthenticateOptions keys;
    keys.key_file = (fs::path(CUSTODIAN_DKIM_FIXTURES) / "keys.txt").string();
    auto rescan = a->RescanAuthenticity(keys, nullptr);
    ASSERT_TRUE(rescan.ok()) << rescan.status().ToString();
    EXPECT_EQ(rescan->changed, 1u);
    // The rescan's record is under a new signed checkpoint.
    EXPECT_EQ(a->Checkpoint()->tree_size, size_before + 1);
  }
  auto recs = dkim_records();
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(ToHex(recs[0].message), id);
  EXPECT_EQ(recs[0].name, "temperror");
  EXPECT_EQ(recs[1].name, "pass");
  EXPECT_NE(recs[1].detail.find("d=custodian.example"), std::string::npos) << recs[1].detail;
  auto a = Open(Archive::Mode::kReadOnly);
  auto stored = a->Authenticity(id);
  ASSERT_TRUE(stored.ok() && *stored);
  EXPECT_NE(recs[1].detail.find("report=sha256:" + ToHex(ComputeSha256((*stored)->report_json))), std::string::npos)
      << recs[1].detail;
  EXPECT_TRUE(Verify(dir_).ok()) << Problems(Verify(dir_));
}

}  // namespace
}  // namespace custodian
