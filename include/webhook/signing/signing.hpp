#ifndef WEBHOOK_SIGNING_SIGNING_HPP
#define WEBHOOK_SIGNING_SIGNING_HPP

/** @file
    Payload signing (sender side) and verification (receiver side).

    Two schemes, chosen per endpoint with the `signing` variant:

    - **Standard Webhooks** (`standard_webhooks_signing`, https://www.standardwebhooks.com,
      spec version 1.0.0). Three headers: `webhook-id`, `webhook-timestamp` (Unix seconds) and
      `webhook-signature`, a space-separated list of `<version>,<base64 signature>`, one per
      key, in key order. The signed content is `<id>.<timestamp>.<body>`, the exact bytes sent.
      Keys are text:
      - `whsec_<base64>`: version `v1`, HMAC-SHA256 keyed with the base64-decoded bytes (at
        least 24 of them, as the specification requires).
      - `whsk_<base64>`: version `v1a`, Ed25519 (RFC 8032); the base64 is of the 32-byte
        private key (the seed), as the specification's reference libraries read it.
      - `whpk_<base64>`: the matching 32-byte Ed25519 public key, for receivers only
        (`standard_webhooks_public_key` derives it from the `whsk_` key).
      Several keys at once (key rotation) give several signatures in the one header.
    - **An HMAC header** (`hmac_header_signing`), for receivers that expect e.g.
      `X-Hub-Signature-256: sha256=<hex>`: one header, `<prefix><HMAC of the content>`, with
      the algorithm, encoding, prefix and header name configurable. The key is the secret's
      text, byte for byte. The content is the body, or `<timestamp>.<body>` when a timestamp
      header is configured (the timestamp, Unix seconds, is then sent in that header too).

    Senders prepare a `request_signer` once per configuration (keys are decoded and loaded
    into OpenSSL then, not per request) and call `sign` for each attempt. Receivers written in
    C++ use `standard_webhooks_verifier` or `hmac_header_verifier`: constant-time comparison,
    a timestamp tolerance (5 minutes both ways by default), and any of several keys.

    Secrets never appear in error messages, problems or exceptions: they name the key by its
    position (`keys[1]`) and say what is wrong with it.
*/

#include <webhook/config/signing_options.hpp>
#include <webhook/detail/hmac.hpp>
#include <webhook/error.hpp>
#include <webhook/secret.hpp>

#include <boost/beast/http/fields.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace webhook {

namespace detail {
struct signing_access; // builds the classes below from a configuration
} // namespace detail

/** The `whpk_` public key of a `whsk_` secret key, to hand to receivers.
    @throws boost::system::system_error with `error::invalid_signing_secret` when `secret_key`
    is not a valid `whsk_` key (the message does not quote it). */
std::string standard_webhooks_public_key(const secret& secret_key);
/// As above; on error, sets `ec` and returns an empty string.
std::string standard_webhooks_public_key(const secret& secret_key, boost::system::error_code& ec);

/** Scratch space for `request_signer::sign`. Keep one per thread (or per connection) and
    pass it to every call: once the strings have grown, signing allocates nothing of its own
    (OpenSSL's per-operation contexts and Beast's header storage aside). */
struct sign_buffers {
    /// The signature header's value.
    std::string value{};
    /// The whole signed content, which Ed25519 (`v1a`) needs in one piece.
    std::string message{};
};

/** A signing configuration, prepared: keys decoded and loaded into OpenSSL once. Immutable
    after `make`; copies share the loaded keys; `sign` may run on many threads at once. */
class request_signer {
public:
    /// Signs nothing (`enabled()` is false).
    request_signer() = default;

    /** Prepares `s`.
        @throws boost::system::system_error with the first problem `validate(s)` finds: its
        code, and `path: message` as the text (never a key). */
    static request_signer make(const signing& s);

    /// As above; on error, sets `ec` to the first problem's code and returns a signer that
    /// signs nothing.
    static request_signer make(const signing& s, boost::system::error_code& ec);

    /// False for `no_signing` (then `sign` leaves the fields alone).
    bool enabled() const noexcept { return kind_ != kind::none; }

    /** Sets the signature headers on `fields`, replacing earlier values (a retry re-signs
        with a new timestamp): for Standard Webhooks `webhook-id`, `webhook-timestamp` and
        `webhook-signature`; for an HMAC header that header and the timestamp header if any.

        @param fields       the request's headers (an `http_request` is one)
        @param id           the event's id, the same on every retry (Standard Webhooks only).
                            Must not be empty, nor contain `.` (the specification forbids it:
                            it would make the signed content ambiguous) or control characters,
                            nor start or end with a space or tab (a header value loses them).
        @param unix_seconds the attempt's time, seconds since 1970-01-01T00:00:00Z
        @param body         the exact bytes sent as the body (after compression, if any)
        @param buffers      scratch space reused across calls
        @throws boost::system::system_error with `error::invalid_header_value` for a bad `id`;
        `std::bad_alloc` if OpenSSL fails. */
    void sign(boost::beast::http::fields& fields, std::string_view id, std::int64_t unix_seconds,
              std::string_view body, sign_buffers& buffers) const;

    /// As above, with buffers of its own (which it allocates).
    void sign(boost::beast::http::fields& fields, std::string_view id, std::int64_t unix_seconds,
              std::string_view body) const;

private:
    enum class kind : unsigned char { none, standard_webhooks, hmac_header };
    friend struct detail::signing_access;

    kind kind_ = kind::none;
    // Standard Webhooks: one per configured key, in order (v1 or v1a).
    std::vector<std::variant<detail::hmac_key, detail::ed25519_key>> keys_;
    // HMAC header: the key is keys_[0].
    std::string header_;
    std::string timestamp_header_;
    std::string prefix_;
    signature_encoding encoding_ = signature_encoding::hex;
};

