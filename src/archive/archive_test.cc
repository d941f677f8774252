#include "custodian/archive.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "archive/authenticity.h"
#include "dkim/dkim.h"
#include "query/query.h"
#include "util/digest.h"
#include "util/env.h"

namespace custodian {
namespace {

namespace fs = std::filesystem;

std::string Msg(const std::string& subject, const std::string& body, const std::string& date = "Mon, 14 May 2001 16:39:00 -0700") {
  return "From: Alice Example <alice@example.com>\nTo: bob@example.com\nSubject: " + subject +
         "\nDate: " + date + "\nMessage-ID: <" + subject + "@example.com>\n\n" + body;
}

void WriteFile(const fs::path& p, const std::string& data) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << data;
}

class ArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/custodian-archive-XXXXXX";
    root_ = mkdtemp(tmpl);
    dir_ = root_ / "archive";
    ASSERT_TRUE(Archive::Init(dir_).ok());
    // A Maildir with a subfolder and flags, one trashed message.
    WriteFile(root_ / "md/cur/1.host:2,S", Msg("one", "first body\n"));
    WriteFile(root_ / "md/cur/2.host:2,ST", Msg("two", "deleted by the custodian\n"));
    WriteFile(root_ / "md/new/3.host", Msg("three", "unread\n"));
    WriteFile(root_ / "md/.Projects.Alpha/cur/4.host:2,RS", Msg("four", "in a subfolder\n"));
    WriteFile(root_ / "md/.Projects.Alpha/cur/5.host:2,S", Msg("one", "first body\n"));  // same bytes as 1
    fs::create_directories(root_ / "md/tmp");
  }
  void TearDown() override { fs::remove_all(root_); }

  std::unique_ptr<Archive> OpenW() {
    auto a = Archive::Open(dir_, Archive::Mode::kWrite);
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    return a.ok() ? std::move(*a) : nullptr;
  }
  ImportResult Import(Archive* a, const std::string& path, const std::string& custodian) {
    ImportOptions o;
    o.custodian = custodian;
    auto r = a->Import({path}, o, nullptr);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : ImportResult{};
  }
  std::set<std::string> Ids(Archive* a) {
    std::set<std::string> ids;
    ListFilter f;
    f.include_deleted = true;
    EXPECT_TRUE(a->List(f, [&](const ListEntry& e) {
      ids.insert(e.message.id);
      return Status::Ok();
    }).ok());
    return ids;
  }

  fs::path root_, dir_;
};

TEST_F(ArchiveTest, InitRefusesExistingArchiveAndKeyIsPrivate) {
  EXPECT_EQ(Archive::Init(dir_).code(), Status::Code::kAlreadyExists);
  auto perms = fs::status(dir_ / "keys/master.key").permissions();
  EXPECT_EQ(perms & (fs::perms::group_all | fs::perms::others_all), fs::perms::none);
  EXPECT_EQ(Archive::Open(root_ / "nothing-here", Archive::Mode::kReadOnly).status().code(), Status::Code::kNotFound);
}

