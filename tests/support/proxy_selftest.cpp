#include "support/test_proxy.hpp"

#define BOOST_TEST_MODULE support_proxy_selftest
#include <boost/test/unit_test.hpp>

#include "support/selftest_client.hpp"
#include "support/test_pki.hpp"
#include "support/test_receiver.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <tuple>

using namespace webhook::test::selftest;

BOOST_AUTO_TEST_SUITE(proxy)

// CONNECT, and the proxy's answer (a 200 to CONNECT has no body, whatever its headers say).
net::awaitable<unsigned> connect_through(beast::tcp_stream& s, const std::string& target,
                                         const std::string& authorization = {}) {
    std::string request = "CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n";
    if (!authorization.empty())
        request += "Proxy-Authorization: " + authorization + "\r\n";
    co_await send(s, request + "\r\n");
    beast::flat_buffer buffer;
    http::response_parser<http::empty_body> parser;
    parser.skip(true);
    s.expires_after(io_limit);
    co_await http::async_read(s, buffer, parser, net::use_awaitable);
    BOOST_TEST(buffer.size() == 0u); // nothing of the tunnel was swallowed
    co_return parser.get().result_int();
}

BOOST_AUTO_TEST_CASE(connect_tunnels_tls_to_the_receiver) {
    test_receiver receiver(webhook::test::tls_options(test_pki::shared()));
    test_connect_proxy proxy({.required_proxy_authorization = "Basic dXNlcjpwYXNz"});
    BOOST_TEST(proxy.url() == "http://127.0.0.1:" + std::to_string(proxy.port()));
    const std::string target = "localhost:" + std::to_string(receiver.port());
    run_client([&]() -> net::awaitable<void> {
        auto tcp = co_await connect_tcp(loopback(proxy.port()));
        BOOST_TEST(co_await connect_through(tcp, target, "Basic dXNlcjpwYXNz") == 200u);
        auto c = co_await handshake(std::move(tcp), trusting_client(), "localhost");
        BOOST_REQUIRE(!c.handshake_error);
        beast::flat_buffer buffer;
        for (int i = 0; i < 2; ++i) {
            auto res = co_await exchange(c.stream, buffer, post("/tunnelled", "x"));
            BOOST_TEST(res.result_int() == 200u);
        }
    });
    BOOST_TEST(proxy.connect_targets() == std::vector<std::string>{target});
    BOOST_TEST(proxy.forwarded_targets().empty());
    BOOST_REQUIRE(proxy.proxy_authorizations().size() == 1u);
    BOOST_TEST(proxy.proxy_authorizations()[0].value_or("") == "Basic dXNlcjpwYXNz");
    const auto rs = receiver.requests();
    BOOST_REQUIRE(rs.size() == 2u);
    BOOST_TEST(rs[1].connection == 1u);
    BOOST_TEST(!rs[0].header("Proxy-Authorization").has_value());
}

BOOST_AUTO_TEST_CASE(forwards_absolute_form_requests) {
    test_receiver receiver;
    receiver.push(behaviour::respond(202, "accepted", {{"X-From", "receiver"}}));
    test_connect_proxy proxy;
    const std::string url = receiver.url("/hooks/x?y=1");
    run_client([&]() -> net::awaitable<void> {
        auto s = co_await connect_tcp(loopback(proxy.port()));
        const std::string request = "POST " + url +
                                    " HTTP/1.1\r\n"
                                    "Host: 127.0.0.1:" +
                                    std::to_string(receiver.port()) +
                                    "\r\n"
                                    "Proxy-Authorization: Basic Zm9vOmJhcg==\r\n"
                                    "Content-Length: 2\r\n"
                                    "\r\n"
                                    "hi";
        beast::flat_buffer buffer;
        auto res = co_await exchange(s, buffer, request);
        BOOST_TEST(res.result_int() == 202u);
        BOOST_TEST(res.body() == "accepted");
        BOOST_TEST(res["X-From"] == "receiver");
        BOOST_TEST(!res.keep_alive()); // one request per proxy connection
        auto [ec, none] = co_await receive(s, buffer);
        BOOST_TEST((ec == http::error::end_of_stream), ec.message());
    });
    BOOST_TEST(proxy.forwarded_targets() == std::vector<std::string>{url});
    BOOST_TEST(proxy.connect_targets().empty());
    BOOST_TEST(proxy.proxy_authorizations().at(0).value_or("") == "Basic Zm9vOmJhcg==");
    const auto rs = receiver.requests();
    BOOST_REQUIRE(rs.size() == 1u);
    BOOST_TEST(rs[0].target == "/hooks/x?y=1");
    BOOST_TEST(rs[0].body == "hi");
    BOOST_TEST(!rs[0].header("Proxy-Authorization").has_value());
    BOOST_TEST(rs[0].header("Connection").value_or("") == "close");
}

