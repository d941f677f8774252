#include "index/grams.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <map>
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
  ASSERT_EQ(LiteralRuns("Kenneth Lay").size(), 1u);
  EXPECT_EQ(LiteralRuns("Kenneth Lay")[0].size(), 9u);
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
    ASSERT_TRUE(row[0] == 2 || row[0] == 3) << int(row[0]);  // both with position masks
    (row[0] == 3 ? saw_bitmap : saw_varints) = true;
    std::vector<int64_t> ids;
    std::vector<uint8_t> masks;
    ASSERT_TRUE(DecodePostings(row, 100, 599, &ids, &masks).ok());
    std::vector<int64_t> expected;
    std::vector<uint8_t> expected_masks;
    for (size_t i = 0; i < texts.size(); i++) {
      std::vector<GramMask> v;
      TextGramMasks(texts[i], &v);
      for (const auto& g : v)
        if (g.key == gram) {
          expected.push_back(int64_t(100 + i));
          expected_masks.push_back(g.mask);
        }
    }
    ASSERT_EQ(ids, expected) << "gram " << gram;
    ASSERT_EQ(masks, expected_masks) << "gram " << gram;
  }
  EXPECT_TRUE(saw_bitmap);   // "the" is in every text
  EXPECT_TRUE(saw_varints);  // "rar" in a few
}

// Enough distinct trigrams that the accumulator's postings and chunks each fill more than one
// slab (64 Ki entries); every row still decodes to exactly its texts and masks.
TEST(Grams, AccumulatorRoundTripsAcrossSlabs) {
  std::mt19937 rng(11);
  std::vector<std::string> texts;
  for (int i = 0; i < 4000; i++) {
    std::string t;
    for (int k = 0; k < 60; k++) t += char(' ' + rng() % 95);
    texts.push_back(t);
  }
  std::map<uint32_t, std::vector<std::pair<int64_t, uint8_t>>> expected;
  GramAccumulator acc;
  for (size_t i = 0; i < texts.size(); i++) {
    acc.Add(int64_t(1 + i), texts[i]);
    std::vector<GramMask> v;
    TextGramMasks(texts[i], &v);
    for (const auto& g : v) expected[g.key].emplace_back(int64_t(1 + i), g.mask);
  }
  ASSERT_GT(expected.size(), 70000u);  // more trigrams (and so more chunks) than one slab holds
  size_t rows = 0;
  uint32_t prev = 0;
  Status st = acc.Drain([&](uint32_t gram, std::string_view row) {
    EXPECT_TRUE(rows == 0 || gram > prev);
    prev = gram;
    rows++;
    std::vector<int64_t> ids;
    std::vector<uint8_t> masks;
    EXPECT_TRUE(DecodePostings(row, 1, 4000, &ids, &masks).ok());
    const auto& want = expected[gram];
    EXPECT_EQ(ids.size(), want.size()) << gram;
    for (size_t k = 0; k < ids.size() && k < want.size(); k++) {
      EXPECT_EQ(ids[k], want[k].first);
      EXPECT_EQ(masks[k], want[k].second);
    }
    return Status::Ok();
  });
  EXPECT_TRUE(st.ok());
  EXPECT_EQ(rows, expected.size());
  EXPECT_TRUE(acc.empty());
}

// Drain stops at the callback's first error, returns it, and leaves the accumulator empty and
// usable.
TEST(Grams, DrainStopsAtTheFirstError) {
  GramAccumulator acc;
  acc.Add(1, "alpha beta gamma");
  size_t calls = 0;
  Status st = acc.Drain([&](uint32_t, std::string_view) {
    return ++calls == 3 ? Status::IOError("disk full") : Status::Ok();
  });
  EXPECT_EQ(st.code(), Status::Code::kIOError);
  EXPECT_EQ(calls, 3u);
  EXPECT_TRUE(acc.empty());
  acc.Add(7, "delta");
  auto rows = acc.Take();
  EXPECT_EQ(rows.size(), 3u);  // del, elt, lta
  EXPECT_EQ(acc.first(), 0);
}

