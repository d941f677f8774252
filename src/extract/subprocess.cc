// Out-of-process extraction: fork + exec of the extractor executable with rlimits, fed through
// non-blocking pipes polled together (so neither side can block the other) under a deadline.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <vector>

#include "extract/internal.h"
#include "util/text.h"

// ASan reserves terabytes of address space up front, so RLIMIT_AS would stop the child
// from starting; sanitized builds rely on the deadline and CPU limit alone.
#if defined(__SANITIZE_ADDRESS__)
#define CUSTODIAN_EXTRACT_LIMIT_AS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CUSTODIAN_EXTRACT_LIMIT_AS 0
#endif
#endif
#ifndef CUSTODIAN_EXTRACT_LIMIT_AS
#define CUSTODIAN_EXTRACT_LIMIT_AS 1
#endif

namespace custodian::extract {
namespace {

constexpr size_t kMaxStderrBytes = 4096;  // the child's problem line; the rest is noise
constexpr int kExecFailed = 127;

std::mutex executable_mu;
// custodian-extract beside the running program (build/ or the install directory).
std::string& ExecutablePath() {
  static std::string path = [] {
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    std::string dir = n > 0 ? std::string(self, size_t(n)) : std::string(".");
    dir = dir.substr(0, dir.rfind('/') + 1);
    return dir + "custodian-extract";
  }();
  return path;
}

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Close(); }
  int get() const { return fd_; }
  bool open() const { return fd_ >= 0; }
  void Reset(int fd) {
    Close();
    fd_ = fd;
  }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// Runs in the forked child, so only async-signal-safe calls: no allocation, no locks.
[[noreturn]] void ExecChild(int in, int out, int err, const char* path, char* const argv[],
                            const ExtractLimits& limits) {
  if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) _exit(kExecFailed);
  // Descriptors the importer holds (archive files, sockets) are none of the child's business.
  if (close_range(3, ~0U, 0) != 0) {
    rlimit files;
    int max_fd = getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < 65536
                     ? static_cast<int>(files.rlim_cur)
                     : 65536;
    for (int fd = 3; fd < max_fd; fd++) close(fd);
  }
  struct sigaction dfl = {};
  dfl.sa_handler = SIG_DFL;
  for (int sig : {SIGPIPE, SIGXCPU, SIGXFSZ}) sigaction(sig, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  rlim_t seconds = static_cast<rlim_t>(std::max(limits.max_seconds, 1));
  rlimit cpu = {seconds, seconds + 1};  // SIGXCPU at the soft limit, SIGKILL a second later
  rlimit zero = {0, 0};
  setrlimit(RLIMIT_CPU, &cpu);
  setrlimit(RLIMIT_CORE, &zero);   // a hostile file's crash leaves no core dump
  setrlimit(RLIMIT_FSIZE, &zero);  // the child writes no files
  if (CUSTODIAN_EXTRACT_LIMIT_AS) {
    rlimit memory = {limits.max_memory_bytes, limits.max_memory_bytes};
    setrlimit(RLIMIT_AS, &memory);
  }
  execv(path, argv);
  _exit(kExecFailed);
}

bool SetNonBlocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  return flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

// Reads what is available from `fd` into *out, keeping at most `max` bytes; returns false at
// end of file or on an error (the caller closes the descriptor).
bool Drain(int fd, std::string* out, size_t max, bool* overflow) {
  char buffer[1 << 16];
  while (true) {
    ssize_t got = read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    if (got <= 0) return false;
    size_t keep = std::min(static_cast<size_t>(got), max - std::min(max, out->size()));
    out->append(buffer, keep);
    if (keep < static_cast<size_t>(got)) {
      *overflow = true;
      return false;
    }
  }
}

int MillisecondsLeft(Deadline deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return static_cast<int>(std::clamp<int64_t>(left.count(), 0, 1 << 30));
}

// Waits for the child until the deadline, then kills it. Returns its wait status.
int Reap(pid_t pid, Deadline deadline, bool* killed) {
  int status = 0;
  while (true) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0 && errno != EINTR) return 0;
    if (MillisecondsLeft(deadline) == 0) break;
    poll(nullptr, 0, std::min(MillisecondsLeft(deadline), 5));
  }
  kill(pid, SIGKILL);
  *killed = true;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

}  // namespace

void SetExtractorExecutable(std::string path) {
  std::lock_guard<std::mutex> lock(executable_mu);
  ExecutablePath() = std::move(path);
}

