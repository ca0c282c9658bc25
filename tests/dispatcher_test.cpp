#include <webhook/dispatcher.hpp>

#define BOOST_TEST_MODULE dispatcher
#include <boost/test/unit_test.hpp>

#include "support/dispatcher_fixture.hpp"
#include "support/print.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/describe.hpp>

#include <zlib.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using namespace webhook::test;
namespace http = boost::beast::http;

namespace {

std::string gunzip(std::string_view in) {
    z_stream z{};
    BOOST_REQUIRE(inflateInit2(&z, 31) == Z_OK);
    std::string out(1 << 20, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    BOOST_REQUIRE(inflate(&z, Z_FINISH) == Z_STREAM_END);
    out.resize(z.total_out);
    inflateEnd(&z);
    return out;
}

} // namespace

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

BOOST_AUTO_TEST_CASE(a_full_queue_rejects_when_the_policy_says_reject) {
    auto e = make_endpoint();
    e.max_in_flight = 1;
    e.queue.capacity = 2;
    e.queue.when_full = webhook::overflow_policy::reject;
    outcome_log log;
    {
        test_dispatcher d{e, log.options()};
        auto& s = d.transport().log();
        s.set_default(step::held());
        BOOST_TEST(d.post(inc001).has_value());
        BOOST_REQUIRE(s.wait_for_held(1)); // in flight: the queue is empty again
        BOOST_TEST(d.post(inc001).has_value());
        BOOST_TEST(d.post(inc001).has_value());
        const auto refused = d.post(inc001);
        BOOST_TEST(refused.error() == webhook::error::queue_full);
        const auto c = d.counters();
        BOOST_TEST(c.accepted == 3u);
        BOOST_TEST(c.rejected == 1u);
        BOOST_TEST(c.queued == 2u);
        BOOST_TEST(c.in_flight == 1u);
        s.set_default(step::ok());
        s.release();
        BOOST_TEST(d.flush(10s));
    }
    BOOST_TEST(log.all().size() == 3u);
}

BOOST_AUTO_TEST_CASE(drop_oldest_reports_the_dropped_event) {
    auto e = make_endpoint();
    e.max_in_flight = 1;
    e.queue.capacity = 1;
    e.queue.when_full = webhook::overflow_policy::drop_oldest;
    outcome_log log;
    test_dispatcher d{e, log.options()};
    auto& s = d.transport().log();
    s.set_default(step::held());
    BOOST_REQUIRE(d.post(inc001));
    BOOST_REQUIRE(s.wait_for_held(1));
    const auto second = d.post(incident{"INC002", 1, "new"});
    const auto third = d.post(incident{"INC003", 1, "new"});
    BOOST_REQUIRE(second && third);
    BOOST_REQUIRE(log.wait_for(1));
    const auto dropped = log.all().at(0);
    BOOST_TEST(dropped.id == *second);
    BOOST_TEST(dropped.status == webhook::delivery_status::dropped);
    BOOST_TEST(dropped.error == webhook::error::dropped_from_full_queue);
    BOOST_TEST(dropped.attempts.empty());
    s.set_default(step::ok());
    s.release();
    BOOST_TEST(d.flush(10s));
    const auto c = d.counters();
    BOOST_TEST(c.accepted == 3u);
    BOOST_TEST(c.dropped == 1u);
    BOOST_TEST(c.delivered == 2u);
    const auto sent = s.requests();
    BOOST_REQUIRE(sent.size() == 2u);
    BOOST_TEST(sent[1].request.body().find("INC003") != std::string::npos);
}

/// One request at a time, and a queue of `capacity` whose callers block up to `timeout`.
webhook::endpoint one_at_a_time_blocking_queue(std::size_t capacity,
                                               std::chrono::milliseconds timeout) {
    auto e = make_endpoint();
    e.max_in_flight = 1;
    e.queue.capacity = capacity;
    e.queue.when_full = webhook::overflow_policy::block;
    e.queue.block_timeout = timeout;
    return e;
}

/// Answers every held request, and those still to come, with success; then flushes.
template <class Script>
void answer_all_and_flush(Script& s, test_dispatcher& d) {
    s.set_default(step::ok());
    while (s.held_count() > 0)
        s.release();
    BOOST_TEST(d.flush(10s));
}

BOOST_AUTO_TEST_CASE(block_waits_for_room_then_gives_up_at_its_timeout) {
    test_dispatcher d{one_at_a_time_blocking_queue(1, 50ms)};
    auto& s = d.transport().log();
    s.set_default(step::held());
    BOOST_REQUIRE(d.post(inc001));
    BOOST_REQUIRE(s.wait_for_held(1));
    BOOST_REQUIRE(d.post(inc001));                                    // queued
    BOOST_TEST(d.post(inc001).error() == webhook::error::queue_full); // nobody made room

    // A blocked caller goes on as soon as the queue has room.
    auto blocked = std::async(std::launch::async, [&] { return d.post(inc001); });
    s.release(); // the queued event moves into flight and makes room
    BOOST_REQUIRE(s.wait_for_held(1));
    // Not asserted: whether the release came before or after the 50 ms; both are correct.
    const auto r = blocked.get();
    BOOST_TEST((r.has_value() || r.error() == webhook::error::queue_full));
    answer_all_and_flush(s, d);
}

BOOST_AUTO_TEST_CASE(a_blocked_caller_gets_one_free_place_before_its_timeout_however_slow) {
    // Blocked callers are woken together once a quarter of the queue is free; a receiver too
    // slow to free that much must still let them in, as soon as there is any room.
    test_dispatcher d{one_at_a_time_blocking_queue(8, 10s)};
    auto& s = d.transport().log();
    s.set_default(step::held());
    BOOST_REQUIRE(d.post(inc001));
    BOOST_REQUIRE(s.wait_for_held(1));
    for (int i = 0; i < 8; ++i)
        BOOST_REQUIRE(d.post(inc001)); // the queue is full
    auto blocked = std::async(std::launch::async, [&] { return d.post(inc001); });
    s.release(); // one event leaves the queue, and its request is held in turn
    BOOST_REQUIRE(s.wait_for_held(1));
    const auto r = blocked.get(); // with a wake-up at the low-water mark only: queue_full at 10 s
    BOOST_TEST(r.has_value());
    BOOST_TEST(d.counters().queued == 8u);
    answer_all_and_flush(s, d);
    BOOST_TEST(d.counters().delivered == 10u);
}

BOOST_AUTO_TEST_CASE(max_in_flight_bounds_concurrent_requests) {
    auto e = make_endpoint();
    e.max_in_flight = 3;
    test_dispatcher d{e};
    auto& s = d.transport().log();
    s.set_default(step::held());
    for (int i = 0; i < 10; ++i)
        BOOST_REQUIRE(d.post(inc001));
    BOOST_REQUIRE(s.wait_for_held(3));
    BOOST_TEST(d.counters().in_flight == 3u);
    BOOST_TEST(d.counters().queued == 7u);
    s.set_default(step::ok());
    while (s.request_count() < 10 || s.held_count() > 0) {
        if (s.held_count() > 0)
            s.release();
        else
            s.wait_for_requests(s.request_count() + 1, 100ms);
    }
    BOOST_TEST(d.flush(10s));
    BOOST_TEST(s.max_in_flight() == 3u);
    BOOST_TEST(d.counters().delivered == 10u);
}

BOOST_AUTO_TEST_CASE(ordered_mode_sends_one_at_a_time_and_a_failing_event_holds_the_rest) {
    auto e = make_endpoint();
    e.ordered = true;
    e.max_in_flight = 1;
    outcome_log log;
    test_dispatcher d{e, log.options()};
    auto& s = d.transport().log();
    s.push({step::ok(503), step::ok(503), step::ok(200)});
    for (const char* id : {"A", "B", "C"})
        BOOST_REQUIRE(d.post(incident{id, 1, "new"}));
    advance_after(s, 1, 1s);
    advance_after(s, 2, 2s);
    BOOST_TEST(d.flush(10s));
    const auto sent = s.requests();
    BOOST_REQUIRE(sent.size() == 5u);
    const char* expected[] = {"\"A\"", "\"A\"", "\"A\"", "\"B\"", "\"C\""};
    for (std::size_t i = 0; i < 5; ++i)
        BOOST_TEST(sent[i].request.body().find(expected[i]) != std::string::npos);
    BOOST_TEST(s.max_in_flight() == 1u);
    const auto outcomes = log.all();
    BOOST_REQUIRE(outcomes.size() == 3u);
    BOOST_TEST(outcomes[0].attempts.size() == 3u);
}

BOOST_AUTO_TEST_CASE(batches_are_json_arrays_under_the_data_location) {
    auto e = make_endpoint();
    e.max_in_flight = 1;
    e.batch.max_events = 3;
    e.batch.linger = 10s;
    outcome_log log;
    test_dispatcher d{e, log.options()};
    auto& s = d.transport().log();
    for (const char* id : {"A", "B", "C", "D"})
        BOOST_REQUIRE(d.post(incident{id, 1, "new"}));
    BOOST_REQUIRE(s.wait_for_requests(1)); // three make a full batch: sent at once
    BOOST_TEST(s.requests()[0].request.body() ==
               R"({"root":{"result":[{"id":"A","priority":1,"state":"new"},)"
               R"({"id":"B","priority":1,"state":"new"},{"id":"C","priority":1,"state":"new"}]}})");
    BOOST_REQUIRE(log.wait_for(3));
    BOOST_TEST(s.request_count() == 1u); // D lingers
    manual_clock::advance(10s);
    BOOST_REQUIRE(s.wait_for_requests(2));
    BOOST_TEST(s.requests()[1].request.body() ==
               R"({"root":{"result":[{"id":"D","priority":1,"state":"new"}]}})");
    BOOST_REQUIRE(log.wait_for(4));
    for (const auto& r : log.all())
        BOOST_TEST(r.ok());
    BOOST_TEST(log.all()[0].batch_size == 3u);
    BOOST_TEST(log.all()[3].batch_size == 1u);
}

BOOST_AUTO_TEST_CASE(a_batch_never_exceeds_its_byte_limit) {
    auto e = make_endpoint();
    e.max_in_flight = 1;
    e.batch.max_events = 100;
    e.batch.max_bytes = 100; // two events of 38 bytes fit in [..,..], three do not
    outcome_log log;
    test_dispatcher d{e, log.options()};
    auto& s = d.transport().log();
    for (const char* id : {"A", "B", "C", "D", "E"})
        BOOST_REQUIRE(d.post(incident{id, 1, "new"}));
    BOOST_TEST(d.flush(10s));
    const auto sent = s.requests();
    BOOST_REQUIRE(sent.size() == 3u);
    const std::string prefix = R"({"root":{"result":)";
    for (const auto& r : sent)
        BOOST_TEST(r.request.body().size() - prefix.size() - 2 <= 100u);
    BOOST_TEST(log.all().size() == 5u);
}

BOOST_AUTO_TEST_CASE(gzip_compression_sends_a_gzip_body) {
    auto e = make_endpoint();
    e.compression = webhook::compression::gzip;
    test_dispatcher d{e};
    BOOST_TEST(d.send(inc001).ok());
    const auto sent = d.transport().log().requests();
    const auto& req = sent.at(0).request;
    BOOST_TEST(header(req, "Content-Encoding") == "gzip");
    BOOST_TEST(header(req, "Content-Length") == std::to_string(req.body().size()));
    BOOST_TEST(gunzip(req.body()) == inc001_body);
}

BOOST_AUTO_TEST_CASE(url_placeholders_are_filled_from_the_event_and_percent_encoded) {
    auto e = make_endpoint();
    e.method = http::verb::put;
    e.url = "https://receiver.test/api/incidents/{id}?state={state}";
    test_dispatcher d{e};
    d.bind<incident>();
    BOOST_TEST(d.send(incident{"INC 1/2", 1, "in progress"}).ok());
    BOOST_TEST(d.transport().log().requests().at(0).request.target() ==
               "/api/incidents/INC%201%2F2?state=in%20progress");
}

struct other_event {
    std::string name;
};
BOOST_DESCRIBE_STRUCT(other_event, (), (name))

BOOST_AUTO_TEST_CASE(a_placeholder_that_names_no_member_is_a_configuration_error) {
    auto e = make_endpoint();
    e.url = "https://receiver.test/api/incidents/{id}";
    test_dispatcher d{e};
    BOOST_CHECK_THROW(d.bind<other_event>(), webhook::config_error);
    BOOST_TEST(d.post(other_event{"x"}).error() == webhook::error::url_placeholder_mismatch);
    BOOST_TEST(d.send(other_event{"x"}).error == webhook::error::url_placeholder_mismatch);
    BOOST_TEST(d.counters().rejected == 2u);
    BOOST_TEST(d.transport().log().request_count() == 0u);
}

BOOST_AUTO_TEST_CASE(the_rate_limit_spaces_requests) {
    auto e = make_endpoint();
    e.rate_limit = {1.0, 2}; // one per second, two at once
    test_dispatcher d{e};
    auto& s = d.transport().log();
    const auto start = manual_clock::now();
    for (int i = 0; i < 4; ++i)
        BOOST_REQUIRE(d.post(inc001));
    BOOST_REQUIRE(s.wait_for_requests(2));
    advance_after(s, 2, 1s);
    advance_after(s, 3, 1s);
    BOOST_TEST(d.flush(10s));
    const auto sent = s.requests();
    BOOST_REQUIRE(sent.size() == 4u);
    BOOST_TEST((sent[1].at - start == 0s));
    BOOST_TEST((sent[2].at - start == 1s));
    BOOST_TEST((sent[3].at - start == 2s));
}

BOOST_AUTO_TEST_CASE(flush_reports_whether_everything_settled) {
    test_dispatcher d{make_endpoint()};
    auto& s = d.transport().log();
    s.push(step::held());
    BOOST_REQUIRE(d.post(inc001));
    BOOST_REQUIRE(s.wait_for_held(1));
    BOOST_TEST(!d.flush(20ms));
    s.release();
    BOOST_TEST(d.flush(10s));
}

BOOST_AUTO_TEST_CASE(destruction_reports_every_unsettled_event_as_abandoned) {
    auto e = make_endpoint();
    e.max_in_flight = 1;
    outcome_log log;
    std::vector<webhook::event_id> ids;
    {
        webhook::dispatcher_options o = log.options();
        o.shutdown_timeout = 20ms;
        test_dispatcher d{e, o};
        auto& s = d.transport().log();
        s.push(step::ok(503)); // the first waits 1 s for a retry that never comes
        for (int i = 0; i < 3; ++i)
            ids.push_back(d.post(inc001).value());
        BOOST_REQUIRE(s.wait_for_requests(1));
    }
    const auto outcomes = log.all();
    BOOST_REQUIRE(outcomes.size() == 3u);
    for (const auto& r : outcomes) {
        BOOST_TEST(r.status == webhook::delivery_status::abandoned);
        BOOST_TEST(r.error == webhook::error::abandoned_at_shutdown);
    }
    BOOST_TEST(outcomes[0].id == ids[1]); // the queued ones first, then the one in flight
    BOOST_TEST(outcomes[2].id == ids[0]);
    BOOST_TEST(outcomes[2].attempts.size() == 1u);
}

BOOST_AUTO_TEST_CASE(an_async_caller_hears_of_abandonment_at_shutdown) {
    std::promise<webhook::delivery> outcome;
    {
        webhook::dispatcher_options o;
        o.shutdown_timeout = 20ms;
        test_dispatcher d{make_endpoint(), o};
        d.transport().log().push(step::held());
        d.async_send(inc001, [&](webhook::delivery r) { outcome.set_value(std::move(r)); });
        BOOST_REQUIRE(d.transport().log().wait_for_held(1));
    }
    auto done = outcome.get_future();
    BOOST_REQUIRE(done.wait_for(10s) == std::future_status::ready);
    const auto r = done.get();
    BOOST_TEST(r.status == webhook::delivery_status::abandoned);
    BOOST_TEST(r.attempts.empty()); // the one attempt never completed
}

BOOST_AUTO_TEST_CASE(post_after_shutdown_began_is_refused) {
    // Shutdown is the destructor; a blocked poster wakes with dispatcher_stopped. Checked
    // through the error's message here, and end to end in the destruction test above.
    BOOST_TEST(make_error_code(webhook::error::dispatcher_stopped).message() ==
               "dispatcher is shutting down and accepts no more events");
}

BOOST_AUTO_TEST_CASE(async_send_works_with_every_completion_token) {
    boost::asio::io_context io;
    test_dispatcher d{make_endpoint()};

    std::optional<webhook::delivery> by_callback;
    d.async_send(inc001, [&](webhook::delivery r) { by_callback = std::move(r); });

    std::optional<webhook::delivery> by_coroutine;
    boost::asio::co_spawn(
        io,
        [&]() -> boost::asio::awaitable<void> {
            by_coroutine = co_await d.async_send(inc001, boost::asio::use_awaitable);
        },
        boost::asio::detached);

    std::optional<webhook::delivery> by_deferred;
    auto op = d.async_send(inc001, boost::asio::deferred);
    std::move(op)([&](webhook::delivery r) { by_deferred = std::move(r); });

    auto future = d.async_send(inc001, boost::asio::use_future);
    BOOST_TEST(future.get().ok());

    io.run(); // until the coroutine has its delivery
    BOOST_TEST(d.flush(10s));
    // flush returns once each outcome is handed to its completion's executor; the callback
    // and the deferred operation have none of their own, so they run on the dispatcher's,
    // in order: a marker posted there now runs after them.
    std::promise<void> handed_out;
    boost::asio::post(d.get_executor(), [&] { handed_out.set_value(); });
    handed_out.get_future().wait();
    BOOST_REQUIRE(by_coroutine);
    BOOST_TEST(by_coroutine->ok());
    BOOST_REQUIRE(by_callback);
    BOOST_TEST(by_callback->ok());
    BOOST_REQUIRE(by_deferred);
    BOOST_TEST(by_deferred->ok());
    BOOST_TEST(d.transport().log().request_count() == 4u);
}

struct bad_text {
    std::string text;
};
BOOST_DESCRIBE_STRUCT(bad_text, (), (text))

BOOST_AUTO_TEST_CASE(an_event_that_cannot_be_serialized_is_rejected) {
    test_dispatcher d{make_endpoint()};
    BOOST_TEST(d.post(bad_text{"\xff"}).error() == webhook::error::invalid_utf8);
    const auto r = d.send(bad_text{"\xff"});
    BOOST_TEST(r.status == webhook::delivery_status::rejected);
    BOOST_TEST(r.error == webhook::error::invalid_utf8);
    BOOST_TEST(d.counters().rejected == 2u);
    BOOST_TEST(d.counters().accepted == 0u);
}

BOOST_AUTO_TEST_CASE(a_body_over_the_maximum_is_rejected) {
    auto e = make_endpoint();
    e.max_body_size = inc001_body.size() - 1;
    test_dispatcher d{e};
    BOOST_TEST(d.post(inc001).error() == webhook::error::request_body_too_large);
    e.max_body_size = inc001_body.size();
    test_dispatcher fits{e};
    BOOST_TEST(fits.send(inc001).ok());
}

/// A transport with only the blocking form, as a user might write over another client.
class blocking_only {
public:
    webhook::http_response send(const webhook::origin&, const webhook::http_request& request,
                                boost::system::error_code& ec) {
        std::lock_guard lock(mutex_);
        bodies_.push_back(request.body());
        ec = {};
        webhook::http_response response;
        response.result(bodies_.size() == 1 ? 503 : 201);
        return response;
    }
    std::vector<std::string> bodies() {
        std::lock_guard lock(mutex_);
        return bodies_;
    }

private:
    std::mutex mutex_;
    std::vector<std::string> bodies_;
};
static_assert(webhook::blocking_transport<blocking_only> &&
              !webhook::async_transport<blocking_only>);

BOOST_AUTO_TEST_CASE(a_blocking_only_transport_is_driven_from_worker_threads) {
    auto e = make_endpoint();
    e.retry = webhook::retry_policy::fixed_schedule({0s});
    webhook::basic_dispatcher<blocking_only, webhook::test::manual_timer> d{e};
    const auto r = d.send(inc001);
    BOOST_TEST(r.ok());
    BOOST_TEST(r.http_status == 201);
    BOOST_TEST(r.attempts.size() == 2u);
    BOOST_TEST(d.transport().bodies().size() == 2u);
    BOOST_TEST(d.transport().bodies()[1] == inc001_body);
}

BOOST_AUTO_TEST_CASE(a_dispatcher_runs_on_the_callers_executor) {
    boost::asio::io_context io;
    test_dispatcher d{io.get_executor(), make_endpoint()};
    std::optional<webhook::delivery> got;
    d.async_send(inc001, [&](webhook::delivery r) { got = std::move(r); });
    io.run();
    BOOST_REQUIRE(got);
    BOOST_TEST(got->ok());
}

BOOST_AUTO_TEST_SUITE_END()
