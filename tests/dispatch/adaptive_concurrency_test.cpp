#include <webhook/dispatcher.hpp>

#define BOOST_TEST_MODULE adaptive_concurrency
#include <boost/test/unit_test.hpp>

#include "support/overload_receivers.hpp"

#include <boost/describe.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

// Adaptive concurrency end to end: the public dispatcher over the built-in transport against
// receivers that are overloaded as real ones are (support/overload_receivers.hpp), on loopback.
// What the receivers count is the evidence; every run is bounded in events and time, and the
// assertions leave wide margins, so that a loaded machine changes the figures, not the outcome.

using namespace std::chrono_literals;
using webhook::test::capacity_receiver;
using webhook::test::latency_receiver;
using webhook::test::overload_answer;
using webhook::test::overload_counts;
using webhook::test::overload_receiver;
using webhook::test::reset_receiver;

namespace {

struct ping {
    std::uint64_t seq = 0;
    std::string kind;
};
BOOST_DESCRIBE_STRUCT(ping, (), (seq, kind))

// Short backoff, so that a fixed limit's rejected events come back while the run lasts, and
// enough attempts that every event is delivered in the end.
webhook::retry_policy prompt_retries() {
    webhook::retry_policy p;
    p.max_attempts = 1000;
    p.initial_delay = 10ms;
    p.multiplier = 2;
    p.max_delay = 100ms;
    p.max_total_time = 30s;
    return p;
}

webhook::endpoint endpoint_for(const overload_receiver& r, std::size_t max_in_flight, bool adaptive,
                               std::size_t initial = 1) {
    webhook::endpoint e;
    e.url = r.url();
    e.data_location = webhook::data_path("root/result");
    e.retry = prompt_retries();
    e.timeouts.request = 5s;
    e.max_in_flight = max_in_flight;
    e.adaptive_concurrency = {.enabled = adaptive, .initial = initial};
    e.queue.capacity = 1000;
    return e;
}

struct run_result {
    std::size_t delivered = 0;
    std::size_t settled = 0;
    bool flushed = false;
    overload_counts counts;
};

// Posts `events` events at once and waits, at most `limit`, until they are settled.
run_result deliver(overload_receiver& r, const webhook::endpoint& ep, std::size_t events,
                   std::chrono::milliseconds limit = 8s) {
    std::atomic<std::size_t> delivered{0}, settled{0};
    webhook::dispatcher_options o;
    o.on_outcome = [&](const webhook::delivery& d) {
        if (d.ok())
            ++delivered;
        ++settled;
    };
    run_result result;
    {
        webhook::dispatcher d(ep, std::move(o));
        for (std::size_t i = 0; i < events; ++i)
            BOOST_REQUIRE(d.post(ping{i, "load"}));
        result.flushed = d.flush(limit);
        d.shutdown(0ms);
    }
    result.delivered = delivered.load();
    result.settled = settled.load();
    result.counts = r.counts();
    return result;
}

void report(const char* what, const run_result& r) {
    BOOST_TEST_MESSAGE(what << ": delivered " << r.delivered << ", requests " << r.counts.requests
                            << ", 204 " << r.counts.successes << ", 503 " << r.counts.rejected
                            << ", resets " << r.counts.resets << ", most in process "
                            << r.counts.max_concurrency << ", connections "
                            << r.counts.connections);
}

// Delivers the same events to a receiver of capacity 4 at 10 ms with a fixed limit of 32 and
// with the adaptive one, and returns both runs, checked for what both must hold.
template <class Receiver>
std::pair<run_result, run_result> fixed_and_adaptive(std::size_t events) {
    run_result fixed, adaptive;
    {
        Receiver r(4, 10ms);
        fixed = deliver(r, endpoint_for(r, 32, false), events);
        report("fixed 32", fixed);
    }
    {
        Receiver r(4, 10ms);
        adaptive = deliver(r, endpoint_for(r, 32, true), events);
        report("adaptive", adaptive);
    }
    BOOST_TEST(fixed.flushed);
    BOOST_TEST(adaptive.flushed);
    BOOST_TEST(adaptive.delivered == events);
    BOOST_TEST(adaptive.counts.successes == events);
    return {fixed, adaptive};
}

} // namespace

