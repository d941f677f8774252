// Maildir, tree and single-file sources.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "mailbox/internal.h"
#include "mailbox/mailbox.h"
#include "mailbox/test_util.h"

namespace custodian::mailbox {
namespace {

namespace fs = std::filesystem;
using testing::ReadAll;
using testing::ReadAllMessages;
using testing::TempDir;
using testing::WriteFile;

struct Seen {
  std::string folder, data, flags;
  bool deleted;
  bool operator==(const Seen&) const = default;
};
std::ostream& operator<<(std::ostream& os, const Seen& s) {
  return os << "{" << s.folder << ", " << s.data << ", " << s.flags << ", " << s.deleted << "}";
}
std::vector<Seen> Summarize(const std::vector<SourceMessage>& ms) {
  std::vector<Seen> out;
  for (const SourceMessage& m : ms) out.push_back({m.folder, m.data, m.flags, m.deleted});
  return out;
}

TEST(MaildirTest, FlagsFoldersAndOrder) {
  TempDir dir;
  WriteFile(dir / "cur/200.b.host:2,SRF", "m2");
  WriteFile(dir / "cur/100.a.host:2,TS", "m1");
  WriteFile(dir / "cur/300.c.host:2,Sab", "m3");
  WriteFile(dir / "cur/.hidden", "editor temp");
  WriteFile(dir / "new/400.d.host:2,S", "m4");  // new/ messages have no flags yet
  WriteFile(dir / "new/500.e.host", "");        // empty: read as the empty message it is
  WriteFile(dir / "tmp/600.f.host", "being delivered");
  WriteFile(dir / "dovecot-uidlist", "3 V1 N1\n");
  WriteFile(dir / "dovecot.index.log", "x");
  WriteFile(dir / "maildirfolder", "");
  WriteFile(dir / ".Sent/cur/1.x:2,S", "sent");
  WriteFile(dir / ".Sent/maildirfolder", "");
  WriteFile(dir / ".Lists.Rust/new/1.y", "rust");
  WriteFile(dir / ".v1%2E2%25/cur/1.z:2,", "escaped");
  WriteFile(dir / ".NotAMaildir/file", "ignored");
  auto c = ReadAllMessages(dir.path());
  EXPECT_EQ(Summarize(c.messages), (std::vector<Seen>{
                                       {"INBOX", "m1", "ST", true},
                                       {"INBOX", "m2", "FRS", false},
                                       {"INBOX", "m3", "S", false},
                                       {"INBOX", "m4", "", false},
                                       {"INBOX", "", "", false},
                                       {"Lists/Rust", "rust", "", false},
                                       {"Sent", "sent", "S", false},
                                       {"v1.2%", "escaped", "", false},
                                   }));
  EXPECT_EQ(c.messages[0].origin, dir / "cur/100.a.host:2,TS");
  EXPECT_TRUE(c.problems.empty());
  // Explicit format gives the same.
  EXPECT_EQ(Summarize(ReadAllMessages(dir.path(), Format::kMaildir).messages),
            Summarize(c.messages));
}

TEST(MaildirTest, OversizedFileIsReported) {
  TempDir dir;
  WriteFile(dir / "cur/1:2,S", std::string(100, 'x'));
  WriteFile(dir / "cur/2:2,S", "small");
  ReadLimits limits;
  limits.max_message_bytes = 50;
  auto c = ReadAllMessages(dir.path(), Format::kAuto, limits);
  ASSERT_EQ(c.messages.size(), 1u);
  EXPECT_EQ(c.messages[0].data, "small");
  ASSERT_EQ(c.problems.size(), 1u);
  EXPECT_EQ(c.problems[0].origin, dir / "cur/1:2,S");
}

TEST(MaildirFolderCodecTest, EncodeDecode) {
  EXPECT_EQ(*internal::EncodeMaildirFolder(""), "");
  EXPECT_EQ(*internal::EncodeMaildirFolder("INBOX"), "");
  EXPECT_EQ(*internal::EncodeMaildirFolder("a/b"), ".a.b");
  EXPECT_EQ(*internal::EncodeMaildirFolder("v1.2/50%"), ".v1%2E2.50%25");
  EXPECT_EQ(*internal::EncodeMaildirFolder(".hidden/.."), ".%2Ehidden.%2E%2E");
  EXPECT_EQ(*internal::EncodeMaildirFolder("tab\there"), ".tab%09here");
  EXPECT_FALSE(internal::EncodeMaildirFolder("a//b").ok());
  EXPECT_FALSE(internal::EncodeMaildirFolder("/a").ok());
  EXPECT_FALSE(internal::EncodeMaildirFolder("a/").ok());
  for (const char* f : {"a/b", "v1.2/50%", ".hidden/..", "tab\there", "caf\xC3\xA9/x y"})
    EXPECT_EQ(internal::DecodeMaildirFolder(*internal::EncodeMaildirFolder(f)), f);
  // Foreign '%' sequences that are not our escapes stay as they are.
  EXPECT_EQ(internal::DecodeMaildirFolder(".50%off.%20x.%2"), "50%off/%20x/%2");
}

TEST(TreeTest, MixedLayout) {
  TempDir dir;
  WriteFile(dir / "a.eml", "Subject: top\n\n");
  WriteFile(dir / "lists/rust.mbox", "From x\nStatus: R\n\none\n\nFrom y\n\ntwo\n");
  WriteFile(dir / "lists/plain", "From z\n\nan mbox without the extension\n");
  WriteFile(dir / "lists/multi", "From a\n\nfirst\n\nFrom b\n\nsecond\n");
  WriteFile(dir / "lists/one.mbox", "From c\n\nnamed as a folder\n");
  WriteFile(dir / "lists/verbatim.eml", "From the first line of a message\n\n");
  WriteFile(dir / "user/inbox/1.", "Subject: 1\n\n");
  WriteFile(dir / "user/inbox/2.", "Subject: 2\n\n");
  WriteFile(dir / "user/inbox/.DS_Store", "junk");
  WriteFile(dir / "user/inbox/empty", "");
  WriteFile(dir / "user/md/cur/1:2,S", "maildir inbox");
  WriteFile(dir / "user/md/.Sub/new/1", "maildir sub");
  WriteFile(dir / ".git/config", "hidden directory");
  auto c = ReadAllMessages(dir.path());
  EXPECT_EQ(Summarize(c.messages),
            (std::vector<Seen>{
                {"", "Subject: top\n\n", "", false},
                // Several messages, or a .mbox name: a folder of its own.
                {"lists/multi", "\nfirst\n", "", false},
                {"lists/multi", "\nsecond\n", "", false},
                {"lists/one", "\nnamed as a folder\n", "", false},
                // One message behind a From_ line (the SpamAssassin layout): its directory's folder.
                {"lists", "\nan mbox without the extension\n", "", false},
                {"lists/rust", "Status: R\n\none\n", "S", false},
                {"lists/rust", "\ntwo\n", "", false},
                {"lists", "From the first line of a message\n\n", "", false},
                {"user/inbox", "Subject: 1\n\n", "", false},
                {"user/inbox", "Subject: 2\n\n", "", false},
                {"user/md/INBOX", "maildir inbox", "S", false},
                {"user/md/Sub", "maildir sub", "", false},
            }));
  std::map<std::string, std::string> problems;
  for (const SourceProblem& p : c.problems) problems[p.origin] = p.reason;
  EXPECT_EQ(problems, (std::map<std::string, std::string>{
                          {dir / ".git", "hidden entry; skipped"},
                          {dir / "user/inbox/.DS_Store", "hidden entry; skipped"},
                          {dir / "user/inbox/empty", "empty file; skipped"},
                      }));
  EXPECT_EQ(Summarize(ReadAllMessages(dir.path(), Format::kTree).messages), Summarize(c.messages));
}

TEST(SingleFileTest, EmlAndMboxDetection) {
  TempDir dir;
  WriteFile(dir / "msg.txt", "Status: RO\nSubject: x\n\nbody");
  WriteFile(dir / "box.mbox", "From a\n\nbody\n");
  auto eml = ReadAllMessages(dir / "msg.txt");
  ASSERT_EQ(eml.messages.size(), 1u);
  EXPECT_EQ(eml.messages[0].folder, "");
  EXPECT_EQ(eml.messages[0].data, "Status: RO\nSubject: x\n\nbody");
  EXPECT_EQ(eml.messages[0].flags, "S");
  EXPECT_EQ(eml.messages[0].origin, dir / "msg.txt");
  auto mbox = ReadAllMessages(dir / "box.mbox");
  ASSERT_EQ(mbox.messages.size(), 1u);
  EXPECT_EQ(mbox.messages[0].folder, "box");
  EXPECT_EQ(mbox.messages[0].envelope, "a");
  // Forced eml keeps the From_ line as message bytes.
  auto forced = ReadAllMessages(dir / "box.mbox", Format::kEml);
  ASSERT_EQ(forced.messages.size(), 1u);
  EXPECT_EQ(forced.messages[0].data, "From a\n\nbody\n");
}

TEST(SingleFileTest, Errors) {
  TempDir dir;
  WriteFile(dir / "f", "x");
  EXPECT_EQ(OpenSource(dir / "missing", Format::kAuto, nullptr).status().code(),
            Status::Code::kNotFound);
  EXPECT_EQ(OpenSource(dir / "f", Format::kMaildir, nullptr).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(OpenSource(dir.path(), Format::kMboxrd, nullptr).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(OpenSource(dir.path(), Format::kEml, nullptr).status().code(),
            Status::Code::kInvalidArgument);
  WriteFile(dir / "empty.eml", "");
  auto c = ReadAllMessages(dir / "empty.eml");
  EXPECT_TRUE(c.messages.empty());
  EXPECT_EQ(c.problems.size(), 1u);
}

TEST(ParseFormatTest, Names) {
  EXPECT_EQ(*ParseFormat("auto"), Format::kAuto);
  EXPECT_EQ(*ParseFormat("maildir"), Format::kMaildir);
  EXPECT_EQ(*ParseFormat("mbox"), Format::kMbox);
  EXPECT_EQ(*ParseFormat("mboxo"), Format::kMboxo);
  EXPECT_EQ(*ParseFormat("mboxrd"), Format::kMboxrd);
  EXPECT_EQ(*ParseFormat("mboxcl"), Format::kMboxcl);
  EXPECT_EQ(*ParseFormat("mboxcl2"), Format::kMboxcl2);
  EXPECT_EQ(*ParseFormat("eml"), Format::kEml);
  EXPECT_EQ(*ParseFormat("tree"), Format::kTree);
  EXPECT_EQ(*ParseFormat("MBOXRD"), Format::kMboxrd);
  EXPECT_EQ(ParseFormat("mbx").status().code(), Status::Code::kInvalidArgument);
  EXPECT_FALSE(ParseFormat("").ok());
}

TEST(EnronCorpusTest, EveryFileIsOneMessageWithItsExactBytes) {
  const std::string root = testing::CorpusPath("enron-maildir-subset/maildir/allen-p");
  if (root.empty())
    GTEST_SKIP() << "corpora absent: $CUSTODIAN_CORPORA/enron-maildir-subset not found";
  size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file()) ++files;
  auto c = ReadAllMessages(root);
  EXPECT_TRUE(c.problems.empty());
  EXPECT_EQ(c.messages.size(), files);
  std::map<std::string, size_t> folders;
  for (const SourceMessage& m : c.messages) {
    ASSERT_TRUE(m.origin.starts_with(root + "/")) << m.origin;
    const fs::path rel = fs::path(m.origin.substr(root.size() + 1));
    EXPECT_EQ(m.folder, rel.parent_path().string());
    ASSERT_EQ(m.data, ReadAll(m.origin)) << m.origin;
    ++folders[m.folder];
  }
  for (const char* f : {"inbox", "sent", "deleted_items", "_sent_mail", "all_documents"})
    EXPECT_GT(folders[f], 0u) << f;
}

}  // namespace
}  // namespace custodian::mailbox
