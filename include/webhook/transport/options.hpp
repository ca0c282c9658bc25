#ifndef WEBHOOK_TRANSPORT_OPTIONS_HPP
#define WEBHOOK_TRANSPORT_OPTIONS_HPP

#include <chrono>
#include <cstddef>
#include <string>

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
    std::string proxy{};
};

} // namespace webhook

#endif
