// The shared spools' background schedule: acknowledgements first, a pause after a failed
// send, the heartbeat every beat, else a wait until the earliest of them.
#include <webhook/spool/detail/background_schedule.hpp>

#define BOOST_TEST_MODULE background_schedule
#include <boost/test/unit_test.hpp>

#include <chrono>

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using schedule = webhook::detail::background_schedule<clock_type>;
using task = schedule::task;

namespace {
const clock_type::time_point t0{std::chrono::hours(1)};
}

BOOST_AUTO_TEST_CASE(waits_a_beat_when_nothing_is_queued) {
    const schedule s(300ms, 50ms, t0);
    const auto step = s.next(t0, false);
    BOOST_TEST((step.what == task::wait));
    BOOST_TEST((step.until == t0 + 300ms));
}

BOOST_AUTO_TEST_CASE(acknowledgements_go_at_once_and_before_the_heartbeat) {
    const schedule s(300ms, 50ms, t0);
    BOOST_TEST((s.next(t0, true).what == task::send_acks));
    BOOST_TEST((s.next(t0 + 400ms, true).what == task::send_acks)); // the beat is due too
    BOOST_TEST((s.next(t0 + 400ms, false).what == task::keep_held));
}

BOOST_AUTO_TEST_CASE(a_failed_send_pauses_acknowledgements_but_not_the_heartbeat) {
    schedule s(300ms, 50ms, t0);
    s.acks_sent(false, t0 + 10ms);
    auto step = s.next(t0 + 20ms, true);
    BOOST_TEST((step.what == task::wait));
    BOOST_TEST((step.until == t0 + 60ms));
    BOOST_TEST((s.next(t0 + 60ms, true).what == task::send_acks));
    s.acks_sent(false, t0 + 290ms);
    step = s.next(t0 + 300ms, true); // the beat falls in the pause
    BOOST_TEST((step.what == task::keep_held));
    s.acks_sent(true, t0 + 400ms); // a success does not pause
    BOOST_TEST((s.next(t0 + 400ms, true).what == task::send_acks));
}

BOOST_AUTO_TEST_CASE(the_heartbeat_comes_a_beat_after_the_last_one) {
    schedule s(300ms, 50ms, t0);
    BOOST_TEST((s.next(t0 + 300ms, false).what == task::keep_held));
    s.kept(t0 + 310ms);
    const auto step = s.next(t0 + 320ms, false);
    BOOST_TEST((step.what == task::wait));
    BOOST_TEST((step.until == t0 + 610ms));
}

BOOST_AUTO_TEST_CASE(a_zero_beat_is_taken_as_the_shortest) {
    const schedule s(0ms, 50ms, t0);
    BOOST_TEST((s.next(t0 + 1ms, false).what == task::keep_held));
}