// Position masks: bit p % 8 for each folded position p where the trigram starts.
TEST(Grams, PositionMasks) {
  std::vector<GramMask> v;
  TextGramMasks("abcXabc", &v);  // "abc" at 0 and 4, "bcx" at 1, "cxa" at 2, "xab" at 3
  std::map<uint32_t, int> m;
  for (const auto& g : v) m[g.key] = g.mask;
  EXPECT_EQ(m.size(), 4u);
  EXPECT_EQ(m[Key("abc")], 0x11);
  EXPECT_EQ(m[Key("bcx")], 0x02);
  EXPECT_EQ(m[Key("xab")], 0x08);
  // Position 8 wraps to bit 0; a KELVIN SIGN counts as one character.
  v.clear();
  TextGramMasks("12345678abc", &v);
  for (const auto& g : v) {
    if (g.key == Key("abc")) {
      EXPECT_EQ(g.mask, 0x01);
    }
  }
  v.clear();
  TextGramMasks("\xE2\x84\xAA" "eyz", &v);
  for (const auto& g : v) {
    if (g.key == Key("eyz")) {
      EXPECT_EQ(g.mask, 0x02);
    }
  }
}

TEST(Grams, LiteralRunsSplitAtNonAscii) {
  EXPECT_TRUE(LiteralRuns("ab").empty());
  EXPECT_TRUE(LiteralRuns("ab\xC3\xA9" "cd").empty());
  auto runs = LiteralRuns("abcd\xC3\xA9xyz");
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0], (GramRun{Key("abc"), Key("bcd")}));
  EXPECT_EQ(runs[1], (GramRun{Key("xyz")}));
  runs = LiteralRuns("aaaa");  // repeats kept: each offset is a constraint
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0], (GramRun{Key("aaa"), Key("aaa")}));
}

