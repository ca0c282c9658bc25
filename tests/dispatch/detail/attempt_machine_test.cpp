#include <webhook/dispatch/detail/attempt_machine.hpp>

#define BOOST_TEST_MODULE attempt_machine
#include <boost/test/unit_test.hpp>

#include "support/explicit_clock.hpp"
#include "support/print.hpp"

#include <boost/asio/error.hpp>

#include <chrono>
#include <optional>

// The attempt machine step by step: each test feeds it the request's state, what happened and
// the time, and checks the one action it returns. No sockets, no clocks, no io_context.

using namespace std::chrono_literals;
namespace wd = webhook::detail;

namespace {

using test_clock = webhook::test::explicit_clock<std::chrono::milliseconds>;
using time_point = test_clock::time_point;
using state = wd::attempt_state<time_point>;
using step = wd::attempt_step;

constexpr time_point t0{1'000'000ms};

/// The endpoint-wide parts, each configurable; a context points at them.
struct endpoint_parts {
    std::chrono::milliseconds max_event_age{};
    webhook::retry_policy retry = webhook::retry_policy::fixed_schedule({1s, 2s, 4s});
    wd::circuit_breaker<test_clock> breaker{webhook::circuit_breaker_options{}};
    std::optional<wd::token_bucket<test_clock>> bucket;
    std::optional<wd::token_cache<test_clock>> tokens;

    wd::attempt_context<test_clock> context() {
        return {max_event_age, retry, breaker, bucket ? &*bucket : nullptr,
                tokens ? &*tokens : nullptr};
    }
};

state fresh(time_point at = t0) {
    state s;
    s.restart(at, at);
    return s;
}

wd::attempt_answer status(int code, std::optional<std::chrono::milliseconds> retry_after = {}) {
    return {{}, code, retry_after, 0.5};
}

wd::attempt_answer failure(boost::system::error_code ec) {
    return {ec, 0, {}, 0.5};
}

webhook::circuit_breaker_options opens_after(std::size_t failures, std::chrono::milliseconds cool) {
    webhook::circuit_breaker_options o;
    o.failures = failures;
    o.cool_down = cool;
    return o;
}

} // namespace

BOOST_AUTO_TEST_SUITE(before_an_attempt)

BOOST_AUTO_TEST_CASE(a_fresh_request_is_sent_at_once) {
    endpoint_parts p;
    state s = fresh();
    const auto a = wd::before_attempt(p.context(), s, t0);
    BOOST_TEST((a.step == step::send));
    BOOST_TEST(!a.authorize);
    BOOST_TEST(!a.circuit);
    BOOST_TEST(!s.probe);
}

BOOST_AUTO_TEST_CASE(a_request_older_than_the_maximum_age_settles_as_expired) {
    endpoint_parts p;
    p.max_event_age = 10s;
    state s = fresh();
    BOOST_TEST((wd::before_attempt(p.context(), s, t0 + 10s).step == step::send)); // not older
    const auto a = wd::before_attempt(p.context(), s, t0 + 10s + 1ms);
    BOOST_TEST((a.step == step::settle));
    BOOST_TEST((a.status == webhook::delivery_status::failed));
    BOOST_TEST(a.error == webhook::error::event_expired);
}

BOOST_AUTO_TEST_CASE(an_open_circuit_makes_it_wait_for_the_probe_and_the_probe_goes) {
    endpoint_parts p;
    p.breaker = wd::circuit_breaker<test_clock>(opens_after(1, 30s));
    state s = fresh();
    BOOST_REQUIRE((wd::before_attempt(p.context(), s, t0).step == step::send));
    const auto failed = wd::after_answer(p.context(), s, status(503), t0);
    BOOST_TEST((failed.circuit == webhook::circuit_state::open));
    BOOST_TEST((failed.step == step::wait));

    state other = fresh();
    const auto held = wd::before_attempt(p.context(), other, t0 + 5s);
    BOOST_TEST((held.step == step::wait));
    BOOST_TEST(held.circuit_wait);
    BOOST_TEST((held.at == t0 + 30s));

    const auto probe = wd::before_attempt(p.context(), other, t0 + 30s);
    BOOST_TEST((probe.step == step::send));
    BOOST_TEST((probe.circuit == webhook::circuit_state::half_open));
    BOOST_TEST(other.probe);
    // While the probe is out, the next request waits; the probe's success closes the circuit.
    BOOST_TEST((wd::before_attempt(p.context(), s, t0 + 30s).step == step::wait));
    const auto closed = wd::after_answer(p.context(), other, status(200), t0 + 31s);
    BOOST_TEST((closed.circuit == webhook::circuit_state::closed));
    BOOST_TEST((closed.step == step::settle));
    BOOST_TEST(!other.probe);
}

