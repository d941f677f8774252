#include "extract/extract.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <utility>

#include "extract/internal.h"
#include "mime/charset.h"
#include "util/text.h"

namespace custodian::extract {
namespace {

using Clock = std::chrono::steady_clock;

std::string MethodFromContentType(std::string_view type) {
  static const std::pair<std::string_view, std::string_view> kTypes[] = {
      {"application/pdf", "pdf"},
      {"application/x-pdf", "pdf"},
      {"application/vnd.openxmlformats-officedocument.wordprocessingml.", "docx"},
      {"application/vnd.ms-word.document.macroenabled.12", "docx"},
      {"application/vnd.openxmlformats-officedocument.spreadsheetml.", "xlsx"},
      {"application/vnd.ms-excel.sheet.macroenabled.12", "xlsx"},
      {"application/vnd.openxmlformats-officedocument.presentationml.", "pptx"},
      {"application/vnd.ms-powerpoint.presentation.macroenabled.12", "pptx"},
      {"application/vnd.oasis.opendocument.text", "odt"},
      {"application/vnd.oasis.opendocument.spreadsheet", "ods"},
      {"application/vnd.oasis.opendocument.presentation", "odp"},
      {"text/html", "html"},
      {"application/xhtml+xml", "html"},
      {"message/rfc822", "rfc822"},
      {"message/global", "rfc822"},
      {"text/rtf", ""},  // RTF read as text would index its control words
      {"text/", "text"},
  };
  for (const auto& [prefix, method] : kTypes)
    if (StartsWith(type, prefix)) return std::string(method);
  return {};
}

std::string MethodFromFilename(std::string_view filename) {
  size_t dot = filename.rfind('.');
  if (dot == std::string_view::npos) return {};
  std::string ext = ToLowerAscii(filename.substr(dot + 1));
  static const std::pair<std::string_view, std::string_view> kExtensions[] = {
      {"pdf", "pdf"},   {"docx", "docx"}, {"docm", "docx"}, {"dotx", "docx"},  {"xlsx", "xlsx"},
      {"xlsm", "xlsx"}, {"pptx", "pptx"}, {"pptm", "pptx"}, {"odt", "odt"},    {"ott", "odt"},
      {"ods", "ods"},   {"odp", "odp"},   {"htm", "html"},  {"html", "html"},  {"xhtml", "html"},
      {"txt", "text"},  {"text", "text"}, {"csv", "text"},  {"tsv", "text"},   {"log", "text"},
      {"md", "text"},   {"ics", "text"},  {"vcf", "text"},  {"eml", "rfc822"},
  };
  for (const auto& [e, method] : kExtensions)
    if (ext == e) return std::string(method);
  return {};
}

bool LooksLikePdf(std::string_view content) {
  // Readers accept junk before the header; 1 KB is what Acrobat tolerates.
  return content.substr(0, 1024).find("%PDF-") != std::string_view::npos;
}

bool LooksLikeZip(std::string_view content) { return StartsWith(content, "PK\x03\x04"); }

bool IsOfficeMethod(std::string_view m) {
  return m == "docx" || m == "xlsx" || m == "pptx" || m == "odt" || m == "ods" || m == "odp";
}

std::string DecodeText(std::string_view content, std::string_view charset, size_t max_output) {
  // Conversion never shrinks text by more than 4x, so this bounds the work on a huge part.
  if (content.size() / 4 > max_output) content = content.substr(0, max_output * 4 + 4);
  std::string text;
  mime::ConvertToUtf8(content, charset, &text);
  return text;
}

// Calls `fn` for each attachment of `raw` that is not inside an embedded message: extracting
// the message/rfc822 part covers those.
void ForEachOuterAttachment(
    std::string_view raw, const mime::Limits& mime_limits,
    const std::function<void(const mime::Attachment&, std::string_view)>& fn) {
  std::vector<std::string> messages;  // part paths of the embedded messages seen so far
  mime::ForEachAttachment(raw, mime_limits,
                          [&](const mime::Attachment& a, std::string_view content) {
                            for (const std::string& m : messages)
                              if (StartsWith(a.part, m + ".")) return;
                            if (a.content_type == "message/rfc822") messages.push_back(a.part);
                            fn(a, content);
                          });
}

class Extractor {
 public:
  Extractor(const ExtractLimits& limits, Deadline deadline)
      : limits_(limits), deadline_(deadline) {}

