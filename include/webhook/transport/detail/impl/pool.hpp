#ifndef WEBHOOK_TRANSPORT_DETAIL_IMPL_POOL_HPP
#define WEBHOOK_TRANSPORT_DETAIL_IMPL_POOL_HPP

// Part of basic_pool (detail/beast_pool.hpp): its interface, the connections of each origin
// (leased, waited for, released) and the end of a request. Decisions: sansio/reuse.hpp.

#include <webhook/transport/detail/sansio/exchange.hpp>
#include <webhook/transport/detail/sansio/reuse.hpp>

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/error.hpp>

#include <algorithm>
#include <future>

namespace webhook::detail {

template <class Executor>
basic_pool<Executor>::basic_pool(Executor ex, boost::asio::any_io_executor public_executor,
                                 beast_transport_options options)
    : beast_pool(std::move(public_executor)), strand_(std::move(ex)), options_(std::move(options)) {
    if (!options_.proxy.empty()) {
        proxy_.emplace(options_.proxy);
        proxy_entry_ = &entry_for(proxy_->origin());
    }
    const tls_options& t = options_.tls;
    if (!t.ca_file.empty() || !t.ca_directory.empty() || !t.certificate_file.empty() ||
        !t.private_key_file.empty())
        (void)tls_context();
}

template <class Executor>
boost::asio::ssl::context& basic_pool<Executor>::tls_context() {
    if (!tls_context_) {
        tls_context_.emplace(boost::asio::ssl::context::tls_client);
        configure_tls();
    }
    return *tls_context_;
}

template <class Executor>
void basic_pool<Executor>::start(op_ptr op, const origin& where) {
    {
        std::lock_guard lock(mutex_);
        op->entry = &entry_for(where);
    }
    if (running_in_this_thread()) {
        // Called from a completion on the transport's executor: start right away, but never
        // complete inside async_send (see finish).
        send_op_base* raw = op.get();
        raw->initiating = true;
        run(std::move(op));
        raw->initiating = false; // still alive: a handler of its own holds it
    } else {
        boost::asio::post(strand_, [this, op = std::move(op)]() mutable { run(std::move(op)); });
    }
}

template <class Executor>
std::size_t basic_pool<Executor>::open_connections(const origin& where) {
    std::lock_guard lock(mutex_);
    for (const auto& e : entries_)
        if (e.where == where)
            return e.open;
    return 0;
}

template <class Executor>
std::size_t basic_pool<Executor>::resolutions(const origin& where) {
    std::lock_guard lock(mutex_);
    for (const auto& e : entries_)
        if (e.where == where)
            return e.resolutions;
    return 0;
}

template <class Executor>
void basic_pool<Executor>::shut_down() {
    std::vector<std::shared_ptr<connection>> idle;
    bool waiters = false;
    {
        std::lock_guard lock(mutex_);
        closed_ = true;
        for (auto& e : entries_) {
            e.open -= e.idle.size();
            for (auto& c : e.idle)
                idle.push_back(std::move(c));
            e.idle.clear();
            waiters = waiters || !e.waiters.empty() || !e.resolve_waiters.empty();
        }
    }
    idle.clear(); // closes them
    if (waiters)  // woken on the executor, where they run; they see the pool closed
        boost::asio::post(strand_, [self = std::static_pointer_cast<basic_pool>(
                                        shared_from_this())] { self->wake_everyone(); });
}

template <class Executor>
void basic_pool<Executor>::remove_waiter(send_op_base* op) noexcept {
    std::lock_guard lock(mutex_);
    unlink_waiter(op);
}

template <class Executor>
void basic_pool<Executor>::cancel(send_op_base& op) noexcept {
    op.cancelled = true;
    if (op.waiting_in) // its wait ends now
        op.wait_timer->cancel();
    else if (op.conn) // whatever the connection does (connect, TLS, request) ends now
        conn_of(op).close();
    // Else it resolves a name: it ends when the resolver answers.
}

template <class Executor>
void basic_pool<Executor>::set_hosts(std::vector<host_mapping> hosts) {
    std::promise<void> done;
    auto finished = done.get_future();
    boost::asio::post(strand_, [&] {
        options_.hosts = std::move(hosts);
        done.set_value();
    });
    finished.wait();
}

/// Whether the caller runs on the executor of the steps (never known behind the type-erased
/// executor: then every request is posted).
template <class Executor>
bool basic_pool<Executor>::running_in_this_thread() const noexcept {
    if constexpr (requires(const Executor& ex) { ex.running_in_this_thread(); })
        return strand_.running_in_this_thread();
    else
        return false;
}

template <class Executor>
auto basic_pool<Executor>::entry_for(const origin& where) -> entry& {
    for (auto& e : entries_)
        if (e.where == where)
            return e;
    entries_.emplace_back();
    entries_.back().where = where;
    return entries_.back();
}

template <class Executor>
auto basic_pool<Executor>::entry_of(const send_op_base& op) noexcept -> entry& {
    return *static_cast<entry*>(op.entry);
}

template <class Executor>
auto basic_pool<Executor>::conn_of(const send_op_base& op) noexcept -> connection& {
    return static_cast<connection&>(*op.conn);
}

template <class Executor>
auto basic_pool<Executor>::conn_ptr(const send_op_base& op) noexcept
    -> std::shared_ptr<connection> {
    return std::static_pointer_cast<connection>(op.conn);
}

/// Takes the connection out of the operation.
template <class Executor>
auto basic_pool<Executor>::take_conn(send_op_base& op) noexcept -> std::shared_ptr<connection> {
    return std::static_pointer_cast<connection>(std::move(op.conn));
}

template <class Executor>
void basic_pool<Executor>::unlink_waiter(send_op_base* op) noexcept {
    if (auto* list = static_cast<std::deque<send_op_base*>*>(op->waiting_in)) {
        const auto it = std::find(list->begin(), list->end(), op);
        if (it != list->end())
            list->erase(it);
        op->waiting_in = nullptr;
    }
}

template <class Executor>
void basic_pool<Executor>::run(op_ptr op) {
    op->deadline = clock::now() + options_.request_timeout;
    lease(std::move(op));
}

/// A connection for the request: an idle one fresh enough (the most recently used first),
/// else a new one below the limit, else wait for one to be released.
template <class Executor>
void basic_pool<Executor>::lease(op_ptr op) {
    auto& e = entry_of(*op);
    std::shared_ptr<connection> conn;
    std::shared_ptr<connection> stale; // closed outside the lock
    bool reused = false;
    auto source = sansio::lease_source::refused;
    {
        std::lock_guard lock(mutex_);
        const auto now = clock::now();
        while (!closed_ && !e.idle.empty()) {
            auto c = std::move(e.idle.back());
            e.idle.pop_back();
            if (sansio::fresh_enough(c->idle_since, now, options_.idle_timeout)) {
                conn = std::move(c);
                reused = true;
                break;
            }
            --e.open; // too old: the server may have closed it already
            stale = std::move(c);
        }
        if (!conn) {
            source = sansio::without_idle(closed_, e.open, options_.max_connections_per_origin);
            if (source == sansio::lease_source::new_connection) {
                conn =
                    std::make_shared<connection>(strand_, e.where.tls ? &tls_context() : nullptr);
                ++e.open;
            } else if (source == sansio::lease_source::wait) {
                e.waiters.push_back(op.get());
                op->waiting_in = &e.waiters;
            }
        }
    }
    stale.reset();
    if (!conn && source == sansio::lease_source::refused)
        return deliver(std::move(op), boost::asio::error::operation_aborted);
    if (!conn) {
        const auto until = op->deadline;
        return wait(std::move(op), until, [this](op_ptr o, bool expired) {
            on_connection_waited(std::move(o), expired);
        });
    }
    op->conn = std::move(conn);
    op->reused = reused;
    op->begin_try(reused);
    if (!conn_of(*op).connected)
        return connect(std::move(op));
    send(std::move(op));
}

/// Waits (in a waiter list already) until woken or `until`.
template <class Executor>
template <class Then>
void basic_pool<Executor>::wait(op_ptr op, clock::time_point until, Then then) {
    if (!op->wait_timer)
        op->wait_timer.emplace(executor_);
    op->wait_timer->expires_at(until);
    auto& timer = *op->wait_timer;
    timer.async_wait([op = std::move(op), then](boost::system::error_code ec) mutable {
        then(std::move(op), !ec);
    });
}

template <class Executor>
void basic_pool<Executor>::on_connection_waited(op_ptr op, bool expired) {
    const auto action = sansio::after_connection_wait(op->cancelled, expired);
    if (action == sansio::connection_wait_action::lease)
        return lease(std::move(op));
    bool was_woken = false;
    {
        std::lock_guard lock(mutex_);
        was_woken = op->waiting_in == nullptr;
        unlink_waiter(op.get());
    }
    if (was_woken) // woken, but it ends anyway: pass the released connection on
        wake_one(entry_of(*op));
    if (action == sansio::connection_wait_action::aborted)
        return deliver(std::move(op), boost::asio::error::operation_aborted);
    deliver(std::move(op), boost::beast::error::timeout);
}

/// Wakes the first operation waiting for a connection of `e`.
template <class Executor>
void basic_pool<Executor>::wake_one(entry& e) {
    send_op_base* next = nullptr;
    {
        std::lock_guard lock(mutex_);
        if (!e.waiters.empty()) {
            next = e.waiters.front();
            e.waiters.pop_front();
            next->waiting_in = nullptr;
        }
    }
    if (next)
        next->wait_timer->cancel();
}

template <class Executor>
void basic_pool<Executor>::wake_everyone() {
    std::vector<send_op_base*> all;
    {
        std::lock_guard lock(mutex_);
        for (auto& e : entries_) {
            for (auto* list : {&e.waiters, &e.resolve_waiters}) {
                for (auto* op : *list) {
                    op->waiting_in = nullptr;
                    all.push_back(op);
                }
                list->clear();
            }
        }
    }
    for (auto* op : all)
        op->wait_timer->cancel();
}

/// Returns a connection after a request: kept for reuse, or closed; wakes a waiter.
template <class Executor>
void basic_pool<Executor>::release(entry& e, std::shared_ptr<connection> conn, bool keep) {
    send_op_base* next = nullptr;
    {
        std::lock_guard lock(mutex_);
        if (sansio::keeps(keep, conn->connected, closed_)) {
            conn->busy = false;
            conn->idle_since = clock::now();
            e.idle.push_back(std::move(conn));
        } else {
            --e.open;
        }
        if (!e.waiters.empty()) {
            next = e.waiters.front();
            e.waiters.pop_front();
            next->waiting_in = nullptr;
        }
    }
    if (conn) {
        conn->busy = false;
        conn->close();
        conn.reset();
    }
    if (next)
        next->wait_timer->cancel();
}

/// Ends `op` with `ec` (or what closed its connection), closing the connection.
template <class Executor>
void basic_pool<Executor>::fail(op_ptr op, boost::system::error_code ec) {
    bool timed_out = false;
    if (op->conn) {
        timed_out = conn_of(*op).timed_out;
        release(entry_of(*op), take_conn(*op), false);
    }
    const auto reported = sansio::report_error(ec, timed_out, op->cancelled);
    deliver(std::move(op), reported);
}

/// Ends `op` with an error.
template <class Executor>
void basic_pool<Executor>::deliver(op_ptr op, boost::system::error_code ec) {
    finish(std::move(op), ec, http_response{});
}

/// Ends `op`: frees it and invokes its handler; posted when still inside async_send.
template <class Executor>
void basic_pool<Executor>::finish(op_ptr op, boost::system::error_code ec,
                                  http_response&& response) {
    op->end_timing();
    if (op->initiating)
        return boost::asio::post(strand_,
                                 [op = std::move(op), ec, r = std::move(response)]() mutable {
                                     op->initiating = false;
                                     op.release()->complete(ec, std::move(r));
                                 });
    op.release()->complete(ec, std::move(response));
}

} // namespace webhook::detail

#endif
