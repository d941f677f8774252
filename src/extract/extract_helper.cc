// Test stand-in for `custodian __extract-text`: the same entry point, plus methods that
// misbehave on purpose so the tests can exercise the subprocess limits.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "extract/extract.h"

int main(int argc, char** argv) {
  if (argc < 3 || std::strcmp(argv[1], "__extract-text") != 0) {
    std::fputs("usage: extract_helper __extract-text METHOD [MAX_OUTPUT_BYTES]\n", stderr);
    return 2;
  }
  std::string method = argv[2];
  if (method == "hang") {  // never reads, never exits: the wall-clock deadline must end it
    std::fputs("partial text\n", stdout);
    std::fflush(stdout);
    while (true) pause();
  }
  if (method == "spin") {  // burns CPU
    volatile unsigned long n = 0;
    while (true) n = n + 1;
  }
  if (method == "crash") std::abort();
  if (method == "flood") {  // ignores the output limit
    std::string line(4096, 'x');
    while (fwrite(line.data(), 1, line.size(), stdout) == line.size()) {
    }
    return 0;
  }
  if (method == "eat") {  // allocates without bound: the address-space limit must stop it
    std::vector<char*> blocks;
    while (true) {
      char* block = static_cast<char*>(std::malloc(16 << 20));
      if (block == nullptr) {
        std::fputs("eat: out of memory\n", stderr);
        return 1;
      }
      std::memset(block, 1, 16 << 20);
      blocks.push_back(block);
    }
  }
  return custodian::extract::RunExtractTextCommand(std::vector<std::string>(argv + 2, argv + argc));
}
