#ifndef WEBHOOK_TRANSPORT_TIMING_HPP
#define WEBHOOK_TRANSPORT_TIMING_HPP

#include <chrono>
#include <cstddef>

namespace webhook {

/** What a transport measured of one request: filled in by a transport that supports it
    (`timed_transport`, transport/transport.hpp), through the overloads of `send` and
    `async_send` that take one.

    The durations are measured with `std::chrono::steady_clock`, each over one phase of the
    request. A phase that ended in an error is measured up to that error (a refused connect is
    in `connect`, a failed handshake in `tls`); a phase that never began is zero. Time spent
    waiting for a connection of the pool (`beast_transport_options::max_connections_per_origin`)
    is in none of them.

    When a request that failed on a stale kept-alive connection is sent again on another (see
    `beast_transport`), the fields describe the try that answered, or the last try. */
struct transport_timing {
    /// The transport filled this in. The built-in transport sets it on every completion, errors
    /// included.
    bool reported = false;
    /// Sent over a kept-alive connection: no resolution, connect or handshake (all three zero).
    bool reused = false;
    /// Getting the addresses of a new connection: a DNS query, or the wait for one that another
    /// request to the same origin started, or (near zero) the pool's cached addresses. Through
    /// a proxy: the proxy's, and the destination's too when they are checked. Zero when reused.
    std::chrono::nanoseconds resolve{};
    /// The TCP connect of a new connection (to each address tried, in turn), and through a proxy
    /// the CONNECT exchange that opens the tunnel. Zero when reused.
    std::chrono::nanoseconds connect{};
    /// The TLS handshake of a new https connection. Zero when reused or plain http.
    std::chrono::nanoseconds tls{};
    /// From the start of writing the request to the moment the head of the (final, not 1xx)
    /// response was parsed. Zero when no response head arrived.
    std::chrono::nanoseconds first_byte{};
    /// Request bytes written: head and body as HTTP puts them on the connection (chunk framing
    /// included; TLS records excluded), exactly; a partial count when writing failed.
    std::size_t bytes_sent = 0;
};

} // namespace webhook

#endif
