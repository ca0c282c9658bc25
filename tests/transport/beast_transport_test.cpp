#include <webhook/transport/beast_transport.hpp>

#define BOOST_TEST_MODULE transport_beast_transport
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

// The built-in transport against real servers on loopback: the test receiver (plain and TLS,
// with injected faults) and a CONNECT proxy. Here plain HTTP and the completion tokens; TLS and
// the proxy are in beast_transport_tls_test.cpp.

namespace http = boost::beast::http;
namespace asio = boost::asio;
using namespace std::chrono_literals;
using webhook::test::behaviour;
using webhook::test::test_receiver;
using namespace webhook::test;

BOOST_AUTO_TEST_SUITE(http_plain)

BOOST_AUTO_TEST_CASE(every_method_with_exact_header_bytes) {
    test_receiver receiver;
    webhook::beast_transport transport(fast_timeouts());
    const webhook::endpoint_url url(receiver.url("/api/incidents?src=mon"));
    webhook::request_headers headers;
    headers.basic_auth("webhook", "secret").add("X-Api-Key", "k1");
    const std::string port = std::to_string(receiver.port());
    for (const auto verb : {http::verb::post, http::verb::put, http::verb::patch}) {
        const auto req = webhook::make_request(verb, url, R"({"id":"INC1"})", headers);
        boost::system::error_code ec;
        const auto res = transport.send(url.origin(), req, ec);
        BOOST_TEST_REQUIRE(!ec, ec.message());
        BOOST_TEST(res.result_int() == 200u);
    }
    const auto seen = receiver.requests();
    BOOST_TEST_REQUIRE(seen.size() == 3u);
    const char* methods[] = {"POST", "PUT", "PATCH"};
    for (std::size_t i = 0; i < 3; ++i) {
        BOOST_TEST(seen[i].raw_head == std::string(methods[i]) +
                                           " /api/incidents?src=mon HTTP/1.1\r\n"
                                           "Host: 127.0.0.1:" +
                                           port +
                                           "\r\n"
                                           "User-Agent: webhook/0.1.0\r\n"
                                           "Accept: application/json, */*\r\n"
                                           "Content-Type: application/json; charset=utf-8\r\n"
                                           "Authorization: Basic d2ViaG9vazpzZWNyZXQ=\r\n"
                                           "X-Api-Key: k1\r\n"
                                           "Content-Length: 13\r\n"
                                           "\r\n");
        BOOST_TEST(seen[i].body == R"({"id":"INC1"})");
    }
}

BOOST_AUTO_TEST_CASE(response_status_headers_and_body_come_back) {
    test_receiver receiver;
    receiver.push(behaviour::respond(503, "busy", {{"Retry-After", "7"}}));
    webhook::beast_transport transport(fast_timeouts());
    const auto x = post(transport, receiver.url("/hook"));
    BOOST_TEST_REQUIRE(!x.ec); // a status is a response, never a transport error
    BOOST_TEST(x.response.result_int() == 503u);
    BOOST_TEST(x.response["Retry-After"] == "7");
    BOOST_TEST(x.response.body() == "busy");
}

BOOST_AUTO_TEST_CASE(keep_alive_sends_every_request_on_one_connection) {
    test_receiver receiver;
    webhook::beast_transport transport(fast_timeouts());
    for (int i = 0; i < 5; ++i)
        BOOST_TEST_REQUIRE(!post(transport, receiver.url("/hook")).ec);
    BOOST_TEST(receiver.connections_accepted() == 1u);
    for (const auto& r : receiver.requests())
        BOOST_TEST(r.connection == 1u);
    BOOST_TEST(transport.open_connections(webhook::endpoint_url(receiver.url()).origin()) == 1u);
}

BOOST_AUTO_TEST_CASE(idle_connection_closed_by_the_server_is_replaced_without_loss_or_duplicate) {
    test_receiver receiver;
    receiver.close_after(1); // like a load balancer closing idle keep-alive connections
    webhook::beast_transport transport(fast_timeouts());
    for (int i = 0; i < 4; ++i) {
        const auto x = post(transport, receiver.url("/hook"), std::to_string(i));
        BOOST_TEST_REQUIRE(!x.ec, x.ec.message());
        BOOST_TEST(x.response.result_int() == 200u);
    }
    const auto seen = receiver.requests();
    BOOST_TEST_REQUIRE(seen.size() == 4u); // each request reached the server exactly once
    for (std::size_t i = 0; i < 4; ++i)
        BOOST_TEST(seen[i].body == std::to_string(i));
    BOOST_TEST(receiver.connections_accepted() == 4u);
}

