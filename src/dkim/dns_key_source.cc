// KeySource over live DNS with libunbound: TXT lookups with a deadline and, when a trust anchor
// is installed, DNSSEC validation whose outcome is kept with the record.
#include <poll.h>
#include <unbound.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <mutex>

#include "dkim/key_source.h"

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
  DnsKeySource(ub_ctx* ctx, std::string label, bool validating, int timeout_ms)
      : ctx_(ctx), label_(std::move(label)), validating_(validating), timeout_ms_(timeout_ms) {}
  ~DnsKeySource() override { ub_ctx_delete(ctx_); }

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
        ub_resolve_async(ctx_, out.name.c_str(), kTypeTxt, kClassIn, &pending, &OnResult, &id);
    if (err != 0) {
      out.error = std::string("DNS lookup could not start: ") + ub_strerror(err);
      return out;
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms_);
    while (!pending.done) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      deadline - std::chrono::steady_clock::now())
                      .count();
      if (left <= 0) {
        ub_cancel(ctx_, id);
        out.error = "DNS lookup timed out after " + std::to_string(timeout_ms_) + " ms";
        return out;
      }
      pollfd fd{ub_fd(ctx_), POLLIN, 0};
      if (poll(&fd, 1, int(left)) > 0) ub_process(ctx_);
    }
    if (pending.err != 0) {
      out.error = std::string("DNS lookup failed: ") + ub_strerror(pending.err);
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
    ub_resolve_free(r);
    return out;
  }

 private:
  std::mutex mu_;
  ub_ctx* ctx_;
  std::string label_;
  bool validating_;
  int timeout_ms_;
};

}  // namespace

Result<std::unique_ptr<KeySource>> NewDnsKeySource(const DnsOptions& options) {
  ub_ctx* ctx = ub_ctx_create();
  if (ctx == nullptr) return Status::Internal("libunbound: cannot create a resolver context");
  auto fail = [&](const char* what, int err) {
    ub_ctx_delete(ctx);
    return Status::InvalidArgument(std::string("libunbound: ") + what + ": " + ub_strerror(err));
  };
  // Resolve in a thread of this process rather than a forked child.
  if (int err = ub_ctx_async(ctx, 1); err != 0) return fail("async mode", err);
  std::string label;
  if (options.resolver.empty()) {
    // Without /etc/resolv.conf libunbound resolves from the root servers itself.
    ub_ctx_resolvconf(ctx, nullptr);
    label = "dns (system resolver)";
  } else {
    if (int err = ub_ctx_set_fwd(ctx, options.resolver.c_str()); err != 0) {
      return fail("resolver address", err);
    }
    label = "dns (resolver " + options.resolver + ")";
  }
  bool validating = false;
  std::error_code ec;
  if (!options.trust_anchor_file.empty() &&
      std::filesystem::exists(options.trust_anchor_file, ec)) {
    if (int err = ub_ctx_add_ta_file(ctx, options.trust_anchor_file.c_str()); err != 0) {
      return fail("trust anchor", err);
    }
    validating = true;
  }
  std::unique_ptr<KeySource> source =
      std::make_unique<DnsKeySource>(ctx, std::move(label), validating, options.timeout_ms);
  return source;
}

}  // namespace custodian::dkim
