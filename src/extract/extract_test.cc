#include "extract/extract.h"

#include <gtest/gtest.h>
#include <zip.h>

#include <chrono>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "extract/internal.h"
#include "extract/xml.h"
#include "util/test_corpora.h"
#include "util/text.h"

namespace custodian::extract {
namespace {

using Clock = std::chrono::steady_clock;

class ExtractTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    mime::InitMime();
    SetExtractorExecutable(EXTRACT_HELPER_PATH);
  }
};

mime::Attachment Named(std::string filename, std::string content_type = "application/octet-stream",
                       std::string charset = "") {
  mime::Attachment a;
  a.filename = std::move(filename);
  a.content_type = std::move(content_type);
  a.charset = std::move(charset);
  return a;
}

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// A zip built in memory with libzip's writer, as an office suite would store it.
std::string MakeZip(const std::vector<std::pair<std::string, std::string>>& entries) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(nullptr, 0, 0, &error);
  zip_source_keep(source);
  zip_t* za = zip_open_from_source(source, ZIP_TRUNCATE, &error);
  EXPECT_NE(za, nullptr);
  for (const auto& [name, data] : entries) {
    zip_source_t* file = zip_source_buffer(za, data.data(), data.size(), 0);
    EXPECT_GE(zip_file_add(za, name.c_str(), file, ZIP_FL_ENC_UTF_8), 0);
  }
  EXPECT_EQ(zip_close(za), 0);
  zip_stat_t stat;
  zip_source_stat(source, &stat);
  std::string out(stat.size, '\0');
  zip_source_open(source);
  EXPECT_EQ(zip_source_read(source, out.data(), out.size()), static_cast<zip_int64_t>(out.size()));
  zip_source_close(source);
  zip_source_free(source);
  zip_error_fini(&error);
  return out;
}

const char kContentTypes[] = "<?xml version=\"1.0\"?><Types/>";

std::string MakeDocx(const std::string& body) {
  return MakeZip({{"[Content_Types].xml", kContentTypes},
                  {"word/document.xml",
                   "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
                   "<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/"
                   "2006/main\"><w:body>" +
                       body + "</w:body></w:document>"}});
}

std::string MakeOdf(const std::string& mimetype, const std::string& body) {
  return MakeZip({{"mimetype", mimetype},
                  {"content.xml",
                   "<?xml version=\"1.0\" encoding=\"UTF-8\"?><office:document-content "
                   "xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" "
                   "xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\">"
                   "<office:automatic-styles><style:style style:name=\"P1\"/>"
                   "</office:automatic-styles><office:body>" +
                       body + "</office:body></office:document-content>"}});
}

// A one-page PDF showing `sentence` in Helvetica, with a correct cross-reference table.
std::string MakePdf(const std::string& sentence) {
  std::string stream = "BT /F1 18 Tf 72 700 Td (" + sentence + ") Tj ET";
  std::vector<std::string> objects = {
      "<< /Type /Catalog /Pages 2 0 R >>",
      "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
      "/Resources << /Font << /F1 5 0 R >> >> >>",
      "<< /Length " + std::to_string(stream.size()) + " >>\nstream\n" + stream + "\nendstream",
      "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
  };
  std::string pdf = "%PDF-1.4\n";
  std::vector<size_t> offsets;
  for (size_t i = 0; i < objects.size(); i++) {
    offsets.push_back(pdf.size());
    pdf += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
  }
  size_t xref = pdf.size();
  pdf += "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n";
  for (size_t offset : offsets) {
    char line[32];
    std::snprintf(line, sizeof line, "%010zu 00000 n \n", offset);
    pdf += line;
  }
  pdf += "trailer\n<< /Size " + std::to_string(objects.size() + 1) +
         " /Root 1 0 R >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
  return pdf;
}

// --- XML scanner ---

class Recorder : public XmlHandler {
 public:
  void StartTag(std::string_view name, std::string_view attributes, bool self_closing) override {
    log += "<" + std::string(name) + (self_closing ? "/" : "") + ">";
    last_attributes = std::string(attributes);
  }
  void EndTag(std::string_view name) override { log += "</" + std::string(name) + ">"; }
  void Text(std::string_view text) override { log += text; }
  std::string log, last_attributes;
};