// The masks never hide a text that holds the literal (whatever its case), and they do reject a
// text that has every trigram, but not in a row.
TEST(Grams, RunFitsNeverMissesAndSometimesRejects) {
  auto candidate = [](std::string_view text, std::string_view literal) {
    std::vector<GramMask> v;
    TextGramMasks(text, &v);
    std::map<uint32_t, uint8_t> m;
    for (const auto& g : v) m[g.key] = g.mask;
    for (const GramRun& run : LiteralRuns(literal)) {
      std::vector<uint8_t> masks;
      for (uint32_t g : run) {
        if (!m.count(g)) return false;
        masks.push_back(m[g]);
      }
      if (!RunFits(masks.data(), masks.size())) return false;
    }
    return true;
  };
  EXPECT_FALSE(candidate("abcdxxbcde", "abcde"));  // abc@0 bcd@1,6 cde@7
  EXPECT_TRUE(candidate("xxabcdexx", "ABCDE"));
  std::mt19937 rng(11);
  int rejected = 0;
  for (int i = 0; i < 3000; i++) {
    std::string text;
    size_t n = 20 + rng() % 200;
    for (size_t k = 0; k < n; k++) text += "abcdeABCDE \xC3\xA9"[rng() % 13];
    size_t at = rng() % text.size(), len = 3 + rng() % 12;
    std::string literal = text.substr(at, len);
    ASSERT_TRUE(candidate(text, literal)) << text << " / " << literal;
    std::string other;
    for (size_t k = 0; k < len; k++) other += "abcde"[rng() % 5];
    std::string lower = text;
    for (char& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
    if (lower.find(other) != std::string::npos) ASSERT_TRUE(candidate(text, other)) << text << " / " << other;
    else if (!candidate(text, other)) rejected++;
  }
  EXPECT_GT(rejected, 100);
}

// Rows written before the masks (encodings 0 and 1) still decode, as "anywhere".
TEST(Grams, RowsWithoutMasksReadAsAnywhere) {
  std::vector<int64_t> ids;
  std::vector<uint8_t> masks;
  ASSERT_TRUE(DecodePostings(std::string("\x00\x02\x03", 3), 1, 10, &ids, &masks).ok());
  EXPECT_EQ(ids, (std::vector<int64_t>{2, 5}));
  EXPECT_EQ(masks, (std::vector<uint8_t>{0xFF, 0xFF}));
  ids.clear();
  masks.clear();
  ASSERT_TRUE(DecodePostings(std::string("\x02\x02\x05\x03\x80", 5), 1, 10, &ids, &masks).ok());
  EXPECT_EQ(ids, (std::vector<int64_t>{2, 5}));
  EXPECT_EQ(masks, (std::vector<uint8_t>{0x05, 0x80}));
  ids.clear();
  masks.clear();
  ASSERT_TRUE(DecodePostings(std::string("\x01\x05\x02", 3), 1, 10, &ids, &masks).ok());  // bitmap
  EXPECT_EQ(masks, (std::vector<uint8_t>{0xFF, 0xFF, 0xFF}));
  ids.clear();
  masks.clear();
  ASSERT_TRUE(DecodePostings(std::string("\x03\x05\x02\x01\x02\x04", 6), 1, 10, &ids, &masks).ok());
  EXPECT_EQ(ids, (std::vector<int64_t>{1, 3, 10}));
  EXPECT_EQ(masks, (std::vector<uint8_t>{0x01, 0x02, 0x04}));
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
  EXPECT_FALSE(DecodePostings(std::string("\x02\x01", 2), 1, 10, &ids).ok());       // mask missing
  EXPECT_FALSE(DecodePostings(std::string("\x02\x01\x00", 3), 1, 10, &ids).ok());   // empty mask
  EXPECT_FALSE(DecodePostings(std::string("\x03\x05\x02\x01\x02", 5), 1, 10, &ids).ok());  // a mask short
  EXPECT_FALSE(DecodePostings(std::string("\x03\x01\x00\x01\x01", 5), 1, 10, &ids).ok());  // one too many
  EXPECT_FALSE(DecodePostings(std::string("\x01\x01\x00\x01", 4), 1, 10, &ids).ok());      // bytes after a bitmap
  ids.clear();
  ASSERT_TRUE(DecodePostings(std::string("\x01\x05\x02", 3), 1, 10, &ids).ok());
  EXPECT_EQ(ids, (std::vector<int64_t>{1, 3, 10}));
}

// PostingMasksFor answers, for a few ids, what DecodePostings lists for them: each encoding,
// ids present and absent, at the ends of the segment.
TEST(Grams, PostingMasksForAgreesWithDecoding) {
  std::mt19937 rng(7);
  for (int round = 0; round < 200; round++) {
    int64_t first = 1 + int64_t(rng() % 50), last = first + int64_t(rng() % 300);
    std::vector<int64_t> ids;
    std::vector<uint8_t> masks;
    int density = 1 + int(rng() % 100);
    for (int64_t id = first; id <= last; id++)
      if (int(rng() % 100) < density) {
        ids.push_back(id);
        masks.push_back(uint8_t(1 + rng() % 255));
      }
    if (ids.empty()) continue;
    std::string row = EncodePostings(ids, masks, first, last);
    std::vector<std::string> rows = {row};
    // The encodings written before the masks: varints (0) and a bare bitmap (1).
    std::string legacy(1, '\0'), bitmap(1, '\1');
    bitmap.resize(1 + size_t(last - first + 8) / 8);
    int64_t prev = first - 1;
    for (int64_t id : ids) {
      for (uint64_t gap = uint64_t(id - prev); ; gap >>= 7) {
        legacy += char((gap & 0x7F) | (gap > 0x7F ? 0x80 : 0));
        if (gap <= 0x7F) break;
      }
      prev = id;
      bitmap[1 + size_t(id - first) / 8] |= char(1 << ((id - first) % 8));
    }
    rows.push_back(legacy);
    rows.push_back(bitmap);
    for (const std::string& r : rows) {
      std::vector<int64_t> all;
      std::vector<uint8_t> all_masks;
      ASSERT_TRUE(DecodePostings(r, first, last, &all, &all_masks).ok());
      std::vector<int64_t> probe;
      for (int64_t id = first; id <= last; id++)
        if (rng() % 4 == 0 || id == first || id == last) probe.push_back(id);
      std::vector<uint8_t> got;
      ASSERT_TRUE(PostingMasksFor(r, first, last, probe, &got).ok());
      ASSERT_EQ(got.size(), probe.size());
      for (size_t j = 0; j < probe.size(); j++) {
        auto at = std::lower_bound(all.begin(), all.end(), probe[j]);
        uint8_t want = at != all.end() && *at == probe[j] ? all_masks[size_t(at - all.begin())] : 0;
        ASSERT_EQ(got[j], want) << "encoding " << int(r[0]) << " id " << probe[j];
      }
    }
  }
}

TEST(Grams, PostingMasksForReportsDamage) {
  std::vector<uint8_t> got;
  EXPECT_FALSE(PostingMasksFor("", 1, 10, {2}, &got).ok());
  EXPECT_FALSE(PostingMasksFor(std::string("\x07\x01", 2), 1, 10, {2}, &got).ok());  // unknown type
  EXPECT_FALSE(PostingMasksFor(std::string("\x02\x01", 2), 1, 10, {1}, &got).ok());  // mask missing
  EXPECT_FALSE(PostingMasksFor(std::string("\x03\x05\x02\x01\x02", 5), 1, 10, {10}, &got).ok());  // a mask short
  EXPECT_FALSE(PostingMasksFor(std::string("\x01\xFF", 2), 1, 10, {2}, &got).ok());  // bitmap too short
  EXPECT_FALSE(PostingMasksFor(std::string("\x02\x0B\x01", 3), 1, 10, {10}, &got).ok());  // past the segment
}

}  // namespace
}  // namespace custodian::index
