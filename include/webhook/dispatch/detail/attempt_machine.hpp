#ifndef WEBHOOK_DISPATCH_DETAIL_ATTEMPT_MACHINE_HPP
#define WEBHOOK_DISPATCH_DETAIL_ATTEMPT_MACHINE_HPP

#include <webhook/auth/detail/token_cache.hpp>
#include <webhook/config/retry.hpp>
#include <webhook/dispatch/delivery.hpp>
#include <webhook/dispatch/detail/circuit_breaker.hpp>
#include <webhook/dispatch/detail/token_bucket.hpp>
#include <webhook/error.hpp>

#include <boost/system/error_code.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <utility>

// The life of one request, from its first attempt to its outcome, decided without I/O: each
// function takes the request's state, what happened and the time, and returns what the
// dispatcher must do next. The dispatcher only carries that out (send, arm a timer, fetch a
// token, settle), so every decision is tested step by step without sockets or clocks.
namespace webhook::detail {

/// What the dispatcher does next for one request.
enum class attempt_step {
    send,        ///< send it now
    wait,        ///< ask again at `at`: the circuit is open, the rate limit, a retry delay
    fetch_token, ///< wait for the token its credential needs, which this request asks for
    await_token, ///< wait for the token its credential needs, which another request asks for
    settle,      ///< end the request's events with `status` and `error`
};

template <class TimePoint>
struct attempt_action {
    attempt_step step = attempt_step::send;
    /// `wait`: when to ask again.
    TimePoint at{};
    /// `wait`: for the circuit breaker (a circuit that closes wakes it early).
    bool circuit_wait = false;
    /// `send`: put the current token into the request first.
    bool authorize = false;
    /// `settle`: how the events end, and why.
    delivery_status status = delivery_status::delivered;
    boost::system::error_code error{};
    /// After an answer that leads to another attempt: the delay chosen (recorded in the
    /// attempt; zero for the one new try after a 401). None otherwise.
    std::optional<std::chrono::milliseconds> retry_delay{};
    /// The circuit's new state, when this step changed it.
    std::optional<circuit_state> circuit{};
};

/// One request's progress. Kept by the dispatcher per request slot, under its lock.
template <class TimePoint>
struct attempt_state {
    /// When its oldest event was accepted: what `max_event_age` measures.
    TimePoint accepted{};
    /// When its first attempt started: what `retry.max_total_time` measures.
    TimePoint first_start{};
    /// Attempts answered so far (a token request that failed counts as one).
    std::size_t attempts = 0;
    /// The attempt in flight is the circuit breaker's probe.
    bool probe = false;
    /// A 401 already made this request fetch a new token (once per request; see
    /// `token_cache::refused_by`).
    bool token_refused = false;
    /// The generation of the token its request carries (kept across the slot's requests).
    std::uint64_t token_generation = 0;

