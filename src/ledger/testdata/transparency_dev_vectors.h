// RFC 6962 Merkle tree test vectors published by github.com/transparency-dev/merkle
// (Apache License 2.0, Copyright Google LLC), carried here as test data:
//   testonly/constants.go       leaf inputs, node hashes, root hash of every prefix, frontiers
//   proof/verify_test.go        inclusion and consistency proofs (also cmd/proofgen/main.go,
//                               which writes the same vectors and their corruptions to testdata/)
//   proof/proof_test.go         which tree nodes each proof is made of, for trees up to size 95
//   rfc6962/rfc6962_test.go     single hash vectors
// Only the data is taken; the tests that use it (merkle_test.cc) are our own.
#pragma once

#include <cstdint>
#include <vector>

namespace custodian::ledger::testdata {

// testonly.LeafInputs(), hex.
inline const char* const kLeafInputs[8] = {
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
};

// testonly.RootHashes(): the root of the tree of the first n leaf inputs, for n = 0..8.
inline const char* const kRootHashes[9] = {
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

// testonly.NodeHashes(): [level][index] for every perfect subtree of the 8-leaf tree.
inline const std::vector<std::vector<const char*>> kNodeHashes = {
    {
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    },
    {
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    },
    {
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    },
    {
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    },
};

struct NodeRef {
  unsigned level;
  uint64_t index;
};

// testonly.CompactTrees(): the compact range (our Frontier) after each of the 8 appends, as
// references into kNodeHashes; entry n is the tree of n leaves.
inline const std::vector<std::vector<NodeRef>> kCompactTrees = {
    {},
    {{0, 0}},
    {{1, 0}},
    {{1, 0}, {0, 2}},
    {{2, 0}},
    {{2, 0}, {0, 4}},
    {{2, 0}, {1, 2}},
    {{2, 0}, {1, 2}, {0, 6}},
    {{3, 0}},
};

inline const char* const kEmptyTreeHash =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
inline const char* const kSomeHash =  // sha256SomeHash: an arbitrary wrong hash
    "abacaba000000000000000000000000000000000000000000060061e00123456";

// proof/verify_test.go inclusionProofs. `leaf` is 1-based as there: the proof is for leaf
// index leaf-1 in the tree of `size` leaves, whose root is kRootHashes[size].
struct InclusionVector {
  uint64_t leaf;
  uint64_t size;
  std::vector<const char*> proof;
};
inline const std::vector<InclusionVector> kInclusionProofs = {
    {0, 0, {}},  // invalid path, skipped by the Go test as well
    {1, 1, {}},
    {1, 8,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {6, 8,
     {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {3, 3, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
    {2, 5,
     {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
};

// proof/verify_test.go consistencyProofs: roots are kRootHashes[size1] and kRootHashes[size2].
struct ConsistencyVector {
  uint64_t size1;
  uint64_t size2;
  std::vector<const char*> proof;
};
inline const std::vector<ConsistencyVector> kConsistencyProofs = {
    {1, 1, {}},
    {1, 8,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {6, 8,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2, 5,
     {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
    {6, 7,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
};

// rfc6962/rfc6962_test.go: the hash of the leaf "L123456".
inline const char* const kLeafL123456Hash =
    "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56";

// proof/proof_test.go TestInclusion and TestConsistency: the nodes a proof is made of, by
// (level, index) of perfect subtrees; the entries in [rehash_begin, rehash_end) are folded into
// one hash (h = e[begin]; h = HashChildren(e[i], h) for the rest), standing for a node on the
// tree's ragged right edge. rehash_begin == rehash_end: no folding.
struct NodeProofVector {
  uint64_t a;  // inclusion: tree size;  consistency: size1
  uint64_t b;  // inclusion: leaf index; consistency: size2
  std::vector<NodeRef> nodes;
  int rehash_begin = 0;
  int rehash_end = 0;
};

inline const std::vector<NodeProofVector> kInclusionNodeProofs = {
    {1, 0, {}},
    {2, 0, {{0, 1}}},
    {2, 1, {{0, 0}}},
    {3, 1, {{0, 0}, {0, 2}}},
    {7, 0, {{0, 1}, {1, 1}, {0, 6}, {1, 2}}, 2, 4},
    {7, 1, {{0, 0}, {1, 1}, {0, 6}, {1, 2}}, 2, 4},
    {7, 2, {{0, 3}, {1, 0}, {0, 6}, {1, 2}}, 2, 4},
    {7, 3, {{0, 2}, {1, 0}, {0, 6}, {1, 2}}, 2, 4},
    {7, 4, {{0, 5}, {0, 6}, {2, 0}}},
    {7, 5, {{0, 4}, {0, 6}, {2, 0}}},
    {7, 6, {{1, 2}, {2, 0}}},
    {4, 2, {{0, 3}, {1, 0}}},
    {5, 3, {{0, 2}, {1, 0}, {0, 4}}},
    {6, 3, {{0, 2}, {1, 0}, {1, 2}}},
    {6, 4, {{0, 5}, {2, 0}}},
    {15, 10, {{0, 11}, {1, 4}, {0, 14}, {1, 6}, {3, 0}}, 2, 4},
    {31, 24, {{0, 25}, {1, 13}, {0, 30}, {1, 14}, {3, 2}, {4, 0}}, 2, 4},
    {95, 81, {{0, 80}, {1, 41}, {2, 21}, {0, 94}, {1, 46}, {2, 22}, {4, 4}, {6, 0}}, 3, 6},
};
// (tree size, leaf index) pairs that have no inclusion proof.
inline const std::vector<std::pair<uint64_t, uint64_t>> kInclusionNodeErrors = {
    {0, 0}, {0, 1}, {1, 2}, {0, 3}, {7, 8}};

inline const std::vector<NodeProofVector> kConsistencyNodeProofs = {
    {1, 2, {{0, 1}}},
    {1, 4, {{0, 1}, {1, 1}}},
    {1, 6, {{0, 1}, {1, 1}, {1, 2}}},
    {2, 3, {{0, 2}}},
    {2, 8, {{1, 1}, {2, 1}}},
    {3, 7, {{0, 2}, {0, 3}, {1, 0}, {0, 6}, {1, 2}}, 3, 5},
    {4, 7, {{0, 6}, {1, 2}}, 0, 2},
    {5, 7, {{0, 4}, {0, 5}, {0, 6}, {2, 0}}},
    {6, 7, {{1, 2}, {0, 6}, {2, 0}}},
    {7, 8, {{0, 6}, {0, 7}, {1, 2}, {2, 0}}},
    {1, 1, {}},
    {2, 2, {}},
    {3, 3, {}},
    {4, 4, {}},
    {5, 5, {}},
    {7, 7, {}},
    {8, 8, {}},
    {2, 4, {{1, 1}}},
    {3, 5, {{0, 2}, {0, 3}, {1, 0}, {0, 4}}},
    {3, 6, {{0, 2}, {0, 3}, {1, 0}, {1, 2}}},
    {4, 6, {{1, 2}}},
    {1, 7, {{0, 1}, {1, 1}, {0, 6}, {1, 2}}, 2, 4},
    {10, 15, {{1, 4}, {1, 5}, {0, 14}, {1, 6}, {3, 0}}, 2, 4},
    {24, 31, {{3, 2}, {0, 30}, {1, 14}, {2, 6}, {4, 0}}, 1, 4},
    {81, 95, {{0, 80}, {0, 81}, {1, 41}, {2, 21}, {0, 94}, {1, 46}, {2, 22}, {4, 4}, {6, 0}}, 4, 7},
};
// (size1, size2) pairs that have no consistency proof.
inline const std::vector<std::pair<uint64_t, uint64_t>> kConsistencyNodeErrors = {{5, 0}, {9, 8}};

}  // namespace custodian::ledger::testdata