TEST(XmlTest, TagsTextAndEntities) {
  Recorder r;
  ScanXml(
      "<?xml version=\"1.0\"?><!-- note <b> --><a x='1>2'>A &amp; B &lt;&#233;&#x20AC;&bogus; &"
      "<b/><![CDATA[<raw> &amp;]]></a>",
      &r);
  EXPECT_EQ(r.log, "<a>A & B <\xC3\xA9\xE2\x82\xAC&bogus; &<b/><raw> &amp;</a>");
}

TEST(XmlTest, DoctypeEntitiesAreNeverExpanded) {
  Recorder r;
  ScanXml(
      "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\"><!ENTITY b \"bbbb\">]>"
      "<x>&e;&b;&#0;&#9999999;&#99999999999;</x>",
      &r);
  // Out-of-range references become U+FFFD; overlong ones stay as written.
  EXPECT_EQ(r.log, "<x>&e;&b;\xEF\xBF\xBD\xEF\xBF\xBD&#99999999999;</x>");
}

TEST(XmlTest, AttributesAndMalformedInput) {
  EXPECT_EQ(XmlAttribute(" t=\"s\" r='A1'", "r"), "A1");
  EXPECT_EQ(XmlAttribute(" text:c=\"3\"", "text:c"), "3");
  EXPECT_EQ(XmlAttribute(" a=\"x &amp; y\"", "a"), "x & y");
  EXPECT_EQ(XmlAttribute(" broken = novalue b=\"2\"", "b"), "2");
  EXPECT_EQ(XmlAttribute(" a=\"unterminated", "b"), "");
  EXPECT_EQ(LocalName("w:t"), "t");
  EXPECT_EQ(LocalName("t"), "t");
  for (std::string_view bad :
       {"<", "<a", "<a x='>", "<!--", "<![CDATA[", "<!DOCTYPE [", "&", "</", "<>", "< >", "<//>"}) {
    Recorder r;
    ScanXml(bad, &r);  // must terminate without crashing
  }
}

TEST(XmlTest, DeepNestingIsLinear) {
  std::string xml;
  for (int i = 0; i < 200000; i++) xml += "<a>";
  xml += "x";
  Recorder r;
  auto start = Clock::now();
  ScanXml(xml, &r);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(r.log.back(), 'x');
}

// --- Office formats ---

TEST_F(ExtractTest, Docx) {
  std::string docx = MakeDocx(
      "<w:p><w:pPr><w:tabs><w:tab w:val=\"left\" w:pos=\"720\"/></w:tabs></w:pPr>"
      "<w:r><w:t>Quarterly</w:t></w:r><w:r><w:t xml:space=\"preserve\"> report &amp; plan</w:t>"
      "</w:r></w:p><w:p><w:r><w:t>Name</w:t><w:tab/><w:t>Value</w:t><w:br/><w:t>line two</w:t>"
      "</w:r><w:r><w:instrText>HYPERLINK \"x\"</w:instrText></w:r></w:p>");
  ExtractResult r = ExtractText(Named("report.docx"), docx);
  EXPECT_EQ(r.method, "docx");
  EXPECT_EQ(r.problem, "");
  EXPECT_EQ(r.text, "Quarterly report & plan\nName\tValue\nline two\n");
  // The entries decide, whatever the type and name say.
  EXPECT_EQ(ExtractText(Named(""), docx).text, r.text);
  EXPECT_EQ(ExtractText(Named("x.bin", "application/zip"), docx).method, "docx");
}

