#ifndef WEBHOOK_TRANSPORT_OPTIONS_HPP
#define WEBHOOK_TRANSPORT_OPTIONS_HPP

#include <webhook/transport/destination_policy.hpp>

#include <boost/asio/ip/address.hpp>

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace webhook {

/** TLS settings of the built-in transport. The defaults verify the server: its certificate
    chain against the system trust store, and its name (SNI is sent too). TLS 1.2 is the
    minimum. */
struct tls_options {
    /// A PEM file of trusted CA certificates, used instead of the system store when set.
    std::string ca_file{};
    /// A directory of hashed CA certificates (`c_rehash`), used with or instead of `ca_file`.
    std::string ca_directory{};
    /// For mutual TLS: the client certificate chain (PEM) and its private key (PEM).
    std::string certificate_file{};
    std::string private_key_file{};
    /// Accept any server certificate and name. Only for tests against self-signed receivers:
    /// it makes the connection open to interception.
    bool insecure_skip_verification = false;

    friend bool operator==(const tls_options&, const tls_options&) = default;
};

/** Addresses to use for a host name instead of asking DNS, like curl's `--resolve`: to pin a
    receiver to known addresses, or to reach a test receiver under a real-looking name.

    The name matches the URL's host exactly, ignoring ASCII case (`Hooks.Example` matches
    `hooks.example`; a trailing dot does not match). The addresses are tried in order, and the
    `destination_policy` checks them like resolved ones. An empty list makes the name fail as
    unknown (`host_not_found`). */
struct host_mapping {
    std::string host{};
    std::vector<boost::asio::ip::address> addresses{};

    friend bool operator==(const host_mapping&, const host_mapping&) = default;
};

/** Settings of the built-in Beast transport. */
struct beast_transport_options {
    /// Resolving and connecting one TCP connection (through the proxy, if any).
    std::chrono::milliseconds connect_timeout{10'000};
    /// The TLS handshake (and the proxy's CONNECT answer).
    std::chrono::milliseconds handshake_timeout{10'000};
    /// The whole request once it has a connection: writing it and reading the response.
    std::chrono::milliseconds request_timeout{30'000};
    /// An idle keep-alive connection older than this is closed instead of reused.
    std::chrono::milliseconds idle_timeout{30'000};
    /// At most this many connections per origin; further requests wait for one.
    std::size_t max_connections_per_origin = 16;
    /// A response body larger than this ends the request with `error::response_body_too_large`.
    std::size_t max_response_body = 1024 * 1024;
    /// Verification, trust store, client certificate.
    tls_options tls{};
    /// An HTTP proxy as `http://host:port`: `https` goes through a CONNECT tunnel, `http` is sent
    /// to the proxy in absolute form. Empty: direct connections.
    ///
    /// The proxy resolves the destination's name, so `destinations` cannot pick the address it
    /// connects to. With `destinations.public_only`, the transport resolves the name itself
    /// (or takes it from `hosts`) and sends nothing to the proxy unless every address it finds
    /// is permitted; the proxy's own address is exempt. The proxy may still resolve the name
    /// differently (another resolver, a DNS answer that changed in between): make the proxy
    /// enforce the same egress rules.
    std::string proxy{};
    /// Which addresses may be connected to: the SSRF guard. Off by default; see
    /// `destination_policy`.
    destination_policy destinations{};
    /// Host names resolved from this list instead of DNS; every other name goes to DNS. Applies
    /// to every name the transport resolves itself: destinations and the proxy's host. (With
    /// a proxy, the proxy resolves the destination: its mapping then serves only the check of
    /// `destinations`.)
    std::vector<host_mapping> hosts{};
};

} // namespace webhook

#endif
