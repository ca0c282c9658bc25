#include <webhook/dispatcher.hpp>

#define BOOST_TEST_MODULE dispatcher_spool
#include <boost/test/unit_test.hpp>

#include "support/dispatcher_fixture.hpp"
#include "support/memory_spool.hpp"
#include "support/print.hpp"

#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace webhook::test;

namespace {

const std::string inc001_payload = R"({"id":"INC001","priority":2,"state":"new"})";

struct spooled {
    std::shared_ptr<memory_spool> spool = std::make_shared<memory_spool>();
    std::shared_ptr<memory_spool> dead = std::make_shared<memory_spool>();
    outcome_log log;

    webhook::dispatcher_options options() {
        auto o = log.options();
        o.spool = spool;
        o.dead_letters = dead;
        return o;
    }
};

std::string body_id(const webhook::http_request& r) {
    const auto at = r.body().find("\"id\":\"");
    return at == std::string::npos ? ""
                                   : r.body().substr(at + 6, r.body().find('"', at + 6) - at - 6);
}

} // namespace

BOOST_AUTO_TEST_SUITE(dispatcher_spool)

BOOST_AUTO_TEST_CASE(a_posted_event_is_in_the_spool_when_post_returns_and_acked_when_delivered) {
    spooled f;
    test_dispatcher d{make_endpoint(), f.options()};
    auto& s = d.transport().log();
    s.push(step::held(200));
    const auto id = d.post(inc001);
    BOOST_REQUIRE(id);
    const auto held = f.spool->held();
    BOOST_REQUIRE(held.size() == 1u);
    BOOST_TEST(held[0].id == *id);
    BOOST_TEST(held[0].payload == inc001_payload);
    BOOST_TEST(held[0].endpoint == "https://receiver.test/api/hook?x=1");
    BOOST_TEST(held[0].target.empty());
    BOOST_REQUIRE(s.wait_for_held(1));
    BOOST_TEST(header(s.requests()[0].request, "webhook-id") == std::string(id->view()));
    BOOST_TEST(s.requests()[0].request.body() == inc001_body);
    s.release();
    BOOST_TEST(d.flush(10s));
    BOOST_TEST(f.spool->held().empty());
    BOOST_TEST(f.spool->acks() == 1u);
    BOOST_TEST(f.dead->appends() == 0u);
    const auto c = d.counters();
    BOOST_TEST(c.accepted == 1u);
    BOOST_TEST(c.delivered == 1u);
    BOOST_TEST(c.spooled == 0u);
    BOOST_TEST(c.replayed == 0u);
}

BOOST_AUTO_TEST_CASE(what_a_run_left_in_the_spool_is_delivered_by_the_next_with_its_ids) {
    spooled f;
    std::vector<webhook::event_id> ids;
    {
        webhook::dispatcher_options o = f.options();
        o.shutdown_timeout = 10ms;
        auto e = make_endpoint();
        e.max_in_flight = 1;
        test_dispatcher d{e, o};
        d.transport().log().set_default(step::held(200)); // never answered: a crash, in effect
        for (const char* name : {"A", "B", "C"})
            ids.push_back(d.post(incident{name, 1, "new"}).value());
        BOOST_REQUIRE(d.transport().log().wait_for_held(1));
    } // abandoned at shutdown, so kept in the spool
    BOOST_TEST(f.log.all().size() == 3u);
    BOOST_TEST(f.spool->held().size() == 3u);
    BOOST_TEST(f.spool->acks() == 0u);

    spooled again;
    again.spool = f.spool;
    auto e = make_endpoint();
    e.ordered = true;
    test_dispatcher d{e, again.options()};
    BOOST_TEST(d.flush(10s));
    const auto sent = d.transport().log().requests();
    BOOST_REQUIRE(sent.size() == 3u);
    const char* names[] = {"A", "B", "C"};
    for (std::size_t i = 0; i < 3; ++i) {
        BOOST_TEST(header(sent[i].request, "webhook-id") == std::string(ids[i].view()));
        BOOST_TEST(body_id(sent[i].request) == names[i]);
    }
    const auto c = d.counters();
    BOOST_TEST(c.replayed == 3u);
    BOOST_TEST(c.accepted == 3u);
    BOOST_TEST(c.delivered == 3u);
    BOOST_TEST(f.spool->held().empty());
}

