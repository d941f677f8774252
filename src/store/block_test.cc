#include "store/block.h"

#include <gtest/gtest.h>

namespace custodian::store {
namespace {

std::vector<BlockEntry> Entries(const std::vector<std::string>& msgs) {
  std::vector<BlockEntry> e;
  for (const auto& m : msgs) e.push_back({ComputeSha256(m), m});
  return e;
}

TEST(Block, RoundTrip) {
  Keys keys = Keys::FromMaster(Key{1, 2, 3});
  KeySeed seed = Keys::NewSeed();
  std::vector<std::string> msgs = {"Subject: a\n\nhello\n", "", std::string(100000, 'x'), "last"};
  std::string rec = EncodeBlock(7, Entries(msgs), keys.BlockKey(seed));
  auto b = DecodeBlock(rec, keys.BlockKey(seed));
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->block_id, 7u);
  ASSERT_EQ(b->ids.size(), msgs.size());
  for (size_t i = 0; i < msgs.size(); i++) {
    EXPECT_EQ(b->message(i), msgs[i]);
    EXPECT_EQ(b->ids[i], ComputeSha256(msgs[i]));
  }
  // Compression works on repetitive mail: 100 KB of 'x' shrinks to almost nothing.
  EXPECT_LT(rec.size(), 2000u);
  // Plaintext does not appear in the record.
  EXPECT_EQ(rec.find("hello"), std::string::npos);
}

TEST(Block, FlippedByteIsDetectedWithoutKey) {
  Keys keys = Keys::FromMaster(Key{9});
  KeySeed seed = Keys::NewSeed();
  std::string rec = EncodeBlock(1, Entries({"message one", "message two"}), keys.BlockKey(seed));
  ASSERT_TRUE(BlockCrcMatches(rec));
  for (size_t pos : {size_t(0), size_t(10), size_t(30), rec.size() - 1}) {
    std::string bad = rec;
    bad[pos] ^= 0x40;
    EXPECT_FALSE(BlockCrcMatches(bad)) << pos;
    EXPECT_FALSE(DecodeBlock(bad, keys.BlockKey(seed)).ok()) << pos;
  }
}

TEST(Block, WrongKeyOrSeedFailsAuthentication) {
  Keys keys = Keys::FromMaster(Key{9});
  KeySeed seed = Keys::NewSeed();
  std::string rec = EncodeBlock(1, Entries({"secret"}), keys.BlockKey(seed));
  auto other_seed = DecodeBlock(rec, keys.BlockKey(Keys::NewSeed()));
  ASSERT_FALSE(other_seed.ok());
  EXPECT_NE(other_seed.status().message().find("authentication"), std::string::npos);
  EXPECT_FALSE(DecodeBlock(rec, Keys::FromMaster(Key{8}).BlockKey(seed)).ok());
}

TEST(Block, TruncatedRecordIsCorruption) {
  Keys keys = Keys::FromMaster(Key{});
  KeySeed seed = Keys::NewSeed();
  std::string rec = EncodeBlock(1, Entries({"abc"}), keys.BlockKey(seed));
  EXPECT_EQ(DecodeBlock(rec.substr(0, rec.size() - 1), keys.BlockKey(seed)).status().code(),
            Status::Code::kCorruption);
  EXPECT_FALSE(DecodeBlockHeader(rec.substr(0, 10)).ok());
}

TEST(Block, SegmentHeader) {
  std::string h = EncodeSegmentHeader(42);
  EXPECT_EQ(h.size(), kSegmentHeaderSize);
  EXPECT_TRUE(CheckSegmentHeader(h, 42).ok());
  EXPECT_FALSE(CheckSegmentHeader(h, 41).ok());
  h[3] ^= 1;
  EXPECT_FALSE(CheckSegmentHeader(h, 42).ok());
}

}  // namespace
}  // namespace custodian::store

