// The search index: what a message contributes to search, and evaluation of query trees.
//
// Its tables live in the catalog database and are written in the same transactions as the
// catalog rows, so the index always covers exactly the messages whose `text_id` is set:
//   texts(text_id, hash, block_id, slot, size)  one row per distinct searchable text; the text
//                                               itself is in an encrypted block of kind kTexts
//   words                                       FTS5 over subject, body and attachment text,
//                                               stemmed (Snowball English; FTS5's porter in
//                                               archives not reindexed since 2026-11-27);
//                                               contentless, rowid = text_id
//   names                                       FTS5 over from/to/cc/bcc and file names, not
//                                               stemmed; contentless, rowid = text_id
//   gram_segments, grams                        the trigram index over the texts (grams.h)
// Messages whose searchable text is identical (Enron keeps one mail in several folders, with
// only X-Folder and Message-ID differing) share one text and one entry in the word index.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>
#include <string>
#include <vector>

#include "catalog/sqlite.h"
#include "index/grams.h"
#include "custodian/status.h"
#include "mime/message.h"
#include "query/query.h"
#include "util/digest.h"

namespace custodian::index {

// The searchable form of one message.
struct SearchDocument {
  std::string from, to, cc, bcc, subject, body, attachment, filename;

  // The decoded text that substring and regular-expression search run over: "From: ...",
  // "To: ...", "Cc: ...", "Bcc: ...", "Subject: ..." lines, a blank line, the body, then the
  // attachments' text. Its SHA-256 identifies the text for deduplication.
  std::string Text() const;
};

// What message `raw` (already parsed as `p`) contributes to search, including the text of its
// attachments (src/extract). Extraction trouble is appended to *problems, one line each.
SearchDocument MakeDocument(std::string_view raw, const mime::ParsedMessage& p, std::string* problems);

struct TextRow {
  int64_t text_id = 0;
  Sha256 hash{};
  int64_t block_id = 0;
  uint32_t slot = 0;
  uint64_t size = 0;
};

// Returns the ids of texts matching one kSubstring or kRegex node.
using TextMatcher = std::function<Result<std::vector<int64_t>>(const query::Node& node)>;

enum class SortOrder { kDateDescending, kRelevance };

class Index {
 public:
  // Creates the index tables if missing (unless read_only). `db` must outlive the Index.
  static Result<std::unique_ptr<Index>> Open(catalog::Database* db, bool read_only);

  // Writing; in the caller's transaction.
  Result<std::optional<int64_t>> FindText(const Sha256& hash);
  // `text` is doc.Text(), for the trigram index; texts are added in increasing id order.
  Result<int64_t> AddText(const SearchDocument& doc, std::string_view text, const Sha256& hash, int64_t block_id,
                          uint32_t slot, uint64_t size);
  // Writes the trigram postings of the texts added so far as one segment, if they are more than
  // kGramFlushBytes or `force`; in the caller's transaction. Texts not yet written are found by
  // scanning, so an import need only force this at its end.
  Status FlushGrams(bool force);
  static constexpr size_t kGramFlushBytes = 32 << 20;
  // Forgets the pending postings (after a rollback: their texts may not exist).
  void DropPendingGrams() { grams_.Clear(); }

  // Reading the trigram index. TextsWithLiteral: the covered texts that can contain a literal
  // whose trigram runs (LiteralRuns, non-empty) are `runs`: every trigram present, and each run's
  // at consecutive positions as far as the position masks tell; ascending. UncoveredTexts:
  // texts in no segment, ascending.
  Result<std::vector<int64_t>> TextsWithLiteral(const std::vector<GramRun>& runs);
  // Forgets what was read from earlier transactions (the list of trigram segments); call at the
  // start of each read transaction, since another process may have rebuilt the index.
  void NewSnapshot() { ForgetGrams(); }
  Result<std::vector<int64_t>> UncoveredTexts();

  // Threads (JWZ-style, decided as messages arrive, independent of their order): messages are
  // in one thread when Message-ID / In-Reply-To / References link them, directly or through
  // messages the archive does not hold; messages with no such headers join a thread with the
  // same subject (Re:/Fwd: and [list] tags aside) when either side is a reply or forward.
  // Returns the thread of message `msg`; in the caller's transaction.
  Result<int64_t> AssignThread(int64_t msg, const std::string& message_id, const std::vector<std::string>& references,
                               const std::string& in_reply_to, const std::string& subject);

