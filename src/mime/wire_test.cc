#include "mime/wire.h"

#include <gtest/gtest.h>

namespace custodian::mime::wire {
namespace {

ParsedMessage Full() {
  ParsedMessage m;
  m.headers = {{"From", "Ann <a@example.com>"}, {"Subject", "caf\xC3\xA9"}};
  m.subject = "caf\xC3\xA9";
  m.from = {{"Ann", "a@example.com"}};
  m.sender = {{"", "s@example.com"}};
  m.to = {{"B", "b@example.com"}, {"Group", ""}};
  m.cc = {{"C", "c@example.com"}};
  m.bcc = {{"D", "d@example.com"}};
  m.reply_to = {{"E", "e@example.com"}};
  m.has_date = true;
  m.date = -86400 * 365;  // before 1970
  m.tz_offset_minutes = -330;
  m.message_id = "id@example.com";
  m.in_reply_to = "parent@example.com";
  m.references = {"root@example.com", "parent@example.com"};
  m.body_text = std::string("body with a \0 byte", 18);
  Attachment a;
  a.filename = "report.pdf";
  a.content_type = "application/pdf";
  a.size = 1ull << 40;
  a.part = "2.1";
  a.is_inline = true;
  a.charset = "iso-8859-1";
  m.attachments = {a, Attachment{}};
  m.problems = {"one", "two"};
  m.part_count = 3;
  return m;
}

void ExpectSame(const ParsedMessage& a, const ParsedMessage& b) {
  ASSERT_EQ(a.headers.size(), b.headers.size());
  for (size_t i = 0; i < a.headers.size(); i++) {
    EXPECT_EQ(a.headers[i].name, b.headers[i].name);
    EXPECT_EQ(a.headers[i].value, b.headers[i].value);
  }
  EXPECT_EQ(a.subject, b.subject);
  auto same_list = [](const std::vector<Address>& x, const std::vector<Address>& y) {
    ASSERT_EQ(x.size(), y.size());
    for (size_t i = 0; i < x.size(); i++) {
      EXPECT_EQ(x[i].name, y[i].name);
      EXPECT_EQ(x[i].address, y[i].address);
    }
  };
  same_list(a.from, b.from);
  same_list(a.sender, b.sender);
  same_list(a.to, b.to);
  same_list(a.cc, b.cc);
  same_list(a.bcc, b.bcc);
  same_list(a.reply_to, b.reply_to);
  EXPECT_EQ(a.has_date, b.has_date);
  EXPECT_EQ(a.date, b.date);
  EXPECT_EQ(a.tz_offset_minutes, b.tz_offset_minutes);
  EXPECT_EQ(a.message_id, b.message_id);
  EXPECT_EQ(a.in_reply_to, b.in_reply_to);
  EXPECT_EQ(a.references, b.references);
  EXPECT_EQ(a.body_text, b.body_text);
  ASSERT_EQ(a.attachments.size(), b.attachments.size());
  for (size_t i = 0; i < a.attachments.size(); i++) {
    EXPECT_EQ(a.attachments[i].filename, b.attachments[i].filename);
    EXPECT_EQ(a.attachments[i].content_type, b.attachments[i].content_type);
    EXPECT_EQ(a.attachments[i].size, b.attachments[i].size);
    EXPECT_EQ(a.attachments[i].part, b.attachments[i].part);
    EXPECT_EQ(a.attachments[i].is_inline, b.attachments[i].is_inline);
    EXPECT_EQ(a.attachments[i].charset, b.attachments[i].charset);
  }
  EXPECT_EQ(a.problems, b.problems);
  EXPECT_EQ(a.part_count, b.part_count);
}

// Every field crosses to the plugin and back unchanged.
TEST(Wire, MessagesRoundTrip) {
  ParsedMessage m = Full(), back;
  ASSERT_TRUE(DecodeMessage(EncodeMessage(m), &back));
  ExpectSame(m, back);
  ParsedMessage empty, back2;
  ASSERT_TRUE(DecodeMessage(EncodeMessage(empty), &back2));
  ExpectSame(empty, back2);
}

TEST(Wire, LimitsAndAttachmentsRoundTrip) {
  Limits l;
  l.max_message_bytes = 1;
  l.max_header_bytes = 2;
  l.max_depth = 3;
  l.max_parts = 4;
  l.max_text_bytes = size_t(1) << 40;
  Limits lb;
  ASSERT_TRUE(DecodeLimits(EncodeLimits(l), &lb));
  EXPECT_EQ(lb.max_message_bytes, 1u);
  EXPECT_EQ(lb.max_header_bytes, 2u);
  EXPECT_EQ(lb.max_depth, 3u);
  EXPECT_EQ(lb.max_parts, 4u);
  EXPECT_EQ(lb.max_text_bytes, size_t(1) << 40);
  Attachment a = Full().attachments[0], ab;
  ASSERT_TRUE(DecodeAttachment(EncodeAttachment(a), &ab));
  EXPECT_EQ(ab.filename, a.filename);
  EXPECT_EQ(ab.size, a.size);
  EXPECT_TRUE(ab.is_inline);
}

// A cut or padded encoding is refused, never read past its end.
TEST(Wire, TruncatedOrPaddedIsRefused) {
  std::string enc = EncodeMessage(Full());
  ParsedMessage m;
  for (size_t n = 0; n < enc.size(); n++) EXPECT_FALSE(DecodeMessage(enc.substr(0, n), &m)) << n;
  EXPECT_FALSE(DecodeMessage(enc + "x", &m));
  Limits l;
  EXPECT_FALSE(DecodeLimits(EncodeLimits(l) + "x", &l));
  EXPECT_FALSE(DecodeMessage(std::string("\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\x01", 10), &m));  // a huge count
}

}  // namespace
}  // namespace custodian::mime::wire
