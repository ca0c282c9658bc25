#include <webhook/dispatcher.hpp>

#define BOOST_TEST_MODULE dispatcher
#include <boost/test/unit_test.hpp>

#include "support/dispatcher_fixture.hpp"
#include "support/print.hpp"

#include <boost/asio/use_future.hpp>
#include <boost/beast/core/error.hpp>

#include <chrono>
#include <string>
#include <vector>

// What is sent, and how failures are retried: statuses, the circuit breaker, the maximum age,
// Retry-After and backoff. The queue, concurrency and bodies are in dispatcher_flow_test.cpp,
// shutdown and completion in dispatcher_lifecycle_test.cpp.

using namespace std::chrono_literals;
using namespace webhook::test;
namespace http = boost::beast::http;

BOOST_AUTO_TEST_SUITE(dispatcher)

BOOST_AUTO_TEST_CASE(send_delivers_the_event_with_method_headers_and_body) {
    test_dispatcher d{make_endpoint()};
    const webhook::delivery r = d.send(inc001);
    BOOST_TEST(r.ok());
    BOOST_TEST(r.status == webhook::delivery_status::delivered);
    BOOST_TEST(!r.error);
    BOOST_TEST(r.http_status == 200);
    BOOST_TEST(r.attempts.size() == 1u);
    BOOST_TEST(r.id.view().size() == 26u);

    const auto sent = d.transport().log().requests();
    BOOST_REQUIRE(sent.size() == 1u);
    const auto& req = sent[0].request;
    BOOST_TEST(req.method() == http::verb::post);
    BOOST_TEST(req.target() == "/api/hook?x=1");
    BOOST_TEST(req.body() == inc001_body);
    BOOST_TEST(header(req, "Host") == "receiver.test");
    BOOST_TEST(header(req, "Authorization") == "Basic c3ZjLXVzZXI6czNjcmV0");
    BOOST_TEST(header(req, "Content-Type") == "application/json; charset=utf-8");
    BOOST_TEST(header(req, "Content-Length") == std::to_string(inc001_body.size()));
    BOOST_TEST(header(req, "webhook-id") == std::string(r.id.view()));
}

BOOST_AUTO_TEST_CASE(put_and_patch_are_sent_with_their_method) {
    for (const auto method : {http::verb::put, http::verb::patch}) {
        auto e = make_endpoint();
        e.method = method;
        test_dispatcher d{e};
        BOOST_TEST(d.send(inc001).ok());
        BOOST_TEST(d.transport().log().requests().at(0).request.method() == method);
    }
}

BOOST_AUTO_TEST_CASE(an_invalid_endpoint_is_refused_by_the_constructor) {
    auto e = make_endpoint();
    e.method = http::verb::get;
    e.authentication = webhook::basic_auth{"a:b", "pw"};
    try {
        test_dispatcher d{e};
        BOOST_FAIL("no exception");
    } catch (const webhook::config_error& err) {
        BOOST_TEST(err.problems().size() == 2u);
    }
}

BOOST_AUTO_TEST_CASE(retryable_statuses_are_retried_on_schedule_with_the_same_id) {
    outcome_log log;
    test_dispatcher d{make_endpoint(), log.options()};
    auto& s = d.transport().log();
    s.push({step::ok(503), step::ok(429), step::ok(204)});
    const auto start = manual_clock::now();
    const auto id = d.post(inc001);
    BOOST_REQUIRE(id.has_value());
    advance_after(s, 1, 1s);
    advance_after(s, 2, 2s);
    BOOST_REQUIRE(log.wait_for(1));

    const auto r = log.all().at(0);
    BOOST_TEST(r.status == webhook::delivery_status::delivered);
    BOOST_TEST(r.id == *id);
    BOOST_REQUIRE(r.attempts.size() == 3u);
    BOOST_TEST(r.attempts[0].status == 503);
    BOOST_TEST(r.attempts[0].retry_delay == 1s);
    BOOST_TEST(r.attempts[1].status == 429);
    BOOST_TEST(r.attempts[1].retry_delay == 2s);
    BOOST_TEST(r.attempts[2].status == 204);
    BOOST_TEST(r.attempts[2].retry_delay == 0s);
    const auto sent = s.requests();
    BOOST_REQUIRE(sent.size() == 3u);
    BOOST_TEST((sent[1].at - start == 1s));
    BOOST_TEST((sent[2].at - start == 3s));
    for (const auto& x : sent)
        BOOST_TEST(header(x.request, "webhook-id") == std::string(id->view()));
    const auto c = d.counters();
    BOOST_TEST(c.accepted == 1u);
    BOOST_TEST(c.delivered == 1u);
    BOOST_TEST(c.retried_attempts == 2u);
    BOOST_TEST(c.in_flight == 0u);
}

