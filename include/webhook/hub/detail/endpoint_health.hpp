#ifndef WEBHOOK_HUB_DETAIL_ENDPOINT_HEALTH_HPP
#define WEBHOOK_HUB_DETAIL_ENDPOINT_HEALTH_HPP

#include <webhook/dispatch/delivery.hpp>

#include <chrono>
#include <cstddef>
#include <optional>

namespace webhook {

/** When a hub disables an endpoint that keeps failing. Either rule may be off (0); with both,
    the first one met disables it. Only events that fail for good count (`failed`, which
    includes expired ones, and `gone`): a retried attempt is not a failure yet, and a delivered event ends the run. */
struct health_options {
    /// Events failed in a row, without one delivered between; 0: no limit.
    std::size_t max_consecutive_failures = 0;
    /// Time since the first failure of the run; 0: no limit (Svix uses 5 days).
    std::chrono::milliseconds max_failing_for{0};
};

namespace detail {

/** The health of one endpoint: the current run of failed events, and whether it has met the
    disabling rule. A pure state machine: the caller passes the time and carries out the
    decision. `Clock` is the dispatcher's timer clock (a manual one in tests). */
template <class Clock = std::chrono::steady_clock>
class endpoint_health {
public:
    using clock = Clock;

    explicit endpoint_health(health_options options) noexcept : options_(options) {}

    /** One settled event. @return true when this outcome disables the endpoint (once per run:
        a later failure while disabled does not return true again). */
    bool settle(delivery_status status, typename clock::time_point now) noexcept {
        if (status == delivery_status::delivered) {
            failures_ = 0;
            first_failure_.reset();
            return false;
        }
        if (status != delivery_status::failed && status != delivery_status::gone)
            return false; // refused, dropped or abandoned here: says nothing of the receiver
        ++failures_;
        if (!first_failure_)
            first_failure_ = now;
        const bool too_many = options_.max_consecutive_failures != 0 &&
                              failures_ >= options_.max_consecutive_failures;
        const bool too_long = options_.max_failing_for.count() != 0 &&
                              now - *first_failure_ >= options_.max_failing_for;
        if (disabled_ || !(too_many || too_long))
            return false;
        disabled_ = true;
        return true;
    }

    /// Enabled again by the caller: a new run starts.
    void enable() noexcept {
        disabled_ = false;
        failures_ = 0;
        first_failure_.reset();
    }

    bool disabled() const noexcept { return disabled_; }
    std::size_t consecutive_failures() const noexcept { return failures_; }

private:
    health_options options_;
    std::size_t failures_ = 0;
    std::optional<typename clock::time_point> first_failure_;
    bool disabled_ = false;
};

} // namespace detail
} // namespace webhook

#endif
