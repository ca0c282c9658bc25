#ifndef WEBHOOK_DISPATCH_DETAIL_ADAPTIVE_LIMIT_HPP
#define WEBHOOK_DISPATCH_DETAIL_ADAPTIVE_LIMIT_HPP

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>

namespace webhook::detail {

/// What a finished request says about the receiver's load.
enum class adaptive_outcome {
    success,       ///< 2xx: its round-trip time is a sample
    back_pressure, ///< 429, 503, a connection reset, a timeout: the receiver is overloaded
    other_failure, ///< any other failure (4xx, 500, DNS, TLS): it says nothing about load
};

/// The outcome of an HTTP answer. Transport errors are the caller's to map: resets and timeouts
/// are `back_pressure`, the rest `other_failure`.
constexpr adaptive_outcome adaptive_outcome_of(unsigned status) noexcept {
    if (status >= 200 && status < 300)
        return adaptive_outcome::success;
    if (status == 429 || status == 503)
        return adaptive_outcome::back_pressure;
    return adaptive_outcome::other_failure;
}

/// What the last adjustment did.
enum class adaptive_decision { none, held, increased, decreased_rtt, decreased_back_pressure };

constexpr const char* to_string(adaptive_decision d) noexcept {
    constexpr const char* names[] = {"none", "held", "increased", "decreased_rtt",
                                     "decreased_back_pressure"};
    const auto i = static_cast<std::size_t>(d);
    return i < std::size(names) ? names[i] : "unknown";
}

/// The settings of `adaptive_limit`. Values out of range fall back to the defaults.
struct adaptive_limit_options {
    /// Off (the default), the limit stays at `ceiling`: adaptive concurrency is opt-in.
    bool enabled = false;
    /// Ordered delivery: the limit stays at 1, whatever `enabled` says.
    bool ordered = false;
    /// The limit to start from, within [1, ceiling].
    std::size_t initial = 1;
    /// The endpoint's `max_in_flight`; 0 is taken as 1.
    std::size_t ceiling = 8;
    /// The limit is multiplied by this, in (0, 1), when the round-trip time grew.
    double rtt_decrease = 0.9;
    /// ... and by this, in (0, 1), after back-pressure: a stronger signal than latency.
    double back_pressure_decrease = 0.5;
    /// Weight of the last window in the mean RTT and in the noise estimate, in (0, 1].
    double ewma_alpha = 0.4;
    /// RTT "grew" when a window's mean passes the unloaded RTT by this fraction...
    double rtt_tolerance = 0.1;
    /// ... plus this many standard errors of the window's mean (noise is not growth).
    double rtt_noise_scale = 3.0;
    /// After back-pressure, the limit it came at is tried again only after this many windows
    /// (it grows freely below it): a receiver that rejects above K is probed above K once in
    /// this many windows, not once in every few. 0: at once.
    std::size_t probe_interval = 32;
};

/** An adaptive concurrency limit for one endpoint: additive increase, multiplicative decrease
    on round-trip time and back-pressure, after Vector's Adaptive Request Concurrency.

    It does no I/O and never reads the clock: every call that needs the time is given `now`.

    Time is cut into windows as long as the mean RTT; a window closes at the first counted
    result after its end, or at the first back-pressure if it did not begin with a decrease (a
    receiver that rejects at once would otherwise see a window's worth of rejected requests
    before the limit moves), and the limit then changes once:
    - back-pressure in the window: times `back_pressure_decrease`;
    - else the window's mean RTT above the unloaded RTT (tolerance and noise allowed): times
      `rtt_decrease`;
    - else, if the limit was reached in the window (demand) and a success was measured: plus
      one, up to `ceiling`; but not up to the limit of the last back-pressure before
      `probe_interval` windows have passed since (a receiver that rejects above K would
      otherwise be probed with K + 1 every few windows, each probe a rejected request).

    Unlike Vector's, growth is measured against the unloaded RTT, not a moving average (which
    follows the latency up as the limit climbs, to the ceiling on a receiver slower under
    load): the lowest upper bound (mean plus `rtt_noise_scale` standard errors, so that noise
    does not pull it down) of a window's mean, taken anew whenever the limit is 1. Results of
    requests started before the last decrease are not counted (it answered them: an outage of
    N requests decreases once); back-pressure without any success still decreases.

    @tparam Clock any clock type; only its `time_point` and `duration` are used */
template <class Clock>
class adaptive_limit {
public:
    using time_point = typename Clock::time_point;
    using duration = typename Clock::duration;

