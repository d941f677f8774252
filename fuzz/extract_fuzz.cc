// libFuzzer target for the in-process attachment extractors (zip + XML office formats, HTML,
// text): none may crash, hang, exceed its output limit or return invalid UTF-8. PDF is left
// out: it runs in a child process, whose crashes the limits already contain.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "extract/internal.h"
#include "util/text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks the extractor, so one corpus covers them all; "zip" lets the
  // entries decide, as for an attachment of unknown type.
  static const char* const kMethods[] = {"zip", "docx", "xlsx", "pptx", "odt",
                                         "ods", "odp",  "html", "text"};
  const char* method = kMethods[data[0] % (sizeof kMethods / sizeof kMethods[0])];
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

  // Small limits so the fuzzer reaches every limit path with small inputs.
  custodian::extract::ExtractLimits limits;
  limits.max_output_bytes = 64 << 10;
  limits.max_archive_entries = 64;
  limits.max_unpacked_bytes = 1 << 20;
  custodian::extract::ExtractResult r =
      custodian::extract::ExtractInProcess(method, input, "", limits);
  if (!custodian::IsValidUtf8(r.text) || !custodian::IsValidUtf8(r.problem)) std::abort();
  if (r.text.size() > limits.max_output_bytes) std::abort();
  return 0;
}
