#include <webhook/transport/beast_transport.hpp>

#define BOOST_TEST_MODULE transport_beast_transport_tls
#include <boost/test/unit_test.hpp>

#include "support/print.hpp"
#include "support/test_pki.hpp"
#include "support/test_proxy.hpp"
#include "support/test_receiver.hpp"
#include "transport/beast_transport_helpers.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/http/error.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

// The built-in transport over TLS (verification, mutual TLS, handshake timeouts) and through a
// CONNECT proxy, against the test receiver and proxy on loopback.

namespace http = boost::beast::http;
namespace asio = boost::asio;
using namespace std::chrono_literals;
using webhook::test::behaviour;
using webhook::test::test_receiver;
using namespace webhook::test;

BOOST_AUTO_TEST_SUITE(tls)

BOOST_AUTO_TEST_CASE(verified_tls_by_name_and_by_ip_address) {
    test_receiver receiver(webhook::test::tls_options(pki()));
    webhook::beast_transport transport(trusting_test_ca());
    const std::string port = std::to_string(receiver.port());
    const auto by_name = post(transport, "https://localhost:" + port + "/hook");
    BOOST_TEST_REQUIRE(!by_name.ec, by_name.ec.message());
    const auto by_ip = post(transport, "https://127.0.0.1:" + port + "/hook");
    BOOST_TEST_REQUIRE(!by_ip.ec, by_ip.ec.message());
    BOOST_TEST(receiver.request_count() == 2u);
}

BOOST_AUTO_TEST_CASE(untrusted_certificate_is_refused) {
    webhook::test::receiver_options o;
    o.tls = true;
    o.cert_chain_pem = pki().untrusted_server_cert;
    o.private_key_pem = pki().untrusted_server_key;
    test_receiver receiver(o);
    webhook::beast_transport transport(trusting_test_ca());
    const auto x = post(transport, receiver.url("/hook"));
    BOOST_TEST(is_tls_error(x.ec), x.ec.message());
    BOOST_TEST(receiver.request_count() == 0u); // nothing was sent
}

BOOST_AUTO_TEST_CASE(certificate_for_another_host_name_is_refused) {
    webhook::test::receiver_options o;
    o.tls = true;
    o.cert_chain_pem = pki().wrong_name_server_cert; // trusted CA, name wrong.example only
    o.private_key_pem = pki().wrong_name_server_key;
    test_receiver receiver(o);
    webhook::beast_transport transport(trusting_test_ca());
    const std::string port = std::to_string(receiver.port());
    for (const std::string host : {"localhost", "127.0.0.1"}) {
        const auto x = post(transport, "https://" + host + ":" + port + "/hook");
        BOOST_TEST(is_tls_error(x.ec), x.ec.message());
    }
    BOOST_TEST(receiver.request_count() == 0u);
}

BOOST_AUTO_TEST_CASE(system_trust_store_does_not_trust_the_test_ca) {
    test_receiver receiver(webhook::test::tls_options(pki()));
    webhook::beast_transport transport(fast_timeouts()); // default: system store
    const auto x = post(transport, receiver.url("/hook"));
    BOOST_TEST(is_tls_error(x.ec), x.ec.message());
    BOOST_TEST(receiver.request_count() == 0u);
}

BOOST_AUTO_TEST_CASE(insecure_option_skips_verification) {
    webhook::test::receiver_options o;
    o.tls = true;
    o.cert_chain_pem = pki().untrusted_server_cert;
    o.private_key_pem = pki().untrusted_server_key;
    test_receiver receiver(o);
    auto options = fast_timeouts();
    options.tls.insecure_skip_verification = true;
    webhook::beast_transport transport(options);
    BOOST_TEST(!post(transport, receiver.url("/hook")).ec);
}

BOOST_AUTO_TEST_CASE(mutual_tls_presents_the_client_certificate) {
    test_receiver receiver(webhook::test::tls_options(pki(), true));
    auto options = trusting_test_ca();
    options.tls.certificate_file = webhook::test::write_temp_file(pki().client_cert, ".pem");
    options.tls.private_key_file = webhook::test::write_temp_file(pki().client_key, ".pem");
    webhook::beast_transport with_cert(options);
    const auto x = post(with_cert, receiver.url("/hook"));
    BOOST_TEST_REQUIRE(!x.ec, x.ec.message());
    BOOST_TEST(receiver.requests().at(0).client_cert_subject == "CN=webhook-client");

    webhook::beast_transport without_cert(trusting_test_ca());
    BOOST_TEST(post(without_cert, receiver.url("/hook")).ec);
    BOOST_TEST(receiver.request_count() == 1u);
}

