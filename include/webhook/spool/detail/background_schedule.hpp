#ifndef WEBHOOK_SPOOL_DETAIL_BACKGROUND_SCHEDULE_HPP
#define WEBHOOK_SPOOL_DETAIL_BACKGROUND_SCHEDULE_HPP

// What the background thread of a shared spool (Redis, PostgreSQL) does next, decided apart
// from its I/O: send the queued acknowledgements (again after a failure, not before a pause),
// keep what this process holds (a heartbeat, a lease renewal) every `beat`, or wait.

#include <algorithm>
#include <chrono>

namespace webhook::detail {

template <class Clock = std::chrono::steady_clock>
class background_schedule {
public:
    using time_point = typename Clock::time_point;
    using duration = typename Clock::duration;

    enum class task { send_acks, keep_held, wait };
    struct step {
        task what;
        time_point until; // for `wait`: when to look again
    };

    /// `beat`: how often what is held is kept; `ack_retry`: the pause after a failed send.
    background_schedule(duration beat, duration ack_retry, time_point now) noexcept
        : beat_(std::max(beat, duration(1))), ack_retry_(ack_retry), next_keep_(now + beat_) {}

    /// The next task, given whether acknowledgements are queued. Acknowledgements come first:
    /// until they reach the server, their records stay held and are kept for nothing.
    step next(time_point now, bool acks_queued) const noexcept {
        if (acks_queued && now >= ack_retry_at_)
            return {task::send_acks, now};
        if (now >= next_keep_)
            return {task::keep_held, now};
        return {task::wait, acks_queued ? std::min(next_keep_, ack_retry_at_) : next_keep_};
    }

    void acks_sent(bool ok, time_point now) noexcept {
        if (!ok)
            ack_retry_at_ = now + ack_retry_;
    }
    void kept(time_point now) noexcept { next_keep_ = now + beat_; }

private:
    duration beat_, ack_retry_;
    time_point next_keep_;
    time_point ack_retry_at_{};
};

} // namespace webhook::detail

#endif