TEST_F(ArchiveTest, ImportDedupsAndKeepsFoldersAndFlags) {
  auto a = OpenW();
  ImportResult r = Import(a.get(), root_ / "md", "alice");
  EXPECT_EQ(r.counts.read, 5u);
  EXPECT_EQ(r.counts.stored, 4u);     // message "one" appears twice with identical bytes
  EXPECT_EQ(r.counts.duplicate, 1u);
  EXPECT_EQ(r.counts.new_copies, 5u);
  auto st = a->Stats();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->messages, 4u);
  EXPECT_EQ(st->copies, 5u);

  std::string one = Msg("one", "first body\n");
  std::string id = ToHex(ComputeSha256(one));
  auto info = a->Describe(id);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->subject, "one");
  ASSERT_EQ(info->copies.size(), 2u);
  EXPECT_EQ(info->copies[0].folder, "INBOX");
  EXPECT_EQ(info->copies[1].folder, "Projects/Alpha");
  EXPECT_EQ(*a->ReadMessage(id), one);

  // The trashed message is hidden from the normal view but kept.
  std::string two_id = ToHex(ComputeSha256(Msg("two", "deleted by the custodian\n")));
  std::set<std::string> visible;
  ASSERT_TRUE(a->List({}, [&](const ListEntry& e) {
    visible.insert(e.message.id);
    return Status::Ok();
  }).ok());
  EXPECT_EQ(visible.count(two_id), 0u);
  EXPECT_EQ(Ids(a.get()).count(two_id), 1u);
  EXPECT_TRUE(a->ReadMessage(two_id).ok());

  // Re-importing adds nothing.
  ImportResult again = Import(a.get(), root_ / "md", "alice");
  EXPECT_EQ(again.counts.stored, 0u);
  EXPECT_EQ(again.counts.new_copies, 0u);
  EXPECT_EQ(a->Stats()->messages, 4u);
  // The same mail for another custodian: new copies, no new messages.
  ImportResult other = Import(a.get(), root_ / "md", "bob");
  EXPECT_EQ(other.counts.stored, 0u);
  EXPECT_EQ(other.counts.new_copies, 5u);
}