BOOST_AUTO_TEST_CASE(every_retryable_outcome_class_is_retried) {
    const std::vector<step> retryable{step::ok(408),
                                      step::ok(425),
                                      step::ok(429),
                                      step::ok(500),
                                      step::ok(502),
                                      step::ok(503),
                                      step::ok(504),
                                      step::ok(599),
                                      step::fail(boost::beast::error::timeout),
                                      step::fail(boost::asio::error::connection_refused)};
    for (const auto& first : retryable) {
        test_dispatcher d{make_endpoint()};
        auto& s = d.transport().log();
        s.push({first, step::ok(200)});
        auto result = d.async_send(inc001, boost::asio::use_future);
        advance_after(s, 1, 1s);
        const auto r = result.get();
        BOOST_TEST(r.ok());
        BOOST_TEST(r.attempts.size() == 2u);
        BOOST_TEST(r.attempts[0].status == first.status);
        BOOST_TEST(r.attempts[0].error == first.error);
    }
}

BOOST_AUTO_TEST_CASE(permanent_statuses_fail_at_once_and_keep_the_response_body) {
    for (const int status : {301, 302, 400, 401, 403, 404, 422, 501}) {
        test_dispatcher d{make_endpoint()};
        step answer = step::ok(status);
        answer.body = "no such incident";
        d.transport().log().push(answer);
        const auto r = d.send(inc001);
        BOOST_TEST(r.status == webhook::delivery_status::failed);
        BOOST_TEST(r.error == webhook::error::rejected_by_receiver);
        BOOST_TEST(r.http_status == status);
        BOOST_REQUIRE(r.attempts.size() == 1u);
        BOOST_TEST(r.attempts[0].body_excerpt == "no such incident");
        BOOST_TEST(d.counters().failed == 1u);
    }
}

BOOST_AUTO_TEST_CASE(gone_fails_permanently_and_says_so) {
    test_dispatcher d{make_endpoint()};
    d.transport().log().push(step::ok(410));
    const auto r = d.send(inc001);
    BOOST_TEST(r.status == webhook::delivery_status::gone);
    BOOST_TEST(r.error == webhook::error::endpoint_gone);
    BOOST_TEST(r.attempts.size() == 1u);
    BOOST_TEST(d.counters().failed == 1u);
}

BOOST_AUTO_TEST_CASE(the_retryable_statuses_are_configurable) {
    auto e = make_endpoint();
    e.retry.retryable_statuses = {404};
    test_dispatcher d{e};
    auto& s = d.transport().log();
    s.push({step::ok(404), step::ok(503)});
    auto result = d.async_send(inc001, boost::asio::use_future);
    advance_after(s, 1, 1s);
    const auto r = result.get();
    BOOST_TEST(r.attempts.size() == 2u);
    BOOST_TEST(r.error == webhook::error::rejected_by_receiver); // 503 is no longer retried
}

BOOST_AUTO_TEST_CASE(retries_end_when_the_policy_runs_out) {
    test_dispatcher d{make_endpoint()};
    auto& s = d.transport().log();
    s.set_default(step::ok(503));
    auto result = d.async_send(inc001, boost::asio::use_future);
    advance_after(s, 1, 1s);
    advance_after(s, 2, 2s);
    advance_after(s, 3, 4s);
    const auto r = result.get();
    BOOST_TEST(r.status == webhook::delivery_status::failed);
    BOOST_TEST(r.error == webhook::error::retries_exhausted);
    BOOST_TEST(r.attempts.size() == 4u);
    BOOST_TEST(r.http_status == 503);
    BOOST_TEST(d.counters().retried_attempts == 3u);
}

