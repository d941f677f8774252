#include "query/query.h"

#include <gtest/gtest.h>

#include <string>

namespace custodian::query {
namespace {

// 2001-05-14T12:00:00Z, a Monday in the Enron years.
constexpr int64_t kNow = 989841600;
constexpr int64_t kDay = 86400;

std::string P(std::string_view q) {
  ParseOptions options;
  options.now = kNow;
  auto r = Parse(q, options);
  if (!r.ok()) return "error: " + r.status().message();
  return ToString(**r);
}

// The error message of a query that must fail.
std::string E(std::string_view q) {
  ParseOptions options;
  options.now = kNow;
  auto r = Parse(q, options);
  if (r.ok()) return "parsed: " + ToString(**r);
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  return r.status().message();
}

// UTC midnight of a calendar day, independently of the parser's arithmetic.
int64_t Midnight(int y, int m, int d) {
  struct tm tm = {};
  tm.tm_year = y - 1900;
  tm.tm_mon = m - 1;
  tm.tm_mday = d;
  return int64_t(timegm(&tm));
}

std::string Date(int64_t lo, int64_t hi) {
  return "(DATE " + std::to_string(lo) + " " + std::to_string(hi) + ")";
}

TEST(QueryWords, BareWordsAndPhrases) {
  EXPECT_EQ(P("enron"), "(WORD any \"enron\")");
  EXPECT_EQ(P("Enron"), "(WORD any \"Enron\")");  // the index folds case, the parser keeps it
  EXPECT_EQ(P("\"org chart\""), "(PHRASE any \"org chart\")");
  EXPECT_EQ(P("\"  org,   chart \""), "(PHRASE any \"org chart\")");
  EXPECT_EQ(P("\"enron\""), "(WORD any \"enron\")");
  EXPECT_EQ(P("café"), "(WORD any \"café\")");
  EXPECT_EQ(P("and or not"),
            "(AND (WORD any \"and\") (WORD any \"or\") (WORD any \"not\"))");
  EXPECT_EQ(P("\"OR\""), "(WORD any \"OR\")");
}

TEST(QueryWords, PunctuationMakesPhrases) {
  EXPECT_EQ(P("o'brien"), "(PHRASE any \"o brien\")");
  EXPECT_EQ(P("e-mail"), "(PHRASE any \"e mail\")");
  EXPECT_EQ(P("john.smith@enron.com"), "(PHRASE any \"john smith enron com\")");
  EXPECT_EQ(P("10:30"), "(PHRASE any \"10 30\")");
  EXPECT_EQ(P("hello,"), "(WORD any \"hello\")");
  EXPECT_EQ(P("\"don't \\\"panic\\\"\""), "(PHRASE any \"don t panic\")");
}

TEST(QueryWords, PrefixAndAll) {
  EXPECT_EQ(P("enr*"), "(PREFIX any \"enr\")");
  EXPECT_EQ(P("*"), "(ALL)");
  EXPECT_EQ(P("to:jeff*"), "(PREFIX to \"jeff\")");
  EXPECT_EQ(P("from:kenneth.l*"), "(PREFIX from \"kenneth l\")");
  EXPECT_EQ(P("\"org ch\"*"), "(PREFIX any \"org ch\")");
  EXPECT_EQ(P("* enron"), "(WORD any \"enron\")");  // `*` adds nothing to an AND
  EXPECT_EQ(P("* OR enron"), "(OR (ALL) (WORD any \"enron\"))");
}

TEST(QueryFields, TextFields) {
  EXPECT_EQ(P("from:kenneth.lay@enron.com"), "(PHRASE from \"kenneth lay enron com\")");
  EXPECT_EQ(P("to:jeff"), "(WORD to \"jeff\")");
  EXPECT_EQ(P("cc:a bcc:b"), "(AND (WORD cc \"a\") (WORD bcc \"b\"))");
  EXPECT_EQ(P("subject:\"org chart\""), "(PHRASE subject \"org chart\")");
  EXPECT_EQ(P("body:gas"), "(WORD body \"gas\")");
  EXPECT_EQ(P("attachment:budget"), "(WORD attachment \"budget\")");
  EXPECT_EQ(P("filename:report.xls"), "(PHRASE filename \"report xls\")");
  EXPECT_EQ(P("From:jeff SUBJECT:gas"), "(AND (WORD from \"jeff\") (WORD subject \"gas\"))");
  EXPECT_EQ(P("subject:\"3:00\""), "(PHRASE subject \"3 00\")");
}

TEST(QueryFields, FieldGroups) {
  EXPECT_EQ(P("from:(lay OR skilling)"), "(OR (WORD from \"lay\") (WORD from \"skilling\"))");
  EXPECT_EQ(P("subject:(gas -power)"),
            "(AND (WORD subject \"gas\") (NOT (WORD subject \"power\")))");
  // An explicit field inside a group wins.
  EXPECT_EQ(P("from:(lay OR to:ken)"), "(OR (WORD from \"lay\") (WORD to \"ken\"))");
  EXPECT_EQ(P("is:(deleted OR held)"), "(OR (IS \"deleted\") (IS \"held\"))");
  EXPECT_EQ(P("date:(2001 OR 2002)"),
            "(OR " + Date(Midnight(2001, 1, 1), Midnight(2002, 1, 1) - 1) + " " +
                Date(Midnight(2002, 1, 1), Midnight(2003, 1, 1) - 1) + ")");
  EXPECT_EQ(E("from:(*)"),
            "at position 7: '*' alone cannot be limited to a field; put the start of a word "
            "before it, like from:jeff*");
}

TEST(QueryFields, MetadataFields) {
  EXPECT_EQ(P("has:attachment"), "(HAS \"attachment\")");
  EXPECT_EQ(P("has:Attachment"), "(HAS \"attachment\")");
  EXPECT_EQ(P("is:deleted"), "(IS \"deleted\")");
  for (const char* v : {"held", "personal", "official", "flagged"})
    EXPECT_EQ(P(std::string("is:") + v), std::string("(IS \"") + v + "\")");
  EXPECT_EQ(P("custodian:lay-k"), "(CUSTODIAN \"lay-k\")");
  EXPECT_EQ(P("folder:\"Sent Items\""), "(FOLDER \"Sent Items\")");
  EXPECT_EQ(P("folder:inbox/Projects"), "(FOLDER \"inbox/Projects\")");
  EXPECT_EQ(P("id:ABCDEF12"), "(ID \"abcdef12\")");
  EXPECT_EQ(P("id:" + std::string(64, 'a')), "(ID \"" + std::string(64, 'a') + "\")");
  EXPECT_EQ(P("thread:0123"), "(THREAD \"0123\")");
  EXPECT_EQ(P("msgid:<1234.JavaMail.evans@thyme>"), "(MSGID \"1234.JavaMail.evans@thyme\")");
  EXPECT_EQ(P("msgid:1234.JavaMail.evans@thyme"), "(MSGID \"1234.JavaMail.evans@thyme\")");
  EXPECT_EQ(P("msgid:\"<a b@c>\""), "(MSGID \"a b@c\")");
}

TEST(QueryFields, Authenticity) {
  for (const char* v : {"pass", "fail", "none", "temperror", "permerror"})
    EXPECT_EQ(P(std::string("dkim:") + v), std::string("(DKIM \"") + v + "\")");
  EXPECT_EQ(P("DKIM:Pass"), "(DKIM \"pass\")");
  EXPECT_EQ(P("signed-by:Gmail.COM"), "(SIGNED-BY \"gmail.com\")");
  EXPECT_EQ(P("Signed-By:mail.example.org."), "(SIGNED-BY \"mail.example.org\")");
  EXPECT_EQ(P("-signed-by:x.org dkim:(pass OR fail)"),
            "(AND (NOT (SIGNED-BY \"x.org\")) (OR (DKIM \"pass\") (DKIM \"fail\")))");
  // A hyphenated word before a colon is a field only when it is one.
  EXPECT_EQ(P("e-mail:x"), P("\"e mail x\""));
  EXPECT_EQ(E("dkim:maybe"),
            "at position 6: unknown value 'maybe' for dkim: (known: pass, fail, none, temperror, permerror)");
  EXPECT_EQ(E("signed-by:a..b"), "at position 11: signed-by: takes a domain name, like signed-by:gmail.com");
  EXPECT_EQ(E("signed-by:@x.org"), "at position 11: signed-by: takes a domain name, like signed-by:gmail.com");
}

TEST(QueryFields, MetadataErrors) {
  EXPECT_EQ(E("is:spam"),
            "at position 4: unknown value 'spam' for is: (known: deleted, held, personal, "
            "official, flagged)");
  EXPECT_EQ(E("has:pdf"), "at position 5: unknown value 'pdf' for has: (known: attachment)");
  EXPECT_EQ(E("id:abc"),
            "at position 4: id: takes 4 to 64 hex digits (all or the start of a message id)");
  EXPECT_EQ(E("id:" + std::string(65, 'a')).substr(0, 15), "at position 4: ");
  EXPECT_EQ(E("thread:wxyz").substr(0, 15), "at position 8: ");
  EXPECT_EQ(E("msgid:<>"), "at position 7: empty Message-ID after msgid:");
  EXPECT_EQ(E("folder:\"\""), "at position 1: empty value after folder:");
}

TEST(QuerySubstring, TextField) {
  EXPECT_EQ(P("text:\"ACCT 4471-\""), "(SUBSTRING \"ACCT 4471-\")");
  EXPECT_EQ(P("text:abc"), "(SUBSTRING \"abc\")");
  EXPECT_EQ(P("text:\"C:\\path\""), "(SUBSTRING \"C:\\\\path\")");  // `\p` is not an escape
  EXPECT_EQ(P("text:\"a\\\"b\""), "(SUBSTRING \"a\\\"b\")");
  EXPECT_EQ(E("text:ab"),
            "at position 6: text: needs at least 3 bytes, because substring search finds "
            "candidates by their 3-byte sequences (trigrams); search for a shorter word "
            "without text:");
  EXPECT_EQ(P("text:é."), "(SUBSTRING \"é.\")");  // three bytes, two characters
  EXPECT_EQ(E("text:\"abc\"*"),
            "at position 11: '*' (prefix search) only applies to words");
}

TEST(QueryRegex, Patterns) {
  EXPECT_EQ(P("re:/\\d{3}-\\d{4}/"), "(REGEX \"\\\\d{3}-\\\\d{4}\")");
  EXPECT_EQ(P("re:/enron/i"), "(REGEX/i \"enron\")");
  EXPECT_EQ(P("RE:/a (b)\\)/"), "(REGEX \"a (b)\\\\)\")");
  EXPECT_EQ(P("re:/a\\/b/"), "(REGEX \"a/b\")");
  EXPECT_EQ(P("re:/a\\\\/ x"), "(AND (REGEX \"a\\\\\\\\\") (WORD any \"x\"))");
  EXPECT_EQ(P("re:/x/ -re:/y/i"), "(AND (REGEX \"x\") (NOT (REGEX/i \"y\")))");
}

TEST(QueryRegex, Errors) {
  EXPECT_EQ(E("re:/abc"), "at position 4: unterminated regular expression: missing the closing /");
  EXPECT_EQ(E("re:abc"),
            "at position 4: re: takes a pattern between slashes, like re:/\\d{3}-\\d{4}/");
  EXPECT_EQ(E("re:/a/x"),
            "at position 7: unknown regular expression flag 'x' (the only flag is i, for "
            "case-insensitive)");
  EXPECT_EQ(E("re://"), "at position 1: empty regular expression");
  // RE2's complaint, placed at the offending part of the pattern.
  std::string m = E("x re:/ab(c/");
  EXPECT_EQ(m.substr(0, 51), "at position 7: invalid regular expression: missing ");
  m = E("x re:/ab\\/c[/");
  EXPECT_EQ(m.substr(0, 44), "at position 12: invalid regular expression: ");
  m = E("re:/a**/");
  EXPECT_EQ(m.substr(0, 42), "at position 6: invalid regular expression:");
  // RE2 quotes the pattern; the message must stay on one line.
  EXPECT_EQ(E("re:/(a\nb/"), "at position 5: invalid regular expression: missing ): (a b");
  EXPECT_EQ(E("re:/x{2,1}/"), "at position 6: invalid regular expression: invalid repetition size: {2,1}");
}

TEST(QueryDate, AbsoluteDays) {
  const int64_t may1 = Midnight(2001, 5, 1), june1 = Midnight(2001, 6, 1);
  EXPECT_EQ(P("date:2001-05-01..2001-05-31"), Date(may1, june1 - 1));
  EXPECT_EQ(P("date:2001-05-01..2001-05-31"), Date(988675200, 991353599));
  EXPECT_EQ(P("date:2001-05-14"), Date(Midnight(2001, 5, 14), Midnight(2001, 5, 15) - 1));
  EXPECT_EQ(P("date:2001/5/14"), P("date:2001-05-14"));
  EXPECT_EQ(P("date:2001-05"), Date(may1, june1 - 1));
  EXPECT_EQ(P("date:2001"), Date(Midnight(2001, 1, 1), Midnight(2002, 1, 1) - 1));
  EXPECT_EQ(P("date:2001-12"), Date(Midnight(2001, 12, 1), Midnight(2002, 1, 1) - 1));
  EXPECT_EQ(P("date:2001..2002"), Date(Midnight(2001, 1, 1), Midnight(2003, 1, 1) - 1));
  EXPECT_EQ(P("date:1969-12-31"), Date(-kDay, -1));
  EXPECT_EQ(P("enron date:2001-05-01..2001-05-31"),
            "(AND (WORD any \"enron\") (DATE 988675200 991353599))");
}

TEST(QueryDate, OpenRanges) {
  EXPECT_EQ(P("date:2001-05-01.."), "(DATE 988675200 *)");
  EXPECT_EQ(P("date:..2001-05-31"), "(DATE * 991353599)");
}

TEST(QueryDate, Times) {
  const int64_t day = Midnight(2001, 5, 14);
  EXPECT_EQ(P("date:2001-05-14T09:30..2001-05-14T17:00"),
            Date(day + 9 * 3600 + 30 * 60, day + 17 * 3600 + 59));
  EXPECT_EQ(P("date:2001-05-14T09:30:15Z"), Date(day + 34215, day + 34215));
  EXPECT_EQ(P("date:2001-05-14t23:59"), Date(day + kDay - 60, day + kDay - 1));
  EXPECT_EQ(E("date:2001-05-14T24:00"),
            "at position 17: there is no such time of day (hours 00-23, minutes and seconds "
            "00-59)");
  EXPECT_EQ(E("date:2001-05-14T9"), "at position 17: expected a time like 09:30 or 09:30:15 (UTC)");
  EXPECT_EQ(E("date:2001-05-14T09:30+02"), "at position 22: unexpected text after the time");
  // No spaces in a value: this is a date and a separate phrase "09 30".
  EXPECT_EQ(P("date:2001-05-14 09:30"),
            "(AND " + Date(day, day + kDay - 1) + " (PHRASE any \"09 30\"))");
}

TEST(QueryDate, LeapYears) {
  EXPECT_EQ(P("date:2000-02-29"), Date(Midnight(2000, 2, 29), Midnight(2000, 3, 1) - 1));
  EXPECT_EQ(P("date:2004-02-29"), Date(Midnight(2004, 2, 29), Midnight(2004, 3, 1) - 1));
  EXPECT_EQ(P("date:2000-02"), Date(Midnight(2000, 2, 1), Midnight(2000, 3, 1) - 1));
  EXPECT_EQ(E("date:2001-02-29"),
            "at position 14: there is no day 29 in 2001-02 (it has 28 days)");
  EXPECT_EQ(E("date:1900-02-29"),
            "at position 14: there is no day 29 in 1900-02 (it has 28 days)");
  EXPECT_EQ(E("date:2001-04-31"),
            "at position 14: there is no day 31 in 2001-04 (it has 30 days)");
  EXPECT_EQ(E("date:2001-13"), "at position 11: there is no month 13; months go from 01 to 12");
  EXPECT_EQ(E("date:2001-00-10"), "at position 11: there is no month 0; months go from 01 to 12");
  EXPECT_EQ(E("date:2001-05-00").substr(0, 31), "at position 14: there is no day");
}

TEST(QueryDate, Relative) {
  EXPECT_EQ(P("date:30d.."), "(DATE " + std::to_string(kNow - 30 * kDay) + " *)");
  EXPECT_EQ(P("date:30d"), P("date:30d.."));  // alone: the last 30 days
  EXPECT_EQ(P("date:2w.."), "(DATE " + std::to_string(kNow - 14 * kDay) + " *)");
  EXPECT_EQ(P("date:0d.."), "(DATE " + std::to_string(kNow) + " *)");
  // Calendar months and years: 2001-05-14T12:00 back to 2000-11-14T12:00 and 2000-05-14T12:00.
  EXPECT_EQ(P("date:6m.."), "(DATE " + std::to_string(Midnight(2000, 11, 14) + 43200) + " *)");
  EXPECT_EQ(P("date:1Y.."), "(DATE " + std::to_string(Midnight(2000, 5, 14) + 43200) + " *)");
  EXPECT_EQ(P("date:..1y"), "(DATE * " + std::to_string(Midnight(2000, 5, 14) + 43200) + ")");
  EXPECT_EQ(P("date:30d..7d"), Date(kNow - 30 * kDay, kNow - 7 * kDay));
  EXPECT_EQ(P("date:2001-01-01..30d"), Date(Midnight(2001, 1, 1), kNow - 30 * kDay));
  EXPECT_EQ(E("date:7d..30d"),
            "at position 6: the date range ends before it starts (write the earlier date first)");
  EXPECT_EQ(E("date:123456d"), "at position 6: a relative date goes back at most 99999 units");
}

TEST(QueryDate, RelativeMonthsClampToMonthEnd) {
  ParseOptions options;
  options.now = Midnight(2004, 3, 31) + 3600;  // 2004-03-31T01:00Z
  auto r = Parse("date:1m..", options);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*(*r)->lo, Midnight(2004, 2, 29) + 3600);  // leap February
  r = Parse("date:1y..", options);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*(*r)->lo, Midnight(2003, 3, 31) + 3600);
  options.now = Midnight(2004, 2, 29);
  r = Parse("date:1y..", options);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*(*r)->lo, Midnight(2003, 2, 28));
}