TEST_F(ArchiveTest, IdPrefixesResolve) {
  auto a = OpenW();
  Import(a.get(), root_ / "md", "alice");
  std::string id = ToHex(ComputeSha256(Msg("four", "in a subfolder\n")));
  EXPECT_EQ(*a->ResolveId(id.substr(0, 10)), id);
  EXPECT_EQ(*a->ResolveId(id), id);
  EXPECT_EQ(a->ResolveId("abc").status().code(), Status::Code::kInvalidArgument);   // too short
  EXPECT_EQ(a->ResolveId("not-hex!").status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(a->ResolveId(std::string(64, '0')).status().code(), Status::Code::kNotFound);
}

TEST_F(ArchiveTest, MalformedMessageIsStoredAndFlagged) {
  std::string junk("\x00\x01garbage without headers\xff\xfe", 27);
  WriteFile(root_ / "junk/x.eml", junk);
  auto a = OpenW();
  ImportResult r = Import(a.get(), root_ / "junk/x.eml", "alice");
  EXPECT_EQ(r.counts.stored, 1u);
  EXPECT_EQ(r.counts.flagged, 1u);
  std::string id = ToHex(ComputeSha256(junk));
  EXPECT_EQ(*a->ReadMessage(id), junk);
  EXPECT_FALSE(a->Describe(id)->problems.empty());
}

TEST_F(ArchiveTest, ExportAndReimportGiveTheSameIds) {
  auto a = OpenW();
  Import(a.get(), root_ / "md", "alice");
  std::set<std::string> before = Ids(a.get());
  for (std::string fmt : {"mbox", "maildir", "eml"}) {
    ExportOptions o;
    o.format = fmt;
    o.filter.custodian = "alice";
    o.filter.include_deleted = true;
    auto out = root_ / ("out-" + fmt);
    auto res = a->Export(o, out);
    ASSERT_TRUE(res.ok()) << fmt << ": " << res.status().ToString();
    EXPECT_EQ(res->messages, 5u) << fmt;
    fs::path dir2 = root_ / ("archive-" + fmt);
    ASSERT_TRUE(Archive::Init(dir2).ok());
    auto b = Archive::Open(dir2, Archive::Mode::kWrite);
    ASSERT_TRUE(b.ok());
    ImportOptions io;
    io.custodian = "alice";
    ASSERT_TRUE((*b)->Import({out}, io, nullptr).ok());
    EXPECT_EQ(Ids(b->get()), before) << fmt;
  }
}

TEST_F(ArchiveTest, UncommittedSegmentTailIsDiscardedOnOpen) {
  {
    auto a = OpenW();
    Import(a.get(), root_ / "md", "alice");
  }
  // Simulate a crash after segment bytes were written but before the catalog committed.
  auto seg = dir_ / "segments/00000001.seg";
  auto size = fs::file_size(seg);
  { std::ofstream(seg, std::ios::binary | std::ios::app) << "half-written record"; }
  {
    auto a = OpenW();
    ASSERT_TRUE(a);
    EXPECT_EQ(fs::file_size(seg), size);
    auto rep = a->Verify(nullptr, "");
    ASSERT_TRUE(rep.ok());
    EXPECT_TRUE(rep->ok());
  }
}

TEST_F(ArchiveTest, VerifyNamesTheDamagedMessage) {
  {
    auto a = OpenW();
    Import(a.get(), root_ / "md", "alice");
    auto rep = a->Verify(nullptr, "");
    ASSERT_TRUE(rep.ok());
    EXPECT_TRUE(rep->ok());
    EXPECT_EQ(rep->messages_checked, 4u);
  }
  // Flip one byte inside the (single) block's payload.
  auto seg = dir_ / "segments/00000001.seg";
  std::fstream f(seg, std::ios::binary | std::ios::in | std::ios::out);
  f.seekg(100);
  char c;
  f.get(c);
  f.seekp(100);
  f.put(char(c ^ 0x20));
  f.close();
  auto a = Archive::Open(dir_, Archive::Mode::kReadOnly);
  ASSERT_TRUE(a.ok());
  auto rep = (*a)->Verify(nullptr, "");
  ASSERT_TRUE(rep.ok());
  ASSERT_FALSE(rep->ok());
  std::set<std::string> named;
  for (const auto& p : rep->problems) named.insert(p.where);
  EXPECT_EQ(named.count(ToHex(ComputeSha256(Msg("one", "first body\n")))), 1u);
  EXPECT_EQ((*a)->ReadMessage(ToHex(ComputeSha256(Msg("one", "first body\n")))).status().code(),
            Status::Code::kCorruption);
}

// Enough candidate text that two threads check it while the catalog is still being read, and
// then a damaged segment: every match is found, and damage is an error, not a hang or a crash.
TEST_F(ArchiveTest, SubstringSearchOverManyBlocksAndItsDamage) {
  std::string filler;
  for (int i = 0; filler.size() < 3000; i++) filler += "line " + std::to_string(i * 7919 % 10007) + " of filler\n";
  for (int i = 0; i < 300; i++)
    WriteFile(root_ / ("big/cur/" + std::to_string(i) + ".host:2,S"),
              Msg("m" + std::to_string(i), filler + (i % 3 ? "the needle phrase " : "a haystack ") + std::to_string(i) + "\n"));
  {
    auto a = OpenW();
    Import(a.get(), (root_ / "big").string(), "dan");
    SearchOptions o;
    o.count_only = true;
    for (const char* q : {"text:\"needle phrase\"", "re:/needle phrase \\d+/", "re:/\\bneedle/"}) {
      auto r = a->Search(q, o);
      ASSERT_TRUE(r.ok()) << q << ": " << r.status().ToString();
      EXPECT_EQ(r->total, 200u) << q;
    }
    // The ids alone are the full hits' ids, in the same order; and a tiny page cache (a few
    // pages, re-read again and again) gives the same answers.
    SearchOptions full;
    full.limit = 0;
    full.snippets = false;
    auto hits = a->Search("text:\"needle phrase\"", full);
    ASSERT_TRUE(hits.ok()) << hits.status().ToString();
    std::vector<std::string> want;
    for (const auto& h : hits->hits) want.push_back(h.message.id);
    ASSERT_EQ(want.size(), 200u);
    for (int kib : {32768, 16}) {
      ASSERT_TRUE(a->SetCacheKiB(kib).ok());
      SearchOptions ids;
      ids.limit = 0;
      ids.ids_only = true;
      for (const char* q : {"text:\"needle phrase\"", "re:/needle phrase \\d+/"}) {
        auto r = a->Search(q, ids);
        ASSERT_TRUE(r.ok()) << q << ": " << r.status().ToString();
        EXPECT_TRUE(r->hits.empty());
        std::vector<std::string> got;
        for (const auto& id : r->ids) got.push_back(ToHex(id.data(), id.size()));
        EXPECT_EQ(got, want) << q << " with a " << kib << " KiB cache";
      }
    }
  }
  // Flip a byte every 2 KiB past the segment header: text blocks included.
  auto seg = dir_ / "segments/00000001.seg";
  std::fstream f(seg, std::ios::binary | std::ios::in | std::ios::out);
  for (std::streamoff at = 4096; at < std::streamoff(fs::file_size(seg)); at += 2048) {
    f.seekg(at);
    char c;
    f.get(c);
    f.seekp(at);
    f.put(char(c ^ 0x5a));
  }
  f.close();
  auto a = Archive::Open(dir_, Archive::Mode::kReadOnly);
  ASSERT_TRUE(a.ok());
  SearchOptions o;
  o.count_only = true;
  for (const char* q : {"text:\"needle phrase\"", "re:/needle phrase \\d+/", "re:/\\bneedle/"}) {
    auto r = (*a)->Search(q, o);
    ASSERT_FALSE(r.ok()) << q;
    EXPECT_EQ(r.status().code(), Status::Code::kCorruption) << r.status().ToString();
    EXPECT_NE(r.status().message().find("text block"), std::string::npos) << r.status().ToString();
  }
}

TEST_F(ArchiveTest, TruncatedSegmentIsReported) {
  {
    auto a = OpenW();
    Import(a.get(), root_ / "md", "alice");
  }
  auto seg = dir_ / "segments/00000001.seg";
  fs::resize_file(seg, fs::file_size(seg) - 10);
  auto a = Archive::Open(dir_, Archive::Mode::kReadOnly);
  ASSERT_TRUE(a.ok());
  auto rep = (*a)->Verify(nullptr, "");
  ASSERT_TRUE(rep.ok());
  bool truncated = false;
  for (const auto& p : rep->problems) truncated |= p.detail.find("truncated") != std::string::npos;
  EXPECT_TRUE(truncated);
  // A writer refuses to open an archive whose committed bytes are gone.
  EXPECT_EQ(Archive::Open(dir_, Archive::Mode::kWrite).status().code(), Status::Code::kCorruption);
}

TEST_F(ArchiveTest, OneWriterAtATime) {
  auto a = OpenW();
  auto b = Archive::Open(dir_, Archive::Mode::kWrite);
  EXPECT_FALSE(b.ok());
  EXPECT_TRUE(Archive::Open(dir_, Archive::Mode::kReadOnly).ok());
}

TEST_F(ArchiveTest, WithoutTheKeyNothingIsReadable) {
  std::string secret = Msg("Zanzibar-quarterly", "the launch code is 0451\n");
  WriteFile(root_ / "s/secret.eml", secret);
  {
    auto a = OpenW();
    Import(a.get(), root_ / "s/secret.eml", "alice");
  }
  // Neither the body nor the headers the catalog keeps are anywhere in the archive's files.
  for (const auto& e : fs::recursive_directory_iterator(dir_)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), {});
    EXPECT_EQ(data.find("launch code"), std::string::npos) << e.path();
    EXPECT_EQ(data.find("Zanzibar"), std::string::npos) << e.path();          // subject, in the catalog
    EXPECT_EQ(data.find("alice@example.com"), std::string::npos) << e.path();  // sender, in the catalog
  }
  fs::remove(dir_ / "keys/master.key");
  EXPECT_FALSE(Archive::Open(dir_, Archive::Mode::kReadOnly).ok());
}

}  // namespace
}  // namespace custodian

