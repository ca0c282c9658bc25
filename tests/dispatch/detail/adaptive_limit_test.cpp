#include <webhook/dispatch/detail/adaptive_limit.hpp>

#define BOOST_TEST_MODULE detail_adaptive_limit
#include <boost/test/unit_test.hpp>

#include "support/explicit_clock.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <ostream>
#include <queue>
#include <string_view>
#include <utility>
#include <vector>

using namespace std::chrono_literals;
using webhook::detail::adaptive_decision;
using webhook::detail::adaptive_outcome;

namespace {

using test_clock = webhook::test::explicit_clock<>;
using limiter = webhook::detail::adaptive_limit<test_clock>;
using options = webhook::detail::adaptive_limit_options;
using time_point = test_clock::time_point;
using ns = std::chrono::nanoseconds;

/// An arbitrary start, far from the epoch, as a steady clock's would be.
const time_point t0{1'000'000s};

/// Adaptive, from `initial` up to `ceiling`, the other settings at their defaults.
limiter make(std::size_t initial, std::size_t ceiling) {
    return limiter(options{.enabled = true, .initial = initial, .ceiling = ceiling});
}

/** A window by hand: `n` requests start at `start` (the last reaches the limit when `n` is the
    limit) and all end at `start + rtt`. The first result closes the window that began at the
    last decision; the others fall into the next window, with the first result of the next
    call: a window's mean counts the batch before it.
    @returns the decision of the result that closed a window, `none` if none did. */
adaptive_decision window(limiter& l, time_point start, std::size_t n, ns rtt,
                         adaptive_outcome outcome = adaptive_outcome::success) {
    for (std::size_t i = 1; i <= n; ++i)
        l.on_start(i);
    adaptive_decision closed = adaptive_decision::none;
    for (std::size_t i = 0; i < n; ++i) {
        const adaptive_decision d = l.on_result(start + rtt, rtt, outcome);
        if (d != adaptive_decision::none)
            closed = d;
    }
    return closed;
}

/// What a simulated receiver does with a request that arrives while it works on `working`.
struct answer {
    ns latency;
    adaptive_outcome outcome;
};

/** A tiny discrete-event loop: a sender with endless demand, limited by `l`, and a receiver.
    Every request starts as soon as the limit allows and ends at its start plus the receiver's
    latency; equal end times end in the order they started, so that a run is deterministic. */
class simulation {
public:
    simulation(limiter& l, std::function<answer(std::size_t, time_point)> receiver)
        : l_(l), receiver_(std::move(receiver)) {}

    /// Runs until `decisions` windows have closed; the limit after each.
    std::vector<std::size_t> run(std::size_t decisions) {
        std::vector<std::size_t> limits;
        while (limits.size() < decisions) {
            fill();
            const request r = open_.top(); // there is one: the limit is at least 1
            open_.pop();
            now_ = r.end;
            --in_flight_;
            if (r.outcome == adaptive_outcome::success)
                --working_;
            if (l_.on_result(now_, r.end - r.start, r.outcome) != adaptive_decision::none)
                limits.push_back(l_.limit());
        }
        return limits;
    }

private:
    struct request {
        time_point start;
        time_point end;
        std::uint64_t order;
        adaptive_outcome outcome;
        bool operator>(const request& o) const {
            return end != o.end ? end > o.end : order > o.order;
        }
    };

    limiter& l_;
    std::function<answer(std::size_t, time_point)> receiver_;
    std::priority_queue<request, std::vector<request>, std::greater<>> open_;
    time_point now_ = t0;
    std::size_t in_flight_ = 0;
    std::size_t working_ = 0; // requests the receiver accepted and still works on
    std::uint64_t order_ = 0;

