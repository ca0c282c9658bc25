#ifndef WEBHOOK_TESTS_SUPPORT_EXPLICIT_CLOCK_HPP
#define WEBHOOK_TESTS_SUPPORT_EXPLICIT_CLOCK_HPP

#include <chrono>

namespace webhook::test {

/// A clock that is never read: the tests pass every time point explicitly. `Duration` is its
/// resolution.
template <class Duration = std::chrono::nanoseconds>
struct explicit_clock {
    using duration = Duration;
    using rep = typename duration::rep;
    using period = typename duration::period;
    using time_point = std::chrono::time_point<explicit_clock>;
    static constexpr bool is_steady = true;
};

} // namespace webhook::test

#endif
