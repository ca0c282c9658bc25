#include <webhook/dispatcher.hpp>

#define BOOST_TEST_MODULE dispatcher_request
#include <boost/test/unit_test.hpp>

#include "support/dispatcher_fixture.hpp"
#include "support/memory_spool.hpp"
#include "support/print.hpp"

#include <boost/asio/use_future.hpp>

#include <memory>
#include <string>
#include <vector>

// What goes on the wire and what comes back: an event's own headers, the body limit after
// compression, a transport the caller hands in, and an outcome that says what happened last.

using namespace std::chrono_literals;
using namespace webhook::test;

namespace {

/// Every value of header `name` in `r`, in order.
std::vector<std::string> all_of(const webhook::http_request& r, std::string_view name) {
    std::vector<std::string> values;
    for (const auto& f : r)
        if (boost::beast::iequals(f.name_string(), name))
            values.emplace_back(f.value());
    return values;
}

} // namespace

BOOST_AUTO_TEST_SUITE(dispatcher_request)

BOOST_AUTO_TEST_CASE(an_events_own_headers_go_with_it_only_through_every_entry_point) {
    test_dispatcher d{make_endpoint()};
    const webhook::event_headers tenant{{"X-Tenant", "acme"}, {"X-Event-Type", "incident.new"}};
    BOOST_TEST(d.send(inc001, tenant).ok());
    BOOST_TEST(d.send(inc001).ok());
    BOOST_TEST(d.async_send(inc001, {{"X-Tenant", "globex"}}, boost::asio::use_future).get().ok());
    const std::vector<webhook::header_view> from_a_vector{{"x-tenant", "initech"}};
    BOOST_TEST(d.post(inc001, from_a_vector).has_value());
    BOOST_TEST(d.flush(10s));

    const auto sent = d.transport().log().requests();
    BOOST_REQUIRE(sent.size() == 4u);
    BOOST_TEST(all_of(sent[0].request, "X-Tenant") == std::vector<std::string>{"acme"});
    BOOST_TEST(all_of(sent[0].request, "X-Event-Type") == std::vector<std::string>{"incident.new"});
    BOOST_TEST(all_of(sent[1].request, "X-Tenant").empty()); // the next event has none
    BOOST_TEST(all_of(sent[1].request, "X-Event-Type").empty());
    BOOST_TEST(all_of(sent[2].request, "X-Tenant") == std::vector<std::string>{"globex"});
    BOOST_TEST(all_of(sent[3].request, "X-Tenant") == std::vector<std::string>{"initech"});
    for (const auto& r : sent) {
        BOOST_TEST(all_of(r.request, "Host").size() == 1u);
        BOOST_TEST(r.request.body() == inc001_body);
    }
}

BOOST_AUTO_TEST_CASE(events_with_other_headers_never_share_a_batch) {
    auto e = make_endpoint();
    e.max_in_flight = 1;
    e.batch.max_events = 10;
    e.batch.linger = 1h;
    test_dispatcher d{e};
    BOOST_REQUIRE(d.post(inc001, {{"X-Tenant", "acme"}}));
    BOOST_REQUIRE(d.post(inc001, {{"X-Tenant", "acme"}}));
    BOOST_REQUIRE(d.post(inc001, {{"X-Tenant", "globex"}}));
    BOOST_REQUIRE(d.post(inc001));
    BOOST_TEST(d.flush(10s));
    const auto sent = d.transport().log().requests();
    BOOST_REQUIRE(sent.size() == 3u);
    const std::string one = R"({"id":"INC001","priority":2,"state":"new"})";
    BOOST_TEST(sent[0].request.body() == R"({"root":{"result":[)" + one + "," + one + "]}}");
    BOOST_TEST(all_of(sent[0].request, "X-Tenant") == std::vector<std::string>{"acme"});
    BOOST_TEST(sent[1].request.body() == R"({"root":{"result":[)" + one + "]}}");
    BOOST_TEST(all_of(sent[1].request, "X-Tenant") == std::vector<std::string>{"globex"});
    BOOST_TEST(all_of(sent[2].request, "X-Tenant").empty());
}