    void fill() {
        while (l_.may_start(now_, in_flight_)) {
            l_.on_start(++in_flight_);
            const answer a = receiver_(working_, now_);
            if (a.outcome == adaptive_outcome::success)
                ++working_;
            open_.push({now_, now_ + a.latency, order_++, a.outcome});
        }
    }
};

/// A receiver that works on at most `k` requests at once, 50 ms each, and answers 503 at once
/// to any request above them.
answer at_most(std::size_t k, std::size_t working) {
    return working < k ? answer{50ms, adaptive_outcome::success}
                       : answer{1ms, adaptive_outcome::back_pressure};
}

/// The smallest and largest limit of `limits` from the `skip`-th on.
std::pair<std::size_t, std::size_t> range(const std::vector<std::size_t>& limits,
                                          std::size_t skip) {
    const auto [low, high] = std::minmax_element(limits.begin() + skip, limits.end());
    return {*low, *high};
}

/// A fixed pseudo-random sequence in [0, 1) (a 64-bit LCG): noise, the same in every run.
class noise {
public:
    double next() {
        state_ = state_ * 6364136223846793005u + 1442695040888963407u;
        return static_cast<double>(state_ >> 11) * 0x1p-53;
    }

private:
    std::uint64_t state_ = 42;
};

/// `d` times `f`, in whole nanoseconds.
ns scaled(ns d, double f) {
    return std::chrono::duration_cast<ns>(std::chrono::duration<double, std::nano>(d) * f);
}

} // namespace

// Failure messages (Boost.Test customization points).
namespace webhook::detail {
inline std::ostream& boost_test_print_type(std::ostream& os, adaptive_decision d) {
    return os << to_string(d);
}
inline std::ostream& boost_test_print_type(std::ostream& os, adaptive_outcome o) {
    return os << static_cast<int>(o);
}
} // namespace webhook::detail

template <>
struct boost::test_tools::tt_detail::print_log_value<std::chrono::nanoseconds> {
    void operator()(std::ostream& os, std::chrono::nanoseconds d) { os << d.count() << "ns"; }
};

BOOST_AUTO_TEST_CASE(statuses_map_to_outcomes) {
    using webhook::detail::adaptive_outcome_of;
    BOOST_TEST(adaptive_outcome_of(200) == adaptive_outcome::success);
    BOOST_TEST(adaptive_outcome_of(204) == adaptive_outcome::success);
    BOOST_TEST(adaptive_outcome_of(429) == adaptive_outcome::back_pressure);
    BOOST_TEST(adaptive_outcome_of(503) == adaptive_outcome::back_pressure);
    for (unsigned status : {301u, 400u, 401u, 404u, 410u, 500u, 502u, 504u})
        BOOST_TEST(adaptive_outcome_of(status) == adaptive_outcome::other_failure);
    BOOST_TEST(to_string(adaptive_decision::decreased_back_pressure) ==
               std::string_view("decreased_back_pressure"));
    BOOST_TEST(to_string(static_cast<adaptive_decision>(9)) == std::string_view("unknown"));
}

BOOST_AUTO_TEST_CASE(starts_at_the_configured_limit_within_one_and_the_ceiling) {
    BOOST_TEST(make(5, 10).limit() == 5u);
    BOOST_TEST(make(0, 10).limit() == 1u);
    BOOST_TEST(make(20, 10).limit() == 10u);
    BOOST_TEST(make(3, 0).limit() == 1u); // a ceiling of 0 is taken as 1
    const limiter l = make(5, 10);
    BOOST_TEST(l.adaptive());
    BOOST_TEST(l.ceiling() == 10u);
    BOOST_TEST(l.stats().last_decision == adaptive_decision::none);
    BOOST_TEST(l.may_start(t0, 4));
    BOOST_TEST(!l.may_start(t0, 5));
}

BOOST_AUTO_TEST_CASE(off_by_default_the_limit_is_the_ceiling) {
    limiter l(options{.initial = 2, .ceiling = 8});
    BOOST_TEST(!l.adaptive());
    BOOST_TEST(l.limit() == 8u);
    for (int i = 0; i < 10; ++i) {
        BOOST_TEST(window(l, t0 + i * 1s, 8, 10ms, adaptive_outcome::back_pressure) ==
                   adaptive_decision::none);
        BOOST_TEST(window(l, t0 + i * 1s + 500ms, 8, 10ms) == adaptive_decision::none);
    }
    BOOST_TEST(l.limit() == 8u);
    // A Retry-After pauses the endpoint all the same.
    l.on_retry_after(t0 + 30s);
    BOOST_TEST(!l.may_start(t0 + 29s, 0));
    BOOST_TEST(l.may_start(t0 + 30s, 0));
}