BOOST_AUTO_TEST_CASE(the_rate_limit_makes_it_wait_for_the_next_token) {
    endpoint_parts p;
    p.bucket.emplace(1.0, 1, t0); // one a second
    state a = fresh(), b = fresh();
    BOOST_TEST((wd::before_attempt(p.context(), a, t0).step == step::send));
    const auto next = wd::before_attempt(p.context(), b, t0);
    BOOST_TEST((next.step == step::wait));
    BOOST_TEST(!next.circuit_wait);
    BOOST_TEST((next.at == t0 + 1s));
    BOOST_TEST((wd::before_attempt(p.context(), b, next.at).step == step::send));
}

BOOST_AUTO_TEST_CASE(a_probe_held_back_by_the_rate_limit_is_given_back) {
    endpoint_parts p;
    p.breaker = wd::circuit_breaker<test_clock>(opens_after(1, 10s));
    p.bucket.emplace(0.05, 1, t0); // one request every 20 s
    state s = fresh();
    BOOST_REQUIRE((wd::before_attempt(p.context(), s, t0).step == step::send)); // the token
    BOOST_REQUIRE(wd::after_answer(p.context(), s, status(500), t0).circuit);   // opens
    // The cool-down ends first: the probe is granted, but the next token is 10 s away.
    const auto held = wd::before_attempt(p.context(), s, t0 + 10s);
    BOOST_TEST((held.step == step::wait));
    BOOST_TEST((held.at == t0 + 20s));
    BOOST_TEST((held.circuit == webhook::circuit_state::half_open));
    BOOST_TEST(!s.probe);
    // The probe was given back: another request is granted it (and held by the bucket too).
    state other = fresh();
    BOOST_TEST((wd::before_attempt(p.context(), other, t0 + 15s).at == t0 + 20s));
    const auto probe = wd::before_attempt(p.context(), s, t0 + 20s);
    BOOST_TEST((probe.step == step::send));
    BOOST_TEST(s.probe);
}