BOOST_AUTO_TEST_CASE(a_refused_append_refuses_the_post_and_nothing_is_sent) {
    spooled f;
    test_dispatcher d{make_endpoint(), f.options()};
    f.spool->fail_appends(1, make_error_code(boost::system::errc::no_space_on_device));
    const auto refused = d.post(inc001);
    BOOST_REQUIRE(!refused);
    BOOST_TEST(refused.error() == boost::system::errc::no_space_on_device);
    BOOST_TEST(d.post(inc001).has_value()); // the next one goes in
    BOOST_TEST(d.flush(10s));
    BOOST_TEST(d.transport().log().request_count() == 1u);
    const auto c = d.counters();
    BOOST_TEST(c.rejected == 1u);
    BOOST_TEST(c.accepted == 1u);
    BOOST_TEST(c.delivered == 1u);
}

BOOST_AUTO_TEST_CASE(the_queue_bounds_what_is_in_memory_and_the_rest_waits_in_the_spool) {
    spooled f;
    auto e = make_endpoint();
    e.ordered = true;
    e.queue.capacity = 2;
    e.queue.when_full = webhook::overflow_policy::reject; // not used: the spool takes the rest
    test_dispatcher d{e, f.options()};
    auto& s = d.transport().log();
    s.set_default(step::held(200));
    for (int i = 0; i < 10; ++i)
        BOOST_REQUIRE(d.post(incident{std::to_string(i), i, "new"}));
    BOOST_REQUIRE(s.wait_for_held(1));
    auto c = d.counters();
    BOOST_TEST(c.accepted == 10u);
    BOOST_TEST(c.in_flight == 1u);
    BOOST_TEST(c.queued <= 2u);
    BOOST_TEST(c.queued + c.spooled == 9u);
    for (std::size_t i = 1; i <= 10; ++i) {
        BOOST_REQUIRE(s.wait_for_held(1));
        s.release();
        BOOST_REQUIRE(s.wait_for_answers(i));
    }
    BOOST_TEST(d.flush(10s));
    const auto sent = s.requests();
    BOOST_REQUIRE(sent.size() == 10u);
    for (int i = 0; i < 10; ++i)
        BOOST_TEST(body_id(sent[static_cast<std::size_t>(i)].request) == std::to_string(i));
    c = d.counters();
    BOOST_TEST(c.delivered == 10u);
    BOOST_TEST(c.spooled == 0u);
    BOOST_TEST(f.spool->held().empty());
}

BOOST_AUTO_TEST_CASE(a_failed_event_becomes_a_dead_letter_and_can_be_requeued_with_its_id) {
    spooled f;
    test_dispatcher d{make_endpoint(), f.options()};
    auto& s = d.transport().log();
    s.push(step{422, {}, {}, "priority must be 1-5"});
    const auto id = d.post(inc001).value();
    BOOST_TEST(d.flush(10s));
    BOOST_TEST(f.spool->held().empty()); // settled: out of the spool ...
    auto letters = f.dead->held();       // ... and into the dead letters
    BOOST_REQUIRE(letters.size() == 1u);
    BOOST_TEST(letters[0].id == id);
    BOOST_TEST(letters[0].payload == inc001_payload);
    BOOST_TEST(letters[0].last_status == 422);
    BOOST_TEST(letters[0].last_error ==
               make_error_code(webhook::error::rejected_by_receiver).message());

    const auto again = d.requeue(letters[0]);
    BOOST_REQUIRE(again);
    BOOST_TEST(*again == id);
    BOOST_TEST(d.flush(10s));
    BOOST_TEST(f.dead->held().empty());
    const auto sent = s.requests();
    BOOST_REQUIRE(sent.size() == 2u);
    BOOST_TEST(header(sent[1].request, "webhook-id") == std::string(id.view()));
    BOOST_TEST(sent[1].request.body() == inc001_body);
    const auto outcomes = f.log.all();
    BOOST_REQUIRE(outcomes.size() == 2u);
    BOOST_TEST(outcomes[0].status == webhook::delivery_status::failed);
    BOOST_TEST(outcomes[1].status == webhook::delivery_status::delivered);
}

