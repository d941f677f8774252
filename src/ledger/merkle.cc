#include "ledger/merkle.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>

namespace custodian::ledger {
namespace {

constexpr char kFrontierMagic[4] = {'C', 'L', 'F', '1'};

std::string Dec(uint64_t v) { return std::to_string(v); }

// The largest power of two strictly below n. REQUIRES n >= 2.
uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }

// MTH(D[begin:begin+n]) for a range that occurs in RFC 9162's recursion: n > 0 and begin a
// multiple of the smallest power of two >= n, so the range is a run of perfect subtrees whose
// sizes are the bits of n, largest first.
Result<Hash> RangeHash(HashSource& source, uint64_t begin, uint64_t n) {
  std::vector<Hash> parts;
  uint64_t offset = begin;
  for (int level = std::bit_width(n) - 1; level >= 0; level--) {
    uint64_t width = uint64_t{1} << level;
    if (!(n & width)) continue;
    if (offset & (width - 1)) return Status::Internal("unaligned subtree at " + Dec(offset));
    CUSTODIAN_ASSIGN_OR_RETURN(Hash h, source.NodeHash(level, offset >> level));
    parts.push_back(h);
    offset += width;
  }
  Hash root = parts.back();
  for (size_t i = parts.size() - 1; i-- > 0;) root = HashChildren(parts[i], root);
  return root;
}

void PutLe(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; i++) out->push_back(char(v >> (8 * i)));
}

uint64_t GetLe(std::string_view in, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; i++) v |= uint64_t(uint8_t(in[i])) << (8 * i);
  return v;
}

// Shifts fn and sn right together until fn's lowest bit is set or fn is 0 (RFC 9162 §2.1.3.2
// step 4.b.ii and §2.1.4.2 step 6.b.iii).
void ShiftToOddOrZero(uint64_t& fn, uint64_t& sn) {
  while (fn != 0 && !(fn & 1)) {
    fn >>= 1;
    sn >>= 1;
  }
}

// How many path hashes the RFC's loop consumes from (fn, sn) until sn reaches 0.
size_t LoopLength(uint64_t fn, uint64_t sn) {
  size_t count = 0;
  while (sn != 0) {
    if ((fn & 1) || fn == sn) ShiftToOddOrZero(fn, sn);
    fn >>= 1;
    sn >>= 1;
    count++;
  }
  return count;
}

std::string Short(const Hash& h) { return ToHex(h.data(), 8) + "..."; }

}  // namespace

Hash HashLeaf(std::string_view data) {
  std::string buf;
  buf.reserve(data.size() + 1);
  buf.push_back('\0');
  buf.append(data);
  return ComputeSha256(buf);
}

Hash HashChildren(const Hash& left, const Hash& right) {
  char buf[1 + 2 * sizeof(Hash)];
  buf[0] = 1;
  std::memcpy(buf + 1, left.data(), left.size());
  std::memcpy(buf + 1 + left.size(), right.data(), right.size());
  return ComputeSha256(std::string_view(buf, sizeof buf));
}

Hash EmptyRoot() { return ComputeSha256(""); }

Result<Hash> HashSource::NodeHash(unsigned level, uint64_t index) {
  if (level >= 64 || index > (std::numeric_limits<uint64_t>::max() >> level))
    return Status::InvalidArgument("no node at level " + Dec(level) + " index " + Dec(index));
  if (level == 0) return LeafHash(index);
  CUSTODIAN_ASSIGN_OR_RETURN(Hash left, NodeHash(level - 1, 2 * index));
  CUSTODIAN_ASSIGN_OR_RETURN(Hash right, NodeHash(level - 1, 2 * index + 1));
  return HashChildren(left, right);
}

Result<Hash> MemoryHashSource::LeafHash(uint64_t index) {
  if (index >= leaves_.size())
    return Status::NotFound("leaf " + Dec(index) + " (the tree has " + Dec(leaves_.size()) + ")");
  return leaves_[index];
}

Result<Hash> RootAt(HashSource& source, uint64_t tree_size) {
  if (tree_size == 0) return EmptyRoot();
  return RangeHash(source, 0, tree_size);
}

// ---------------------------------------------------------------------------------------------
// Frontier

Result<Frontier> Frontier::FromHashes(uint64_t size, std::vector<Hash> hashes) {
  if (hashes.size() != size_t(std::popcount(size)))
    return Status::InvalidArgument("a frontier of size " + Dec(size) + " has " +
                                   Dec(std::popcount(size)) + " hashes, not " + Dec(hashes.size()));
  Frontier f;
  f.size_ = size;
  f.hashes_ = std::move(hashes);
  return f;
}

