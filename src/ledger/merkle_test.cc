#include "ledger/merkle.h"

#include <gtest/gtest.h>

#include <bit>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ledger/testdata/transparency_dev_vectors.h"

namespace custodian::ledger {
namespace {

namespace td = testdata;
using Code = Status::Code;

std::string Unhex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(char(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

Hash H(std::string_view hex) {
  auto h = Sha256FromHex(hex);
  EXPECT_TRUE(h.has_value()) << hex;
  return h.value_or(Hash{});
}

std::string Bytes(const Hash& h) { return std::string(h.begin(), h.end()); }

std::vector<Hash> Hs(const std::vector<const char*>& hexes) {
  std::vector<Hash> out;
  for (const char* h : hexes) out.push_back(H(h));
  return out;
}

// ---- An independent reference: RFC 9162 §2.1.1, §2.1.3.1 and §2.1.4.1 written as recursion
// over the leaf hashes, the way the RFC states them.

Hash RefMth(std::span<const Hash> d) {
  if (d.empty()) return EmptyRoot();
  if (d.size() == 1) return d[0];
  size_t k = 1;
  while (k * 2 < d.size()) k *= 2;
  return HashChildren(RefMth(d.subspan(0, k)), RefMth(d.subspan(k)));
}

std::vector<Hash> RefPath(uint64_t m, std::span<const Hash> d) {
  if (d.size() == 1) return {};
  size_t k = 1;
  while (k * 2 < d.size()) k *= 2;
  std::vector<Hash> out;
  if (m < k) {
    out = RefPath(m, d.subspan(0, k));
    out.push_back(RefMth(d.subspan(k)));
  } else {
    out = RefPath(m - k, d.subspan(k));
    out.push_back(RefMth(d.subspan(0, k)));
  }
  return out;
}

std::vector<Hash> RefSubproof(uint64_t m, std::span<const Hash> d, bool b) {
  if (m == d.size()) return b ? std::vector<Hash>{} : std::vector<Hash>{RefMth(d)};
  size_t k = 1;
  while (k * 2 < d.size()) k *= 2;
  std::vector<Hash> out;
  if (m <= k) {
    out = RefSubproof(m, d.subspan(0, k), b);
    out.push_back(RefMth(d.subspan(k)));
  } else {
    out = RefSubproof(m - k, d.subspan(k), false);
    out.push_back(RefMth(d.subspan(0, k)));
  }
  return out;
}

// Leaf hashes of the entries "0", "1", ... (as the Go tests' genEntries).
std::vector<Hash> GenLeafHashes(size_t n) {
  std::vector<Hash> out;
  for (size_t i = 0; i < n; i++) out.push_back(HashLeaf(std::to_string(i)));
  return out;
}

std::vector<Hash> VectorLeafHashes() {
  std::vector<Hash> out;
  for (const char* hex : td::kLeafInputs) out.push_back(HashLeaf(Unhex(hex)));
  return out;
}

Hash NodeHash(const td::NodeRef& ref) { return H(td::kNodeHashes[ref.level][ref.index]); }

// ---------------------------------------------------------------------------------------------
// Hashing

TEST(MerkleHash, PublishedVectors) {
  EXPECT_EQ(EmptyRoot(), H(td::kEmptyTreeHash));
  EXPECT_EQ(HashLeaf(""), H("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"));
  EXPECT_EQ(HashLeaf("L123456"), H(td::kLeafL123456Hash));
}

TEST(MerkleHash, DomainSeparation) {
  Hash a = HashLeaf("Hello"), b = HashLeaf("World");
  EXPECT_NE(a, b);
  Hash node = HashChildren(a, b);
  EXPECT_NE(node, HashLeaf(Bytes(a) + Bytes(b)));  // a node is not a leaf of its children
  EXPECT_NE(node, HashChildren(b, a));             // order matters
  EXPECT_NE(HashLeaf(""), EmptyRoot());            // an empty leaf is not the empty tree
  EXPECT_EQ(node, ComputeSha256("\x01" + Bytes(a) + Bytes(b)));
}

// ---------------------------------------------------------------------------------------------
// Roots and the frontier against testonly/constants.go

TEST(MerkleRoot, EveryPrefixOfThePublishedTree) {
  std::vector<Hash> leaves = VectorLeafHashes();
  MemoryHashSource source(leaves);
  Frontier frontier;
  for (size_t n = 0; n <= 8; n++) {
    SCOPED_TRACE("size " + std::to_string(n));
    if (n > 0) {
      ASSERT_TRUE(frontier.AppendData(Unhex(td::kLeafInputs[n - 1])).ok());
    }
    EXPECT_EQ(frontier.size(), n);
    EXPECT_EQ(frontier.Root(), H(td::kRootHashes[n]));
    auto at = RootAt(source, n);
    ASSERT_TRUE(at.ok());
    EXPECT_EQ(*at, H(td::kRootHashes[n]));
    EXPECT_EQ(RefMth(std::span(leaves).first(n)), H(td::kRootHashes[n]));
    std::vector<Hash> compact;
    for (const auto& ref : td::kCompactTrees[n]) compact.push_back(NodeHash(ref));
    EXPECT_EQ(frontier.hashes(), compact);
  }
}

TEST(MerkleRoot, NodeHashesOfThePublishedTree) {
  MemoryHashSource source(VectorLeafHashes());
  for (unsigned level = 0; level < td::kNodeHashes.size(); level++) {
    for (uint64_t i = 0; i < td::kNodeHashes[level].size(); i++) {
      auto h = source.NodeHash(level, i);
      ASSERT_TRUE(h.ok());
      EXPECT_EQ(*h, H(td::kNodeHashes[level][i])) << level << "/" << i;
    }
  }
  EXPECT_FALSE(source.NodeHash(0, 8).ok());  // past the last leaf
  EXPECT_FALSE(source.NodeHash(64, 0).ok());
}

TEST(MerkleFrontier, VisitsEveryCompletedNodeOnce) {
  Frontier frontier;
  std::map<std::pair<unsigned, uint64_t>, Hash> seen;
  for (const char* hex : td::kLeafInputs) {
    ASSERT_TRUE(frontier
                    .Append(HashLeaf(Unhex(hex)),
                            [&](unsigned level, uint64_t index, const Hash& h) {
                              EXPECT_TRUE(seen.emplace(std::pair(level, index), h).second);
                            })
                    .ok());
  }
  size_t total = 0;
  for (unsigned level = 0; level < td::kNodeHashes.size(); level++) {
    for (uint64_t i = 0; i < td::kNodeHashes[level].size(); i++, total++)
      EXPECT_EQ(seen.at({level, i}), H(td::kNodeHashes[level][i]));
  }
  EXPECT_EQ(seen.size(), total);
}

TEST(MerkleFrontier, RootMatchesReferenceUpTo300) {
  std::vector<Hash> leaves = GenLeafHashes(300);
  Frontier frontier;
  for (size_t n = 0; n <= leaves.size(); n++) {
    if (n > 0) {
      ASSERT_TRUE(frontier.Append(leaves[n - 1]).ok());
    }
    ASSERT_EQ(frontier.Root(), RefMth(std::span(leaves).first(n))) << n;
    ASSERT_EQ(frontier.hashes().size(), size_t(std::popcount(n)));
  }
}

TEST(MerkleFrontier, SerializeAndRestore) {
  std::vector<Hash> leaves = GenLeafHashes(140);
  Frontier frontier;
  for (size_t n = 0; n <= 130; n++) {
    if (n > 0) {
      ASSERT_TRUE(frontier.Append(leaves[n - 1]).ok());
    }
    std::string bytes = frontier.Serialize();
    ASSERT_EQ(bytes.size(), 16 + 32 * size_t(std::popcount(n)));
    auto restored = Frontier::Deserialize(bytes);
    ASSERT_TRUE(restored.ok()) << restored.status().ToString();
    ASSERT_EQ(*restored, frontier);
    // The restored frontier carries on exactly like the original.
    Frontier a = frontier, b = *restored;
    for (size_t i = n; i < n + 10; i++) {
      ASSERT_TRUE(a.Append(leaves[i]).ok());
      ASSERT_TRUE(b.Append(leaves[i]).ok());
      ASSERT_EQ(a.Root(), b.Root());
    }
    EXPECT_EQ(b.Root(), RefMth(std::span(leaves).first(n + 10)));
  }
}

TEST(MerkleFrontier, DeserializeRejectsDamage) {
  Frontier frontier;
  for (const Hash& h : GenLeafHashes(13)) ASSERT_TRUE(frontier.Append(h).ok());
  const std::string good = frontier.Serialize();
  for (size_t i = 0; i < good.size(); i++) {
    for (int bit = 0; bit < 8; bit++) {
      std::string bad = good;
      bad[i] ^= char(1 << bit);
      EXPECT_EQ(Frontier::Deserialize(bad).status().code(), Code::kCorruption) << i << "/" << bit;
    }
  }
  for (size_t len = 0; len < good.size(); len++)
    EXPECT_FALSE(Frontier::Deserialize(good.substr(0, len)).ok()) << len;
  EXPECT_FALSE(Frontier::Deserialize(good + std::string(32, '\0')).ok());
  EXPECT_FALSE(Frontier::FromHashes(13, {Hash{}, Hash{}}).ok());  // 13 = 0b1101 needs three
  EXPECT_TRUE(Frontier::FromHashes(13, {Hash{}, Hash{}, Hash{}}).ok());
}

TEST(MerkleFrontier, FullTree) {
  auto full = Frontier::FromHashes(std::numeric_limits<uint64_t>::max(), std::vector<Hash>(64));
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->Append(Hash{}).code(), Code::kLimitExceeded);
  auto restored = Frontier::Deserialize(full->Serialize());
  ASSERT_TRUE(restored.ok());
  EXPECT_EQ(restored->Root(), full->Root());
}

// ---------------------------------------------------------------------------------------------
// Published proofs (proof/verify_test.go) and their corruptions, as the Go tests build them.
//
// Go passes hashes as []byte, so some probes carry hashes of the wrong length ("WrongLeaf", an
// empty element). Ours are 32-byte values on the wire (hex) and in the API, so every probe is run
// twice: through a hex decoding like a proof read from JSON (a wrong length is refused there),
// and zero-padded to 32 bytes straight into the verifier. A corrupted probe must fail both ways.

struct InclusionProbe {
  uint64_t index, size;
  std::string root, leaf;
  std::vector<std::string> proof;
  std::string desc;
};

struct ConsistencyProbe {
  uint64_t size1, size2;
  std::string root1, root2;
  std::vector<std::string> proof;
  std::string desc;
};

std::optional<Hash> FromWire(const std::string& bytes) {
  return Sha256FromHex(ToHex(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
}

Hash Padded(const std::string& bytes) {
  Hash h{};
  std::copy_n(bytes.begin(), std::min(bytes.size(), h.size()), h.begin());
  return h;
}

Status WireInclusion(const InclusionProbe& p) {
  auto root = FromWire(p.root), leaf = FromWire(p.leaf);
  InclusionProof proof{p.index, p.size, {}};
  for (const auto& e : p.proof) {
    auto h = FromWire(e);
    if (!h) return Status::InvalidArgument("proof hash of " + std::to_string(e.size()) + " bytes");
    proof.path.push_back(*h);
  }
  if (!root || !leaf) return Status::InvalidArgument("root or leaf of the wrong length");
  return VerifyInclusion(proof, *leaf, *root);
}

Status PaddedInclusion(const InclusionProbe& p) {
  InclusionProof proof{p.index, p.size, {}};
  for (const auto& e : p.proof) proof.path.push_back(Padded(e));
  return VerifyInclusion(proof, Padded(p.leaf), Padded(p.root));
}

Status WireConsistency(const ConsistencyProbe& p) {
  auto root1 = FromWire(p.root1), root2 = FromWire(p.root2);
  ConsistencyProof proof{p.size1, p.size2, {}};
  for (const auto& e : p.proof) {
    auto h = FromWire(e);
    if (!h) return Status::InvalidArgument("proof hash of " + std::to_string(e.size()) + " bytes");
    proof.path.push_back(*h);
  }
  if (!root1 || !root2) return Status::InvalidArgument("root of the wrong length");
  return VerifyConsistency(proof, *root1, *root2);
}

Status PaddedConsistency(const ConsistencyProbe& p) {
  ConsistencyProof proof{p.size1, p.size2, {}};
  for (const auto& e : p.proof) proof.path.push_back(Padded(e));
  return VerifyConsistency(proof, Padded(p.root1), Padded(p.root2));
}

std::vector<std::string> Extend(std::vector<std::string> v, const std::string& tail) {
  v.push_back(tail);
  return v;
}
std::vector<std::string> Prepend(std::vector<std::string> v, const std::string& head) {
  v.insert(v.begin(), head);
  return v;
}

std::vector<InclusionProbe> CorruptInclusion(uint64_t i, uint64_t n,
                                             const std::vector<std::string>& proof,
                                             const std::string& root, const std::string& leaf) {
  const std::string some = Bytes(H(td::kSomeHash)), empty = Bytes(H(td::kEmptyTreeHash));
  std::vector<InclusionProbe> out = {
      {i - 1, n, root, leaf, proof, "index - 1"},
      {i + 1, n, root, leaf, proof, "index + 1"},
      {i ^ 2, n, root, leaf, proof, "index ^ 2"},
      {i, n * 2, root, leaf, proof, "size * 2"},
      {i, n / 2, root, leaf, proof, "size / 2"},
      {i, n, root, "WrongLeaf", proof, "wrong leaf"},
      {i, n, empty, leaf, proof, "empty root"},
      {i, n, some, leaf, proof, "random root"},
      {i, n, root, leaf, Extend(proof, ""), "trailing garbage"},
      {i, n, root, leaf, Extend(proof, root), "trailing root"},
      {i, n, root, leaf, Prepend(proof, ""), "preceding garbage"},
      {i, n, root, leaf, Prepend(proof, root), "preceding root"},
  };
  for (size_t k = 0; k < proof.size(); k++) {
    auto bad = proof;
    bad[k][0] ^= 8;
    out.push_back({i, n, root, leaf, bad, "modified proof[" + std::to_string(k) + "] bit 3"});
  }
  if (!proof.empty())
    out.push_back({i, n, root, leaf, std::vector<std::string>(proof.begin(), proof.end() - 1),
                   "removed component"});
  if (proof.size() > 1) {
    auto bad = proof;
    bad.insert(bad.begin() + 1, some);
    out.push_back({i, n, root, leaf, bad, "inserted component"});
  }
  return out;
}

std::vector<ConsistencyProbe> CorruptConsistency(uint64_t m, uint64_t n, const std::string& r1,
                                                 const std::string& r2,
                                                 const std::vector<std::string>& proof) {
  std::vector<ConsistencyProbe> out = {
      {m - 1, n, r1, r2, proof, "size1 - 1"},
      {m + 1, n, r1, r2, proof, "size1 + 1"},
      {m ^ 2, n, r1, r2, proof, "size1 ^ 2"},
      {m, n * 2, r1, r2, proof, "size2 * 2"},
      {m, n / 2, r1, r2, proof, "size2 / 2"},
      {m, n, "WrongRoot", r2, proof, "wrong root1"},
      {m, n, r1, "WrongRoot", proof, "wrong root2"},
      {m, n, r2, r1, proof, "swapped roots"},
      {m, n, r1, r2, {}, "empty proof"},
      {m, n, r1, r2, Extend(proof, ""), "trailing garbage"},
      {m, n, r1, r2, Extend(proof, r1), "trailing root1"},
      {m, n, r1, r2, Extend(proof, r2), "trailing root2"},
      {m, n, r1, r2, Prepend(proof, ""), "preceding garbage"},
      {m, n, r1, r2, Prepend(proof, r1), "preceding root1"},
      {m, n, r1, r2, Prepend(proof, r2), "preceding root2"},
      {m, n, r1, r2, Prepend(proof, proof[0]), "preceding proof[0]"},
      {m, n, r1, r2, std::vector<std::string>(proof.begin(), proof.end() - 1), "truncated proof"},
  };
  for (size_t k = 0; k < proof.size(); k++) {
    auto bad = proof;
    bad[k][0] ^= 16;
    out.push_back({m, n, r1, r2, bad, "modified proof[" + std::to_string(k) + "] bit 4"});
  }
  return out;
}

TEST(MerkleVectors, InclusionProofs) {
  std::vector<Hash> leaves = VectorLeafHashes();
  MemoryHashSource source(leaves);
  size_t probes = 0;
  for (size_t v = 1; v < td::kInclusionProofs.size(); v++) {  // entry 0 is not a valid path
    const auto& vec = td::kInclusionProofs[v];
    SCOPED_TRACE("vector " + std::to_string(v));
    const uint64_t index = vec.leaf - 1;
    const Hash leaf = HashLeaf(Unhex(td::kLeafInputs[index]));
    const Hash root = H(td::kRootHashes[vec.size]);
    InclusionProof proof{index, vec.size, Hs(vec.proof)};

    auto computed = RootFromInclusionProof(proof, leaf);
    ASSERT_TRUE(computed.ok()) << computed.status().ToString();
    EXPECT_EQ(*computed, root);
    EXPECT_TRUE(VerifyInclusion(proof, leaf, root).ok());
    EXPECT_EQ(InclusionPathLength(index, vec.size), vec.proof.size());
    // And we generate exactly the published proof.
    auto generated = ProveInclusion(source, index, vec.size);
    ASSERT_TRUE(generated.ok());
    EXPECT_EQ(generated->path, proof.path);

    std::vector<std::string> raw;
    for (const Hash& h : proof.path) raw.push_back(Bytes(h));
    InclusionProbe good{index, vec.size, Bytes(root), Bytes(leaf), raw, "happy path"};
    EXPECT_TRUE(WireInclusion(good).ok());
    for (const auto& p : CorruptInclusion(index, vec.size, raw, Bytes(root), Bytes(leaf))) {
      EXPECT_FALSE(WireInclusion(p).ok()) << p.desc;
      EXPECT_FALSE(PaddedInclusion(p).ok()) << p.desc;
      probes++;
    }
  }
  EXPECT_GE(probes, 5u * 12);
}

TEST(MerkleVectors, ConsistencyProofs) {
  MemoryHashSource source(VectorLeafHashes());
  for (size_t v = 0; v < td::kConsistencyProofs.size(); v++) {
    const auto& vec = td::kConsistencyProofs[v];
    SCOPED_TRACE("vector " + std::to_string(v));
    const Hash root1 = H(td::kRootHashes[vec.size1]), root2 = H(td::kRootHashes[vec.size2]);
    ConsistencyProof proof{vec.size1, vec.size2, Hs(vec.proof)};
    Status st = VerifyConsistency(proof, root1, root2);
    EXPECT_TRUE(st.ok()) << st.ToString();
    EXPECT_EQ(ConsistencyPathLength(vec.size1, vec.size2), vec.proof.size());
    auto generated = ProveConsistency(source, vec.size1, vec.size2);
    ASSERT_TRUE(generated.ok());
    EXPECT_EQ(generated->path, proof.path);
    if (proof.path.empty()) continue;  // as in Go: corruptions only of non-trivial proofs

    std::vector<std::string> raw;
    for (const Hash& h : proof.path) raw.push_back(Bytes(h));
    for (const auto& p :
         CorruptConsistency(vec.size1, vec.size2, Bytes(root1), Bytes(root2), raw)) {
      EXPECT_FALSE(WireConsistency(p).ok()) << p.desc;
      EXPECT_FALSE(PaddedConsistency(p).ok()) << p.desc;
    }
  }
}

// TestVerifyInclusionSingleEntry and the "additional" probes of cmd/proofgen.
TEST(MerkleVectors, InclusionEdgeCases) {
  const std::string hash = Bytes(HashLeaf("data")), some = Bytes(H(td::kSomeHash)),
                    empty_tree = Bytes(H(td::kEmptyTreeHash));
  struct Case {
    InclusionProbe probe;
    bool want_ok;
  };
  std::vector<Case> cases = {
      {{0, 1, hash, hash, {}, "matching root and leaf"}, true},
      {{0, 1, hash, "", {}, "empty leaf"}, false},
      {{0, 1, "", hash, {}, "empty root"}, false},
      {{0, 1, "", "", {}, "empty root and leaf"}, false},
  };
  for (auto [index, size] :
       std::vector<std::pair<uint64_t, uint64_t>>{{0, 0}, {0, 1}, {1, 0}, {2, 1}}) {
    cases.push_back({{index, size, "", some, {}, "random leaf"}, false});
    cases.push_back({{index, size, empty_tree, "", {}, "empty root"}, false});
    cases.push_back({{index, size, empty_tree, some, {}, "empty root and random leaf"}, false});
  }
  for (const auto& c : cases) {
    SCOPED_TRACE(c.probe.desc + " " + std::to_string(c.probe.index) + "/" +
                 std::to_string(c.probe.size));
    EXPECT_EQ(WireInclusion(c.probe).ok(), c.want_ok);
  }
}

// TestVerifyConsistency and the "additional" probes of cmd/proofgen (its newer expectations:
// a proof from the empty tree is refused). Go's placeholders "don't care 1/2" are arbitrary
// roots; ours must be 32 bytes.
TEST(MerkleVectors, ConsistencyEdgeCases) {
  const std::string r1 = Bytes(HashLeaf("don't care 1")), r2 = Bytes(HashLeaf("don't care 2")),
                    empty = Bytes(H(td::kEmptyTreeHash));
  struct Case {
    ConsistencyProbe probe;
    bool want_ok;
  };
  const std::vector<Case> cases = {
      {{0, 0, r1, r2, {}, "sizes are equal (zero) but roots are not"}, false},
      {{1, 1, r1, r2, {}, "sizes are equal (one) but roots are not"}, false},
      {{0, 0, r1, r1, {}, "sizes are equal (zero), roots are not the empty tree's"}, false},
      {{0, 1, r1, r2, {}, "size1 is zero and does not equal size2"}, false},
      {{1, 1, r2, r2, {}, "sizes are equal (one) and proof is empty"}, true},
      {{0, 0, empty, empty, {}, "empty trees"}, true},
      {{1, 0, r1, r2, {}, "size1 is greater than size2"}, false},
      {{2, 1, r1, r2, {}, "size1 is greater than size2 again"}, false},
      {{1, 2, r1, r2, {}, "sizes differ and proof is empty"}, false},
      {{0, 0, empty, r2, {}, "roots do not match and sizes are zero"}, false},
      {{1, 1, empty, r2, {}, "roots do not match and sizes are one"}, false},
      {{0, 0, empty, empty, {empty}, "sizes match but proof is not empty (zero)"}, false},
      {{1, 1, empty, empty, {empty}, "sizes match but proof is not empty (one)"}, false},
      {{0, 1, empty, r2, {}, "size1 is zero and size2 is not zero"}, false},
      {{0, 1, empty, empty, {empty}, "consistency check on empty tree is useless"}, false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.probe.desc);
    EXPECT_EQ(WireConsistency(c.probe).ok(), c.want_ok);
  }
}

// proof/proof_test.go: which nodes make up each proof, on the tree of entries "0", "1", ...
std::vector<Hash> ExpectedFromNodes(const td::NodeProofVector& v, std::span<const Hash> leaves) {
  std::vector<Hash> nodes;
  for (const auto& ref : v.nodes)
    nodes.push_back(RefMth(leaves.subspan(ref.index << ref.level, uint64_t{1} << ref.level)));
  if (v.rehash_begin == v.rehash_end) return nodes;
  std::vector<Hash> out(nodes.begin(), nodes.begin() + v.rehash_begin);
  Hash folded = nodes[v.rehash_begin];
  for (int i = v.rehash_begin + 1; i < v.rehash_end; i++) folded = HashChildren(nodes[i], folded);
  out.push_back(folded);
  out.insert(out.end(), nodes.begin() + v.rehash_end, nodes.end());
  return out;
}

TEST(MerkleVectors, InclusionProofNodes) {
  std::vector<Hash> leaves = GenLeafHashes(128);
  MemoryHashSource source(leaves);
  for (const auto& v : td::kInclusionNodeProofs) {
    SCOPED_TRACE("size " + std::to_string(v.a) + " index " + std::to_string(v.b));
    auto proof = ProveInclusion(source, v.b, v.a);
    ASSERT_TRUE(proof.ok()) << proof.status().ToString();
    EXPECT_EQ(proof->path, ExpectedFromNodes(v, leaves));
  }
  for (auto [size, index] : td::kInclusionNodeErrors)
    EXPECT_EQ(ProveInclusion(source, index, size).status().code(), Code::kInvalidArgument);
}

TEST(MerkleVectors, ConsistencyProofNodes) {
  std::vector<Hash> leaves = GenLeafHashes(128);
  MemoryHashSource source(leaves);
  for (const auto& v : td::kConsistencyNodeProofs) {
    SCOPED_TRACE("sizes " + std::to_string(v.a) + " -> " + std::to_string(v.b));
    auto proof = ProveConsistency(source, v.a, v.b);
    ASSERT_TRUE(proof.ok()) << proof.status().ToString();
    EXPECT_EQ(proof->path, ExpectedFromNodes(v, leaves));
  }
  for (auto [size1, size2] : td::kConsistencyNodeErrors)
    EXPECT_EQ(ProveConsistency(source, size1, size2).status().code(), Code::kInvalidArgument);
  EXPECT_FALSE(ProveConsistency(source, 0, 3).ok());
}

// ---------------------------------------------------------------------------------------------
// Properties over every tree up to size 100

TEST(MerkleProperty, EveryInclusionProofUpTo100) {
  std::vector<Hash> leaves = GenLeafHashes(101);
  MemoryHashSource source(leaves);
  for (uint64_t n = 1; n <= 100; n++) {
    auto span = std::span<const Hash>(leaves).first(n);
    const Hash root = RefMth(span);
    for (uint64_t i = 0; i < n; i++) {
      auto proof = ProveInclusion(source, i, n);
      ASSERT_TRUE(proof.ok());
      ASSERT_EQ(proof->path, RefPath(i, span)) << i << "/" << n;
      ASSERT_EQ(proof->path.size(), InclusionPathLength(i, n));
      ASSERT_TRUE(VerifyInclusion(*proof, leaves[i], root).ok()) << i << "/" << n;

      EXPECT_EQ(VerifyInclusion(*proof, HashLeaf("not a leaf"), root).code(), Code::kCorruption);
      if (n > 1) {
        EXPECT_FALSE(VerifyInclusion(*proof, leaves[i], leaves[i]).ok());
      }
      for (size_t k = 0; k < proof->path.size(); k++) {
        InclusionProof bad = *proof;
        bad.path[k][31] ^= 1;
        ASSERT_EQ(VerifyInclusion(bad, leaves[i], root).code(), Code::kCorruption);
      }
      for (uint64_t j : {i + 1, i - 1, n}) {  // the same proof claimed for another leaf
        if (j == i) continue;
        InclusionProof bad = *proof;
        bad.leaf_index = j;
        EXPECT_FALSE(VerifyInclusion(bad, leaves[i], root).ok()) << i << "->" << j << "/" << n;
      }
      InclusionProof longer = *proof;
      longer.path.push_back(root);
      EXPECT_EQ(VerifyInclusion(longer, leaves[i], root).code(), Code::kInvalidArgument);
      if (!proof->path.empty()) {
        InclusionProof shorter = *proof;
        shorter.path.pop_back();
        EXPECT_EQ(VerifyInclusion(shorter, leaves[i], root).code(), Code::kInvalidArgument);
      }
    }
  }
}

TEST(MerkleProperty, EveryConsistencyProofUpTo100) {
  std::vector<Hash> leaves = GenLeafHashes(100);
  MemoryHashSource source(leaves);
  std::vector<Hash> roots;
  for (size_t n = 0; n <= 100; n++) roots.push_back(RefMth(std::span(leaves).first(n)));
  for (uint64_t n = 1; n <= 100; n++) {
    for (uint64_t m = 1; m <= n; m++) {
      auto proof = ProveConsistency(source, m, n);
      ASSERT_TRUE(proof.ok());
      ASSERT_EQ(proof->path, RefSubproof(m, std::span<const Hash>(leaves).first(n), true))
          << m << "->" << n;
      ASSERT_EQ(proof->path.size(), ConsistencyPathLength(m, n));
      Status st = VerifyConsistency(*proof, roots[m], roots[n]);
      ASSERT_TRUE(st.ok()) << m << "->" << n << ": " << st.ToString();
      if (m == n) {
        EXPECT_FALSE(VerifyConsistency(*proof, roots[m], roots[m - 1]).ok());
        continue;
      }
      EXPECT_EQ(VerifyConsistency(*proof, roots[n], roots[m]).code(), Code::kCorruption);
      EXPECT_EQ(VerifyConsistency(*proof, roots[m - 1], roots[n]).code(), Code::kCorruption);
      EXPECT_EQ(VerifyConsistency(*proof, roots[m], roots[n - 1]).code(), Code::kCorruption);
      for (size_t k = 0; k < proof->path.size(); k++) {
        ConsistencyProof bad = *proof;
        bad.path[k][0] ^= 0x80;
        ASSERT_EQ(VerifyConsistency(bad, roots[m], roots[n]).code(), Code::kCorruption)
            << m << "->" << n << " hash " << k;
      }
      for (uint64_t other : {m - 1, m + 1}) {  // the proof claimed for another old size
        if (other == 0 || other > n) continue;
        ConsistencyProof bad = *proof;
        bad.old_size = other;
        EXPECT_FALSE(VerifyConsistency(bad, roots[other], roots[n]).ok()) << m << "~" << other;
      }
      ConsistencyProof longer = *proof;
      longer.path.push_back(roots[n]);
      EXPECT_EQ(VerifyConsistency(longer, roots[m], roots[n]).code(), Code::kInvalidArgument);
      ConsistencyProof shorter = *proof;
      shorter.path.pop_back();
      EXPECT_EQ(VerifyConsistency(shorter, roots[m], roots[n]).code(), Code::kInvalidArgument);
    }
  }
}

// A source with every complete node stored, as the archive will keep them, counting leaf reads.
class StoredNodes : public HashSource {
 public:
  Result<Hash> LeafHash(uint64_t index) override {
    leaf_reads++;
    return nodes.at({0, index});
  }
  Result<Hash> NodeHash(unsigned level, uint64_t index) override {
    auto it = nodes.find({level, index});
    if (it == nodes.end()) return Status::NotFound("node");
    if (level == 0) leaf_reads++;
    return it->second;
  }
  std::map<std::pair<unsigned, uint64_t>, Hash> nodes;
  size_t leaf_reads = 0;
};

TEST(MerkleProperty, StoredNodesGiveTheSameProofsCheaply) {
  std::vector<Hash> leaves = GenLeafHashes(200);
  MemoryHashSource memory(leaves);
  StoredNodes stored;
  Frontier frontier;
  for (const Hash& h : leaves) {
    ASSERT_TRUE(frontier
                    .Append(h,
                            [&](unsigned level, uint64_t index, const Hash& node) {
                              stored.nodes[{level, index}] = node;
                            })
                    .ok());
  }
  for (uint64_t n : {1, 2, 3, 7, 8, 63, 64, 65, 127, 199, 200}) {
    auto root = RootAt(stored, n);
    ASSERT_TRUE(root.ok());
    EXPECT_EQ(*root, RefMth(std::span(leaves).first(n)));
    for (uint64_t i = 0; i < n; i += 3) {
      stored.leaf_reads = 0;
      auto a = ProveInclusion(stored, i, n);
      auto b = ProveInclusion(memory, i, n);
      ASSERT_TRUE(a.ok() && b.ok());
      EXPECT_EQ(a->path, b->path);
      EXPECT_LE(stored.leaf_reads, 8u);  // one per level at most, never the whole tree
      auto c = ProveConsistency(stored, i + 1, n);
      auto d = ProveConsistency(memory, i + 1, n);
      ASSERT_TRUE(c.ok() && d.ok());
      EXPECT_EQ(c->path, d->path);
    }
  }
}

class FailingSource : public HashSource {
 public:
  Result<Hash> LeafHash(uint64_t index) override {
    if (index == 5) return Status::IOError("disk on fire");
    return HashLeaf(std::to_string(index));
  }
};

TEST(MerkleProof, SourceErrorsArePassedOn) {
  FailingSource source;
  EXPECT_EQ(ProveInclusion(source, 0, 8).status().code(), Code::kIOError);
  EXPECT_EQ(ProveConsistency(source, 3, 8).status().code(), Code::kIOError);
  EXPECT_EQ(RootAt(source, 6).status().code(), Code::kIOError);
  EXPECT_TRUE(RootAt(source, 5).ok());
}

TEST(MerkleProof, HugeSizesDoNotOverflow) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  EXPECT_EQ(InclusionPathLength(0, kMax), 64u);
  EXPECT_EQ(InclusionPathLength(kMax - 1, kMax), 63u);  // the lone last leaf: one hash per set bit
  EXPECT_EQ(InclusionPathLength(0, uint64_t{1} << 63), 63u);
  EXPECT_EQ(ConsistencyPathLength(uint64_t{1} << 63, kMax), 1u);  // MTH of the right half
  EXPECT_EQ(ConsistencyPathLength(kMax - 1, kMax), 64u);
  // Wrong lengths are refused before any hashing.
  EXPECT_EQ(VerifyInclusion({kMax - 1, kMax, {}}, Hash{}, Hash{}).code(), Code::kInvalidArgument);
  EXPECT_EQ(VerifyConsistency({kMax - 1, kMax, {}}, Hash{}, Hash{}).code(), Code::kInvalidArgument);
  // A right-length proof with garbage hashes is computed and refused.
  EXPECT_EQ(VerifyInclusion({kMax - 1, kMax, std::vector<Hash>(63)}, Hash{}, Hash{}).code(),
            Code::kCorruption);
  EXPECT_EQ(VerifyConsistency({kMax - 1, kMax, std::vector<Hash>(64)}, Hash{}, Hash{}).code(),
            Code::kCorruption);
  EXPECT_EQ(VerifyInclusion({kMax, kMax, {}}, Hash{}, Hash{}).code(), Code::kInvalidArgument);
}

TEST(MerkleProof, ErrorsSayWhy) {
  std::vector<Hash> leaves = GenLeafHashes(8);
  MemoryHashSource source(leaves);
  auto proof = ProveInclusion(source, 2, 8);
  ASSERT_TRUE(proof.ok());
  InclusionProof shorter = *proof;
  shorter.path.pop_back();
  EXPECT_EQ(VerifyInclusion(shorter, leaves[2], RefMth(leaves)).message(),
            "inclusion proof for leaf 2 in a tree of size 8 has 2 hashes, not 3");
  Status st = VerifyInclusion(*proof, leaves[3], RefMth(leaves));
  EXPECT_EQ(st.code(), Code::kCorruption);
  EXPECT_NE(st.message().find("leads to root"), std::string::npos) << st.message();
  EXPECT_EQ(VerifyInclusion({8, 8, {}}, leaves[0], RefMth(leaves)).message(),
            "leaf 8 is not in a tree of size 8");
  EXPECT_NE(VerifyConsistency({5, 3, {}}, Hash{}, Hash{}).message().find("larger"),
            std::string::npos);
}

}  // namespace
}  // namespace custodian::ledger
