// Small string helpers shared by every module.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace custodian {

std::string ToLowerAscii(std::string_view s);
std::string_view TrimAscii(std::string_view s);
bool StartsWith(std::string_view s, std::string_view prefix);
bool EqualsIgnoreCaseAscii(std::string_view a, std::string_view b);
std::vector<std::string> Split(std::string_view s, char sep);
// Returns s with every invalid UTF-8 sequence replaced by U+FFFD.
std::string ToValidUtf8(std::string_view s);
bool IsValidUtf8(std::string_view s);
// Appends code point `cp` as UTF-8; an invalid one (a surrogate, or past U+10FFFF) becomes U+FFFD.
void AppendUtf8(std::string* out, uint32_t cp);
// "12.3 MB", "840 KB": human-readable byte counts for terminal output.
std::string HumanBytes(double bytes);

}  // namespace custodian
