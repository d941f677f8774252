#include "cli/cli.h"

#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <ctime>

#include "util/text.h"

namespace custodian::cli {

Result<Args> Args::Parse(const std::vector<std::string>& argv, const std::set<std::string>& with_value,
                         const std::set<std::string>& flags) {
  Args a;
  bool options_done = false;
  for (size_t i = 0; i < argv.size(); i++) {
    const std::string& s = argv[i];
    if (options_done || s.size() < 2 || s[0] != '-' || s == "-") {
      a.positional_.push_back(s);
      continue;
    }
    if (s == "--") {
      options_done = true;
      continue;
    }
    std::string name = s, value;
    bool has_inline = false;
    if (size_t eq = s.find('='); eq != std::string::npos) {
      name = s.substr(0, eq);
      value = s.substr(eq + 1);
      has_inline = true;
    }
    if (with_value.count(name)) {
      if (!has_inline) {
        if (i + 1 >= argv.size()) return Status::InvalidArgument(name + " needs a value");
        value = argv[++i];
      }
      a.values_.emplace(name, value);
    } else if (flags.count(name) && !has_inline) {
      a.values_.emplace(name, "");
    } else {
      return Status::InvalidArgument("unknown option " + name);
    }
  }
  return a;
}

std::optional<std::string> Args::Get(const std::string& opt) const {
  auto it = values_.find(opt);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> Args::GetAll(const std::string& opt) const {
  std::vector<std::string> out;
  auto [b, e] = values_.equal_range(opt);
  for (auto it = b; it != e; ++it) out.push_back(it->second);
  return out;
}

int Fail(const Status& st) {
  std::fprintf(stderr, "custodian: %s\n", st.message().c_str());
  return st.code() == Status::Code::kInvalidArgument ? kExitUsage : kExitFailure;
}

int Usage(const std::string& message) {
  std::fprintf(stderr, "custodian: %s\n(see `custodian --help`)\n", message.c_str());
  return kExitUsage;
}

std::string DefaultActor() {
  if (const passwd* pw = ::getpwuid(::geteuid()); pw && pw->pw_name && *pw->pw_name) return pw->pw_name;
  const char* user = std::getenv("USER");
  return user && *user ? user : "uid-" + std::to_string(::geteuid());
}

Result<std::unique_ptr<Archive>> OpenArchive(const Context& ctx, Archive::Mode mode) {
  return Archive::Open(ctx.archive_dir, mode);
}

static std::string FormatDate(int64_t epoch, const char* format) {
  time_t t = time_t(epoch);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

std::string FormatDateIso(int64_t epoch) { return FormatDate(epoch, "%Y-%m-%dT%H:%M:%SZ"); }
std::string FormatDateShort(int64_t epoch) { return FormatDate(epoch, "%Y-%m-%d %H:%M"); }

std::string FormatCount(uint64_t n) {
  std::string s = std::to_string(n);
  for (int i = int(s.size()) - 3; i > 0; i -= 3) s.insert(size_t(i), ",");
  return s;
}

static double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

ProgressBar::ProgressBar(std::string label) : label_(std::move(label)), tty_(::isatty(2)), start_(Now()) {}

void ProgressBar::Update(uint64_t done, uint64_t total, const std::string& detail) {
  if (!tty_) return;
  double now = Now();
  if (now - last_ < 0.1) return;
  last_ = now;
  constexpr int kWidth = 24;
  double frac = total ? std::min(1.0, double(done) / double(total)) : 0;
  std::string bar(size_t(frac * kWidth), '#');
  bar.resize(kWidth, '.');
  std::string eta;
  double elapsed = now - start_;
  if (total && done && frac < 1 && elapsed > 0.5) {
    int secs = int(elapsed / frac - elapsed);
    char buf[32];
    std::snprintf(buf, sizeof buf, "  ETA %d:%02d", secs / 60, secs % 60);
    eta = buf;
  }
  std::fprintf(stderr, "\r\033[K%s [%s] %3d%%  %s%s", label_.c_str(), bar.c_str(), int(frac * 100),
               detail.c_str(), eta.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::Finish() {
  if (tty_ && drawn_) std::fprintf(stderr, "\r\033[K");
}

}  // namespace custodian::cli