  ExtractResult Extract(const mime::Attachment& a, std::string_view content, int depth) {
    ExtractResult result;
    std::string declared = MethodFromContentType(a.content_type);
    if (declared.empty()) declared = MethodFromFilename(a.filename);
    bool zip = LooksLikeZip(content);
    bool foreign_zip = zip && !IsOfficeMethod(declared);  // its entries will tell what it is
    result.method = LooksLikePdf(content) ? "pdf" : foreign_zip ? "" : declared;
    if (result.method.empty() && !zip) return result;
    if (content.size() > limits_.max_input_bytes) {
      if (result.method.empty()) return result;  // an oversized plain zip: nothing we read
      result.problem = result.method + ": " + std::to_string(content.size()) + " bytes, over the " +
                       std::to_string(limits_.max_input_bytes) + "-byte limit; not extracted";
      return result;
    }
    if (result.method == "pdf") return ExtractOutOfProcess("pdf", content, limits_, deadline_);
    if (result.method == "rfc822") return Message(content, depth);
    return ExtractInProcess(foreign_zip ? "zip" : declared, content, a.charset, limits_);
  }

 private:
  // An embedded message: its body text, then its attachments' text, where attachments inside
  // messages nested more than max_depth deep are left out.
  ExtractResult Message(std::string_view content, int depth) {
    ExtractResult result;
    result.method = "rfc822";
    if (depth >= limits_.max_depth) {
      result.problem = "rfc822: messages nested more than " + std::to_string(limits_.max_depth) +
                       " deep; not extracted";
      return result;
    }
    TextSink sink(limits_.max_output_bytes);
    sink.Append(mime::ParseMessage(content).body_text);
    std::vector<std::string> problems;
    ForEachOuterAttachment(content, mime::Limits(),
                           [&](const mime::Attachment& a, std::string_view part_content) {
                             if (sink.full()) return;
                             ExtractResult inner = Extract(a, part_content, depth + 1);
                             if (!inner.text.empty()) {
                               sink.EndLine();
                               sink.Append(inner.text);
                             }
                             if (!inner.problem.empty() && problems.size() < 10)
                               problems.push_back("part " + a.part + ": " + inner.problem);
                           });
    result.text = std::move(sink.text());
    std::string truncated;
    if (FinishText(&result.text, limits_.max_output_bytes) || sink.full())
      truncated = "text truncated at " + std::to_string(limits_.max_output_bytes) + " bytes";
    if (!truncated.empty()) problems.insert(problems.begin(), truncated);
    for (const std::string& p : problems)
      result.problem += (result.problem.empty() ? "rfc822: " : "; ") + p;
    return result;
  }

  const ExtractLimits& limits_;
  Deadline deadline_;
};

Deadline DeadlineFor(const ExtractLimits& limits) {
  return Clock::now() + std::chrono::seconds(std::max(limits.max_seconds, 0));
}

}  // namespace

void TextSink::Append(std::string_view s) {
  if (full_) return;
  size_t room = max_ - text_.size();
  if (s.size() > room) {
    s = s.substr(0, room);
    full_ = true;
  }
  text_.append(s);
}

void TextSink::EndLine() {
  if (!text_.empty() && text_.back() != '\n') Append('\n');
}

bool FinishText(std::string* text, size_t max_bytes) {
  if (!IsValidUtf8(*text)) *text = ToValidUtf8(*text);
  if (text->size() <= max_bytes) return false;
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>((*text)[cut]) & 0xC0) == 0x80) cut--;
  text->resize(cut);
  return true;
}

ExtractResult ExtractInProcess(std::string_view method, std::string_view content,
                               std::string_view charset, const ExtractLimits& limits) {
  ExtractResult result;
  result.method = std::string(method);
  TextSink sink(limits.max_output_bytes);
  std::string problem;
  if (method == "text") {
    sink.Append(DecodeText(content, charset, limits.max_output_bytes));
  } else if (method == "html") {
    sink.Append(mime::HtmlToText(DecodeText(content, charset, limits.max_output_bytes * 4)));
  } else if (method == "zip" || IsOfficeMethod(method)) {
    problem = ExtractZip(method, content, limits, &sink, &result.method);
  } else {
    result.problem = "unsupported method \"" + ToValidUtf8(method) + "\"";
    return result;
  }
  result.text = std::move(sink.text());
  bool truncated = FinishText(&result.text, limits.max_output_bytes) || sink.full();
  if (truncated && problem.empty())
    problem = "text truncated at " + std::to_string(limits.max_output_bytes) + " bytes";
  if (!problem.empty()) result.problem = result.method + ": " + problem;
  if (result.method.empty()) result.problem.clear();  // a zip that is no office document
  return result;
}

ExtractResult ExtractText(const mime::Attachment& a, std::string_view content,
                          const ExtractLimits& limits) {
  return Extractor(limits, DeadlineFor(limits)).Extract(a, content, 0);
}

void ExtractAttachments(
    std::string_view raw, const mime::Limits& mime_limits, const ExtractLimits& limits,
    const std::function<void(const mime::Attachment&, const ExtractResult&)>& fn) {
  // Each attachment gets its own time budget, as if extracted alone.
  ForEachOuterAttachment(raw, mime_limits,
                         [&](const mime::Attachment& a, std::string_view content) {
                           fn(a, ExtractText(a, content, limits));
                         });
}

}  // namespace custodian::extract
