#include <webhook/dispatch/detail/token_bucket.hpp>

#define BOOST_TEST_MODULE detail_token_bucket
#include <boost/test/unit_test.hpp>

#include "support/explicit_clock.hpp"

#include <chrono>
#include <cstddef>
#include <limits>
#include <ostream>

using namespace std::chrono_literals;

namespace {

using test_clock = webhook::test::explicit_clock<>;

using bucket = webhook::detail::token_bucket<test_clock>;
using ns = std::chrono::nanoseconds;

/// An arbitrary start, far from the epoch, as a steady clock's would be.
const test_clock::time_point t0{1'000'000s};

/// Takes `n` tokens at `now`, each expected to be granted at once.
std::size_t take_all(bucket& b, std::size_t n, test_clock::time_point now) {
    std::size_t granted = 0;
    for (std::size_t i = 0; i < n; ++i)
        granted += b.take(now) == ns::zero() ? 1 : 0;
    return granted;
}

} // namespace

// Durations in failure messages (a Boost.Test customization point; std has no operator<< here).
template <>
struct boost::test_tools::tt_detail::print_log_value<std::chrono::nanoseconds> {
    void operator()(std::ostream& os, std::chrono::nanoseconds d) { os << d.count() << "ns"; }
};

BOOST_AUTO_TEST_CASE(starts_full_with_burst_tokens) {
    bucket b(10.0, 5, t0);
    BOOST_TEST(take_all(b, 5, t0) == 5u);
    BOOST_TEST(b.take(t0) == ns(100ms)); // the sixth waits for the next token
}

BOOST_AUTO_TEST_CASE(a_refused_take_consumes_nothing) {
    bucket b(10.0, 1, t0);
    BOOST_TEST(b.take(t0) == ns::zero());
    BOOST_TEST(b.take(t0) == ns(100ms));
    BOOST_TEST(b.take(t0) == ns(100ms)); // asking again does not push the wait further
    BOOST_TEST(b.take(t0 + 40ms) == ns(60ms));
    BOOST_TEST(b.take(t0 + 100ms) == ns::zero());
}

BOOST_AUTO_TEST_CASE(tokens_refill_at_the_rate) {
    bucket b(10.0, 3, t0);
    BOOST_TEST(take_all(b, 3, t0) == 3u);
    BOOST_TEST(b.take(t0 + 99ms) == ns(1ms));
    BOOST_TEST(b.take(t0 + 100ms) == ns::zero());
    BOOST_TEST(b.take(t0 + 100ms) == ns(100ms));
    // By 350 ms two and a half tokens have come back: two are taken, the third is 50 ms away.
    BOOST_TEST(take_all(b, 2, t0 + 350ms) == 2u);
    BOOST_TEST(b.take(t0 + 350ms) == ns(50ms));
}

BOOST_AUTO_TEST_CASE(sustained_rate_equals_per_second) {
    bucket b(100.0, 1, t0);
    // Taking whenever allowed for 10 s gives the first token plus 100 a second.
    std::size_t granted = 0;
    for (auto now = t0; now <= t0 + 10s; now += 1ms)
        granted += b.take(now) == ns::zero() ? 1 : 0;
    BOOST_TEST(granted == 1001u);
}

BOOST_AUTO_TEST_CASE(long_idle_does_not_exceed_burst) {
    bucket b(10.0, 4, t0);
    BOOST_TEST(take_all(b, 4, t0) == 4u);
    const auto later = t0 + 24h;
    BOOST_TEST(take_all(b, 4, later) == 4u);
    BOOST_TEST(b.take(later) == ns(100ms));
}

BOOST_AUTO_TEST_CASE(idle_from_the_start_does_not_exceed_burst) {
    bucket b(1.0, 2, t0);
    BOOST_TEST(take_all(b, 2, t0 + 1h) == 2u);
    BOOST_TEST(b.take(t0 + 1h) == ns(1s));
}