BOOST_AUTO_TEST_CASE(an_open_circuit_holds_events_back_until_one_probe_succeeds) {
    auto e = make_endpoint();
    e.max_in_flight = 1;
    e.retry = webhook::retry_policy::fixed_schedule({1s, 1s, 1s});
    e.circuit_breaker = {.failures = 2, .cool_down = 10s};
    outcome_log log;
    std::vector<webhook::circuit_state> changes;
    auto o = log.options();
    o.on_circuit_change = [&](webhook::circuit_state c) { changes.push_back(c); }; // strand only
    test_dispatcher d{e, o};
    auto& s = d.transport().log();
    s.push({step::ok(503), step::ok(503)}); // then 200s
    BOOST_REQUIRE(d.post(incident{"A", 1, "new"}));
    BOOST_REQUIRE(d.post(incident{"B", 1, "new"}));
    advance_after(s, 1, 1s);
    BOOST_REQUIRE(s.wait_for_answers(2)); // two failures in a row: open for 10 s
    BOOST_TEST(d.counters().circuit == webhook::circuit_state::open);
    manual_clock::advance(1s); // A's retry falls due, but the circuit holds it back
    manual_clock::advance(8s);
    BOOST_TEST(!s.wait_for_requests(3, 50ms)); // had the circuit let it go, it would be here
    BOOST_TEST(s.request_count() == 2u);
    const auto held = d.counters();
    BOOST_TEST(held.queued == 1u); // B waits, and nothing has failed
    BOOST_TEST(held.failed == 0u);
    manual_clock::advance(1s); // the cool-down is over: A goes as the probe, succeeds
    BOOST_TEST(d.flush(10s));
    const auto sent = s.requests();
    BOOST_REQUIRE(sent.size() == 4u);
    BOOST_TEST((sent[2].at - sent[1].at) == manual_clock::duration(10s));
    BOOST_TEST(sent[3].request.body().find("\"B\"") != std::string::npos);
    BOOST_TEST(changes == (std::vector<webhook::circuit_state>{webhook::circuit_state::open,
                                                               webhook::circuit_state::half_open,
                                                               webhook::circuit_state::closed}),
               boost::test_tools::per_element());
    BOOST_TEST(d.counters().delivered == 2u);
    BOOST_TEST(d.counters().circuit == webhook::circuit_state::closed);
}

BOOST_AUTO_TEST_CASE(a_failed_probe_opens_the_circuit_for_another_cool_down) {
    auto e = make_endpoint();
    e.max_in_flight = 1;
    e.retry = webhook::retry_policy::fixed_schedule({1s, 1s, 1s, 1s});
    e.circuit_breaker = {.failures = 1, .cool_down = 5s};
    test_dispatcher d{e};
    auto& s = d.transport().log();
    s.push({step::ok(503), step::ok(503)});
    auto result = d.async_send(inc001, boost::asio::use_future);
    advance_after(s, 1, 5s); // open at once; the retry waits for the probe at +5 s
    advance_after(s, 2, 5s); // the probe failed: another 5 s
    const auto r = result.get();
    BOOST_TEST(r.ok());
    const auto sent = s.requests();
    BOOST_REQUIRE(sent.size() == 3u);
    BOOST_TEST((sent[1].at - sent[0].at) == manual_clock::duration(5s));
    BOOST_TEST((sent[2].at - sent[1].at) == manual_clock::duration(5s));
}

BOOST_AUTO_TEST_CASE(an_event_older_than_the_maximum_age_fails_as_expired) {
    auto e = make_endpoint();
    e.retry = webhook::retry_policy::fixed_schedule({10s});
    e.max_event_age = 5s;
    test_dispatcher d{e};
    auto& s = d.transport().log();
    s.push(step::ok(503));
    auto result = d.async_send(inc001, boost::asio::use_future);
    advance_after(s, 1, 10s); // the retry falls due after the event's maximum age
    const auto r = result.get();
    BOOST_TEST(r.status == webhook::delivery_status::failed);
    BOOST_TEST(r.error == webhook::error::event_expired);
    BOOST_TEST(r.attempts.size() == 1u);
    BOOST_TEST(s.request_count() == 1u);
}

