#ifndef WEBHOOK_DISPATCH_DETAIL_CIRCUIT_BREAKER_HPP
#define WEBHOOK_DISPATCH_DETAIL_CIRCUIT_BREAKER_HPP

#include <webhook/config/circuit.hpp>

#include <chrono>
#include <cstddef>
#include <optional>

namespace webhook::detail {

/** A circuit breaker for one endpoint, as a pure state machine.

    It does no I/O and never reads the clock: every call that needs the time is given `now`,
    so that tests and the dispatcher decide what time it is. Each call that changes the state
    returns the new state, for the caller to report.

    The protocol: before starting an attempt, call `try_acquire(now)`; when it is allowed,
    start the attempt and later report its result with `on_success` or `on_failure` (or
    `on_cancel` if it ended without a result), passing the permit's `probe` flag back.

    - **closed**: every attempt is allowed. `failures` consecutive failures (a success resets
      the count) open the circuit for `cool_down`.
    - **open**: no attempt is allowed; the permit's `retry_at` is the end of the cool-down. The
      first `try_acquire` at or after it moves to half-open and is the probe.
    - **half-open**: the probe is the only attempt in flight that counts; every other caller is
      refused. The probe's success closes the circuit; its failure opens it for another
      cool-down.

    Results of attempts that started before the circuit opened (several were in flight) may
    arrive while it is open or half-open. They count as follows:
    - a success of any attempt closes the circuit at once: the receiver answers again;
    - a failure of an attempt that is not the probe changes nothing while open or half-open:
      it neither extends the cool-down nor takes the place of the probe's verdict;
    - a probe's result that arrives when the circuit has left half-open meanwhile (a late
      success closed it) counts as an ordinary attempt's.

    The probe is marked by a flag, not an identity: a probe that outlived a late success, a
    reopening and a whole cool-down would be taken for the new probe. That needs an attempt
    longer than a cool-down, and costs at most one early reopening or one extra probe.

    With `failures == 0` the breaker is off: always closed, every attempt allowed, results
    ignored.

    @tparam Clock any clock type; only its `time_point` and `duration` are used */
template <class Clock>
class circuit_breaker {
public:
    using time_point = typename Clock::time_point;
    using duration = typename Clock::duration;

    /// The answer of `try_acquire`.
    struct permit {
        /// The attempt may start.
        bool allowed = false;
        /// The attempt is the half-open probe: pass this back to `on_success`/`on_failure`.
        bool probe = false;
        /** When refused: when to ask again. The end of the cool-down while open; while the
            probe is in flight, `now + cool_down` (the probe's result normally comes first,
            and changes the state). When allowed: `now`. */
        time_point retry_at{};
        /// The new state, when this call changed it (open -> half_open).
        std::optional<circuit_state> changed{};
    };

    /// A closed circuit.
    explicit circuit_breaker(circuit_breaker_options options) noexcept
        : failures_(options.failures), cool_down_(clamp(options.cool_down)) {}

    /// Whether an attempt may start at `now`.
    permit try_acquire(time_point now) noexcept {
        switch (state_) {
        case circuit_state::closed:
            return {.allowed = true, .retry_at = now};
        case circuit_state::open:
            if (now < open_until_)
                return {.retry_at = open_until_};
            state_ = circuit_state::half_open;
            probe_in_flight_ = true;
            return {.allowed = true, .probe = true, .retry_at = now, .changed = state_};
        case circuit_state::half_open:
            // A probe given back by on_cancel is replaced at once.
            if (!probe_in_flight_) {
                probe_in_flight_ = true;
                return {.allowed = true, .probe = true, .retry_at = now};
            }
            return {.retry_at = later(now, cool_down_)};
        }
        return {.retry_at = now}; // not reached: every state is handled above
    }

    /** An attempt succeeded: the circuit closes, whichever attempt it was.
        @returns `circuit_state::closed` when it was open or half-open. */
    std::optional<circuit_state> on_success([[maybe_unused]] bool probe = false) noexcept {
        // `probe` is taken for symmetry with on_failure: any success is proof enough.
        consecutive_failures_ = 0;
        if (state_ == circuit_state::closed)
            return std::nullopt;
        state_ = circuit_state::closed;
        probe_in_flight_ = false;
        return state_;
    }

    /** An attempt failed at `now`.
        @param probe the permit's `probe`
        @returns `circuit_state::open` when this failure opened the circuit (the threshold was
                 reached while closed, or the probe failed). */
    std::optional<circuit_state> on_failure(time_point now, bool probe = false) noexcept {
        if (failures_ == 0)
            return std::nullopt;
        if (state_ == circuit_state::half_open) {
            if (!probe) // an attempt from before the circuit opened: the probe decides
                return std::nullopt;
            return open(now);
        }
        if (state_ == circuit_state::open) // late news of the outage that opened it
            return std::nullopt;
        if (++consecutive_failures_ < failures_)
            return std::nullopt;
        return open(now);
    }

    /** An allowed attempt ended without a result (cancelled, abandoned at shutdown): it counts
        neither way. If it was the probe, the next `try_acquire` gets a new probe at once. */
    void on_cancel(bool probe = false) noexcept {
        if (probe && state_ == circuit_state::half_open)
            probe_in_flight_ = false;
    }

    circuit_state state() const noexcept { return state_; }

    /// False when `failures` is 0: the breaker never opens.
    bool enabled() const noexcept { return failures_ != 0; }

    /// While open: when the cool-down ends (the next probe may start).
    time_point open_until() const noexcept { return open_until_; }

    /// Failures counted since the last success while closed.
    std::size_t consecutive_failures() const noexcept { return consecutive_failures_; }

private:
    std::size_t failures_;
    duration cool_down_;
    circuit_state state_ = circuit_state::closed;
    std::size_t consecutive_failures_ = 0;
    time_point open_until_{};
    bool probe_in_flight_ = false;

    std::optional<circuit_state> open(time_point now) noexcept {
        state_ = circuit_state::open;
        open_until_ = later(now, cool_down_);
        consecutive_failures_ = 0;
        probe_in_flight_ = false;
        return state_;
    }

    /// The cool-down in clock ticks: not negative, and no overflow converting a huge one.
    static duration clamp(std::chrono::milliseconds d) noexcept {
        if (d <= std::chrono::milliseconds::zero())
            return duration::zero();
        // Compared as doubles: converting either side exactly could overflow.
        using ticks = std::chrono::duration<double, typename duration::period>;
        if (ticks(d) >= ticks(duration::max()))
            return duration::max();
        return std::chrono::ceil<duration>(d); // a coarse clock waits longer, never shorter
    }

    /// `now + d`, saturating at the clock's end instead of wrapping around.
    static time_point later(time_point now, duration d) noexcept {
        return now > time_point::max() - d ? time_point::max() : now + d;
    }
};

} // namespace webhook::detail

#endif
