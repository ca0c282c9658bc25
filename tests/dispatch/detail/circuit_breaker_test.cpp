#include <webhook/dispatch/detail/circuit_breaker.hpp>

#define BOOST_TEST_MODULE detail_circuit_breaker
#include <boost/test/unit_test.hpp>

#include "support/explicit_clock.hpp"

#include <chrono>
#include <optional>
#include <ostream>
#include <sstream>

using namespace std::chrono_literals;
using webhook::circuit_state;

namespace {

using test_clock = webhook::test::explicit_clock<>;

using breaker = webhook::detail::circuit_breaker<test_clock>;
using ns = std::chrono::nanoseconds;
using changed = std::optional<circuit_state>;

/// A clock that counts whole seconds.
using seconds_clock = webhook::test::explicit_clock<std::chrono::seconds>;

/// An arbitrary start, far from the epoch, as a steady clock's would be.
const test_clock::time_point t0{1'000'000s};

/// A time point as its distance from t0, so that failure messages can print it.
ns at(test_clock::time_point t) {
    return t - t0;
}

/// A breaker opening after `failures` failures for a 10 s cool-down.
breaker make(std::size_t failures) {
    return breaker({.failures = failures, .cool_down = 10s});
}

/// Fails `n` attempts at `now`; the state changes they report, the last one's.
changed fail(breaker& b, std::size_t n, test_clock::time_point now) {
    changed last;
    for (std::size_t i = 0; i < n; ++i)
        last = b.on_failure(now);
    return last;
}

} // namespace

// Failure messages (Boost.Test customization points).
namespace webhook {
inline std::ostream& boost_test_print_type(std::ostream& os,
                                           const std::optional<circuit_state>& s) {
    return s ? os << *s : os << "nullopt";
}
} // namespace webhook

template <>
struct boost::test_tools::tt_detail::print_log_value<std::chrono::nanoseconds> {
    void operator()(std::ostream& os, std::chrono::nanoseconds d) { os << d.count() << "ns"; }
};

BOOST_AUTO_TEST_CASE(circuit_states_have_names) {
    BOOST_TEST(webhook::to_string(circuit_state::closed) == std::string("closed"));
    BOOST_TEST(webhook::to_string(circuit_state::open) == std::string("open"));
    BOOST_TEST(webhook::to_string(circuit_state::half_open) == std::string("half_open"));
    BOOST_TEST(webhook::to_string(static_cast<circuit_state>(7)) == std::string("unknown"));
    std::ostringstream os;
    os << circuit_state::half_open;
    BOOST_TEST(os.str() == "half_open");
}

