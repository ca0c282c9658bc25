#include <webhook/transport/detail/sansio/connection.hpp>

#define BOOST_TEST_MODULE transport_detail_sansio_connection
#include <boost/test/unit_test.hpp>

#include <chrono>

// Opening a connection (tunnel, TLS name) and its deadline timer, decided without sockets.

namespace sansio = webhook::detail::sansio;
using namespace std::chrono_literals;
using sansio::deadline_action;

BOOST_AUTO_TEST_CASE(the_authority_brackets_ipv6_literals) {
    BOOST_TEST(sansio::authority({true, "hooks.example", 443}) == "hooks.example:443");
    BOOST_TEST(sansio::authority({false, "10.0.0.1", 8080}) == "10.0.0.1:8080");
    BOOST_TEST(sansio::authority({true, "::1", 8443}) == "[::1]:8443");
}

BOOST_AUTO_TEST_CASE(sni_names_hosts_never_addresses) {
    BOOST_TEST(sansio::sends_server_name("hooks.example"));
    BOOST_TEST(sansio::sends_server_name("localhost"));
    BOOST_TEST(!sansio::sends_server_name("127.0.0.1"));
    BOOST_TEST(!sansio::sends_server_name("::1"));
    BOOST_TEST(!sansio::sends_server_name("2001:db8::7"));
}

BOOST_AUTO_TEST_CASE(only_https_through_a_proxy_opens_a_tunnel) {
    BOOST_TEST(sansio::needs_tunnel(true, true));
    BOOST_TEST(!sansio::needs_tunnel(true, false));
    BOOST_TEST(!sansio::needs_tunnel(false, true));
}

BOOST_AUTO_TEST_CASE(only_a_2xx_answer_to_connect_opens_the_tunnel) {
    BOOST_TEST(sansio::tunnel_opened(200));
    BOOST_TEST(sansio::tunnel_opened(299));
    BOOST_TEST(!sansio::tunnel_opened(199));
    BOOST_TEST(!sansio::tunnel_opened(301));
    BOOST_TEST(!sansio::tunnel_opened(407));
    BOOST_TEST(!sansio::tunnel_opened(502));
}

BOOST_AUTO_TEST_CASE(a_later_deadline_costs_no_new_wait_while_one_is_pending) {
    const sansio::deadline_clock::time_point t{100s};
    BOOST_TEST(!sansio::needs_new_wait(true, t, t + 5s)); // it waits again when it fires
    BOOST_TEST(!sansio::needs_new_wait(true, t, t));
    BOOST_TEST(sansio::needs_new_wait(true, t, t - 1s)); // earlier: the wait must move
    BOOST_TEST(sansio::needs_new_wait(false, t, t + 5s));
}

BOOST_AUTO_TEST_CASE(the_timer_closes_a_busy_connection_only_past_its_deadline) {
    const sansio::deadline_clock::time_point deadline{100s};
    BOOST_TEST((sansio::on_deadline(true, deadline, deadline) == deadline_action::close));
    BOOST_TEST((sansio::on_deadline(true, deadline, deadline + 1s) == deadline_action::close));
    BOOST_TEST((sansio::on_deadline(true, deadline, deadline - 1s) == deadline_action::wait_again));
    BOOST_TEST((sansio::on_deadline(false, deadline, deadline + 1s) == deadline_action::none));
}
