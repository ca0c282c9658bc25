#include <webhook/dispatcher.hpp>

#define BOOST_TEST_MODULE dispatcher_refusal
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
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <array>
#include <atomic>
#include <functional>
#include <future>
#include <string>
#include <thread>
#include <vector>

// Every way an event is refused before it is sent, through every entry point: a refusal is a
// `rejected` delivery (or `post`'s error) with its reason, never a crash, and the dispatcher
// goes on working. Then shutdown, and waits that would deadlock.

using namespace std::chrono_literals;
using namespace webhook::test;

namespace {

/// The entry points: `send`, `async_send` with each kind of completion token, `post`.
enum class entry { send, async_callback, async_future, async_deferred, async_awaitable, post };
constexpr std::array every_entry{entry::send,           entry::async_callback,  entry::async_future,
                                 entry::async_deferred, entry::async_awaitable, entry::post};

const char* name(entry e) {
    constexpr std::array names{"send",
                               "async_send(callback)",
                               "async_send(use_future)",
                               "async_send(deferred)",
                               "async_send(use_awaitable)",
                               "post"};
    return names[static_cast<std::size_t>(e)];
}

/** Gives `ev` to `d` through `e` and returns why it was refused (no error: accepted). A
    refusal through `send` or `async_send` must be a `rejected` delivery without attempts. */
template <class Event>
boost::system::error_code refusal_through(entry e, test_dispatcher& d, const Event& ev,
                                          webhook::event_headers headers = {}) {
    if (e == entry::post) {
        const auto id = d.post(ev, headers);
        return id ? boost::system::error_code{} : id.error();
    }
    webhook::delivery r;
    std::promise<webhook::delivery> got;
    auto keep = [&got](webhook::delivery x) { got.set_value(std::move(x)); };
    switch (e) {
    case entry::send:
        r = d.send(ev, headers);
        break;
    case entry::async_callback:
        d.async_send(ev, headers, keep);
        r = got.get_future().get();
        break;
    case entry::async_future:
        r = d.async_send(ev, headers, boost::asio::use_future).get();
        break;
    case entry::async_deferred: {
        auto op = d.async_send(ev, headers, boost::asio::deferred);
        std::move(op)(keep);
        r = got.get_future().get();
        break;
    }
    case entry::async_awaitable: {
        boost::asio::io_context io;
        boost::asio::co_spawn(
            io,
            [&]() -> boost::asio::awaitable<void> {
                r = co_await d.async_send(ev, headers, boost::asio::use_awaitable);
            },
            boost::asio::detached);
        io.run();
        break;
    }
    case entry::post:
        break;
    }
    if (r.status != webhook::delivery_status::rejected)
        return {};
    BOOST_TEST(r.attempts.empty(), name(e));
    BOOST_TEST(r.id.empty(), name(e)); // never accepted: no id
    return r.error;
}

/// A smaller event than inc001, which fits where inc001 does not.
const incident small{"I", 1, "n"};

struct bad_text {
    std::string text;
};
BOOST_DESCRIBE_STRUCT(bad_text, (), (text))

/// One request at a time, the first held, and a queue of one that is full.
void fill_queue(test_dispatcher& d) {
    auto& s = d.transport().log();
    s.set_default(step::held());
    BOOST_REQUIRE(d.post(inc001));
    BOOST_REQUIRE(s.wait_for_held(1));
    BOOST_REQUIRE(d.post(inc001)); // queued
}

/// Answers everything held and to come with 200, and checks that the dispatcher still works.
void check_still_works(test_dispatcher& d, entry e) {
    auto& s = d.transport().log();
    s.set_default(step::ok());
    while (s.held_count() > 0)
        s.release();
    BOOST_TEST(d.flush(10s), name(e));
    BOOST_TEST(d.send(small).ok(), name(e));
}

webhook::endpoint one_at_a_time(webhook::overflow_policy when_full) {
    auto e = make_endpoint();
    e.max_in_flight = 1;
    e.queue.capacity = 1;
    e.queue.when_full = when_full;
    e.queue.block_timeout = 20ms;
    return e;
}

} // namespace

BOOST_AUTO_TEST_SUITE(dispatcher_refusal)

