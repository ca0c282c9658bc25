#ifndef WEBHOOK_CONFIG_RETRY_HPP
#define WEBHOOK_CONFIG_RETRY_HPP

#include <webhook/error.hpp>

#include <boost/system/error_code.hpp>

#include <bitset>
#include <chrono>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <vector>

namespace webhook {

/** A set of HTTP status codes (100 to 599). */
class status_set {
public:
    status_set() = default;
    status_set(std::initializer_list<int> statuses) {
        for (const int s : statuses)
            insert(s);
    }

    /// Adds `status`; false (and nothing added) when it is outside 100 to 599.
    bool insert(int status) noexcept {
        if (status < 100 || status > 599)
            return false;
        bits_.set(static_cast<std::size_t>(status));
        return true;
    }
    bool contains(int status) const noexcept {
        return status >= 100 && status <= 599 && bits_.test(static_cast<std::size_t>(status));
    }
    std::size_t size() const noexcept { return bits_.count(); }
    friend bool operator==(const status_set&, const status_set&) = default;

    /** The statuses retried by default: 408 Request Timeout, 425 Too Early, 429 Too Many
        Requests, and every 5xx but 501 Not Implemented (which will not change by retrying). */
    static status_set default_retryable() {
        status_set s{408, 425, 429};
        for (int status = 500; status <= 599; ++status)
            if (status != 501)
                s.insert(status);
        return s;
    }

private:
    std::bitset<600> bits_;
};

/** When and how often a failed attempt is retried.

    Two forms:
    - **Exponential backoff with full jitter** (the default, `schedule` empty): retry `n`
      (1, 2, ...) waits a uniformly random time in `[0, min(max_delay, initial_delay *
      multiplier^(n-1))]`.
    - **An explicit schedule** (`schedule` not empty): retry `n` waits `schedule[n-1]` exactly,
      and there are at most `schedule.size()` retries.

    Either way at most `max_attempts` attempts are made (the first one included), and no retry
    starts later than `max_total_time` after the first attempt started. A `Retry-After` from the
    receiver replaces the computed delay, capped at `max_delay`. */
struct retry_policy {
    /// Attempts in all, the first included: 1 means no retries.
    std::size_t max_attempts = 8;
    std::chrono::milliseconds initial_delay{1'000};
    double multiplier = 2.0;
    std::chrono::milliseconds max_delay{60'000};
    std::chrono::milliseconds max_total_time{3'600'000};
    /// Explicit delays before retries 1, 2, ...; replaces the exponential form when not empty.
    std::vector<std::chrono::milliseconds> schedule{};
    /// Statuses that are retried; other non-2xx statuses fail at once.
    status_set retryable_statuses = status_set::default_retryable();

    friend bool operator==(const retry_policy&, const retry_policy&) = default;

    /// One attempt only.
    static retry_policy none() {
        retry_policy p;
        p.max_attempts = 1;
        return p;
    }

    /// Exactly the delays given, e.g. `{5s, 5min, 30min, 2h}`.
    static retry_policy fixed_schedule(std::vector<std::chrono::milliseconds> delays) {
        retry_policy p;
        p.max_attempts = delays.size() + 1;
        p.max_delay = std::chrono::milliseconds::max();
        p.max_total_time = std::chrono::milliseconds::max();
        p.schedule = std::move(delays);
        return p;
    }
};

/** What one attempt's result means for the event. */
enum class attempt_class {
    /// 2xx: the receiver has it.
    delivered,
    /// A retryable status, a connection error or a timeout.
    retryable,
    /// Any other status (3xx, 4xx, 501), or a destination the endpoint may not reach
    /// (`error::address_not_allowed`): retrying would not change it.
    permanent,
    /// 410 Gone: permanent, and the endpoint no longer exists.
    gone,
};

/** Classifies one attempt: `ec` is the transport's error (then `status` is ignored), else
    `status` is the response's status code. */
attempt_class classify(boost::system::error_code ec, int status,
                       const status_set& retryable) noexcept;

/** The delay before the next attempt, or nothing when the event must not be retried again.

    @param policy     the retry policy
    @param attempts   attempts made so far (at least 1)
    @param elapsed    time since the first attempt started, now
    @param retry_after the receiver's `Retry-After`, if it gave one (already converted to a delay)
    @param random01   a uniformly distributed number in [0, 1), for the jitter

    Out-of-range arguments give defined results: `attempts` 0 counts as 1, a negative `elapsed`
    as 0, `random01` is clamped to [0, 1] (NaN counts as 0), and the delay is never negative. */
std::optional<std::chrono::milliseconds>
next_retry_delay(const retry_policy& policy, std::size_t attempts,
                 std::chrono::milliseconds elapsed,
                 std::optional<std::chrono::milliseconds> retry_after, double random01) noexcept;

} // namespace webhook

#include <webhook/config/impl/retry.hpp>

#endif
