// Publisher signatures on plugin manifests. A publisher signs the manifest (which carries the
// library's sha256, so the signature covers the library too) with an Ed25519 key through
// OpenSSL; the host checks it against the publisher keys the policy trusts before anything is
// loaded. The signed bytes are a fixed domain prefix followed by the canonical JSON of the
// manifest without its "signature" member, so formatting and key order do not matter and a
// signature cannot be replayed as some other kind of toolgate signature.
//
// In the manifest:   "signature": {"keyId": "<16 hex>", "algorithm": "Ed25519", "value": "<base64>"}
// The key id is the first 8 bytes (16 hex digits) of SHA-256 over the raw 32-byte public key; it
// only selects a key, verification always uses the whole key.
//
// Keys are immutable values once loaded; every function here is pure apart from the named file
// reads and is safe to call from any thread.
#pragma once

#include <boost/json.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/json_reader.hpp"

typedef struct evp_pkey_st EVP_PKEY;

namespace toolgate {

inline constexpr const char* kSignatureAlgorithm = "Ed25519";

struct PublisherKey {
  std::string name;    // the operator's label: policy "name", or the key file's stem
  std::string key_id;  // 16 lower-case hex digits
  std::string raw;     // the 32-byte public key
};

struct SigningKey {
  std::shared_ptr<EVP_PKEY> pkey;
  PublisherKey pub;
};

// One entry of policy `plugins.trustedPublishers`: a key file (PEM "PUBLIC KEY" or one line of
// base64), or a base64 key given inline. Exactly one of file / key_base64 is set.
struct TrustedPublisherSpec {
  std::string name;
  std::string file;  // absolute
  std::string key_base64;
};

struct TrustPolicy {
  bool require_signed = false;
  std::vector<PublisherKey> publishers;
};

std::string base64_encode(std::string_view bytes);
// Standard alphabet with padding; whitespace is not accepted. nullopt when not valid base64.
std::optional<std::string> base64_decode(std::string_view text);

std::string key_id_of(std::string_view raw_public_key);
SigningKey generate_signing_key();
std::string private_key_pem(const SigningKey& key);
std::string public_key_pem(const PublisherKey& key);
// A PKCS#8 PEM Ed25519 private key, as `toolgate plugin keygen` writes it.
std::optional<SigningKey> load_signing_key(const std::string& path, std::string& error);
// PEM "PUBLIC KEY" text, or the base64 of the raw 32-byte key (surrounding whitespace ignored).
std::optional<PublisherKey> parse_public_key(const std::string& text, const std::string& name, std::string& error);
std::optional<PublisherKey> load_public_key_file(const std::string& path, const std::string& name,
                                                 std::string& error);

// The exact bytes a manifest signature covers.
std::string manifest_signing_input(const boost::json::object& manifest);
// The "signature" member for `manifest` (any existing signature is ignored).
boost::json::object sign_manifest(const boost::json::object& manifest, const SigningKey& key);

struct TrustVerdict {
  bool ok = false;
  bool is_signed = false;
  std::string publisher;  // name of the publisher whose key verified, when is_signed && ok
  std::string reason;     // when !ok: why the plugin is refused
};

// Checks a parsed manifest document against the policy. Refused: no signature while
// require_signed; a malformed signature; an algorithm other than Ed25519; a key id no trusted
// publisher has; a signature that does not verify (manifest edited after signing, or signed with
// another key). Unsigned manifests pass when signatures are not required.
TrustVerdict check_manifest_trust(const boost::json::object& manifest, const TrustPolicy& policy);

// Resolves policy entries into keys, reading key files. Errors name the entry.
std::optional<TrustPolicy> load_trust_policy(bool require_signed, const std::vector<TrustedPublisherSpec>& specs,
                                             JsonErrors& errors);

}  // namespace toolgate
