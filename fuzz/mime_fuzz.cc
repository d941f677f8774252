// libFuzzer target for the MIME parser and the HTML converter: neither may crash, hang or
// return invalid UTF-8 on any input. Also the wire format the custodian program and its parser
// plugin exchange: a parsed message crosses it unchanged, and no input crashes its decoder.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mime/message.h"
#include "mime/wire.h"
#include "util/text.h"

namespace {

// Small limits so the fuzzer reaches every limit path with small inputs.
custodian::mime::Limits FuzzLimits() {
  custodian::mime::Limits limits;
  limits.max_message_bytes = 64 << 10;
  limits.max_header_bytes = 16 << 10;
  limits.max_depth = 8;
  limits.max_parts = 64;
  limits.max_text_bytes = 32 << 10;
  return limits;
}

void CheckUtf8(const std::string& s) {
  if (!custodian::IsValidUtf8(s)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool initialized = (custodian::mime::InitMime(), true);
  (void)initialized;
  std::string_view input(reinterpret_cast<const char*>(data), size);

  static const custodian::mime::Limits limits = FuzzLimits();
  custodian::mime::ParsedMessage m = custodian::mime::ParseMessage(input, limits);
  CheckUtf8(m.subject);
  CheckUtf8(m.body_text);
  for (const auto& h : m.headers) CheckUtf8(h.value);
  for (const auto& a : m.attachments) CheckUtf8(a.filename);
  if (m.body_text.size() > limits.max_text_bytes) std::abort();
  if (m.part_count > limits.max_parts) std::abort();

  std::string wire = custodian::mime::wire::EncodeMessage(m);
  custodian::mime::ParsedMessage back;
  if (!custodian::mime::wire::DecodeMessage(wire, &back) || custodian::mime::wire::EncodeMessage(back) != wire)
    std::abort();
  (void)custodian::mime::wire::DecodeMessage(input, &back);

  CheckUtf8(custodian::mime::HtmlToText(input));
  return 0;
}