namespace custodian {
namespace {

// Substring and regex search go through the trigram index; each hit set here is what a scan
// of every text would give, including the cases the index must not miss.
TEST_F(ArchiveTest, SubstringAndRegexSearchThroughTheTrigramIndex) {
  WriteFile(root_ / "tg/cur/1.host:2,S", Msg("kelvin", "the \xE2\x84\xAA" "ey is under the mat\n"));
  WriteFile(root_ / "tg/cur/2.host:2,S", Msg("plain", "The KEY is lost. Call 713-853-1234.\n"));
  WriteFile(root_ / "tg/cur/3.host:2,S", Msg("accents", "caf\xC3\xA9 cr\xC3\xA8me and a monkey\n"));
  WriteFile(root_ / "tg/cur/4.host:2,S", Msg("other", "nothing of interest, confidentiality agreement\n"));
  auto a = OpenW();
  Import(a.get(), (root_ / "tg").string(), "carol");
  auto count = [&](const std::string& q) {
    SearchOptions o;
    o.count_only = true;
    auto r = a->Search(q, o);
    EXPECT_TRUE(r.ok()) << q << ": " << r.status().ToString();
    return r.ok() ? r->total : 999;
  };
  EXPECT_EQ(count("re:/key is/i"), 2u);         // K (KELVIN SIGN) matches k case-insensitively
  EXPECT_EQ(count("re:/key is/"), 0u);
  EXPECT_EQ(count("re:/KEY is/"), 1u);
  EXPECT_EQ(count("text:\"KEY is\""), 1u);
  EXPECT_EQ(count("re:/(monkey|under the mat)/"), 2u);  // an alternation: either atom
  EXPECT_EQ(count("re:/caf\xC3\xA9 cr/"), 1u); // no ASCII trigram across the accents
  EXPECT_EQ(count("text:\"f\xC3\xA9\""), 1u);
  EXPECT_EQ(count("re:/\\d{3}-\\d{3}-\\d{4}/"), 1u);  // no literal at all: a scan
  EXPECT_EQ(count("re:/[Cc]onfidentiality [Aa]greement/"), 1u);
  EXPECT_EQ(count("re:/zzz+q/"), 0u);
  EXPECT_EQ(count("text:\"interest,\" AND re:/agree/"), 1u);
  // Optional characters: the prefilter sees both spellings.
  EXPECT_EQ(count("re:/the ?key is/i"), 2u);
  EXPECT_EQ(count("re:/monk?ey|mat\\.?$/"), 1u);
  EXPECT_EQ(count("re:/cr[eè]?me/"), 1u);   // è is one character; the class is optional
}

TEST(ExpandOptionals, RewritesOnlySimpleOptionalAtoms) {
  using query::ExpandOptionals;
  EXPECT_EQ(ExpandOptionals("enron ?online"), "enron(?: |)online");
  EXPECT_EQ(ExpandOptionals("colou?r"), "colo(?:u|)r");
  EXPECT_EQ(ExpandOptionals("a\\.?b[-_]?c"), "a(?:\\.|)b(?:[-_]|)c");
  EXPECT_EQ(ExpandOptionals("ab??c"), "a(?:b|)c");                  // lazy: the same language
  EXPECT_EQ(ExpandOptionals("(?i)ab+?c\\d?x{2}?"), "(?i)ab+?c\\d?x{2}?");  // left alone
  EXPECT_EQ(ExpandOptionals("(?P<n>x)?"), "(?P<n>x)?");
  EXPECT_EQ(ExpandOptionals("[[:alpha:]]?"), "[[:alpha:]]?");
  EXPECT_EQ(ExpandOptionals("caf\xC3\xA9?"), "caf\xC3\xA9?");
  EXPECT_EQ(ExpandOptionals("[]a]?b"), "(?:[]a]|)b");
}

}  // namespace
}  // namespace custodian