  // Forgets every text and empties the word index (for a rebuild); in the caller's transaction.
  Status Clear();

  // Disposal (in the caller's transaction). Messages still using a text.
  Result<uint64_t> TextUsers(int64_t text_id);
  // Removes a text. With `doc` (the document it was indexed from, checked against the text's
  // hash by the caller) its word-index entries go too; without, they stay but can never be a
  // hit again (no message refers to the text), until `reindex --all`.
  Status RemoveText(int64_t text_id, const SearchDocument* doc);
  // Merges the word index's segments so that removed entries are gone from the file too.
  Status OptimizeWords();
  // Takes the texts (sorted) out of every trigram postings row that lists them.
  Status RemoveFromGrams(const std::vector<int64_t>& text_ids);
  Status MoveText(int64_t text_id, int64_t block_id, uint32_t slot);
  Result<std::optional<int64_t>> ThreadIdOf(int64_t msg);
  // After a message of `thread` was removed: its Message-ID key goes, and the thread's keys all
  // go when no message is left in it.
  Status ForgetThreadMessage(int64_t thread, const std::string& message_id);

  Result<TextRow> GetText(int64_t text_id);
  Status ForEachTextInBlock(int64_t block_id, const std::function<Status(const TextRow&)>& fn);
  Status ForEachText(const std::function<Status(const TextRow&)>& fn);  // in storage order
  Result<uint64_t> UnindexedMessages();
  Result<uint64_t> TextCount();  // reads every row: for statistics, not for a search
  // The word index's stemmer as its table names it: "snowball", or "porter" in an archive not
  // reindexed (`reindex --all`) since 2026-11-27.
  Result<std::string> WordStemmer();
  // The highest text id, which bounds the number of texts (holes are disposed texts); a B-tree
  // lookup, where COUNT(*) reads the whole table (0.25 ms at 25k texts, ~3 ms at 320k).
  Result<int64_t> MaxTextId();
  // Cross-table invariants of the index; one line per problem found.
  Result<std::vector<std::string>> CheckConsistency();

  struct Match {
    int64_t msg;  // catalog row id
    Sha256 id;    // the message's SHA-256
  };
  // Messages matching the tree, sorted, then the window [offset, offset+limit) (limit 0 = all).
  // `total` receives the number of matches before the window.
  Result<std::vector<Match>> Search(const query::Node& root, const TextMatcher& matcher, SortOrder order,
                                    size_t offset, size_t limit, uint64_t* total);

 private:
  explicit Index(catalog::Database* db) : db_(db) {}
  Status Prepare();
  Status UpgradeThreadTables();
  struct Compiled {
    std::string sql;  // a SELECT of message row ids ("msg")
    std::vector<std::string> params;
  };
  Status Compile(const query::Node& n, const TextMatcher& matcher, Compiled* out);
  // The same for a node decided by texts alone: a SELECT of text ids ("tid").
  Status CompileText(const query::Node& n, const TextMatcher& matcher, Compiled* out);
  struct GramSegment {
    int64_t segment, first_text, last_text;
  };
  Result<const std::vector<GramSegment>*> GramSegments();
  // A trigram's postings row in a segment (nullptr: none), read once per snapshot: the atoms of
  // one regex often share trigrams.
  Result<const std::string*> GramRow(int64_t key);
  void ForgetGrams() {
    gram_segments_.reset();
    gram_rows_.clear();
  }
  catalog::Database* db_;
  GramAccumulator grams_;
  std::optional<std::vector<GramSegment>> gram_segments_;
  std::unordered_map<int64_t, std::optional<std::string>> gram_rows_;
  catalog::Statement get_gram_;
  catalog::Statement find_text_, add_text_, add_words_, add_names_, get_text_;
  catalog::Statement thread_of_id_, add_thread_id_, thread_of_subject_, add_thread_subject_, set_thread_;
};

// The key under which threading keeps a Message-ID or a normalized subject (docs/storage-format.md).
int64_t ThreadKey(std::string_view s);

// The FTS5 MATCH expression for one word/phrase/prefix node.
std::string MatchExpression(const query::Node& n);

}  // namespace custodian::index