BOOST_AUTO_TEST_CASE(an_events_own_headers_survive_in_the_spool_and_its_dead_letters) {
    auto e = make_endpoint();
    e.retry = webhook::retry_policy::none();
    auto spool = std::make_shared<memory_spool>();
    auto dead = std::make_shared<memory_spool>();
    {
        webhook::dispatcher_options o;
        o.spool = spool;
        o.dead_letters = dead;
        o.shutdown_timeout = 0ms;
        test_dispatcher d{e, o};
        d.transport().log().set_default(step::held());
        BOOST_REQUIRE(d.post(inc001, {{"X-Tenant", "acme"}}));
        BOOST_REQUIRE(d.transport().log().wait_for_held(1));
    } // abandoned: it stays in the spool
    BOOST_REQUIRE(spool->held().size() == 1u);
    BOOST_TEST(spool->held().at(0).headers == "X-Tenant: acme\r\n");

    webhook::dispatcher_options o;
    o.spool = spool;
    o.dead_letters = dead;
    test_dispatcher replay{e, o};
    replay.transport().log().set_default(step::ok(400));
    BOOST_TEST(replay.flush(10s));
    const auto sent = replay.transport().log().requests();
    BOOST_REQUIRE(sent.size() == 1u);
    BOOST_TEST(all_of(sent[0].request, "X-Tenant") == std::vector<std::string>{"acme"});
    BOOST_REQUIRE(dead->held().size() == 1u);
    BOOST_TEST(dead->held().at(0).headers == "X-Tenant: acme\r\n");

    // Requeued, it goes with its headers once more.
    replay.transport().log().set_default(step::ok());
    BOOST_REQUIRE(replay.requeue(dead->held().at(0)));
    BOOST_TEST(replay.flush(10s));
    const auto again = replay.transport().log().requests();
    BOOST_REQUIRE(again.size() == 2u);
    BOOST_TEST(all_of(again[1].request, "X-Tenant") == std::vector<std::string>{"acme"});
}

BOOST_AUTO_TEST_CASE(the_body_limit_applies_to_the_compressed_body) {
    auto e = make_endpoint();
    e.compression = webhook::compression::gzip;
    e.retry = webhook::retry_policy::none();
    // 30 bytes: too small for any gzip body of this event (its header and trailer alone are
    // 18): it fails without being sent, where it used to go out as a larger body.
    e.max_body_size = 30;
    {
        test_dispatcher d{e};
        const auto r = d.send(inc001);
        BOOST_TEST(r.status == webhook::delivery_status::failed);
        BOOST_TEST(r.error == webhook::error::request_body_too_large);
        BOOST_TEST(r.attempts.empty());
        BOOST_TEST(d.transport().log().request_count() == 0u);
    }
    // An event larger than the limit that compresses below it is sent.
    incident large{std::string(2'000, 'A'), 1, std::string(2'000, 'b')};
    e.max_body_size = 200;
    test_dispatcher d{e};
    BOOST_TEST(d.send(large).ok());
    const auto sent = d.transport().log().requests();
    BOOST_REQUIRE(sent.size() == 1u);
    BOOST_TEST(sent[0].request.body().size() <= 200u);
    BOOST_TEST(header(sent[0].request, "Content-Length") ==
               std::to_string(sent[0].request.body().size()));
}

