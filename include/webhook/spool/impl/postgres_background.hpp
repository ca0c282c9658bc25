#ifndef WEBHOOK_SPOOL_IMPL_POSTGRES_BACKGROUND_HPP
#define WEBHOOK_SPOOL_IMPL_POSTGRES_BACKGROUND_HPP

// `postgres_spool`'s background thread: deleting acknowledged rows, renewing the leases of
// the rows held, listening for appends and waking the dispatcher. Part of
// impl/postgres_spool.hpp.

#include <webhook/spool/detail/background_schedule.hpp>
#include <webhook/spool/detail/postgres_sql.hpp>
#include <webhook/spool/impl/postgres_connection.hpp>

#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <poll.h>
#include <unistd.h>

namespace webhook {

inline void postgres_spool::on_ready(std::weak_ptr<const std::function<void()>> f) {
    std::lock_guard lk(subscribers_mu_);
    std::erase_if(subscribers_, [](const auto& s) { return s.expired(); });
    subscribers_.push_back(std::move(f));
}

inline void postgres_spool::wake_subscribers() {
    std::lock_guard lk(subscribers_mu_);
    for (const auto& s : subscribers_)
        if (const auto f = s.lock())
            (*f)();
}

inline void postgres_spool::background_loop() {
    using clock = std::chrono::steady_clock;
    detail::background_schedule<clock> plan(
        options_.lease / 3, std::max(options_.reconnect_delay, std::chrono::milliseconds(10)),
        clock::now());
    std::unique_lock lk(state_mu_);
    while (!stop_) {
        const auto now = clock::now();
        const auto step = plan.next(now, !ack_queue_.empty());
        if (step.what == decltype(plan)::task::send_acks) {
            plan.acks_sent(send_acks(lk), clock::now());
        } else if (step.what == decltype(plan)::task::keep_held) {
            renew(lk);
            plan.kept(clock::now());
        } else {
            lk.unlock();
            listen_step(std::chrono::ceil<std::chrono::milliseconds>(step.until - now));
            lk.lock();
        }
    }
    // What was settled is deleted now if it can be (one try); the rest is delivered again.
    if (!ack_queue_.empty())
        send_acks(lk);
}

/// Waits up to `wait` for a notification or for `wake_fd_`, and passes notifications on.
inline void postgres_spool::listen_step(std::chrono::milliseconds wait) {
    const bool listening = options_.listen && !dead_letters_role_;
    if (listening && !background_conn_->connected()) {
        if (!background_conn_->usable())
            wake_subscribers(); // notifications may have been missed meanwhile
    }
    PGconn* conn = listening ? background_conn_->get() : nullptr;
    // Notifications that arrived during the last acknowledgement or renewal are queued in
    // libpq already: their socket data is consumed, so poll would not see them.
    if (conn != nullptr && take_notifications(conn))
        return;
    pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {conn ? PQsocket(conn) : -1, POLLIN, 0}};
    const int timeout = static_cast<int>(std::clamp<std::int64_t>(wait.count(), 0, 60'000));
    if (::poll(fds, fds[1].fd >= 0 ? 2 : 1,
               conn == nullptr && listening ? std::min(timeout, 100) : timeout) <= 0)
        return;
    if (fds[0].revents != 0) {
        std::uint64_t n = 0;
        (void)::read(wake_fd_, &n, sizeof n);
    }
    if (conn == nullptr || fds[1].revents == 0)
        return;
    if (PQconsumeInput(conn) == 0) {
        note(postgres_error::connection_lost,
             std::string("background connection, LISTEN: ") + PQerrorMessage(conn));
        background_conn_->drop();
        return;
    }
    take_notifications(conn);
}

/// Takes the notifications libpq holds; wakes the subscribers when one is for this
/// destination. True if there was any.
inline bool postgres_spool::take_notifications(PGconn* conn) {
    bool any = false, ours = false;
    while (PGnotify* n = PQnotifies(conn)) {
        any = true;
        ours = ours || options_.destination == n->extra;
        PQfreemem(n);
    }
    if (ours) {
        notifications_.fetch_add(1, std::memory_order_relaxed);
        wake_subscribers();
    }
    return any;
}

/// Deletes acknowledged rows (one batch); false on failure, and they stay queued.
inline bool postgres_spool::send_acks(std::unique_lock<std::mutex>& lk) {
    constexpr std::size_t batch_max = 1024;
    const std::size_t n = std::min(ack_queue_.size(), batch_max);
    std::vector<std::uint64_t> batch(ack_queue_.begin(),
                                     ack_queue_.begin() + static_cast<std::ptrdiff_t>(n));
    ack_queue_.erase(ack_queue_.begin(), ack_queue_.begin() + static_cast<std::ptrdiff_t>(n));
    lk.unlock();
    const std::string array = detail::postgres::bigint_array(batch);
    const auto o =
        background_conn_->run(delete_sql_, {array.c_str()}, "deleting acknowledged rows");
    lk.lock();
    if (o.error) {
        ack_queue_.insert(ack_queue_.begin(), batch.begin(), batch.end());
        return false;
    }
    acks_.fetch_add(n, std::memory_order_relaxed);
    return true;
}

/// Extends the lease of every row held here, so that no other worker takes it.
inline void postgres_spool::renew(std::unique_lock<std::mutex>& lk) {
    std::vector<std::uint64_t> held(held_.begin(), held_.end());
    held.insert(held.end(), ack_queue_.begin(), ack_queue_.end());
    lk.unlock();
    if (!held.empty()) {
        const std::string array = detail::postgres::bigint_array(held);
        const std::string lease = std::to_string(options_.lease.count());
        // A failure (server down) is noted; the next beat tries again.
        if (!background_conn_
                 ->run(renew_sql_, {array.c_str(), lease.c_str(), options_.worker.c_str()},
                       "renewing leases")
                 .error)
            renewals_.fetch_add(1, std::memory_order_relaxed);
    }
    lk.lock();
}

} // namespace webhook

#endif
