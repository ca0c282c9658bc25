#ifndef WEBHOOK_CONFIG_SIGNING_OPTIONS_HPP
#define WEBHOOK_CONFIG_SIGNING_OPTIONS_HPP

// How an endpoint signs its requests: the options and their checks, which need no OpenSSL.
// The signer and the verifiers are in <webhook/signing.hpp>, whose top comment describes the
// schemes and the key formats.

#include <webhook/error.hpp>
#include <webhook/secret.hpp>

#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace webhook {

/// Requests are not signed.
struct no_signing {
    friend bool operator==(const no_signing&, const no_signing&) = default;
};

/** Standard Webhooks signatures (see the top of this header for the key formats). Each key
    is `whsec_...` (signs `v1`, HMAC-SHA256) or `whsk_...` (signs `v1a`, Ed25519); give the
    new and the old key during a rotation and the receiver may hold either. */
struct standard_webhooks_signing {
    std::vector<secret> keys{};
    friend bool operator==(const standard_webhooks_signing&,
                           const standard_webhooks_signing&) = default;
};

/// The HMAC's hash function.
enum class hmac_algorithm { sha256, sha512 };

/// How a signature's bytes are written in a header.
enum class signature_encoding {
    /// Lowercase hexadecimal (`hmac_header_verifier` accepts either case).
    hex,
    /// Standard base64 (RFC 4648 section 4) with padding.
    base64,
};

/** One HMAC signature header, as many receivers expect it (GitHub's
    `X-Hub-Signature-256: sha256=<hex>` is `{.header = "X-Hub-Signature-256", .key = ...}`).

    The header carries `prefix` followed by the encoded HMAC of the content; the content is
    the body, or `<timestamp>.<body>` when `timestamp_header` is set, in which case the same
    timestamp (Unix seconds, decimal) is sent in that header. */
struct hmac_header_signing {
    std::string header = "X-Webhook-Signature";
    hmac_algorithm algorithm = hmac_algorithm::sha256;
    signature_encoding encoding = signature_encoding::hex;
    /// Written before the encoded signature; may be empty.
    std::string prefix = "sha256=";
    /// The HMAC key: the secret's text, byte for byte (no decoding). Must not be empty.
    secret key{};
    /// Empty: the body alone is signed and no timestamp is sent.
    std::string timestamp_header{};
    friend bool operator==(const hmac_header_signing&, const hmac_header_signing&) = default;
};

/// How an endpoint signs its requests.
using signing = std::variant<no_signing, standard_webhooks_signing, hmac_header_signing>;

/// The Standard Webhooks header names.
inline constexpr std::string_view webhook_id_header = "webhook-id";
inline constexpr std::string_view webhook_timestamp_header = "webhook-timestamp";
inline constexpr std::string_view webhook_signature_header = "webhook-signature";

/** One problem in a signing configuration: where, relative to the scheme's struct (`keys[1]`,
    `header`, `timestamp_header`), what (`is not whsec_ followed by base64`), and the error
    `request_signer::make` reports for it. The message never quotes a key. */
struct signing_problem {
    std::string path{};
    std::string message{};
    error code = error::invalid_signing_secret;
    friend bool operator==(const signing_problem&, const signing_problem&) = default;
};

/** Every problem of a signing configuration, in member order, or none. Checks what can be
    checked without loading the keys; `request_signer::make` also loads them into OpenSSL.

    - Standard Webhooks: an empty key list; a key that is empty, has no known prefix, is not
      strict base64 after it, is too short (`whsec_`: under 24 bytes) or the wrong size
      (`whsk_`: not 32 bytes), or is a `whpk_` public key (which cannot sign). All
      `error::invalid_signing_secret`.
    - HMAC header: a header or timestamp header name that is not an HTTP token
      (`error::invalid_header_name`) or that the library sets itself or that frames the
      message (`Host`, `Content-Length`, `Transfer-Encoding`, `Connection`, `Content-Type`,
      `Content-Encoding`, `User-Agent`, `webhook-id`, `webhook-timestamp`,
      `webhook-signature`, and the hop-by-hop `Keep-Alive`, `Proxy-Connection`, `TE`,
      `Trailer`, `Upgrade`; `error::invalid_header_name`), the same name for both, a prefix
      with control characters (`error::invalid_header_value`), an empty key
      (`error::invalid_signing_secret`). An endpoint also refuses `Authorization` there when
      it has authentication. */
std::vector<signing_problem> validate(const signing& s);

} // namespace webhook

#include <webhook/config/impl/signing_options.hpp>

#endif
