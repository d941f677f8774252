// Helpers for the mailbox tests.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "mailbox/mailbox.h"

namespace custodian::mailbox::testing {

// A fresh directory, removed with its contents at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "mailbox_test.XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
    EXPECT_FALSE(path_.empty());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

inline void WriteFile(const std::string& path, std::string_view data) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream f(path, std::ios::binary);
  f.write(data.data(), std::streamsize(data.size()));
  ASSERT_TRUE(f.good()) << path;
}

inline std::string ReadAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

struct Collected {
  std::vector<SourceMessage> messages;
  std::vector<SourceProblem> problems;
};

// Reads every message of `path`; a fatal error fails the test.
inline Collected ReadAllMessages(const std::string& path, Format format = Format::kAuto,
                                 const ReadLimits& limits = {}) {
  Collected c;
  auto source = OpenSource(
      path, format, [&](const SourceProblem& p) { c.problems.push_back(p); }, limits);
  EXPECT_TRUE(source.ok()) << source.status().ToString();
  if (!source.ok()) return c;
  for (;;) {
    SourceMessage m;
    Result<bool> got = (*source)->Next(&m);
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    if (!got.ok() || !*got) break;
    c.messages.push_back(std::move(m));
  }
  return c;
}

// $CUSTODIAN_CORPORA/<rel>, or "" when the corpora are not there.
inline std::string CorpusPath(const std::string& rel) {
  const char* root = std::getenv("CUSTODIAN_CORPORA");
  if (!root || !*root) return "";
  std::string path = std::string(root) + "/" + rel;
  return std::filesystem::exists(path) ? path : "";
}

}  // namespace custodian::mailbox::testing