BOOST_AUTO_TEST_CASE(refuses_what_it_must) {
    test_receiver receiver;
    test_connect_proxy open_proxy;
    test_connect_proxy guarded({.required_proxy_authorization = "Basic dXNlcjpwYXNz"});
    const std::string target = "127.0.0.1:" + std::to_string(receiver.port());
    run_client([&]() -> net::awaitable<void> {
        auto a = co_await connect_tcp(loopback(guarded.port()));
        BOOST_TEST(co_await connect_through(a, target) == 407u);
        auto b = co_await connect_tcp(loopback(guarded.port()));
        BOOST_TEST(co_await connect_through(b, target, "Basic d3Jvbmc=") == 407u);

        auto c = co_await connect_tcp(loopback(open_proxy.port()));
        BOOST_TEST(co_await connect_through(c, "example.com:443") == 403u);
        auto d = co_await connect_tcp(loopback(open_proxy.port()));
        BOOST_TEST(co_await connect_through(d, "10.0.0.1:80") == 403u);
        auto e = co_await connect_tcp(loopback(open_proxy.port()));
        BOOST_TEST(co_await connect_through(e, "127.0.0.1:" + std::to_string(closed_port())) ==
                   502u);

        auto f = co_await connect_tcp(loopback(open_proxy.port()));
        beast::flat_buffer buffer;
        auto res = co_await exchange(f, buffer, post("http://example.com/hook", "x"));
        BOOST_TEST(res.result_int() == 403u);

        // The 407 names the scheme.
        auto g = co_await connect_tcp(loopback(guarded.port()));
        beast::flat_buffer buffer2;
        auto challenged = co_await exchange(g, buffer2, post(receiver.url("/"), "x"));
        BOOST_TEST(challenged.result_int() == 407u);
        BOOST_TEST(challenged[http::field::proxy_authenticate] == "Basic realm=\"webhook-test\"");
    });
    BOOST_TEST(receiver.request_count() == 0u);
    BOOST_TEST(guarded.request_count() == 3u);
    BOOST_TEST(!guarded.proxy_authorizations()[0].has_value());
    BOOST_TEST(guarded.proxy_authorizations()[1].value_or("") == "Basic d3Jvbmc=");
    BOOST_TEST(open_proxy.connect_targets().at(0) == "example.com:443");
    BOOST_TEST(open_proxy.forwarded_targets().at(0) == "http://example.com/hook");
}

BOOST_AUTO_TEST_CASE(stops_promptly_with_an_open_tunnel) {
    test_receiver receiver;
    auto proxy = std::make_unique<test_connect_proxy>();
    run_client([&]() -> net::awaitable<void> {
        auto s = co_await connect_tcp(loopback(proxy->port()));
        BOOST_TEST(co_await connect_through(s, "127.0.0.1:" + std::to_string(receiver.port())) ==
                   200u);
        beast::flat_buffer buffer;
        co_await exchange(s, buffer, post("/", "x"));
        BOOST_REQUIRE(receiver.wait_for_connections(1, wait_limit));

        const auto before = clock_type::now();
        proxy.reset();
        BOOST_TEST((clock_type::now() - before < 1s));
        auto [data, ec] = co_await read_to_end(s);
        BOOST_TEST(data.empty());
        BOOST_TEST(ec.failed());
    });
    // The tunnel's far end was closed too.
    BOOST_TEST(receiver.wait_for_closed_connections(1, wait_limit));
}

BOOST_AUTO_TEST_SUITE_END()