BOOST_AUTO_TEST_CASE(a_dead_letter_that_cannot_be_written_keeps_the_event_in_the_spool) {
    spooled f;
    test_dispatcher d{make_endpoint(), f.options()};
    d.transport().log().push(step::ok(400));
    f.dead->fail_appends(1, make_error_code(boost::system::errc::io_error));
    BOOST_REQUIRE(d.post(inc001));
    BOOST_TEST(d.flush(10s));
    BOOST_TEST(f.spool->held().size() == 1u); // delivered again after a restart
    BOOST_TEST(f.dead->held().empty());
}

BOOST_AUTO_TEST_CASE(an_expired_event_becomes_a_dead_letter_that_says_so) {
    spooled f;
    auto e = make_endpoint();
    e.retry = webhook::retry_policy::fixed_schedule({10s});
    e.max_event_age = 5s;
    test_dispatcher d{e, f.options()};
    auto& s = d.transport().log();
    s.push(step::ok(503));
    const auto id = d.post(inc001).value();
    advance_after(s, 1, 10s); // the retry falls due after the event's maximum age
    BOOST_TEST(d.flush(10s));
    BOOST_TEST(s.request_count() == 1u);
    BOOST_TEST(f.spool->held().empty());
    const auto letters = f.dead->held();
    BOOST_REQUIRE(letters.size() == 1u);
    BOOST_TEST(letters[0].id == id);
    BOOST_TEST(letters[0].last_status == 503);
    BOOST_TEST(letters[0].last_error == make_error_code(webhook::error::event_expired).message());
}

BOOST_AUTO_TEST_CASE(while_the_circuit_is_open_spooled_events_wait_and_none_fails) {
    spooled f;
    auto e = make_endpoint();
    e.ordered = true;
    e.retry = webhook::retry_policy::fixed_schedule({1s, 1s, 1s});
    e.circuit_breaker = {.failures = 1, .cool_down = 30s};
    test_dispatcher d{e, f.options()};
    auto& s = d.transport().log();
    s.push(step::ok(503)); // then 200s
    for (int i = 0; i < 5; ++i)
        BOOST_REQUIRE(d.post(incident{std::to_string(i), i, "new"}));
    advance_after(s, 1, 1s); // the retry falls due, but the circuit is open for 30 s
    BOOST_TEST(!s.wait_for_requests(2, 50ms));
    auto c = d.counters();
    BOOST_TEST(c.failed == 0u);
    BOOST_TEST(c.circuit == webhook::circuit_state::open);
    BOOST_TEST(f.spool->held().size() == 5u); // all still in the spool
    manual_clock::advance(29s);               // the probe goes, succeeds, and the rest follow
    BOOST_TEST(d.flush(10s));
    c = d.counters();
    BOOST_TEST(c.delivered == 5u);
    BOOST_TEST(c.failed == 0u);
    BOOST_TEST(s.request_count() == 6u);
    BOOST_TEST(f.spool->held().empty());
    BOOST_TEST(f.dead->held().empty());
}

BOOST_AUTO_TEST_CASE(a_failed_read_of_the_spool_is_tried_again_a_second_later) {
    spooled f;
    test_dispatcher d{make_endpoint(), f.options()};
    f.spool->fail_reads(1);
    const std::size_t before = f.spool->reads();
    BOOST_REQUIRE(d.post(inc001));
    for (auto until = std::chrono::steady_clock::now() + 10s;
         f.spool->reads() == before && std::chrono::steady_clock::now() < until;)
        std::this_thread::sleep_for(1ms); // the I/O thread's read, which fails
    auto& s = d.transport().log();
    BOOST_TEST(!s.wait_for_requests(1, 50ms)); // nothing else would make it read again
    BOOST_TEST(d.counters().spooled == 1u);
    manual_clock::advance(1s);
    BOOST_TEST(s.wait_for_requests(1)); // read and sent without another post or a flush
    BOOST_TEST(d.flush(10s));
    BOOST_TEST(d.counters().delivered == 1u);
}

BOOST_AUTO_TEST_CASE(send_and_async_send_do_not_go_through_the_spool) {
    spooled f;
    test_dispatcher d{make_endpoint(), f.options()};
    BOOST_TEST(d.send(inc001).ok());
    BOOST_TEST(f.spool->appends() == 0u);
}

