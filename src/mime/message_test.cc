#include "mime/message.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "util/test_corpora.h"
#include "util/text.h"

namespace custodian::mime {
namespace {

class MessageTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { InitMime(); }
};

bool HasProblem(const ParsedMessage& m, std::string_view needle) {
  return std::any_of(m.problems.begin(), m.problems.end(),
                     [&](const std::string& p) { return p.find(needle) != std::string::npos; });
}

const Attachment* FindPart(const ParsedMessage& m, std::string_view part) {
  for (const Attachment& a : m.attachments)
    if (a.part == part) return &a;
  return nullptr;
}

void ExpectAllValidUtf8(const ParsedMessage& m, const std::string& context) {
  auto check = [&](const std::string& s) { EXPECT_TRUE(IsValidUtf8(s)) << context << ": " << s; };
  for (const Header& h : m.headers) {
    check(h.name);
    check(h.value);
  }
  check(m.subject);
  for (const auto* list : {&m.from, &m.sender, &m.to, &m.cc, &m.bcc, &m.reply_to}) {
    for (const Address& a : *list) {
      check(a.name);
      check(a.address);
    }
  }
  check(m.message_id);
  check(m.in_reply_to);
  for (const std::string& r : m.references) check(r);
  check(m.body_text);
  for (const Attachment& a : m.attachments) {
    check(a.filename);
    check(a.content_type);
  }
  for (const std::string& p : m.problems) check(p);
}

TEST_F(MessageTest, EncodedSubjectsInSeveralCharsets) {
  struct Case {
    const char* header;
    const char* expected;
  } cases[] = {
      {"=?UTF-8?B?w4lsw6hhbm9yIOKAkyBzdW1tYXJ5?=",
       "\xC3\x89l\xC3\xA8"
       "anor \xE2\x80\x93 summary"},
      {"=?utf-8?Q?caf=C3=A9_cr=C3=A8me?=", "caf\xC3\xA9 cr\xC3\xA8me"},
      {"=?iso-8859-1?Q?Gr=FC=DFe_aus_M=FCnchen?=",
       "Gr\xC3\xBC\xC3\x9F"
       "e aus M\xC3\xBCnchen"},
      {"=?koi8-r?B?8NLJ18XU?=", "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82"},
      {"=?utf-8?q?one?= =?utf-8?q?_two?=", "one two"},  // whitespace between words dropped
      {"Re: =?windows-1252?Q?=93quoted=94?= text", "Re: \xE2\x80\x9Cquoted\xE2\x80\x9D text"},
      // Broken in the ways real mail is: raw Latin-1, and an encoded word with spaces inside.
      {"Caf\xE9 ouvert", "Caf\xC3\xA9 ouvert"},
      {"=?utf-8?Q?hello world?=", "hello world"},
  };
  for (const Case& c : cases) {
    ParsedMessage m = ParseMessage(std::string("From: a@example.com\nSubject: ") + c.header +
                                   "\nDate: Mon, 1 Jan 2001 00:00:00 +0000\n\nbody\n");
    EXPECT_EQ(m.subject, c.expected) << c.header;
    EXPECT_TRUE(IsValidUtf8(m.subject));
  }
}

TEST_F(MessageTest, UnknownEncodedWordCharsetStaysValidUtf8) {
  ParsedMessage m = ParseMessage("Subject: =?x-no-such-charset?B?/////w==?= tail\n\nbody\n");
  EXPECT_TRUE(IsValidUtf8(m.subject));
  EXPECT_NE(m.subject.find("tail"), std::string::npos);
}

TEST_F(MessageTest, HeadersAreUnfoldedDecodedAndInOrder) {
  ParsedMessage m = ParseMessage(
      "Received: from a\n  by b; Mon, 1 Jan 2001 00:00:00 +0000\n"
      "Subject: folded\n =?utf-8?q?w=C3=B6rd?=\n"
      "MIME-Version: 1.0\n"
      "Content-Type: text/plain; charset=utf-8\n"
      "X-Custom: last\n\nbody\n");
  ASSERT_EQ(m.headers.size(), 5u);
  EXPECT_EQ(m.headers[0].name, "Received");
  EXPECT_EQ(m.headers[0].value.find('\n'), std::string::npos);
  EXPECT_EQ(m.headers[1].value, "folded w\xC3\xB6rd");
  EXPECT_EQ(m.headers[3].name, "Content-Type");
  EXPECT_EQ(m.headers[4].name, "X-Custom");
  EXPECT_EQ(m.headers[4].value, "last");
  EXPECT_EQ(m.subject, "folded w\xC3\xB6rd");
}

TEST_F(MessageTest, AddressesAndIds) {
  ParsedMessage m = ParseMessage(
      "From: =?utf-8?q?J=C3=BCrgen?= Stein <juergen@example.de>\n"
      "To: \"Smith, Ann\" <ann@example.com>, bob@example.com\n"
      "Cc: undisclosed-recipients:;\n"
      "Bcc: Team: carol@example.com, Dave <dave@example.com>;\n"
      "Reply-To: list@example.org\n"
      "Sender: relay@example.net\n"
      "Message-ID: <abc.123@example.de>\n"
      "In-Reply-To: <parent@example.com> (comment)\n"
      "References: <root@example.com>\n <parent@example.com>\n"
      "Date: Mon, 1 Jan 2001 00:00:00 +0000\n\nbody\n");
  ASSERT_EQ(m.from.size(), 1u);
  EXPECT_EQ(m.from[0].name, "J\xC3\xBCrgen Stein");
  EXPECT_EQ(m.from[0].address, "juergen@example.de");
  ASSERT_EQ(m.to.size(), 2u);
  EXPECT_EQ(m.to[0].name, "Smith, Ann");
  EXPECT_EQ(m.to[1].address, "bob@example.com");
  ASSERT_EQ(m.cc.size(), 1u);
  EXPECT_EQ(m.cc[0].name, "undisclosed-recipients");
  EXPECT_EQ(m.cc[0].address, "");
  ASSERT_EQ(m.bcc.size(), 3u);
  EXPECT_EQ(m.bcc[0].name, "Team");
  EXPECT_EQ(m.bcc[2].address, "dave@example.com");
  ASSERT_EQ(m.reply_to.size(), 1u);
  ASSERT_EQ(m.sender.size(), 1u);
  EXPECT_EQ(m.message_id, "abc.123@example.de");
  EXPECT_EQ(m.in_reply_to, "parent@example.com");
  EXPECT_EQ(m.references, (std::vector<std::string>{"root@example.com", "parent@example.com"}));
  EXPECT_EQ(FormatAddresses(m.to), "Smith, Ann <ann@example.com>, bob@example.com");
  EXPECT_TRUE(m.problems.empty()) << ::testing::PrintToString(m.problems);
}

TEST_F(MessageTest, AddressesGMimeRejectsAreKept) {
  ParsedMessage m = ParseMessage(
      "From: j..kean@enron.com\n"
      "To: a..schroeder@enron.com, \"Lay, Kenneth\" <kenneth.lay@enron.com>,\n\tjeff (Jeff S)\n"
      "Cc: Smith, Ann <ann@example.com>\n\nbody\n");
  ASSERT_EQ(m.from.size(), 1u);
  EXPECT_EQ(m.from[0].address, "j..kean@enron.com");
  ASSERT_EQ(m.to.size(), 3u);
  EXPECT_EQ(m.to[0].address, "a..schroeder@enron.com");
  EXPECT_EQ(m.to[1].name, "Lay, Kenneth");
  EXPECT_EQ(m.to[1].address, "kenneth.lay@enron.com");
  EXPECT_EQ(m.to[2].name, "Jeff S");
  EXPECT_EQ(m.to[2].address, "jeff");
  ASSERT_FALSE(m.cc.empty());
  EXPECT_EQ(m.cc.back().address, "ann@example.com");
}

TEST_F(MessageTest, FormatAddresses) {
  EXPECT_EQ(FormatAddresses({}), "");
  EXPECT_EQ(FormatAddresses({{"Ann", "ann@x.org"}, {"", "bob@x.org"}, {"group", ""}}),
            "Ann <ann@x.org>, bob@x.org, group");
}

TEST_F(MessageTest, EnronDateWithZoneComment) {
  ParsedMessage m = ParseMessage(
      "Message-ID: <1.JavaMail.evans@thyme>\nDate: Wed, 22 Mar 2000 03:40:00 -0800 (PST)\n"
      "From: phillip.allen@enron.com\nSubject: test\n\nbody\n");
  ASSERT_TRUE(m.has_date);
  EXPECT_EQ(m.date, 953725200);  // 2000-03-22 11:40:00 UTC
  EXPECT_EQ(m.tz_offset_minutes, -480);
  EXPECT_TRUE(m.problems.empty());

  m = ParseMessage("Date: Thu, 22 Aug 2002 18:26:25 +0700\n\nx\n");
  EXPECT_EQ(m.date, 1030015585);
  EXPECT_EQ(m.tz_offset_minutes, 420);
}

TEST_F(MessageTest, MissingOrBadDateIsAProblem) {
  ParsedMessage m = ParseMessage("From: a@example.com\nSubject: no date\n\nbody\n");
  EXPECT_FALSE(m.has_date);
  EXPECT_TRUE(HasProblem(m, "no Date")) << ::testing::PrintToString(m.problems);

  m = ParseMessage("From: a@example.com\nDate: next tuesday-ish\n\nbody\n");
  EXPECT_FALSE(m.has_date);
  EXPECT_TRUE(HasProblem(m, "unparsable Date")) << ::testing::PrintToString(m.problems);
}

TEST_F(MessageTest, Rfc2231Filenames) {
  ParsedMessage m = ParseMessage(
      "Content-Type: multipart/mixed; boundary=b\nDate: Mon, 1 Jan 2001 00:00:00 +0000\n\n"
      "--b\nContent-Type: text/plain\n\nsee attached\n"
      "--b\nContent-Type: application/pdf\n"
      "Content-Disposition: attachment; filename*=utf-8''r%C3%A9sum%C3%A9%20final.pdf\n"
      "Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n"
      "--b\nContent-Type: application/octet-stream\n"
      "Content-Disposition: attachment;\n filename*0*=iso-8859-1''na%EFve;\n "
      "filename*1=\".txt\"\n\n"
      "abc\n"
      "--b\nContent-Type: image/png; name=\"=?utf-8?q?b=C3=BCro.png?=\"\n\nPNG\n"
      "--b--\n");
  ASSERT_EQ(m.attachments.size(), 3u);
  EXPECT_EQ(m.attachments[0].filename, "r\xC3\xA9sum\xC3\xA9 final.pdf");
  EXPECT_EQ(m.attachments[0].content_type, "application/pdf");
  EXPECT_EQ(m.attachments[0].size, 9u);  // "%PDF-1.4\n"
  EXPECT_EQ(m.attachments[0].part, "2");
  EXPECT_EQ(m.attachments[1].filename, "na\xC3\xAFve.txt");
  EXPECT_EQ(m.attachments[2].filename, "b\xC3\xBCro.png");
  EXPECT_EQ(m.body_text, "see attached");  // the last newline belongs to the boundary
}

TEST_F(MessageTest, AlternativePrefersPlainText) {
  ParsedMessage m = ParseMessage(
      "Content-Type: multipart/alternative; boundary=\"alt\"\n\n"
      "--alt\nContent-Type: text/html\n\n<p>HTML version</p>\n"
      "--alt\nContent-Type: text/plain; charset=us-ascii\n\nPlain version\n"
      "--alt--\n");
  EXPECT_EQ(m.body_text, "Plain version");
  EXPECT_TRUE(m.attachments.empty());
  EXPECT_EQ(m.part_count, 3u);
}

TEST_F(MessageTest, HtmlOnlyMessagesAreRendered) {
  ParsedMessage m = ParseMessage(
      "Content-Type: text/html; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n"
      "<html><head><style>b{}</style></head><body><p>Caf=E9 &amp; <b>bar</b></p>"
      "<p>Visit <a href=3D\"http://x.org/\">us</a></p></body></html>\n");
  EXPECT_EQ(m.body_text, "Caf\xC3\xA9 & bar\n\nVisit us <http://x.org/>");

  m = ParseMessage(
      "Content-Type: multipart/alternative; boundary=a\n\n"
      "--a\nContent-Type: text/html\n\n<div>only html</div>\n--a--\n");
  EXPECT_EQ(m.body_text, "only html");
}

TEST_F(MessageTest, NestedMultipartPartNumbers) {
  ParsedMessage m = ParseMessage(
      "Content-Type: multipart/mixed; boundary=outer\n\n"
      "--outer\nContent-Type: multipart/alternative; boundary=alt\n\n"
      "--alt\nContent-Type: text/plain\n\nThe text\n"
      "--alt\nContent-Type: multipart/related; boundary=rel\n\n"
      "--rel\nContent-Type: text/html\n\n<p>The html</p><img src=cid:logo>\n"
      "--rel\nContent-Type: image/gif\nContent-ID: <logo>\nContent-Disposition: inline\n"
      "Content-Transfer-Encoding: base64\n\nR0lGODlhAQABAAAAACw=\n"
      "--rel--\n"
      "--alt--\n"
      "--outer\nContent-Type: application/vnd.ms-excel; name=\"Q3.xls\"\n"
      "Content-Transfer-Encoding: base64\n\nAAECAwQF\n"
      "--outer\nContent-Type: text/plain\nContent-Disposition: attachment; filename=notes.txt\n\n"
      "attached notes\n"
      "--outer--\n");
  EXPECT_EQ(m.body_text, "The text");
  ASSERT_EQ(m.attachments.size(), 3u);
  const Attachment* gif = FindPart(m, "1.2.2");
  ASSERT_NE(gif, nullptr);
  EXPECT_EQ(gif->content_type, "image/gif");
  EXPECT_TRUE(gif->is_inline);
  EXPECT_EQ(gif->size, 14u);
  const Attachment* xls = FindPart(m, "2");
  ASSERT_NE(xls, nullptr);
  EXPECT_EQ(xls->filename, "Q3.xls");
  EXPECT_EQ(xls->size, 6u);
  EXPECT_FALSE(xls->is_inline);
  const Attachment* notes = FindPart(m, "3");
  ASSERT_NE(notes, nullptr);
  EXPECT_EQ(notes->content_type, "text/plain");
  EXPECT_EQ(notes->size, 14u);
  EXPECT_EQ(m.part_count, 8u);
}

TEST_F(MessageTest, ForwardedMessageIsAttachmentAndText) {
  ParsedMessage m = ParseMessage(
      "From: a@example.com\nSubject: Fwd: report\n"
      "Content-Type: multipart/mixed; boundary=m\n\n"
      "--m\nContent-Type: text/plain\n\nSee below.\n"
      "--m\nContent-Type: message/rfc822\n\n"
      "From: Original Sender <orig@example.com>\nSubject: Quarterly report\n"
      "Date: Tue, 2 Jan 2001 10:00:00 +0100\n"
      "Content-Type: multipart/mixed; boundary=inner\n\n"
      "--inner\nContent-Type: text/plain\n\nNumbers are up.\n"
      "--inner\nContent-Type: application/pdf; name=q.pdf\n\n%PDF\n"
      "--inner--\n"
      "--m--\n");
  ASSERT_EQ(m.attachments.size(), 2u);
  EXPECT_EQ(m.attachments[0].content_type, "message/rfc822");
  EXPECT_EQ(m.attachments[0].filename, "Quarterly report.eml");
  EXPECT_EQ(m.attachments[0].part, "2");
  EXPECT_GT(m.attachments[0].size, 100u);
  EXPECT_EQ(m.attachments[1].filename, "q.pdf");
  EXPECT_EQ(m.attachments[1].part, "2.2");
  EXPECT_NE(m.body_text.find("See below."), std::string::npos);
  EXPECT_NE(m.body_text.find("Numbers are up."), std::string::npos);
  EXPECT_NE(m.body_text.find("Subject: Quarterly report"), std::string::npos);
  EXPECT_EQ(m.subject, "Fwd: report");  // the outer one

  m = ParseMessage(
      "Content-Type: multipart/mixed; boundary=m\n\n--m\n"
      "Content-Type: message/rfc822\nContent-Disposition: attachment; filename=\"orig.eml\"\n\n"
      "Subject: s\n\nsingle part body\n--m--\n");
  ASSERT_EQ(m.attachments.size(), 1u);
  EXPECT_EQ(m.attachments[0].filename, "orig.eml");
  EXPECT_NE(m.body_text.find("single part body"), std::string::npos);
}

TEST_F(MessageTest, BodyCharsets) {
  ParsedMessage m = ParseMessage(
      "Content-Type: text/plain; charset=koi8-r\nContent-Transfer-Encoding: 8bit\n\n"
      "\xF0\xD2\xC9\xD7\xC5\xD4\r\n");
  EXPECT_EQ(m.body_text, "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82\n");

  m = ParseMessage("Content-Type: text/plain; charset=iso-2022-jp\n\n\x1B$B$3$s$K$A$O\x1B(B\n");
  EXPECT_EQ(m.body_text, "\xE3\x81\x93\xE3\x82\x93\xE3\x81\xAB\xE3\x81\xA1\xE3\x81\xAF\n");

  m = ParseMessage("Content-Type: text/plain\n\nno charset: caf\xE9 \x93ok\x94\n");
  EXPECT_EQ(m.body_text, "no charset: caf\xC3\xA9 \xE2\x80\x9Cok\xE2\x80\x9D\n");

  m = ParseMessage("Content-Type: text/plain; charset=x-martian\n\nbytes \xE9\n");
  EXPECT_EQ(m.body_text, "bytes \xC3\xA9\n");
  EXPECT_TRUE(HasProblem(m, "x-martian"));

  m = ParseMessage("Content-Type: text/plain; charset=utf-8\n\nbad \xC3 utf8\n");
  EXPECT_TRUE(IsValidUtf8(m.body_text));
}

TEST_F(MessageTest, DepthLimit) {
  const int kLevels = 200;
  std::string raw;
  for (int i = 0; i < kLevels; i++) {
    raw += "Content-Type: multipart/mixed; boundary=\"b" + std::to_string(i) + "\"\n\n--b" +
           std::to_string(i) + "\n";
  }
  raw += "Content-Type: text/plain\n\ndeep text\n";
  for (int i = kLevels - 1; i >= 0; i--) raw += "--b" + std::to_string(i) + "--\n";
  ParsedMessage m = ParseMessage(raw);
  EXPECT_TRUE(HasProblem(m, "nesting")) << ::testing::PrintToString(m.problems);
  EXPECT_LE(m.part_count, Limits{}.max_depth + 1);
  EXPECT_EQ(m.body_text.find("deep text"), std::string::npos);

  Limits shallow;
  shallow.max_depth = 3;
  m = ParseMessage(raw, shallow);
  EXPECT_EQ(m.part_count, 4u);

  // Nested message/rfc822 needs no boundaries, so it is the cheap way to nest deeply.
  std::string nested;
  for (int i = 0; i < 5000; i++) nested += "Content-Type: message/rfc822\n\n";
  nested += "Subject: bottom\n\nx\n";
  m = ParseMessage(nested);
  EXPECT_TRUE(HasProblem(m, "nesting"));
}

TEST_F(MessageTest, PartCountLimit) {
  auto multipart = [](int parts) {
    std::string raw = "Subject: many parts\nContent-Type: multipart/mixed; boundary=b\n\n";
    for (int i = 0; i < parts; i++)
      raw += "--b\nContent-Type: image/png; name=p" + std::to_string(i) + ".png\n\nx\n";
    return raw + "--b--\n";
  };
  Limits limits;
  limits.max_parts = 10;
  // A few parts over the limit: parsed up to it.
  ParsedMessage m = ParseMessage(multipart(15), limits);
  EXPECT_EQ(m.part_count, 10u);
  EXPECT_EQ(m.attachments.size(), 9u);  // the multipart itself is the first part
  EXPECT_TRUE(HasProblem(m, "MIME parts"));
  // Far over the limit: GMime is not asked to build the parts at all; headers still parse.
  m = ParseMessage(multipart(100), limits);
  EXPECT_EQ(m.subject, "many parts");
  EXPECT_EQ(m.part_count, 0u);
  EXPECT_TRUE(HasProblem(m, "boundary-like"));
  EXPECT_EQ(ParseMessage(multipart(100)).attachments.size(), 100u);
}

TEST_F(MessageTest, SizeLimits) {
  std::string body(10000, 'x');
  std::string raw = "Subject: big\nDate: Mon, 1 Jan 2001 00:00:00 +0000\n\n" + body;
  Limits limits;
  limits.max_message_bytes = 1000;
  ParsedMessage m = ParseMessage(raw, limits);
  EXPECT_EQ(m.subject, "big");
  EXPECT_TRUE(m.has_date);
  EXPECT_TRUE(m.body_text.empty());
  EXPECT_TRUE(HasProblem(m, "only headers"));

  limits = Limits{};
  limits.max_text_bytes = 100;
  m = ParseMessage("Content-Type: text/plain; charset=utf-8\n\n" + std::string(60, 'a') +
                   std::string(60, '\xC3') /* invalid alone */ + "\xE2\x82\xAC\xE2\x82\xAC");
  EXPECT_TRUE(IsValidUtf8(m.body_text));
  m = ParseMessage(
      "Content-Type: text/plain; charset=utf-8\n\n" + std::string(99, 'a') + "\xE2\x82\xAC tail",
      limits);
  EXPECT_EQ(m.body_text, std::string(99, 'a'));  // never splits a character
  EXPECT_TRUE(HasProblem(m, "truncated"));

  limits = Limits{};
  limits.max_header_bytes = 200;
  std::string headers = "Subject: first\n";
  for (int i = 0; i < 50; i++) headers += "X-Filler: " + std::to_string(i) + "\n";
  m = ParseMessage(headers + "\nbody\n", limits);
  EXPECT_EQ(m.subject, "first");
  EXPECT_LT(m.headers.size(), 20u);
  EXPECT_TRUE(HasProblem(m, "header section"));

  std::string part_headers;
  for (int i = 0; i < 50; i++) part_headers += "X-Filler: " + std::to_string(i) + "\n";
  m = ParseMessage("Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n" +
                       part_headers + "\nignored text\n--b--\n",
                   limits);
  EXPECT_TRUE(HasProblem(m, "part 1: header block"));
  ASSERT_EQ(m.attachments.size(), 1u);
  EXPECT_EQ(m.attachments[0].content_type, "application/octet-stream");
  EXPECT_TRUE(m.body_text.empty());
}

TEST_F(MessageTest, MalformedInputNeverFails) {
  const std::string inputs[] = {
      "",
      "\n\n\n",
      "not a header line at all\nfoo\n",
      "Subject: truncated\nContent-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: te",
      "Content-Type: multipart/mixed\n\nno boundary parameter\n",
      "Content-Type: multipart/mixed; boundary=\"\"\n\n--\n--\n",
      "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n!!!not base64===\n",
      "Content-Type: message/rfc822\n\n",
      "Content-Type: /\nContent-Disposition: ;;;filename*0*=x''%ZZ\n\nx",
      "From: <<<@@@>>>, \"unterminated\nTo: ;;;,,,\nDate: 99 Foo 99999 99:99:99 +9999\n\n",
      std::string("Subject: nul\0byte\n\nbody\0more", 26),
  };
  for (const std::string& raw : inputs) ExpectAllValidUtf8(ParseMessage(raw), raw);
  EXPECT_TRUE(HasProblem(ParseMessage(""), "empty"));
  EXPECT_FALSE(ParseMessage("not a header line at all\nfoo\n").problems.empty());
}

TEST_F(MessageTest, RandomBytesDoNotCrash) {
  std::mt19937 rng(12345);
  const std::string alphabet = "ab:;=?\"<>@-\n\r\t =?QB\x80\xE9\xFF--boundary";
  for (int round = 0; round < 300; round++) {
    std::string raw(rng() % 4000, '\0');
    bool structured = round % 2 == 0;  // half pure noise, half noise from a MIME-ish alphabet
    for (char& c : raw)
      c = structured ? alphabet[rng() % alphabet.size()] : static_cast<char>(rng() & 0xFF);
    if (structured && round % 4 == 0)
      raw = "Content-Type: multipart/mixed; boundary=boundary\n\n--boundary\n" + raw;
    ExpectAllValidUtf8(ParseMessage(raw), "round " + std::to_string(round));
  }
}

TEST_F(MessageTest, ConcurrentParsesAgree) {
  const std::string raw =
      "From: =?iso-8859-1?q?Andr=E9?= <a@x.org>\nSubject: =?koi8-r?B?8NLJ18XU?=\n"
      "Date: Wed, 22 Mar 2000 03:40:00 -0800\n"
      "Content-Type: multipart/alternative; boundary=a\n\n"
      "--a\nContent-Type: text/plain; charset=iso-2022-jp\n\n\x1B$B$3$s\x1B(B\n"
      "--a\nContent-Type: text/html\n\n<p>x</p>\n--a--\n";
  ParsedMessage expected = ParseMessage(raw);
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 300; i++) {
        ParsedMessage m = ParseMessage(raw);
        if (m.subject != expected.subject || m.body_text != expected.body_text ||
            m.from[0].name != expected.from[0].name || m.date != expected.date)
          mismatches[t]++;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int n : mismatches) EXPECT_EQ(n, 0);
}