Status Frontier::Append(const Hash& leaf_hash, const NodeVisitor& visit) {
  if (size_ == std::numeric_limits<uint64_t>::max())
    return Status::LimitExceeded("the tree is full (2^64-1 leaves)");
  if (visit) visit(0, size_, leaf_hash);
  hashes_.push_back(leaf_hash);
  // Each trailing 1 bit of the old size is a subtree that now has a twin on its right: merge.
  unsigned level = 0;
  uint64_t index = size_;
  for (uint64_t n = size_; n & 1; n >>= 1) {
    Hash right = hashes_.back();
    hashes_.pop_back();
    Hash parent = HashChildren(hashes_.back(), right);
    hashes_.back() = parent;
    level++;
    index >>= 1;
    if (visit) visit(level, index, parent);
  }
  size_++;
  return Status::Ok();
}

Hash Frontier::Root() const {
  if (hashes_.empty()) return EmptyRoot();
  Hash root = hashes_.back();
  for (size_t i = hashes_.size() - 1; i-- > 0;) root = HashChildren(hashes_[i], root);
  return root;
}

std::string Frontier::Serialize() const {
  std::string out(kFrontierMagic, sizeof kFrontierMagic);
  PutLe(&out, size_, 8);
  for (const Hash& h : hashes_) out.append(reinterpret_cast<const char*>(h.data()), h.size());
  PutLe(&out, Crc32c(out), 4);
  return out;
}

Result<Frontier> Frontier::Deserialize(std::string_view bytes) {
  constexpr size_t kFixed = sizeof kFrontierMagic + 8 + 4;
  if (bytes.size() < kFixed || std::memcmp(bytes.data(), kFrontierMagic, 4) != 0)
    return Status::Corruption("not a ledger frontier (bad magic or too short)");
  uint64_t size = GetLe(bytes.substr(4), 8);
  size_t count = std::popcount(size);
  if (bytes.size() != kFixed + count * sizeof(Hash))
    return Status::Corruption("ledger frontier of size " + Dec(size) + " must be " +
                              Dec(kFixed + count * sizeof(Hash)) + " bytes, not " +
                              Dec(bytes.size()));
  std::string_view body = bytes.substr(0, bytes.size() - 4);
  if (Crc32c(body) != GetLe(bytes.substr(body.size()), 4))
    return Status::Corruption("ledger frontier checksum mismatch");
  std::vector<Hash> hashes(count);
  for (size_t i = 0; i < count; i++)
    std::memcpy(hashes[i].data(), body.data() + 12 + i * sizeof(Hash), sizeof(Hash));
  return FromHashes(size, std::move(hashes));
}

// ---------------------------------------------------------------------------------------------
// Proofs

size_t InclusionPathLength(uint64_t leaf_index, uint64_t tree_size) {
  return LoopLength(leaf_index, tree_size - 1);
}

size_t ConsistencyPathLength(uint64_t old_size, uint64_t new_size) {
  if (old_size == new_size) return 0;
  uint64_t fn = old_size - 1, sn = new_size - 1;
  while (fn & 1) {
    fn >>= 1;
    sn >>= 1;
  }
  // The first path entry seeds the loop, except that a power-of-two old tree is its own seed.
  return LoopLength(fn, sn) + (std::has_single_bit(old_size) ? 0 : 1);
}

Result<InclusionProof> ProveInclusion(HashSource& source, uint64_t leaf_index, uint64_t tree_size) {
  if (leaf_index >= tree_size)
    return Status::InvalidArgument("leaf " + Dec(leaf_index) + " is not in a tree of size " +
                                   Dec(tree_size));
  // PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n]) or PATH(m-k, D[k:n]) : MTH(D[0:k]); walk down
  // collecting the siblings, then list them bottom-up.
  InclusionProof proof{leaf_index, tree_size, {}};
  uint64_t begin = 0, n = tree_size, m = leaf_index;
  while (n > 1) {
    uint64_t k = SplitPoint(n);
    if (m < k) {
      CUSTODIAN_ASSIGN_OR_RETURN(Hash sibling, RangeHash(source, begin + k, n - k));
      proof.path.push_back(sibling);
      n = k;
    } else {
      CUSTODIAN_ASSIGN_OR_RETURN(Hash sibling, RangeHash(source, begin, k));
      proof.path.push_back(sibling);
      begin += k;
      m -= k;
      n -= k;
    }
  }
  std::reverse(proof.path.begin(), proof.path.end());
  return proof;
}

