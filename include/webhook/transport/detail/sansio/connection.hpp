#ifndef WEBHOOK_TRANSPORT_DETAIL_SANSIO_CONNECTION_HPP
#define WEBHOOK_TRANSPORT_DETAIL_SANSIO_CONNECTION_HPP

#include <webhook/transport/origin.hpp>

#include <boost/asio/ip/address.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <string>

// The decisions of opening a connection (the proxy's CONNECT tunnel, TLS) and of its deadline
// timer, without I/O: basic_connection and the pool's steps (impl/connection.hpp) carry them
// out.

namespace webhook::detail::sansio {

/// `host:port`, with an IPv6 literal in brackets: the CONNECT target and absolute-form prefix.
inline std::string authority(const origin& where) {
    const bool v6 = where.host.find(':') != std::string::npos;
    return (v6 ? "[" + where.host + "]" : where.host) + ":" + std::to_string(where.port);
}

inline bool is_ip_literal(const std::string& host) {
    boost::system::error_code ec;
    boost::asio::ip::make_address(host, ec);
    return !ec;
}

/// Whether the TLS handshake names the server (SNI): host names only, never an IP address
/// (RFC 6066 section 3).
inline bool sends_server_name(const std::string& host) {
    return !is_ip_literal(host);
}

/// Whether a new connection opens a CONNECT tunnel through the proxy: https through a proxy
/// (plain http goes to the proxy in absolute form instead).
constexpr bool needs_tunnel(bool proxied, bool tls) noexcept {
    return proxied && tls;
}

/// Whether the proxy's answer to CONNECT opened the tunnel: a 2xx status.
constexpr bool tunnel_opened(unsigned status) noexcept {
    return status / 100 == 2;
}

// The deadline: one timer per connection, re-armed lazily. A request moves the deadline
// forward; the timer, when it fires, closes the connection if the deadline has passed while
// busy, and otherwise waits again until the deadline. So a request on a kept-alive connection
// costs no timer operation at all.

using deadline_clock = std::chrono::steady_clock;

/// Whether a new deadline needs a new wait: not if a pending wait ends no later (it waits again
/// then).
constexpr bool needs_new_wait(bool wait_pending, deadline_clock::time_point pending_expiry,
                              deadline_clock::time_point deadline) noexcept {
    return !(wait_pending && pending_expiry <= deadline);
}

/// What the deadline timer does when its wait ends.
enum class deadline_action {
    none,       ///< the connection is idle: no deadline runs
    close,      ///< the deadline has passed while busy: close it (a timeout)
    wait_again, ///< the deadline moved forward meanwhile: wait until then
};

constexpr deadline_action on_deadline(bool busy, deadline_clock::time_point deadline,
                                      deadline_clock::time_point now) noexcept {
    if (!busy)
        return deadline_action::none;
    return now >= deadline ? deadline_action::close : deadline_action::wait_again;
}

} // namespace webhook::detail::sansio

#endif