BOOST_AUTO_TEST_CASE(options_default_to_off) {
    const webhook::circuit_breaker_options o;
    BOOST_TEST(o.failures == 0u);
    BOOST_TEST(o.cool_down.count() == 30'000);
    BOOST_TEST((o == webhook::circuit_breaker_options{.failures = 0, .cool_down = 30s}));
    BOOST_TEST(!(o == webhook::circuit_breaker_options{.failures = 5}));
    BOOST_TEST(!breaker(o).enabled());
}

BOOST_AUTO_TEST_CASE(zero_failures_is_off) {
    breaker b({.failures = 0, .cool_down = 10s});
    BOOST_TEST(!b.enabled());
    for (int i = 0; i < 1000; ++i) {
        BOOST_TEST(b.on_failure(t0) == changed());
        const auto p = b.try_acquire(t0);
        BOOST_TEST(p.allowed);
        BOOST_TEST(!p.probe);
        BOOST_TEST(p.changed == changed());
    }
    BOOST_TEST(b.on_success() == changed());
    BOOST_TEST(b.state() == circuit_state::closed);
}

BOOST_AUTO_TEST_CASE(closed_allows_every_attempt) {
    breaker b = make(3);
    BOOST_TEST(b.enabled());
    BOOST_TEST(b.state() == circuit_state::closed);
    for (int i = 0; i < 100; ++i) {
        const auto p = b.try_acquire(t0);
        BOOST_TEST(p.allowed);
        BOOST_TEST(!p.probe);
        BOOST_TEST(at(p.retry_at) == ns::zero());
        BOOST_TEST(p.changed == changed());
    }
}

BOOST_AUTO_TEST_CASE(consecutive_failures_open_the_circuit) {
    breaker b = make(3);
    BOOST_TEST(b.on_failure(t0) == changed());
    BOOST_TEST(b.on_failure(t0 + 1s) == changed());
    BOOST_TEST(b.consecutive_failures() == 2u);
    BOOST_TEST(b.state() == circuit_state::closed);
    BOOST_TEST(b.on_failure(t0 + 2s) == changed(circuit_state::open));
    BOOST_TEST(b.state() == circuit_state::open);
    // The cool-down counts from the failure that opened the circuit.
    BOOST_TEST(at(b.open_until()) == ns(12s));
}

BOOST_AUTO_TEST_CASE(a_success_resets_the_count) {
    breaker b = make(3);
    BOOST_TEST(fail(b, 2, t0) == changed());
    BOOST_TEST(b.on_success() == changed()); // no state change to report
    BOOST_TEST(b.consecutive_failures() == 0u);
    BOOST_TEST(fail(b, 2, t0) == changed());
    BOOST_TEST(b.state() == circuit_state::closed);
    BOOST_TEST(b.on_failure(t0) == changed(circuit_state::open));
}

BOOST_AUTO_TEST_CASE(one_failure_is_enough_with_failures_1) {
    breaker b = make(1);
    BOOST_TEST(b.on_failure(t0) == changed(circuit_state::open));
    BOOST_TEST(at(b.open_until()) == ns(10s));
}

BOOST_AUTO_TEST_CASE(open_refuses_until_the_cool_down_ends) {
    breaker b = make(2);
    BOOST_TEST(fail(b, 2, t0) == changed(circuit_state::open));
    for (const auto now : {t0, t0 + 5s, t0 + 10s - 1ns}) {
        const auto p = b.try_acquire(now);
        BOOST_TEST(!p.allowed, at(now).count() << "ns");
        BOOST_TEST(!p.probe);
        BOOST_TEST(at(p.retry_at) == ns(10s)); // asking again does not push it further
        BOOST_TEST(p.changed == changed());
    }
    BOOST_TEST(b.state() == circuit_state::open);
}

BOOST_AUTO_TEST_CASE(after_the_cool_down_exactly_one_probe) {
    breaker b = make(2);
    fail(b, 2, t0);
    const auto probe = b.try_acquire(t0 + 10s);
    BOOST_TEST(probe.allowed);
    BOOST_TEST(probe.probe);
    BOOST_TEST(at(probe.retry_at) == ns(10s));
    BOOST_TEST(probe.changed == changed(circuit_state::half_open));
    BOOST_TEST(b.state() == circuit_state::half_open);
    // Everyone else waits for the probe's result; at the latest, asks again a cool-down later.
    for (const auto now : {t0 + 10s, t0 + 15s, t0 + 1h}) {
        const auto p = b.try_acquire(now);
        BOOST_TEST(!p.allowed, at(now).count() << "ns");
        BOOST_TEST(!p.probe);
        BOOST_TEST(ns(p.retry_at - now) == ns(10s));
        BOOST_TEST(p.changed == changed());
    }
    BOOST_TEST(b.state() == circuit_state::half_open);
}

BOOST_AUTO_TEST_CASE(the_first_caller_after_a_long_wait_is_the_probe) {
    breaker b = make(2);
    fail(b, 2, t0);
    const auto p = b.try_acquire(t0 + 24h);
    BOOST_TEST(p.allowed);
    BOOST_TEST(p.probe);
    BOOST_TEST(p.changed == changed(circuit_state::half_open));
    BOOST_TEST(!b.try_acquire(t0 + 24h).allowed);
}

BOOST_AUTO_TEST_CASE(the_probes_success_closes_the_circuit) {
    breaker b = make(2);
    fail(b, 2, t0);
    const auto probe = b.try_acquire(t0 + 10s);
    BOOST_TEST(b.on_success(probe.probe) == changed(circuit_state::closed));
    BOOST_TEST(b.state() == circuit_state::closed);
    const auto p = b.try_acquire(t0 + 10s);
    BOOST_TEST(p.allowed);
    BOOST_TEST(!p.probe);
    // The count starts again from zero.
    BOOST_TEST(b.on_failure(t0 + 11s) == changed());
    BOOST_TEST(b.on_failure(t0 + 12s) == changed(circuit_state::open));
    BOOST_TEST(at(b.open_until()) == ns(22s));
}

BOOST_AUTO_TEST_CASE(the_probes_failure_opens_it_for_another_cool_down) {
    breaker b = make(3);
    fail(b, 3, t0);
    const auto probe = b.try_acquire(t0 + 10s);
    BOOST_TEST(b.on_failure(t0 + 13s, probe.probe) == changed(circuit_state::open));
    BOOST_TEST(b.state() == circuit_state::open);
    BOOST_TEST(at(b.open_until()) == ns(23s)); // from the probe's failure
    const auto refused = b.try_acquire(t0 + 23s - 1ns);
    BOOST_TEST(!refused.allowed);
    BOOST_TEST(at(refused.retry_at) == ns(23s));
    // One failure is enough: the next probe comes after the cool-down.
    const auto next = b.try_acquire(t0 + 23s);
    BOOST_TEST(next.allowed);
    BOOST_TEST(next.probe);
    BOOST_TEST(next.changed == changed(circuit_state::half_open));
}

BOOST_AUTO_TEST_CASE(a_late_success_while_open_closes_the_circuit) {
    // Several attempts were in flight when the circuit opened; one of them succeeds.
    breaker b = make(2);
    fail(b, 2, t0);
    BOOST_TEST(b.on_success() == changed(circuit_state::closed));
    BOOST_TEST(b.state() == circuit_state::closed);
    BOOST_TEST(b.try_acquire(t0 + 1s).allowed);
    BOOST_TEST(b.consecutive_failures() == 0u);
}

BOOST_AUTO_TEST_CASE(a_late_failure_while_open_does_not_extend_the_cool_down) {
    breaker b = make(2);
    fail(b, 2, t0);
    BOOST_TEST(b.on_failure(t0 + 5s) == changed());
    BOOST_TEST(b.state() == circuit_state::open);
    BOOST_TEST(at(b.open_until()) == ns(10s));
    BOOST_TEST(b.try_acquire(t0 + 10s).probe);
}

BOOST_AUTO_TEST_CASE(a_late_failure_while_half_open_leaves_the_verdict_to_the_probe) {
    breaker b = make(2);
    fail(b, 2, t0);
    const auto probe = b.try_acquire(t0 + 10s);
    BOOST_TEST(b.on_failure(t0 + 11s) == changed()); // not the probe
    BOOST_TEST(b.state() == circuit_state::half_open);
    BOOST_TEST(!b.try_acquire(t0 + 11s).allowed); // and it did not free the probe's place
    BOOST_TEST(b.on_success(probe.probe) == changed(circuit_state::closed));
}

BOOST_AUTO_TEST_CASE(a_late_success_while_half_open_closes_and_the_probe_counts_as_usual) {
    breaker b = make(2);
    fail(b, 2, t0);
    const auto probe = b.try_acquire(t0 + 10s);
    BOOST_TEST(b.on_success() == changed(circuit_state::closed)); // not the probe
    BOOST_TEST(b.state() == circuit_state::closed);
    // The probe's failure, arriving now, is one ordinary failure of the closed circuit.
    BOOST_TEST(b.on_failure(t0 + 12s, probe.probe) == changed());
    BOOST_TEST(b.consecutive_failures() == 1u);
    BOOST_TEST(b.on_failure(t0 + 13s) == changed(circuit_state::open));
    BOOST_TEST(at(b.open_until()) == ns(23s));
}

BOOST_AUTO_TEST_CASE(a_late_probe_success_after_the_circuit_closed_changes_nothing) {
    breaker b = make(2);
    fail(b, 2, t0);
    const auto probe = b.try_acquire(t0 + 10s);
    BOOST_TEST(b.on_success() == changed(circuit_state::closed));
    BOOST_TEST(b.on_success(probe.probe) == changed());
    BOOST_TEST(b.state() == circuit_state::closed);
}

BOOST_AUTO_TEST_CASE(a_cancelled_probe_is_replaced_at_once) {
    breaker b = make(2);
    fail(b, 2, t0);
    const auto probe = b.try_acquire(t0 + 10s);
    BOOST_TEST(!b.try_acquire(t0 + 11s).allowed);
    b.on_cancel(false); // another attempt: nothing changes
    BOOST_TEST(!b.try_acquire(t0 + 11s).allowed);
    b.on_cancel(probe.probe);
    BOOST_TEST(b.state() == circuit_state::half_open);
    const auto again = b.try_acquire(t0 + 12s);
    BOOST_TEST(again.allowed);
    BOOST_TEST(again.probe);
    BOOST_TEST(again.changed == changed()); // still half-open: nothing to report
    BOOST_TEST(!b.try_acquire(t0 + 12s).allowed);
    BOOST_TEST(b.on_failure(t0 + 13s, again.probe) == changed(circuit_state::open));
}

BOOST_AUTO_TEST_CASE(a_cancelled_attempt_counts_neither_way) {
    breaker b = make(2);
    BOOST_TEST(b.on_failure(t0) == changed());
    b.on_cancel(false);
    b.on_cancel(true); // a stray flag while closed is harmless
    BOOST_TEST(b.consecutive_failures() == 1u);
    BOOST_TEST(b.state() == circuit_state::closed);
}

BOOST_AUTO_TEST_CASE(the_full_cycle_twice) {
    breaker b = make(2);
    auto now = t0;
    for (int round = 0; round < 2; ++round) {
        BOOST_TEST(fail(b, 2, now) == changed(circuit_state::open), round);
        BOOST_TEST(!b.try_acquire(now + 9s).allowed);
        const auto probe = b.try_acquire(now + 10s);
        BOOST_TEST(probe.changed == changed(circuit_state::half_open));
        BOOST_TEST(b.on_failure(now + 11s, probe.probe) == changed(circuit_state::open));
        const auto second = b.try_acquire(now + 21s);
        BOOST_TEST(second.changed == changed(circuit_state::half_open));
        BOOST_TEST(b.on_success(second.probe) == changed(circuit_state::closed));
        now += 1min;
    }
}

BOOST_AUTO_TEST_CASE(a_zero_or_negative_cool_down_probes_at_once) {
    // validate() refuses these; the breaker still behaves.
    for (const auto cool_down : {0ms, -5ms}) {
        breaker b({.failures = 1, .cool_down = cool_down});
        BOOST_TEST(b.on_failure(t0) == changed(circuit_state::open));
        BOOST_TEST(at(b.open_until()) == ns::zero());
        const auto p = b.try_acquire(t0);
        BOOST_TEST(p.probe);
        BOOST_TEST(!b.try_acquire(t0).allowed);
        BOOST_TEST(at(b.try_acquire(t0).retry_at) == ns::zero());
    }
}

BOOST_AUTO_TEST_CASE(a_huge_cool_down_does_not_overflow) {
    breaker b({.failures = 1, .cool_down = std::chrono::milliseconds::max()});
    BOOST_TEST(b.on_failure(t0) == changed(circuit_state::open));
    BOOST_TEST((b.open_until() == test_clock::time_point::max()));
    BOOST_TEST(!b.try_acquire(t0 + 24h * 365 * 100).allowed);
    // Nearly as huge, but representable in nanoseconds: added exactly, or saturated.
    breaker c({.failures = 1, .cool_down = 24h * 365 * 200});
    c.on_failure(t0);
    BOOST_TEST(at(c.open_until()) == ns(24h * 365 * 200));
}

BOOST_AUTO_TEST_CASE(a_coarse_clock_rounds_the_cool_down_up) {
    webhook::detail::circuit_breaker<seconds_clock> b({.failures = 1, .cool_down = 1500ms});
    const seconds_clock::time_point start{100s};
    b.on_failure(start);
    BOOST_TEST((b.open_until() == start + 2s));
    webhook::detail::circuit_breaker<seconds_clock> huge(
        {.failures = 1, .cool_down = std::chrono::milliseconds::max()});
    huge.on_failure(start);
    // 9223372036854775807 ms is 9223372036854775.807 s: rounded up, still representable.
    BOOST_TEST((huge.open_until() - start).count() == 9'223'372'036'854'776);
}

BOOST_AUTO_TEST_CASE(works_with_the_standard_steady_clock) {
    using steady = std::chrono::steady_clock;
    const steady::time_point start{1h};
    webhook::detail::circuit_breaker<steady> b({.failures = 1, .cool_down = 500ms});
    BOOST_TEST(b.on_failure(start) == changed(circuit_state::open));
    BOOST_TEST((b.try_acquire(start).retry_at == start + 500ms));
    BOOST_TEST(b.try_acquire(start + 500ms).probe);
}
