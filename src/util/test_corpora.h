// For tests only: locating the shared real-mail corpora and reading their files.
// CUSTODIAN_CORPORA is set by ctest (see custodian_test in the top CMakeLists.txt); the folders
// are absent in a fresh clone, and tests that need them skip with a message.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

namespace custodian::testing {

// The corpus folder `name`, or an empty path when it is not there.
inline std::filesystem::path CorpusDir(const char* name) {
  const char* root = std::getenv("CUSTODIAN_CORPORA");
  if (root == nullptr) return {};
  std::filesystem::path dir = std::filesystem::path(root) / name;
  return std::filesystem::is_directory(dir) ? dir : std::filesystem::path();
}

inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// One-message mbox files (SpamAssassin's) begin with a "From " separator line that is not part
// of the message.
inline std::string_view SkipMboxFromLine(std::string_view raw) {
  if (raw.substr(0, 5) != "From ") return raw;
  size_t nl = raw.find('\n');
  return nl == std::string_view::npos ? std::string_view() : raw.substr(nl + 1);
}

}  // namespace custodian::testing
