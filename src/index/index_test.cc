#include "index/index.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>

#include "catalog/catalog.h"

namespace custodian::index {
namespace {

class IndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/custodian-index-XXXXXX";
    dir_ = mkdtemp(tmpl);
    auto c = catalog::Catalog::Open(dir_ + "/catalog.db", false, catalog::CatalogKey{4});
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    cat_ = std::move(*c);
    auto ix = Index::Open(cat_->db(), false);
    ASSERT_TRUE(ix.ok()) << ix.status().ToString();
    index_ = std::move(*ix);
    // The texts below claim block 1: it must exist, as a text block, for the index to be consistent.
    catalog::BlockRow b;
    b.block_id = 1;
    b.kind = catalog::BlockKind::kTexts;
    ASSERT_TRUE(cat_->AddBlock(b).ok());
  }
  void TearDown() override {
    index_.reset();
    cat_.reset();
    std::filesystem::remove_all(dir_);
  }
  // Adds a message whose searchable document is `d`; returns its row id.
  int64_t Add(const SearchDocument& d, std::optional<int64_t> date = std::nullopt) {
    std::string text = d.Text();
    Sha256 h = ComputeSha256(text);
    auto known = index_->FindText(h);
    EXPECT_TRUE(known.ok());
    int64_t tid = known->has_value() ? **known : *index_->AddText(d, text, h, 1, slot_++, text.size());
    catalog::MessageRow m;
    m.id = ComputeSha256(text + std::to_string(n_++));
    m.date = date;
    m.text_id = tid;
    return *cat_->AddMessage(m);
  }
  std::vector<int64_t> Find(const std::string& q) {
    auto root = query::Parse(q);
    EXPECT_TRUE(root.ok()) << q << ": " << root.status().ToString();
    uint64_t total = 0;
    auto r = index_->Search(**root, [](const query::Node&) { return Result<std::vector<int64_t>>(std::vector<int64_t>{}); },
                            SortOrder::kDateDescending, 0, 0, &total);
    EXPECT_TRUE(r.ok()) << q << ": " << r.status().ToString();
    EXPECT_EQ(total, r->size());
    std::vector<int64_t> v;
    for (const auto& m : *r) v.push_back(m.msg);
    std::sort(v.begin(), v.end());
    return v;
  }
  std::string dir_;
  std::unique_ptr<catalog::Catalog> cat_;
  std::unique_ptr<Index> index_;
  uint32_t slot_ = 0;
  int n_ = 0;
};

TEST_F(IndexTest, ProseIsStemmedAddressesAreNot) {
  ASSERT_TRUE(cat_->Begin().ok());
  SearchDocument a;
  a.from = "enron.announcements@enron.com";
  a.subject = "Negotiations";
  a.body = "We negotiated the contract.";
  SearchDocument b;
  b.from = "enron.announcement@enron.com";
  b.body = "Café owners, résumé attached.";
  int64_t ma = Add(a), mb = Add(b);
  ASSERT_TRUE(cat_->Commit().ok());
  EXPECT_EQ(Find("from:enron.announcements@enron.com"), std::vector<int64_t>{ma});
  EXPECT_EQ(Find("from:enron.announcement@enron.com"), std::vector<int64_t>{mb});
  EXPECT_EQ(Find("negotiation"), std::vector<int64_t>{ma});       // stemmed: negotiated
  EXPECT_EQ(Find("subject:negotiate"), std::vector<int64_t>{ma});
  EXPECT_EQ(Find("body:negotiations"), std::vector<int64_t>{ma});
  EXPECT_TRUE(Find("from:negotiated").empty());                   // fields stay apart
  EXPECT_EQ(Find("cafe resume"), std::vector<int64_t>{mb});       // accents folded
  EXPECT_EQ(Find("announcement*"), (std::vector<int64_t>{ma, mb}));
  EXPECT_EQ(Find("*"), (std::vector<int64_t>{ma, mb}));
  EXPECT_EQ(Find("contract OR cafe"), (std::vector<int64_t>{ma, mb}));
  EXPECT_EQ(Find("* -contract"), std::vector<int64_t>{mb});
  EXPECT_EQ(Find("\"the contract\""), std::vector<int64_t>{ma});
  EXPECT_TRUE(Find("\"contract the\"").empty());
}

