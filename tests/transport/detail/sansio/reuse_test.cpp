#include <webhook/transport/detail/sansio/reuse.hpp>

#define BOOST_TEST_MODULE transport_detail_sansio_reuse
#include <boost/test/unit_test.hpp>

#include <chrono>

// The pool of connections, decided without sockets: which connection a request gets, which
// is kept for the next, what a wait for one ends in.

namespace sansio = webhook::detail::sansio;
using namespace std::chrono_literals;
using sansio::connection_wait_action;
using sansio::lease_source;

BOOST_AUTO_TEST_CASE(an_idle_connection_serves_until_the_idle_timeout_inclusive) {
    const sansio::pool_clock::time_point since{50s};
    BOOST_TEST(sansio::fresh_enough(since, since + 30s, 30s));
    BOOST_TEST(sansio::fresh_enough(since, since, 30s));
    BOOST_TEST(!sansio::fresh_enough(since, since + 30s + 1ms, 30s));
}

BOOST_AUTO_TEST_CASE(without_an_idle_connection_a_new_one_opens_below_the_cap) {
    BOOST_TEST((sansio::without_idle(false, 0, 16) == lease_source::new_connection));
    BOOST_TEST((sansio::without_idle(false, 15, 16) == lease_source::new_connection));
    BOOST_TEST((sansio::without_idle(false, 16, 16) == lease_source::wait));
    BOOST_TEST((sansio::without_idle(false, 1, 1) == lease_source::wait));
    BOOST_TEST((sansio::without_idle(true, 0, 16) == lease_source::refused));
}

BOOST_AUTO_TEST_CASE(a_connection_is_kept_only_when_all_allow_it) {
    BOOST_TEST(sansio::keeps(true, true, false));
    BOOST_TEST(!sansio::keeps(false, true, false)); // Connection: close, or a failure
    BOOST_TEST(!sansio::keeps(true, false, false)); // never established
    BOOST_TEST(!sansio::keeps(true, true, true));   // the pool shut down
}

BOOST_AUTO_TEST_CASE(a_wait_for_a_connection_ends_by_precedence) {
    BOOST_TEST((sansio::after_connection_wait(false, false) == connection_wait_action::lease));
    BOOST_TEST((sansio::after_connection_wait(false, true) == connection_wait_action::timed_out));
    BOOST_TEST((sansio::after_connection_wait(true, false) == connection_wait_action::aborted));
    BOOST_TEST((sansio::after_connection_wait(true, true) == connection_wait_action::aborted));
}
