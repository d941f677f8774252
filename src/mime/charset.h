// Byte-to-UTF-8 conversion shared by the MIME parser and the HTML converter.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/text.h"  // AppendUtf8

namespace custodian::mime {

// Maps a byte 0x80..0x9F to its windows-1252 code point (HTML5 rules, undefined ones kept as C1).
uint32_t Windows1252ToCodePoint(unsigned char byte);

// Decodes windows-1252 (the de-facto meaning of "iso-8859-1" and of undeclared 8-bit mail).
std::string Windows1252ToUtf8(std::string_view bytes);

// Converts `bytes` in `charset` to valid UTF-8. Undeclared, ASCII and Latin-1 text is taken as
// UTF-8 when it validates, else windows-1252. Returns false (and still converts, as UTF-8 or
// windows-1252) when the charset is unknown to iconv.
bool ConvertToUtf8(std::string_view bytes, std::string_view charset, std::string* out);

}  // namespace custodian::mime
