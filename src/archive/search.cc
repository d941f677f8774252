// Search: the query tree is evaluated by the index (SQL over the catalog and the FTS5 word
// index); substring and regex nodes are checked here against the stored decoded texts, on both
// cores, block by block.

#include <re2/filtered_re2.h>
#include <re2/re2.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <tuple>

#include "archive/archive_impl.h"
#include "query/query.h"
#include "util/digest.h"
#include "util/text.h"
#include "util/thread.h"

namespace custodian {
namespace {

constexpr size_t kSnippetContext = 70;
constexpr size_t kParallelCheckBytes = 256 << 10;

// Lower-cases ASCII and folds Latin-1 accented letters (é -> e), as the word index does, keeping
// for each folded byte the offset of the original character it came from.
std::string Fold(std::string_view s, std::vector<size_t>* origin) {
  static const char kLatin1[] = "aaaaaaaceeeeiiiidnooooo ouuuuytsaaaaaaaceeeeiiiidnooooo ouuuuyty";
  std::string out;
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == 0xC3 && i + 1 < s.size()) {
      auto d = static_cast<unsigned char>(s[i + 1]);
      if (d >= 0x80 && d <= 0xBF) {
        out += kLatin1[d - 0x80];
        origin->push_back(i);
        i += 2;
        continue;
      }
    }
    out += (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : char(c);
    origin->push_back(i);
    i++;
  }
  origin->push_back(s.size());
  return out;
}

// Finds the first hit of a word-ish needle the way the word index would: case and accents aside.
// Returns the offset and length in `hay`.
std::pair<size_t, size_t> FindFolded(std::string_view hay, std::string_view needle) {
  std::vector<size_t> origin, unused;
  std::string h = Fold(hay, &origin), n = Fold(needle, &unused);
  size_t p = n.empty() ? std::string::npos : h.find(n);
  if (p == std::string::npos) return {std::string_view::npos, 0};
  return {origin[p], origin[p + n.size()] - origin[p]};
}

void CollectTerms(const query::Node& n, std::vector<const query::Node*>* out) {
  using K = query::Node::Kind;
  if (n.kind == K::kNot) return;
  if (n.kind == K::kWord || n.kind == K::kPhrase || n.kind == K::kPrefix || n.kind == K::kSubstring ||
      n.kind == K::kRegex)
    out->push_back(&n);
  for (const auto& c : n.children) CollectTerms(*c, out);
}

// One line of context around the first hit of any term, hit marked with \x01 ... \x02.
std::string MakeSnippet(std::string_view text, const std::vector<const query::Node*>& terms) {
  size_t body = text.find("\n\n");
  std::string_view scan = body == std::string_view::npos ? text : text.substr(body + 2);
  size_t at = std::string_view::npos, len = 0;
  for (const auto* t : terms) {
    size_t p = std::string_view::npos, l = 0;
    if (t->kind == query::Node::Kind::kRegex) {
      RE2::Options o;
      o.set_case_sensitive(!t->case_insensitive);
      o.set_log_errors(false);
      RE2 re(t->text, o);
      re2::StringPiece m;
      if (re.ok() && re.Match(re2::StringPiece(scan.data(), scan.size()), 0, scan.size(), RE2::UNANCHORED, &m, 1)) {
        p = size_t(m.data() - scan.data());
        l = m.size();
      }
    } else if (t->kind == query::Node::Kind::kSubstring) {
      p = scan.find(t->text);
      l = t->text.size();
    } else {
      // Words are stemmed by the index; the stem's first letters find most hits in the text.
      std::string w = t->text.substr(0, std::max<size_t>(4, t->text.size() > 2 ? t->text.size() - 2 : t->text.size()));
      if (t->kind == query::Node::Kind::kPhrase) w = t->text;
      std::tie(p, l) = FindFolded(scan, w);
      // Mark the whole word the stem was found in ("Linux", not "Linu").
      auto word_byte = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || (c & 0x80); };
      while (p != std::string_view::npos && p + l < scan.size() && word_byte(scan[p + l])) l++;
    }
    if (p < at) {
      at = p;
      len = l;
    }
  }
  if (at == std::string_view::npos) {
    at = 0;
    len = 0;
  }
  size_t from = at > kSnippetContext ? at - kSnippetContext : 0;
  size_t to = std::min(scan.size(), at + len + kSnippetContext);
  // Start and end on character boundaries.
  while (from > 0 && (static_cast<unsigned char>(scan[from]) & 0xC0) == 0x80) from--;
  while (to < scan.size() && (static_cast<unsigned char>(scan[to]) & 0xC0) == 0x80) to++;
  std::string out = from > 0 ? "…" : "";
  auto flat = [&](std::string_view s) {
    for (char c : s) {
      if (c == '\n' || c == '\r' || c == '\t') c = ' ';
      if (!(c == ' ' && !out.empty() && out.back() == ' ')) out += c;
    }
  };
  flat(scan.substr(from, at - from));
  if (len) {
    out += '\x01';
    flat(scan.substr(at, len));
    out += '\x02';
  }
  flat(scan.substr(at + len, to - at - len));
  if (to < scan.size()) out += "…";
  return ToValidUtf8(out);
}

}  // namespace