BOOST_AUTO_TEST_CASE(ordered_mode_stays_at_one) {
    limiter l(options{.enabled = true, .ordered = true, .initial = 4, .ceiling = 8});
    BOOST_TEST(!l.adaptive());
    BOOST_TEST(l.limit() == 1u);
    BOOST_TEST(l.ceiling() == 1u);
    for (int i = 0; i < 50; ++i)
        window(l, t0 + i * 100ms, 1, 10ms);
    BOOST_TEST(l.limit() == 1u);
    window(l, t0 + 10s, 1, 10ms, adaptive_outcome::back_pressure);
    BOOST_TEST(l.limit() == 1u);
    BOOST_TEST(l.may_start(t0 + 20s, 0));
    BOOST_TEST(!l.may_start(t0 + 20s, 1));
    BOOST_TEST(l.stats().increases == 0u);
    BOOST_TEST(l.stats().decreases == 0u);
}

BOOST_AUTO_TEST_CASE(increases_by_one_per_window_while_the_rtt_is_flat) {
    limiter l = make(2, 10);
    time_point t = t0;
    for (std::size_t expected = 3; expected <= 10; ++expected) {
        BOOST_TEST_CONTEXT("window to " << expected) {
            // Every request of the window succeeds, yet the limit rises once.
            BOOST_TEST(window(l, t, l.limit(), 20ms) == adaptive_decision::increased);
            BOOST_TEST(l.limit() == expected);
        }
        t += 20ms + 1ms;
    }
    BOOST_TEST(window(l, t, 10, 20ms) == adaptive_decision::held); // the ceiling
    BOOST_TEST(l.limit() == 10u);
    BOOST_TEST(l.stats().increases == 8u);
}

BOOST_AUTO_TEST_CASE(no_increase_without_demand) {
    limiter l = make(4, 10);
    time_point t = t0;
    for (int i = 0; i < 20; ++i, t += 21ms)
        BOOST_TEST(window(l, t, 3, 20ms) == adaptive_decision::held); // 3 of 4: never the limit
    BOOST_TEST(l.limit() == 4u);
}

BOOST_AUTO_TEST_CASE(each_kind_of_back_pressure_decreases_multiplicatively) {
    struct kind {
        const char* name;
        adaptive_outcome outcome;
        ns rtt;
    };
    const kind kinds[] = {
        {"429", webhook::detail::adaptive_outcome_of(429), 5ms},
        {"503", webhook::detail::adaptive_outcome_of(503), 5ms},
        {"connection reset", adaptive_outcome::back_pressure, 1ms},
        {"timeout", adaptive_outcome::back_pressure, 30s},
    };
    for (const kind& k : kinds) {
        BOOST_TEST_CONTEXT(k.name) {
            limiter l = make(16, 32);
            time_point t = t0;
            for (int i = 0; i < 3; ++i, t += 21ms) // a mean RTT of 20 ms, the limit at 19
                window(l, t, l.limit(), 20ms);
            BOOST_TEST(l.limit() == 19u);
            // At the window's end one request fails and 18 succeed.
            for (std::size_t i = 1; i <= 19; ++i)
                l.on_start(i);
            const time_point end = t + 20ms;
            BOOST_TEST(l.on_result(end, k.rtt, k.outcome) ==
                       adaptive_decision::decreased_back_pressure);
            for (int i = 0; i < 18; ++i)
                l.on_result(end, 20ms, adaptive_outcome::success);
            BOOST_TEST(l.limit() == 9u); // floor(19 * 0.5)
            // Again a window later, from a request that started after the decrease.
            const time_point next = end + std::max<ns>(k.rtt, 20ms);
            l.on_start(9);
            BOOST_TEST(l.on_result(next, k.rtt, k.outcome) ==
                       adaptive_decision::decreased_back_pressure);
            BOOST_TEST(l.limit() == 4u);
            BOOST_TEST(l.stats().decreases == 2u);
        }
    }
}