namespace custodian {
namespace {

// Messages signed by make_fixtures.py, and the key that signed them (tests/e2e/dkim).
std::string Fixture(const char* name) {
  std::ifstream in(fs::path(CUSTODIAN_DKIM_FIXTURES) / name, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
std::string FixtureKeys() { return (fs::path(CUSTODIAN_DKIM_FIXTURES) / "keys.txt").string(); }

class AuthenticityTest : public ArchiveTest {
 protected:
  std::string Id(const std::string& bytes) { return ToHex(ComputeSha256(bytes)); }
  std::set<std::string> Found(Archive* a, const std::string& q) {
    SearchOptions o;
    o.limit = 0;
    o.ids_only = true;
    auto r = a->Search(q, o);
    EXPECT_TRUE(r.ok()) << q << ": " << r.status().ToString();
    std::set<std::string> ids;
    if (r.ok()) {
      EXPECT_TRUE(r->hits.empty());
      EXPECT_EQ(r->ids.size(), r->total);
      for (const auto& id : r->ids) ids.insert(ToHex(id.data(), id.size()));
    }
    return ids;
  }
};

TEST_F(AuthenticityTest, VerifiedAtImportWithAKeyFileAndAfterwardsFromTheKeptKey) {
  std::string signed_msg = Fixture("signed.eml");
  ASSERT_FALSE(signed_msg.empty()) << "fixture missing";
  WriteFile(root_ / "in/a/cur/1:2,S", signed_msg);
  WriteFile(root_ / "in/b/cur/1:2,S", signed_msg);  // a second copy, in another folder
  auto a = OpenW();
  ImportOptions o;
  o.custodian = "ann";
  o.dkim_key_file = FixtureKeys();
  auto r = a->Import({(root_ / "in/a").string(), (root_ / "in/b").string()}, o, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->authenticity, (std::map<std::string, uint64_t>{{"pass", 1}}));
  std::string id = Id(signed_msg);
  auto stored = a->Authenticity(id);
  ASSERT_TRUE(stored.ok() && *stored) << stored.status().ToString();
  EXPECT_EQ((*stored)->verdict, "pass");
  EXPECT_EQ((*stored)->results, 1u);  // two copies, one verification
  EXPECT_NE((*stored)->report_json.find("\"body_hash\":\"match\""), std::string::npos);
  // No key file now: the archive kept the record.
  auto again = a->Authenticate(id, {});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->verdict, "pass") << again->text;
  EXPECT_NE(again->text.find("custodian.example"), std::string::npos);
  EXPECT_EQ(Found(a.get(), "signed-by:custodian.example"), std::set<std::string>{id});
  EXPECT_EQ(Found(a.get(), "dkim:pass"), std::set<std::string>{id});
  // Five plain messages of the fixture Maildir: no signature.
  Import(a.get(), (root_ / "md").string(), "bob");
  EXPECT_EQ(Found(a.get(), "dkim:none").size(), 4u);
  EXPECT_TRUE(Found(a.get(), "dkim:fail OR dkim:temperror OR dkim:permerror").empty());
}

TEST_F(AuthenticityTest, WithoutKeysTemperrorThenRescanWithLaterKeysPasses) {
  std::string signed_msg = Fixture("signed.eml"), listed = Fixture("list.eml"), limited = Fixture("limit.eml");
  WriteFile(root_ / "in/cur/1:2,S", signed_msg);
  WriteFile(root_ / "in/cur/2:2,S", listed);
  WriteFile(root_ / "in/cur/3:2,S", limited);
  auto a = OpenW();
  auto r = Import(a.get(), (root_ / "in").string(), "ann");
  EXPECT_EQ(r.authenticity, (std::map<std::string, uint64_t>{{"temperror", 3}}));
  EXPECT_EQ(Found(a.get(), "dkim:temperror").size(), 3u);

  AuthenticateOptions keys;
  keys.key_file = FixtureKeys();
  auto rescan = a->RescanAuthenticity(keys, nullptr);
  ASSERT_TRUE(rescan.ok()) << rescan.status().ToString();
  EXPECT_EQ(rescan->checked, 3u);
  EXPECT_EQ(rescan->changed, 3u);
  auto stored = a->Authenticity(Id(signed_msg));
  ASSERT_TRUE(stored.ok() && *stored);
  EXPECT_EQ((*stored)->verdict, "pass");
  EXPECT_EQ((*stored)->results, 2u);  // the temperror stays in the history
  // The list's footer breaks the body hash; the signed header fields are intact.
  auto list = a->Authenticate(Id(listed), {});
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->verdict, "fail");
  EXPECT_NE(list->json.find("\"body_hash\":\"mismatch\""), std::string::npos) << list->json;
  EXPECT_NE(list->json.find("body hash mismatch"), std::string::npos) << list->json;
  // l=: a pass that says what it does not cover.
  auto limit = a->Authenticate(Id(limited), {});
  ASSERT_TRUE(limit.ok());
  EXPECT_EQ(limit->verdict, "pass");
  EXPECT_NE(limit->text.find("NOT signed"), std::string::npos) << limit->text;
  EXPECT_EQ(Found(a.get(), "dkim:fail"), std::set<std::string>{Id(listed)});
  EXPECT_EQ(Found(a.get(), "signed-by:custodian.example"), (std::set<std::string>{Id(signed_msg), Id(limited)}));
  // Nothing left that keys could change.
  auto second = a->RescanAuthenticity({}, nullptr);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->checked, 0u);
}

TEST_F(AuthenticityTest, OldMailStillVerifiesAfterTheDomainReplacesItsKey) {
  std::string before = Fixture("signed.eml"), after = Fixture("rotated.eml");
  WriteFile(root_ / "old/cur/1:2,S", before);
  WriteFile(root_ / "new/cur/1:2,S", after);
  auto a = OpenW();
  ImportOptions o;
  o.custodian = "ann";
  o.dkim_key_file = FixtureKeys();
  ASSERT_TRUE(a->Import({(root_ / "old").string()}, o, nullptr).ok());
  // Later the same selector publishes a new key; both versions are kept.
  o.dkim_key_file = (fs::path(CUSTODIAN_DKIM_FIXTURES) / "keys-rotated.txt").string();
  auto r = a->Import({(root_ / "new").string()}, o, nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->authenticity, (std::map<std::string, uint64_t>{{"pass", 1}}));
  for (const std::string& m : {before, after}) {
    auto rep = a->Authenticate(Id(m), {});  // no key file: each with the version it was verified with
    ASSERT_TRUE(rep.ok()) << rep.status().ToString();
    EXPECT_EQ(rep->verdict, "pass") << rep->text;
  }
  // The old key alone does not verify the new mail: the versions really differ.
  AuthenticateOptions old_key;
  old_key.key_file = FixtureKeys();
  EXPECT_EQ(a->Authenticate(Id(after), old_key)->verdict, "fail");
}

TEST_F(AuthenticityTest, AnUnreadableKeyFileStopsTheImportBeforeAnythingIsStored) {
  WriteFile(root_ / "bad-keys.txt", "selector-without-domainkey v=DKIM1; p=AAAA\n");
  auto a = OpenW();
  ImportOptions o;
  o.custodian = "ann";
  o.dkim_key_file = (root_ / "bad-keys.txt").string();
  auto r = a->Import({(root_ / "md").string()}, o, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("line 1"), std::string::npos) << r.status().ToString();
  EXPECT_TRUE(Ids(a.get()).empty());
}

}  // namespace
}  // namespace custodian

