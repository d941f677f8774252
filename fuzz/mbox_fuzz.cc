// libFuzzer target for the mbox splitter: every variant must split any input without crashing
// or exceeding its limits, and whatever it returns must survive an mboxrd write + read exactly.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "mailbox/mbox.h"

using custodian::mailbox::ExportMessage;
using custodian::mailbox::Format;
using custodian::mailbox::MboxEncoder;
using custodian::mailbox::ReadLimits;
using custodian::mailbox::SourceMessage;
using custodian::mailbox::SplitMbox;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  ReadLimits limits;
  limits.max_message_bytes = 4096;  // small, so the oversize path is exercised too
  for (Format variant :
       {Format::kMbox, Format::kMboxo, Format::kMboxrd, Format::kMboxcl, Format::kMboxcl2}) {
    const std::vector<SourceMessage> messages = SplitMbox(input, variant, nullptr, limits);
    size_t total = 0;
    MboxEncoder encoder;
    std::string encoded;
    for (const SourceMessage& m : messages) {
      if (m.data.size() > limits.max_message_bytes) std::abort();
      total += m.data.size();
      ExportMessage e;
      e.data = m.data;
      e.envelope = m.envelope;
      encoder.Add(e, &encoded);
    }
    if (total > size) std::abort();  // unquoting and splitting only ever remove bytes
    encoder.Finish(&encoded);
    ReadLimits unlimited;
    const std::vector<SourceMessage> again =
        SplitMbox(encoded, Format::kMboxrd, nullptr, unlimited);
    if (again.size() != messages.size()) std::abort();
    for (size_t i = 0; i < again.size(); ++i)
      if (again[i].data != messages[i].data) std::abort();
  }
  return 0;
}
