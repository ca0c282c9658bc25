#ifndef WEBHOOK_TRANSPORT_DETAIL_SANSIO_RESOLUTION_HPP
#define WEBHOOK_TRANSPORT_DETAIL_SANSIO_RESOLUTION_HPP

#include <webhook/transport/destination_policy.hpp>
#include <webhook/transport/options.hpp>
#include <webhook/transport/origin.hpp>

#include <boost/asio/error.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <string>
#include <vector>

// The decisions of name resolution and of the destination guard, without I/O: the pool's
// steps (impl/resolution.hpp) carry them out.

namespace webhook::detail::sansio {

using resolver_results = boost::asio::ip::tcp::resolver::results_type;

/// What follows a resolution: checking the destination's addresses against the policy before
/// going through the proxy, or connecting to the addresses.
enum class after_resolve { check, connect };

/** The first resolution of a new connection. Through a proxy with the guard on, the
    destination's own addresses are checked first (the proxy resolves the name again: see
    `beast_transport_options::proxy`); otherwise the connect target's are resolved. */
constexpr after_resolve first_resolution(bool proxied, bool public_only) noexcept {
    return proxied && public_only ? after_resolve::check : after_resolve::connect;
}

/** Whether cached addresses serve. A check is made on a fresh resolution for every connection
    through the proxy: the cache would be as old as the last connect failure, and the proxy
    resolves anew. */
constexpr bool uses_cache(bool cached, after_resolve next) noexcept {
    return cached && next == after_resolve::connect;
}

/// What a request that waited for another's resolution of the same name does next.
enum class resolution_wait_action {
    abort,         ///< the pool closed or the request was cancelled: operation_aborted
    use_addresses, ///< the name has addresses now
    time_out,      ///< the wait or the connection's deadline expired
    wait_again,    ///< a new resolution started meanwhile: wait for that one
    fail,          ///< the resolution failed: its error (see `resolution_error`)
};

struct resolution_wait {
    bool closed_or_cancelled = false;
    bool has_addresses = false;
    bool expired = false; ///< the wait's timer or the connection's deadline
    bool resolving = false;
};

constexpr resolution_wait_action after_resolution_wait(const resolution_wait& w) noexcept {
    if (w.closed_or_cancelled)
        return resolution_wait_action::abort;
    if (w.has_addresses)
        return resolution_wait_action::use_addresses;
    if (w.expired)
        return resolution_wait_action::time_out;
    if (w.resolving)
        return resolution_wait_action::wait_again;
    return resolution_wait_action::fail;
}

/// The error of a failed resolution, as the requests that waited for it see it.
inline boost::system::error_code resolution_error(boost::system::error_code recorded) noexcept {
    return recorded ? recorded : boost::system::error_code(boost::asio::error::host_not_found);
}

/// The mapping of `host` in `hosts` (exact, without ASCII case), or null: then DNS is asked.
inline const host_mapping* find_mapping(const std::vector<host_mapping>& hosts,
                                        const std::string& host) noexcept {
    for (const auto& m : hosts)
        if (boost::beast::iequals(m.host, host))
            return &m;
    return nullptr;
}

/// A mapping's answer as a resolution: `host_not_found` for an empty list.
inline boost::system::error_code mapped_error(const host_mapping& m) noexcept {
    if (m.addresses.empty())
        return boost::asio::error::host_not_found;
    return {};
}

/// A mapping's addresses as the results of a resolution of `where`, in order.
inline resolver_results mapped_results(const host_mapping& m, const origin& where) {
    std::vector<boost::asio::ip::tcp::endpoint> endpoints;
    endpoints.reserve(m.addresses.size());
    for (const auto& a : m.addresses)
        endpoints.emplace_back(a, where.port);
    // create() is public, if undocumented: the way to make results of one's own.
    return resolver_results::create(endpoints.begin(), endpoints.end(), where.host,
                                    std::to_string(where.port));
}

/// Whether `policy` permits every address of `results` (the proxy may connect to any of them).
inline bool all_permitted(const destination_policy& policy, const resolver_results& results) {
    for (const auto& r : results)
        if (!policy.permits(r.endpoint().address()))
            return false;
    return true;
}

/** Keeps the addresses of `results` that `policy` permits, in order; false if none is left.
    Allocates only when some are dropped. */
inline bool keep_permitted(const destination_policy& policy, resolver_results& results) {
    std::size_t permitted = 0;
    for (const auto& r : results)
        permitted += policy.permits(r.endpoint().address()) ? 1 : 0;
    if (permitted == results.size())
        return true;
    if (permitted == 0)
        return false;
    std::vector<boost::asio::ip::tcp::endpoint> kept;
    kept.reserve(permitted);
    for (const auto& r : results)
        if (policy.permits(r.endpoint().address()))
            kept.push_back(r.endpoint());
    const auto& first = *results.begin();
    results =
        resolver_results::create(kept.begin(), kept.end(), first.host_name(), first.service_name());
    return true;
}

} // namespace webhook::detail::sansio

#endif
