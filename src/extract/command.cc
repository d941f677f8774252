// The `__extract-text METHOD [MAX_OUTPUT_BYTES]` entry point of the custodian-extract program:
// the only code that links the PDF library. The importer runs it as a child under rlimits
// (subprocess.cc), so a hostile PDF is parsed in a process that holds no keys and cannot stall
// or crash an import.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "extract/extract.h"
#include "extract/internal.h"
#include "util/text.h"

namespace custodian::extract {

int RunExtractTextCommand(const std::vector<std::string>& args) {
  if (args.empty() || args.size() > 2) {
    std::fputs("usage: __extract-text METHOD [MAX_OUTPUT_BYTES] < content > text\n", stderr);
    return 2;
  }
  ExtractLimits limits;
  if (args.size() == 2) limits.max_output_bytes = std::strtoull(args[1].c_str(), nullptr, 10);
  std::string content;
  char buffer[1 << 16];
  while (content.size() <= limits.max_input_bytes) {
    ssize_t got = read(0, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    content.append(buffer, got);
  }
  std::string problem;
  if (content.size() > limits.max_input_bytes) {
    problem = args[0] + ": input over " + std::to_string(limits.max_input_bytes) + " bytes";
  } else if (args[0] == "pdf") {
    // Page by page to stdout, so a deadline that kills us still leaves the pages done so far.
    size_t written = 0;
    problem = ExtractPdf(content, [&](std::string_view page) {
      std::string text = ToValidUtf8(page);
      FinishText(&text, limits.max_output_bytes - written);
      written += text.size();
      fwrite(text.data(), 1, text.size(), stdout);
      fflush(stdout);
      return written < limits.max_output_bytes;
    });
    if (written >= limits.max_output_bytes && problem.empty())
      problem = "text truncated at " + std::to_string(limits.max_output_bytes) + " bytes";
    if (!problem.empty()) problem = "pdf: " + problem;
  } else {
    ExtractResult result = ExtractInProcess(args[0], content, "", limits);
    fwrite(result.text.data(), 1, result.text.size(), stdout);
    problem = result.problem;
  }
  fflush(stdout);
  if (!problem.empty()) std::fprintf(stderr, "%s\n", problem.c_str());
  return 0;
}

}  // namespace custodian::extract
