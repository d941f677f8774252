// Internal to src/dkim: the verification of one message, shared by DKIM and ARC.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <tuple>

#include "dkim/dkim.h"
#include "dkim/key_record.h"
#include "dkim/message.h"
#include "dkim/signature.h"

namespace custodian::dkim::internal {

// "2015-06-11 02:05:37 UTC".
std::string FormatTime(int64_t seconds);

class Verifier {
 public:
  // `message` and `keys` (which may be null) must outlive the Verifier.
  Verifier(const ParsedMessage& message, KeySource* keys, const VerifyOptions& options);

  const ParsedMessage& message() const { return message_; }
  int64_t now() const { return now_; }

  // Verifies the DKIM-Signature or ARC-Message-Signature at message().headers[field_index].
  SignatureResult VerifySignature(size_t field_index, SignatureKind kind);

  // Looks up, parses and checks the key for `sig`, filling the key fields of *r. On failure
  // returns nullopt with r->result and r->reason set.
  std::optional<PublicKey> Key(const ParsedSignature& sig, SignatureResult* r);

  // The canonical header field `field_index` with its b= value emptied and no final CRLF: the
  // last piece of every signed header hash.
  std::string StrippedSignatureField(size_t field_index, const ParsedSignature& sig,
                                     Canonicalization canon) const;

 private:
  struct BodyDigest {
    std::string digest;
    uint64_t total = 0;
    uint64_t hashed = 0;
  };
  const BodyDigest& Body(Algorithm algorithm, Canonicalization canon,
                         std::optional<uint64_t> limit);
  std::string HeaderHashInput(size_t field_index, const ParsedSignature& sig,
                              SignatureResult* r) const;

  const ParsedMessage& message_;
  KeySource* keys_;
  VerifyOptions options_;
  int64_t now_;
  std::map<std::tuple<bool, int, uint64_t>, BodyDigest> bodies_;
  std::map<std::string, KeyLookup> lookups_;  // one lookup per name per message
};

// The ARC chain of the message (arc.cc).
ArcResult VerifyArcChain(Verifier* verifier);

}  // namespace custodian::dkim::internal