using custodian::testing::CorpusDir;
using custodian::testing::ReadFile;
using custodian::testing::SkipMboxFromLine;

std::vector<std::filesystem::path> FilesUnder(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir))
    if (entry.is_regular_file()) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

TEST_F(MessageTest, SpamAssassinCorpus) {
  std::filesystem::path dir = CorpusDir("spamassassin");
  if (dir.empty()) GTEST_SKIP() << "corpus folder spamassassin not found under $CUSTODIAN_CORPORA";
  size_t total = 0, with_from = 0, with_date = 0, with_body = 0;
  for (const auto& path : FilesUnder(dir)) {
    std::string raw = ReadFile(path);
    ParsedMessage m = ParseMessage(SkipMboxFromLine(raw));
    ExpectAllValidUtf8(m, path.string());
    total++;
    if (!m.from.empty() && !m.from[0].address.empty()) with_from++;
    if (m.has_date) with_date++;
    if (!m.body_text.empty()) with_body++;
  }
  ASSERT_GT(total, 5000u);
  EXPECT_GE(with_from * 100, total * 95) << with_from << " of " << total;
  EXPECT_GE(with_date * 100, total * 95) << with_date << " of " << total;
  EXPECT_GE(with_body * 100, total * 95) << with_body << " of " << total;

  ParsedMessage known = ParseMessage(
      SkipMboxFromLine(ReadFile(dir / "easy-ham-1/00001.7c53336b37003a9286aba55d2945844c.txt")));
  EXPECT_EQ(known.subject, "Re: New Sequences Window");
  ASSERT_EQ(known.from.size(), 1u);
  EXPECT_EQ(known.from[0].name, "Robert Elz");
  EXPECT_EQ(known.from[0].address, "kre@munnari.OZ.AU");
  EXPECT_EQ(known.message_id, "13258.1030015585@munnari.OZ.AU");
  EXPECT_EQ(known.date, 1030015585);
}

