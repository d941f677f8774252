// KeySource over live DNS with libunbound: TXT lookups with a deadline and, when a trust anchor
// is installed, DNSSEC validation whose outcome is kept with the record.
//
// libunbound (and the libevent and second OpenSSL it pulls in) is loaded with dlopen the first
// time a DNS source is made, never at start-up: every command pays for the libraries it loads,
// and only `--dns` needs these. unbound.h supplies the types alone.
#include <poll.h>
#include <unbound.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <mutex>

#include "dkim/key_source.h"
#include "util/dynlib.h"

namespace custodian::dkim {
namespace {

constexpr int kTypeTxt = 16;
constexpr int kClassIn = 1;
constexpr int kRcodeServfail = 2;
constexpr int kRcodeNxdomain = 3;

struct Pending {
  bool done = false;
  int err = 0;
  ub_result* result = nullptr;
};

// The libunbound functions used, resolved from the library loaded at run time.
struct Unbound {
  decltype(&::ub_ctx_create) ctx_create;
  decltype(&::ub_ctx_delete) ctx_delete;
  decltype(&::ub_ctx_async) ctx_async;
  decltype(&::ub_ctx_resolvconf) ctx_resolvconf;
  decltype(&::ub_ctx_set_fwd) ctx_set_fwd;
  decltype(&::ub_ctx_add_ta_file) ctx_add_ta_file;
  decltype(&::ub_resolve_async) resolve_async;
  decltype(&::ub_cancel) cancel;
  decltype(&::ub_fd) fd;
  decltype(&::ub_process) process;
  decltype(&::ub_resolve_free) resolve_free;
  decltype(&::ub_strerror) strerror;
};

constexpr const char* kUnboundLibrary = "libunbound.so.8";

// Loads the library once per process (it stays loaded); an error says what to install.
Result<const Unbound*> LoadUnbound() {
  static Unbound api;
  static std::string error;
  static std::once_flag once;
  std::call_once(once, [] {
    std::string why;
    void* lib = LoadSharedLibrary(kUnboundLibrary, &why);
    if (lib == nullptr) {
      error = std::string("live DNS needs ") + kUnboundLibrary + " (Debian package libunbound8): " + why;
      return;
    }
    bool ok = LoadFunction(lib, "ub_ctx_create", &api.ctx_create) &&
              LoadFunction(lib, "ub_ctx_delete", &api.ctx_delete) &&
              LoadFunction(lib, "ub_ctx_async", &api.ctx_async) &&
              LoadFunction(lib, "ub_ctx_resolvconf", &api.ctx_resolvconf) &&
              LoadFunction(lib, "ub_ctx_set_fwd", &api.ctx_set_fwd) &&
              LoadFunction(lib, "ub_ctx_add_ta_file", &api.ctx_add_ta_file) &&
              LoadFunction(lib, "ub_resolve_async", &api.resolve_async) &&
              LoadFunction(lib, "ub_cancel", &api.cancel) && LoadFunction(lib, "ub_fd", &api.fd) &&
              LoadFunction(lib, "ub_process", &api.process) &&
              LoadFunction(lib, "ub_resolve_free", &api.resolve_free) &&
              LoadFunction(lib, "ub_strerror", &api.strerror);
    if (!ok) error = std::string(kUnboundLibrary) + " lacks a function this build needs";
  });
  if (!error.empty()) return Status::Unsupported(error);
  return &api;
}

void OnResult(void* arg, int err, ub_result* result) {
  auto* pending = static_cast<Pending*>(arg);
  pending->done = true;
  pending->err = err;
  pending->result = result;
}

// TXT RDATA is a sequence of <length><bytes> strings; a record is their concatenation.
std::string TxtRecord(const char* data, int len) {
  std::string out;
  int pos = 0;
  while (pos < len) {
    int n = static_cast<unsigned char>(data[pos++]);
    if (n > len - pos) n = len - pos;
    out.append(data + pos, size_t(n));
    pos += n;
  }
  return out;
}

class DnsKeySource : public KeySource {
 public:
  DnsKeySource(const Unbound* ub, ub_ctx* ctx, std::string label, bool validating, int timeout_ms)
      : ub_(ub), ctx_(ctx), label_(std::move(label)), validating_(validating), timeout_ms_(timeout_ms) {}
  ~DnsKeySource() override { ub_->ctx_delete(ctx_); }

