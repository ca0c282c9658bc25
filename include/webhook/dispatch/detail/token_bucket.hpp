#ifndef WEBHOOK_DISPATCH_DETAIL_TOKEN_BUCKET_HPP
#define WEBHOOK_DISPATCH_DETAIL_TOKEN_BUCKET_HPP

#include <algorithm>
#include <chrono>
#include <cstddef>

namespace webhook::detail {

/** A token bucket: at most `burst` requests at once, refilled at `per_second` tokens a second.

    It does no I/O and never reads the clock: every call is given `now`, so that tests and the
    dispatcher decide what time it is. Internally it is the equivalent GCRA form (one
    "theoretical arrival time" instead of a token count), in whole `Clock::duration` ticks, so
    that no rounding error accumulates however many tokens are taken.

    @tparam Clock any clock type; only its `time_point` and `duration` are used */
template <class Clock>
class token_bucket {
public:
    using time_point = typename Clock::time_point;
    using duration = typename Clock::duration;

    /** A full bucket (`burst` tokens) at `now`.

        @param per_second tokens added per second; zero (or anything not positive) means
               unlimited: `take` always succeeds. Fractional rates work: 0.5 is a token every
               two seconds.
        @param burst the bucket's capacity; 0 is taken as 1, since an empty bucket could never
               give a token. */
    token_bucket(double per_second, std::size_t burst, time_point now) noexcept
        : burst_(std::max<std::size_t>(burst, 1)), tat_(now) {
        if (!(per_second > 0)) // also catches NaN
            return;
        // The interval between tokens, rounded up so that the rate is never exceeded, and
        // bounded (at rates of a token per decades) so that now + (burst + 1) * interval cannot
        // overflow the clock's representation while now is within half its range.
        const double limit = static_cast<double>(duration::max().count()) / 2.0 /
                             (static_cast<double>(burst_) + 1.0);
        using ticks = std::chrono::duration<double, typename duration::period>;
        const ticks interval = std::chrono::duration<double>(1.0 / per_second);
        // Infinity gives a zero interval: unlimited.
        interval_ = interval.count() >= limit ? duration(static_cast<typename duration::rep>(limit))
                                              : std::chrono::ceil<duration>(interval);
    }

    /** Takes one token if there is one.

        @returns zero when a token was taken; otherwise the time from `now` until the next
                 token is available, and nothing is taken. */
    duration take(time_point now) noexcept {
        if (interval_ == duration::zero())
            return duration::zero();
        // An idle bucket is full, never fuller: time before `now` earns no extra tokens.
        const time_point next = std::max(tat_, now) + interval_;
        const duration capacity = interval_ * static_cast<typename duration::rep>(burst_);
        if (next - now > capacity)
            return next - now - capacity;
        tat_ = next;
        return duration::zero();
    }

    /// True when the bucket never limits (`per_second` was not positive).
    bool unlimited() const noexcept { return interval_ == duration::zero(); }

    /// The time between two tokens; zero when unlimited.
    duration interval() const noexcept { return interval_; }

    std::size_t burst() const noexcept { return burst_; }

private:
    std::size_t burst_;
    duration interval_ = duration::zero();
    // When the bucket is next full; tokens available at `now` = burst - (tat_ - now) / interval.
    time_point tat_;
};

} // namespace webhook::detail

#endif