TEST_F(ExtractTest, Xlsx) {
  std::string xlsx = MakeZip(
      {{"[Content_Types].xml", kContentTypes},
       {"xl/workbook.xml", "<workbook/>"},
       {"xl/sharedStrings.xml",
        "<sst><si><t>Region</t></si><si><r><t>Nor</t></r><r><t>th</t></r>"
        "<rPh><t>PHONETIC</t></rPh></si></sst>"},
       {"xl/worksheets/sheet2.xml",
        "<worksheet><sheetData><row><c t=\"inlineStr\"><is><t>second sheet</t></is></c></row>"
        "</sheetData></worksheet>"},
       {"xl/worksheets/sheet1.xml",
        "<worksheet><sheetData><row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c>"
        "<c r=\"B1\"><f>SUM(B2)</f><v>42.5</v></c></row><row r=\"2\"><c r=\"A2\" t=\"s\">"
        "<v>1</v></c><c t=\"e\"><v>#DIV/0!</v></c><c t=\"s\"><v>99</v></c></row>"
        "</sheetData></worksheet>"}});
  ExtractResult r = ExtractText(Named("",
                                      "application/vnd.openxmlformats-officedocument."
                                      "spreadsheetml.sheet"),
                                xlsx);
  EXPECT_EQ(r.method, "xlsx");
  EXPECT_EQ(r.problem, "");
  EXPECT_EQ(r.text, "Region\t42.5\nNorth\n\nsecond sheet\n");
}

TEST_F(ExtractTest, PptxSlidesInNumericOrder) {
  auto slide = [](const std::string& text) {
    return "<p:sld><p:cSld><p:spTree><p:sp><p:txBody><a:p><a:r><a:t>" + text +
           "</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:sld>";
  };
  std::string pptx = MakeZip({{"[Content_Types].xml", kContentTypes},
                              {"ppt/presentation.xml", "<p:presentation/>"},
                              {"ppt/slides/slide10.xml", slide("ten")},
                              {"ppt/slides/slide2.xml", slide("two")},
                              {"ppt/slides/slide1.xml", slide("one")},
                              {"ppt/slides/_rels/slide1.xml.rels", "<Relationships/>"}});
  ExtractResult r = ExtractText(Named("deck.pptx"), pptx);
  EXPECT_EQ(r.method, "pptx");
  EXPECT_EQ(r.text, "one\n\ntwo\n\nten\n");
}

TEST_F(ExtractTest, Odt) {
  std::string odt = MakeOdf("application/vnd.oasis.opendocument.text",
                            "<office:text><text:h text:outline-level=\"1\">Title</text:h>"
                            "<text:p text:style-name=\"P1\">Hello\n   <text:span>brave</text:span>"
                            "<text:s text:c=\"3\"/>new<text:tab/>world<text:line-break/>again"
                            "</text:p><text:p/><text:p>&#x00E9;t&#233;</text:p></office:text>");
  ExtractResult r = ExtractText(Named("letter.odt"), odt);
  EXPECT_EQ(r.method, "odt");
  EXPECT_EQ(r.problem, "");
  EXPECT_EQ(r.text, "Title\nHello brave   new\tworld\nagain\n\n\xC3\xA9t\xC3\xA9\n");
}

TEST_F(ExtractTest, OdsAndOdp) {
  std::string ods = MakeOdf(
      "application/vnd.oasis.opendocument.spreadsheet",
      "<office:spreadsheet><table:table><table:table-row><table:table-cell><text:p>a</text:p>"
      "</table:table-cell><table:table-cell table:number-columns-repeated=\"100\"/>"
      "<table:table-cell><text:p>12</text:p></table:table-cell></table:table-row>"
      "<table:table-row><table:table-cell><text:p>b</text:p></table:table-cell></table:table-row>"
      "</table:table></office:spreadsheet>");
  ExtractResult s = ExtractText(Named("", "application/octet-stream"), ods);
  EXPECT_EQ(s.method, "ods");
  EXPECT_EQ(s.text, "a \t12 \nb \n");
  std::string odp = MakeOdf(
      "application/vnd.oasis.opendocument.presentation",
      "<office:presentation><draw:page><draw:frame><draw:text-box><text:p>first slide</text:p>"
      "</draw:text-box></draw:frame></draw:page><draw:page><draw:frame><draw:text-box>"
      "<text:p>second</text:p></draw:text-box></draw:frame></draw:page></office:presentation>");
  ExtractResult p = ExtractText(Named("talk.odp"), odp);
  EXPECT_EQ(p.method, "odp");
  EXPECT_EQ(p.text, "first slide\n\nsecond\n\n");
}