TEST_F(MessageTest, ParserTortureCorpus) {
  std::filesystem::path dir = CorpusDir("parser-torture");
  if (dir.empty())
    GTEST_SKIP() << "corpus folder parser-torture not found under $CUSTODIAN_CORPORA";
  size_t total = 0;
  for (const auto& path : FilesUnder(dir)) {
    std::string raw = ReadFile(path);
    ExpectAllValidUtf8(ParseMessage(SkipMboxFromLine(raw)), path.string());
    total++;
  }
  EXPECT_GT(total, 100u);
}

struct Seen {
  Attachment attachment;
  std::string content;
};

std::vector<Seen> AllAttachments(std::string_view raw, const Limits& limits = {}) {
  std::vector<Seen> seen;
  ForEachAttachment(raw, limits, [&](const Attachment& a, std::string_view content) {
    seen.push_back({a, std::string(content)});
  });
  return seen;
}

TEST_F(MessageTest, ForEachAttachmentDecodesContent) {
  std::string raw =
      "From: a@example.com\n"
      "Subject: files\n"
      "MIME-Version: 1.0\n"
      "Content-Type: multipart/mixed; boundary=X\n\n"
      "--X\n"
      "Content-Type: text/plain\n\n"
      "the body\n"
      "--X\n"
      "Content-Type: application/octet-stream; name=a.bin\n"
      "Content-Transfer-Encoding: base64\n\n"
      "AAECA/8=\n"
      "--X\n"
      "Content-Type: text/plain; charset=iso-8859-1\n"
      "Content-Disposition: attachment; filename=notes.txt\n"
      "Content-Transfer-Encoding: quoted-printable\n\n"
      "caf=E9 cr=E8me=\n"
      " soft break\n"
      "--X--\n";
  std::vector<Seen> seen = AllAttachments(raw);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].attachment.part, "2");
  EXPECT_EQ(seen[0].attachment.filename, "a.bin");
  EXPECT_EQ(seen[0].content, std::string("\x00\x01\x02\x03\xff", 5));
  EXPECT_EQ(seen[0].attachment.size, 5u);
  EXPECT_EQ(seen[1].attachment.part, "3");
  EXPECT_EQ(seen[1].attachment.charset, "iso-8859-1");
  EXPECT_EQ(seen[1].content, "caf\xE9 cr\xE8me soft break");
  EXPECT_EQ(seen[1].attachment.size, seen[1].content.size());

  ParsedMessage m = ParseMessage(raw);
  ASSERT_EQ(m.attachments.size(), 2u);
  EXPECT_EQ(m.attachments[1].charset, "iso-8859-1");
  EXPECT_EQ(m.body_text, "the body");
}

