#ifndef WEBHOOK_CONFIG_IMPL_RETRY_HPP
#define WEBHOOK_CONFIG_IMPL_RETRY_HPP

#include <algorithm>
#include <cmath>

namespace webhook {

inline attempt_class classify(boost::system::error_code ec, int status,
                              const status_set& retryable) noexcept {
    if (ec == error::address_not_allowed) // the guard's verdict, not a passing fault
        return attempt_class::permanent;
    if (ec)
        return attempt_class::retryable;
    if (status >= 200 && status <= 299)
        return attempt_class::delivered;
    if (status == 410)
        return attempt_class::gone;
    return retryable.contains(status) ? attempt_class::retryable : attempt_class::permanent;
}

inline std::optional<std::chrono::milliseconds>
next_retry_delay(const retry_policy& policy, std::size_t attempts,
                 std::chrono::milliseconds elapsed,
                 std::optional<std::chrono::milliseconds> retry_after, double random01) noexcept {
    using ms = std::chrono::milliseconds;
    // Out-of-contract inputs get defined results: this runs on every failure, noexcept.
    attempts = std::max<std::size_t>(attempts, 1); // schedule[attempts - 1] must exist
    elapsed = std::max(elapsed, ms{0});            // max_total_time - elapsed must not overflow
    if (attempts >= policy.max_attempts)
        return std::nullopt;
    ms delay{};
    if (!policy.schedule.empty()) {
        if (attempts > policy.schedule.size())
            return std::nullopt;
        delay = policy.schedule[attempts - 1];
    } else if (policy.initial_delay > ms{0}) {
        // The ceiling grows as initial * multiplier^(n-1), computed in double so that a long
        // run of retries saturates at max_delay instead of overflowing.
        const double growth = static_cast<double>(policy.initial_delay.count()) *
                              std::pow(policy.multiplier, static_cast<double>(attempts - 1));
        const double ceiling = std::min(static_cast<double>(policy.max_delay.count()),
                                        growth > 0 ? growth : 0.0); // a negative multiplier
        // NaN (which clamp would pass through) counts as 0.
        const double r = random01 >= 0.0 ? std::min(random01, 1.0) : 0.0;
        const double wait = std::floor(r * ceiling);
        // double(ms::max()) is 2^63, one past the largest value: the conversion would overflow.
        delay = wait >= static_cast<double>(ms::max().count()) ? ms::max()
                                                               : ms{static_cast<ms::rep>(wait)};
    }
    if (retry_after)
        delay = std::min(*retry_after, policy.max_delay);
    delay = std::max(delay, ms{0}); // a negative Retry-After, schedule entry or max_delay
    if (elapsed > policy.max_total_time || policy.max_total_time - elapsed < delay)
        return std::nullopt;
    return delay;
}

} // namespace webhook

#endif
