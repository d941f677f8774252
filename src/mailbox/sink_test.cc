// Export layouts, and export -> import round trips.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "mailbox/mailbox.h"
#include "mailbox/test_util.h"
#include "util/digest.h"

namespace custodian::mailbox {
namespace {

namespace fs = std::filesystem;
using testing::ReadAll;
using testing::ReadAllMessages;
using testing::TempDir;
using testing::WriteFile;

struct In {
  std::string folder, data, flags;
};

// (folder, data, flags) sorted, to compare what went out with what came back.
using Summary = std::vector<std::tuple<std::string, std::string, std::string>>;

Summary Sorted(Summary s) {
  std::sort(s.begin(), s.end());
  return s;
}

void Export(const std::string& dir, Format format, const std::vector<In>& messages) {
  auto sink = OpenSink(dir, format);
  ASSERT_TRUE(sink.ok()) << sink.status().ToString();
  int64_t date = 1000000000;
  for (const In& in : messages) {
    ExportMessage m;
    m.data = in.data;
    m.folder = in.folder;
    m.flags = in.flags;
    m.date = date++;
    Status st = (*sink)->Add(m);
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  Status st = (*sink)->Finish();
  ASSERT_TRUE(st.ok()) << st.ToString();
}

Summary Import(const std::string& dir, bool with_flags, std::vector<SourceProblem>* problems) {
  auto c = ReadAllMessages(dir);
  if (problems) *problems = c.problems;
  Summary s;
  for (const SourceMessage& m : c.messages)
    s.emplace_back(m.folder, m.data, with_flags ? m.flags : "");
  return Sorted(s);
}

std::vector<std::string> TrickyData() {
  return {
      "Subject: plain\n\nbody\n",
      "Subject: no final newline\n\nbody",
      "Subject: crlf\r\n\r\nbody\r\nFrom crlf\r\n",
      "Subject: crlf without final newline\r\n\r\nbody",
      "Subject: from lines\n\nFrom a\n>From b\n>>From c\n>>>From d\nFrom\n",
      "From the first line\nSubject: x\n\n",
      "Subject: empty body\n\n",
      "\n",
      "Subject: ends with cr\n\nbody\r",
      "Content-Length: 3\n\nabc\nFrom x\n",
      "Content-Length: 21\n\nbody\nFrom x\n",
      "Status: RO\nX-Status: A\n\nflags in headers\n",
  };
}

std::vector<In> TrickyMessages(bool with_empty) {
  std::vector<In> out;
  int i = 0;
  for (const char* folder : {"INBOX", "a/b", "v1.2", "Sent"}) {
    for (const std::string& d : TrickyData())
      out.push_back({folder, d, (i++ % 3 == 0) ? "RS" : ""});
    if (with_empty) out.push_back({folder, "", "F"});
  }
  return out;
}

TEST(SinkRoundTripTest, Mbox) {
  TempDir dir;
  const auto messages = TrickyMessages(true);
  Export(dir.path(), Format::kMbox, messages);
  Summary want;
  for (const In& m : messages) want.emplace_back(m.folder, m.data, "");
  std::vector<SourceProblem> problems;
  EXPECT_EQ(Import(dir.path(), false, &problems), Sorted(want));
  EXPECT_TRUE(problems.empty());
  EXPECT_TRUE(fs::exists(dir / "INBOX.mbox"));
  EXPECT_TRUE(fs::exists(dir / "a/b.mbox"));
  EXPECT_TRUE(fs::exists(dir / "v1.2.mbox"));
  // Per mbox file, order is kept too.
  auto inbox = ReadAllMessages(dir / "INBOX.mbox");
  ASSERT_EQ(inbox.messages.size(), TrickyData().size() + 1);
  for (size_t i = 0; i < TrickyData().size(); ++i)
    EXPECT_EQ(inbox.messages[i].data, TrickyData()[i]);
  EXPECT_EQ(inbox.messages[1].envelope, "MAILER-DAEMON Sun Sep  9 01:46:41 2001");
}

TEST(SinkRoundTripTest, Maildir) {
  TempDir dir;
  const auto messages = TrickyMessages(true);
  Export(dir.path(), Format::kMaildir, messages);
  Summary want;
  for (const In& m : messages) want.emplace_back(m.folder, m.data, m.flags);
  std::vector<SourceProblem> problems;
  EXPECT_EQ(Import(dir.path(), true, &problems), Sorted(want));
  EXPECT_TRUE(problems.empty());
  EXPECT_TRUE(fs::is_directory(dir / ".a.b/cur"));
  EXPECT_TRUE(fs::is_directory(dir / ".v1%2E2/cur"));
  EXPECT_TRUE(fs::exists(dir / ".Sent/maildirfolder"));
  EXPECT_TRUE(fs::is_empty(dir / "tmp"));
  EXPECT_TRUE(fs::is_empty(dir / ".Sent/tmp"));
}

TEST(SinkRoundTripTest, Eml) {
  TempDir dir;
  const auto messages = TrickyMessages(false);
  Export(dir.path(), Format::kEml, messages);
  Summary want;
  for (const In& m : messages) want.emplace_back(m.folder, m.data, "");
  std::vector<SourceProblem> problems;
  EXPECT_EQ(Import(dir.path(), false, &problems), Sorted(want));
  EXPECT_TRUE(problems.empty());
  const std::string id = ToHex(ComputeSha256(TrickyData()[0]));
  EXPECT_EQ(ReadAll(dir / "INBOX/" + id + ".eml"), TrickyData()[0]);
}

TEST(SinkRoundTripTest, EmptyFolderIsInboxForMboxAndMaildirAndTopForEml) {
  for (Format f : {Format::kMbox, Format::kMaildir, Format::kEml}) {
    TempDir dir;
    Export(dir.path(), f, {{"", "Subject: x\n\n", ""}});
    auto c = ReadAllMessages(dir.path());
    ASSERT_EQ(c.messages.size(), 1u);
    EXPECT_EQ(c.messages[0].folder, f == Format::kEml ? "" : "INBOX");
  }
}

TEST(SinkTest, EmptyMessageAsEmlIsReportedOnImport) {
  // A zero-length file is skipped by imports; the loss is reported, not silent.
  TempDir dir;
  Export(dir.path(), Format::kEml, {{"x", "", ""}});
  std::vector<SourceProblem> problems;
  EXPECT_TRUE(Import(dir.path(), false, &problems).empty());
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].reason, "empty file; skipped");
}

TEST(SinkTest, MaildirFileNames) {
  TempDir dir;
  auto sink = OpenSink(dir.path(), Format::kMaildir);
  ASSERT_TRUE(sink.ok());
  ExportMessage m;
  m.data = "x";
  m.flags = "SxRT";
  m.date = 1234;
  m.id_hex = "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef";
  ASSERT_TRUE((*sink)->Add(m).ok());
  ASSERT_TRUE((*sink)->Finish().ok());
  EXPECT_EQ(ReadAll(dir / "cur/1234.0123456789abcdef.custodian:2,RST"), "x");
  m.folder = "a//b";
  EXPECT_EQ((*sink)->Add(m).code(), Status::Code::kInvalidArgument);
}

TEST(SinkTest, MaildirRootExistsWithOnlySubfolders) {
  TempDir dir;
  Export(dir.path(), Format::kMaildir, {{"Archive/2001", "Subject: x\n\n", "S"}});
  auto c = ReadAllMessages(dir.path());
  ASSERT_EQ(c.messages.size(), 1u);
  EXPECT_EQ(c.messages[0].folder, "Archive/2001");
  EXPECT_EQ(c.messages[0].flags, "S");
}

TEST(SinkTest, FolderNamesCannotEscapeTheDirectory) {
  TempDir outer;
  const std::string dir = outer / "export";
  const std::vector<In> evil = {
      {"../../evil", "1\n", ""}, {"/abs/x", "2\n", ""}, {"a/./b", "3\n", ""},
      {".hidden", "4\n", ""},    {"..", "5\n", ""},     {"/", "6\n", ""},
  };
  Export(dir + "/mbox", Format::kMbox, evil);
  Export(dir + "/eml", Format::kEml, evil);
  const std::string root = fs::canonical(dir).string() + "/";
  size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(outer.path())) {
    if (!e.is_regular_file()) continue;
    ++files;
    EXPECT_TRUE(fs::canonical(e.path()).string().starts_with(root)) << e.path();
  }
  EXPECT_EQ(files, 12u);
  EXPECT_EQ(ReadAll(dir + "/mbox/_./_./evil.mbox"),
            "From MAILER-DAEMON Sun Sep  9 01:46:40 2001\n1\n\n");
  EXPECT_TRUE(fs::exists(dir + "/mbox/abs/x.mbox"));
  EXPECT_TRUE(fs::exists(dir + "/mbox/a/b.mbox"));
  EXPECT_TRUE(fs::exists(dir + "/mbox/_hidden.mbox"));
  EXPECT_TRUE(fs::exists(dir + "/mbox/_..mbox"));
  EXPECT_TRUE(fs::exists(dir + "/mbox/INBOX.mbox"));
  EXPECT_TRUE(fs::exists(dir + "/eml/abs/x/" + ToHex(ComputeSha256("2\n")) + ".eml"));
  // Everything comes back, under the sanitized names.
  std::vector<SourceProblem> problems;
  EXPECT_EQ(Import(dir + "/mbox", false, &problems).size(), evil.size());
  EXPECT_TRUE(problems.empty());
}

