#ifndef WEBHOOK_TRANSPORT_DETAIL_IMPL_RESOLUTION_HPP
#define WEBHOOK_TRANSPORT_DETAIL_IMPL_RESOLUTION_HPP

// Part of basic_pool (detail/beast_pool.hpp): name resolution, once per origin and shared by
// the connections opened meanwhile, and the destination guard's check of the addresses
// through a proxy. Decisions: sansio/resolution.hpp.

#include <webhook/error.hpp>
#include <webhook/transport/detail/sansio/resolution.hpp>

#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>

#include <string>

namespace webhook::detail {

/// Opens the connection of `op`: its addresses first, within the connect timeout.
template <class Executor>
void basic_pool<Executor>::connect(op_ptr op) {
    auto& e = entry_of(*op);
    connection::arm(conn_ptr(*op), clock::now() + options_.connect_timeout);
    op->enter(timed_phase::resolve);
    const auto next =
        sansio::first_resolution(proxy_.has_value(), options_.destinations.public_only);
    resolve(std::move(op), next == after_resolve::check ? e : connect_target(e), next);
}

/// The addresses of `target`, from the cache, a running resolution, `hosts` or DNS.
template <class Executor>
void basic_pool<Executor>::resolve(op_ptr op, entry& target, after_resolve next) {
    if (sansio::uses_cache(target.resolved.has_value(), next))
        return on_addresses(std::move(op), target, next);
    bool start_resolving = false;
    {
        std::lock_guard lock(mutex_);
        if (!target.resolving) {
            target.resolving = true;
            ++target.resolutions;
            start_resolving = true;
        } else {
            target.resolve_waiters.push_back(op.get());
            op->waiting_in = &target.resolve_waiters;
        }
    }
    if (!start_resolving) // another request resolves this name right now: wait for it
        return wait_for_resolution(std::move(op), target, next);
    if (const host_mapping* m = sansio::find_mapping(options_.hosts, target.where.host))
        return on_resolved(std::move(op), target, next, sansio::mapped_error(*m),
                           sansio::mapped_results(*m, target.where));
    if (!target.resolver)
        target.resolver.emplace(strand_);
    const std::string host = target.where.host;
    const std::string port = std::to_string(target.where.port);
    target.resolver->async_resolve(
        host, port,
        [this, &target, next, op = std::move(op)](boost::system::error_code ec,
                                                  tcp::resolver::results_type results) mutable {
            on_resolved(std::move(op), target, next, ec, std::move(results));
        });
}

/// Waits (in `target`'s list of resolution waiters already) for the running resolution,
/// within the connection's deadline.
template <class Executor>
void basic_pool<Executor>::wait_for_resolution(op_ptr op, entry& target, after_resolve next) {
    const auto until = conn_of(*op).deadline;
    wait(std::move(op), until, [this, &target, next](op_ptr o, bool expired) {
        on_resolution_waited(std::move(o), target, next, expired);
    });
}

template <class Executor>
void basic_pool<Executor>::on_resolved(op_ptr op, entry& target, after_resolve next,
                                       boost::system::error_code ec,
                                       tcp::resolver::results_type results) {
    std::deque<send_op_base*> waiters;
    {
        std::lock_guard lock(mutex_);
        target.resolving = false;
        target.resolve_error = ec;
        if (!ec)
            target.resolved = std::move(results);
        waiters.swap(target.resolve_waiters);
        for (auto* w : waiters)
            w->waiting_in = nullptr;
    }
    for (auto* w : waiters)
        w->wait_timer->cancel();
    if (ec)
        return fail(std::move(op), ec);
    on_addresses(std::move(op), target, next);
}

template <class Executor>
void basic_pool<Executor>::on_resolution_waited(op_ptr op, entry& target, after_resolve next,
                                                bool expired) {
    bool closed = false;
    {
        std::lock_guard lock(mutex_);
        unlink_waiter(op.get());
        closed = closed_;
    }
    using action = sansio::resolution_wait_action;
    switch (sansio::after_resolution_wait({.closed_or_cancelled = closed || op->cancelled,
                                           .has_addresses = target.resolved.has_value(),
                                           .expired = expired || conn_of(*op).timed_out,
                                           .resolving = target.resolving})) {
    case action::abort:
        return fail(std::move(op), boost::asio::error::operation_aborted);
    case action::use_addresses:
        return on_addresses(std::move(op), target, next);
    case action::time_out:
        return fail(std::move(op), boost::beast::error::timeout);
    case action::wait_again: {
        std::lock_guard lock(mutex_);
        target.resolve_waiters.push_back(op.get());
        op->waiting_in = &target.resolve_waiters;
    }
        return wait_for_resolution(std::move(op), target, next);
    case action::fail:
        break;
    }
    fail(std::move(op), sansio::resolution_error(target.resolve_error));
}

/// `target` has addresses: check them (through a proxy) or connect to them.
template <class Executor>
void basic_pool<Executor>::on_addresses(op_ptr op, entry& target, after_resolve next) {
    if (next == after_resolve::connect)
        return connect_tcp(std::move(op), target);
    // The proxy may connect to any of the addresses: each must be permitted.
    if (!sansio::all_permitted(options_.destinations, *target.resolved))
        return refuse(std::move(op), target);
    resolve(std::move(op), connect_target(entry_of(*op)), after_resolve::connect);
}

/** Ends `op` with address_not_allowed before any connection. `target`'s addresses are
    forgotten, so that the next request resolves the name again (it may have moved to a
    permitted address); requests waiting for this resolution end the same way. Except when
    `target` is the proxy itself, named as a destination: its addresses serve the other
    requests still (and a check never uses the cache). */
template <class Executor>
void basic_pool<Executor>::refuse(op_ptr op, entry& target) {
    if (&target != proxy_entry_) {
        target.resolved.reset();
        target.resolve_error = error::address_not_allowed;
    }
    fail(std::move(op), error::address_not_allowed);
}

} // namespace webhook::detail

#endif
