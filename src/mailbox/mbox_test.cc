#include "mailbox/mbox.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "mailbox/test_util.h"
#include "util/env.h"

namespace custodian::mailbox {
namespace {

using testing::ReadAll;
using testing::TempDir;
using testing::WriteFile;

std::vector<std::string> Datas(const std::vector<SourceMessage>& ms) {
  std::vector<std::string> out;
  for (const SourceMessage& m : ms) out.push_back(m.data);
  return out;
}

std::vector<std::string> Split(std::string_view mbox, Format variant,
                               std::vector<SourceProblem>* problems = nullptr,
                               const ReadLimits& limits = {}) {
  return Datas(SplitMbox(
      mbox, variant,
      [&](const SourceProblem& p) {
        if (problems) problems->push_back(p);
      },
      limits));
}

using V = std::vector<std::string>;

TEST(MboxReadTest, SplitsAtFromLinesAndKeepsEnvelope) {
  const std::string mbox =
      "From alice@example.com Mon Jan  1 00:00:00 2001\nSubject: one\n\nbody 1\n\n"
      "From bob@example.com Tue Jan  2 00:00:00 2001\nSubject: two\n\nbody 2\n\n";
  std::vector<SourceProblem> problems;
  auto ms = SplitMbox(mbox, Format::kMbox, [&](const SourceProblem& p) { problems.push_back(p); });
  ASSERT_EQ(ms.size(), 2u);
  EXPECT_EQ(ms[0].data, "Subject: one\n\nbody 1\n");
  EXPECT_EQ(ms[0].envelope, "alice@example.com Mon Jan  1 00:00:00 2001");
  EXPECT_EQ(ms[0].origin, "memory@0");
  EXPECT_EQ(ms[1].data, "Subject: two\n\nbody 2\n");
  EXPECT_EQ(ms[1].envelope, "bob@example.com Tue Jan  2 00:00:00 2001");
  EXPECT_EQ(ms[1].origin, "memory@" + std::to_string(mbox.find("From bob")));
  EXPECT_TRUE(problems.empty());
}

TEST(MboxReadTest, FromLineWithoutBlankLineStillSeparates) {
  EXPECT_EQ(Split("From a\nS: 1\n\nx\nFrom b\nS: 2\n\ny\n", Format::kMboxrd),
            (V{"S: 1\n\nx", "S: 2\n\ny\n"}));
  // A "From " not at the start of a line is body text.
  EXPECT_EQ(Split("From a\n\nsee From here\n x From y\n", Format::kMboxrd),
            (V{"\nsee From here\n x From y\n"}));
}

TEST(MboxReadTest, MboxrdUnquotesEveryLevel) {
  const std::string mbox = "From a\n\n>From 1\n>>From 2\n>>>From 3\n >From 4\n>From\n";
  EXPECT_EQ(Split(mbox, Format::kMboxrd), (V{"\nFrom 1\n>From 2\n>>From 3\n >From 4\n>From\n"}));
  EXPECT_EQ(Split(mbox, Format::kMbox), Split(mbox, Format::kMboxrd));
}

TEST(MboxReadTest, MboxoUnquotesOneLevelOnly) {
  const std::string mbox = "From a\n\n>From 1\n>>From 2\nx>From 3\n";
  EXPECT_EQ(Split(mbox, Format::kMboxo), (V{"\nFrom 1\n>>From 2\nx>From 3\n"}));
  EXPECT_EQ(Split(mbox, Format::kMboxcl2), (V{"\n>From 1\n>>From 2\nx>From 3\n"}));
}

TEST(MboxReadTest, UnquotesFirstLineOfMessage) {
  EXPECT_EQ(Split("From a\n>From x\n", Format::kMboxrd), (V{"From x\n"}));
}

// A Content-Length body holding a bare "From " line, as mboxcl/mboxcl2 writers leave it.
const std::string kClMbox =
    "From a\nContent-Length: 25\n\nline\nFrom inside\n>From q\n\n"
    "From b\nContent-Length: 2\n\nhi\n";

TEST(MboxReadTest, ContentLengthBoundaries) {
  EXPECT_EQ(Split(kClMbox, Format::kMboxcl2),
            (V{"Content-Length: 25\n\nline\nFrom inside\n>From q\n", "Content-Length: 2\n\nhi"}));
  EXPECT_EQ(Split(kClMbox, Format::kMboxcl),
            (V{"Content-Length: 25\n\nline\nFrom inside\nFrom q\n", "Content-Length: 2\n\nhi"}));
  // Auto uses the length where it reaches past a From_ line, and then does not unquote; the
  // second Content-Length agrees with the end of file, so the mboxrd rules apply there.
  EXPECT_EQ(Split(kClMbox, Format::kMbox),
            (V{"Content-Length: 25\n\nline\nFrom inside\n>From q\n", "Content-Length: 2\n\nhi\n"}));
  // Without Content-Length rules the bare From line splits the message.
  EXPECT_EQ(Split(kClMbox, Format::kMboxrd).size(), 3u);
}

TEST(MboxReadTest, ContentLengthFollowedDirectlyByFromLine) {
  const std::string mbox = "From a\nContent-Length: 12\n\nx\nFrom y\nzz\nFrom b\n\nq\n";
  EXPECT_EQ(Split(mbox, Format::kMboxcl2), (V{"Content-Length: 12\n\nx\nFrom y\nzz\n", "\nq\n"}));
  EXPECT_EQ(Split(mbox, Format::kMbox), Split(mbox, Format::kMboxcl2));
}

TEST(MboxReadTest, LyingContentLengthIsIgnored) {
  // Too short (lands mid-line), too long (past EOF), and pointing at text that is no From_ line.
  for (const char* cl : {"3", "5000", "20"}) {
    const std::string mbox = std::string("From a\nContent-Length: ") + cl +
                             "\n\nbody\n>From x\nFrom not-a-sep? no: quoted below\n\nFrom b\n\nz\n";
    for (Format f : {Format::kMbox, Format::kMboxcl2}) {
      auto got = Split(mbox, f);
      ASSERT_EQ(got.size(), 3u) << cl;
      EXPECT_EQ(got[2], "\nz\n");
    }
    EXPECT_EQ(Split(mbox, Format::kMbox)[0],
              std::string("Content-Length: ") + cl + "\n\nbody\nFrom x");
  }
  // Junk values are no length at all.
  EXPECT_EQ(Split("From a\nContent-Length: 1x\n\nab\nFrom c\n\n", Format::kMboxcl2).size(), 2u);
}

TEST(MboxReadTest, ContentLengthAgreeingWithFromLineKeepsMboxrdRules) {
  // A stale Content-Length counting the separator must not change what auto mode returns.
  const std::string mbox = "From a\nContent-Length: 9\n\n>From x\n\nFrom b\n\n";
  EXPECT_EQ(Split(mbox, Format::kMbox), (V{"Content-Length: 9\n\nFrom x\n", ""}));
  EXPECT_EQ(Split(mbox, Format::kMboxcl2), (V{"Content-Length: 9\n\n>From x\n\n", ""}));
}

TEST(MboxReadTest, CrlfFile) {
  const std::string mbox =
      "From a Mon\r\nSubject: 1\r\n\r\nbody\r\n\r\nFrom b\r\nSubject: 2\r\n\r\n>From x\r\n\r\n";
  auto ms = SplitMbox(mbox, Format::kMbox);
  ASSERT_EQ(ms.size(), 2u);
  EXPECT_EQ(ms[0].envelope, "a Mon");
  EXPECT_EQ(ms[0].data, "Subject: 1\r\n\r\nbody\r\n");
  EXPECT_EQ(ms[1].data, "Subject: 2\r\n\r\nFrom x\r\n");
}

TEST(MboxReadTest, EndOfFileRule) {
  // Blank line at the end: it is the separator.
  EXPECT_EQ(Split("From a\n\nx\n\n", Format::kMboxrd), (V{"\nx\n"}));
  // No blank line: the final newline belongs to the message.
  EXPECT_EQ(Split("From a\n\nx\n", Format::kMboxrd), (V{"\nx\n"}));
  // No final newline at all.
  EXPECT_EQ(Split("From a\n\nx", Format::kMboxrd), (V{"\nx"}));
  EXPECT_EQ(Split("From a\r\n\r\nx\r\n\r\n", Format::kMboxrd), (V{"\r\nx\r\n"}));
  EXPECT_EQ(Split("From a\r\n\r\nx\r\n", Format::kMboxrd), (V{"\r\nx\r\n"}));
  // A From_ line alone, with or without its newline, or followed by one blank line.
  EXPECT_EQ(Split("From a", Format::kMboxrd), (V{""}));
  EXPECT_EQ(Split("From a\n", Format::kMboxrd), (V{""}));
  EXPECT_EQ(Split("From a\n\n", Format::kMboxrd), (V{""}));
  EXPECT_EQ(Split("From a\nFrom b\n", Format::kMboxrd), (V{"", ""}));
}

TEST(MboxReadTest, EmptyFile) {
  std::vector<SourceProblem> problems;
  EXPECT_TRUE(Split("", Format::kMbox, &problems).empty());
  EXPECT_TRUE(problems.empty());
}

TEST(MboxReadTest, GarbageBeforeFirstFromLineIsReported) {
  std::vector<SourceProblem> problems;
  EXPECT_EQ(Split("junk\nmore From x\nFrom a\n\nm\n", Format::kMbox, &problems), (V{"\nm\n"}));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].reason, "skipped 17 bytes before the first From_ line");