BOOST_AUTO_TEST_CASE(back_pressure_decreases_once_per_window) {
    limiter l = make(32, 32);
    // 32 requests fail one by one over 31 ns: one decrease, not 32.
    BOOST_TEST(window(l, t0, 32, 10ms, adaptive_outcome::back_pressure) ==
               adaptive_decision::decreased_back_pressure);
    BOOST_TEST(l.limit() == 16u);
    BOOST_TEST(l.stats().decreases == 1u);
    // Requests that started before the decrease and end after it are its news too.
    for (int i = 0; i < 10; ++i)
        BOOST_TEST(l.on_result(t0 + 1s, 1s, adaptive_outcome::back_pressure) ==
                   adaptive_decision::none);
    BOOST_TEST(l.limit() == 16u);
    // Within one window (a mean RTT long), a second failure waits for the window's end.
    const time_point t = t0 + 10ms;
    l.on_start(16);
    BOOST_TEST(l.on_result(t + 2ms, 2ms, adaptive_outcome::back_pressure) ==
               adaptive_decision::none);
    BOOST_TEST(l.on_result(t + 9ms, 9ms, adaptive_outcome::back_pressure) ==
               adaptive_decision::none);
    BOOST_TEST(l.on_result(t + 10ms, 10ms, adaptive_outcome::back_pressure) ==
               adaptive_decision::decreased_back_pressure);
    BOOST_TEST(l.limit() == 8u);
}

BOOST_AUTO_TEST_CASE(back_pressure_without_any_success_still_decreases) {
    limiter l = make(8, 8);
    time_point t = t0;
    for (std::size_t expected : {4u, 2u, 1u, 1u}) {
        window(l, t, l.limit(), 3ms, adaptive_outcome::back_pressure);
        BOOST_TEST(l.limit() == expected);
        t += 4ms;
    }
    BOOST_TEST(l.stats().last_decision == adaptive_decision::held); // at the floor
    BOOST_TEST(l.stats().mean_rtt == ns::zero());
}

BOOST_AUTO_TEST_CASE(other_failures_are_not_back_pressure) {
    limiter l = make(8, 16);
    time_point t = t0;
    for (int i = 0; i < 10; ++i, t += 21ms)
        BOOST_TEST(window(l, t, 8, 20ms, adaptive_outcome::other_failure) ==
                   adaptive_decision::held); // and no increase either: nothing was measured
    BOOST_TEST(l.limit() == 8u);
    // A 4xx among successes changes nothing.
    for (std::size_t i = 1; i <= 8; ++i)
        l.on_start(i);
    BOOST_TEST(l.on_result(t + 5ms, 5ms, adaptive_outcome::other_failure) ==
               adaptive_decision::none);
    BOOST_TEST(l.on_result(t + 20ms, 20ms, adaptive_outcome::success) ==
               adaptive_decision::increased);
}

BOOST_AUTO_TEST_CASE(rtt_growth_above_the_threshold_decreases) {
    limiter l = make(10, 40);
    time_point t = t0;
    for (int i = 0; i < 5; ++i, t += 21ms)
        window(l, t, l.limit(), 20ms);
    BOOST_TEST(l.limit() == 15u);
    BOOST_TEST(l.stats().unloaded_rtt == ns(20ms));
    // 5 % slower: within the tolerance, the limit still rises.
    for (int i = 0; i < 2; ++i, t += 22ms)
        BOOST_TEST(window(l, t, l.limit(), 21ms) == adaptive_decision::increased);
    BOOST_TEST(l.limit() == 17u);
    // 50 % slower: the load shows, once the window holds the slower batch.
    BOOST_TEST(window(l, t, 17, 30ms) == adaptive_decision::increased); // the 21 ms batch
    t += 31ms;
    BOOST_TEST(window(l, t, 18, 30ms) == adaptive_decision::decreased_rtt);
    BOOST_TEST(l.limit() == 16u); // floor(18 * 0.9)
    BOOST_TEST(l.stats().last_decision == adaptive_decision::decreased_rtt);
    // The rest of that batch started before the decrease: it is not counted again.
    BOOST_TEST(l.stats().decreases == 1u);
}