BOOST_AUTO_TEST_CASE(dispatchers_sharing_a_spool_split_the_events_and_each_is_delivered_once) {
    // Two dispatchers stand for two processes on one shared spool. A posts everything but
    // holds only a few (its requests hang); B, started later, posts nothing and takes the rest.
    auto spool = std::make_shared<shared_memory_spool>();
    webhook::endpoint e = make_endpoint();
    e.max_in_flight = 2;
    outcome_log log_a, log_b;
    auto options_a = log_a.options();
    auto options_b = log_b.options();
    options_a.spool = options_b.spool = spool;
    test_dispatcher a{e, options_a};
    a.transport().log().set_default(step::held(200));
    constexpr std::size_t events = 40;
    for (std::size_t i = 0; i < events; ++i)
        BOOST_REQUIRE(a.post(inc001));
    BOOST_TEST(spool->appends() == events);
    BOOST_TEST(a.counters().spooled == 0u); // not counted: any process may take them
    BOOST_REQUIRE(a.transport().log().wait_for_held(2));
    BOOST_TEST(a.flush(20ms) == false); // its requests hang
    // A reads only while its queue is shorter than its slots: a few helpings at most.
    const std::size_t in_a = a.counters().in_flight + a.counters().queued;
    BOOST_TEST(in_a >= 2u);
    BOOST_TEST(in_a <= 8u);

    test_dispatcher b{e, options_b};
    BOOST_REQUIRE(log_b.wait_for(events - in_a));
    BOOST_TEST(b.flush(10s));
    a.transport().log().set_default(step::ok(200));
    while (a.transport().log().held_count() > 0)
        a.transport().log().release();
    BOOST_REQUIRE(a.flush(10s));

    const auto from_a = log_a.all();
    const auto from_b = log_b.all();
    BOOST_TEST(from_a.size() == in_a);
    BOOST_TEST(from_b.size() == events - in_a);
    std::set<std::string> ids;
    for (const auto* list : {&from_a, &from_b})
        for (const auto& d : *list) {
            BOOST_TEST(d.ok());
            ids.insert(std::string(d.id.view()));
        }
    BOOST_TEST(ids.size() == events); // no event twice
    BOOST_TEST(spool->held().empty());
    BOOST_TEST(spool->acks() == events);
}

BOOST_AUTO_TEST_CASE(a_dispatcher_on_a_shared_spool_polls_it_for_the_events_of_others) {
    auto spool = std::make_shared<shared_memory_spool>();
    outcome_log log;
    auto options = log.options();
    options.spool = spool;
    test_dispatcher d{make_endpoint(), options};
    BOOST_TEST(d.flush(20ms)); // nothing of its own
    // Another process appends: this one learns of it when it next polls.
    webhook::spool_record r;
    r.id = webhook::event_id(std::chrono::system_clock::now(), 1, 2);
    r.payload = inc001_payload;
    r.created = std::chrono::system_clock::now();
    BOOST_REQUIRE(spool->append(r));
    const auto reads = spool->reads();
    manual_clock::advance(100ms);
    BOOST_REQUIRE(log.wait_for(1));
    BOOST_TEST(spool->reads() > reads);
    BOOST_TEST(log.all()[0].id == r.id);
    BOOST_TEST(d.transport().log().requests()[0].request.body() == inc001_body);
    // Counted by the process that read it: accepted and delivered balance here.
    const auto c = d.counters();
    BOOST_TEST(c.accepted == 1u);
    BOOST_TEST(c.delivered == 1u);
}

BOOST_AUTO_TEST_CASE(a_post_into_a_shared_spool_is_counted_where_it_is_read) {
    auto spool = std::make_shared<shared_memory_spool>();
    outcome_log log;
    auto options = log.options();
    options.spool = spool;
    test_dispatcher d{make_endpoint(), options};
    BOOST_REQUIRE(d.post(inc001));
    BOOST_REQUIRE(log.wait_for(1));
    BOOST_TEST(d.flush(1s));
    const auto c = d.counters();
    BOOST_TEST(c.accepted == 1u); // once: read back by this process, not also when posted
    BOOST_TEST(c.delivered == 1u);
    BOOST_TEST(c.accepted == c.delivered + c.failed + c.dropped + c.abandoned + c.in_flight +
                                 c.queued + c.spooled);
}

BOOST_AUTO_TEST_SUITE_END()