// Porter2 (Snowball English), not FTS5's porter: a final "s" stays on short words, so "news" is
// not "new" and "gas" is not "GA" (at Enron x1, porter made `news` find 6,538 messages where
// 1,119 contain the word).
TEST_F(IndexTest, StemmingKeepsShortWordsApart) {
  ASSERT_TRUE(cat_->Begin().ok());
  SearchDocument news, fresh, gas, georgia, meetings;
  news.body = "The news from Houston.";
  fresh.body = "A new contract.";
  gas.body = "Natural gas prices.";
  georgia.body = "Atlanta, GA 30303";
  meetings.subject = "Weekly meetings";
  meetings.body = "We are trading; they traded; trades settle.";
  int64_t m_news = Add(news), m_new = Add(fresh), m_gas = Add(gas), m_ga = Add(georgia), m_meet = Add(meetings);
  ASSERT_TRUE(cat_->Commit().ok());
  EXPECT_EQ(Find("news"), std::vector<int64_t>{m_news});
  EXPECT_EQ(Find("new"), std::vector<int64_t>{m_new});
  EXPECT_EQ(Find("gas"), std::vector<int64_t>{m_gas});
  EXPECT_EQ(Find("ga"), std::vector<int64_t>{m_ga});
  EXPECT_EQ(Find("subject:meeting"), std::vector<int64_t>{m_meet});  // still stemmed
  EXPECT_EQ(Find("trade"), std::vector<int64_t>{m_meet});
  EXPECT_EQ(Find("\"they trade\""), std::vector<int64_t>{m_meet});
  // A token longer than the stemmer's 64-byte limit is indexed as it is.
  ASSERT_TRUE(cat_->Begin().ok());
  SearchDocument longword;
  longword.body = std::string(70, 'x') + "ings";
  int64_t m_long = Add(longword);
  ASSERT_TRUE(cat_->Commit().ok());
  EXPECT_EQ(Find(std::string(70, 'x') + "ings"), std::vector<int64_t>{m_long});
}

// An archive indexed before the change keeps FTS5's porter (the table names its tokenizer) and
// goes on answering; Clear, which `custodian reindex --all` starts with, recreates the table
// with the current tokenizer.
TEST_F(IndexTest, APorterIndexedArchiveKeepsWorkingUntilReindexed) {
  auto tokenizer = [&] {
    auto s = cat_->db()->Prepare("SELECT sql FROM sqlite_master WHERE name = 'words'");
    EXPECT_TRUE(s.ok());
    auto row = s->Step();
    EXPECT_TRUE(row.ok() && *row);
    return std::string(s->Text(0));
  };
  EXPECT_NE(tokenizer().find("tokenize='snowball unicode61"), std::string::npos) << tokenizer();
  index_.reset();
  ASSERT_TRUE(cat_->db()->Exec("DROP TABLE words; CREATE VIRTUAL TABLE words USING fts5(subject, body, attachment,"
                               " content='', tokenize='porter unicode61 remove_diacritics 2')").ok());
  auto ix = Index::Open(cat_->db(), false);
  ASSERT_TRUE(ix.ok()) << ix.status().ToString();
  index_ = std::move(*ix);
  EXPECT_NE(tokenizer().find("tokenize='porter unicode61"), std::string::npos) << tokenizer();
  ASSERT_TRUE(index_->WordStemmer().ok());
  EXPECT_EQ(*index_->WordStemmer(), "porter");
  ASSERT_TRUE(cat_->Begin().ok());
  SearchDocument news;
  news.body = "The news from Houston.";
  int64_t m_news = Add(news);
  ASSERT_TRUE(cat_->Commit().ok());
  EXPECT_EQ(Find("new"), std::vector<int64_t>{m_news});  // porter's "new"
  ASSERT_TRUE(cat_->Begin().ok());
  ASSERT_TRUE(index_->Clear().ok());
  ASSERT_TRUE(cat_->Commit().ok());
  EXPECT_NE(tokenizer().find("tokenize='snowball unicode61"), std::string::npos) << tokenizer();
  ASSERT_TRUE(index_->WordStemmer().ok());
  EXPECT_EQ(*index_->WordStemmer(), "snowball");
  EXPECT_TRUE(Find("news").empty());  // emptied
}

