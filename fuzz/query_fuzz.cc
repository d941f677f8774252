// libFuzzer target for the query parser: any input must parse or fail with a positioned
// InvalidArgument, quickly and without deep recursion, and every tree must keep the shape the
// index relies on (flattened AND/OR, every NOT anchored in an AND with a positive child).
// The input is also read as "pattern\ntext": ExpandOptionals must keep the pattern's language,
// so the expanded pattern compiles and matches the text exactly when the original does.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <re2/re2.h>

#include "query/query.h"
#include "util/text.h"

namespace {

using custodian::query::Node;
using Kind = Node::Kind;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

// Bounds the depth too: 100 levels of parentheses give at most a few hundred levels of nodes.
void CheckTree(const Node& node, Kind parent, int depth) {
  Check(depth < 1000);
  switch (node.kind) {
    case Kind::kAnd:
    case Kind::kOr: {
      Check(node.children.size() >= 2);
      bool positive = false;
      for (const auto& child : node.children) {
        Check(child->kind != node.kind);
        positive |= child->kind != Kind::kNot;
      }
      Check(positive || node.kind == Kind::kOr);
      break;
    }
    case Kind::kNot:
      Check(node.children.size() == 1 && parent == Kind::kAnd);
      Check(node.children[0]->kind != Kind::kNot);
      break;
    case Kind::kWord:
    case Kind::kPhrase:
    case Kind::kPrefix:
      Check(node.children.empty() && !node.text.empty());
      Check(node.text.front() != ' ' && node.text.back() != ' ');
      break;
    case Kind::kDate:
    case Kind::kSize:
      Check(node.lo || node.hi);
      Check(!node.lo || !node.hi || *node.lo <= *node.hi);
      break;
    case Kind::kSubstring:
      Check(node.text.size() >= 3);
      break;
    case Kind::kDkim:
      Check(node.text == "pass" || node.text == "fail" || node.text == "none" || node.text == "temperror" ||
            node.text == "permerror");
      break;
    case Kind::kSignedBy:  // a lower-case domain name: what the catalog's d= column holds
      Check(!node.text.empty() && node.text.size() <= 253 && node.text.front() != '.' && node.text.back() != '.');
      for (char c : node.text) Check((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.');
      break;
    default:
      Check(node.children.empty());
  }
  for (const auto& child : node.children) CheckTree(*child, node.kind, depth + 1);
}

void CheckExpandOptionals(std::string_view input) {
  size_t nl = input.find('\n');
  std::string_view pattern = input.substr(0, nl), text = nl == std::string_view::npos ? "" : input.substr(nl + 1);
  RE2::Options o;
  o.set_log_errors(false);
  o.set_max_mem(8 << 20);
  RE2 original(re2::StringPiece(pattern.data(), pattern.size()), o);
  if (!original.ok()) return;
  std::string expanded = custodian::query::ExpandOptionals(pattern);
  RE2 rewritten(expanded, o);
  Check(rewritten.ok() || rewritten.error_code() == RE2::ErrorPatternTooLarge);
  if (!rewritten.ok()) return;
  re2::StringPiece t(text.data(), text.size());
  Check(RE2::PartialMatch(t, original) == RE2::PartialMatch(t, rewritten));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view query(reinterpret_cast<const char*>(data), size);
  CheckExpandOptionals(query);
  custodian::query::ParseOptions options;
  options.now = 989841600;
  auto result = custodian::query::Parse(query, options);
  if (result.ok()) {
    CheckTree(**result, Kind::kAll, 0);
    // Parse accepts only UTF-8, and the rendering must not cut a character apart.
    Check(custodian::IsValidUtf8(custodian::query::ToString(**result)));
    return 0;
  }
  const std::string& message = result.status().message();
  Check(result.status().code() == custodian::Status::Code::kInvalidArgument);
  Check(custodian::StartsWith(message, "at position "));
  size_t position = std::stoul(message.substr(12));
  Check(position >= 1 && position <= query.size() + 1);
  std::string shown = custodian::query::FormatQueryError(query, result.status());
  Check(custodian::IsValidUtf8(shown) && std::count(shown.begin(), shown.end(), '\n') == 2);
  return 0;
}
