#include <webhook/retry.hpp>

#define BOOST_TEST_MODULE retry
#include <boost/test/unit_test.hpp>

#include <boost/asio/error.hpp>

#include <chrono>
#include <cmath>
#include <limits>
#include <optional>
#include <ostream>
#include <vector>

using namespace std::chrono_literals;
using ms = std::chrono::milliseconds;
using webhook::attempt_class;
using webhook::next_retry_delay;
using webhook::retry_policy;
using webhook::status_set;

namespace webhook {
inline std::ostream& boost_test_print_type(std::ostream& os, attempt_class c) {
    constexpr const char* names[] = {"delivered", "retryable", "permanent", "gone"};
    return os << names[static_cast<int>(c)];
}
} // namespace webhook

namespace {

/// next_retry_delay's answer, printable in failure messages.
struct outcome {
    std::optional<ms> delay;
    friend bool operator==(const outcome&, const outcome&) = default;
    friend std::ostream& operator<<(std::ostream& os, const outcome& o) {
        return o.delay ? os << "retry after " << o.delay->count() << "ms" : os << "no retry";
    }
};

outcome after(ms d) {
    return {d};
}
const outcome no_retry{};

// The largest double below 1: "random01 near 1".
const double almost_one = std::nextafter(1.0, 0.0);

outcome delay(const retry_policy& p, std::size_t attempts, double random01, ms elapsed = 0ms,
              std::optional<ms> retry_after = std::nullopt) {
    return {next_retry_delay(p, attempts, elapsed, retry_after, random01)};
}

retry_policy exponential(ms initial, double multiplier, ms max_delay, std::size_t max_attempts) {
    retry_policy p;
    p.initial_delay = initial;
    p.multiplier = multiplier;
    p.max_delay = max_delay;
    p.max_attempts = max_attempts;
    return p;
}

} // namespace

BOOST_AUTO_TEST_SUITE(status_set_)

BOOST_AUTO_TEST_CASE(empty_set_contains_nothing) {
    const status_set s;
    BOOST_TEST(s.size() == 0u);
    for (int status = 0; status <= 700; ++status)
        BOOST_TEST(!s.contains(status));
}

BOOST_AUTO_TEST_CASE(insert_accepts_100_to_599_only) {
    status_set s;
    BOOST_TEST(s.insert(100));
    BOOST_TEST(s.insert(599));
    BOOST_TEST(!s.insert(99));
    BOOST_TEST(!s.insert(600));
    BOOST_TEST(!s.insert(-1));
    BOOST_TEST(s.size() == 2u);
    BOOST_TEST(s.contains(100));
    BOOST_TEST(s.contains(599));
    BOOST_TEST(!s.contains(99));
    BOOST_TEST(!s.contains(600));
    BOOST_TEST(!s.contains(std::numeric_limits<int>::min()));
    BOOST_TEST(!s.contains(std::numeric_limits<int>::max()));
}

BOOST_AUTO_TEST_CASE(inserting_twice_counts_once) {
    status_set s{503, 503};
    BOOST_TEST(s.insert(503));
    BOOST_TEST(s.size() == 1u);
}

BOOST_AUTO_TEST_CASE(initializer_list_skips_out_of_range_statuses) {
    const status_set s{42, 429, 1000};
    BOOST_TEST(s.size() == 1u);
    BOOST_TEST(s.contains(429));
}

BOOST_AUTO_TEST_CASE(sets_compare_by_content) {
    BOOST_TEST((status_set{500, 429} == status_set{429, 500}));
    BOOST_TEST(!(status_set{500} == status_set{502}));
    BOOST_TEST((status_set{} == status_set{}));
}