/// Receiver-side settings.
struct verify_options {
    /** How far the signed timestamp may lie from the receiver's clock, either way (older, or in
        the future): accepted when `|timestamp - now| <= tolerance`, `now` truncated to whole
        seconds. 5 minutes by default, as in the Standard Webhooks reference libraries. */
    std::chrono::seconds tolerance{300};
    friend bool operator==(const verify_options&, const verify_options&) = default;
};

/** Verifies Standard Webhooks requests, for receivers written in C++.

    The outcome, checked in this order:
    - `error::signature_missing`: a header is absent or empty.
    - `error::signature_malformed`: the timestamp is not a decimal integer (digits only, no
      sign, fits in 64 bits).
    - `error::signature_timestamp_out_of_tolerance`: the timestamp is outside the tolerance.
    - `error::signature_malformed`: the signature header holds no well-formed entry. Entries
      are separated by spaces; one is well-formed when it is `<version>,<value>` with both
      non-empty and, for `v1` and `v1a`, the value is strict base64 of 32 and 64 bytes.
    - `error::signature_mismatch`: no entry verifies with any key. Entries of other versions
      (`v2,...`) and malformed entries next to well-formed ones are skipped, as the
      specification asks receivers to try each signature until one matches; a header of only
      unknown versions (or only `v1a` for a verifier holding only `whsec_` keys) is therefore
      a mismatch, not malformed.
    - no error: some `v1` entry equals (constant-time) the HMAC with some `whsec_` key, or some
      `v1a` entry verifies with some `whpk_` key.

    The timestamp is checked before any signature, so a stale request costs no cryptography. */
class standard_webhooks_verifier {
public:
    /** Prepares a verifier for `keys`, each `whsec_...` or `whpk_...` (a `whsk_` secret key is
        refused: a receiver should hold only the public key).
        @throws boost::system::system_error with `error::invalid_signing_secret` for an empty
        list or a malformed key; the message names the key's position, never its text. */
    static standard_webhooks_verifier make(const std::vector<secret>& keys,
                                           const verify_options& options = {});
    /// As above; on error, sets `ec` and returns a verifier that accepts nothing.
    static standard_webhooks_verifier make(const std::vector<secret>& keys,
                                           const verify_options& options,
                                           boost::system::error_code& ec);

    /** Verifies one request.
        @param id, timestamp, signature the `webhook-id`, `webhook-timestamp` and
               `webhook-signature` header values as received (empty when absent)
        @param body the exact body bytes received
        @param now  the receiver's current time
        @throws std::bad_alloc only. */
    boost::system::error_code verify(std::string_view id, std::string_view timestamp,
                                     std::string_view signature, std::string_view body,
                                     std::chrono::system_clock::time_point now) const;

    /// As above, reading the three headers from `headers` (the first of each name).
    boost::system::error_code verify(const boost::beast::http::fields& headers,
                                     std::string_view body,
                                     std::chrono::system_clock::time_point now) const;

private:
    friend struct detail::signing_access;
    standard_webhooks_verifier() = default;

    std::vector<detail::hmac_key> v1_;
    std::vector<detail::ed25519_key> v1a_;
    verify_options options_{};
};

/** Verifies requests signed with an HMAC header (`hmac_header_signing`).

    The outcome, checked in this order:
    - `error::signature_missing`: the signature header, or the timestamp header when one is
      configured, is absent or empty.
    - `error::signature_malformed`: the timestamp is not a decimal integer.
    - `error::signature_timestamp_out_of_tolerance`.
    - `error::signature_malformed`: the signature does not start with the prefix (compared
      ignoring ASCII case), or what follows is not hex (either case) or strict base64 of
      exactly the algorithm's size.
    - `error::signature_mismatch`: it equals (constant-time) the HMAC with none of the keys.
    - no error. */
class hmac_header_verifier {
public:
    /** Prepares a verifier for requests signed as `scheme` says, with any of `keys` (during a
        rotation, the old and the new), or with `scheme.key` alone when `keys` is empty.
        @throws boost::system::system_error with the first problem (as `validate` finds them
        for `scheme`; a bad extra key is `keys[i]`); never quoting a key. */
    static hmac_header_verifier make(const hmac_header_signing& scheme,
                                     const std::vector<secret>& keys = {},
                                     const verify_options& options = {});
    /// As above; on error, sets `ec` and returns a verifier that accepts nothing.
    static hmac_header_verifier make(const hmac_header_signing& scheme,
                                     const std::vector<secret>& keys, const verify_options& options,
                                     boost::system::error_code& ec);

    /** Verifies one request.
        @param signature the signature header's value as received (empty when absent)
        @param timestamp the timestamp header's value (ignored when the scheme has none)
        @param body      the exact body bytes received
        @param now       the receiver's current time
        @throws std::bad_alloc only. */
    boost::system::error_code verify(std::string_view signature, std::string_view timestamp,
                                     std::string_view body,
                                     std::chrono::system_clock::time_point now) const;

    /// As above, reading the configured headers from `headers` (the first of each name).
    boost::system::error_code verify(const boost::beast::http::fields& headers,
                                     std::string_view body,
                                     std::chrono::system_clock::time_point now) const;

private:
    friend struct detail::signing_access;
    hmac_header_verifier() = default;

    std::vector<detail::hmac_key> keys_;
    std::size_t mac_size_ = 0;
    std::string header_;
    std::string timestamp_header_;
    std::string prefix_;
    signature_encoding encoding_ = signature_encoding::hex;
    verify_options options_{};
};

} // namespace webhook

#include <webhook/signing/impl/signing.hpp>

#endif
