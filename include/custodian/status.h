// Status and Result<T>: how every fallible call in Custodian reports an expected failure.
// No exceptions cross module boundaries; assertions are only for broken invariants.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace custodian {

class Status {
 public:
  enum class Code {
    kOk = 0,
    kNotFound,
    kCorruption,       // stored data does not match what was written
    kInvalidArgument,  // the caller (or the user) asked for something malformed
    kIOError,
    kAlreadyExists,
    kLimitExceeded,    // input exceeded a parser or size limit
    kUnsupported,
    kInternal,
  };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status NotFound(std::string m) { return Status(Code::kNotFound, std::move(m)); }
  static Status Corruption(std::string m) { return Status(Code::kCorruption, std::move(m)); }
  static Status InvalidArgument(std::string m) {
    return Status(Code::kInvalidArgument, std::move(m));
  }
  static Status IOError(std::string m) { return Status(Code::kIOError, std::move(m)); }
  static Status AlreadyExists(std::string m) { return Status(Code::kAlreadyExists, std::move(m)); }
  static Status LimitExceeded(std::string m) { return Status(Code::kLimitExceeded, std::move(m)); }
  static Status Unsupported(std::string m) { return Status(Code::kUnsupported, std::move(m)); }
  static Status Internal(std::string m) { return Status(Code::kInternal, std::move(m)); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;

 private:
  Status(Code c, std::string m) : code_(c), message_(std::move(m)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// Result<T> holds either a value or a non-OK Status.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}                       // NOLINT: implicit by design
  Result(Status s) : v_(std::move(s)) { assert(!std::get<Status>(v_).ok()); }  // NOLINT
  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

 private:
  std::variant<T, Status> v_;
};

#define CUSTODIAN_RETURN_IF_ERROR(expr)        \
  do {                                         \
    ::custodian::Status _st = (expr);          \
    if (!_st.ok()) return _st;                 \
  } while (0)

#define CUSTODIAN_CONCAT_INNER(a, b) a##b
#define CUSTODIAN_CONCAT(a, b) CUSTODIAN_CONCAT_INNER(a, b)
#define CUSTODIAN_ASSIGN_OR_RETURN(lhs, expr)                           \
  auto CUSTODIAN_CONCAT(_res_, __LINE__) = (expr);                      \
  if (!CUSTODIAN_CONCAT(_res_, __LINE__).ok())                          \
    return CUSTODIAN_CONCAT(_res_, __LINE__).status();                  \
  lhs = std::move(CUSTODIAN_CONCAT(_res_, __LINE__)).value()

}  // namespace custodian
