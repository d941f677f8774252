// custodian-extract: extracts text from one attachment given on stdin (see command.cc).
// Usage: custodian-extract __extract-text METHOD [MAX_OUTPUT_BYTES]
#include <string>
#include <vector>

#include "extract/extract.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] != "__extract-text") return custodian::extract::RunExtractTextCommand({});
  args.erase(args.begin());
  return custodian::extract::RunExtractTextCommand(args);
}