TEST_F(ExtractTest, ZipBombStopsAtTheUnpackedLimit) {
  std::string zeros(8 << 20, '\0');
  std::string docx = MakeZip({{"[Content_Types].xml", kContentTypes},
                              {"word/document.xml", "<w:p><w:r><w:t>x</w:t></w:r></w:p>" + zeros}});
  ASSERT_LT(docx.size(), 100000u);  // compresses ~1000:1
  ExtractLimits limits;
  limits.max_unpacked_bytes = 1 << 20;
  auto start = Clock::now();
  ExtractResult r = ExtractText(Named("bomb.docx"), docx, limits);
  EXPECT_EQ(r.method, "docx");
  EXPECT_EQ(r.problem, "docx: more than 1048576 bytes unpacked (zip bomb?)");
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));
  // The same file within a large enough limit is fine.
  limits.max_unpacked_bytes = 16 << 20;
  EXPECT_EQ(ExtractText(Named("bomb.docx"), docx, limits).problem, "");
}

TEST_F(ExtractTest, TooManyEntries) {
  std::vector<std::pair<std::string, std::string>> entries = {
      {"[Content_Types].xml", kContentTypes}, {"word/document.xml", "<w:t>x</w:t>"}};
  for (int i = 0; i < 20; i++) entries.push_back({"word/media/i" + std::to_string(i), "x"});
  ExtractLimits limits;
  limits.max_archive_entries = 10;
  ExtractResult r = ExtractText(Named("many.docx"), MakeZip(entries), limits);
  EXPECT_EQ(r.method, "docx");
  EXPECT_EQ(r.problem, "docx: more than 10 entries");
}

TEST_F(ExtractTest, BrokenAndForeignZips) {
  ExtractResult r = ExtractText(Named("broken.docx"), "not a zip at all");
  EXPECT_EQ(r.method, "docx");
  EXPECT_TRUE(StartsWith(r.problem, "docx: not a readable zip archive")) << r.problem;
  std::string docx = MakeDocx("<w:p><w:r><w:t>cut short</w:t></w:r></w:p>");
  r = ExtractText(Named("truncated.docx"), docx.substr(0, docx.size() / 2));
  EXPECT_FALSE(r.problem.empty());
  // A zip that is no office document, and an image: nothing to extract, nothing wrong.
  r = ExtractText(Named("photos.zip", "application/zip"), MakeZip({{"a.jpg", "\xFF\xD8"}}));
  EXPECT_EQ(r.method, "");
  EXPECT_EQ(r.problem, "");
  r = ExtractText(Named("p.png", "image/png"), "\x89PNG\r\n\x1A\n....");
  EXPECT_EQ(r.method, "");
  EXPECT_EQ(r.problem, "");
  EXPECT_EQ(r.text, "");
  // An office document without the part that holds its text.
  r = ExtractText(Named("x.docx"), MakeZip({{"[Content_Types].xml", kContentTypes}}));
  EXPECT_EQ(r.method, "docx");
  EXPECT_EQ(r.problem, "docx: no word/document.xml");
}

// --- Text, HTML, limits ---

TEST_F(ExtractTest, PlainTextInLatin1AndHtml) {
  ExtractResult r = ExtractText(Named("notes.txt", "text/plain", "iso-8859-1"), "Caf\xE9 cr\xE8me");
  EXPECT_EQ(r.method, "text");
  EXPECT_EQ(r.text, "Caf\xC3\xA9 cr\xC3\xA8me");
  // Undeclared 8-bit text that is not UTF-8 is read as windows-1252.
  EXPECT_EQ(ExtractText(Named("n.txt"), "\x93quoted\x94").text, "\xE2\x80\x9Cquoted\xE2\x80\x9D");
  r = ExtractText(Named("page.htm", "text/html"),
                  "<html><head><style>p{}</style></head><body><p>Hello <b>world</b> &amp; "
                  "caf&eacute;</p><script>alert(1)</script></body></html>");
  EXPECT_EQ(r.method, "html");
  EXPECT_TRUE(Contains(r.text, "Hello world & caf\xC3\xA9")) << r.text;
  EXPECT_FALSE(Contains(r.text, "alert"));
  EXPECT_FALSE(Contains(r.text, "p{}"));
}

