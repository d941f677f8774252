#include "mime/message.h"

namespace custodian::mime {

std::string FormatAddresses(const std::vector<Address>& list) {
  std::string r;
  for (const Address& a : list) {
    if (a.name.empty() && a.address.empty()) continue;
    if (!r.empty()) r += ", ";
    if (a.name.empty()) {
      r += a.address;
    } else if (a.address.empty()) {
      r += a.name;
    } else {
      r += a.name + " <" + a.address + ">";
    }
  }
  return r;
}

}  // namespace custodian::mime