TEST(QueryDate, NowDefaultsToTheClock) {
  auto r = Parse("date:1d..");
  ASSERT_TRUE(r.ok());
  int64_t expected = int64_t(time(nullptr)) - kDay;
  EXPECT_NEAR(double(*(*r)->lo), double(expected), 5);
}

TEST(QueryDate, Errors) {
  const std::string help =
      "expected a date like 2001-05-14, 2001-05, 2001 or 2001-05-14T09:30, or a relative one "
      "like 30d, 2w, 6m or 1y";
  EXPECT_EQ(E("date:yesterday"), "at position 6: " + help);
  EXPECT_EQ(E("date:01"), "at position 6: " + help);
  EXPECT_EQ(E("date:20011"), "at position 6: " + help);
  EXPECT_EQ(E("date:05/14/2001"), "at position 6: " + help);
  EXPECT_EQ(E("date:2001.05"), "at position 10: expected '-' after the year; " + help);
  EXPECT_EQ(E("date:2001-05-14..2001-05-01"),
            "at position 6: the date range ends before it starts (write the earlier date first)");
  EXPECT_EQ(E("date:.."), "at position 6: a date range needs at least one end, like "
                          "date:2001-05-01..");
  EXPECT_EQ(E("date:2001..2002..2003"), "at position 16: a date range has only one '..'");
  EXPECT_EQ(E("date:2001-05-14..x"), "at position 18: " + help);
}