TEST_F(ExtractTest, OutputIsTruncatedAtACharacterBoundary) {
  ExtractLimits limits;
  limits.max_output_bytes = 10;
  std::string text;
  for (int i = 0; i < 20; i++) text += "\xC3\xA9";  // é, two bytes each
  ExtractResult r = ExtractText(Named("a.txt", "text/plain", "utf-8"), text, limits);
  EXPECT_EQ(r.text.size(), 10u);
  EXPECT_TRUE(IsValidUtf8(r.text));
  EXPECT_EQ(r.problem, "text: text truncated at 10 bytes");
  limits.max_output_bytes = 9;
  r = ExtractText(Named("a.txt", "text/plain", "utf-8"), text, limits);
  EXPECT_EQ(r.text.size(), 8u);
  EXPECT_TRUE(IsValidUtf8(r.text));
  std::string docx = MakeDocx("<w:p><w:r><w:t>" + std::string(1000, 'w') + "</w:t></w:r></w:p>");
  r = ExtractText(Named("big.docx"), docx, limits);
  EXPECT_EQ(r.text, std::string(9, 'w'));
  EXPECT_EQ(r.problem, "docx: text truncated at 9 bytes");
}

TEST_F(ExtractTest, InputLimit) {
  ExtractLimits limits;
  limits.max_input_bytes = 100;
  ExtractResult r = ExtractText(Named("a.txt", "text/plain"), std::string(101, 'a'), limits);
  EXPECT_EQ(r.method, "text");
  EXPECT_EQ(r.problem, "text: 101 bytes, over the 100-byte limit; not extracted");
  EXPECT_EQ(r.text, "");
  // Types we do not read are never a problem, whatever their size.
  EXPECT_EQ(ExtractText(Named("a.jpg", "image/jpeg"), std::string(101, 'a'), limits).problem, "");
}

// --- PDF, out of process ---

TEST_F(ExtractTest, Pdf) {
  std::string pdf = MakePdf("The quick brown fox jumps over the lazy dog");
  ExtractResult r = ExtractText(Named("doc.pdf", "application/pdf"), pdf);
  EXPECT_EQ(r.method, "pdf");
  EXPECT_EQ(r.problem, "");
  EXPECT_TRUE(Contains(r.text, "The quick brown fox jumps over the lazy dog")) << r.text;
  // Magic bytes win over a misleading name and type; poppler repairs a missing xref.
  EXPECT_EQ(ExtractText(Named("notes.txt", "text/plain"), pdf).method, "pdf");
  std::string broken_xref = pdf.substr(0, pdf.rfind("startxref")) + "startxref\n9999\n%%EOF\n";
  r = ExtractText(Named("x.pdf"), broken_xref);
  EXPECT_TRUE(Contains(r.text, "lazy dog")) << r.problem;
}

TEST_F(ExtractTest, GarbagePdfIsAProblemNotACrash) {
  for (std::string garbage :
       {std::string("%PDF-1.7\n") + std::string(5000, '\xAB'), std::string("not a pdf"),
        std::string(
            "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 1 0 R >> endobj trailer << /Root 1 0 R >>"),
        std::string()}) {
    ExtractResult r = ExtractText(Named("bad.pdf", "application/pdf"), garbage);
    EXPECT_EQ(r.method, "pdf");
    EXPECT_TRUE(StartsWith(r.problem, "pdf: ")) << r.problem;
    EXPECT_TRUE(IsValidUtf8(r.text));
  }
}

TEST_F(ExtractTest, LargeInputAndOutputDoNotDeadlock) {
  // More than any pipe buffer in both directions, through the child's "text" method.
  std::string text;
  while (text.size() < (3 << 20)) text += "line " + std::to_string(text.size()) + "\n";
  ExtractLimits limits;
  ExtractResult r =
      ExtractOutOfProcess("text", text, limits, Clock::now() + std::chrono::seconds(20));
  EXPECT_EQ(r.problem, "");
  EXPECT_EQ(r.text, text);
}

TEST_F(ExtractTest, SubprocessTimeout) {
  ExtractLimits limits;
  limits.max_seconds = 1;
  auto start = Clock::now();
  ExtractResult r =
      ExtractOutOfProcess("hang", "input", limits, Clock::now() + std::chrono::seconds(1));
  EXPECT_EQ(r.problem, "hang: timed out after 1 s");
  EXPECT_EQ(r.text, "partial text\n");  // what the child wrote before the deadline is kept
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(3));
}

