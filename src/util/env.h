// Env: every file the store touches goes through this interface, so tests can swap in one that
// injects I/O faults (see FaultInjectionEnv in env_test.cc and the store tests).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "custodian/status.h"

namespace custodian {

class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(std::string_view data) = 0;
  virtual Status Sync() = 0;  // data and size are durable when this returns OK
  virtual Status Close() = 0;
  virtual uint64_t Size() const = 0;
};

class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads up to n bytes at offset into *out (fewer only at end of file).
  virtual Status Read(uint64_t offset, size_t n, std::string* out) const = 0;
  virtual Result<uint64_t> Size() const = 0;
};

class Env {
 public:
  virtual ~Env() = default;
  static Env* Default();

  // Opens for appending, creating the file if missing (mode applies on creation).
  virtual Result<std::unique_ptr<WritableFile>> OpenAppendable(const std::string& path,
                                                               int mode = 0644) = 0;
  virtual Result<std::unique_ptr<RandomAccessFile>> OpenRead(const std::string& path) = 0;
  virtual Status Truncate(const std::string& path, uint64_t size) = 0;
  virtual Status SyncDir(const std::string& dir) = 0;
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  virtual Status RemoveFile(const std::string& path) = 0;
  virtual Status CreateDir(const std::string& path, int mode = 0755) = 0;  // OK if it exists
  virtual bool Exists(const std::string& path) = 0;
  virtual Result<uint64_t> FileSize(const std::string& path) = 0;
  virtual Result<std::vector<std::string>> ListDir(const std::string& dir) = 0;

  // Helpers built on the primitives above.
  Result<std::string> ReadFile(const std::string& path);
  // Writes to a temporary file, fsyncs it, renames it over `path` and fsyncs the directory:
  // readers see either the old or the new content, never a torn one.
  Status WriteFileAtomic(const std::string& path, std::string_view data, int mode = 0644);
};

std::string JoinPath(std::string_view a, std::string_view b);
std::string DirName(std::string_view path);

}  // namespace custodian