namespace custodian {
namespace {

// The shortcut for unsigned mail must say exactly what the verifier says.
TEST(Authenticity, UnsignedShortcutAgreesWithTheVerifier) {
  const std::string unsigned_msgs[] = {
      Msg("plain", "no signature here\n"),
      "Subject: x\r\nX-DKIM-Signature-Note: not a signature field\r\n\r\nbody\r\n",
      "Subject: body only mentions it\n\nDKIM-Signature: v=1; in the body, not the header\n",
      "",
      "no header at all",
  };
  for (const auto& m : unsigned_msgs) {
    EXPECT_FALSE(MayBeSigned(m)) << m;
    EXPECT_EQ(dkim::ToJson(CheckAuthenticity(m, nullptr, 1)), dkim::ToJson(dkim::Verify(m, nullptr, {})))
        << m;
  }
  EXPECT_TRUE(MayBeSigned("dkim-signature: v=1\n\nx"));
  EXPECT_TRUE(MayBeSigned("Subject: a\r\nARC-Seal: i=1\r\n\r\n"));
  EXPECT_TRUE(MayBeSigned(Fixture("signed.eml")));
  EXPECT_EQ(CheckAuthenticity(Fixture("signed.eml"), nullptr, 1).verdict, dkim::Outcome::kTempError);
}

}  // namespace
}  // namespace custodian