  KeyLookup Lookup(std::string_view selector, std::string_view domain) override {
    std::lock_guard<std::mutex> lock(mu_);
    KeyLookup out;
    out.name = KeyRecordName(selector, domain);
    out.source = label_;
    out.fetched_at = int64_t(std::time(nullptr));
    out.outcome = KeyLookup::Outcome::kTemporaryError;

    Pending pending;
    int id = 0;
    int err =
        ub_->resolve_async(ctx_, out.name.c_str(), kTypeTxt, kClassIn, &pending, &OnResult, &id);
    if (err != 0) {
      out.error = std::string("DNS lookup could not start: ") + ub_->strerror(err);
      return out;
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms_);
    while (!pending.done) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      deadline - std::chrono::steady_clock::now())
                      .count();
      if (left <= 0) {
        ub_->cancel(ctx_, id);
        out.error = "DNS lookup timed out after " + std::to_string(timeout_ms_) + " ms";
        return out;
      }
      pollfd fd{ub_->fd(ctx_), POLLIN, 0};
      if (poll(&fd, 1, int(left)) > 0) ub_->process(ctx_);
    }
    if (pending.err != 0) {
      out.error = std::string("DNS lookup failed: ") + ub_->strerror(pending.err);
      return out;
    }
    ub_result* r = pending.result;
    if (validating_) {
      out.dnssec = r->secure ? Dnssec::kSecure : r->bogus ? Dnssec::kBogus : Dnssec::kInsecure;
    }
    if (r->bogus) {
      out.error = std::string("DNSSEC validation failed: ") +
                  (r->why_bogus ? r->why_bogus : "bogus answer");
    } else if (r->rcode == kRcodeNxdomain) {
      out.outcome = KeyLookup::Outcome::kPermanentError;
      out.error = "no such name (NXDOMAIN)";
    } else if (r->rcode == kRcodeServfail) {
      out.error = "DNS server failure (SERVFAIL): no resolver answered";
    } else if (r->rcode != 0) {
      out.error = "DNS error (rcode " + std::to_string(r->rcode) + ")";
    } else if (!r->havedata) {
      out.outcome = KeyLookup::Outcome::kPermanentError;
      out.error = "the name has no TXT record";
    } else {
      // Several TXT records at one name: prefer the one that says it is a DKIM key.
      std::string first;
      for (int i = 0; r->data[i] != nullptr; i++) {
        std::string record = TxtRecord(r->data[i], r->len[i]);
        if (i == 0) first = record;
        if (record.rfind("v=DKIM1", 0) == 0) {
          first = std::move(record);
          break;
        }
      }
      out.outcome = KeyLookup::Outcome::kFound;
      out.record = std::move(first);
    }
    ub_->resolve_free(r);
    return out;
  }

 private:
  std::mutex mu_;
  const Unbound* ub_;
  ub_ctx* ctx_;
  std::string label_;
  bool validating_;
  int timeout_ms_;
};

}  // namespace

Result<std::unique_ptr<KeySource>> NewDnsKeySource(const DnsOptions& options) {
  CUSTODIAN_ASSIGN_OR_RETURN(const Unbound* ub, LoadUnbound());
  ub_ctx* ctx = ub->ctx_create();
  if (ctx == nullptr) return Status::Internal("libunbound: cannot create a resolver context");
  auto fail = [&](const char* what, int err) {
    ub->ctx_delete(ctx);
    return Status::InvalidArgument(std::string("libunbound: ") + what + ": " + ub->strerror(err));
  };
  // Resolve in a thread of this process rather than a forked child.
  if (int err = ub->ctx_async(ctx, 1); err != 0) return fail("async mode", err);
  std::string label;
  if (options.resolver.empty()) {
    // Without /etc/resolv.conf libunbound resolves from the root servers itself.
    ub->ctx_resolvconf(ctx, nullptr);
    label = "dns (system resolver)";
  } else {
    if (int err = ub->ctx_set_fwd(ctx, options.resolver.c_str()); err != 0) {
      return fail("resolver address", err);
    }
    label = "dns (resolver " + options.resolver + ")";
  }
  bool validating = false;
  std::error_code ec;
  if (!options.trust_anchor_file.empty() &&
      std::filesystem::exists(options.trust_anchor_file, ec)) {
    if (int err = ub->ctx_add_ta_file(ctx, options.trust_anchor_file.c_str()); err != 0) {
      return fail("trust anchor", err);
    }
    validating = true;
  }
  std::unique_ptr<KeySource> source =
      std::make_unique<DnsKeySource>(ub, ctx, std::move(label), validating, options.timeout_ms);
  return source;
}

}  // namespace custodian::dkim