BOOST_AUTO_TEST_CASE(reused_connection_closed_without_a_byte_of_response_is_retried_once) {
    test_receiver receiver;
    webhook::beast_transport transport(fast_timeouts());
    BOOST_TEST_REQUIRE(!post(transport, receiver.url("/hook"), "first").ec);
    receiver.push(behaviour::close_without_response()); // on the reused connection
    const auto x = post(transport, receiver.url("/hook"), "second");
    BOOST_TEST_REQUIRE(!x.ec, x.ec.message());
    const auto seen = receiver.requests();
    BOOST_TEST_REQUIRE(seen.size() == 3u); // documented: the receiver read "second" twice
    BOOST_TEST(seen[1].body == "second");
    BOOST_TEST(seen[2].body == "second");
    BOOST_TEST(seen[1].connection == 1u);
    BOOST_TEST(seen[2].connection == 2u);
}

BOOST_AUTO_TEST_CASE(fresh_connection_closed_without_response_is_an_error) {
    test_receiver receiver;
    receiver.push(behaviour::close_without_response());
    webhook::beast_transport transport(fast_timeouts());
    const auto x = post(transport, receiver.url("/hook"));
    BOOST_TEST(x.ec == code(http::error::end_of_stream));
    BOOST_TEST(receiver.request_count() == 1u); // not sent again
}

BOOST_AUTO_TEST_CASE(close_in_the_middle_of_a_response_is_an_error_and_not_retried) {
    test_receiver receiver;
    webhook::beast_transport transport(fast_timeouts());
    BOOST_TEST_REQUIRE(!post(transport, receiver.url("/hook")).ec);
    receiver.push(behaviour::close_mid_response());
    const auto x = post(transport, receiver.url("/hook")); // reused, but bytes had arrived
    BOOST_TEST(x.ec == code(http::error::partial_message));
    BOOST_TEST(receiver.request_count() == 2u);
}

BOOST_AUTO_TEST_CASE(garbage_instead_of_http_is_an_error) {
    test_receiver receiver;
    receiver.push(behaviour::garbage());
    webhook::beast_transport transport(fast_timeouts());
    const auto x = post(transport, receiver.url("/hook"));
    BOOST_TEST(
        (x.ec.category() == code(http::error::bad_version).category())); // Beast's HTTP errors
    BOOST_TEST(x.ec != code(http::error::end_of_stream));
}

BOOST_AUTO_TEST_CASE(server_that_never_answers_times_out) {
    test_receiver receiver;
    receiver.push(behaviour::never_answer());
    auto options = fast_timeouts();
    options.request_timeout = 300ms;
    webhook::beast_transport transport(options);
    const auto start = std::chrono::steady_clock::now();
    const auto x = post(transport, receiver.url("/hook"));
    const auto took = std::chrono::steady_clock::now() - start;
    BOOST_TEST(x.ec == code(boost::beast::error::timeout));
    BOOST_TEST(took >= 300ms);
    BOOST_TEST(took < 2s);
}

BOOST_AUTO_TEST_CASE(slow_answer_within_the_timeout_is_fine) {
    test_receiver receiver;
    receiver.push(behaviour::delay(100ms, 202));
    webhook::beast_transport transport(fast_timeouts());
    const auto x = post(transport, receiver.url("/hook"));
    BOOST_TEST_REQUIRE(!x.ec);
    BOOST_TEST(x.response.result_int() == 202u);
}