TEST_F(IndexTest, IdenticalTextsAreStoredOnceAndCoverageIsCounted) {
  ASSERT_TRUE(cat_->Begin().ok());
  SearchDocument d;
  d.subject = "same";
  d.body = "identical text kept in two folders";
  int64_t m1 = Add(d, 100), m2 = Add(d, 200);
  catalog::MessageRow unindexed;
  unindexed.id = ComputeSha256("never indexed");
  ASSERT_TRUE(cat_->AddMessage(unindexed).ok());
  ASSERT_TRUE(cat_->Commit().ok());
  size_t texts = 0;
  ASSERT_TRUE(index_->ForEachText([&](const TextRow&) {
    texts++;
    return Status::Ok();
  }).ok());
  EXPECT_EQ(texts, 1u);
  EXPECT_EQ(Find("folders"), (std::vector<int64_t>{m1, m2}));
  EXPECT_EQ(*index_->UnindexedMessages(), 1u);
  EXPECT_EQ(Find("date:1970-01-01"), (std::vector<int64_t>{m1, m2}));
  EXPECT_TRUE(index_->CheckConsistency()->empty());
  // A message pointing at a text the index does not have is reported.
  ASSERT_TRUE(cat_->SetTextId(m2, 999).ok());
  ASSERT_EQ(index_->CheckConsistency()->size(), 1u);
}

TEST(MatchExpressionTest, QuotesAndColumns) {
  query::Node n;
  n.kind = query::Node::Kind::kWord;
  n.field = query::Field::kFrom;
  n.text = "say \"hi\"";
  EXPECT_EQ(MatchExpression(n), "hfrom : \"say \"\"hi\"\"\"");
  n.kind = query::Node::Kind::kPrefix;
  n.field = query::Field::kAny;
  n.text = "neg";
  EXPECT_EQ(MatchExpression(n), "\"neg\" *");
}

}  // namespace
}  // namespace custodian::index

namespace custodian::index {
namespace {

class ThreadTest : public IndexTest {
 protected:
  int64_t Msg(const std::string& mid, std::vector<std::string> refs, const std::string& irt, const std::string& subject) {
    catalog::MessageRow m;
    m.id = ComputeSha256(mid + subject + std::to_string(n_++));
    m.message_id = mid;
    int64_t msg = *cat_->AddMessage(m);
    auto t = index_->AssignThread(msg, mid, refs, irt, subject);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return msg;
  }
  int64_t ThreadOf(int64_t msg) { return cat_->ThreadOf(msg)->front().msg; }
  size_t SizeOf(int64_t msg) { return cat_->ThreadOf(msg)->size(); }
};

TEST_F(ThreadTest, ReferencesLinkInAnyOrderAndMergeThroughMissingMessages) {
  ASSERT_TRUE(cat_->Begin().ok());
  int64_t reply = Msg("b@x", {"a@x"}, "a@x", "Re: plan");    // the reply arrives first
  int64_t other = Msg("c@x", {"missing@x"}, "", "unrelated");  // refers to a mail we never get
  int64_t root = Msg("a@x", {}, "", "plan");
  EXPECT_EQ(SizeOf(root), 2u);
  EXPECT_EQ(SizeOf(other), 1u);
  // A message referring to both threads joins them into one.
  int64_t bridge = Msg("d@x", {"missing@x", "b@x"}, "b@x", "Re: plan");
  EXPECT_EQ(SizeOf(root), 4u);
  EXPECT_EQ(ThreadOf(other), ThreadOf(reply));
  EXPECT_EQ(ThreadOf(bridge), ThreadOf(root));
  ASSERT_TRUE(cat_->Commit().ok());
}

TEST_F(ThreadTest, SubjectJoinsOnlyReplies) {
  ASSERT_TRUE(cat_->Begin().ok());
  int64_t a = Msg("1@x", {}, "", "Budget");
  int64_t b = Msg("2@x", {}, "", "Budget");                // same subject, neither a reply: apart
  int64_t c = Msg("3@x", {}, "", "RE: [list] Fwd: budget");  // a reply: joins
  int64_t d = Msg("4@x", {}, "", "");                      // no subject: never joined by subject
  int64_t e = Msg("5@x", {}, "", "");
  EXPECT_EQ(SizeOf(a), 2u);
  EXPECT_EQ(ThreadOf(c), ThreadOf(a));
  EXPECT_EQ(SizeOf(b), 1u);
  EXPECT_EQ(SizeOf(d), 1u);
  EXPECT_EQ(SizeOf(e), 1u);
  // A reply first, then the original: they still meet.
  int64_t r = Msg("6@x", {}, "", "Re: Quarterly numbers");
  int64_t o = Msg("7@x", {}, "", "Quarterly numbers");
  EXPECT_EQ(ThreadOf(o), ThreadOf(r));
  ASSERT_TRUE(cat_->Commit().ok());
}

}  // namespace
}  // namespace custodian::index