TEST(QuerySize, UnitsAndComparisons) {
  EXPECT_EQ(P("size:>1M"), "(SIZE 1048577 *)");
  EXPECT_EQ(P("size:>=1M"), "(SIZE 1048576 *)");
  EXPECT_EQ(P("size:<10k"), "(SIZE * 10239)");
  EXPECT_EQ(P("size:<=10k"), "(SIZE * 10240)");
  EXPECT_EQ(P("size:10k..1M"), "(SIZE 10240 1048576)");
  EXPECT_EQ(P("size:10KB..1MiB"), "(SIZE 10240 1048576)");
  EXPECT_EQ(P("size:1.5M.."), "(SIZE 1572864 *)");
  EXPECT_EQ(P("size:..2G"), "(SIZE * 2147483648)");
  EXPECT_EQ(P("size:>2000"), "(SIZE 2001 *)");
  EXPECT_EQ(P("size:>500b"), "(SIZE 501 *)");
  EXPECT_EQ(P("size:0..0"), "(SIZE 0 0)");
}

TEST(QuerySize, Errors) {
  EXPECT_EQ(E("size:1M"),
            "at position 6: size needs a comparison or a range: size:>1M, size:<=10k, "
            "size:10k..1M");
  EXPECT_EQ(E("size:>1T"), "at position 8: unknown size unit 'T' (use k, M or G: 1k = 1024 bytes)");
  EXPECT_EQ(E("size:>1.5"), "at position 8: a number of bytes has no fraction (use k, M or G)");
  EXPECT_EQ(E("size:>big"), "at position 7: expected a size like 2000, 10k, 1.5M or 2G");
  EXPECT_EQ(E("size:>"), "at position 7: expected a size after >");
  EXPECT_EQ(E("size:<0"), "at position 6: no message is smaller than 0 bytes");
  EXPECT_EQ(E("size:1M..10k"), "at position 6: the size range ends before it starts");
  EXPECT_EQ(E("size:>999999999999999G"), "at position 7: size is too large");
}

