// The C interface of custodian-mime.so (see parser.h): one exported function returns this table.
// Messages, attachments and limits cross it in the wire format (wire.h).
#pragma once

#include <cstddef>

extern "C" {

struct CustodianMimePlugin {
  // The build the plugin belongs to (CUSTODIAN_MIME_PLUGIN_BUILD): a plugin from another
  // build is refused, since the wire format is private to one.
  const char* build;
  // Returns a malloc'ed wire-encoded ParsedMessage of `raw`, its length in *out_len.
  char* (*parse)(const char* raw, size_t raw_len, const char* limits, size_t limits_len, size_t* out_len);
  // Calls fn for each attachment (wire-encoded) with its decoded content.
  void (*for_each_attachment)(const char* raw, size_t raw_len, const char* limits, size_t limits_len, void* ctx,
                              void (*fn)(void* ctx, const char* attachment, size_t attachment_len,
                                         const char* content, size_t content_len));
  // IconvToUtf8: 1 and a malloc'ed result in *out, or 0 (unknown charset; *out then malloc'ed too).
  int (*iconv_to_utf8)(const char* bytes, size_t len, const char* charset, char** out, size_t* out_len);
  void (*free)(void* p);
};

// The symbol custodian-mime.so exports.
const CustodianMimePlugin* custodian_mime_plugin();
}