BOOST_AUTO_TEST_CASE(response_body_limit_ends_the_request) {
    test_receiver receiver;
    receiver.push({behaviour::oversized_body(2u << 20), behaviour::endless_body(),
                   behaviour::oversized_body(1000), behaviour::oversized_body(1001)});
    webhook::beast_transport big(fast_timeouts()); // default limit: 1 MiB
    BOOST_TEST(post(big, receiver.url("/a")).ec == webhook::error::response_body_too_large);
    BOOST_TEST(post(big, receiver.url("/b")).ec == webhook::error::response_body_too_large);
    auto options = fast_timeouts();
    options.max_response_body = 1000;
    webhook::beast_transport small(options);
    const auto fits = post(small, receiver.url("/c"));
    BOOST_TEST_REQUIRE(!fits.ec);
    BOOST_TEST(fits.response.body().size() == 1000u);
    BOOST_TEST(post(small, receiver.url("/d")).ec == webhook::error::response_body_too_large);
}

BOOST_AUTO_TEST_CASE(connection_refused_is_reported) {
    asio::io_context io;
    asio::ip::tcp::acceptor probe(io, {asio::ip::address_v4::loopback(), 0});
    const auto port = probe.local_endpoint().port();
    probe.close(); // nothing listens there any more
    webhook::beast_transport transport(fast_timeouts());
    const auto x = post(transport, "http://127.0.0.1:" + std::to_string(port) + "/");
    BOOST_TEST(x.ec == code(asio::error::connection_refused));
}

BOOST_AUTO_TEST_CASE(connect_timeout_when_the_server_accepts_no_more_connections) {
    // A listener whose backlog is full drops further SYNs: the connect hangs until it times out.
    asio::io_context io;
    asio::ip::tcp::acceptor full(io);
    full.open(asio::ip::tcp::v4());
    full.bind({asio::ip::address_v4::loopback(), 0});
    full.listen(0);
    std::vector<asio::ip::tcp::socket> fillers;
    for (int i = 0; i < 4; ++i) {
        fillers.emplace_back(io);
        fillers.back().async_connect(full.local_endpoint(), [](boost::system::error_code) {});
    }
    io.run_for(100ms);
    auto options = fast_timeouts();
    options.connect_timeout = 300ms;
    webhook::beast_transport transport(options);
    const auto x =
        post(transport, "http://127.0.0.1:" + std::to_string(full.local_endpoint().port()) + "/");
    BOOST_TEST(x.ec == code(boost::beast::error::timeout));
}

BOOST_AUTO_TEST_CASE(ipv6_literal) {
    webhook::test::receiver_options o;
    o.ipv6 = true;
    test_receiver receiver(o);
    webhook::beast_transport transport(fast_timeouts());
    const auto x = post(transport, receiver.url("/v6"));
    BOOST_TEST_REQUIRE(!x.ec, x.ec.message());
    BOOST_TEST(receiver.requests().at(0).header("Host").value() ==
               "[::1]:" + std::to_string(receiver.port()));
}

BOOST_AUTO_TEST_CASE(connections_per_origin_are_capped_and_waiters_are_served) {
    test_receiver receiver;
    receiver.set_default_behaviour(behaviour::delay(30ms, 204));
    auto options = fast_timeouts();
    options.max_connections_per_origin = 2;
    webhook::beast_transport transport(options);
    const webhook::endpoint_url url(receiver.url("/hook"));
    const auto req = webhook::make_request(http::verb::post, url, "{}");
    std::vector<std::future<webhook::http_response>> results;
    for (int i = 0; i < 10; ++i)
        results.push_back(transport.async_send(url.origin(), req, asio::use_future));
    for (auto& f : results)
        BOOST_TEST(f.get().result_int() == 204u);
    BOOST_TEST(receiver.request_count() == 10u);
    BOOST_TEST(receiver.connections_accepted() == 2u);
}