BOOST_AUTO_TEST_CASE(a_body_over_the_maximum_is_rejected_through_every_entry_point) {
    for (const entry e : every_entry) {
        auto config = make_endpoint();
        config.max_body_size = inc001_body.size() - 1;
        test_dispatcher d{config};
        BOOST_TEST(refusal_through(e, d, inc001) == webhook::error::request_body_too_large,
                   name(e));
        BOOST_TEST(d.counters().rejected == 1u, name(e));
        check_still_works(d, e);
    }
}

BOOST_AUTO_TEST_CASE(a_full_queue_is_rejected_through_every_entry_point_under_reject) {
    for (const entry e : every_entry) {
        test_dispatcher d{one_at_a_time(webhook::overflow_policy::reject)};
        fill_queue(d);
        BOOST_TEST(refusal_through(e, d, inc001) == webhook::error::queue_full, name(e));
        BOOST_TEST(d.counters().rejected == 1u, name(e));
        check_still_works(d, e);
    }
}

BOOST_AUTO_TEST_CASE(a_full_queue_is_rejected_through_every_entry_point_under_block) {
    // `post` waits its block_timeout first; `send` and `async_send` never block on the queue.
    for (const entry e : every_entry) {
        test_dispatcher d{one_at_a_time(webhook::overflow_policy::block)};
        fill_queue(d);
        BOOST_TEST(refusal_through(e, d, inc001) == webhook::error::queue_full, name(e));
        BOOST_TEST(d.counters().rejected == 1u, name(e));
        check_still_works(d, e);
    }
}

BOOST_AUTO_TEST_CASE(a_stopped_dispatcher_rejects_through_every_entry_point) {
    for (const entry e : every_entry) {
        test_dispatcher d{make_endpoint()};
        BOOST_TEST(d.stop().empty());
        BOOST_TEST(refusal_through(e, d, inc001) == webhook::error::dispatcher_stopped, name(e));
        BOOST_TEST(d.counters().rejected == 1u, name(e));
        BOOST_TEST(d.counters().accepted == 0u, name(e));
    }
}

BOOST_AUTO_TEST_CASE(an_event_that_fits_no_placeholder_is_rejected_through_every_entry_point) {
    for (const entry e : every_entry) {
        auto config = make_endpoint();
        config.url = "https://receiver.test/api/{ticket}";
        test_dispatcher d{config};
        BOOST_TEST(refusal_through(e, d, inc001) == webhook::error::url_placeholder_mismatch,
                   name(e));
        BOOST_TEST(d.counters().rejected == 1u, name(e));
    }
}

// A JSON document (not a described struct) goes under the data location like any event, and
// fits a URL without placeholders only: with one, `bind` says so and every entry point refuses.
BOOST_AUTO_TEST_CASE(a_json_document_is_sent_or_refused_alike_through_every_entry_point) {
    const boost::json::value document =
        boost::json::parse(R"({"id":"INC001","priority":2,"state":"new"})");
    for (const entry e : every_entry) {
        test_dispatcher d{make_endpoint()};
        d.transport().log().set_default(step::ok());
        d.bind<boost::json::value>();
        BOOST_TEST(!refusal_through(e, d, document), name(e));
        BOOST_TEST(d.flush(10s), name(e));
        const auto sent = d.transport().log().requests();
        BOOST_TEST_REQUIRE(sent.size() == 1u, name(e));
        BOOST_TEST(sent[0].request.body() == inc001_body, name(e));
        BOOST_TEST(sent[0].request.target() == "/api/hook?x=1", name(e));
    }
    for (const entry e : every_entry) {
        auto config = make_endpoint();
        config.url = "https://receiver.test/api/{ticket}";
        test_dispatcher d{config};
        try {
            d.bind<boost::json::value>();
            BOOST_ERROR("bind accepted a placeholder that a JSON document cannot fill");
        } catch (const webhook::config_error& error) {
            BOOST_TEST(std::string(error.what()).find("{ticket} needs an event type described") !=
                           std::string::npos,
                       error.what());
        }
        BOOST_TEST(refusal_through(e, d, document) == webhook::error::url_placeholder_mismatch,
                   name(e));
        BOOST_TEST(d.counters().rejected == 1u, name(e));
    }
}

BOOST_AUTO_TEST_CASE(an_event_that_cannot_be_serialized_is_rejected_through_every_entry_point) {
    for (const entry e : every_entry) {
        test_dispatcher d{make_endpoint()};
        BOOST_TEST(refusal_through(e, d, bad_text{"a\xff"}) == webhook::error::invalid_utf8,
                   name(e));
        check_still_works(d, e);
    }
}