TEST(SinkTest, NothingLooksCompleteBeforeFinish) {
  TempDir dir;
  for (Format f : {Format::kMbox, Format::kMaildir, Format::kEml}) {
    const std::string out = dir / std::to_string(int(f));
    auto sink = OpenSink(out, f);
    ASSERT_TRUE(sink.ok());
    ExportMessage m;
    m.data = "Subject: x\n\n";
    m.folder = "f";
    ASSERT_TRUE((*sink)->Add(m).ok());
    std::vector<SourceProblem> problems;
    EXPECT_TRUE(Import(out, false, &problems).empty()) << int(f);
    ASSERT_TRUE((*sink)->Finish().ok());
    EXPECT_EQ(Import(out, false, &problems).size(), 1u) << int(f);
    EXPECT_TRUE(problems.empty());
  }
}

TEST(SinkTest, MboxRefusesToOverwrite) {
  TempDir dir;
  WriteFile(dir / "INBOX.mbox", "From x\n\nold\n");
  auto sink = OpenSink(dir.path(), Format::kMbox);
  ASSERT_TRUE(sink.ok());
  ExportMessage m;
  m.data = "new";
  EXPECT_EQ((*sink)->Add(m).code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(ReadAll(dir / "INBOX.mbox"), "From x\n\nold\n");
}

TEST(SinkTest, ManyMboxFoldersInterleaved) {
  TempDir dir;
  std::vector<In> messages;
  for (int round = 0; round < 3; ++round)
    for (int f = 0; f < 150; ++f)
      messages.push_back({"f" + std::to_string(f), "m" + std::to_string(round) + "\n", ""});
  Export(dir.path(), Format::kMbox, messages);
  auto c = ReadAllMessages(dir / "f77.mbox");
  ASSERT_EQ(c.messages.size(), 3u);
  EXPECT_EQ(c.messages[2].data, "m2\n");
  EXPECT_EQ(Import(dir.path(), false, nullptr).size(), messages.size());
}

TEST(SinkTest, UnsupportedFormats) {
  TempDir dir;
  for (Format f : {Format::kAuto, Format::kTree, Format::kMboxo, Format::kMboxcl2})
    EXPECT_EQ(OpenSink(dir.path(), f).status().code(), Status::Code::kInvalidArgument);
  EXPECT_TRUE(OpenSink(dir / "deep/er/dir", Format::kEml).ok());
  EXPECT_TRUE(fs::is_directory(dir / "deep/er/dir"));
}

// Import -> export -> import over real data: all of it as mbox, a slice as Maildir and eml (each
// of their files is fsynced, which makes the whole corpus slow).
TEST(SinkCorpusTest, EnronRoundTrip) {
  const std::string root = testing::CorpusPath("enron-maildir-subset/maildir/allen-p");
  if (root.empty())
    GTEST_SKIP() << "corpora absent: $CUSTODIAN_CORPORA/enron-maildir-subset not found";
  auto first = ReadAllMessages(root);
  ASSERT_GT(first.messages.size(), 1000u);
  for (Format f : {Format::kMbox, Format::kMaildir, Format::kEml}) {
    const size_t n = f == Format::kMbox ? first.messages.size() : 400;
    std::vector<In> messages;
    Summary want;
    for (size_t i = 0; i < n; ++i) {
      const SourceMessage& m = first.messages[i * first.messages.size() / n];
      messages.push_back({m.folder, m.data, m.flags});
      want.emplace_back(m.folder, m.data, "");
    }
    want = Sorted(want);
    // Identical messages in one folder are one file in the eml layout.
    if (f == Format::kEml) want.erase(std::unique(want.begin(), want.end()), want.end());
    TempDir dir;
    Export(dir.path(), f, messages);
    std::vector<SourceProblem> problems;
    EXPECT_EQ(Import(dir.path(), false, &problems), want) << int(f);
    EXPECT_TRUE(problems.empty());
  }
}

TEST(SinkCorpusTest, MimekitMboxRoundTrip) {
  const std::string dir = testing::CorpusPath("parser-torture/mimekit/UnitTests/TestData/mbox");
  if (dir.empty()) GTEST_SKIP() << "corpora absent: $CUSTODIAN_CORPORA/parser-torture not found";
  for (const char* name :
       {"content-length.mbox.txt", "simple.mbox.txt", "unmunged.mbox.txt", "issue1189.mbox.txt"}) {
    auto first = ReadAllMessages(dir + "/" + name);
    std::vector<In> messages;
    Summary want;
    for (const SourceMessage& m : first.messages) {
      messages.push_back({"box", m.data, ""});
      want.emplace_back("box", m.data, "");
    }
    TempDir out;
    Export(out.path(), Format::kMbox, messages);
    auto second = ReadAllMessages(out / "box.mbox");
    ASSERT_EQ(second.messages.size(), first.messages.size()) << name;
    for (size_t i = 0; i < second.messages.size(); ++i)
      EXPECT_EQ(second.messages[i].data, first.messages[i].data) << name << " " << i;
  }
}

}  // namespace
}  // namespace custodian::mailbox