namespace custodian::store {
namespace {

TEST(Block, PerEntryBlocksWithAndWithoutADictionary) {
  Key key = Keys::FromMaster(Key{7}).BlockKey(Keys::NewSeed());
  std::vector<std::string> texts;
  for (int i = 0; i < 200; i++)
    texts.push_back("From: someone" + std::to_string(i % 7) + "@example.com\nSubject: quarterly report " +
                    std::to_string(i) + "\n\nPlease find the numbers for region " + std::to_string(i * 31 % 97) +
                    " attached; call me at extension " + std::to_string(1000 + i) + ".\n");
  std::vector<std::string_view> samples(texts.begin(), texts.end());
  std::string trained = TrainDictionary(samples, 1024);
  ASSERT_FALSE(trained.empty());
  EXPECT_TRUE(TrainDictionary({samples.begin(), samples.begin() + 3}, 1024).empty());  // too little
  auto dict = Dictionary::Create(5, trained);
  ASSERT_TRUE(dict);
  DictionaryLookup dicts = [&](uint32_t id) { return id == 5 ? dict.get() : nullptr; };
  std::vector<BlockEntry> entries;
  for (const auto& t : texts) entries.push_back({ComputeSha256(t), t});
  std::string plain_rec = EncodePerEntryBlock(1, entries, key, nullptr);
  std::string dict_rec = EncodePerEntryBlock(2, entries, key, dict.get());
  EXPECT_LT(dict_rec.size(), plain_rec.size());  // the dictionary pays for itself
  for (const std::string* rec : {&plain_rec, &dict_rec}) {
    auto whole = DecodeBlock(*rec, key, dicts);
    ASSERT_TRUE(whole.ok()) << whole.status().ToString();
    auto lazy = DecodeBlock(*rec, key, dicts, /*expand=*/false);
    ASSERT_TRUE(lazy.ok());
    EXPECT_FALSE(lazy->expanded);
    for (size_t i = 0; i < texts.size(); i++) {
      EXPECT_EQ(whole->message(i), texts[i]);
      EXPECT_EQ(*DecodeEntry(*lazy, i, dicts), texts[i]);
      EXPECT_EQ(lazy->ids[i], ComputeSha256(texts[i]));
    }
    EXPECT_FALSE(DecodeEntry(*lazy, texts.size(), dicts).ok());
  }
  // Without its dictionary a block says which one it needs.
  auto missing = DecodeBlock(dict_rec, key, nullptr);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("needs dictionary 5"), std::string::npos) << missing.status().ToString();
}

// An entry is decompressed a zstd block at a time: each prefix handed out is the entry's own,
// a search can stop at the first, and one that never stops sees the whole entry last.
TEST(Block, EntriesDecompressAPrefixAtATime) {
  Key key = Keys::FromMaster(Key{7}).BlockKey(Keys::NewSeed());
  std::vector<std::string> texts;
  for (int i = 0; i < 40; i++) {
    std::string t = "Subject: report " + std::to_string(i) + "\n\n";
    for (int line = 0; t.size() < 1000 + size_t(i) * 700; line++)
      t += "line " + std::to_string(line * 7919 % 10007) + " of the numbers for region " + std::to_string(i) + "\n";
    texts.push_back(t);
  }
  std::vector<std::string_view> samples(texts.begin(), texts.end());
  auto dict = Dictionary::Create(3, TrainDictionary(samples, 2048));
  DictionaryLookup dicts = [&](uint32_t id) { return id == 3 ? dict.get() : nullptr; };
  std::vector<BlockEntry> entries;
  for (const auto& t : texts) entries.push_back({ComputeSha256(t), t});
  for (const Dictionary* d : {static_cast<const Dictionary*>(nullptr), static_cast<const Dictionary*>(dict.get())}) {
    std::string rec = EncodePerEntryBlock(9, entries, key, d);
    auto lazy = DecodeBlock(rec, key, dicts, /*expand=*/false);
    ASSERT_TRUE(lazy.ok()) << lazy.status().ToString();
    auto whole = DecodeBlock(rec, key, dicts);
    ASSERT_TRUE(whole.ok());
    std::string buf;
    for (size_t i = 0; i < texts.size(); i++) {
      std::vector<size_t> seen;
      bool completed = false;
      ASSERT_TRUE(DecodeEntryPrefix(*lazy, i, dicts, &buf, [&](std::string_view t, bool complete) {
                    EXPECT_EQ(t, std::string_view(texts[i]).substr(0, t.size()));
                    EXPECT_TRUE(seen.empty() || t.size() > seen.back());
                    seen.push_back(t.size());
                    completed = complete;
                    return false;
                  }).ok());
      EXPECT_TRUE(completed);
      EXPECT_EQ(seen.back(), texts[i].size());
      // At most kEntryZstdBlockBytes at a time: a long entry comes in several prefixes.
      EXPECT_GE(seen.size(), (texts[i].size() + kEntryZstdBlockBytes - 1) / kEntryZstdBlockBytes);
      int calls = 0;
      ASSERT_TRUE(DecodeEntryPrefix(*lazy, i, dicts, &buf, [&](std::string_view, bool) { return ++calls > 0; }).ok());
      EXPECT_EQ(calls, 1);  // stopped at the first
      // An expanded block hands out the whole entry at once.
      calls = 0;
      ASSERT_TRUE(DecodeEntryPrefix(*whole, i, dicts, &buf, [&](std::string_view t, bool complete) {
                    EXPECT_TRUE(complete);
                    EXPECT_EQ(t, texts[i]);
                    return ++calls > 0;
                  }).ok());
      EXPECT_EQ(calls, 1);
    }
    // A truncated frame is an error, not a crash or a wrong prefix. (Altered bytes cannot reach
    // here: the block's authentication tag has been checked.)
    DecodedBlock broken = *lazy;
    broken.spans[38].second /= 2;
    broken.spans[39].second -= 1;
    for (size_t slot : {size_t(38), size_t(39)}) {
      Status st = DecodeEntryPrefix(broken, slot, dicts, &buf, [&](std::string_view t, bool) {
        EXPECT_EQ(t, std::string_view(texts[slot]).substr(0, t.size()));
        return false;
      });
      EXPECT_FALSE(st.ok()) << slot;
    }
    EXPECT_FALSE(DecodeEntryPrefix(*lazy, texts.size(), dicts, &buf, [](std::string_view, bool) { return true; }).ok());
  }
}

}  // namespace
}  // namespace custodian::store