  problems.clear();
  EXPECT_EQ(Split("\xEF\xBB\xBF"
                  "From a\n\nm\n",
                  Format::kMbox, &problems),
            (V{"\nm\n"}));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].reason, "skipped 3 bytes before the first From_ line");

  problems.clear();
  EXPECT_TRUE(Split("no mbox at all\n", Format::kMbox, &problems).empty());
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].reason, "no From_ line: all 15 bytes skipped");
}

TEST(MboxReadTest, OversizedMessageIsSkippedAndReported) {
  const std::string big(3 * MboxReader::kChunkBytes + 17, 'x');
  const std::string mbox = "From a\n\nsmall\n\nFrom b\n\n" + big + "\n\nFrom c\n\nlast\n";
  ReadLimits limits;
  limits.max_message_bytes = 1000;
  std::vector<SourceProblem> problems;
  EXPECT_EQ(Split(mbox, Format::kMbox, &problems, limits), (V{"\nsmall\n", "\nlast\n"}));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].origin, "memory@" + std::to_string(mbox.find("From b")));
  EXPECT_NE(problems[0].reason.find("exceeds the limit of 1000"), std::string::npos);

  // Just at the limit is fine; one byte more is not.
  limits.max_message_bytes = 7;
  problems.clear();
  EXPECT_EQ(Split("From a\n\nsmall\n\nFrom b\n\nlarger\n", Format::kMbox, &problems, limits),
            (V{"\nsmall\n"}));
  EXPECT_EQ(problems.size(), 1u);
}