TEST(QueryBoolean, PrecedenceAndFlattening) {
  EXPECT_EQ(P("a b c"), "(AND (WORD any \"a\") (WORD any \"b\") (WORD any \"c\"))");
  EXPECT_EQ(P("a AND b AND c"), P("a b c"));
  EXPECT_EQ(P("a (b c)"), P("a b c"));
  EXPECT_EQ(P("((a) AND (b AND (c)))"), P("a b c"));
  EXPECT_EQ(P("a OR b OR c"), "(OR (WORD any \"a\") (WORD any \"b\") (WORD any \"c\"))");
  EXPECT_EQ(P("a OR (b OR c)"), P("a OR b OR c"));
  // AND binds tighter than OR, juxtaposition included.
  EXPECT_EQ(P("a OR b c"), "(OR (WORD any \"a\") (AND (WORD any \"b\") (WORD any \"c\")))");
  EXPECT_EQ(P("a b OR c"), "(OR (AND (WORD any \"a\") (WORD any \"b\")) (WORD any \"c\"))");
  EXPECT_EQ(P("a AND b OR c AND d"), P("(a b) OR (c d)"));
  EXPECT_EQ(P("(a OR b) c"),
            "(AND (OR (WORD any \"a\") (WORD any \"b\")) (WORD any \"c\"))");
  // NOT binds tighter than AND.
  EXPECT_EQ(P("NOT a b"), "(AND (NOT (WORD any \"a\")) (WORD any \"b\"))");
  EXPECT_EQ(P("a NOT b"), "(AND (WORD any \"a\") (NOT (WORD any \"b\")))");
  EXPECT_EQ(P("a AND NOT b"), P("a NOT b"));
  EXPECT_EQ(P("a -b"), P("a NOT b"));
  EXPECT_EQ(P("a-b"), "(PHRASE any \"a b\")");  // a hyphen inside a term is punctuation
  EXPECT_EQ(P("NOT(a OR b) c"), P("-(a OR b) c"));
}

