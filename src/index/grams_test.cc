#include "index/grams.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

namespace custodian::index {
namespace {

uint32_t Key(const char* g) { return uint32_t(g[0]) << 14 | uint32_t(g[1]) << 7 | uint32_t(g[2]); }

std::set<uint32_t> Grams(std::string_view s) {
  std::vector<uint32_t> v;
  TextGrams(s, &v);
  std::set<uint32_t> out(v.begin(), v.end());
  EXPECT_EQ(out.size(), v.size()) << "duplicates for " << s;
  return out;
}

TEST(Grams, DistinctFoldedAsciiTrigrams) {
  EXPECT_EQ(Grams("Abab"), (std::set<uint32_t>{Key("aba"), Key("bab")}));
  EXPECT_EQ(Grams("ab"), std::set<uint32_t>{});
  EXPECT_EQ(Grams("aaaa"), std::set<uint32_t>{Key("aaa")});
  // A non-ASCII character ends the run: "café x" has caf, but no trigram across the é.
  EXPECT_EQ(Grams("caf\xC3\xA9xyz"), (std::set<uint32_t>{Key("caf"), Key("xyz")}));
  // KELVIN SIGN and LONG S match k and s case-insensitively in RE2, so they fold to them.
  EXPECT_EQ(Grams("\xE2\x84\xAA" "ey"), std::set<uint32_t>{Key("key")});
  EXPECT_EQ(Grams("Mi\xC5\xBF" "s"), (std::set<uint32_t>{Key("mis"), Key("iss")}));
  // Consecutive calls do not leak state between texts.
  EXPECT_EQ(Grams("xyz"), std::set<uint32_t>{Key("xyz")});
  EXPECT_EQ(Grams("xyz"), std::set<uint32_t>{Key("xyz")});
  EXPECT_TRUE(LiteralGrams("Kenneth Lay").size() == 9);
}

TEST(Grams, AccumulatorRoundTripsBothEncodings) {
  std::mt19937 rng(7);
  std::vector<std::string> texts;
  for (int i = 0; i < 500; i++) {
    std::string t = "the common words ";
    for (int k = 0; k < 8; k++) t += char('a' + rng() % 26);
    if (i % 97 == 0) t += " rareword";
    texts.push_back(t);
  }
  GramAccumulator acc;
  for (size_t i = 0; i < texts.size(); i++) acc.Add(int64_t(100 + i), texts[i]);
  EXPECT_EQ(acc.first(), 100);
  EXPECT_EQ(acc.last(), 599);
  auto rows = acc.Take();
  EXPECT_TRUE(acc.empty());
  ASSERT_FALSE(rows.empty());
  EXPECT_TRUE(std::is_sorted(rows.begin(), rows.end(), [](auto& a, auto& b) { return a.first < b.first; }));
  bool saw_bitmap = false, saw_varints = false;
  for (const auto& [gram, row] : rows) {
    (row[0] == 1 ? saw_bitmap : saw_varints) = true;
    std::vector<int64_t> ids;
    ASSERT_TRUE(DecodePostings(row, 100, 599, &ids).ok());
    std::vector<int64_t> expected;
    for (size_t i = 0; i < texts.size(); i++) {
      auto g = Grams(texts[i]);
      if (g.count(gram)) expected.push_back(int64_t(100 + i));
    }
    ASSERT_EQ(ids, expected) << "gram " << gram;
  }
  EXPECT_TRUE(saw_bitmap);   // "the" is in every text
  EXPECT_TRUE(saw_varints);  // "rar" in a few
}

TEST(Grams, CorruptPostingsAreErrors) {
  std::vector<int64_t> ids;
  EXPECT_FALSE(DecodePostings("", 1, 10, &ids).ok());
  EXPECT_FALSE(DecodePostings(std::string("\x07\x01", 2), 1, 10, &ids).ok());       // unknown type
  EXPECT_FALSE(DecodePostings(std::string("\x00\x80", 2), 1, 10, &ids).ok());       // truncated varint
  EXPECT_FALSE(DecodePostings(std::string("\x00\x0B", 2), 1, 10, &ids).ok());       // past the segment
  EXPECT_FALSE(DecodePostings(std::string("\x00\x01\x00", 3), 1, 10, &ids).ok());   // zero gap
  EXPECT_FALSE(DecodePostings(std::string("\x01\xFF", 2), 1, 10, &ids).ok());       // bitmap too short
  EXPECT_FALSE(DecodePostings(std::string("\x01\xFF\xFF", 3), 1, 10, &ids).ok());   // bits past the end
  ids.clear();
  ASSERT_TRUE(DecodePostings(std::string("\x01\x05\x02", 3), 1, 10, &ids).ok());
  EXPECT_EQ(ids, (std::vector<int64_t>{1, 3, 10}));
}

}  // namespace
}  // namespace custodian::index