Result<std::string> ArchiveImpl::ReadText(const index::TextRow& row) {
  CUSTODIAN_ASSIGN_OR_RETURN(const store::DecodedBlock* b, LoadBlock(row.block_id));
  if (row.slot >= b->ids.size() || b->ids[row.slot] != row.hash)
    return Status::Corruption("text " + std::to_string(row.text_id) + " is not where the index says");
  return store::DecodeEntry(*b, row.slot, Dicts());
}

static RE2::Options TextRegexOptions(const query::Node& node) {
  RE2::Options o;
  o.set_case_sensitive(!node.case_insensitive);
  o.set_log_errors(false);
  o.set_max_mem(64 << 20);
  return o;
}

Result<std::optional<std::vector<int64_t>>> ArchiveImpl::CandidateTexts(const query::Node& node) {
  using Ids = std::vector<int64_t>;
  std::optional<Ids> out;
  if (node.kind == query::Node::Kind::kSubstring) {
    std::vector<index::GramRun> runs = index::LiteralRuns(node.text);
    if (runs.empty()) return out;
    CUSTODIAN_ASSIGN_OR_RETURN(out, index_->TextsWithLiteral(runs));
  } else {
    // RE2 reduces the pattern to a formula over literal strings ("atoms") that every match
    // contains; a text is a candidate if the atoms the trigram index finds in it satisfy it.
    re2::FilteredRE2 filter(3);
    int id = 0;
    std::string expanded = query::ExpandOptionals(node.text);
    if (filter.Add(expanded, TextRegexOptions(node), &id) != RE2::NoError &&
        filter.Add(node.text, TextRegexOptions(node), &id) != RE2::NoError)
      return out;
    std::vector<std::string> atoms;
    filter.Compile(&atoms);
    if (atoms.size() > 256) return out;  // a huge alternation: scanning is simpler
    std::vector<int> unseen, potential;  // atoms the index cannot look for count as present
    std::vector<std::vector<index::GramRun>> runs(atoms.size());
    for (size_t i = 0; i < atoms.size(); i++) {
      runs[i] = index::LiteralRuns(atoms[i]);
      if (runs[i].empty()) unseen.push_back(int(i));
    }
    filter.AllPotentials(unseen, &potential);
    if (!potential.empty()) return out;  // the pattern can match without any atom the index sees
    // (text, atom) for every atom the index finds in a text, grouped by text.
    std::vector<std::pair<int64_t, int>> found;
    for (size_t i = 0; i < atoms.size(); i++) {
      if (runs[i].empty()) continue;
      CUSTODIAN_ASSIGN_OR_RETURN(Ids ids, index_->TextsWithLiteral(runs[i]));
      for (int64_t t : ids) found.emplace_back(t, int(i));
    }
    std::sort(found.begin(), found.end());
    out.emplace();
    std::vector<int> present;
    for (size_t a = 0; a < found.size();) {
      size_t b = a;
      present = unseen;
      for (; b < found.size() && found[b].first == found[a].first; b++) present.push_back(found[b].second);
      std::sort(present.begin(), present.end());
      potential.clear();
      filter.AllPotentials(present, &potential);
      if (!potential.empty()) out->push_back(found[a].first);
      a = b;
    }
  }
  // Texts the trigram index does not cover yet are always candidates.
  CUSTODIAN_ASSIGN_OR_RETURN(Ids uncovered, index_->UncoveredTexts());
  if (!uncovered.empty()) {
    Ids merged;
    std::merge(out->begin(), out->end(), uncovered.begin(), uncovered.end(), std::back_inserter(merged));
    merged.erase(std::unique(merged.begin(), merged.end()), merged.end());
    out = std::move(merged);
  }
  return out;
}