BOOST_AUTO_TEST_CASE(the_first_request_fetches_the_token_and_the_others_wait_for_it) {
    endpoint_parts p;
    p.tokens.emplace(60s);
    state a = fresh(), b = fresh();
    BOOST_TEST((wd::before_attempt(p.context(), a, t0).step == step::fetch_token));
    BOOST_TEST((wd::before_attempt(p.context(), b, t0).step == step::await_token));
    p.tokens->fetched({"tok-1", "Bearer tok-1", 3600s}, t0 + 1s);
    const auto go = wd::before_attempt(p.context(), a, t0 + 1s);
    BOOST_TEST((go.step == step::send));
    BOOST_TEST(go.authorize); // the request has no token yet
    BOOST_TEST(wd::before_attempt(p.context(), b, t0 + 1s).authorize);
    // The same slot's next request carries the token already.
    a.restart(t0 + 2s, t0 + 2s);
    const auto again = wd::before_attempt(p.context(), a, t0 + 2s);
    BOOST_TEST((again.step == step::send));
    BOOST_TEST(!again.authorize);
    // Expired (3600 s less the 60 s skew): fetched anew.
    BOOST_TEST((wd::before_attempt(p.context(), a, t0 + 1s + 3540s).step == step::fetch_token));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(after_an_answer)

BOOST_AUTO_TEST_CASE(every_status_and_error_gets_the_action_its_class_calls_for) {
    // Exhaustive over the statuses, three kinds of error, and whether a retry is left.
    const std::array<boost::system::error_code, 3> errors{
        boost::system::error_code{}, make_error_code(boost::asio::error::connection_refused),
        make_error_code(webhook::error::address_not_allowed)};
    for (const auto& ec : errors)
        for (int code = ec ? 0 : 100; code <= (ec ? 0 : 599); ++code)
            for (const std::size_t answered_before : {0u, 3u}) { // 4 attempts allowed
                endpoint_parts p;
                state s = fresh();
                s.attempts = answered_before;
                const wd::attempt_answer answer{ec, code, {}, 0.5};
                const auto a = wd::after_answer(p.context(), s, answer, t0 + 10s);
                BOOST_TEST(s.attempts == answered_before + 1);
                const auto verdict = webhook::classify(ec, code, p.retry.retryable_statuses);
                const bool last = answered_before == 3;
                switch (verdict) {
                case webhook::attempt_class::delivered:
                    BOOST_TEST((a.step == step::settle &&
                                a.status == webhook::delivery_status::delivered && !a.error),
                               code);
                    break;
                case webhook::attempt_class::gone:
                    BOOST_TEST(
                        (a.step == step::settle && a.status == webhook::delivery_status::gone),
                        code);
                    BOOST_TEST(a.error == webhook::error::endpoint_gone);
                    break;
                case webhook::attempt_class::permanent:
                    BOOST_TEST(
                        (a.step == step::settle && a.status == webhook::delivery_status::failed),
                        code);
                    BOOST_TEST(
                        a.error ==
                            (ec ? ec : make_error_code(webhook::error::rejected_by_receiver)),
                        code);
                    BOOST_TEST(!a.retry_delay);
                    break;
                case webhook::attempt_class::retryable:
                    if (last) {
                        BOOST_TEST((a.step == step::settle &&
                                    a.status == webhook::delivery_status::failed),
                                   code);
                        BOOST_TEST(
                            a.error ==
                                (ec ? ec : make_error_code(webhook::error::retries_exhausted)),
                            code);
                        BOOST_TEST(!a.retry_delay);
                    } else {
                        BOOST_TEST((a.step == step::wait), code);
                        BOOST_TEST((a.retry_delay == 1s), code); // the schedule's first delay
                        BOOST_TEST((a.at == t0 + 11s), code);
                    }
                    break;
                }
            }
}

BOOST_AUTO_TEST_CASE(the_schedule_is_followed_attempt_by_attempt) {
    endpoint_parts p;
    state s = fresh();
    const std::array<std::chrono::milliseconds, 3> expected{1s, 2s, 4s};
    time_point now = t0;
    for (const auto delay : expected) {
        const auto a = wd::after_answer(p.context(), s, status(503), now);
        BOOST_REQUIRE((a.step == step::wait));
        BOOST_TEST((a.retry_delay == delay));
        now = a.at;
        BOOST_REQUIRE((wd::before_attempt(p.context(), s, now).step == step::send));
    }
    const auto last = wd::after_answer(p.context(), s, status(503), now);
    BOOST_TEST((last.step == step::settle));
    BOOST_TEST(last.error == webhook::error::retries_exhausted);
}

BOOST_AUTO_TEST_CASE(retry_after_and_the_total_time_are_honoured) {
    endpoint_parts p;
    p.retry = webhook::retry_policy::fixed_schedule({1s, 10s});
    p.retry.max_delay = 30s;
    state s = fresh();
    const auto a = wd::after_answer(p.context(), s, status(429, 7s), t0);
    BOOST_TEST((a.retry_delay == 7s)); // the receiver's word replaces the schedule's
    p.retry.max_total_time = 5s;
    state t = fresh();
    BOOST_TEST((wd::after_answer(p.context(), t, status(503), t0).retry_delay == 1s));
    const auto over = wd::after_answer(p.context(), t, status(503), t0 + 1s);
    BOOST_TEST((over.step == step::settle)); // 1 s + 10 s would end past 5 s
    BOOST_TEST(over.error == webhook::error::retries_exhausted);
}

BOOST_AUTO_TEST_CASE(
    the_first_401_of_an_oauth_request_fetches_a_new_token_at_once_the_second_fails) {
    endpoint_parts p;
    p.tokens.emplace(60s);
    state s = fresh();
    BOOST_REQUIRE((wd::before_attempt(p.context(), s, t0).step == step::fetch_token));
    p.tokens->fetched({"tok-1", "Bearer tok-1", std::nullopt}, t0);
    BOOST_REQUIRE(wd::before_attempt(p.context(), s, t0).authorize);

    const auto refreshed = wd::after_answer(p.context(), s, status(401), t0 + 1s);
    BOOST_TEST((refreshed.step == step::fetch_token)); // the token was refused: a new one
    BOOST_TEST((refreshed.retry_delay == 0ms));
    BOOST_TEST(s.token_refused);
    p.tokens->fetched({"tok-2", "Bearer tok-2", std::nullopt}, t0 + 1s);
    const auto resent = wd::before_attempt(p.context(), s, t0 + 1s);
    BOOST_TEST((resent.step == step::send));
    BOOST_TEST(resent.authorize);

    const auto refused = wd::after_answer(p.context(), s, status(401), t0 + 2s);
    BOOST_TEST((refused.step == step::settle));
    BOOST_TEST(refused.error == webhook::error::rejected_by_receiver);
    BOOST_TEST(s.attempts == 2u);
}

BOOST_AUTO_TEST_CASE(a_401_without_oauth_is_a_refusal) {
    endpoint_parts p;
    state s = fresh();
    const auto a = wd::after_answer(p.context(), s, status(401), t0);
    BOOST_TEST((a.step == step::settle));
    BOOST_TEST(a.error == webhook::error::rejected_by_receiver);
}

BOOST_AUTO_TEST_CASE(a_failed_token_request_is_retried_and_a_refused_token_url_fails_at_once) {
    endpoint_parts p;
    state s = fresh();
    const auto again =
        wd::after_answer(p.context(), s, failure(webhook::error::token_request_failed), t0);
    BOOST_TEST((again.step == step::wait));
    state t = fresh();
    const auto refused =
        wd::after_answer(p.context(), t, failure(webhook::error::address_not_allowed), t0);
    BOOST_TEST((refused.step == step::settle));
    BOOST_TEST(refused.error == webhook::error::address_not_allowed);
}

BOOST_AUTO_TEST_SUITE_END()
