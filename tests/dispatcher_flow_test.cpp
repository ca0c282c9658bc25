#include <webhook/dispatcher.hpp>

#define BOOST_TEST_MODULE dispatcher_flow
#include <boost/test/unit_test.hpp>

#include "support/dispatcher_fixture.hpp"
#include "support/print.hpp"

#include <boost/asio/use_future.hpp>
#include <boost/describe.hpp>

#include <zlib.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

// How events flow: a full queue, blocked callers, requests in flight, ordering, batches,
// compression, URL placeholders, the rate limit.

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

BOOST_AUTO_TEST_SUITE_END()