BOOST_AUTO_TEST_CASE(unreadable_tls_files_fail_at_construction) {
    auto options = fast_timeouts();
    options.tls.ca_file = "/nonexistent/ca.pem";
    BOOST_CHECK_THROW(webhook::beast_transport{options}, boost::system::system_error);
    options = fast_timeouts();
    options.tls.certificate_file = "/nonexistent/client.pem";
    BOOST_CHECK_THROW(webhook::beast_transport{options}, boost::system::system_error);
}

BOOST_AUTO_TEST_CASE(tls_handshake_timeout) {
    // A TCP server that accepts and never speaks: the TLS handshake cannot finish.
    asio::io_context io;
    asio::ip::tcp::acceptor silent(io, {asio::ip::address_v4::loopback(), 0});
    asio::ip::tcp::socket held(io);
    silent.async_accept(held, [](boost::system::error_code) {});
    std::thread server([&] { io.run_for(2s); });
    auto options = trusting_test_ca();
    options.handshake_timeout = 300ms;
    webhook::beast_transport transport(options);
    const auto x = post(
        transport, "https://127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "/");
    BOOST_TEST(x.ec == code(boost::beast::error::timeout));
    io.stop();
    server.join();
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(proxy)

BOOST_AUTO_TEST_CASE(https_goes_through_a_connect_tunnel) {
    test_receiver receiver(webhook::test::tls_options(pki()));
    webhook::test::test_connect_proxy proxy;
    auto options = trusting_test_ca();
    options.proxy = proxy.url();
    webhook::beast_transport transport(options);
    const std::string authority = "localhost:" + std::to_string(receiver.port());
    for (int i = 0; i < 2; ++i)
        BOOST_TEST_REQUIRE(!post(transport, "https://" + authority + "/hook").ec);
    BOOST_TEST(proxy.connect_targets() == std::vector<std::string>{authority}); // one tunnel
    BOOST_TEST(receiver.requests().at(1).raw_head.starts_with("POST /hook HTTP/1.1\r\n"));
}

BOOST_AUTO_TEST_CASE(plain_http_is_sent_to_the_proxy_in_absolute_form) {
    test_receiver receiver;
    webhook::test::test_connect_proxy proxy;
    auto options = fast_timeouts();
    options.proxy = proxy.url();
    webhook::beast_transport transport(options);
    const std::string url = receiver.url("/hook?x=1");
    const auto x = post(transport, url);
    BOOST_TEST_REQUIRE(!x.ec, x.ec.message());
    BOOST_TEST(proxy.forwarded_targets() == std::vector<std::string>{url});
    BOOST_TEST(receiver.request_count() == 1u);
}

BOOST_AUTO_TEST_CASE(refused_tunnel_is_a_proxy_error) {
    webhook::test::test_connect_proxy proxy; // refuses targets that are not loopback
    auto options = trusting_test_ca();
    options.proxy = proxy.url();
    webhook::beast_transport transport(options);
    BOOST_TEST(post(transport, "https://example.com/hook").ec ==
               webhook::error::proxy_connect_failed);
}

BOOST_AUTO_TEST_CASE(interim_1xx_responses_are_skipped_and_the_connection_stays_in_step) {
    // Found by fuzzing: a 100 Continue was taken as the response, and the final one then
    // answered the next request on the kept-alive connection.
    test_receiver receiver;
    receiver.push(behaviour::raw("HTTP/1.1 100 Continue\r\n\r\n"
                                 "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
                                 "HTTP/1.1 201 Created\r\nContent-Length: 3\r\n\r\nabc"));
    receiver.push(behaviour::respond(202, "second"));
    webhook::beast_transport t;
    const auto url = webhook::endpoint_url(receiver.url("/hook"));
    const auto request = webhook::make_request(http::verb::post, url, "{}");
    boost::system::error_code ec;
    const auto first = t.send(url.origin(), request, ec);
    BOOST_TEST(!ec);
    BOOST_TEST(first.result_int() == 201u);
    BOOST_TEST(first.body() == "abc");
    const auto second = t.send(url.origin(), request, ec);
    BOOST_TEST(!ec);
    BOOST_TEST(second.result_int() == 202u);
    BOOST_TEST(second.body() == "second");
    BOOST_TEST(receiver.connections_accepted() == 1u);
}

BOOST_AUTO_TEST_CASE(a_101_switching_protocols_is_an_error) {
    test_receiver receiver;
    receiver.push(behaviour::raw("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n"));
    webhook::beast_transport t;
    const auto url = webhook::endpoint_url(receiver.url("/hook"));
    boost::system::error_code ec;
    (void)t.send(url.origin(), webhook::make_request(http::verb::post, url, "{}"), ec);
    BOOST_TEST((ec == boost::beast::http::error::bad_status));
}

BOOST_AUTO_TEST_SUITE_END()