BOOST_AUTO_TEST_CASE(fractional_rate_half_a_token_per_second) {
    bucket b(0.5, 1, t0);
    BOOST_TEST(b.take(t0) == ns::zero());
    BOOST_TEST(b.take(t0) == ns(2s));
    BOOST_TEST(b.take(t0 + 1s) == ns(1s));
    BOOST_TEST(b.take(t0 + 1999ms) == ns(1ms));
    BOOST_TEST(b.take(t0 + 2s) == ns::zero());
    BOOST_TEST(b.take(t0 + 2s) == ns(2s));
}

BOOST_AUTO_TEST_CASE(fractional_rate_with_a_burst) {
    bucket b(0.25, 2, t0); // a token every 4 s, two at once
    BOOST_TEST(take_all(b, 2, t0) == 2u);
    BOOST_TEST(b.take(t0) == ns(4s));
    BOOST_TEST(b.take(t0 + 4s) == ns::zero());
    BOOST_TEST(b.take(t0 + 4s) == ns(4s));
    BOOST_TEST(take_all(b, 2, t0 + 16s) == 2u);
    BOOST_TEST(b.take(t0 + 16s) == ns(4s));
}

BOOST_AUTO_TEST_CASE(interval_is_rounded_up_to_a_clock_tick) {
    // 1/3 s is 333333333.3 ns: rounded up, so the rate is never exceeded.
    bucket b(3.0, 1, t0);
    BOOST_TEST(b.interval() == ns(333'333'334));
    BOOST_TEST(b.take(t0) == ns::zero());
    BOOST_TEST(b.take(t0) == ns(333'333'334));
    BOOST_TEST(b.take(t0 + ns(333'333'334)) == ns::zero());
}

BOOST_AUTO_TEST_CASE(zero_rate_is_unlimited) {
    bucket b(0.0, 1, t0);
    BOOST_TEST(b.unlimited());
    BOOST_TEST(b.interval() == ns::zero());
    BOOST_TEST(take_all(b, 100'000, t0) == 100'000u);
}

BOOST_AUTO_TEST_CASE(negative_nan_and_infinite_rates_are_unlimited) {
    for (const double rate : {-1.0, std::numeric_limits<double>::quiet_NaN(),
                              std::numeric_limits<double>::infinity()}) {
        bucket b(rate, 1, t0);
        BOOST_TEST(b.unlimited(), rate);
        BOOST_TEST(take_all(b, 1000, t0) == 1000u, rate);
    }
}

BOOST_AUTO_TEST_CASE(zero_burst_is_taken_as_one) {
    bucket b(1.0, 0, t0);
    BOOST_TEST(b.burst() == 1u);
    BOOST_TEST(b.take(t0) == ns::zero());
    BOOST_TEST(b.take(t0) == ns(1s));
}

BOOST_AUTO_TEST_CASE(time_going_backwards_earns_nothing) {
    bucket b(1.0, 1, t0);
    BOOST_TEST(b.take(t0) == ns::zero());
    BOOST_TEST(b.take(t0 - 5s) == ns(6s)); // the next token is still due at t0 + 1 s
    BOOST_TEST(b.take(t0 + 1s) == ns::zero());
}

BOOST_AUTO_TEST_CASE(tiny_rates_do_not_overflow) {
    bucket b(1e-30, 3, t0);
    BOOST_TEST(!b.unlimited());
    BOOST_TEST(take_all(b, 3, t0) == 3u);
    const ns wait = b.take(t0);
    BOOST_TEST(wait == b.interval());
    BOOST_TEST(wait > ns(24h * 365 * 10)); // a token per decades at least
}

BOOST_AUTO_TEST_CASE(works_with_the_standard_steady_clock) {
    using steady = std::chrono::steady_clock;
    const steady::time_point start{};
    webhook::detail::token_bucket<steady> b(2.0, 1, start);
    BOOST_TEST(b.take(start) == steady::duration::zero());
    BOOST_TEST(b.take(start) == steady::duration(500ms));
}