ExtractResult ExtractOutOfProcess(std::string_view method, std::string_view content,
                                  const ExtractLimits& limits, Deadline deadline) {
  ExtractResult result;
  result.method = std::string(method);
  auto fail = [&](std::string problem) {
    result.problem = std::string(method) + ": " + problem;
    return result;
  };
  if (MillisecondsLeft(deadline) == 0) return fail("not extracted: the time limit was spent");

  std::string path;
  {
    std::lock_guard<std::mutex> lock(executable_mu);
    path = ExecutablePath();
  }
  std::string method_arg(method), output_arg = std::to_string(limits.max_output_bytes);
  std::string command = "__extract-text";
  char* argv[] = {path.data(), command.data(), method_arg.data(), output_arg.data(), nullptr};

  // stdin is a socket so that a child which stops reading gives EPIPE from send(MSG_NOSIGNAL)
  // instead of a SIGPIPE that would kill the importer.
  int in_pair[2], out_pipe[2], err_pipe[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in_pair) != 0)
    return fail(std::string("socketpair: ") + std::strerror(errno));
  Fd in(in_pair[0]), child_in(in_pair[1]);
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return fail(std::string("pipe: ") + std::strerror(errno));
  Fd out(out_pipe[0]), child_out(out_pipe[1]);
  if (pipe2(err_pipe, O_CLOEXEC) != 0) return fail(std::string("pipe: ") + std::strerror(errno));
  Fd err(err_pipe[0]), child_err(err_pipe[1]);

  pid_t pid = fork();
  if (pid < 0) return fail(std::string("fork: ") + std::strerror(errno));
  if (pid == 0)
    ExecChild(child_in.get(), child_out.get(), child_err.get(), path.c_str(), argv, limits);
  child_in.Close();
  child_out.Close();
  child_err.Close();
  SetNonBlocking(in.get());
  SetNonBlocking(out.get());
  SetNonBlocking(err.get());

  std::string text, errors;
  bool text_overflow = false, errors_overflow = false, timed_out = false;
  size_t sent = 0;
  if (content.empty()) in.Close();
  while (out.open() || err.open()) {
    int wait_ms = MillisecondsLeft(deadline);
    if (wait_ms == 0) {
      timed_out = true;
      break;
    }
    std::vector<pollfd> fds;
    if (in.open()) fds.push_back({in.get(), POLLOUT, 0});
    if (out.open()) fds.push_back({out.get(), POLLIN, 0});
    if (err.open()) fds.push_back({err.get(), POLLIN, 0});
    int ready = poll(fds.data(), fds.size(), wait_ms);
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    for (const pollfd& p : fds) {
      if (p.revents == 0) continue;
      if (p.fd == in.get()) {
        ssize_t n =
            send(in.get(), content.data() + sent, std::min<size_t>(content.size() - sent, 1 << 16),
                 MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) sent += n;
        // Done, or the child stopped reading (it may still have written text); either way EOF.
        if (sent == content.size() || (n < 0 && errno != EAGAIN && errno != EINTR)) in.Close();
      } else if (p.fd == out.get()) {
        if (!Drain(out.get(), &text, limits.max_output_bytes, &text_overflow)) out.Close();
      } else if (p.fd == err.get()) {
        if (!Drain(err.get(), &errors, kMaxStderrBytes, &errors_overflow)) err.Close();
      }
    }
    if (text_overflow) break;  // enough text: the child need not finish
  }
  in.Close();
  out.Close();
  err.Close();
  bool killed = false;
  int status =
      Reap(pid, timed_out || text_overflow ? std::chrono::steady_clock::now() : deadline, &killed);
  if (killed && !text_overflow) timed_out = true;

  result.text = std::move(text);
  std::string problem(TrimAscii(errors));
  if (text_overflow) {
    problem = "text truncated at " + std::to_string(limits.max_output_bytes) + " bytes";
  } else if (timed_out) {
    problem = "timed out after " + std::to_string(limits.max_seconds) + " s";
  } else if (WIFSIGNALED(status) && !text_overflow) {
    int sig = WTERMSIG(status);
    problem = sig == SIGXCPU || sig == SIGKILL
                  ? "used more than " + std::to_string(limits.max_seconds) + " s of CPU"
                  : "extractor crashed (signal " + std::to_string(sig) + ")";
  } else if (WIFEXITED(status) && WEXITSTATUS(status) == kExecFailed) {
    problem = "could not run the extractor " + path;
  } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0 && problem.empty()) {
    problem = "extractor failed with exit status " + std::to_string(WEXITSTATUS(status));
  }
  if (problem.ends_with("out of memory"))
    problem += " (limit " + std::to_string(limits.max_memory_bytes >> 20) + " MB)";
  // The child's own problem line already names the method.
  std::string prefix = std::string(method) + ": ";
  if (!problem.empty())
    result.problem = (StartsWith(problem, prefix) ? "" : prefix) + ToValidUtf8(problem);
  return result;
}

}  // namespace custodian::extract