BOOST_AUTO_TEST_CASE(a_compressed_batch_stays_within_the_body_limit_however_it_compresses) {
    // Random-looking text does not compress: a batch is filled only to what fits then.
    auto e = make_endpoint();
    e.compression = webhook::compression::gzip;
    e.max_in_flight = 1;
    e.batch.max_events = 100;
    e.batch.linger = 1h;
    e.max_body_size = 1'000;
    test_dispatcher d{e};
    std::string noise;
    std::uint32_t x = 12345;
    for (int i = 0; i < 150; ++i) { // printable, from '#' to 'y', no escapes
        x = x * 1103515245u + 12345u;
        const char c = static_cast<char>('#' + (x >> 16) % 87);
        noise.push_back(c == '\\' ? 'q' : c);
    }
    for (int i = 0; i < 20; ++i)
        BOOST_REQUIRE(d.post(incident{noise, i, "new"}));
    BOOST_TEST(d.flush(10s));
    const auto sent = d.transport().log().requests();
    BOOST_TEST(sent.size() > 1u);
    for (const auto& r : sent)
        BOOST_TEST(r.request.body().size() <= 1'000u);
    BOOST_TEST(d.counters().delivered == 20u);
}

BOOST_AUTO_TEST_CASE(a_transport_handed_in_is_used_and_stays_the_callers) {
    boost::asio::io_context io; // the transport's own executor: the dispatcher runs its I/O
    auto shared = std::make_shared<scripted_transport>(io.get_executor());
    shared->log().push(step::ok(201));
    std::weak_ptr<scripted_transport> watch = shared;
    {
        test_dispatcher d{shared, make_endpoint()};
        BOOST_TEST(&d.transport() == shared.get());
        auto result = d.async_send(inc001, boost::asio::use_future);
        io.run(); // the scripted transport answers on its executor
        BOOST_TEST(result.get().http_status == 201);
    }
    BOOST_TEST(shared->log().request_count() == 1u); // still there: the caller's
    shared.reset();
    BOOST_TEST(watch.expired());
}

BOOST_AUTO_TEST_CASE(a_null_transport_is_refused) {
    BOOST_CHECK_THROW((test_dispatcher{std::shared_ptr<scripted_transport>{}, make_endpoint()}),
                      std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(the_outcome_says_what_happened_last) {
    auto e = make_endpoint();
    e.retry = webhook::retry_policy::none();
    const auto outcome_of = [&](step answer) {
        test_dispatcher d{e};
        d.transport().log().push(answer);
        return d.send(inc001);
    };
    const auto refused = outcome_of(step::fail(boost::asio::error::connection_refused));
    BOOST_TEST(refused.error == boost::asio::error::connection_refused);
    BOOST_TEST(to_string(refused) == std::string(refused.id.view()) +
                                         " failed after 1 attempt: " + refused.error.message());

    const auto unavailable = outcome_of(step::ok(503));
    BOOST_TEST(unavailable.error == webhook::error::retries_exhausted);
    BOOST_TEST(to_string(unavailable) ==
               std::string(unavailable.id.view()) +
                   " failed after 1 attempt: HTTP 503 (receiver kept answering with a status "
                   "that is retried until the retry policy allowed no more attempts)");

    const auto not_found = outcome_of(step::ok(404));
    BOOST_TEST(not_found.error == webhook::error::rejected_by_receiver);
    BOOST_TEST(to_string(not_found).ends_with(" failed after 1 attempt: HTTP 404 (receiver "
                                              "refused the event with a status that is not "
                                              "retried)"));

    const auto ok = outcome_of(step::ok(204));
    BOOST_TEST(to_string(ok) == std::string(ok.id.view()) + " delivered after 1 attempt: HTTP 204");
}

BOOST_AUTO_TEST_CASE(after_retries_the_last_attempts_error_is_the_outcomes) {
    test_dispatcher d{make_endpoint()}; // 4 attempts: 1 s, 2 s, 4 s apart
    auto& s = d.transport().log();
    s.push(
        {step::ok(503), step::ok(503), step::ok(503), step::fail(boost::asio::error::timed_out)});
    auto result = d.async_send(inc001, boost::asio::use_future);
    advance_after(s, 1, 1s);
    advance_after(s, 2, 2s);
    advance_after(s, 3, 4s);
    const auto r = result.get();
    BOOST_TEST(r.status == webhook::delivery_status::failed);
    BOOST_TEST(r.error == boost::asio::error::timed_out);
    BOOST_TEST(to_string(r) ==
               std::string(r.id.view()) + " failed after 4 attempts: " + r.error.message());
}

BOOST_AUTO_TEST_SUITE_END()