TEST(MboxReadTest, OversizedContentLengthMessageIsSkipped) {
  const std::string mbox = "From a\nContent-Length: 30\n\n" + std::string(10, 'y') + "\nFrom z\n" +
                           std::string(12, 'y') + "\nFrom b\n\nok\n";
  ReadLimits limits;
  limits.max_message_bytes = 40;
  std::vector<SourceProblem> problems;
  EXPECT_EQ(Split(mbox, Format::kMboxcl2, &problems, limits), (V{"\nok\n"}));
  EXPECT_EQ(problems.size(), 1u);
}

TEST(MboxReadTest, MessagesLargerThanTheChunk) {
  std::string body;
  std::string want = "\n";
  for (int i = 0; body.size() < 3 * MboxReader::kChunkBytes; ++i) {
    const std::string line = "line " + std::to_string(i) + "\n";
    body += line + (i % 1000 == 0 ? ">From q\n" : "");
    want += line + (i % 1000 == 0 ? "From q\n" : "");
  }
  const std::string mbox = "From a\n\n" + body + "\nFrom b\n\n" + body;
  auto got = Split(mbox, Format::kMboxrd);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], want);
  EXPECT_EQ(got[1], want);
}

TEST(MboxReadTest, StreamsLargeFileWithBoundedMemory) {
  TempDir dir;
  const std::string path = dir / "big.mbox";
  const std::string body(1000, 'b');
  size_t count = 0;
  {
    std::ofstream f(path, std::ios::binary);
    for (size_t written = 0; written <= (50u << 20); ++count) {
      const std::string m = "From sender" + std::to_string(count) +
                            " Mon Jan  1 00:00:00 2001\nMessage-Id: <" + std::to_string(count) +
                            ">\n\n" + body + "\n\n";
      f << m;
      written += m.size();
    }
  }
  auto file = Env::Default()->OpenRead(path);
  ASSERT_TRUE(file.ok());
  const uint64_t size = *(*file)->Size();
  MboxReader reader(std::move(*file), size, Format::kMbox, path, nullptr, {});
  SourceMessage m;
  size_t n = 0;
  for (;;) {
    Result<bool> got = reader.Next(&m);
    ASSERT_TRUE(got.ok());
    if (!*got) break;
    ASSERT_EQ(m.data, "Message-Id: <" + std::to_string(n) + ">\n\n" + body + "\n");
    ++n;
  }
  EXPECT_EQ(n, count);
  EXPECT_GT(size, 50u << 20);
  EXPECT_LE(reader.peak_buffer_bytes(), 4 * MboxReader::kChunkBytes);
}