    /// What the metrics show.
    struct stats_type {
        std::size_t limit = 1;
        /// The moving average of the windows' mean RTT; zero before the first success.
        duration mean_rtt{};
        /// The reference for "RTT grew"; zero until a window had two successes.
        duration unloaded_rtt{};
        adaptive_decision last_decision = adaptive_decision::none;
        std::uint64_t increases = 0;
        std::uint64_t decreases = 0;
        /// The end of the last `Retry-After` pause (in the past when not paused).
        time_point paused_until{};
    };

    explicit adaptive_limit(const adaptive_limit_options& o) noexcept
        : o_(sanitize(o)), fixed_(!o.enabled || o.ordered) {
        if (o.ordered)
            o_.ceiling = 1;
        limit_ = o.enabled ? std::clamp<std::size_t>(o.initial, 1, o_.ceiling) : o_.ceiling;
    }

    /// Whether a request may start at `now` with `in_flight` already in flight.
    bool may_start(time_point now, std::size_t in_flight) const noexcept {
        return !paused(now) && in_flight < limit_;
    }

    /// Whether a `Retry-After` holds every start at `now`.
    bool paused(time_point now) const noexcept { return now < paused_until_; }

    /// When starts may resume (a timer to arm while `paused`).
    time_point paused_until() const noexcept { return paused_until_; }

    /// A request started; `in_flight` counts it. Reaching the limit is the demand that allows
    /// an increase: an idle endpoint gives no evidence that a higher limit would be used.
    void on_start(std::size_t in_flight) noexcept {
        if (in_flight >= limit_)
            demand_ = true;
    }

    /** A request that started at `now - rtt` finished at `now`.
        @returns the decision when this result closed a window, otherwise `none`. */
    adaptive_decision on_result(time_point now, duration rtt, adaptive_outcome outcome) noexcept {
        rtt = std::max(rtt, duration::zero()); // a clock that stepped back measures nothing
        if (fixed_ || (decreased_ && now - rtt < last_decrease_))
            return adaptive_decision::none;
        if (outcome == adaptive_outcome::back_pressure)
            back_pressure_ = true;
        if (outcome == adaptive_outcome::success) {
            const auto x = static_cast<double>(rtt.count());
            sum_ += x;
            squares_ += x * x;
            ++samples_;
        }
        if (!have_mean_)
            first_rtt_ = rtt; // times the windows until a success gives a mean
        // Back-pressure cuts a window short, unless the window began with a decrease: a
        // receiver that rejects at once would otherwise take a window's worth of rejections.
        const bool cut_short = outcome == adaptive_outcome::back_pressure && !began_decreased_;
        if (now < window_end_ && !cut_short)
            return adaptive_decision::none;
        return close_window(now);
    }

    /// The receiver asked to wait until `until`: no request starts before. A shorter pause
    /// never cuts a longer one short. The answer itself also goes to `on_result`.
    void on_retry_after(time_point until) noexcept {
        paused_until_ = std::max(paused_until_, until);
    }

    /// The current limit, within [1, ceiling].
    std::size_t limit() const noexcept { return limit_; }

    std::size_t ceiling() const noexcept { return o_.ceiling; }

    /// False when off or ordered: the limit never changes.
    bool adaptive() const noexcept { return !fixed_; }

    stats_type stats() const noexcept {
        return {.limit = limit_,
                .mean_rtt = to_duration(mean_),
                .unloaded_rtt = to_duration(base_),
                .last_decision = last_,
                .increases = increases_,
                .decreases = decreases_,
                .paused_until = paused_until_};
    }

private:
    adaptive_limit_options o_;
    bool fixed_;
    std::size_t limit_ = 1;
    // The current window; RTTs in clock ticks.
    time_point window_end_ = time_point::min(); // the first counted result closes it
    bool began_decreased_ = false;              // the current window began with a decrease
    // The limit at the last back-pressure (none yet: max) and the windows closed since.
    std::size_t pressured_at_ = std::numeric_limits<std::size_t>::max();
    std::size_t windows_since_pressure_ = 0;
    double sum_ = 0;
    double squares_ = 0;
    std::size_t samples_ = 0;
    bool back_pressure_ = false;
    bool demand_ = false;
    // What the windows before taught.
    bool have_mean_ = false;
    double mean_ = 0;
    bool have_noise_ = false;
    double noise_ = 0; // the variance of one sample
    bool have_base_ = false;
    double base_ = 0; // the unloaded RTT
    duration first_rtt_{};
    bool decreased_ = false;
    time_point last_decrease_{};
    adaptive_decision last_ = adaptive_decision::none;
    std::uint64_t increases_ = 0;
    std::uint64_t decreases_ = 0;
    time_point paused_until_ = time_point::min();