BOOST_AUTO_TEST_CASE(noise_in_a_window_is_not_growth) {
    // Windows of 10 samples, 20 ms +- 40 %: the standard error of their mean covers the spread.
    limiter l = make(10, 10);
    noise n;
    time_point t = t0;
    for (int w = 0; w < 200; ++w) {
        for (std::size_t i = 1; i <= 10; ++i)
            l.on_start(i);
        for (int i = 0; i < 10; ++i) {
            const ns rtt = scaled(20ms, 0.6 + 0.8 * n.next());
            l.on_result(t + rtt, rtt, adaptive_outcome::success);
        }
        t += 30ms;
    }
    BOOST_TEST(l.stats().decreases == 0u);
    BOOST_TEST(l.limit() == 10u);
}

BOOST_AUTO_TEST_CASE(never_below_one_nor_above_the_ceiling) {
    limiter l = make(3, 5);
    time_point t = t0;
    for (int i = 0; i < 30; ++i, t += 11ms) {
        window(l, t, l.limit(), 10ms);
        BOOST_TEST(l.limit() <= 5u);
    }
    BOOST_TEST(l.limit() == 5u);
    for (int i = 0; i < 30; ++i, t += 11ms) {
        window(l, t, l.limit(), 10ms, adaptive_outcome::back_pressure);
        BOOST_TEST(l.limit() >= 1u);
    }
    BOOST_TEST(l.limit() == 1u);
    BOOST_TEST(l.may_start(t, 0));
}

BOOST_AUTO_TEST_CASE(retry_after_pauses_starts_until_then) {
    limiter l = make(4, 8);
    BOOST_TEST(!l.paused(t0));
    l.on_retry_after(t0 + 5s);
    BOOST_TEST(l.paused(t0));
    BOOST_TEST(!l.may_start(t0, 0));
    BOOST_TEST(!l.may_start(t0 + 5s - 1ns, 0));
    BOOST_TEST(l.may_start(t0 + 5s, 0));
    BOOST_TEST(!l.may_start(t0 + 5s, 4)); // the limit still holds
    BOOST_TEST((l.paused_until() == t0 + 5s));
    // A shorter Retry-After does not cut the pause short; a longer one extends it.
    l.on_retry_after(t0 + 2s);
    BOOST_TEST(!l.may_start(t0 + 3s, 0));
    l.on_retry_after(t0 + 9s);
    BOOST_TEST(!l.may_start(t0 + 6s, 0));
    BOOST_TEST(l.may_start(t0 + 9s, 0));
    BOOST_TEST((l.stats().paused_until == t0 + 9s));
    BOOST_TEST(l.limit() == 4u); // the pause alone does not change the limit
}

BOOST_AUTO_TEST_CASE(stats_show_the_limit_the_rtt_and_the_last_decision) {
    limiter l = make(2, 8);
    const auto s0 = l.stats();
    BOOST_TEST(s0.limit == 2u);
    BOOST_TEST(s0.mean_rtt == ns::zero());
    BOOST_TEST(s0.unloaded_rtt == ns::zero());
    BOOST_TEST(s0.last_decision == adaptive_decision::none);
    window(l, t0, 2, 40ms);
    BOOST_TEST(l.stats().mean_rtt == ns(40ms));
    BOOST_TEST(l.stats().unloaded_rtt == ns::zero()); // one sample shows no spread yet
    window(l, t0 + 41ms, 3, 40ms);
    const auto s1 = l.stats();
    BOOST_TEST(s1.limit == 4u);
    BOOST_TEST(s1.mean_rtt == ns(40ms));
    BOOST_TEST(s1.unloaded_rtt == ns(40ms));
    BOOST_TEST(s1.last_decision == adaptive_decision::increased);
    BOOST_TEST(s1.increases == 2u);
    window(l, t0 + 82ms, 4, 40ms, adaptive_outcome::back_pressure);
    BOOST_TEST(l.stats().limit == 2u);
    BOOST_TEST(l.stats().last_decision == adaptive_decision::decreased_back_pressure);
    BOOST_TEST(l.stats().decreases == 1u);
}

