#ifndef WEBHOOK_SPOOL_DETAIL_BATCH_LEADER_HPP
#define WEBHOOK_SPOOL_DETAIL_BATCH_LEADER_HPP

// Group commit without a thread of its own, for the shared spools' appends (Redis, PostgreSQL):
// each caller queues its request; the first to find no batch under way sends what is queued
// (its own request among it or not), while the others wait for theirs. Concurrent appends so
// share one round trip (Redis) or one commit (PostgreSQL).

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <span>
#include <vector>

namespace webhook::detail {

/// `Request` has a `bool done`, set here once its batch was sent.
template <class Request>
class batch_leader {
public:
    /// `max`: the most requests in one batch (at least 1).
    explicit batch_leader(std::size_t max) : max_(std::max<std::size_t>(max, 1)) {}

    /** Returns once `req` was sent, by this thread or another. `send(std::span<Request* const>)`
        sends one batch and fills each request's result; it runs without the lock, one at a
        time, and must not throw. */
    template <class Send>
    void submit(Request& req, Send&& send) {
        std::unique_lock lk(mu_);
        queue_.push_back(&req);
        while (!req.done) {
            if (sending_) {
                cv_.wait(lk);
                continue;
            }
            sending_ = true;
            const auto n = static_cast<std::ptrdiff_t>(std::min(queue_.size(), max_));
            batch_.assign(queue_.begin(), queue_.begin() + n);
            queue_.erase(queue_.begin(), queue_.begin() + n);
            lk.unlock();
            send(std::span<Request* const>(batch_));
            lk.lock();
            for (Request* q : batch_)
                q->done = true;
            sending_ = false;
            cv_.notify_all();
        }
    }

private:
    const std::size_t max_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<Request*> queue_;
    std::vector<Request*> batch_; // the one being sent (only its sender touches it unlocked)
    bool sending_ = false;
};

} // namespace webhook::detail

#endif
