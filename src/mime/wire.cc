#include "mime/wire.h"

#include <cstdint>
#include <cstring>

#include "util/varint.h"

namespace custodian::mime::wire {
namespace {

// A field added to these structs must be added to the encoding below as well.
static_assert(sizeof(Limits) == 5 * sizeof(size_t));
static_assert(sizeof(Address) == 2 * sizeof(std::string));
static_assert(sizeof(Header) == 2 * sizeof(std::string));
static_assert(sizeof(Attachment) == 4 * sizeof(std::string) + 2 * 8);  // + size, is_inline
// 10 vectors, 4 strings, and has_date, date, tz_offset_minutes, part_count (8 bytes each, padded).
static_assert(sizeof(ParsedMessage) == 10 * sizeof(std::vector<int>) + 4 * sizeof(std::string) + 4 * 8);

class Writer {
 public:
  void U64(uint64_t v) { PutVarint(&out_, v); }
  void Str(std::string_view s) {
    U64(s.size());
    out_.append(s);
  }
  void Strs(const std::vector<std::string>& v) {
    U64(v.size());
    for (const auto& s : v) Str(s);
  }
  void Addresses(const std::vector<Address>& v) {
    U64(v.size());
    for (const auto& a : v) {
      Str(a.name);
      Str(a.address);
    }
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool U64(uint64_t* v) {
    size_t at = 0;
    if (!GetVarint(in_, &at, v)) return false;
    in_.remove_prefix(at);
    return true;
  }
  bool Size(size_t* v) {
    uint64_t x;
    if (!U64(&x)) return false;
    *v = size_t(x);
    return true;
  }
  bool Str(std::string* s) {
    uint64_t n;
    if (!U64(&n) || n > in_.size()) return false;
    s->assign(in_.substr(0, size_t(n)));
    in_.remove_prefix(size_t(n));
    return true;
  }
  bool Count(size_t* n) {  // a vector's length: each element takes at least one byte
    return Size(n) && *n <= in_.size();
  }
  bool Strs(std::vector<std::string>* v) {
    size_t n;
    if (!Count(&n)) return false;
    v->resize(n);
    for (auto& s : *v)
      if (!Str(&s)) return false;
    return true;
  }
  bool Addresses(std::vector<Address>* v) {
    size_t n;
    if (!Count(&n)) return false;
    v->resize(n);
    for (auto& a : *v)
      if (!Str(&a.name) || !Str(&a.address)) return false;
    return true;
  }
  bool done() const { return in_.empty(); }

 private:
  std::string_view in_;
};

void PutAttachment(Writer& w, const Attachment& a) {
  w.Str(a.filename);
  w.Str(a.content_type);
  w.U64(a.size);
  w.Str(a.part);
  w.U64(a.is_inline ? 1 : 0);
  w.Str(a.charset);
}

bool GetAttachment(Reader& r, Attachment* a) {
  uint64_t is_inline;
  if (!r.Str(&a->filename) || !r.Str(&a->content_type) || !r.U64(&a->size) || !r.Str(&a->part) ||
      !r.U64(&is_inline) || !r.Str(&a->charset))
    return false;
  a->is_inline = is_inline != 0;
  return true;
}

}  // namespace

std::string EncodeLimits(const Limits& l) {
  Writer w;
  for (size_t v : {l.max_message_bytes, l.max_header_bytes, l.max_depth, l.max_parts, l.max_text_bytes}) w.U64(v);
  return w.Take();
}

bool DecodeLimits(std::string_view in, Limits* out) {
  Reader r(in);
  return r.Size(&out->max_message_bytes) && r.Size(&out->max_header_bytes) && r.Size(&out->max_depth) &&
         r.Size(&out->max_parts) && r.Size(&out->max_text_bytes) && r.done();
}

std::string EncodeAttachment(const Attachment& a) {
  Writer w;
  PutAttachment(w, a);
  return w.Take();
}

bool DecodeAttachment(std::string_view in, Attachment* out) {
  Reader r(in);
  return GetAttachment(r, out) && r.done();
}

std::string EncodeMessage(const ParsedMessage& m) {
  Writer w;
  w.U64(m.headers.size());
  for (const auto& h : m.headers) {
    w.Str(h.name);
    w.Str(h.value);
  }
  w.Str(m.subject);
  for (const auto* list : {&m.from, &m.sender, &m.to, &m.cc, &m.bcc, &m.reply_to}) w.Addresses(*list);
  w.U64(m.has_date ? 1 : 0);
  w.U64(uint64_t(m.date));
  w.U64(uint64_t(int64_t(m.tz_offset_minutes)));
  w.Str(m.message_id);
  w.Str(m.in_reply_to);
  w.Strs(m.references);
  w.Str(m.body_text);
  w.U64(m.attachments.size());
  for (const auto& a : m.attachments) PutAttachment(w, a);
  w.Strs(m.problems);
  w.U64(m.part_count);
  return w.Take();
}

bool DecodeMessage(std::string_view in, ParsedMessage* m) {
  Reader r(in);
  size_t n;
  if (!r.Count(&n)) return false;
  m->headers.resize(n);
  for (auto& h : m->headers)
    if (!r.Str(&h.name) || !r.Str(&h.value)) return false;
  if (!r.Str(&m->subject)) return false;
  for (auto* list : {&m->from, &m->sender, &m->to, &m->cc, &m->bcc, &m->reply_to})
    if (!r.Addresses(list)) return false;
  uint64_t has_date, date, tz;
  if (!r.U64(&has_date) || !r.U64(&date) || !r.U64(&tz)) return false;
  m->has_date = has_date != 0;
  m->date = int64_t(date);
  m->tz_offset_minutes = int(int64_t(tz));
  if (!r.Str(&m->message_id) || !r.Str(&m->in_reply_to) || !r.Strs(&m->references) || !r.Str(&m->body_text))
    return false;
  if (!r.Count(&n)) return false;
  m->attachments.resize(n);
  for (auto& a : m->attachments)
    if (!GetAttachment(r, &a)) return false;
  return r.Strs(&m->problems) && r.Size(&m->part_count) && r.done();
}

}  // namespace custodian::mime::wire