TEST_F(MessageTest, ForEachAttachmentGivesEmbeddedMessageAndItsParts) {
  std::string raw =
      "From: a@example.com\n"
      "Subject: fwd\n"
      "MIME-Version: 1.0\n"
      "Content-Type: multipart/mixed; boundary=OUT\n\n"
      "--OUT\n"
      "Content-Type: text/plain\n\n"
      "see below\n"
      "--OUT\n"
      "Content-Type: message/rfc822\n\n"
      "From: b@example.com\n"
      "Subject: inner\n"
      "Content-Type: multipart/mixed; boundary=IN\n\n"
      "--IN\n"
      "Content-Type: text/plain\n\n"
      "inner body\n"
      "--IN\n"
      "Content-Type: text/csv; name=t.csv\n\n"
      "a,b\n"
      "--IN--\n"
      "--OUT--\n";
  std::vector<Seen> seen = AllAttachments(raw);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].attachment.part, "2");
  EXPECT_EQ(seen[0].attachment.content_type, "message/rfc822");
  EXPECT_NE(seen[0].content.find("Subject: inner"), std::string::npos);
  EXPECT_NE(seen[0].content.find("inner body"), std::string::npos);
  EXPECT_EQ(seen[0].attachment.size, seen[0].content.size());
  EXPECT_EQ(seen[1].attachment.part, "2.2");
  EXPECT_EQ(seen[1].content, "a,b");
  // The embedded message is itself a message whose attachments can be walked.
  std::vector<Seen> inner = AllAttachments(seen[0].content);
  ASSERT_EQ(inner.size(), 1u);
  EXPECT_EQ(inner[0].attachment.filename, "t.csv");
}