BOOST_AUTO_TEST_CASE(name_resolution_is_done_once_per_origin_and_reused) {
    test_receiver receiver;
    receiver.set_default_behaviour(behaviour::delay(50ms, 204));
    auto options = fast_timeouts();
    options.max_connections_per_origin = 4;
    webhook::beast_transport transport(options);
    // By name: every new connection needs the addresses of "localhost".
    const std::string by_name = "http://localhost:" + std::to_string(receiver.port()) + "/hook";
    const webhook::endpoint_url url(by_name);
    const auto req = webhook::make_request(http::verb::post, url, "{}");
    const auto resolutions = [&] {
        return webhook::detail::beast_transport_access::resolutions(transport, url.origin());
    };

    // 12 requests at once: 4 connections are opened together (one resolution, shared while
    // it runs), then reused.
    std::vector<std::future<webhook::http_response>> results;
    for (int i = 0; i < 12; ++i)
        results.push_back(transport.async_send(url.origin(), req, asio::use_future));
    for (auto& f : results)
        BOOST_TEST(f.get().result_int() == 204u);
    BOOST_TEST(receiver.connections_accepted() == 4u);
    BOOST_TEST(resolutions() == 1u);

    // The server now closes every connection after one response: the 4 kept connections
    // serve one request each, then every request opens a new connection, each to the cached
    // addresses.
    receiver.close_after(1);
    receiver.set_default_behaviour(behaviour::respond(204));
    for (int i = 0; i < 8; ++i) {
        const auto x = post(transport, by_name);
        BOOST_TEST_REQUIRE(!x.ec, x.ec.message());
    }
    BOOST_TEST(receiver.connections_accepted() >= 8u);
    BOOST_TEST(resolutions() == 1u);
}

BOOST_AUTO_TEST_CASE(timeout_on_a_kept_alive_connection) {
    // The connection's deadline timer was armed by the first request; the second must still
    // end at its own deadline.
    test_receiver receiver;
    auto options = fast_timeouts();
    options.request_timeout = 300ms;
    webhook::beast_transport transport(options);
    BOOST_TEST_REQUIRE(!post(transport, receiver.url("/hook")).ec);
    std::this_thread::sleep_for(100ms);
    receiver.push(behaviour::never_answer());
    const auto start = std::chrono::steady_clock::now();
    const auto x = post(transport, receiver.url("/hook"));
    const auto took = std::chrono::steady_clock::now() - start;
    BOOST_TEST(x.ec == code(boost::beast::error::timeout));
    BOOST_TEST(took >= 300ms);
    BOOST_TEST(took < 2s);
    BOOST_TEST(receiver.connections_accepted() == 1u);
    // And the transport goes on, on a new connection.
    BOOST_TEST_REQUIRE(!post(transport, receiver.url("/hook")).ec);
    BOOST_TEST(receiver.connections_accepted() == 2u);
}

BOOST_AUTO_TEST_CASE(chunked_request_is_sent_chunked) {
    test_receiver receiver;
    webhook::beast_transport transport(fast_timeouts());
    const webhook::endpoint_url url(receiver.url("/hook"));
    auto req = webhook::make_request(http::verb::post, url, R"({"id":"INC1"})");
    req.chunked(true);
    boost::system::error_code ec;
    const auto res = transport.send(url.origin(), req, ec);
    BOOST_TEST_REQUIRE(!ec, ec.message());
    BOOST_TEST(res.result_int() == 200u);
    const auto seen = receiver.requests();
    BOOST_TEST_REQUIRE(seen.size() == 1u);
    BOOST_TEST(seen[0].body == R"({"id":"INC1"})");
    BOOST_TEST(seen[0].header("Transfer-Encoding").value_or("") == "chunked");
}

