// The bytes a parsed message crosses the boundary to the mail parser's shared library in
// (custodian-mime.so, see parser.h): the custodian program loads the parser only when it first
// parses mail, and the two sides are separate builds of the C++ runtime, so they exchange plain
// bytes, not C++ objects. The layout is private to one build: both sides are built together.
#pragma once

#include <string>
#include <string_view>

#include "mime/message.h"

namespace custodian::mime::wire {

std::string EncodeLimits(const Limits& l);
bool DecodeLimits(std::string_view in, Limits* out);

std::string EncodeAttachment(const Attachment& a);
bool DecodeAttachment(std::string_view in, Attachment* out);

std::string EncodeMessage(const ParsedMessage& m);
bool DecodeMessage(std::string_view in, ParsedMessage* out);

}  // namespace custodian::mime::wire