BOOST_AUTO_TEST_SUITE(adaptive_concurrency)

// K = 4 at 10 ms: a fixed 32 keeps 28 requests bouncing off the receiver; the adaptive limit
// settles around K, probing above it now and then.
BOOST_AUTO_TEST_CASE(a_capacity_receiver_sees_far_fewer_503s_than_with_a_fixed_limit) {
    constexpr std::size_t events = 200;
    const auto [fixed, adaptive] = fixed_and_adaptive<capacity_receiver>(events);
    BOOST_TEST(adaptive.counts.max_concurrency <= 4u); // the receiver's own bound
    // The fixed limit's 503s are what the test compares with: there must be plenty.
    BOOST_TEST(fixed.counts.rejected >= events / 2);
    BOOST_TEST(adaptive.counts.rejected * 4 <= fixed.counts.rejected);
    BOOST_TEST(adaptive.counts.rejected <= events / 4);
}

// The same with resets for 503s: a reset counts as back-pressure, and each costs a connection.
BOOST_AUTO_TEST_CASE(a_resetting_receiver_sees_far_fewer_resets_than_with_a_fixed_limit) {
    constexpr std::size_t events = 200;
    const auto [fixed, adaptive] = fixed_and_adaptive<reset_receiver>(events);
    BOOST_TEST(fixed.counts.resets >= events / 2);
    BOOST_TEST(adaptive.counts.resets * 4 <= fixed.counts.resets);
    BOOST_TEST(adaptive.counts.resets <= events / 4);
    BOOST_TEST(adaptive.counts.connections * 2 <= fixed.counts.connections);
}

// Ordered delivery keeps one request in flight, adaptive or not, whatever `initial` says.
BOOST_AUTO_TEST_CASE(ordered_mode_stays_at_one_request_in_flight) {
    constexpr std::size_t events = 40;
    latency_receiver r(2ms, 2ms);
    auto ep = endpoint_for(r, 32, true, 8);
    ep.ordered = true;
    const run_result result = deliver(r, ep, events);
    report("ordered", result);
    BOOST_TEST(result.flushed);
    BOOST_TEST(result.delivered == events);
    BOOST_TEST(result.counts.successes == events);
    BOOST_TEST(result.counts.max_concurrency == 1u);
    for (const auto& record : r.log())
        BOOST_TEST(record.in_process == 0u);
}

// Started at 8 against K = 4, the first burst gets four 503s with `Retry-After: 1`: no request
// reaches the receiver for the next second, though events are waiting; then all are delivered.
BOOST_AUTO_TEST_CASE(a_retry_after_pauses_every_request_to_the_endpoint) {
    constexpr std::size_t events = 24;
    capacity_receiver r(4, 50ms, {.retry_after = 1s});
    const run_result result = deliver(r, endpoint_for(r, 32, true, 8), events);
    report("retry-after", result);
    BOOST_TEST(result.flushed);
    BOOST_TEST(result.delivered == events);
    BOOST_TEST(result.counts.rejected >= 1u);

    const auto log = r.log();
    const auto first = std::find_if(log.begin(), log.end(), [](const auto& record) {
        return record.answer == overload_answer::rejected;
    });
    BOOST_REQUIRE(first != log.end());
    const auto paused_at = first->answered;
    // What was sent before the 503 reached the dispatcher arrives within a moment; after that,
    // nothing until the second has passed.
    const auto quiet_from = paused_at + 30ms, quiet_until = paused_at + 950ms;
    std::size_t during = 0, after = 0;
    for (const auto& record : log) {
        if (record.arrival >= quiet_from && record.arrival < quiet_until)
            ++during;
        if (record.arrival >= quiet_until)
            ++after;
    }
    BOOST_TEST(during == 0u);
    BOOST_TEST(after >= events / 2); // the pause held back most of the events, then ended
    const auto last = std::max_element(
        log.begin(), log.end(), [](const auto& a, const auto& b) { return a.arrival < b.arrival; });
    BOOST_TEST((last->arrival - paused_at >= 950ms));
}

BOOST_AUTO_TEST_SUITE_END()