BOOST_AUTO_TEST_CASE(bad_event_headers_are_rejected_through_every_entry_point) {
    const std::vector<std::pair<webhook::header_view, webhook::error>> cases{
        {{"Host", "elsewhere.test"}, webhook::error::reserved_header},
        {{"content-length", "0"}, webhook::error::reserved_header},
        {{"webhook-id", "forged"}, webhook::error::reserved_header},
        {{"Authorization", "Bearer x"}, webhook::error::reserved_header}, // Basic is configured
        {{"X-Api-Key", "other"}, webhook::error::reserved_header},        // the endpoint's own
        {{"Bad Name", "x"}, webhook::error::invalid_header_name},
        {{"", "x"}, webhook::error::invalid_header_name},
        {{"X-Tenant", "a\r\nHost: evil.test"}, webhook::error::invalid_header_value},
    };
    for (const entry e : every_entry) {
        auto config = make_endpoint();
        config.headers = {{"X-Api-Key", webhook::secret("k-1")}};
        test_dispatcher d{config};
        for (const auto& [field, expected] : cases)
            BOOST_TEST(refusal_through(e, d, inc001, {field}) == expected,
                       name(e) << " " << field.first);
        BOOST_TEST(d.counters().rejected == cases.size(), name(e));
        BOOST_TEST(d.transport().log().request_count() == 0u, name(e));
        check_still_works(d, e);
    }
}

BOOST_AUTO_TEST_CASE(refusals_from_many_threads_at_once_are_all_reported) {
    // 10 threads of 2,000 async_send each into a queue of 64 that rejects when full: each
    // event is delivered or rejected, exactly once, and the dispatcher goes on.
    auto config = make_endpoint();
    config.queue.capacity = 64;
    config.queue.when_full = webhook::overflow_policy::reject;
    test_dispatcher d{config};
    constexpr int threads = 10, per_thread = 2'000;
    std::atomic<int> delivered{0}, rejected{0}, other{0};
    std::promise<void> all_done;
    std::atomic<int> outstanding{threads * per_thread};
    std::vector<std::thread> producers;
    for (int t = 0; t < threads; ++t)
        producers.emplace_back([&] {
            for (int i = 0; i < per_thread; ++i)
                d.async_send(inc001, [&](webhook::delivery r) {
                    if (r.ok())
                        ++delivered;
                    else if (r.status == webhook::delivery_status::rejected &&
                             r.error == webhook::error::queue_full)
                        ++rejected;
                    else
                        ++other;
                    if (--outstanding == 0)
                        all_done.set_value();
                });
        });
    for (auto& p : producers)
        p.join();
    BOOST_REQUIRE(all_done.get_future().wait_for(60s) == std::future_status::ready);
    BOOST_TEST(delivered + rejected == threads * per_thread);
    BOOST_TEST(other == 0);
    const auto c = d.counters();
    BOOST_TEST(c.delivered == static_cast<std::uint64_t>(delivered.load()));
    BOOST_TEST(c.rejected == static_cast<std::uint64_t>(rejected.load()));
    BOOST_TEST(d.send(small).ok());
}

BOOST_AUTO_TEST_CASE(a_producer_blocked_on_a_full_queue_gets_dispatcher_stopped_at_shutdown) {
    auto config = one_at_a_time(webhook::overflow_policy::block);
    config.queue.block_timeout = 60s;
    test_dispatcher d{config};
    fill_queue(d);
    auto blocked = std::async(std::launch::async, [&] { return d.post(inc001); });
    // Before or after it blocks, the answer is the same: shutdown, not backpressure.
    const auto abandoned = d.stop();
    BOOST_TEST(blocked.get().error() == webhook::error::dispatcher_stopped);
    BOOST_TEST(abandoned.size() == 2u); // the one held and the one queued
}

BOOST_AUTO_TEST_CASE(shutdown_returns_the_abandoned_events_and_reports_each_once) {
    auto config = make_endpoint();
    config.max_in_flight = 1;
    outcome_log log;
    test_dispatcher d{config, log.options()};
    auto& s = d.transport().log();
    s.set_default(step::held());
    const auto first = d.post(inc001).value();
    BOOST_REQUIRE(s.wait_for_held(1));
    const auto second = d.post(inc001).value();
    const auto third = d.post(inc001).value();

    const auto abandoned = d.shutdown(20ms); // nothing answers meanwhile
    BOOST_TEST((abandoned == std::vector<webhook::event_id>{second, third, first}));
    BOOST_REQUIRE(log.wait_for(3));
    for (const auto& r : log.all()) {
        BOOST_TEST(r.status == webhook::delivery_status::abandoned);
        BOOST_TEST(r.error == webhook::error::abandoned_at_shutdown);
    }
    BOOST_TEST(d.shutdown(10s).empty()); // once only
    BOOST_TEST(d.post(inc001).error() == webhook::error::dispatcher_stopped);
    BOOST_TEST(d.counters().abandoned == 3u);
}