Result<std::vector<int64_t>> ArchiveImpl::MatchTexts(const query::Node& node) {
  std::unique_ptr<RE2> re;
  if (node.kind == query::Node::Kind::kRegex) {
    re = std::make_unique<RE2>(node.text, TextRegexOptions(node));
    if (!re->ok()) return Status::InvalidArgument("invalid regular expression: " + re->error());
  }
  CUSTODIAN_ASSIGN_OR_RETURN(std::optional<std::vector<int64_t>> candidates, CandidateTexts(node));
  CUSTODIAN_ASSIGN_OR_RETURN(int64_t texts, index_->MaxTextId());  // about the number of texts
  CUSTODIAN_RETURN_IF_ERROR(LoadDictionaries());
  store::DictionaryLookup dicts = Dicts();

  // This thread finds the texts to check and their blocks in the catalog (which is not shared
  // between threads) and queues them a block at a time; the checking starts with the first
  // block, on a second thread once there is enough to read, and on this one when it is done.
  struct Item {
    catalog::BlockRow block;
    std::vector<index::TextRow> rows;
  };
  std::mutex mu;
  std::condition_variable ready;
  std::deque<Item> queue;
  bool produced = false;  // every item is queued (or the search failed)
  std::vector<int64_t> matched;
  Status failure;
  auto fail = [&](const Status& st) {
    std::lock_guard<std::mutex> lock(mu);
    if (failure.ok()) failure = st;
    produced = true;
    ready.notify_all();
  };
  auto check = [&](const Item& item, std::string* entry, std::vector<int64_t>* mine) -> Status {
    auto rec = segments_->Read(item.block.loc);
    if (!rec.ok()) return rec.status();
    // Per-entry blocks stay compressed: only the candidates are decompressed.
    auto decoded = store::DecodeBlock(std::move(*rec), keys_.BlockKey(item.block.seed), dicts, /*expand=*/false);
    if (!decoded.ok()) return decoded.status();
    for (const auto& r : item.rows) {
      if (r.slot >= decoded->ids.size()) continue;
      // Decompressed a zstd block at a time, and no further than the first sure hit.
      bool hit = false;
      size_t checked = 0;  // a literal's bytes searched so far
      auto enough = [&](std::string_view t, bool complete) {
        if (!re) {
          if (node.text.empty()) return hit = true;
          size_t from = checked >= node.text.size() ? checked - node.text.size() + 1 : 0;
          checked = t.size();
          return hit = t.find(node.text, from) != std::string_view::npos;
        }
        // A regex is checked on the whole text: checking prefixes as well (a match strictly
        // inside one would do) made re:/enron ?online/i and the phone-number pattern slower,
        // since their matches sit late or nowhere and RE2 rescans from the start each time.
        return complete && (hit = RE2::PartialMatch(re2::StringPiece(t.data(), t.size()), *re));
      };
      CUSTODIAN_RETURN_IF_ERROR(store::DecodeEntryPrefix(*decoded, r.slot, dicts, entry, enough));
      if (hit) mine->push_back(r.text_id);
    }
    return Status::Ok();
  };
  auto worker = [&] {
    std::vector<int64_t> mine;
    std::string entry;
    while (true) {
      Item item;
      {
        std::unique_lock<std::mutex> lock(mu);
        ready.wait(lock, [&] { return !queue.empty() || produced; });
        if (queue.empty() || !failure.ok()) break;
        item = std::move(queue.front());
        queue.pop_front();
      }
      Status st = check(item, &entry, &mine);
      if (!st.ok()) {
        fail(Status::Corruption("text block " + std::to_string(item.block.block_id) + ": " + st.message()));
        break;
      }
    }
    std::lock_guard<std::mutex> lock(mu);
    matched.insert(matched.end(), mine.begin(), mine.end());
  };

  // A second thread pays for itself once there is more than a little to read: starting it, its
  // cold allocator and zstd context cost ~0.2 ms (measured on Enron, `text:"Kenneth Lay"`: 2 MB
  // of candidates checked in 4.2 ms on one thread, 2.7 ms on two).
  std::thread helper;
  size_t queued_bytes = 0;
  Item pending;
  auto flush = [&]() -> Status {
    if (pending.rows.empty()) return Status::Ok();
    CUSTODIAN_ASSIGN_OR_RETURN(pending.block, catalog_->GetBlock(pending.rows.front().block_id));
    for (const auto& r : pending.rows) queued_bytes += r.size;
    {
      std::lock_guard<std::mutex> lock(mu);
      queue.push_back(std::move(pending));
    }
    ready.notify_one();
    pending = Item();
    if (!helper.joinable() && queued_bytes >= kParallelCheckBytes) {
      helper = std::thread(worker);
      RunBeside(helper);
    }
    return Status::Ok();
  };
  // Texts in storage order come a block at a time (a block seen again later, after a disposal
  // moved texts, is simply read twice).
  auto add = [&](const index::TextRow& r) -> Status {
    if (!pending.rows.empty() && pending.rows.front().block_id != r.block_id) CUSTODIAN_RETURN_IF_ERROR(flush());
    pending.rows.push_back(r);
    return Status::Ok();
  };
  Status produce = [&]() -> Status {
    if (candidates && int64_t(candidates->size()) * 8 < texts) {
      for (int64_t id : *candidates) {
        auto r = index_->GetText(id);
        if (!r.ok() && r.status().code() == Status::Code::kNotFound) continue;  // a disposed text
        if (!r.ok()) return r.status();
        CUSTODIAN_RETURN_IF_ERROR(add(*r));
      }
    } else {
      CUSTODIAN_RETURN_IF_ERROR(index_->ForEachText([&](const index::TextRow& r) {
        if (!candidates || std::binary_search(candidates->begin(), candidates->end(), r.text_id)) return add(r);
        return Status::Ok();
      }));
    }
    return flush();
  }();
  if (!produce.ok()) {
    fail(produce);
  } else {
    std::lock_guard<std::mutex> lock(mu);
    produced = true;
    ready.notify_all();
  }
  worker();
  if (helper.joinable()) helper.join();
  CUSTODIAN_RETURN_IF_ERROR(failure);
  std::sort(matched.begin(), matched.end());
  return matched;
}