// Messages every writer/reader pair must get exactly right.
std::vector<std::string> TrickyMessages() {
  return {
      "Subject: plain\n\nbody\n",
      "Subject: no final newline\n\nbody",
      "Subject: crlf\r\n\r\nbody\r\nFrom crlf\r\n",
      "Subject: crlf without final newline\r\n\r\nbody",
      "Subject: from lines\n\nFrom a\n>From b\n>>From c\n>>>From d\nFrom\n>From\nx From y\n",
      "From the first line\nSubject: x\n\n",
      ">From quoted first line\n\n",
      "Subject: empty body\n\n",
      "",
      "\n",
      "\n\n",
      "\r\n",
      "Subject: ends with cr\n\nbody\r",
      "Subject: crlf ends with cr\r\n\r\nbody\r",
      "Subject: trailing blank lines\n\nbody\n\n\n",
      "Subject: mixed\r\n\nbody\n\r\n",
      "Content-Length: 3\n\nabc\nFrom x\n",
      "Content-Length: 12\n\nabc\n",
  };
}

std::string Encode(const std::vector<std::string>& datas) {
  MboxEncoder enc;
  std::string out;
  for (const std::string& d : datas) {
    ExportMessage m;
    m.data = d;
    m.envelope = "someone@example.com Thu Jan  1 00:00:00 1970";
    enc.Add(m, &out);
  }
  enc.Finish(&out);
  return out;
}

TEST(MboxRoundTripTest, EveryTrickyMessageAloneAndInSequence) {
  const auto tricky = TrickyMessages();
  for (const std::string& d : tricky) {
    const std::string mbox = Encode({d});
    EXPECT_EQ(Split(mbox, Format::kMboxrd), V{d}) << mbox;
    EXPECT_EQ(Split(mbox, Format::kMbox), V{d}) << mbox;
  }
  // Each message first, in the middle and last.
  for (size_t i = 0; i < tricky.size(); ++i) {
    std::vector<std::string> seq = tricky;
    std::rotate(seq.begin(), seq.begin() + std::ptrdiff_t(i), seq.end());
    const std::string mbox = Encode(seq);
    EXPECT_EQ(Split(mbox, Format::kMboxrd), seq) << mbox;
    EXPECT_EQ(Split(mbox, Format::kMbox), seq) << mbox;
  }
}

TEST(MboxRoundTripTest, RandomMessages) {
  const std::vector<std::string> pieces = {"From ", ">",          ">>From ", "\n", "\r\n", "\r",
                                           "a",     "Subject: s", ": ",      " ",  "\n\n"};
  std::mt19937 rng(42);
  for (int round = 0; round < 2000; ++round) {
    std::vector<std::string> datas(1 + rng() % 4);
    for (std::string& d : datas)
      for (int k = int(rng() % 12); k > 0; --k) d += pieces[rng() % pieces.size()];
    const std::string mbox = Encode(datas);
    ASSERT_EQ(Split(mbox, Format::kMboxrd), datas) << mbox;
    ASSERT_EQ(Split(mbox, Format::kMbox), datas) << mbox;
  }
}

TEST(MboxWriteTest, QuotesAndSeparates) {
  ExportMessage m;
  m.data = "A: b\n\nFrom x\n>From y\nz From\n";
  m.envelope = "me@example.com Sat Jan  1 00:00:00 2000";
  MboxEncoder enc;
  std::string out;
  enc.Add(m, &out);
  m.data = "B: c\r\n\r\nno newline";
  m.envelope = "";
  m.date = 1700000000;
  enc.Add(m, &out);
  enc.Finish(&out);
  EXPECT_EQ(out,
            "From me@example.com Sat Jan  1 00:00:00 2000\nA: b\n\n>From x\n>>From y\nz From\n\n"
            "From MAILER-DAEMON Tue Nov 14 22:13:20 2023\r\nB: c\r\n\r\nno newline");
}

TEST(MboxWriteTest, EnvelopeLineBreaksAreFlattened) {
  ExportMessage m;
  m.data = "x\n";
  m.envelope = "a\r\nb";
  MboxEncoder enc;
  std::string out;
  enc.Add(m, &out);
  EXPECT_EQ(out, "From a  b\nx\n");
}

TEST(MboxWriteTest, SynthesizedEnvelope) {
  EXPECT_EQ(SynthesizeEnvelope(0), "MAILER-DAEMON Thu Jan  1 00:00:00 1970");
  EXPECT_EQ(SynthesizeEnvelope(1000000000), "MAILER-DAEMON Sun Sep  9 01:46:40 2001");
}

