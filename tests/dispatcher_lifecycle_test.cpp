#include <webhook/dispatcher.hpp>

#define BOOST_TEST_MODULE dispatcher_lifecycle
#include <boost/test/unit_test.hpp>

#include "support/dispatcher_fixture.hpp"
#include "support/print.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/describe.hpp>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

// Flush and shutdown, the completion tokens, events refused before sending, blocking transports,
// the caller's executor.

using namespace std::chrono_literals;
using namespace webhook::test;
namespace http = boost::beast::http;

BOOST_AUTO_TEST_SUITE(dispatcher)

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