TEST(QueryBoolean, Negation) {
  // A query of only negations means everything except them.
  EXPECT_EQ(P("-enron"), "(AND (ALL) (NOT (WORD any \"enron\")))");
  EXPECT_EQ(P("NOT a NOT b"), "(AND (ALL) (NOT (WORD any \"a\")) (NOT (WORD any \"b\")))");
  EXPECT_EQ(P("-is:deleted"), "(AND (ALL) (NOT (IS \"deleted\")))");
  EXPECT_EQ(P("a OR -b"),
            "(OR (WORD any \"a\") (AND (ALL) (NOT (WORD any \"b\"))))");
  EXPECT_EQ(P("-(a -b)"),
            "(AND (ALL) (NOT (AND (WORD any \"a\") (NOT (WORD any \"b\")))))");
  EXPECT_EQ(P("-(-a -b)"),
            "(AND (ALL) (NOT (AND (ALL) (NOT (WORD any \"a\")) (NOT (WORD any \"b\")))))");
  // Double negation cancels, however it is written.
  EXPECT_EQ(P("NOT NOT a"), "(WORD any \"a\")");
  EXPECT_EQ(P("--a"), "(WORD any \"a\")");
  EXPECT_EQ(P("NOT -a b"), "(AND (WORD any \"a\") (WORD any \"b\"))");
  EXPECT_EQ(P("-(-a)"), "(WORD any \"a\")");
  EXPECT_EQ(P("NOT NOT NOT a"), P("-a"));
  EXPECT_EQ(P("-*"), "(AND (ALL) (NOT (ALL)))");
}

