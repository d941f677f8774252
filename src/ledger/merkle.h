// The ledger's Merkle tree: RFC 9162 §2.1 hashing, an append-only frontier that gives the root
// after every append, inclusion and consistency proofs and their verification
// (docs/ledger-format.md). Pure computation: where leaves and nodes are stored is the caller's.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "custodian/status.h"
#include "util/digest.h"

namespace custodian::ledger {

using Hash = Sha256;

// SHA-256(0x00 || data): the hash of one leaf.
Hash HashLeaf(std::string_view data);
// SHA-256(0x01 || left || right): the hash of an interior node.
Hash HashChildren(const Hash& left, const Hash& right);
// SHA-256 of the empty string: the root of the tree with no leaves.
Hash EmptyRoot();

// Where proofs read the tree from. LeafHash is required; NodeHash has a default that recomputes
// the node from its 2^level leaves, which makes a proof O(tree size): override it when complete
// nodes are stored (Frontier::Append reports them as they are completed).
class HashSource {
 public:
  virtual ~HashSource() = default;
  // The hash of leaf `index` (already HashLeaf'ed). Callers ask only below the tree size they
  // were given.
  virtual Result<Hash> LeafHash(uint64_t index) = 0;
  // The root of the perfect subtree of 2^level leaves starting at leaf index << level.
  virtual Result<Hash> NodeHash(unsigned level, uint64_t index);
};

// A HashSource over leaf hashes held in memory (tests, small trees, tools).
class MemoryHashSource : public HashSource {
 public:
  MemoryHashSource() = default;
  explicit MemoryHashSource(std::vector<Hash> leaf_hashes) : leaves_(std::move(leaf_hashes)) {}
  void Append(const Hash& leaf_hash) { leaves_.push_back(leaf_hash); }
  uint64_t size() const { return leaves_.size(); }
  Result<Hash> LeafHash(uint64_t index) override;

 private:
  std::vector<Hash> leaves_;
};

// The Merkle Tree Hash (RFC 9162 §2.1.1) of the first `tree_size` leaves of `source`.
Result<Hash> RootAt(HashSource& source, uint64_t tree_size);

// The append-only state of a tree: the roots of its perfect subtrees, largest (leftmost) first,
// one per bit set in the size — at most 64 hashes whatever the size. Enough to append and to
// give the root; not enough to prove anything about old leaves.
class Frontier {
 public:
  // Called for every perfect subtree completed by an append, the leaf itself (level 0) included.
  using NodeVisitor = std::function<void(unsigned level, uint64_t index, const Hash& hash)>;

  Frontier() = default;  // the empty tree
  // Checks that `hashes` has one entry per bit set in `size`.
  static Result<Frontier> FromHashes(uint64_t size, std::vector<Hash> hashes);

  uint64_t size() const { return size_; }
  const std::vector<Hash>& hashes() const { return hashes_; }

  // Appends one leaf by its hash. Fails only when the tree already has 2^64-1 leaves.
  Status Append(const Hash& leaf_hash, const NodeVisitor& visit = nullptr);
  Status AppendData(std::string_view leaf_data) { return Append(HashLeaf(leaf_data)); }
  // The Merkle Tree Hash of every leaf appended so far; O(log size).
  Hash Root() const;

  // The persistent form (docs/ledger-format.md, "Frontier"): magic, size, hashes, CRC-32C.
  std::string Serialize() const;
  static Result<Frontier> Deserialize(std::string_view bytes);

  friend bool operator==(const Frontier&, const Frontier&) = default;

 private:
  uint64_t size_ = 0;
  std::vector<Hash> hashes_;
};

// RFC 9162 §2.1.3: the audit path of leaf `leaf_index` in the tree of `tree_size` leaves,
// from the leaf's sibling upwards.
struct InclusionProof {
  uint64_t leaf_index = 0;
  uint64_t tree_size = 0;
  std::vector<Hash> path;
};

// RFC 9162 §2.1.4: the proof that the tree of `old_size` leaves is a prefix of the tree of
// `new_size` leaves.
struct ConsistencyProof {
  uint64_t old_size = 0;
  uint64_t new_size = 0;
  std::vector<Hash> path;
};

// The number of hashes a valid proof has; the verifiers reject any other length up front.
// REQUIRES: leaf_index < tree_size, and 0 < old_size <= new_size respectively.
size_t InclusionPathLength(uint64_t leaf_index, uint64_t tree_size);
size_t ConsistencyPathLength(uint64_t old_size, uint64_t new_size);

// PATH(m, D[n]) of RFC 9162 §2.1.3.1. InvalidArgument unless leaf_index < tree_size; errors of
// `source` are passed on. Reads O(log n) nodes (O(n) leaves with the default NodeHash).
Result<InclusionProof> ProveInclusion(HashSource& source, uint64_t leaf_index, uint64_t tree_size);
// PROOF(m, D[n]) of RFC 9162 §2.1.4.1. InvalidArgument unless 0 < old_size <= new_size; the
// proof between equal sizes is empty.
Result<ConsistencyProof> ProveConsistency(HashSource& source, uint64_t old_size, uint64_t new_size);

// RFC 9162 §2.1.3.2. The root the proof leads to from `leaf_hash`: InvalidArgument when the
// index is not in the tree or the path has the wrong length.
Result<Hash> RootFromInclusionProof(const InclusionProof& proof, const Hash& leaf_hash);
// As above, then Corruption when the computed root is not `root`.
Status VerifyInclusion(const InclusionProof& proof, const Hash& leaf_hash, const Hash& root);

// RFC 9162 §2.1.4.2, plus the cases it leaves out: equal sizes need an empty path and equal roots
// (and the empty-tree root for size 0); old_size 0 < new_size proves nothing and is refused;
// old_size > new_size is refused. InvalidArgument for sizes and path length, Corruption when a
// root does not match.
Status VerifyConsistency(const ConsistencyProof& proof, const Hash& old_root, const Hash& new_root);

}  // namespace custodian::ledger
