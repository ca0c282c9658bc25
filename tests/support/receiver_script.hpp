#ifndef WEBHOOK_TESTS_SUPPORT_RECEIVER_SCRIPT_HPP
#define WEBHOOK_TESTS_SUPPORT_RECEIVER_SCRIPT_HPP

// The test receiver's vocabulary (support/test_receiver.hpp): a request as recorded, the
// behaviours a test scripts (answers and faults), and how the receiver listens.

#include "support/test_pki.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace webhook::test {

using header_list = std::vector<std::pair<std::string, std::string>>;

/** One request as the receiver read it off the wire. */
struct recorded_request {
    std::string method{};
    std::string target{};
    header_list headers{};      // in the order received, names spelled as sent
    std::string body{};         // decoded when it came chunked
    std::size_t connection = 0; // 1-based index of the accepted connection it came on
    std::string raw_head{};     // request line and header lines, byte-exact, through "\r\n\r\n"
    std::string client_cert_subject{}; // RFC 2253, e.g. "CN=webhook-client", when mutual TLS

    /// The value of the first header named `name` (case-insensitive), if any.
    std::optional<std::string> header(std::string_view name) const {
        for (const auto& [n, v] : headers)
            if (std::equal(n.begin(), n.end(), name.begin(), name.end(), [](char a, char b) {
                    return std::tolower(static_cast<unsigned char>(a)) ==
                           std::tolower(static_cast<unsigned char>(b));
                }))
                return v;
        return std::nullopt;
    }
};

/** What a respond behaviour (or the handler hook) sends. */
struct response {
    unsigned status = 200; // 100..999
    std::string body{};
    // Sent as given, in this order. Content-Length is added unless these carry a Content-Length
    // or a Transfer-Encoding; "Connection: close" here makes the receiver close after sending.
    header_list headers{};
};

/**
 * What the receiver does with one request. The receiver keeps a queue of these and consumes
 * one per request received, across all connections; when the queue is empty the default
 * behaviour applies (200, empty body, unless changed with set_default_behaviour).
 * Every behaviour works over TLS as well.
 */
struct behaviour {
    enum class kind {
        respond,                // send `reply`; keep the connection if the client asked to
        never_answer,           // send nothing; hold the connection until the client or the
                                // server closes it
        close_without_response, // close at once
        close_mid_response,     // status line, Content-Length: 100, 10 body bytes, close
        oversized_body,         // a complete 200 with a body of `body_size` bytes, streamed
        endless_body,           // a chunked 200 that never ends, until the client closes
        garbage,                // "this is not HTTP\r\n\r\n", close
        raw,                    // `bytes` as they are; then the next request on the connection
    };

    kind what = kind::respond;
    response reply{};
    std::chrono::milliseconds pause{0}; // waited (on an asio timer) before acting
    std::size_t body_size = 0;
    std::string bytes{}; // kind::raw
    std::string early{}; // sent as soon as the request is read, before the pause

    static behaviour respond(unsigned status, std::string body = {}, header_list headers = {}) {
        behaviour b;
        b.reply = response{status, std::move(body), std::move(headers)};
        return b;
    }
    static behaviour delay(std::chrono::milliseconds pause, unsigned status = 200,
                           std::string body = {}, header_list headers = {}) {
        return respond(status, std::move(body), std::move(headers)).after(pause);
    }
    static behaviour never_answer() { return of(kind::never_answer); }
    static behaviour close_without_response() { return of(kind::close_without_response); }
    static behaviour close_mid_response() { return of(kind::close_mid_response); }
    static behaviour oversized_body(std::size_t bytes) {
        behaviour b = of(kind::oversized_body);
        b.body_size = bytes;
        return b;
    }
    static behaviour endless_body() { return of(kind::endless_body); }
    static behaviour garbage() { return of(kind::garbage); }
    /// Sends `bytes` verbatim (say, an interim 100 Continue before the final response).
    static behaviour raw(std::string bytes) {
        behaviour b = of(kind::raw);
        b.bytes = std::move(bytes);
        return b;
    }

    /// This behaviour, with `bytes` sent as soon as the request is read, before any pause
    /// (say, an interim 100 Continue long before the final response).
    behaviour preceded_by(std::string bytes) const {
        behaviour b = *this;
        b.early = std::move(bytes);
        return b;
    }

    /// This behaviour, but acting only `d` after the request was read, e.g. garbage().after(..).
    behaviour after(std::chrono::milliseconds d) const {
        behaviour b = *this;
        b.pause = d;
        return b;
    }

private:
    static behaviour of(kind k) {
        behaviour b;
        b.what = k;
        return b;
    }
};

/** How a test_receiver listens; every member has a default, so designated initializers work. */
struct receiver_options {
    bool tls = false;
    std::string cert_chain_pem{};  // leaf first; required when tls
    std::string private_key_pem{}; // required when tls
    // When not empty (and tls): require a client certificate that chains to one of these
    // (mutual TLS); a handshake without one fails.
    std::string client_ca_pem{};
    bool ipv6 = false; // listen on ::1 instead of 127.0.0.1
    // 0: an ephemeral port. A fixed one lets a test stop a receiver and start it again where
    // its clients expect it (an outage).
    unsigned short port = 0;
    // Close each connection, silently and gracefully (TLS: close_notify, then FIN), after
    // answering its n-th request; 0: never. Changeable later with test_receiver::close_after.
    std::size_t close_after = 0;
    std::uint64_t max_request_body = 64u << 20; // a larger request body ends the connection
};

/// TLS options for a receiver with the test PKI's server certificate; `mutual` also requires
/// a client certificate signed by the test CA.
inline receiver_options tls_options(const test_pki& pki, bool mutual = false) {
    receiver_options o;
    o.tls = true;
    o.cert_chain_pem = pki.server_cert;
    o.private_key_pem = pki.server_key;
    if (mutual)
        o.client_ca_pem = pki.ca_cert;
    return o;
}

} // namespace webhook::test

#endif