BOOST_AUTO_TEST_CASE(bad_settings_fall_back_to_the_defaults) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    limiter l(options{.enabled = true,
                      .initial = 8,
                      .ceiling = 8,
                      .rtt_decrease = 1.0,
                      .back_pressure_decrease = nan,
                      .ewma_alpha = 0,
                      .rtt_tolerance = nan,
                      .rtt_noise_scale = -3});
    window(l, t0, 8, 10ms, adaptive_outcome::back_pressure);
    BOOST_TEST(l.limit() == 4u); // 0.5, not NaN
    time_point t = t0 + 11ms;
    for (int i = 0; i < 3; ++i, t += 11ms)
        window(l, t, l.limit(), 10ms);
    BOOST_TEST(l.limit() == 7u);
    BOOST_TEST(window(l, t, 7, 30ms) == adaptive_decision::decreased_rtt);
    BOOST_TEST(l.limit() == 6u); // 0.9, not 1.0: a decrease shrinks
}

BOOST_AUTO_TEST_CASE(a_receiver_taking_k_at_once_holds_the_limit_around_k) {
    for (std::size_t k : {1u, 3u, 8u, 20u}) {
        BOOST_TEST_CONTEXT("k = " << k) {
            limiter l = make(1, 64);
            simulation sim(l, [k](std::size_t working, time_point) { return at_most(k, working); });
            const auto limits = sim.run(400);
            const auto [low, high] = range(limits, 100);
            BOOST_TEST(low >= std::max<std::size_t>(k / 2, 1));
            BOOST_TEST(high <= k + 2);
            BOOST_TEST(high >= k); // it finds k again after each halving
        }
    }
}

BOOST_AUTO_TEST_CASE(a_high_initial_limit_comes_down_to_k) {
    limiter l = make(64, 64);
    simulation sim(l, [](std::size_t working, time_point) { return at_most(6, working); });
    const auto limits = sim.run(200);
    BOOST_TEST(limits.front() == 32u); // the first window halves
    const auto [low, high] = range(limits, 20);
    BOOST_TEST(low >= 3u);
    BOOST_TEST(high <= 8u);
}

BOOST_AUTO_TEST_CASE(a_receiver_slower_under_load_holds_a_small_limit) {
    // Four workers, 10 ms a request, the rest queued: past 4 in flight only the latency grows.
    const std::function<answer(std::size_t, time_point)> receivers[] = {
        [](std::size_t working, time_point) {
            return answer{10ms * ((working + 4) / 4), adaptive_outcome::success};
        },
        [](std::size_t working, time_point) {
            const double load = std::max(1.0, static_cast<double>(working + 1) / 4.0);
            return answer{scaled(10ms, load), adaptive_outcome::success};
        },
    };
    for (const auto& receiver : receivers) {
        limiter l = make(1, 64);
        simulation sim(l, receiver);
        const auto limits = sim.run(600);
        const auto [low, high] = range(limits, 200);
        BOOST_TEST(low >= 3u);
        BOOST_TEST(high <= 8u);
    }
}

BOOST_AUTO_TEST_CASE(a_noisy_receiver_with_room_gets_the_ceiling) {
    // 50 ms +- 30 %, whatever the load: the noise must not read as growth.
    limiter l = make(1, 64);
    noise n;
    simulation sim(l, [&n](std::size_t, time_point) {
        return answer{scaled(50ms, 0.7 + 0.6 * n.next()), adaptive_outcome::success};
    });
    const auto limits = sim.run(600);
    const auto [low, high] = range(limits, 300);
    BOOST_TEST(low >= 48u);
    BOOST_TEST(high == 64u);
}

BOOST_AUTO_TEST_CASE(a_receiver_that_became_slower_is_learned_again) {
    // 10 ms, then 40 ms for good: once the limit has fallen to 1, 40 ms is the unloaded RTT.
    limiter l = make(1, 32);
    simulation sim(l, [](std::size_t, time_point now) {
        return answer{now < t0 + 2s ? 10ms : 40ms, adaptive_outcome::success};
    });
    const auto limits = sim.run(400);
    BOOST_TEST(std::count(limits.begin(), limits.end(), 1u) >= 1);
    BOOST_TEST(limits.back() == 32u);
    BOOST_TEST(l.stats().unloaded_rtt == ns(40ms));
}