    adaptive_decision close_window(time_point now) noexcept {
        const std::size_t before = limit_;
        const double current = samples_ != 0 ? sum_ / static_cast<double>(samples_) : 0;
        if (back_pressure_)
            last_ = decrease(o_.back_pressure_decrease, adaptive_decision::decreased_back_pressure);
        else if (samples_ != 0 && have_base_ && grew(current))
            last_ = decrease(o_.rtt_decrease, adaptive_decision::decreased_rtt);
        else if (samples_ != 0 && demand_ && limit_ < o_.ceiling && may_probe())
            last_ = increase();
        else
            last_ = adaptive_decision::held;
        note_pressure(before);
        began_decreased_ = limit_ < before;
        if (began_decreased_) {
            decreased_ = true;
            last_decrease_ = now;
        }
        if (samples_ != 0) {
            learn_noise(current); // after the decision: growth is not noise
            learn_rtt(current, before == 1);
        }
        const duration length = have_mean_ ? to_duration(mean_) : first_rtt_;
        window_end_ = now > time_point::max() - length ? time_point::max() : now + length;
        sum_ = squares_ = 0;
        samples_ = 0;
        back_pressure_ = demand_ = false;
        return last_;
    }

    /// Whether an increase may reach the limit of the last back-pressure.
    bool may_probe() const noexcept {
        return limit_ + 1 < pressured_at_ || windows_since_pressure_ >= o_.probe_interval;
    }

    /// Remembers the limit back-pressure came at, and counts the windows since.
    void note_pressure(std::size_t before) noexcept {
        if (back_pressure_) {
            pressured_at_ = before;
            windows_since_pressure_ = 0;
        } else if (windows_since_pressure_ < std::numeric_limits<std::size_t>::max()) {
            ++windows_since_pressure_;
        }
    }

    /// Above the unloaded RTT by the tolerance and by the noise a mean of this many has.
    bool grew(double current) const noexcept {
        return current > base_ * (1 + o_.rtt_tolerance) + o_.rtt_noise_scale * error();
    }

    /// The standard error of this window's mean RTT.
    double error() const noexcept { return std::sqrt(noise_ / static_cast<double>(samples_)); }

    /// The variance of one sample, from the spread within windows (across windows the load
    /// changes: that spread would hide growth).
    void learn_noise(double current) noexcept {
        if (samples_ < 2)
            return;
        const double n = static_cast<double>(samples_);
        const double v = std::max(0.0, (squares_ - n * current * current) / (n - 1));
        noise_ = have_noise_ ? noise_ + o_.ewma_alpha * (v - noise_) : v;
        have_noise_ = true;
    }

    void learn_rtt(double current, bool alone) noexcept {
        mean_ = have_mean_ ? mean_ + o_.ewma_alpha * (current - mean_) : current;
        have_mean_ = true;
        if (!have_noise_)
            return; // no telling a lucky sample from the receiver's pace yet
        // At a limit of 1 nothing of ours queues: the window is the receiver's own pace.
        const double upper = current + o_.rtt_noise_scale * error();
        if (!have_base_ || alone || upper < base_)
            base_ = upper;
        have_base_ = true;
    }

    adaptive_decision decrease(double factor, adaptive_decision why) noexcept {
        // The floor makes it strictly smaller whenever it can be.
        const auto next = std::max<std::size_t>(
            1, static_cast<std::size_t>(std::floor(static_cast<double>(limit_) * factor)));
        if (next == limit_)
            return adaptive_decision::held;
        limit_ = next;
        ++decreases_;
        return why;
    }

    adaptive_decision increase() noexcept {
        ++limit_;
        ++increases_;
        return adaptive_decision::increased;
    }

    static duration to_duration(double ticks) noexcept {
        using fticks = std::chrono::duration<double, typename duration::period>;
        return std::chrono::duration_cast<duration>(fticks(ticks));
    }

    static adaptive_limit_options sanitize(adaptive_limit_options o) noexcept {
        const adaptive_limit_options d;
        o.ceiling = std::max<std::size_t>(o.ceiling, 1);
        // Written so that NaN falls back too. A decrease must shrink: strictly below 1.
        if (!(o.rtt_decrease > 0 && o.rtt_decrease < 1))
            o.rtt_decrease = d.rtt_decrease;
        if (!(o.back_pressure_decrease > 0 && o.back_pressure_decrease < 1))
            o.back_pressure_decrease = d.back_pressure_decrease;
        if (!(o.ewma_alpha > 0 && o.ewma_alpha <= 1))
            o.ewma_alpha = d.ewma_alpha;
        if (!(o.rtt_tolerance >= 0 && o.rtt_tolerance < 1e6))
            o.rtt_tolerance = d.rtt_tolerance;
        if (!(o.rtt_noise_scale >= 0 && o.rtt_noise_scale < 1e6))
            o.rtt_noise_scale = d.rtt_noise_scale;
        return o;
    }
};

} // namespace webhook::detail

#endif