BOOST_AUTO_TEST_CASE(concurrent_callers_on_a_multithreaded_context) {
    // The caller's io_context run by two threads, four threads sending at once, blocking and
    // asynchronously: the transport's strand keeps its state consistent.
    test_receiver receiver;
    asio::io_context io;
    auto options = fast_timeouts();
    options.max_connections_per_origin = 3;
    webhook::beast_transport transport(io.get_executor(), options);
    auto work = asio::make_work_guard(io);
    std::vector<std::thread> runners;
    for (int i = 0; i < 2; ++i)
        runners.emplace_back([&] { io.run(); });
    const webhook::endpoint_url url(receiver.url("/hook"));
    const auto req = webhook::make_request(http::verb::post, url, "{}");
    std::atomic<int> ok{0};
    std::vector<std::thread> callers;
    for (int t = 0; t < 4; ++t)
        callers.emplace_back([&, t] {
            for (int i = 0; i < 25; ++i) {
                if (t % 2 == 0) {
                    boost::system::error_code ec;
                    if (!ec && transport.send(url.origin(), req, ec).result_int() == 200u && !ec)
                        ++ok;
                } else if (transport.async_send(url.origin(), req, asio::use_future)
                               .get()
                               .result_int() == 200u) {
                    ++ok;
                }
            }
        });
    for (auto& c : callers)
        c.join();
    work.reset();
    for (auto& r : runners)
        r.join();
    BOOST_TEST(ok.load() == 100);
    BOOST_TEST(receiver.request_count() == 100u);
    BOOST_TEST(receiver.connections_accepted() <= 3u);
    BOOST_TEST(transport.open_connections(url.origin()) <= 3u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(completion_tokens)

// The transport on the caller's io_context, completed with each kind of token.
BOOST_AUTO_TEST_CASE(callback_deferred_awaitable_and_future) {
    test_receiver receiver;
    asio::io_context io;
    webhook::beast_transport transport(io.get_executor(), fast_timeouts());
    const webhook::endpoint_url url(receiver.url("/t"));
    const auto req = webhook::make_request(http::verb::post, url, "{}");
    std::vector<unsigned> statuses;

    transport.async_send(url.origin(), req,
                         [&](boost::system::error_code ec, webhook::http_response r) {
                             BOOST_TEST(!ec);
                             statuses.push_back(r.result_int());
                         });
    io.run();
    io.restart();

    auto op = transport.async_send(url.origin(), req, asio::deferred);
    std::move(op)([&](boost::system::error_code ec, webhook::http_response r) {
        BOOST_TEST(!ec);
        statuses.push_back(r.result_int());
    });
    io.run();
    io.restart();

    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            auto r = co_await transport.async_send(url.origin(), req, asio::use_awaitable);
            statuses.push_back(r.result_int());
        },
        asio::detached);
    io.run();
    io.restart();

    auto work = asio::make_work_guard(io);
    std::thread runner([&] { io.run(); });
    statuses.push_back(
        transport.async_send(url.origin(), req, asio::use_future).get().result_int());
    boost::system::error_code ec;
    statuses.push_back(transport.send(url.origin(), req, ec).result_int());
    BOOST_TEST(!ec);
    work.reset();
    runner.join();

    BOOST_TEST(statuses == (std::vector<unsigned>{200, 200, 200, 200, 200}));
    BOOST_TEST(receiver.connections_accepted() == 1u); // one pool for all forms
}

// A terminal cancellation through the handler's slot ends the request with operation_aborted,
// whether it waits for a response or for a connection, and nothing is sent again.
BOOST_AUTO_TEST_CASE(terminal_cancellation_through_the_slot) {
    test_receiver receiver;
    receiver.push(behaviour::never_answer());
    asio::io_context io;
    auto options = fast_timeouts();
    options.max_connections_per_origin = 1;
    webhook::beast_transport transport(io.get_executor(), options);
    const webhook::endpoint_url url(receiver.url("/hook"));
    const auto req = webhook::make_request(http::verb::post, url, "{}");
    asio::cancellation_signal on_the_wire, waiting;
    std::vector<boost::system::error_code> results;
    const auto record = [&](boost::system::error_code ec, webhook::http_response) {
        results.push_back(ec);
    };
    transport.async_send(url.origin(), req,
                         asio::bind_cancellation_slot(on_the_wire.slot(), record));
    transport.async_send(url.origin(), req, asio::bind_cancellation_slot(waiting.slot(), record));
    asio::steady_timer timer(io);
    timer.expires_after(100ms);
    timer.async_wait([&](boost::system::error_code) {
        waiting.emit(asio::cancellation_type::terminal); // the second waits for the connection
        on_the_wire.emit(asio::cancellation_type::terminal);
    });
    const auto start = std::chrono::steady_clock::now();
    io.run_for(5s);
    const auto took = std::chrono::steady_clock::now() - start;
    BOOST_TEST(took < 1s); // well before request_timeout
    BOOST_TEST_REQUIRE(results.size() == 2u);
    BOOST_TEST(results[0] == code(asio::error::operation_aborted));
    BOOST_TEST(results[1] == code(asio::error::operation_aborted));
    BOOST_TEST(receiver.request_count() == 1u);
    BOOST_TEST(transport.open_connections(url.origin()) == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
