// Where the mail parser lives. ParseMessage, ForEachAttachment and InitMime (message.h) and
// IconvToUtf8 below are defined twice, and every program links exactly one of the two:
//  - custodian_mime_parser (gmime_message.cc, gmime_charset.cc): GMime linked in; the tests,
//    the fuzz targets and custodian-extract;
//  - custodian_mime_loader (loader.cc): the custodian program, which loads the same code from
//    custodian-mime.so (plugin.cc) on first use, so that the commands that never parse mail
//    (search above all) do not load GMime and the ten shared libraries it needs.
#pragma once

#include <string>
#include <string_view>

namespace custodian::mime {

// Converts `bytes` from `charset` (lower-case, trimmed; not UTF-8 or Latin-1) with iconv and
// GMime's charset aliases; false if the charset is unknown.
bool IconvToUtf8(std::string_view bytes, const std::string& charset, std::string* out);

// ConvertToUtf8 (charset.h) with the given iconv: what both definitions of it call.
bool ConvertToUtf8With(std::string_view bytes, std::string_view charset, std::string* out,
                       bool (*iconv_to_utf8)(std::string_view, const std::string&, std::string*));

}  // namespace custodian::mime