Result<SearchResult> ArchiveImpl::Search(const std::string& q, const SearchOptions& opts) {
  CUSTODIAN_ASSIGN_OR_RETURN(query::NodePtr root, query::Parse(q));
  // One snapshot for the whole search, so the count, the hits and their details agree even
  // while an import commits.
  CUSTODIAN_RETURN_IF_ERROR(catalog_->BeginRead());
  struct EndRead {
    catalog::Catalog* c;
    ~EndRead() { (void)c->Commit(); }
  } end_read{catalog_.get()};
  index_->NewSnapshot();
  SearchResult res;
  CUSTODIAN_ASSIGN_OR_RETURN(res.unindexed, index_->UnindexedMessages());
  auto matcher = [this](const query::Node& n) { return MatchTexts(n); };
  CUSTODIAN_ASSIGN_OR_RETURN(
      std::vector<index::Index::Match> matches,
      index_->Search(*root, matcher, opts.by_relevance ? index::SortOrder::kRelevance : index::SortOrder::kDateDescending,
                     opts.offset, opts.count_only ? 1 : opts.limit, &res.total));
  if (opts.count_only) return res;
  if (opts.ids_only) {
    res.ids.reserve(matches.size());
    for (const auto& m : matches) res.ids.push_back(m.id);
    return res;
  }
  std::vector<const query::Node*> terms;
  CollectTerms(*root, &terms);
  for (const auto& match : matches) {
    int64_t msg = match.msg;
    CUSTODIAN_ASSIGN_OR_RETURN(catalog::MessageRow row, catalog_->GetMessage(msg));
    SearchHit hit;
    hit.message = ToInfo(row);
    CUSTODIAN_ASSIGN_OR_RETURN(auto copies, catalog_->CopiesOf(msg));
    for (const auto& c : copies) hit.message.copies.push_back({c.custodian, c.folder, c.flags, c.deleted});
    if (opts.snippets && row.text_id) {
      CUSTODIAN_ASSIGN_OR_RETURN(index::TextRow tr, index_->GetText(*row.text_id));
      CUSTODIAN_ASSIGN_OR_RETURN(std::string text, ReadText(tr));
      hit.snippet = MakeSnippet(text, terms);
    }
    res.hits.push_back(std::move(hit));
  }
  return res;
}

}  // namespace custodian

