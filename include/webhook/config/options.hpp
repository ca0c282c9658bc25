#ifndef WEBHOOK_CONFIG_OPTIONS_HPP
#define WEBHOOK_CONFIG_OPTIONS_HPP

/** @file
    An endpoint's settings as plain data: `webhook::endpoint` and the option structs it is made
    of. No function here reads, checks or prints them: see `<webhook/endpoint.hpp>`. Each
    member is a configuration key (config/describe.hpp lists them for Boost.Describe). */

#include <webhook/config/circuit.hpp>
#include <webhook/config/retry.hpp>
#include <webhook/config/signing_options.hpp>
#include <webhook/json/data_path.hpp>
#include <webhook/secret.hpp>
#include <webhook/transport/options.hpp>

#include <boost/beast/http/verb.hpp>

#include <chrono>
#include <cstddef>
#include <string>
#include <variant>
#include <vector>

namespace webhook {

/// HTTP Basic authentication (RFC 7617). The username must not contain `:`.
struct basic_auth {
    std::string username{};
    secret password{};
    friend bool operator==(const basic_auth&, const basic_auth&) = default;
};

/// A bearer token (RFC 6750): `Authorization: Bearer <token>`.
struct bearer_auth {
    secret token{};
    friend bool operator==(const bearer_auth&, const bearer_auth&) = default;
};

/// No `Authorization` header (extra headers may still carry an API key).
struct no_auth {
    friend bool operator==(const no_auth&, const no_auth&) = default;
};

/// How an OAuth 2.0 client proves its identity to the token endpoint (RFC 6749 section 2.3.1).
enum class oauth2_client_authentication {
    /// `Authorization: Basic` with the form-encoded client id and secret (the RFC's default).
    basic,
    /// `client_id` and `client_secret` in the form body, for servers that want them there.
    request_body,
};

/** OAuth 2.0 client credentials (RFC 6749 section 4.4): the dispatcher asks `token_url` for an
    access token, sends it as `Authorization: Bearer`, and keeps it until shortly before it
    expires. One token request runs at a time, whatever the number of requests in flight;
    a receiver's 401 makes the dispatcher fetch a new token and send the attempt once more. */
struct oauth2_client_credentials {
    /// The token endpoint, `https://` (or `http://` to loopback).
    std::string token_url{};
    std::string client_id{};
    secret client_secret{};
    /// Space-separated scopes; empty: no `scope` parameter.
    std::string scope{};
    /// The `audience` parameter some providers require (Auth0, Okta); empty: not sent.
    std::string audience{};
    oauth2_client_authentication client_authentication = oauth2_client_authentication::basic;
    /// A token is replaced this long before its `expires_in` runs out.
    std::chrono::seconds refresh_skew{60};
    friend bool operator==(const oauth2_client_credentials&,
                           const oauth2_client_credentials&) = default;
};

using authentication = std::variant<no_auth, basic_auth, bearer_auth, oauth2_client_credentials>;

/// One extra request header, such as an API key. Its value is treated as a secret.
struct header_field {
    std::string name{};
    secret value{};
    friend bool operator==(const header_field&, const header_field&) = default;
};

/// The only data format: JSON. Kept as a setting because operators configure it.
enum class data_format { json };

/// What `post` does when the queue is full.
enum class overflow_policy {
    /// Wait for room, up to `queue_options::block_timeout`, then reject.
    block,
    /// Reject the new event at once.
    reject,
    /// Drop the oldest queued event (it is reported as dropped) and accept the new one.
    drop_oldest,
};

struct queue_options {
    /// Events waiting for their first attempt, at most (those in flight are not counted).
    std::size_t capacity = 10'000;
    overflow_policy when_full = overflow_policy::block;
    std::chrono::milliseconds block_timeout{5'000};
    friend bool operator==(const queue_options&, const queue_options&) = default;
};

/// Timeouts of each request (see `beast_transport_options` for what each covers).
struct timeout_options {
    std::chrono::milliseconds connect{10'000};
    std::chrono::milliseconds handshake{10'000};
    std::chrono::milliseconds request{30'000};
    std::chrono::milliseconds idle{30'000};
    friend bool operator==(const timeout_options&, const timeout_options&) = default;
};

/// A token bucket: at most `burst` requests at once, refilled at `per_second`.
struct rate_limit_options {
    /// Requests per second; 0 means unlimited.
    double per_second = 0;
    std::size_t burst = 1;
    friend bool operator==(const rate_limit_options&, const rate_limit_options&) = default;
};

/** Adaptive concurrency: the number of requests in flight follows the receiver, between 1 and
    `max_in_flight` (additive increase while the round-trip time holds, multiplicative decrease
    when it grows or on back-pressure: 429, 503, a connection reset, a timeout). A
    `Retry-After` pauses every request to the endpoint until it passes. Off by default and
    always off when `ordered`. */
struct adaptive_concurrency_options {
    bool enabled = false;
    /// The limit to start from, within [1, max_in_flight].
    std::size_t initial = 1;
    friend bool operator==(const adaptive_concurrency_options&,
                           const adaptive_concurrency_options&) = default;
};

/** Batching of posted events into one request: a JSON array under the data location. Off
    when `max_events` is 1. A batch is sent when it has `max_events` events, or would exceed
    `max_bytes`, or its first event has waited `linger`. */
struct batch_options {
    std::size_t max_events = 1;
    std::size_t max_bytes = 1024 * 1024;
    std::chrono::milliseconds linger{0};
    friend bool operator==(const batch_options&, const batch_options&) = default;
};

/// Request-body compression.
enum class compression { none, gzip };

/** A webhook endpoint, as an operator configures it: where to send, how, and with which
    credentials. Build it in code with designated initializers, or load it from JSON with
    `load_endpoint`; `validate` checks it either way.

    Every member has a default member initializer (`{}` at least): GCC's
    -Wmissing-field-initializers then stays quiet about the members a designated initializer
    leaves out. */
struct endpoint {
    /** `http://` or `https://` URL. It may contain placeholders such as `{id}`, filled from
        the event's member of that (wire) name, percent-encoded. */
    std::string url{};
    /// POST, PUT or PATCH.
    boost::beast::http::verb method = boost::beast::http::verb::post;
    webhook::data_format data_format = webhook::data_format::json;
    /// Where the event sits in the document, e.g. `root/result`.
    data_path data_location{};
    webhook::authentication authentication = no_auth{};
    std::vector<header_field> headers{};
    /** Signs every attempt, so that receivers can check where it came from and that it was
        not replayed: Standard Webhooks or an HMAC header (see `config/signing_options.hpp`; signed by `<webhook/signing.hpp>`). Off by default. */
    webhook::signing signing = no_signing{};
    /// Empty: `webhook/<version>`.
    std::string user_agent{};
    timeout_options timeouts{};
    retry_policy retry{};
    tls_options tls{};
    /// `http://host:port` of an HTTP proxy, or empty.
    std::string proxy{};
    /** Which addresses requests may go to. `public_only` is the SSRF guard: for endpoints whose
        URLs come from customers, it refuses loopback, private, link-local and every other
        non-public address (after DNS, at each connection) unless `allow` lists it. */
    destination_policy destinations{};
    /// Host names resolved to these addresses instead of through DNS (as curl's `--resolve`).
    std::vector<host_mapping> hosts{};
    /// Requests in flight at once (connections to the endpoint). Ignored when `ordered`.
    std::size_t max_in_flight = 8;
    /// Strict order: one request in flight, FIFO; a failing event holds back the ones behind
    /// it until it settles. Overrides `max_in_flight` (no need to set it to 1).
    bool ordered = false;
    /// The limit within `max_in_flight` follows the receiver's load; off by default.
    adaptive_concurrency_options adaptive_concurrency{};
    queue_options queue{};
    rate_limit_options rate_limit{};
    batch_options batch{};
    webhook::compression compression = webhook::compression::none;
    /// A request body (after compression) larger than this is not sent: the event fails.
    std::size_t max_body_size = 1024 * 1024;
    /// Response bodies larger than this end the attempt with an error.
    std::size_t max_response_body = 1024 * 1024;
    /** Allows credentials (authentication, an OAuth token URL) and signed requests to go over
        plain `http://` to a host that is not loopback. Off: such an endpoint is a
        configuration error, because anyone on the path could read or replay them. */
    bool insecure_allow_credentials_over_http = false;
    /** Stops sending to a receiver that keeps failing: after `failures` consecutive failed
        attempts no request is sent for `cool_down`, then one probe. Events wait meanwhile
        (queued or spooled); they do not fail. Off by default. */
    circuit_breaker_options circuit_breaker{};
    /** An event older than this (since it was accepted) fails with `error::event_expired`
        instead of waiting longer, for a retry or an open circuit. 0 means no limit. */
    std::chrono::milliseconds max_event_age{std::chrono::hours{24}};

    friend bool operator==(const endpoint&, const endpoint&) = default;
};

/** One problem in an endpoint's configuration: where (a JSON path such as
    `authentication.username`) and what (`contains ':'`). Never quotes a secret. */
struct config_problem {
    std::string path{};
    std::string message{};
    friend bool operator==(const config_problem&, const config_problem&) = default;
};

} // namespace webhook

#endif