TEST(QueryBoolean, Positions) {
  auto r = Parse("enron  from:lay -subject:gas");
  ASSERT_TRUE(r.ok());
  const Node& root = **r;
  ASSERT_EQ(root.children.size(), 3u);
  EXPECT_EQ(root.position, 0u);
  EXPECT_EQ(root.children[1]->position, 7u);
  EXPECT_EQ(root.children[2]->kind, Node::Kind::kNot);
  EXPECT_EQ(root.children[2]->position, 16u);
  EXPECT_EQ(root.children[2]->children[0]->position, 17u);
}

TEST(QueryErrors, PositionsOfMalformedQueries) {
  EXPECT_EQ(E(""), "at position 1: empty query (* matches every message)");
  EXPECT_EQ(E("   "), "at position 4: empty query (* matches every message)");
  EXPECT_EQ(E("(a OR b"), "at position 1: unclosed '(': missing the matching ')'");
  EXPECT_EQ(E("a (b (c)"), "at position 3: unclosed '(': missing the matching ')'");
  EXPECT_EQ(E("a OR b)"), "at position 7: unmatched ')'");
  EXPECT_EQ(E(") a"), "at position 1: unmatched ')'");
  EXPECT_EQ(E("a ()"), "at position 3: empty parentheses");
  EXPECT_EQ(E("\"org chart"), "at position 1: unterminated quote: missing the closing \"");
  EXPECT_EQ(E("subject:\"org"), "at position 9: unterminated quote: missing the closing \"");
  EXPECT_EQ(E("frm:x"), "at position 1: unknown field 'frm' (did you mean from?)");
  EXPECT_EQ(E("a subj:x"), "at position 3: unknown field 'subj' (did you mean subject?)");
  EXPECT_EQ(E("Attachments:x"),
            "at position 1: unknown field 'attachments' (did you mean attachment?)");
  EXPECT_EQ(E(std::string(50, 'q') + ":x").substr(0, 75),
            "at position 1: unknown field '" + std::string(40, 'q') + "...';");
  EXPECT_EQ(E("http://enron.com").substr(0, 47), "at position 1: unknown field 'http'; the fields");
  EXPECT_EQ(E("from:"), "at position 6: empty value after from:");
  EXPECT_EQ(E("from: lay"), "at position 6: empty value after from:");
  EXPECT_EQ(E("(to:)"), "at position 5: empty value after to:");
  EXPECT_EQ(E("a AND"), "at position 3: AND at the end of the query needs a term after it");
  EXPECT_EQ(E("a OR"), "at position 3: OR at the end of the query needs a term after it");
  EXPECT_EQ(E("a NOT"), "at position 3: NOT at the end of the query needs a term after it");
  EXPECT_EQ(E("AND a"), "at position 1: AND needs a term before it");
  EXPECT_EQ(E("OR a"), "at position 1: OR needs a term before it");
  EXPECT_EQ(E("a OR OR b"), "at position 6: expected a term after OR, found OR");
  EXPECT_EQ(E("a AND ) b"), "at position 7: expected a term after AND, found ')'");
  EXPECT_EQ(E("(a OR)"), "at position 6: expected a term after OR, found ')'");
  EXPECT_EQ(E("a -"), "at position 3: '-' must be followed directly by the term to exclude, "
                      "like -lunch");
  EXPECT_EQ(E("a - b"), "at position 3: '-' must be followed directly by the term to exclude, "
                        "like -lunch");
  EXPECT_EQ(E("a ..."), "at position 3: '...' has no letters or digits to search for; use "
                        "text:\"...\" to find exact characters");
  EXPECT_EQ(E("\"\""), "at position 1: empty phrase");
  // Quoted user text in a message stays on one line and short.
  EXPECT_EQ(E("is:\"a\nb\""), "at position 5: unknown value 'a b' for is: (known: deleted, held, "
                               "personal, official, flagged)");
  EXPECT_EQ(E("has:" + std::string(50, 'x')),
            "at position 5: unknown value '" + std::string(40, 'x') +
                "...' for has: (known: attachment)");
  EXPECT_EQ(E("from:lay \xff"), "at position 10: the query is not valid UTF-8");
  EXPECT_EQ(E("a \xc0\x80"), "at position 3: the query is not valid UTF-8");  // overlong
}