namespace custodian {

Result<std::vector<ThreadEntry>> ArchiveImpl::Thread(const std::string& id) {
  auto sha = Sha256FromHex(id);
  if (!sha) return Status::InvalidArgument("not a full message id: " + id);
  CUSTODIAN_ASSIGN_OR_RETURN(auto msg, catalog_->FindMessage(*sha));
  if (!msg) return Status::NotFound("no message with id " + id);
  CUSTODIAN_ASSIGN_OR_RETURN(std::vector<catalog::MessageRow> rows, catalog_->ThreadOf(*msg));
  // Each message hangs under the one it replies to when that is in the thread; otherwise (a
  // subject match, or a parent the archive never received) under the oldest message.
  std::map<std::string, size_t> by_message_id;
  for (size_t i = 0; i < rows.size(); i++)
    if (!rows[i].message_id.empty()) by_message_id.emplace(rows[i].message_id, i);
  std::vector<std::vector<size_t>> children(rows.size());
  std::vector<size_t> roots;
  for (size_t i = 0; i < rows.size(); i++) {
    auto p = by_message_id.find(rows[i].in_reply_to);
    if (p != by_message_id.end() && p->second != i) children[p->second].push_back(i);
    else if (i == 0) roots.push_back(i);
    else children[0].push_back(i);
  }
  std::vector<ThreadEntry> out;
  std::vector<bool> seen(rows.size(), false);
  std::vector<std::pair<size_t, int>> stack;
  for (auto r = roots.rbegin(); r != roots.rend(); ++r) stack.push_back({*r, 0});
  while (!stack.empty()) {
    auto [i, depth] = stack.back();
    stack.pop_back();
    if (seen[i]) continue;  // a reply loop in forged headers
    seen[i] = true;
    ThreadEntry e{ToInfo(rows[i]), depth};
    CUSTODIAN_ASSIGN_OR_RETURN(auto copies, catalog_->CopiesOf(rows[i].msg));
    for (const auto& c : copies) e.message.copies.push_back({c.custodian, c.folder, c.flags, c.deleted});
    out.push_back(std::move(e));
    for (auto c = children[i].rbegin(); c != children[i].rend(); ++c) stack.push_back({*c, depth + 1});
  }
  for (size_t i = 0; i < rows.size(); i++)  // anything a loop cut off still shows, at the top
    if (!seen[i]) out.push_back({ToInfo(rows[i]), 0});
  return out;
}

}  // namespace custodian
