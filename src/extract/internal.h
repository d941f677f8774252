// Pieces shared by the extractors inside this module (and its fuzz target and tests).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "extract/extract.h"

namespace custodian::extract {

// Collects extracted text up to a byte limit; extractors check full() to stop early.
class TextSink {
 public:
  explicit TextSink(size_t max_bytes) : max_(max_bytes) {}
  void Append(std::string_view s);
  void Append(char c) { Append(std::string_view(&c, 1)); }
  // Ends the current line unless the text is empty or already ends one.
  void EndLine();
  bool full() const { return full_; }
  bool empty() const { return text_.empty(); }
  char last() const { return text_.empty() ? '\n' : text_.back(); }
  std::string& text() { return text_; }

 private:
  size_t max_;
  bool full_ = false;
  std::string text_;
};

// Text, HTML or office extraction in this process; method "zip" lets the entries decide the
// office format. `charset` applies to text and HTML. The result's text is valid UTF-8.
ExtractResult ExtractInProcess(std::string_view method, std::string_view content,
                               std::string_view charset, const ExtractLimits& limits);

// Extracts a zip-based office document: `declared` is the method the type or name suggests,
// the entries decide. Sets *method ("" for a zip that is no office document) and returns a
// problem, "" if fine.
std::string ExtractZip(std::string_view declared, std::string_view content,
                       const ExtractLimits& limits, TextSink* sink, std::string* method);

// Extracts a PDF page by page, handing each page's text to `emit` until it returns false.
// Returns a problem, "" if fine.
std::string ExtractPdf(std::string_view content, const std::function<bool(std::string_view)>& emit);

using Deadline = std::chrono::steady_clock::time_point;

// Runs `__extract-text method` in a child process under the limits; never throws.
ExtractResult ExtractOutOfProcess(std::string_view method, std::string_view content,
                                  const ExtractLimits& limits, Deadline deadline);

// Makes `text` valid UTF-8 of at most `max_bytes`, cut at a character boundary; true if cut.
bool FinishText(std::string* text, size_t max_bytes);

}  // namespace custodian::extract