BOOST_AUTO_TEST_CASE(default_retryable_is_408_425_429_and_5xx_but_501) {
    const status_set s = status_set::default_retryable();
    BOOST_TEST(s.size() == 102u); // 3 + 99 of the 100 5xx statuses
    for (int status = 100; status <= 599; ++status) {
        const bool expected =
            status == 408 || status == 425 || status == 429 || (status >= 500 && status != 501);
        BOOST_TEST(s.contains(status) == expected, "status " << status);
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(classify_)

BOOST_AUTO_TEST_CASE(every_2xx_is_delivered) {
    const status_set retryable = status_set::default_retryable();
    for (int status = 200; status <= 299; ++status)
        BOOST_TEST(webhook::classify({}, status, retryable) == attempt_class::delivered);
}

BOOST_AUTO_TEST_CASE(status_410_is_gone_even_when_listed_as_retryable) {
    BOOST_TEST(webhook::classify({}, 410, status_set::default_retryable()) == attempt_class::gone);
    BOOST_TEST(webhook::classify({}, 410, status_set{410}) == attempt_class::gone);
}

BOOST_AUTO_TEST_CASE(listed_statuses_are_retryable_others_permanent) {
    const status_set retryable = status_set::default_retryable();
    BOOST_TEST(webhook::classify({}, 408, retryable) == attempt_class::retryable);
    BOOST_TEST(webhook::classify({}, 425, retryable) == attempt_class::retryable);
    BOOST_TEST(webhook::classify({}, 429, retryable) == attempt_class::retryable);
    BOOST_TEST(webhook::classify({}, 500, retryable) == attempt_class::retryable);
    BOOST_TEST(webhook::classify({}, 503, retryable) == attempt_class::retryable);
    BOOST_TEST(webhook::classify({}, 599, retryable) == attempt_class::retryable);
    BOOST_TEST(webhook::classify({}, 501, retryable) == attempt_class::permanent);
    BOOST_TEST(webhook::classify({}, 400, retryable) == attempt_class::permanent);
    BOOST_TEST(webhook::classify({}, 404, retryable) == attempt_class::permanent);
    BOOST_TEST(webhook::classify({}, 301, retryable) == attempt_class::permanent);
    BOOST_TEST(webhook::classify({}, 100, retryable) == attempt_class::permanent);
}

BOOST_AUTO_TEST_CASE(the_retryable_set_is_the_one_given) {
    const status_set only_409{409};
    BOOST_TEST(webhook::classify({}, 409, only_409) == attempt_class::retryable);
    BOOST_TEST(webhook::classify({}, 503, only_409) == attempt_class::permanent);
    BOOST_TEST(webhook::classify({}, 503, status_set{}) == attempt_class::permanent);
}

BOOST_AUTO_TEST_CASE(a_transport_error_is_retryable_whatever_the_status) {
    const auto ec = make_error_code(boost::asio::error::connection_refused);
    BOOST_TEST(webhook::classify(ec, 0, status_set{}) == attempt_class::retryable);
    BOOST_TEST(webhook::classify(ec, 200, status_set{}) == attempt_class::retryable);
    BOOST_TEST(webhook::classify(ec, 410, status_set{}) == attempt_class::retryable);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(exponential_backoff)

BOOST_AUTO_TEST_CASE(random01_zero_gives_zero_delay) {
    const retry_policy p = exponential(1000ms, 2.0, 60'000ms, 8);
    for (std::size_t attempts = 1; attempts < 8; ++attempts)
        BOOST_TEST(delay(p, attempts, 0.0) == after(0ms));
}

BOOST_AUTO_TEST_CASE(random01_near_one_gives_just_under_the_ceiling) {
    // Ceilings 1000, 2000, 4000, ... ms; the jitter is floor(random01 * ceiling).
    const retry_policy p = exponential(1000ms, 2.0, 600'000ms, 8);
    BOOST_TEST(delay(p, 1, almost_one) == after(999ms));
    BOOST_TEST(delay(p, 2, almost_one) == after(1999ms));
    BOOST_TEST(delay(p, 3, almost_one) == after(3999ms));
    BOOST_TEST(delay(p, 7, almost_one) == after(63'999ms));
}

BOOST_AUTO_TEST_CASE(jitter_scales_the_ceiling_linearly) {
    const retry_policy p = exponential(1000ms, 2.0, 600'000ms, 8);
    BOOST_TEST(delay(p, 1, 0.5) == after(500ms));
    BOOST_TEST(delay(p, 3, 0.25) == after(1000ms));
    BOOST_TEST(delay(p, 4, 0.125) == after(1000ms));
}

BOOST_AUTO_TEST_CASE(multiplier_sets_the_growth) {
    const retry_policy triple = exponential(100ms, 3.0, 600'000ms, 10);
    BOOST_TEST(delay(triple, 1, 0.5) == after(50ms));   // 100
    BOOST_TEST(delay(triple, 2, 0.5) == after(150ms));  // 300
    BOOST_TEST(delay(triple, 3, 0.5) == after(450ms));  // 900
    BOOST_TEST(delay(triple, 5, 0.5) == after(4050ms)); // 8100

    const retry_policy flat = exponential(100ms, 1.0, 600'000ms, 10);
    for (std::size_t attempts = 1; attempts < 10; ++attempts)
        BOOST_TEST(delay(flat, attempts, 0.5) == after(50ms));

    const retry_policy one_and_a_half = exponential(1000ms, 1.5, 600'000ms, 10);
    BOOST_TEST(delay(one_and_a_half, 3, 0.5) == after(1125ms)); // 2250
}

BOOST_AUTO_TEST_CASE(ceiling_is_capped_at_max_delay) {
    const retry_policy p = exponential(1000ms, 2.0, 5000ms, 50);
    BOOST_TEST(delay(p, 3, almost_one) == after(3999ms)); // 4000, under the cap
    BOOST_TEST(delay(p, 4, almost_one) == after(4999ms)); // 8000, capped
    BOOST_TEST(delay(p, 4, 0.5) == after(2500ms));
    BOOST_TEST(delay(p, 49, 0.5) == after(2500ms));
}

BOOST_AUTO_TEST_CASE(huge_attempt_counts_saturate_at_max_delay) {
    retry_policy p = exponential(1000ms, 2.0, 60'000ms, 0);
    p.max_attempts = std::numeric_limits<std::size_t>::max();
    p.max_total_time = ms::max();
    BOOST_TEST(delay(p, 2000, 0.5) == after(30'000ms)); // 2^1999 is infinite
}

BOOST_AUTO_TEST_CASE(default_policy_is_one_second_doubling_to_a_minute) {
    const retry_policy p;
    BOOST_TEST(p.max_attempts == 8u);
    BOOST_TEST(p.initial_delay.count() == 1000);
    BOOST_TEST(p.multiplier == 2.0);
    BOOST_TEST(p.max_delay.count() == 60'000);
    BOOST_TEST(p.max_total_time.count() == 3'600'000);
    BOOST_TEST(p.schedule.empty());
    BOOST_TEST((p.retryable_statuses == status_set::default_retryable()));
    BOOST_TEST(delay(p, 1, 0.5) == after(500ms));
    BOOST_TEST(delay(p, 6, 0.5) == after(16'000ms));
    BOOST_TEST(delay(p, 7, 0.5) == after(30'000ms)); // 64 s, capped at 60 s
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(limits)

BOOST_AUTO_TEST_CASE(max_attempts_counts_the_first_attempt) {
    const retry_policy p = exponential(1000ms, 2.0, 60'000ms, 3);
    BOOST_TEST(delay(p, 1, 0.5) == after(500ms));
    BOOST_TEST(delay(p, 2, 0.5) == after(1000ms));
    BOOST_TEST(delay(p, 3, 0.5) == no_retry);
    BOOST_TEST(delay(p, 4, 0.5) == no_retry);
}

BOOST_AUTO_TEST_CASE(max_attempts_one_never_retries) {
    const retry_policy p = exponential(1000ms, 2.0, 60'000ms, 1);
    BOOST_TEST(delay(p, 1, 0.0) == no_retry);
    BOOST_TEST(delay(p, 1, 0.0, 0ms, 0ms) == no_retry); // not even when asked to
}

BOOST_AUTO_TEST_CASE(retry_may_start_exactly_at_max_total_time) {
    retry_policy p = exponential(1000ms, 2.0, 60'000ms, 100);
    p.max_total_time = 10'000ms;
    BOOST_TEST(delay(p, 1, 0.5, 9'500ms) == after(500ms)); // starts at 10 000
    BOOST_TEST(delay(p, 1, 0.5, 9'501ms) == no_retry);     // would start at 10 001
    BOOST_TEST(delay(p, 1, 0.0, 10'000ms) == after(0ms));
    BOOST_TEST(delay(p, 1, 0.0, 10'001ms) == no_retry);
}

BOOST_AUTO_TEST_CASE(max_total_time_applies_to_retry_after_too) {
    retry_policy p = exponential(1000ms, 2.0, 60'000ms, 100);
    p.max_total_time = 10'000ms;
    BOOST_TEST(delay(p, 1, 0.0, 5'000ms, 5'000ms) == after(5'000ms));
    BOOST_TEST(delay(p, 1, 0.0, 5'000ms, 5'001ms) == no_retry);
}

BOOST_AUTO_TEST_CASE(attempts_zero_is_taken_as_one) {
    const retry_policy p = exponential(1000ms, 2.0, 60'000ms, 8);
    BOOST_TEST(delay(p, 0, 0.5) == after(500ms));
    const retry_policy s = retry_policy::fixed_schedule({5s, 60s});
    BOOST_TEST(delay(s, 0, 0.5) == after(5'000ms));
}

BOOST_AUTO_TEST_CASE(negative_elapsed_is_taken_as_zero) {
    retry_policy p = exponential(1000ms, 2.0, 60'000ms, 8);
    p.max_total_time = ms::max(); // max - (-1) would overflow
    BOOST_TEST(delay(p, 1, 0.5, -1ms) == after(500ms));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(out_of_range_inputs)

BOOST_AUTO_TEST_CASE(random01_is_clamped_to_0_1) {
    const retry_policy p = exponential(1000ms, 2.0, 60'000ms, 8);
    BOOST_TEST(delay(p, 1, -0.5) == after(0ms));
    BOOST_TEST(delay(p, 1, 1.0) == after(1000ms));
    BOOST_TEST(delay(p, 1, 7.0) == after(1000ms));
    BOOST_TEST(delay(p, 1, std::numeric_limits<double>::quiet_NaN()) == after(0ms));
    BOOST_TEST(delay(p, 1, std::numeric_limits<double>::infinity()) == after(1000ms));
}

BOOST_AUTO_TEST_CASE(unbounded_max_delay_does_not_overflow) {
    retry_policy p = exponential(1000ms, 2.0, ms::max(), 5000);
    p.max_total_time = ms::max();
    BOOST_TEST(delay(p, 4000, 1.0) == after(ms::max()));
    BOOST_TEST(delay(p, 4000, 0.0) == after(0ms));
}

BOOST_AUTO_TEST_CASE(nonpositive_growth_waits_zero) {
    BOOST_TEST(delay(exponential(1000ms, -2.0, 60'000ms, 8), 2, 0.5) == after(0ms));
    BOOST_TEST(delay(exponential(0ms, 2.0, 60'000ms, 5000), 2000, 0.5) ==
               after(0ms)); // 0 * infinity
    BOOST_TEST(delay(exponential(-5ms, 2.0, 60'000ms, 8), 1, 0.5) == after(0ms));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(schedule)

BOOST_AUTO_TEST_CASE(schedule_delays_are_used_exactly_ignoring_jitter) {
    retry_policy p;
    p.schedule = {250ms, 1000ms, 3000ms};
    for (const double r : {0.0, 0.5, almost_one}) {
        BOOST_TEST(delay(p, 1, r) == after(250ms));
        BOOST_TEST(delay(p, 2, r) == after(1000ms));
        BOOST_TEST(delay(p, 3, r) == after(3000ms));
    }
}

BOOST_AUTO_TEST_CASE(schedule_bounds_the_number_of_retries) {
    retry_policy p; // max_attempts 8, but only three delays
    p.schedule = {250ms, 1000ms, 3000ms};
    BOOST_TEST(delay(p, 4, 0.5) == no_retry);
    BOOST_TEST(delay(p, 7, 0.5) == no_retry);
}

BOOST_AUTO_TEST_CASE(max_attempts_bounds_a_longer_schedule) {
    retry_policy p;
    p.schedule = {1ms, 2ms, 3ms, 4ms};
    p.max_attempts = 3;
    BOOST_TEST(delay(p, 2, 0.5) == after(2ms));
    BOOST_TEST(delay(p, 3, 0.5) == no_retry);
}

BOOST_AUTO_TEST_CASE(schedule_delays_are_not_capped_by_max_delay) {
    retry_policy p;
    p.schedule = {120'000ms};
    BOOST_TEST(delay(p, 1, 0.5) == after(120'000ms)); // max_delay is 60 s
}

BOOST_AUTO_TEST_CASE(schedule_respects_max_total_time) {
    retry_policy p;
    p.schedule = {1000ms, 2000ms};
    p.max_total_time = 3000ms;
    BOOST_TEST(delay(p, 2, 0.5, 1000ms) == after(2000ms));
    BOOST_TEST(delay(p, 2, 0.5, 1001ms) == no_retry);
}

BOOST_AUTO_TEST_CASE(fixed_schedule_gives_exactly_its_delays) {
    const retry_policy p = retry_policy::fixed_schedule({5s, 5min, 30min, 2h});
    BOOST_TEST(p.max_attempts == 5u);
    BOOST_TEST(p.max_delay == ms::max());
    BOOST_TEST(p.max_total_time == ms::max());
    BOOST_TEST((p.schedule == std::vector<ms>{5s, 5min, 30min, 2h}));
    BOOST_TEST(delay(p, 1, 0.5) == after(5'000ms));
    BOOST_TEST(delay(p, 2, 0.5) == after(300'000ms));
    BOOST_TEST(delay(p, 3, 0.5, 305'000ms) == after(1'800'000ms));
    BOOST_TEST(delay(p, 4, 0.5, 2'105'000ms) == after(7'200'000ms));
    BOOST_TEST(delay(p, 5, 0.5, 9'305'000ms) == no_retry);
}

BOOST_AUTO_TEST_CASE(empty_fixed_schedule_never_retries) {
    const retry_policy p = retry_policy::fixed_schedule({});
    BOOST_TEST(p.max_attempts == 1u);
    BOOST_TEST(delay(p, 1, 0.5) == no_retry);
}

BOOST_AUTO_TEST_CASE(none_makes_one_attempt) {
    const retry_policy p = retry_policy::none();
    BOOST_TEST(p.max_attempts == 1u);
    BOOST_TEST(delay(p, 1, 0.5) == no_retry);
    BOOST_TEST(delay(p, 1, 0.5, 0ms, 1ms) == no_retry);
    BOOST_TEST((p.retryable_statuses == status_set::default_retryable()));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(retry_after)

BOOST_AUTO_TEST_CASE(retry_after_replaces_the_exponential_delay) {
    const retry_policy p = exponential(1000ms, 2.0, 60'000ms, 8);
    BOOST_TEST(delay(p, 1, 0.5, 0ms, 30'000ms) == after(30'000ms));
    BOOST_TEST(delay(p, 5, almost_one, 0ms, 10ms) == after(10ms));
    BOOST_TEST(delay(p, 1, 0.5, 0ms, 0ms) == after(0ms));
}

BOOST_AUTO_TEST_CASE(retry_after_replaces_the_schedule_delay) {
    retry_policy p;
    p.schedule = {5'000ms, 10'000ms};
    BOOST_TEST(delay(p, 1, 0.5, 0ms, 7'000ms) == after(7'000ms));
}

BOOST_AUTO_TEST_CASE(retry_after_is_capped_at_max_delay) {
    const retry_policy p = exponential(1000ms, 2.0, 60'000ms, 8);
    BOOST_TEST(delay(p, 1, 0.5, 0ms, 60'000ms) == after(60'000ms));
    BOOST_TEST(delay(p, 1, 0.5, 0ms, 60'001ms) == after(60'000ms));
    BOOST_TEST(delay(p, 1, 0.5, 0ms, ms::max()) == after(60'000ms));
}

BOOST_AUTO_TEST_CASE(retry_after_is_uncapped_in_a_fixed_schedule) {
    const retry_policy p = retry_policy::fixed_schedule({5s});
    BOOST_TEST(delay(p, 1, 0.5, 0ms, 86'400'000ms) == after(86'400'000ms));
}

BOOST_AUTO_TEST_CASE(negative_retry_after_means_now) {
    const retry_policy p = exponential(1000ms, 2.0, 60'000ms, 8);
    BOOST_TEST(delay(p, 1, 0.5, 0ms, -5'000ms) == after(0ms));
}

BOOST_AUTO_TEST_CASE(retry_after_does_not_add_attempts) {
    const retry_policy p = exponential(1000ms, 2.0, 60'000ms, 2);
    BOOST_TEST(delay(p, 2, 0.5, 0ms, 1ms) == no_retry);
}

BOOST_AUTO_TEST_SUITE_END()