namespace custodian::index {
namespace {

TEST_F(IndexTest, TrigramSegmentsAndUncoveredTexts) {
  ASSERT_TRUE(cat_->Begin().ok());
  SearchDocument a, b, c;
  a.body = "call Kenneth Lay today";
  b.body = "kenneth wrote this";
  c.body = "nothing to see";
  int64_t ta = *cat_->GetMessage(Add(a))->text_id;
  int64_t tb = *cat_->GetMessage(Add(b))->text_id;
  // Not yet written as a segment: no covered text, all three uncovered.
  EXPECT_TRUE(index_->TextsWithLiteral(LiteralRuns("kenneth"))->empty());
  ASSERT_TRUE(index_->FlushGrams(false).ok());  // under the size threshold: still pending
  EXPECT_EQ(index_->UncoveredTexts()->size(), 2u);
  ASSERT_TRUE(index_->FlushGrams(true).ok());
  EXPECT_EQ(*index_->TextsWithLiteral(LiteralRuns("kenneth")), (std::vector<int64_t>{ta, tb}));
  EXPECT_EQ(*index_->TextsWithLiteral(LiteralRuns("KENNETH LAY")), std::vector<int64_t>{ta});
  EXPECT_TRUE(index_->TextsWithLiteral(LiteralRuns("zebra"))->empty());
  EXPECT_TRUE(index_->UncoveredTexts()->empty());
  // A text added later and never flushed (an import killed before its end) stays a candidate.
  int64_t tc = *cat_->GetMessage(Add(c))->text_id;
  index_->DropPendingGrams();
  EXPECT_EQ(*index_->UncoveredTexts(), std::vector<int64_t>{tc});
  // The next segment starts after the gap; the gap stays uncovered.
  SearchDocument d;
  d.body = "kenneth again";
  int64_t td = *cat_->GetMessage(Add(d))->text_id;
  ASSERT_TRUE(index_->FlushGrams(true).ok());
  EXPECT_EQ(*index_->TextsWithLiteral(LiteralRuns("kenneth")), (std::vector<int64_t>{ta, tb, td}));
  EXPECT_EQ(*index_->UncoveredTexts(), std::vector<int64_t>{tc});
  // Clear forgets segments too.
  ASSERT_TRUE(index_->Clear().ok());
  EXPECT_TRUE(index_->UncoveredTexts()->empty());
  ASSERT_TRUE(cat_->Commit().ok());
}

TEST_F(IndexTest, DisposedTextLeavesWordsAndTrigrams) {
  ASSERT_TRUE(cat_->Begin().ok());
  // Enough texts with "kenneth" for a bitmap row, and one that is disposed of.
  std::vector<int64_t> keep;
  for (int i = 0; i < 40; i++) {
    SearchDocument d;
    d.body = "kenneth memo " + std::to_string(i);
    keep.push_back(*cat_->GetMessage(Add(d))->text_id);
  }
  SearchDocument gone;
  gone.subject = "quokka";
  gone.body = "kenneth payroll zyzzyva";
  gone.from = "dave@example.com";
  int64_t msg = Add(gone);
  int64_t tg = *cat_->GetMessage(msg)->text_id;
  ASSERT_TRUE(index_->FlushGrams(true).ok());
  EXPECT_EQ(Find("zyzzyva"), std::vector<int64_t>{msg});
  EXPECT_EQ(index_->TextsWithLiteral(LiteralRuns("kenneth"))->size(), 41u);
  EXPECT_EQ(*index_->TextCount(), 41u);
  EXPECT_EQ(*index_->MaxTextId(), tg);
  ASSERT_TRUE(cat_->RemoveMessage(msg).ok());
  EXPECT_EQ(*index_->TextUsers(tg), 0u);
  ASSERT_TRUE(index_->RemoveText(tg, &gone).ok());
  EXPECT_EQ(*index_->TextCount(), 40u);
  EXPECT_EQ(*index_->MaxTextId(), keep.back());  // the bound follows the highest text left
  ASSERT_TRUE(index_->RemoveFromGrams({tg}).ok());
  ASSERT_TRUE(index_->OptimizeWords().ok());
  EXPECT_EQ(*index_->TextsWithLiteral(LiteralRuns("kenneth")), keep);
  EXPECT_TRUE(index_->TextsWithLiteral(LiteralRuns("zyzzyva"))->empty());
  EXPECT_TRUE(index_->TextsWithLiteral(LiteralRuns("payroll"))->empty());
  // The word index forgot the text: no rowid answers for its words.
  auto w = cat_->db()->Prepare("SELECT count(*) FROM words WHERE words MATCH 'zyzzyva OR quokka'");
  ASSERT_TRUE(*w->Step());
  EXPECT_EQ(w->Int(0), 0);
  auto n = cat_->db()->Prepare("SELECT count(*) FROM names WHERE names MATCH 'dave'");
  ASSERT_TRUE(*n->Step());
  EXPECT_EQ(n->Int(0), 0);
  auto k = cat_->db()->Prepare("SELECT count(*) FROM words WHERE words MATCH 'kenneth'");
  ASSERT_TRUE(*k->Step());
  EXPECT_EQ(k->Int(0), 40);
  ASSERT_TRUE(cat_->Commit().ok());
}

}  // namespace
}  // namespace custodian::index

