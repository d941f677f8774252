// A small XML tag/text scanner for the XML inside office documents. It is linear-time and
// non-recursive, knows only the five predefined entities and numeric character references,
// and ignores DTDs, so there are no external or expanding entities for a hostile file to use.
#pragma once

#include <string>
#include <string_view>

namespace custodian::extract {

class XmlHandler {
 public:
  virtual ~XmlHandler() = default;
  // `name` is the qualified name as written ("w:t"); `attributes` the raw rest of the tag.
  virtual void StartTag(std::string_view name, std::string_view attributes, bool self_closing) = 0;
  virtual void EndTag(std::string_view name) = 0;
  // Character data with entities decoded (CDATA as written); a text node may come in pieces.
  virtual void Text(std::string_view text) = 0;
  // Checked between events so a handler whose output is full stops the scan.
  virtual bool Done() const { return false; }
};

void ScanXml(std::string_view xml, XmlHandler* handler);

// "w:t" -> "t": office files use conventional prefixes, but only the local name is meaningful.
std::string_view LocalName(std::string_view qualified_name);

// The decoded value of attribute `name` (qualified, e.g. "text:c") in a tag's raw attributes,
// or "" if absent.
std::string XmlAttribute(std::string_view attributes, std::string_view name);

// Appends `raw` to `out` with entity and character references decoded.
void DecodeXmlText(std::string_view raw, std::string* out);

}  // namespace custodian::extract