BOOST_AUTO_TEST_CASE(shutdown_waits_for_events_that_settle_in_time) {
    test_dispatcher d{make_endpoint()};
    auto& s = d.transport().log();
    s.push(step::held());
    BOOST_REQUIRE(d.post(inc001));
    BOOST_REQUIRE(s.wait_for_held(1));
    auto answer = std::async(std::launch::async, [&] { s.release(); });
    BOOST_TEST(d.shutdown(10s).empty());
    answer.get();
    BOOST_TEST(d.counters().delivered == 1u);
}

BOOST_AUTO_TEST_CASE(destruction_does_not_wait_for_an_executor_that_nobody_runs) {
    // The events could not settle: waiting the whole shutdown_timeout would only hang.
    for (const bool ran_before : {false, true}) {
        boost::asio::io_context io;
        outcome_log log;
        auto options = log.options();
        options.shutdown_timeout = 10min;
        const auto start = std::chrono::steady_clock::now();
        {
            test_dispatcher d{io.get_executor(), make_endpoint(), options};
            if (ran_before)
                io.run(); // returns at once (no work): the context has stopped
            BOOST_REQUIRE(d.post(inc001));
        }
        BOOST_TEST((std::chrono::steady_clock::now() - start < 5min));
        BOOST_REQUIRE(log.all().size() == 1u);
        BOOST_TEST(log.all()[0].status == webhook::delivery_status::abandoned);
    }
}

BOOST_AUTO_TEST_CASE(waiting_on_the_dispatchers_own_executor_fails_at_once) {
    // From on_outcome, which runs on the dispatcher's executor: send is rejected, flush
    // throws, and a post that would block on a full queue is refused; nothing hangs.
    auto config = one_at_a_time(webhook::overflow_policy::block);
    config.queue.block_timeout = 60s;
    std::promise<std::tuple<webhook::delivery, std::string, boost::system::error_code>> seen;
    test_dispatcher* self = nullptr;
    webhook::dispatcher_options options;
    std::atomic<bool> once{false};
    options.on_outcome = [&](const webhook::delivery&) {
        if (once.exchange(true))
            return;
        const webhook::delivery sent = self->send(small);
        std::string flushed = "no exception";
        try {
            self->flush(60s);
        } catch (const boost::system::system_error& e) {
            flushed = e.code() == webhook::error::would_deadlock ? "would_deadlock" : e.what();
        }
        self->transport().log().set_default(step::held());
        (void)self->post(small); // takes the free place of the queue
        const auto blocked = self->post(small);
        seen.set_value({sent, flushed, blocked ? boost::system::error_code{} : blocked.error()});
    };
    test_dispatcher d{config, options};
    self = &d;
    d.transport().log().push(step::ok());
    BOOST_REQUIRE(d.post(inc001));
    auto result = seen.get_future();
    BOOST_REQUIRE(result.wait_for(30s) == std::future_status::ready);
    const auto [sent, flushed, blocked] = result.get();
    BOOST_TEST(sent.status == webhook::delivery_status::rejected);
    BOOST_TEST(sent.error == webhook::error::would_deadlock);
    BOOST_TEST(flushed == "would_deadlock");
    BOOST_TEST(blocked == webhook::error::would_deadlock);
    d.stop();
}

BOOST_AUTO_TEST_CASE(waiting_on_a_caller_run_executor_from_its_thread_fails_at_once) {
    boost::asio::io_context io;
    test_dispatcher d{io.get_executor(), make_endpoint()};
    webhook::delivery sent;
    bool threw = false;
    boost::asio::post(io, [&] {
        sent = d.send(inc001);
        try {
            d.flush(60s);
        } catch (const boost::system::system_error& e) {
            threw = e.code() == webhook::error::would_deadlock;
        }
    });
    io.run();
    BOOST_TEST(sent.error == webhook::error::would_deadlock);
    BOOST_TEST(threw);
    BOOST_TEST(d.counters().rejected == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
