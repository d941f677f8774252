// Text inside attachments, for the search index: PDF, DOCX/XLSX/PPTX, ODT/ODS/ODP, HTML, plain
// text and embedded messages. Extraction never fails and never throws: a hostile or broken
// attachment yields a `problem` (and possibly partial text) to record on the message.
//
// PDF parsing runs out of process: the program custodian-extract (installed beside the calling
// binary, or the path given to SetExtractorExecutable) runs as `EXE __extract-text pdf
// MAX_OUTPUT_BYTES` under CPU and address-space rlimits and a wall-clock deadline, so a hostile
// PDF can neither stall nor crash the import. It is the only program that links the PDF
// library (RunExtractTextCommand, in custodian_extract_command; the test helper
// src/extract/extract_helper.cc links it too). The child only reads stdin and writes stdout: it
// never opens the archive and holds no keys.
//
// Thread-safety: ExtractText may be called concurrently; call SetExtractorExecutable first.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "mime/message.h"

namespace custodian::extract {

struct ExtractLimits {
  size_t max_input_bytes = 32u << 20;      // larger attachments are not extracted
  size_t max_output_bytes = 4u << 20;      // text kept per attachment (truncated beyond)
  int max_seconds = 5;                     // wall clock and CPU, per ExtractText call
  size_t max_memory_bytes = 512u << 20;    // address space of the extractor process
  size_t max_archive_entries = 10000;      // entries in an office document's zip
  size_t max_unpacked_bytes = 128u << 20;  // bytes inflated from one zip, all entries together
  int max_depth = 3;                       // embedded messages inside embedded messages
};

struct ExtractResult {
  std::string text;     // valid UTF-8, at most max_output_bytes
  std::string problem;  // why extraction failed or stopped short; empty if fine
  std::string method;   // "pdf", "docx", "xlsx", "pptx", "odt", "ods", "odp", "html", "text",
                        // "rfc822"; "" if the type is not extractable (images, archives, ...)
};

// Chooses the extractor from the content type, the file name's extension and the content's
// magic bytes (which win: a PDF named .txt is read as a PDF).
ExtractResult ExtractText(const mime::Attachment& a, std::string_view content,
                          const ExtractLimits& limits = {});

// Calls `fn` with the text of each attachment of the message `raw`, as ParseMessage lists
// them, except those inside an embedded message: ExtractText of the message/rfc822 part
// already covers them (up to max_depth).
void ExtractAttachments(
    std::string_view raw, const mime::Limits& mime_limits, const ExtractLimits& limits,
    const std::function<void(const mime::Attachment&, const ExtractResult&)>& fn);

// The executable run for out-of-process extraction; default: custodian-extract in the running
// program's directory.
void SetExtractorExecutable(std::string path);

// The `__extract-text METHOD [MAX_OUTPUT_BYTES]` entry point: extracts stdin with `METHOD`
// in this process, writes the text to stdout and a problem, if any, to stderr. Returns the
// exit status: 0 (even with a problem; the text may be partial), 2 on bad arguments.
int RunExtractTextCommand(const std::vector<std::string>& args);

}  // namespace custodian::extract