Result<ConsistencyProof> ProveConsistency(HashSource& source, uint64_t old_size,
                                          uint64_t new_size) {
  if (old_size == 0 || old_size > new_size)
    return Status::InvalidArgument("no consistency proof from size " + Dec(old_size) + " to size " +
                                   Dec(new_size) + " (needs 0 < old size <= new size)");
  // SUBPROOF(m, D[n], b): walk down as PATH does, collecting siblings; the subtree where the
  // walk stops (m == n) is itself part of the proof unless it is the whole old tree (b).
  ConsistencyProof proof{old_size, new_size, {}};
  std::vector<Hash> siblings;
  uint64_t begin = 0, n = new_size, m = old_size;
  bool whole_old_tree = true;
  while (m != n) {
    uint64_t k = SplitPoint(n);
    if (m <= k) {
      CUSTODIAN_ASSIGN_OR_RETURN(Hash sibling, RangeHash(source, begin + k, n - k));
      siblings.push_back(sibling);
      n = k;
    } else {
      CUSTODIAN_ASSIGN_OR_RETURN(Hash sibling, RangeHash(source, begin, k));
      siblings.push_back(sibling);
      begin += k;
      m -= k;
      n -= k;
      whole_old_tree = false;
    }
  }
  if (!whole_old_tree) {
    CUSTODIAN_ASSIGN_OR_RETURN(Hash subtree, RangeHash(source, begin, n));
    proof.path.push_back(subtree);
  }
  proof.path.insert(proof.path.end(), siblings.rbegin(), siblings.rend());
  return proof;
}

Result<Hash> RootFromInclusionProof(const InclusionProof& proof, const Hash& leaf_hash) {
  if (proof.leaf_index >= proof.tree_size)
    return Status::InvalidArgument("leaf " + Dec(proof.leaf_index) + " is not in a tree of size " +
                                   Dec(proof.tree_size));
  size_t want = InclusionPathLength(proof.leaf_index, proof.tree_size);
  if (proof.path.size() != want)
    return Status::InvalidArgument("inclusion proof for leaf " + Dec(proof.leaf_index) +
                                   " in a tree of size " + Dec(proof.tree_size) + " has " +
                                   Dec(proof.path.size()) + " hashes, not " + Dec(want));
  // RFC 9162 §2.1.3.2, step by step.
  uint64_t fn = proof.leaf_index, sn = proof.tree_size - 1;
  Hash r = leaf_hash;
  for (const Hash& p : proof.path) {
    if (sn == 0) return Status::InvalidArgument("inclusion proof too long");
    if ((fn & 1) || fn == sn) {
      r = HashChildren(p, r);
      if (!(fn & 1)) ShiftToOddOrZero(fn, sn);
    } else {
      r = HashChildren(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return Status::InvalidArgument("inclusion proof too short");
  return r;
}

Status VerifyInclusion(const InclusionProof& proof, const Hash& leaf_hash, const Hash& root) {
  CUSTODIAN_ASSIGN_OR_RETURN(Hash computed, RootFromInclusionProof(proof, leaf_hash));
  if (computed != root)
    return Status::Corruption("inclusion proof for leaf " + Dec(proof.leaf_index) +
                              " leads to root " + Short(computed) + ", not " + Short(root));
  return Status::Ok();
}

Status VerifyConsistency(const ConsistencyProof& proof, const Hash& old_root,
                         const Hash& new_root) {
  const uint64_t first = proof.old_size, second = proof.new_size;
  if (first > second)
    return Status::InvalidArgument("old size " + Dec(first) + " is larger than new size " +
                                   Dec(second));
  if (first == second) {
    if (!proof.path.empty())
      return Status::InvalidArgument("consistency proof between equal sizes must be empty, has " +
                                     Dec(proof.path.size()) + " hashes");
    if (old_root != new_root)
      return Status::Corruption("two different roots for the same size " + Dec(first));
    if (first == 0 && old_root != EmptyRoot())
      return Status::Corruption("the root of the empty tree must be SHA-256 of nothing");
    return Status::Ok();
  }
  if (first == 0)
    return Status::InvalidArgument(
        "a consistency proof from the empty tree proves nothing (every tree extends it)");
  size_t want = ConsistencyPathLength(first, second);
  if (proof.path.size() != want)
    return Status::InvalidArgument("consistency proof from size " + Dec(first) + " to " +
                                   Dec(second) + " has " + Dec(proof.path.size()) +
                                   " hashes, not " + Dec(want));

  // RFC 9162 §2.1.4.2, step by step; a power-of-two old tree is its own first path entry.
  std::vector<Hash> path;
  if (std::has_single_bit(first)) path.push_back(old_root);
  path.insert(path.end(), proof.path.begin(), proof.path.end());
  uint64_t fn = first - 1, sn = second - 1;
  while (fn & 1) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = path[0], sr = path[0];
  for (size_t i = 1; i < path.size(); i++) {
    const Hash& c = path[i];
    if (sn == 0) return Status::InvalidArgument("consistency proof too long");
    if ((fn & 1) || fn == sn) {
      fr = HashChildren(c, fr);
      sr = HashChildren(c, sr);
      if (!(fn & 1)) ShiftToOddOrZero(fn, sn);
    } else {
      sr = HashChildren(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return Status::InvalidArgument("consistency proof too short");
  if (fr != old_root)
    return Status::Corruption("consistency proof leads to old root " + Short(fr) + ", not " +
                              Short(old_root));
  if (sr != new_root)
    return Status::Corruption("consistency proof leads to new root " + Short(sr) + ", not " +
                              Short(new_root));
  return Status::Ok();
}

}  // namespace custodian::ledger