TEST(MboxSourceTest, SingleFileFolderAndFlags) {
  TempDir dir;
  const std::string first = "From a\nStatus: RO\nX-Status: A\n\none\n\n";
  WriteFile(dir / "Lists.mbox", first + "From b\nX-Mozilla-Status: 0009\n\ntwo\n");
  auto c = testing::ReadAllMessages(dir / "Lists.mbox");
  ASSERT_EQ(c.messages.size(), 2u);
  EXPECT_EQ(c.messages[0].folder, "Lists");
  EXPECT_EQ(c.messages[0].flags, "RS");
  EXPECT_FALSE(c.messages[0].deleted);
  EXPECT_EQ(c.messages[1].flags, "ST");
  EXPECT_TRUE(c.messages[1].deleted);
  EXPECT_EQ(c.messages[1].origin, dir / "Lists.mbox@" + std::to_string(first.size()));
  EXPECT_TRUE(c.problems.empty());
}

TEST(MboxSourceTest, ExplicitVariantOnFile) {
  TempDir dir;
  WriteFile(dir / "x", kClMbox);
  EXPECT_EQ(Datas(testing::ReadAllMessages(dir / "x", Format::kMboxcl2).messages).size(), 2u);
  EXPECT_EQ(Datas(testing::ReadAllMessages(dir / "x", Format::kMboxrd).messages).size(), 3u);
  EXPECT_EQ(testing::ReadAllMessages(dir / "x", Format::kMboxrd).messages[0].folder, "x");
}

// mimekit's fixtures come with the offsets mimekit's parser finds; our split must agree.
struct Offsets {
  uint64_t begin, end;
};
std::vector<Offsets> TopLevelOffsets(const std::string& json) {
  std::vector<Offsets> out;
  for (size_t at = json.find("\"mboxMarkerOffset\""); at != std::string::npos;
       at = json.find("\"mboxMarkerOffset\"", at + 1)) {
    auto number_after = [&](const char* key) {
      size_t k = json.find(key, at);
      return std::stoull(json.substr(json.find(':', k) + 1, 24));
    };
    out.push_back({number_after("\"beginOffset\""), number_after("\"endOffset\"")});
  }
  return out;
}

// mimekit reports raw byte ranges; we also remove one '>' from /^>+From / lines.
std::string MboxrdUnquoted(std::string raw) {
  for (size_t at = 0; at < raw.size(); at = raw.find('\n', at) + 1) {
    const size_t from = raw.find_first_not_of('>', at);
    if (from > at && from != std::string::npos && raw.compare(from, 5, "From ") == 0)
      raw.erase(at, 1);
    if (raw.find('\n', at) == std::string::npos) break;
  }
  return raw;
}

TEST(MboxCorpusTest, MimekitFixturesMatchMimekitOffsets) {
  const std::string dir = testing::CorpusPath("parser-torture/mimekit/UnitTests/TestData/mbox");
  if (dir.empty()) GTEST_SKIP() << "corpora absent: $CUSTODIAN_CORPORA/parser-torture not found";
  for (const char* name : {"content-length", "issue1189"}) {
    const std::string mbox = ReadAll(dir + "/" + name + ".mbox.txt");
    const auto offsets = TopLevelOffsets(ReadAll(dir + "/" + name + ".unix-offsets.json"));
    auto got = Split(mbox, Format::kMbox);
    ASSERT_EQ(got.size(), offsets.size()) << name;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i],
                MboxrdUnquoted(mbox.substr(offsets[i].begin, offsets[i].end - offsets[i].begin)))
          << name << " message " << i;
    }
  }
}

TEST(MboxCorpusTest, MimekitMboxFilesReadWithoutError) {
  const std::string dir = testing::CorpusPath("parser-torture/mimekit/UnitTests/TestData/mbox");
  if (dir.empty()) GTEST_SKIP() << "corpora absent: $CUSTODIAN_CORPORA/parser-torture not found";
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.find(".mbox") == std::string::npos) continue;
    ++files;
    auto c = testing::ReadAllMessages(e.path().string());
    EXPECT_FALSE(c.messages.empty()) << name;
    for (const SourceProblem& p : c.problems) {
      // Only unmunged.mbox.txt starts with a byte order mark, and it is reported.
      EXPECT_EQ(name, "unmunged.mbox.txt") << p.origin << ": " << p.reason;
    }
    // Import -> export -> import gives the same bytes.
    std::vector<std::string> datas = Datas(c.messages);
    EXPECT_EQ(Split(Encode(datas), Format::kMbox), datas) << name;
  }
  EXPECT_GE(files, 4u);
}

}  // namespace
}  // namespace custodian::mailbox