TEST_F(ExtractTest, SubprocessCpuLimit) {
  ExtractLimits limits;
  limits.max_seconds = 1;
  auto start = Clock::now();
  // A later wall-clock deadline, so it is RLIMIT_CPU that stops the child.
  ExtractResult r =
      ExtractOutOfProcess("spin", "", limits, Clock::now() + std::chrono::seconds(10));
  EXPECT_EQ(r.problem, "spin: used more than 1 s of CPU");
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
}

TEST_F(ExtractTest, SubprocessCrashFloodAndMissingExecutable) {
  ExtractLimits limits;
  Deadline deadline = Clock::now() + std::chrono::seconds(10);
  EXPECT_EQ(ExtractOutOfProcess("crash", "x", limits, deadline).problem,
            "crash: extractor crashed (signal 6)");
  limits.max_output_bytes = 100000;
  ExtractResult r = ExtractOutOfProcess("flood", "", limits, deadline);
  EXPECT_EQ(r.text.size(), 100000u);
  EXPECT_EQ(r.problem, "flood: text truncated at 100000 bytes");
  EXPECT_EQ(ExtractOutOfProcess("nonsense", "", limits, deadline).problem,
            "nonsense: unsupported method \"nonsense\"");
  SetExtractorExecutable("/nonexistent/custodian");
  r = ExtractText(Named("doc.pdf"), MakePdf("x"));
  SetExtractorExecutable(EXTRACT_HELPER_PATH);
  EXPECT_EQ(r.problem, "pdf: could not run the extractor /nonexistent/custodian");
  EXPECT_EQ(ExtractOutOfProcess("hang", "", limits, Clock::now()).problem,
            "hang: not extracted: the time limit was spent");
}

#if !defined(__SANITIZE_ADDRESS__)
TEST_F(ExtractTest, SubprocessMemoryLimit) {
  ExtractLimits limits;
  limits.max_memory_bytes = 64 << 20;
  ExtractResult r = ExtractOutOfProcess("eat", "", limits, Clock::now() + std::chrono::seconds(10));
  EXPECT_EQ(r.problem, "eat: out of memory (limit 64 MB)");
}
#endif

// --- Embedded messages ---

std::string Base64(std::string_view in) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < in.size(); i += 3) {
    uint32_t n = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<unsigned char>(in[i + 1]) << 8;
    if (i + 2 < in.size()) n |= static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < in.size() ? kAlphabet[n & 63] : '=';
    if (out.size() % 77 == 76) out += '\n';
  }
  return out;
}

// A message with a body and one base64 attachment.
std::string MessageWith(const std::string& body, const std::string& type,
                        const std::string& filename, const std::string& content) {
  return "From: a@example.com\nSubject: s\nMIME-Version: 1.0\n"
         "Content-Type: multipart/mixed; boundary=\"=B" +
         filename +
         "\"\n\n"
         "--=B" +
         filename + "\nContent-Type: text/plain\n\n" + body +
         "\n"
         "--=B" +
         filename + "\nContent-Type: " + type +
         "\n"
         "Content-Disposition: attachment; filename=\"" +
         filename +
         "\"\n"
         "Content-Transfer-Encoding: base64\n\n" +
         Base64(content) +
         "\n"
         "--=B" +
         filename + "--\n";
}

TEST_F(ExtractTest, NestedMessageWithAttachments) {
  std::string inner =
      MessageWith("inner body text", "application/pdf", "in.pdf", MakePdf("Nested PDF sentence"));
  std::string docx = MakeDocx("<w:p><w:r><w:t>docx inside</w:t></w:r></w:p>");
  // The inner message also carries a DOCX, one level deeper.
  std::string middle = MessageWith("middle body", "message/rfc822", "inner.eml", inner);
  ExtractResult r = ExtractText(Named("fwd.eml", "message/rfc822"), middle);
  EXPECT_EQ(r.method, "rfc822");
  EXPECT_EQ(r.problem, "");
  EXPECT_TRUE(Contains(r.text, "middle body")) << r.text;
  EXPECT_TRUE(Contains(r.text, "inner body text")) << r.text;
  EXPECT_TRUE(Contains(r.text, "Nested PDF sentence")) << r.text;

  std::string with_docx = MessageWith("top", "application/octet-stream", "d.docx", docx);
  r = ExtractText(Named("", "message/rfc822"), with_docx);
  EXPECT_TRUE(Contains(r.text, "docx inside")) << r.text;

  // ExtractAttachments reports the embedded message once, not its parts again.
  std::string outer = MessageWith("outer", "message/rfc822", "m.eml", inner);
  std::vector<std::string> parts;
  ExtractAttachments(outer, {}, {}, [&](const mime::Attachment& a, const ExtractResult& e) {
    parts.push_back(a.part + " " + e.method);
    EXPECT_TRUE(Contains(e.text, "Nested PDF sentence"));
  });
  EXPECT_EQ(parts, std::vector<std::string>{"2 rfc822"});
}

