#include "dkim/key_source.h"

#include <cctype>

#include "dkim/tag_list.h"
#include "util/env.h"
#include "util/text.h"

namespace custodian::dkim {
namespace {

Status LineError(std::string_view source, size_t line, const std::string& why) {
  return Status::InvalidArgument(std::string(source) + " line " + std::to_string(line) + ": " +
                                 why);
}

// Zone-file character strings: "abc" "def" -> "abcdef", with \" \\ and \DDD escapes.
std::optional<std::string> ParseQuotedStrings(std::string_view text) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    if (IsWsp(text[pos])) {
      pos++;
      continue;
    }
    if (text[pos] != '"') return std::nullopt;
    pos++;
    bool closed = false;
    while (pos < text.size()) {
      char c = text[pos++];
      if (c == '"') {
        closed = true;
        break;
      }
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (pos >= text.size()) return std::nullopt;
      if (pos + 2 < text.size() && isdigit(static_cast<unsigned char>(text[pos])) &&
          isdigit(static_cast<unsigned char>(text[pos + 1])) &&
          isdigit(static_cast<unsigned char>(text[pos + 2]))) {
        int v = (text[pos] - '0') * 100 + (text[pos + 1] - '0') * 10 + (text[pos + 2] - '0');
        if (v > 255) return std::nullopt;
        out.push_back(char(v));
        pos += 3;
      } else {
        out.push_back(text[pos++]);
      }
    }
    if (!closed) return std::nullopt;
  }
  return out;
}

}  // namespace

const char* DnssecName(Dnssec d) {
  switch (d) {
    case Dnssec::kUnknown:
      return "unknown";
    case Dnssec::kSecure:
      return "secure";
    case Dnssec::kInsecure:
      return "insecure";
    case Dnssec::kBogus:
      return "bogus";
  }
  return "unknown";
}

const char* LookupOutcomeName(KeyLookup::Outcome o) {
  switch (o) {
    case KeyLookup::Outcome::kFound:
      return "found";
    case KeyLookup::Outcome::kTemporaryError:
      return "temporary error";
    case KeyLookup::Outcome::kPermanentError:
      return "permanent error";
  }
  return "";
}

std::string KeyRecordName(std::string_view selector, std::string_view domain) {
  return ToLowerAscii(selector) + "._domainkey." + ToLowerAscii(domain);
}

void MemoryKeySource::Add(KeyLookup lookup) {
  lookup.name = ToLowerAscii(lookup.name);
  std::string name = lookup.name;
  answers_[name] = std::move(lookup);
}

void MemoryKeySource::AddRecord(std::string_view name, std::string_view record,
                                std::string source) {
  KeyLookup lookup;
  lookup.outcome = KeyLookup::Outcome::kFound;
  lookup.name = std::string(name);
  lookup.record = std::string(record);
  lookup.source = std::move(source);
  Add(std::move(lookup));
}

bool MemoryKeySource::Has(std::string_view name) const {
  return answers_.count(ToLowerAscii(name)) > 0;
}

KeyLookup MemoryKeySource::Lookup(std::string_view selector, std::string_view domain) {
  std::string name = KeyRecordName(selector, domain);
  auto it = answers_.find(name);
  if (it != answers_.end()) return it->second;
  KeyLookup missing;
  missing.name = name;
  if (authoritative_) {
    missing.outcome = KeyLookup::Outcome::kPermanentError;
    missing.error = "no such name";
  } else {
    missing.outcome = KeyLookup::Outcome::kTemporaryError;
    missing.error = "no record kept for " + name;
  }
  return missing;
}

Result<std::unique_ptr<MemoryKeySource>> ParseKeyFile(std::string_view text,
                                                      std::string_view source_name) {
  if (text.size() > kMaxKeyFileBytes) {
    return Status::LimitExceeded(std::string(source_name) + ": larger than " +
                                 std::to_string(kMaxKeyFileBytes) + " bytes");
  }
  auto source = std::make_unique<MemoryKeySource>();
  size_t pos = 0, line_no = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    line_no++;
    if (line.size() > kMaxKeyFileLineBytes) {
      return Status::LimitExceeded(std::string(source_name) + " line " + std::to_string(line_no) +
                                   ": longer than " + std::to_string(kMaxKeyFileLineBytes) +
                                   " bytes");
    }
    line = TrimAscii(line);
    if (line.empty() || line[0] == '#') continue;
    size_t gap = 0;
    while (gap < line.size() && !IsWsp(line[gap])) gap++;
    std::string name = ToLowerAscii(line.substr(0, gap));
    std::string_view value = TrimAscii(line.substr(gap));
    if (!IsValidDomainName(name) || name.find("._domainkey.") == std::string::npos) {
      return LineError(source_name, line_no, "expected selector._domainkey.domain");
    }
    if (value.empty()) return LineError(source_name, line_no, "no record after the name");
    if (source->size() == kMaxKeyFileEntries) {
      return Status::LimitExceeded(std::string(source_name) + ": more than " +
                                   std::to_string(kMaxKeyFileEntries) + " records");
    }
    KeyLookup lookup;
    lookup.name = name;
    lookup.source = "key file " + std::string(source_name) + " line " + std::to_string(line_no);
    if (value == "NXDOMAIN") {
      lookup.outcome = KeyLookup::Outcome::kPermanentError;
      lookup.error = "no such name (NXDOMAIN)";
    } else if (value.size() >= 4 && StartsWith(value, "~~") &&
               value.substr(value.size() - 2) == "~~") {
      lookup.outcome = KeyLookup::Outcome::kTemporaryError;
      lookup.error = std::string(TrimAscii(value.substr(2, value.size() - 4)));
    } else if (value[0] == '"') {
      auto strings = ParseQuotedStrings(value);
      if (!strings) return LineError(source_name, line_no, "malformed quoted string");
      lookup.outcome = KeyLookup::Outcome::kFound;
      lookup.record = std::move(*strings);
    } else {
      lookup.outcome = KeyLookup::Outcome::kFound;
      lookup.record = std::string(value);
    }
    if (source->Has(name)) {
      return LineError(source_name, line_no, "name " + name + " is listed twice");
    }
    source->Add(std::move(lookup));
  }
  return source;
}

Result<std::unique_ptr<MemoryKeySource>> LoadKeyFile(const std::string& path) {
  Env* env = Env::Default();
  CUSTODIAN_ASSIGN_OR_RETURN(uint64_t size, env->FileSize(path));
  if (size > kMaxKeyFileBytes) {
    return Status::LimitExceeded(path + ": larger than " + std::to_string(kMaxKeyFileBytes) +
                                 " bytes");
  }
  CUSTODIAN_ASSIGN_OR_RETURN(std::string text, env->ReadFile(path));
  return ParseKeyFile(text, path);
}

KeyLookup FallbackKeySource::Lookup(std::string_view selector, std::string_view domain) {
  KeyLookup permanent, temporary;
  bool have_permanent = false;
  temporary.name = KeyRecordName(selector, domain);
  temporary.error = "no key source";
  for (KeySource* source : sources_) {
    KeyLookup answer = source->Lookup(selector, domain);
    if (answer.outcome == KeyLookup::Outcome::kFound) return answer;
    if (answer.outcome == KeyLookup::Outcome::kPermanentError) {
      if (!have_permanent) permanent = std::move(answer);
      have_permanent = true;
    } else {
      temporary = std::move(answer);
    }
  }
  return have_permanent ? permanent : temporary;
}

}  // namespace custodian::dkim
