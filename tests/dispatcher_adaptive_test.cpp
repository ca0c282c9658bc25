#include <webhook/dispatcher.hpp>

#define BOOST_TEST_MODULE dispatcher_adaptive
#include <boost/test/unit_test.hpp>

#include "support/dispatcher_fixture.hpp"

#include <chrono>

// Adaptive concurrency as the dispatcher carries it out, step by step over a scripted
// transport and a manual clock: the limit gates attempts (retries too), back-pressure lowers
// it, a Retry-After pauses every request to the endpoint. The decisions themselves are tested
// in dispatch/detail/adaptive_limit_test.cpp; real overloaded receivers in
// dispatch/adaptive_concurrency_test.cpp.

using namespace std::chrono_literals;
using namespace webhook::test;

namespace {

webhook::endpoint adaptive_endpoint(std::size_t initial, std::size_t ceiling) {
    auto e = make_endpoint();
    e.max_in_flight = ceiling;
    e.adaptive_concurrency = {.enabled = true, .initial = initial};
    return e;
}

/// Releases held requests, answering 200, until `n` requests were made and none is held.
void drain(script& s, std::size_t n) {
    s.set_default(step::ok());
    for (int rounds = 0; rounds < 10'000 && (s.request_count() < n || s.held_count() > 0);
         ++rounds) {
        if (s.held_count() > 0)
            s.release();
        else
            s.wait_for_requests(s.request_count() + 1, 10ms);
    }
}

} // namespace

BOOST_AUTO_TEST_SUITE(adaptive_concurrency)

BOOST_AUTO_TEST_CASE(off_the_limit_is_max_in_flight_and_ordered_it_is_one) {
    auto e = make_endpoint();
    e.max_in_flight = 5;
    BOOST_TEST(test_dispatcher{e}.counters().concurrency_limit == 5u);
    e.ordered = true;
    e.adaptive_concurrency = {.enabled = true, .initial = 3};
    BOOST_TEST(test_dispatcher{e}.counters().concurrency_limit == 1u);
}

BOOST_AUTO_TEST_CASE(requests_start_at_the_initial_limit_and_the_rest_wait_for_one_to_finish) {
    test_dispatcher d{adaptive_endpoint(2, 16)};
    auto& s = d.transport().log();
    s.set_default(step::held());
    for (int i = 0; i < 6; ++i)
        BOOST_REQUIRE(d.post(inc001));
    BOOST_REQUIRE(s.wait_for_held(2));
    BOOST_TEST(d.counters().concurrency_limit == 2u);
    // Slots took all six events (max_in_flight 16), but only two attempts are on the wire;
    // each one that finishes lets exactly one more go.
    BOOST_TEST(d.counters().in_flight == 6u);
    // The first success closes the first window with the limit reached: one more place
    // (additive increase), and the attempts on the wire fill exactly the limit.
    s.release();
    BOOST_REQUIRE(s.wait_for_answers(1));
    const std::size_t limit = d.counters().concurrency_limit;
    BOOST_TEST(limit == 3u);
    BOOST_REQUIRE(s.wait_for_held(limit));
    BOOST_TEST(s.request_count() == 1 + limit);
    drain(s, 6);
    BOOST_TEST(d.flush(10s));
    BOOST_TEST(d.counters().delivered == 6u);
}

BOOST_AUTO_TEST_CASE(back_pressure_halves_the_limit_and_retries_wait_within_it) {
    test_dispatcher d{adaptive_endpoint(8, 8)};
    auto& s = d.transport().log();
    s.set_default(step::held(503));
    for (int i = 0; i < 8; ++i)
        BOOST_REQUIRE(d.post(inc001));
    BOOST_REQUIRE(s.wait_for_held(8));
    s.release(); // the first result closes the first window: back-pressure
    BOOST_REQUIRE(s.wait_for_answers(1));
    BOOST_TEST(d.counters().concurrency_limit == 4u);
    // Every request ends in a 503 and is retried after 1 s: the retries go no faster
    // than the limit lets them.
    for (int i = 0; i < 7; ++i)
        s.release();
    BOOST_REQUIRE(s.wait_for_answers(8));
    const std::size_t limit = d.counters().concurrency_limit;
    BOOST_TEST(limit < 4u);
    s.set_default(step::held()); // the retries succeed
    manual_clock::advance(1s);
    BOOST_REQUIRE(s.wait_for_held(limit));
    BOOST_TEST(s.request_count() == 8 + limit);
    drain(s, 16);
    BOOST_TEST(d.flush(10s));
    BOOST_TEST(d.counters().delivered == 8u);
}

BOOST_AUTO_TEST_CASE(a_retry_after_pauses_every_request_to_the_endpoint) {
    test_dispatcher d{adaptive_endpoint(1, 4)};
    auto& s = d.transport().log();
    step pause = step::held(503);
    pause.headers = {{"Retry-After", "5"}};
    s.push(pause);
    s.set_default(step::held());
    const auto start = manual_clock::now();
    for (int i = 0; i < 3; ++i)
        BOOST_REQUIRE(d.post(inc001));
    BOOST_REQUIRE(s.wait_for_held(1));
    s.release();
    BOOST_REQUIRE(s.wait_for_answers(1));
    // The other events' attempts were free to go once the first finished, but the pause
    // holds them: time moves in steps of 1 s and nothing is sent before 5 s have passed.
    for (int i = 0; i < 6; ++i)
        manual_clock::advance(1s);
    BOOST_REQUIRE(s.wait_for_requests(2));
    drain(s, 4);
    BOOST_TEST(d.flush(10s));
    const auto requests = s.requests();
    BOOST_REQUIRE(requests.size() == 4u);
    for (std::size_t i = 1; i < requests.size(); ++i)
        BOOST_TEST((requests[i].at - start >= 5s), "request " << i << " during the pause");
    BOOST_TEST(d.counters().delivered == 3u);
}

BOOST_AUTO_TEST_CASE(abandoned_requests_leave_no_place_taken) {
    auto e = adaptive_endpoint(2, 4);
    test_dispatcher d{e};
    auto& s = d.transport().log();
    s.set_default(step::held());
    for (int i = 0; i < 4; ++i)
        BOOST_REQUIRE(d.post(inc001));
    BOOST_REQUIRE(s.wait_for_held(2));
    BOOST_TEST(d.stop().size() == 4u);
    s.release(); // late completions of abandoned attempts find nothing to do
    s.release();
    BOOST_TEST(d.counters().abandoned == 4u);
}

BOOST_AUTO_TEST_SUITE_END()