TEST_F(ExtractTest, NestingDepthLimit) {
  std::string message = MessageWith("deepest", "text/plain", "leaf.txt", "leaf text");
  for (int i = 0; i < 5; i++)
    message = MessageWith("level " + std::to_string(i), "message/rfc822",
                          "m" + std::to_string(i) + ".eml", message);
  ExtractLimits limits;
  limits.max_depth = 3;
  ExtractResult r = ExtractText(Named("", "message/rfc822"), message, limits);
  EXPECT_EQ(r.method, "rfc822");
  EXPECT_TRUE(Contains(r.text, "level 3"));  // the body text of nested messages is kept
  EXPECT_FALSE(Contains(r.text, "leaf text")) << r.text;
  EXPECT_TRUE(Contains(r.problem, "nested more than 3 deep")) << r.problem;
}

// --- Real mail ---

using custodian::testing::CorpusDir;
using custodian::testing::ReadFile;

TEST_F(ExtractTest, Corpora) {
  std::vector<std::filesystem::path> dirs;
  for (const char* name : {"parser-torture", "spamassassin"})
    if (auto dir = CorpusDir(name); !dir.empty()) dirs.push_back(dir);
  if (dirs.empty())
    GTEST_SKIP() << "corpus folders parser-torture and spamassassin not found under "
                    "$CUSTODIAN_CORPORA";
  size_t messages = 0, attachments = 0, bytes_in = 0, bytes_out = 0;
  std::map<std::string, int> by_method, with_text, with_problem;
  std::map<std::string, int> not_extracted;  // content types with no extractor
  auto start = Clock::now();
  for (const auto& dir : dirs) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
      if (!entry.is_regular_file()) continue;
      std::string raw = ReadFile(entry.path());
      std::string_view message = testing::SkipMboxFromLine(raw);
      messages++;
      ExtractAttachments(message, {}, {}, [&](const mime::Attachment& a, const ExtractResult& r) {
        attachments++;
        bytes_in += a.size;
        bytes_out += r.text.size();
        EXPECT_TRUE(IsValidUtf8(r.text)) << entry.path() << " part " << a.part;
        EXPECT_TRUE(IsValidUtf8(r.problem)) << entry.path() << " part " << a.part;
        by_method[r.method]++;
        if (r.method.empty()) not_extracted[a.content_type]++;
        if (!r.text.empty()) with_text[r.method]++;
        if (!r.problem.empty()) with_problem[r.method]++;
        if (!r.problem.empty())
          std::cout << "  problem: " << entry.path().filename().string() << " part " << a.part
                    << ": " << r.problem << "\n";
      });
    }
  }
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::cout << messages << " messages, " << attachments << " attachments (" << HumanBytes(bytes_in)
            << ") -> " << HumanBytes(bytes_out) << " of text in " << seconds << " s\n";
  for (const auto& [method, n] : by_method)
    std::cout << "  " << (method.empty() ? "(not extractable)" : method) << ": " << n
              << " attachments, " << with_text[method] << " with text, " << with_problem[method]
              << " with a problem\n";
  for (const auto& [type, n] : not_extracted) std::cout << "    " << type << ": " << n << "\n";
  EXPECT_GT(messages, 5000u);
  EXPECT_GT(attachments, 200u);
  EXPECT_GE(with_text["text"] + with_text["html"] + with_text["rfc822"], 40);
}

}  // namespace
}  // namespace custodian::extract
