// DOCX/XLSX/PPTX and ODT/ODS/ODP: a zip of XML parts. Extracted in process: libzip inflates at
// most max_unpacked_bytes and the XML scan is linear, so the work is bounded by the limits.
#include <zip.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "extract/internal.h"
#include "extract/xml.h"
#include "util/dynlib.h"
#include "util/text.h"

namespace custodian::extract {
namespace {

// libzip is loaded on first use, not at start-up: it brings a second (shared) libcrypto whose
// thousands of symbol relocations cost every command, search included, about a millisecond.
// Debian ships no static libzip.
struct LibZip {
  std::string error;  // why it could not be loaded; "" if it was
#define CUSTODIAN_ZIP_FUNCTIONS(X)                                                                     \
  X(zip_discard) X(zip_error_init) X(zip_source_buffer_create) X(zip_open_from_source) X(zip_source_free) \
  X(zip_error_strerror) X(zip_error_fini) X(zip_get_num_entries) X(zip_get_name) X(zip_name_locate)       \
  X(zip_fopen_index) X(zip_strerror) X(zip_fread) X(zip_file_strerror) X(zip_fclose)
#define CUSTODIAN_ZIP_MEMBER(f) decltype(&::f) f = nullptr;
  CUSTODIAN_ZIP_FUNCTIONS(CUSTODIAN_ZIP_MEMBER)
#undef CUSTODIAN_ZIP_MEMBER
};

const LibZip& Zip() {
  static const LibZip lib = [] {
    LibZip z;
    std::string why;
    void* h = LoadSharedLibrary("libzip.so.4", &why);
    if (h == nullptr) {
      z.error = "office documents cannot be read: " + why;
      return z;
    }
#define CUSTODIAN_ZIP_LOAD(f) \
  if (!LoadFunction(h, #f, &z.f) && z.error.empty()) z.error = "libzip.so.4 lacks " #f;
    CUSTODIAN_ZIP_FUNCTIONS(CUSTODIAN_ZIP_LOAD)
#undef CUSTODIAN_ZIP_LOAD
    return z;
  }();
  return lib;
}

// A zip read from memory that counts every byte it inflates against one budget; declared
// sizes are never trusted, only the bytes actually produced.
class ZipReader {
 public:
  ~ZipReader() {
    if (zip_ != nullptr) Zip().zip_discard(zip_);
  }

  // Returns a problem, "" if the archive opened.
  std::string Open(std::string_view data, const ExtractLimits& limits) {
    limits_ = &limits;
    if (!Zip().error.empty()) return Zip().error;
    zip_error_t error;
    Zip().zip_error_init(&error);
    zip_source_t* source = Zip().zip_source_buffer_create(data.data(), data.size(), 0, &error);
    if (source != nullptr) zip_ = Zip().zip_open_from_source(source, ZIP_RDONLY, &error);
    if (zip_ == nullptr) {
      if (source != nullptr) Zip().zip_source_free(source);
      std::string problem =
          std::string("not a readable zip archive (") + Zip().zip_error_strerror(&error) + ")";
      Zip().zip_error_fini(&error);
      return problem;
    }
    Zip().zip_error_fini(&error);
    zip_int64_t entries = Zip().zip_get_num_entries(zip_, 0);
    if (entries < 0 || static_cast<uint64_t>(entries) > limits.max_archive_entries)
      return "more than " + std::to_string(limits.max_archive_entries) + " entries";
    for (zip_int64_t i = 0; i < entries; i++) {
      const char* name = Zip().zip_get_name(zip_, i, 0);
      if (name != nullptr) names_.emplace_back(name);
    }
    return {};
  }

  const std::vector<std::string>& names() const { return names_; }
  bool Has(std::string_view name) const {
    return std::find(names_.begin(), names_.end(), name) != names_.end();
  }

  // Inflates entry `name` into *out, at most `max` bytes of it. Returns a problem, "" if fine.
  std::string Read(const std::string& name, std::string* out, size_t max = SIZE_MAX) {
    out->clear();
    zip_int64_t index = Zip().zip_name_locate(zip_, name.c_str(), 0);
    if (index < 0) return "no " + name;
    zip_file_t* file = Zip().zip_fopen_index(zip_, index, 0);
    if (file == nullptr) return name + ": " + Zip().zip_strerror(zip_);
    std::string problem;
    char buffer[1 << 16];
    while (out->size() < max) {
      zip_int64_t got = Zip().zip_fread(file, buffer, std::min(sizeof buffer, max - out->size()));
      if (got < 0) {
        problem = name + ": " + Zip().zip_file_strerror(file);
        break;
      }
      if (got == 0) break;
      if (static_cast<size_t>(got) > limits_->max_unpacked_bytes - unpacked_) {
        problem = "more than " + std::to_string(limits_->max_unpacked_bytes) +
                  " bytes unpacked (zip bomb?)";
        break;
      }
      out->append(buffer, got);
      unpacked_ += got;
    }
    Zip().zip_fclose(file);
    return problem;
  }

 private:
  zip_t* zip_ = nullptr;
  const ExtractLimits* limits_ = nullptr;
  std::vector<std::string> names_;
  size_t unpacked_ = 0;
};

// Base for the handlers: text goes to the sink, and the scan stops when it is full.
class SinkHandler : public XmlHandler {
 public:
  explicit SinkHandler(TextSink* sink) : sink_(sink) {}
  bool Done() const override { return sink_->full(); }

 protected:
  TextSink* sink_;
};

// WordprocessingML and DrawingML (DOCX bodies, PPTX slides): text lives in <w:t>/<a:t>,
// paragraphs are <w:p>/<a:p>; a tab inside a run is text, one in paragraph settings is not.
class OoxmlTextHandler : public SinkHandler {
 public:
  using SinkHandler::SinkHandler;
  void StartTag(std::string_view name, std::string_view, bool self_closing) override {
    std::string_view local = LocalName(name);
    if (self_closing) {
      if (local == "br" || local == "cr" || local == "p") sink_->Append('\n');
      if (local == "tab" && in_run_ > 0) sink_->Append('\t');
      return;
    }
    if (local == "t") in_text_++;
    if (local == "r") in_run_++;
  }
  void EndTag(std::string_view name) override {
    std::string_view local = LocalName(name);
    if (local == "t" && in_text_ > 0) in_text_--;
    if (local == "r" && in_run_ > 0) in_run_--;
    if (local == "p") sink_->Append('\n');
  }
  void Text(std::string_view text) override {
    if (in_text_ > 0) sink_->Append(text);
  }

 private:
  int in_text_ = 0;
  int in_run_ = 0;
};

// xl/sharedStrings.xml: <si> items made of <t> runs; <rPh> phonetic hints are not text.
class SharedStringsHandler : public XmlHandler {
 public:
  SharedStringsHandler(std::vector<std::string>* strings, size_t max_bytes)
      : strings_(strings), max_bytes_(max_bytes) {}
  void StartTag(std::string_view name, std::string_view, bool self_closing) override {
    std::string_view local = LocalName(name);
    if (local == "si") {
      strings_->emplace_back();
      if (self_closing) return;
    }
    if (self_closing) return;
    if (local == "t") in_text_++;
    if (local == "rPh") in_phonetic_++;
  }
  void EndTag(std::string_view name) override {
    std::string_view local = LocalName(name);
    if (local == "t" && in_text_ > 0) in_text_--;
    if (local == "rPh" && in_phonetic_ > 0) in_phonetic_--;
  }
  void Text(std::string_view text) override {
    if (in_text_ == 0 || in_phonetic_ > 0 || strings_->empty()) return;
    // Cells can only show what the output can hold, so longer strings are cut there.
    std::string& s = strings_->back();
    s.append(text.substr(0, max_bytes_ - std::min(max_bytes_, s.size())));
  }

 private:
  std::vector<std::string>* strings_;
  size_t max_bytes_;
  int in_text_ = 0;
  int in_phonetic_ = 0;
};

// A worksheet: one line per <row>, cells separated by tabs. A cell is a shared string
// (t="s"), an inline string (t="inlineStr", <is><t>), or a value in <v> (numbers, formula
// results, booleans); error cells (t="e") are skipped.
class SheetHandler : public SinkHandler {
 public:
  SheetHandler(TextSink* sink, const std::vector<std::string>* shared)
      : SinkHandler(sink), shared_(shared) {}
  void StartTag(std::string_view name, std::string_view attributes, bool self_closing) override {
    std::string_view local = LocalName(name);
    if (self_closing) return;
    if (local == "c") {
      type_ = XmlAttribute(attributes, "t");
      value_.clear();
      in_cell_ = true;
    }
    if (local == "v") in_value_ = true;
    if (local == "t") in_text_ = true;
    if (local == "row") cells_in_row_ = 0;
  }
  void EndTag(std::string_view name) override {
    std::string_view local = LocalName(name);
    if (local == "v") in_value_ = false;
    if (local == "t") in_text_ = false;
    if (local == "row") sink_->EndLine();
    if (local != "c" || !in_cell_) return;
    in_cell_ = false;
    std::string_view shown = value_;
    if (type_ == "s") {
      char* end = nullptr;
      unsigned long index = std::strtoul(value_.c_str(), &end, 10);
      shown = end != value_.c_str() && index < shared_->size() ? std::string_view((*shared_)[index])
                                                               : std::string_view();
    } else if (type_ == "e") {
      shown = {};
    }
    if (shown.empty()) return;
    if (cells_in_row_++ > 0) sink_->Append('\t');
    sink_->Append(shown);
  }
  void Text(std::string_view text) override {
    bool wanted = type_ == "inlineStr" ? in_text_ : in_value_;
    if (in_cell_ && wanted && value_.size() < kMaxCellBytes) value_.append(text);
  }

 private:
  static constexpr size_t kMaxCellBytes = 1 << 20;  // a cell's own text, beyond which it is cut
  const std::vector<std::string>* shared_;
  std::string type_;
  std::string value_;
  bool in_cell_ = false, in_value_ = false, in_text_ = false;
  int cells_in_row_ = 0;
};

// OpenDocument content.xml: paragraphs <text:p>/<text:h> (whitespace collapsed, as ODF
// says), <text:s text:c="N"/> spaces, <text:tab/>, <text:line-break/>; table cells by tabs
// and rows by lines; a blank line after each presentation page.
class OdfHandler : public SinkHandler {
 public:
  using SinkHandler::SinkHandler;
  void StartTag(std::string_view name, std::string_view attributes, bool self_closing) override {
    std::string_view local = LocalName(name);
    if (local == "s") {
      std::string count = XmlAttribute(attributes, "text:c");
      // A hostile count would only pad the output; a few hundred spaces are plenty.
      long n = count.empty() ? 1 : std::clamp(std::strtol(count.c_str(), nullptr, 10), 1L, 256L);
      sink_->Append(std::string(n, ' '));
      space_ = true;
    } else if (local == "tab") {
      sink_->Append('\t');
      space_ = true;
    } else if (local == "line-break") {
      sink_->Append('\n');
      space_ = true;
    } else if (local == "table-cell" && !self_closing) {
      if (cells_in_row_++ > 0) sink_->Append('\t');
      in_cell_++;
    } else if (local == "table-row" && !self_closing) {
      cells_in_row_ = 0;
    } else if ((local == "p" || local == "h") && !self_closing) {
      in_paragraph_++;
      space_ = true;  // leading whitespace in a paragraph is dropped
    } else if ((local == "p" || local == "h") && in_cell_ == 0) {
      sink_->Append('\n');
    }
  }
  void EndTag(std::string_view name) override {
    std::string_view local = LocalName(name);
    if ((local == "p" || local == "h") && in_paragraph_ > 0) {
      in_paragraph_--;
      sink_->Append(in_cell_ > 0 ? ' ' : '\n');
    } else if (local == "table-cell" && in_cell_ > 0) {
      in_cell_--;
    } else if (local == "table-row") {
      sink_->EndLine();
    } else if (local == "page") {
      sink_->EndLine();
      sink_->Append('\n');
    }
  }
  void Text(std::string_view text) override {
    if (in_paragraph_ == 0) return;
    for (char c : text) {
      bool space = c == ' ' || c == '\t' || c == '\r' || c == '\n';
      if (space && space_) continue;
      sink_->Append(space ? ' ' : c);
      space_ = space;
    }
  }

 private:
  int in_paragraph_ = 0;
  int in_cell_ = 0;
  int cells_in_row_ = 0;
  bool space_ = true;
};

// Entries named prefix + N + ".xml" (sheet1.xml, slide12.xml), in numeric order.
std::vector<std::string> NumberedEntries(const ZipReader& zip, std::string_view prefix) {
  std::vector<std::pair<long, std::string>> found;
  for (const std::string& name : zip.names()) {
    if (!StartsWith(name, prefix) || name.size() <= prefix.size() + 4 ||
        name.compare(name.size() - 4, 4, ".xml") != 0)
      continue;
    std::string_view number(name.data() + prefix.size(), name.size() - prefix.size() - 4);
    if (!std::all_of(number.begin(), number.end(), [](char c) { return c >= '0' && c <= '9'; }))
      continue;
    found.emplace_back(std::strtol(std::string(number).c_str(), nullptr, 10), name);
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> names;
  for (auto& [number, name] : found) names.push_back(std::move(name));
  return names;
}

// The office format the entries show, or "" if the zip is none of ours.
std::string OfficeMethod(ZipReader* zip) {
  if (zip->Has("[Content_Types].xml")) {
    if (zip->Has("word/document.xml")) return "docx";
    if (zip->Has("xl/workbook.xml")) return "xlsx";
    if (zip->Has("ppt/presentation.xml")) return "pptx";
    return {};
  }
  std::string mimetype;
  if (!zip->Has("mimetype") || !zip->Read("mimetype", &mimetype, 100).empty()) return {};
  mimetype = std::string(TrimAscii(mimetype));
  for (auto [prefix, method] : {std::pair{"application/vnd.oasis.opendocument.text", "odt"},
                                {"application/vnd.oasis.opendocument.spreadsheet", "ods"},
                                {"application/vnd.oasis.opendocument.presentation", "odp"}})
    if (StartsWith(mimetype, prefix)) return method;
  return {};
}

bool IsOfficeMethod(std::string_view m) {
  return m == "docx" || m == "xlsx" || m == "pptx" || m == "odt" || m == "ods" || m == "odp";
}

// Scans each entry in turn; an entry that is missing is skipped when optional.
std::string ScanEntries(ZipReader* zip, const std::vector<std::string>& entries, bool optional,
                        XmlHandler* handler, TextSink* sink, std::string_view separator) {
  std::string xml;
  for (const std::string& entry : entries) {
    if (sink->full()) break;
    if (optional && !zip->Has(entry)) continue;
    std::string problem = zip->Read(entry, &xml);
    if (!problem.empty()) return problem;
    if (!sink->empty()) sink->Append(separator);
    ScanXml(xml, handler);
  }
  return {};
}

}  // namespace

std::string ExtractZip(std::string_view declared, std::string_view content,
                       const ExtractLimits& limits, TextSink* sink, std::string* method) {
  *method = IsOfficeMethod(declared) ? std::string(declared) : std::string();
  ZipReader zip;
  std::string problem = zip.Open(content, limits);
  if (!problem.empty()) return problem;
  if (std::string found = OfficeMethod(&zip); !found.empty()) *method = found;
  if (method->empty()) return {};

  if (*method == "docx") {
    OoxmlTextHandler handler(sink);
    problem = ScanEntries(&zip, {"word/document.xml"}, false, &handler, sink, "");
    if (problem.empty())
      problem = ScanEntries(&zip, {"word/footnotes.xml", "word/endnotes.xml", "word/comments.xml"},
                            true, &handler, sink, "\n");
  } else if (*method == "pptx") {
    std::vector<std::string> slides = NumberedEntries(zip, "ppt/slides/slide");
    if (slides.empty()) return "no slides";
    OoxmlTextHandler handler(sink);
    problem = ScanEntries(&zip, slides, false, &handler, sink, "\n");
  } else if (*method == "xlsx") {
    std::vector<std::string> shared;
    if (zip.Has("xl/sharedStrings.xml")) {
      std::string xml;
      problem = zip.Read("xl/sharedStrings.xml", &xml);
      if (!problem.empty()) return problem;
      SharedStringsHandler strings(&shared, limits.max_output_bytes);
      ScanXml(xml, &strings);
    }
    SheetHandler handler(sink, &shared);
    problem =
        ScanEntries(&zip, NumberedEntries(zip, "xl/worksheets/sheet"), false, &handler, sink, "\n");
  } else {
    OdfHandler handler(sink);
    problem = ScanEntries(&zip, {"content.xml"}, false, &handler, sink, "");
  }
  return problem;
}

}  // namespace custodian::extract