TEST(QueryLimits, Nesting) {
  std::string ok = std::string(100, '(') + "a" + std::string(100, ')');
  EXPECT_EQ(P(ok), "(WORD any \"a\")");
  std::string deep = std::string(101, '(') + "a" + std::string(101, ')');
  EXPECT_EQ(E(deep), "at position 101: parentheses nested more than 100 deep");
  // Far deeper than the limit, and unbalanced: the depth check fires before the stack could.
  std::string hostile(60000, '(');
  EXPECT_EQ(E(hostile), "at position 101: parentheses nested more than 100 deep");
  std::string field_groups;
  for (int i = 0; i < 101; i++) field_groups += "from:(";
  EXPECT_EQ(E(field_groups), "at position 601: parentheses nested more than 100 deep");
  // NOT chains cost no nesting.
  std::string nots;
  for (int i = 0; i < 10000; i++) nots += "NOT ";
  EXPECT_EQ(P(nots + "a"), "(WORD any \"a\")");
  EXPECT_EQ(P(std::string(10001, '-') + "a"), P("-a"));
}

TEST(QueryLimits, TermsAndLength) {
  std::string terms;
  for (int i = 0; i < 1000; i++) terms += "w ";
  auto r = Parse(terms);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)->children.size(), 1000u);
  EXPECT_EQ(E(terms + "x"), "at position 2001: more than 1000 search terms");
  std::string longest(64 * 1024, 'a');
  EXPECT_EQ(P(longest), "(WORD any \"" + longest + "\")");
  EXPECT_EQ(E(longest + "a"), "at position 65537: the query is longer than 64 KiB");
}

