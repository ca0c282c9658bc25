#ifndef WEBHOOK_TRANSPORT_DETAIL_SANSIO_REUSE_HPP
#define WEBHOOK_TRANSPORT_DETAIL_SANSIO_REUSE_HPP

#include <chrono>
#include <cstddef>

// The decisions of the pool of connections (which one a request gets, which one is kept for
// the next), without I/O: the pool's steps (impl/pool.hpp) carry them out.

namespace webhook::detail::sansio {

using pool_clock = std::chrono::steady_clock;

/** Whether a connection idle since `idle_since` may serve a request at `now`: one idle for
    longer than `idle_timeout` is closed instead, as the server may have closed it already. */
constexpr bool fresh_enough(pool_clock::time_point idle_since, pool_clock::time_point now,
                            std::chrono::milliseconds idle_timeout) noexcept {
    return now - idle_since <= idle_timeout;
}

/// Whether a new connection may be opened to an origin with `open` connections (idle or busy).
constexpr bool may_open(std::size_t open, std::size_t max_per_origin) noexcept {
    return open < max_per_origin;
}

/// Where a request gets its connection, once no idle one is fresh enough.
enum class lease_source { refused, new_connection, wait };

constexpr lease_source without_idle(bool pool_closed, std::size_t open,
                                    std::size_t max_per_origin) noexcept {
    if (pool_closed)
        return lease_source::refused;
    return may_open(open, max_per_origin) ? lease_source::new_connection : lease_source::wait;
}

/** Whether a connection is kept for reuse after a request: the response allowed it (HTTP/1.1
    keep-alive, no `Connection: close`), the connection is established (a failed request
    releases it with `keep_alive` false), and the pool is still open. */
constexpr bool keeps(bool keep_alive, bool connected, bool pool_closed) noexcept {
    return keep_alive && connected && !pool_closed;
}

/// What a request that waited for a connection does next.
enum class connection_wait_action {
    lease,     ///< woken by a released connection (or the pool closing): ask again
    aborted,   ///< cancelled: operation_aborted
    timed_out, ///< its deadline passed first: timeout
};

constexpr connection_wait_action after_connection_wait(bool cancelled, bool expired) noexcept {
    if (cancelled)
        return connection_wait_action::aborted;
    return expired ? connection_wait_action::timed_out : connection_wait_action::lease;
}

} // namespace webhook::detail::sansio

#endif