BOOST_AUTO_TEST_CASE(no_retry_policy_makes_one_attempt) {
    auto e = make_endpoint();
    e.retry = webhook::retry_policy::none();
    test_dispatcher d{e};
    d.transport().log().push(step::fail(boost::beast::error::timeout));
    const auto r = d.send(inc001);
    BOOST_TEST(r.error == make_error_code(boost::beast::error::timeout)); // the cause itself
    BOOST_REQUIRE(r.attempts.size() == 1u);
    BOOST_TEST(r.attempts[0].error == make_error_code(boost::beast::error::timeout));
}

BOOST_AUTO_TEST_CASE(retry_after_seconds_is_honoured_and_capped) {
    auto e = make_endpoint();
    e.retry = webhook::retry_policy{};
    e.retry.max_delay = 30s;
    test_dispatcher d{e};
    auto& s = d.transport().log();
    step slow_down = step::ok(429);
    slow_down.headers = {{"Retry-After", "7"}};
    step much_later = step::ok(503);
    much_later.headers = {{"Retry-After", "3600"}};
    s.push({slow_down, much_later, step::ok(200)});
    const auto start = manual_clock::now();
    auto result = d.async_send(inc001, boost::asio::use_future);
    advance_after(s, 1, 7s);
    advance_after(s, 2, 30s);
    const auto r = result.get();
    BOOST_TEST(r.ok());
    BOOST_REQUIRE(r.attempts.size() == 3u);
    BOOST_TEST(r.attempts[0].retry_delay == 7s);
    BOOST_TEST(r.attempts[1].retry_delay == 30s); // capped by max_delay
    BOOST_TEST((s.requests()[2].at - start == 37s));
}

BOOST_AUTO_TEST_CASE(exponential_backoff_stays_within_its_jitter_bounds) {
    auto e = make_endpoint();
    e.retry = webhook::retry_policy{};
    e.retry.max_attempts = 4;
    e.retry.initial_delay = 100ms;
    e.retry.multiplier = 10;
    test_dispatcher d{e};
    auto& s = d.transport().log();
    s.set_default(step::ok(500));
    auto result = d.async_send(inc001, boost::asio::use_future);
    advance_after(s, 1, 100ms);
    advance_after(s, 2, 1s);
    advance_after(s, 3, 10s);
    const auto r = result.get();
    BOOST_REQUIRE(r.attempts.size() == 4u);
    BOOST_TEST(r.attempts[0].retry_delay <= 100ms);
    BOOST_TEST(r.attempts[1].retry_delay <= 1s);
    BOOST_TEST(r.attempts[2].retry_delay <= 10s);
}

BOOST_AUTO_TEST_CASE(max_total_time_stops_retries) {
    auto e = make_endpoint();
    e.retry = webhook::retry_policy::fixed_schedule({1s, 10s});
    e.retry.max_total_time = 5s;
    test_dispatcher d{e};
    auto& s = d.transport().log();
    s.set_default(step::ok(503));
    auto result = d.async_send(inc001, boost::asio::use_future);
    advance_after(s, 1, 1s);
    const auto r = result.get();
    BOOST_TEST(r.attempts.size() == 2u); // the 10 s retry would end past 5 s
    BOOST_TEST(r.error == webhook::error::retries_exhausted);
}

BOOST_AUTO_TEST_CASE(the_body_excerpt_is_bounded) {
    test_dispatcher d{make_endpoint()};
    step big = step::ok(400);
    big.body.assign(50'000, 'x');
    d.transport().log().push(big);
    const auto r = d.send(inc001);
    BOOST_TEST(r.attempts.at(0).body_excerpt.size() == webhook::delivery::body_excerpt_limit);
}

BOOST_AUTO_TEST_SUITE_END()