TEST(QueryToString, EscapesAndBounds) {
  Node node;
  node.kind = Node::Kind::kSubstring;
  node.text = "a\"b\\c\n";
  EXPECT_EQ(ToString(node), "(SUBSTRING \"a\\\"b\\\\c\\x0a\")");
  node = Node();
  node.kind = Node::Kind::kDate;
  EXPECT_EQ(ToString(node), "(DATE * *)");
}

TEST(QueryToString, EquivalentQueriesRenderAlike) {
  const std::pair<const char*, const char*> same[] = {
      {"from:lay subject:gas", "From:lay AND (Subject:gas)"},
      {"from:(lay OR skilling)", "from:lay OR from:skilling"},
      {"-a -b", "NOT a AND NOT b"},
      {"a OR b c", "a OR (b AND c)"},
      {"\"org chart\"", "org-chart"},
      {"date:2001-05", "date:2001-05-01..2001-05-31"},
      {"date:2001", "date:2001-01..2001-12"},
      {"size:>=1024", "size:1k.."},
      {"msgid:<x@y>", "msgid:x@y"},
      {"is:Deleted", "IS:deleted"},
  };
  for (const auto& [a, b] : same) EXPECT_EQ(P(a), P(b)) << a << " vs " << b;
}

TEST(QueryFormatError, CaretUnderPosition) {
  std::string q = "from:lay frm:x";
  auto r = Parse(q);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(FormatQueryError(q, r.status()),
            "from:lay frm:x\n"
            "         ^\n"
            "unknown field 'frm' (did you mean from?)");
  q = "a AND";
  EXPECT_EQ(FormatQueryError(q, Parse(q).status()),
            "a AND\n  ^\nAND at the end of the query needs a term after it");
  q = "\"café\tx";
  EXPECT_EQ(FormatQueryError(q, Status::InvalidArgument("at position 8: m")),
            "\"café x\n      ^\nm");  // tab shown as a space; caret counts characters
  EXPECT_EQ(FormatQueryError("ab", Status::InvalidArgument("at position 3: end")),
            "ab\n  ^\nend");
  EXPECT_EQ(FormatQueryError("ab", Status::InvalidArgument("no position")), "no position");
  q = "\x80" "abc";  // the caret at a first byte that is not UTF-8
  EXPECT_EQ(FormatQueryError(q, Parse(q).status()),
            "\xef\xbf\xbd" "abc\n^\nthe query is not valid UTF-8");
  EXPECT_EQ(FormatQueryError("ab", Status::InvalidArgument("at position 9: far")),
            "at position 9: far");
}

TEST(QueryFormatError, LongQueriesAreWindowed) {
  std::string q = std::string(200, 'a') + " frm:x " + std::string(200, 'b');
  auto r = Parse(q);
  ASSERT_FALSE(r.ok());
  std::string shown = FormatQueryError(q, r.status());
  size_t first_newline = shown.find('\n');
  std::string line = shown.substr(0, first_newline);
  std::string caret = shown.substr(first_newline + 1, shown.find('\n', first_newline + 1) -
                                                          first_newline - 1);
  EXPECT_EQ(line.substr(0, 3), "...");
  EXPECT_EQ(line.substr(line.size() - 3), "...");
  EXPECT_LE(line.size(), 80u);
  EXPECT_EQ(line.substr(caret.size() - 1, 4), "frm:");
}

}  // namespace
}  // namespace custodian::query