TEST_F(MessageTest, ForEachAttachmentRespectsLimits) {
  std::string raw = "From: a@example.com\nContent-Type: multipart/mixed; boundary=B\n\n";
  for (int i = 0; i < 20; i++)
    raw += "--B\nContent-Type: image/png; name=p" + std::to_string(i) + ".png\n\nx\n";
  raw += "--B--\n";
  Limits limits;
  limits.max_parts = 12;
  std::vector<Seen> seen = AllAttachments(raw, limits);
  EXPECT_EQ(seen.size(), ParseMessage(raw, limits).attachments.size());
  EXPECT_EQ(seen.size(), 11u);  // the multipart itself counts as a part
  EXPECT_TRUE(AllAttachments("").empty());
  EXPECT_TRUE(AllAttachments("\x01\x02 not a message").empty());
}

// The walk must list exactly what ParseMessage lists, on real mail of every shape.
TEST_F(MessageTest, ForEachAttachmentMatchesParseMessageOnCorpus) {
  std::filesystem::path dir = CorpusDir("parser-torture");
  if (dir.empty())
    GTEST_SKIP() << "corpus folder parser-torture not found under $CUSTODIAN_CORPORA";
  size_t attachments = 0;
  for (const auto& path : FilesUnder(dir)) {
    std::string raw = ReadFile(path);
    std::string_view message = SkipMboxFromLine(raw);
    ParsedMessage m = ParseMessage(message);
    std::vector<Seen> seen = AllAttachments(message);
    ASSERT_EQ(seen.size(), m.attachments.size()) << path;
    for (size_t i = 0; i < seen.size(); i++) {
      const Attachment& a = seen[i].attachment;
      EXPECT_EQ(a.part, m.attachments[i].part) << path;
      EXPECT_EQ(a.content_type, m.attachments[i].content_type) << path;
      EXPECT_EQ(a.filename, m.attachments[i].filename) << path;
      EXPECT_EQ(a.size, m.attachments[i].size) << path;
      EXPECT_EQ(a.size, seen[i].content.size()) << path;
    }
    attachments += seen.size();
  }
  EXPECT_GT(attachments, 50u);
}

}  // namespace
}  // namespace custodian::mime

namespace custodian::mime {
namespace {

TEST(MessageIds, ProseInReplyToFromOlderMailersStillLinks) {
  ParsedMessage m = ParseMessage(
      "From: dl@example.com\nSubject: RE: x\nMessage-Id: <200208221811.LAA21283@maltesecat>\n"
      "In-Reply-To: Message from Ann <ann@example.com> of \"Wed, 21 Aug 2002 11:30:03 PDT.\"\n"
      "    <20020821183003.25673.41476.Mailman@lair.xent.com>\n\nbody\n");
  EXPECT_EQ(m.in_reply_to, "20020821183003.25673.41476.Mailman@lair.xent.com");
  ParsedMessage plain = ParseMessage("From: a@b\nIn-Reply-To: <p@example.com>\n\nx\n");
  EXPECT_EQ(plain.in_reply_to, "p@example.com");
  ParsedMessage junk = ParseMessage("From: a@b\nIn-Reply-To: your message of yesterday\n\nx\n");
  EXPECT_EQ(junk.in_reply_to, "");
}

}  // namespace
}  // namespace custodian::mime