    /// Starts a new request in the slot, its oldest event accepted at `oldest`.
    void restart(TimePoint oldest, TimePoint now) noexcept {
        accepted = oldest;
        first_start = now;
        attempts = 0;
        token_refused = false;
    }
};

/// How an attempt ended.
struct attempt_answer {
    /// The transport's error (or the token request's): then `status` is 0.
    boost::system::error_code error{};
    int status = 0;
    /// The receiver's `Retry-After`, already a delay.
    std::optional<std::chrono::milliseconds> retry_after{};
    /// Uniform in [0, 1): the jitter of the next delay.
    double random01 = 0;
};

/** The endpoint-wide parts every request consults: its settings and the shared circuit
    breaker, rate limit and token cache (null when not configured; the token cache when the
    authentication needs a token, `request_authenticator::needs_token`). */
template <class Clock>
struct attempt_context {
    std::chrono::milliseconds max_event_age{};
    const retry_policy& retry;
    circuit_breaker<Clock>& breaker;
    token_bucket<Clock>* bucket = nullptr;
    token_cache<Clock>* tokens = nullptr;
};

/** Before an attempt: expired, or waiting for a token, the circuit or the rate limit, or
    sent. */
template <class Clock>
attempt_action<typename Clock::time_point>
before_attempt(const attempt_context<Clock>& c, attempt_state<typename Clock::time_point>& s,
               typename Clock::time_point now) {
    using duration = typename Clock::duration;
    attempt_action<typename Clock::time_point> next;
    // In milliseconds: a huge maximum age would overflow a nanosecond time point.
    const auto age = std::chrono::duration_cast<std::chrono::milliseconds>(now - s.accepted);
    if (c.max_event_age.count() > 0 && age > c.max_event_age) {
        next.step = attempt_step::settle;
        next.status = delivery_status::failed;
        next.error = error::event_expired;
        return next;
    }
    if (c.tokens != nullptr) {
        using token_state = typename token_cache<Clock>::state;
        const token_state t = c.tokens->acquire(now);
        if (t != token_state::ready) {
            next.step =
                t == token_state::fetch ? attempt_step::fetch_token : attempt_step::await_token;
            return next;
        }
    }
    const auto permit = c.breaker.try_acquire(now);
    next.circuit = permit.changed;
    if (!permit.allowed) {
        next.step = attempt_step::wait;
        next.at = now + std::max<duration>(permit.retry_at - now, duration(1));
        next.circuit_wait = true;
        return next;
    }
    if (c.bucket != nullptr) {
        if (const duration wait = c.bucket->take(now); wait.count() > 0) {
            c.breaker.on_cancel(permit.probe); // asked again when the token is there
            next.step = attempt_step::wait;
            next.at = now + wait;
            return next;
        }
    }
    s.probe = permit.probe;
    if (c.tokens != nullptr && s.token_generation != c.tokens->generation()) {
        next.authorize = true;
        s.token_generation = c.tokens->generation();
    }
    return next;
}

/** After an attempt's answer: settled, or another attempt after a delay (or at once, with a
    new token, after the first refusal of the token a request carried). */
template <class Clock>
attempt_action<typename Clock::time_point>
after_answer(const attempt_context<Clock>& c, attempt_state<typename Clock::time_point>& s,
             const attempt_answer& a, typename Clock::time_point now) {
    attempt_action<typename Clock::time_point> next;
    ++s.attempts;
    const bool probe = std::exchange(s.probe, false);
    if (c.tokens != nullptr &&
        c.tokens->refused_by(a.status, s.token_generation, s.token_refused)) {
        // The token may have been revoked or expired early: a new one, once, at once.
        const auto circuit = c.breaker.on_success(probe); // the receiver is up: it answered
        next = before_attempt(c, s, now);
        next.retry_delay = std::chrono::milliseconds(0);
        if (!next.circuit)
            next.circuit = circuit;
        return next;
    }
    const attempt_class verdict = classify(a.error, a.status, c.retry.retryable_statuses);
    // Any answer but a retryable one shows that the receiver is up.
    next.circuit = verdict == attempt_class::retryable ? c.breaker.on_failure(now, probe)
                                                       : c.breaker.on_success(probe);
    next.step = attempt_step::settle;
    switch (verdict) {
    case attempt_class::delivered:
        next.status = delivery_status::delivered;
        return next;
    case attempt_class::gone:
        next.status = delivery_status::gone;
        next.error = error::endpoint_gone;
        return next;
    case attempt_class::permanent:
        next.status = delivery_status::failed;
        next.error = a.error ? a.error : make_error_code(error::rejected_by_receiver);
        return next;
    case attempt_class::retryable:
        break;
    }
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(now - s.first_start);
    const auto delay = next_retry_delay(c.retry, s.attempts, elapsed, a.retry_after, a.random01);
    if (!delay) { // the last attempt's own error says more than "no retries left"
        next.status = delivery_status::failed;
        next.error = a.error ? a.error : make_error_code(error::retries_exhausted);
        return next;
    }
    next.step = attempt_step::wait;
    next.at = now + *delay; // from the answer, however late the dispatcher acts on it
    next.retry_delay = *delay;
    return next;
}

} // namespace webhook::detail

#endif
