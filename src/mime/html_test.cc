#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "mime/message.h"
#include "util/text.h"

namespace custodian::mime {
namespace {

TEST(HtmlToText, ParagraphsBreaksAndWhitespace) {
  EXPECT_EQ(HtmlToText("<p>Hello,\n   world</p><p>Second</p>"), "Hello, world\n\nSecond");
  EXPECT_EQ(HtmlToText("one<br>two<br/><br />three"), "one\ntwo\n\nthree");
  EXPECT_EQ(HtmlToText("<div>a</div><div>b</div>"), "a\nb");
  EXPECT_EQ(HtmlToText("<h1>Title</h1>text"), "Title\n\ntext");
  EXPECT_EQ(HtmlToText("<ul><li>x</li><li>y</li></ul>"), "- x\n- y");
  EXPECT_EQ(HtmlToText("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>"),
            "a b\nc");
  EXPECT_EQ(HtmlToText("<b>bold</b> and <i>italic</i>"), "bold and italic");
  EXPECT_EQ(HtmlToText("<pre>a  b\n  c</pre>"), "a  b\n  c");
}

TEST(HtmlToText, DropsInvisibleContent) {
  EXPECT_EQ(HtmlToText("<html><head><title>T</title><style>p{color:red}</style></head>"
                       "<body><script>alert('<p>x</p>')</script>Visible<!-- hidden <b> -->"
                       "</body></html>"),
            "Visible");
  EXPECT_EQ(HtmlToText("<STYLE type=text/css>a{}</STYLE>Text"), "Text");
  EXPECT_EQ(HtmlToText("<!DOCTYPE html><?xml version=\"1.0\"?>ok"), "ok");
  // A <head> that is never closed ends where <body> starts.
  EXPECT_EQ(HtmlToText("<head><meta charset=utf-8>junk<body>Body text"), "Body text");
}

TEST(HtmlToText, Entities) {
  EXPECT_EQ(HtmlToText("a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos;"), "a & b <c> \"d\" 'e'");
  EXPECT_EQ(HtmlToText("&copy; &reg; &hellip; &mdash; &ndash; &euro;"),
            "\xC2\xA9 \xC2\xAE \xE2\x80\xA6 \xE2\x80\x94 \xE2\x80\x93 \xE2\x82\xAC");
  EXPECT_EQ(HtmlToText("&lsquo;x&rsquo; &ldquo;y&rdquo;"),
            "\xE2\x80\x98x\xE2\x80\x99 \xE2\x80\x9Cy\xE2\x80\x9D");
  EXPECT_EQ(HtmlToText("&#123;&#x1F600;&#X41;"),
            "{\xF0\x9F\x98\x80"
            "A");
  EXPECT_EQ(HtmlToText("&#150;"), "\xE2\x80\x93");  // windows-1252 meaning, as browsers do
  EXPECT_EQ(HtmlToText("&#xD800;&#0;&#99999999999;"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(HtmlToText("a&nbsp;&nbsp;b"), "a b");
  EXPECT_EQ(HtmlToText("AT&T &bogus; &amp fish & chips &#;"), "AT&T &bogus; & fish & chips &#;");
}

TEST(HtmlToText, Links) {
  EXPECT_EQ(HtmlToText("<a href=\"http://example.com/x?a=1&amp;b=2\">Example</a>"),
            "Example <http://example.com/x?a=1&b=2>");
  EXPECT_EQ(HtmlToText("<a href='http://example.com'>http://example.com</a>"),
            "http://example.com");
  EXPECT_EQ(HtmlToText("<a href=mailto:bob@example.com>bob@example.com</a>"), "bob@example.com");
  EXPECT_EQ(HtmlToText("<a href=\"#top\">Top</a> <a href=\"javascript:void(0)\">JS</a>"), "Top JS");
  EXPECT_EQ(HtmlToText("<a href=\"http://a/\"><img src=x></a>"), "<http://a/>");
  EXPECT_EQ(HtmlToText("<a href=\"http://a/\">one<a href=\"http://b/\">two</a>"),
            "one <http://a/>two <http://b/>");
}

TEST(HtmlToText, MalformedMarkup) {
  EXPECT_EQ(HtmlToText("<p title=\"a > b\">text</p>"), "text");
  EXPECT_EQ(HtmlToText("<p title='x>y' class=z>text"), "text");
  EXPECT_EQ(HtmlToText("1 < 2 and 3 > 2"), "1 < 2 and 3 > 2");
  EXPECT_EQ(HtmlToText("text<"), "text<");
  EXPECT_EQ(HtmlToText("text <b unclosed"), "text");
  EXPECT_EQ(HtmlToText("text <!-- never closed"), "text");
  EXPECT_EQ(HtmlToText("<script>never closed"), "");
  // A quote that never closes must not swallow the document.
  EXPECT_EQ(HtmlToText("<p class=\"x>one</p><p>two</p>"), "one\n\ntwo");
  EXPECT_EQ(HtmlToText(""), "");
  EXPECT_TRUE(IsValidUtf8(HtmlToText("caf\xE9 <b>\xFF\xFE</b> &#x110000;")));
}

// Each case repeats a construct whose naive handling rescans the rest of the input.
TEST(HtmlToText, LinearOnPathologicalInput) {
  const std::string pieces[] = {"<!--", "<script>", "<a href=\"",  "<p class='", "<head>",
                                "<",    "&#x",      "<a href=x>y", "<!x"};
  for (const std::string& piece : pieces) {
    std::string html;
    while (html.size() < (4u << 20)) html += piece;
    auto start = std::chrono::steady_clock::now();
    std::string text = HtmlToText(html);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_LT(seconds, 3.0) << "piece " << piece;
    EXPECT_TRUE(IsValidUtf8(text));
  }
}

}  // namespace
}  // namespace custodian::mime