namespace custodian::index {
namespace {

// Text-level set algebra (AND/OR/NOT over words evaluated on texts) agrees with the message
// level: messages sharing a text, a message without text, and mixed nodes.
TEST_F(IndexTest, BooleanAlgebraOverTextsAndMessages) {
  ASSERT_TRUE(cat_->Begin().ok());
  SearchDocument a, b, c;
  a.from = "ann@example.com";
  a.body = "alpha beta";
  b.from = "bob@example.com";
  b.body = "alpha gamma";
  c.body = "gamma delta";
  int64_t ma = Add(a), ma2 = Add(a), mb = Add(b, 100), mc = Add(c);
  catalog::MessageRow bare;  // a message with no searchable text
  bare.id = ComputeSha256("bare");
  int64_t mbare = *cat_->AddMessage(bare);
  EXPECT_EQ(Find("alpha beta"), (std::vector<int64_t>{ma, ma2}));
  EXPECT_EQ(Find("alpha -beta"), std::vector<int64_t>{mb});
  EXPECT_EQ(Find("(beta OR delta) -from:ann@example.com"), std::vector<int64_t>{mc});
  EXPECT_EQ(Find("gamma (alpha OR delta) -alpha"), std::vector<int64_t>{mc});
  EXPECT_EQ(Find("alpha from:bob@example.com"), std::vector<int64_t>{mb});
  EXPECT_EQ(Find("-alpha"), (std::vector<int64_t>{mc, mbare}));     // NOT alone: every other message
  EXPECT_EQ(Find("gamma date:..1970-01-01"), std::vector<int64_t>{mb});  // mixed with a message field
  EXPECT_EQ(Find("gamma OR date:..1970-01-01"), (std::vector<int64_t>{mb, mc}));
  ASSERT_TRUE(cat_->Commit().ok());
}

}  // namespace
}  // namespace custodian::index
