#include "support/test_receiver.hpp"

#define BOOST_TEST_MODULE support_receiver_selftest
#include <boost/test/unit_test.hpp>

#include "support/selftest_client.hpp"
#include "support/test_pki.hpp"

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

// The receiver's behaviours, over plain TCP and TLS, and its TLS; the test PKI is tested in
// support/pki_selftest.cpp, the CONNECT proxy in support/proxy_selftest.cpp.

namespace {

// The two ways to reach the receiver; the fault tests run over both.
struct plain_mode {
    using stream_type = beast::tcp_stream;
    static webhook::test::receiver_options options() { return {}; }
    static net::awaitable<stream_type> connect(unsigned short port) {
        co_return co_await connect_tcp(loopback(port));
    }
    // How a close without TLS close_notify shows: at a message boundary, inside a message.
    static bool closed_between(error_code ec) { return ec == http::error::end_of_stream; }
    static bool closed_inside(error_code ec) { return ec == http::error::partial_message; }
    static bool closed_raw(error_code ec) { return ec == net::error::eof; }
};

struct tls_mode {
    using stream_type = tls_stream;
    static webhook::test::receiver_options options() {
        return webhook::test::tls_options(test_pki::shared());
    }
    static net::awaitable<stream_type> connect(unsigned short port) {
        tls_connection c = co_await connect_tls(loopback(port), trusting_client());
        if (c.handshake_error)
            throw boost::system::system_error(c.handshake_error, "handshake");
        co_return std::move(c.stream);
    }
    static bool closed_between(error_code ec) { return ec == ssl::error::stream_truncated; }
    static bool closed_inside(error_code ec) { return ec == ssl::error::stream_truncated; }
    static bool closed_raw(error_code ec) { return ec == ssl::error::stream_truncated; }
};

using modes = std::tuple<plain_mode, tls_mode>;

} // namespace

BOOST_AUTO_TEST_SUITE(receiver)

BOOST_AUTO_TEST_CASE_TEMPLATE(records_the_request_as_sent, Mode, modes) {
    test_receiver receiver(Mode::options());
    const std::string head = "POST /hooks/a?x=1 HTTP/1.1\r\n"
                             "Host: 127.0.0.1\r\n"
                             "X-Mixed-Case: Value\r\n"
                             "content-type: application/json\r\n"
                             "X-Repeated: 1\r\n"
                             "X-Repeated: 2\r\n"
                             "Content-Length: 13\r\n"
                             "\r\n";
    run_client([&]() -> net::awaitable<void> {
        auto s = co_await Mode::connect(receiver.port());
        beast::flat_buffer buffer;
        auto res = co_await exchange(s, buffer, head + R"({"hello":"x"})");
        BOOST_TEST(res.result_int() == 200u);
        BOOST_TEST(res.body().empty());
        BOOST_TEST(res.keep_alive());
    });
    BOOST_REQUIRE(receiver.request_count() == 1u);
    const auto r = receiver.requests().front();
    BOOST_TEST(r.method == "POST");
    BOOST_TEST(r.target == "/hooks/a?x=1");
    BOOST_TEST(r.raw_head == head);
    BOOST_TEST(r.body == R"({"hello":"x"})");
    BOOST_TEST(r.connection == 1u);
    BOOST_TEST(r.client_cert_subject.empty());
    const webhook::test::header_list expected{
        {"Host", "127.0.0.1"}, {"X-Mixed-Case", "Value"}, {"content-type", "application/json"},
        {"X-Repeated", "1"},   {"X-Repeated", "2"},       {"Content-Length", "13"}};
    BOOST_TEST((r.headers == expected));
    BOOST_TEST(r.header("CONTENT-TYPE").value_or("") == "application/json");
    BOOST_TEST(!r.header("Authorization").has_value());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(keeps_alive_and_numbers_connections, Mode, modes) {
    test_receiver receiver(Mode::options());
    run_client([&]() -> net::awaitable<void> {
        auto s = co_await Mode::connect(receiver.port());
        beast::flat_buffer buffer;
        for (int i = 0; i < 3; ++i) {
            auto res = co_await exchange(s, buffer, post("/k", std::to_string(i)));
            BOOST_TEST(res.result_int() == 200u);
            BOOST_TEST(res.keep_alive());
        }
        auto other = co_await Mode::connect(receiver.port());
        beast::flat_buffer other_buffer;
        co_await exchange(other, other_buffer, post("/k", "3"));
    });
    const auto rs = receiver.requests();
    BOOST_REQUIRE(rs.size() == 4u);
    for (int i = 0; i < 3; ++i) {
        BOOST_TEST(rs[i].connection == 1u);
        BOOST_TEST(rs[i].body == std::to_string(i));
    }
    BOOST_TEST(rs[3].connection == 2u);
    BOOST_TEST(receiver.connections_accepted() == 2u);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(answers_pipelined_and_chunked_requests, Mode, modes) {
    test_receiver receiver(Mode::options());
    receiver.push({behaviour::respond(201, "one"), behaviour::respond(202, "two")});
    const std::string chunked = "POST /c HTTP/1.1\r\n"
                                "Host: 127.0.0.1\r\n"
                                "Transfer-Encoding: chunked\r\n"
                                "\r\n"
                                "3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n";
    run_client([&]() -> net::awaitable<void> {
        auto s = co_await Mode::connect(receiver.port());
        co_await send(s, post("/a", "first") + chunked); // one write, two requests
        beast::flat_buffer buffer;
        auto [ec1, one] = co_await receive(s, buffer);
        auto [ec2, two] = co_await receive(s, buffer);
        BOOST_TEST(!ec1);
        BOOST_TEST(!ec2);
        BOOST_TEST(one.body() == "one");
        BOOST_TEST(two.body() == "two");
    });
    const auto rs = receiver.requests();
    BOOST_REQUIRE(rs.size() == 2u);
    BOOST_TEST(rs[0].body == "first");
    BOOST_TEST(rs[1].body == "abcdefg");
    BOOST_TEST(rs[1].connection == 1u);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(plays_the_script_then_the_default, Mode, modes) {
    test_receiver receiver(Mode::options());
    receiver.push(behaviour::respond(201, "created", {{"X-Test", "yes"}, {"ETag", "\"e1\""}}));
    receiver.push(behaviour::respond(503, "busy", {{"Retry-After", "1"}}));
    run_client([&]() -> net::awaitable<void> {
        auto s = co_await Mode::connect(receiver.port());
        beast::flat_buffer buffer;
        auto r1 = co_await exchange(s, buffer, post("/", "1"));
        BOOST_TEST(r1.result_int() == 201u);
        BOOST_TEST(r1.body() == "created");
        BOOST_TEST(r1["X-Test"] == "yes");
        BOOST_TEST(r1["ETag"] == "\"e1\"");
        auto r2 = co_await exchange(s, buffer, post("/", "2"));
        BOOST_TEST(r2.result_int() == 503u);
        BOOST_TEST(r2["Retry-After"] == "1");
        auto r3 = co_await exchange(s, buffer, post("/", "3"));
        BOOST_TEST(r3.result_int() == 200u);
        receiver.set_default_behaviour(behaviour::respond(204));
        auto r4 = co_await exchange(s, buffer, post("/", "4"));
        BOOST_TEST(r4.result_int() == 204u);
        // A client's Connection: close is honoured, and announced.
        auto r5 = co_await exchange(s, buffer, post("/", "5", false));
        BOOST_TEST(!r5.keep_alive());
        auto [ec, none] = co_await receive(s, buffer);
        BOOST_TEST((ec == http::error::end_of_stream), ec.message());
    });
    BOOST_TEST(receiver.request_count() == 5u);
    BOOST_TEST(receiver.connections_accepted() == 1u);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(handler_hook_answers_default_requests, Mode, modes) {
    test_receiver receiver(Mode::options());
    receiver.set_handler(
        [](const webhook::test::recorded_request& r, webhook::test::response& res) {
            res.status = 202;
            res.body = "echo:" + r.body;
            res.headers.emplace_back("X-Target", r.target);
        });
    receiver.push(behaviour::respond(418)); // the script still comes first
    run_client([&]() -> net::awaitable<void> {
        auto s = co_await Mode::connect(receiver.port());
        beast::flat_buffer buffer;
        auto r1 = co_await exchange(s, buffer, post("/x", "a"));
        BOOST_TEST(r1.result_int() == 418u);
        auto r2 = co_await exchange(s, buffer, post("/y", "b"));
        BOOST_TEST(r2.result_int() == 202u);
        BOOST_TEST(r2.body() == "echo:b");
        BOOST_TEST(r2["X-Target"] == "/y");
    });
}

BOOST_AUTO_TEST_CASE_TEMPLATE(delay_holds_one_answer_not_the_server, Mode, modes) {
    test_receiver receiver(Mode::options());
    receiver.push({behaviour::delay(200ms, 200, "slow"), behaviour::respond(201, "fast")});
    run_client([&]() -> net::awaitable<void> {
        auto slow = co_await Mode::connect(receiver.port());
        const auto sent = clock_type::now(); // before: the server may read before send returns
        co_await send(slow, post("/slow", ""));
        BOOST_REQUIRE(receiver.wait_for_requests(1, wait_limit)); // the slow one got "delay"

        // Answered while the first answer waits on its timer.
        auto fast = co_await Mode::connect(receiver.port());
        beast::flat_buffer fast_buffer;
        auto f = co_await exchange(fast, fast_buffer, post("/fast", ""));
        const auto fast_done = clock_type::now();
        BOOST_TEST(f.body() == "fast");

        beast::flat_buffer slow_buffer;
        auto [ec, s] = co_await receive(slow, slow_buffer);
        const auto slow_done = clock_type::now();
        BOOST_TEST(!ec);
        BOOST_TEST(s.body() == "slow");
        BOOST_TEST((slow_done - sent >= 200ms));
        BOOST_TEST((fast_done - sent < 200ms));
    });
}

BOOST_AUTO_TEST_CASE_TEMPLATE(never_answer_holds_until_the_client_gives_up, Mode, modes) {
    test_receiver receiver(Mode::options());
    receiver.push(behaviour::never_answer());
    run_client([&]() -> net::awaitable<void> {
        auto s = co_await Mode::connect(receiver.port());
        co_await send(s, post("/", "x"));
        beast::flat_buffer buffer;
        response_type res;
        beast::get_lowest_layer(s).expires_after(100ms); // the client's own timeout
        auto [ec, n] = co_await http::async_read(s, buffer, res, tuple);
        BOOST_TEST((ec == beast::error::timeout), ec.message());
        BOOST_TEST(n == 0u);
    });
    // The client's timeout closed its socket; the server noticed and let go.
    BOOST_TEST(receiver.wait_for_closed_connections(1, wait_limit));
    BOOST_TEST(receiver.request_count() == 1u);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(close_without_response, Mode, modes) {
    test_receiver receiver(Mode::options());
    receiver.push(behaviour::close_without_response());
    run_client([&]() -> net::awaitable<void> {
        auto s = co_await Mode::connect(receiver.port());
        co_await send(s, post("/", "x"));
        beast::flat_buffer buffer;
        auto [ec, res] = co_await receive(s, buffer);
        BOOST_TEST(Mode::closed_between(ec), ec.message());
    });
    BOOST_TEST(receiver.request_count() == 1u);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(close_mid_response, Mode, modes) {
    test_receiver receiver(Mode::options());
    receiver.push(behaviour::close_mid_response());
    run_client([&]() -> net::awaitable<void> {
        auto s = co_await Mode::connect(receiver.port());
        co_await send(s, post("/", "x"));
        beast::flat_buffer buffer;
        http::response_parser<http::string_body> parser;
        beast::get_lowest_layer(s).expires_after(io_limit);
        auto [ec, n] = co_await http::async_read(s, buffer, parser, tuple);
        BOOST_TEST(Mode::closed_inside(ec), ec.message());
        BOOST_TEST(parser.is_header_done());
        BOOST_TEST(parser.get().result_int() == 200u);
        BOOST_TEST(parser.content_length().value_or(0) == 100u);
        BOOST_TEST(!parser.is_done());
    });
}

BOOST_AUTO_TEST_CASE_TEMPLATE(oversized_body_is_a_complete_response, Mode, modes) {
    test_receiver receiver(Mode::options());
    constexpr std::size_t size = 1u << 20;
    receiver.push({behaviour::oversized_body(size), behaviour::oversized_body(size)});
    run_client([&]() -> net::awaitable<void> {
        // A client with a limit stops reading...
        auto limited = co_await Mode::connect(receiver.port());
        co_await send(limited, post("/", "x"));
        beast::flat_buffer buffer;
        auto [ec, partial] = co_await receive(limited, buffer, 64 * 1024);
        BOOST_TEST((ec == http::error::body_limit), ec.message());

        // ...one without gets all of it, and the connection stays usable.
        auto s = co_await Mode::connect(receiver.port());
        beast::flat_buffer buffer2;
        co_await send(s, post("/", "y"));
        auto [ec2, full] = co_await receive(s, buffer2, 2u << 20);
        BOOST_TEST(!ec2, ec2.message());
        BOOST_TEST(full.body().size() == size);
        BOOST_TEST(full.body().find_first_not_of('x') == std::string::npos);
        auto after = co_await exchange(s, buffer2, post("/", "z"));
        BOOST_TEST(after.result_int() == 200u);
    });
}

BOOST_AUTO_TEST_CASE_TEMPLATE(endless_body_runs_until_the_client_leaves, Mode, modes) {
    test_receiver receiver(Mode::options());
    receiver.push(behaviour::endless_body());
    run_client([&]() -> net::awaitable<void> {
        auto s = co_await Mode::connect(receiver.port());
        co_await send(s, post("/", "x"));
        beast::flat_buffer buffer;
        http::response_parser<http::string_body> parser;
        parser.body_limit(256 * 1024);
        beast::get_lowest_layer(s).expires_after(io_limit);
        auto [ec, n] = co_await http::async_read(s, buffer, parser, tuple);
        BOOST_TEST((ec == http::error::body_limit), ec.message());
        BOOST_TEST(parser.chunked());
        BOOST_TEST(n > 256u * 1024u);
        beast::get_lowest_layer(s).close();
    });
    BOOST_TEST(receiver.wait_for_closed_connections(1, wait_limit));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(garbage_is_sent_verbatim, Mode, modes) {
    test_receiver receiver(Mode::options());
    receiver.push({behaviour::garbage(), behaviour::garbage()});
    run_client([&]() -> net::awaitable<void> {
        auto raw = co_await Mode::connect(receiver.port());
        co_await send(raw, post("/", "x"));
        auto [data, ec] = co_await read_to_end(raw);
        BOOST_TEST(data == "this is not HTTP\r\n\r\n");
        BOOST_TEST(Mode::closed_raw(ec), ec.message());

        auto s = co_await Mode::connect(receiver.port());
        co_await send(s, post("/", "y"));
        beast::flat_buffer buffer;
        auto [ec2, res] = co_await receive(s, buffer);
        BOOST_TEST((ec2 == http::error::bad_version), ec2.message());
    });
}

BOOST_AUTO_TEST_CASE_TEMPLATE(close_after_closes_an_idle_connection_silently, Mode, modes) {
    auto options = Mode::options();
    options.close_after = 2;
    test_receiver receiver(options);
    run_client([&]() -> net::awaitable<void> {
        auto s = co_await Mode::connect(receiver.port());
        beast::flat_buffer buffer;
        for (int i = 0; i < 2; ++i) {
            auto res = co_await exchange(s, buffer, post("/", "x"));
            BOOST_TEST(res.keep_alive()); // nothing announces the close
            BOOST_TEST(res.count(http::field::connection) == 0u);
        }
        // Then a graceful close: FIN, and over TLS a close_notify first, so both read as a
        // clean end of stream.
        auto [ec, none] = co_await receive(s, buffer);
        BOOST_TEST((ec == http::error::end_of_stream), ec.message());
        // The server did not wait for this client's close_notify or FIN: it is gone already.
        BOOST_TEST(receiver.wait_for_closed_connections(1, wait_limit));

        receiver.close_after(1);
        auto again = co_await Mode::connect(receiver.port());
        beast::flat_buffer buffer2;
        co_await exchange(again, buffer2, post("/", "y"));
        auto [ec2, none2] = co_await receive(again, buffer2);
        BOOST_TEST((ec2 == http::error::end_of_stream), ec2.message());
    });
    const auto rs = receiver.requests();
    BOOST_REQUIRE(rs.size() == 3u);
    BOOST_TEST(rs[1].connection == 1u);
    BOOST_TEST(rs[2].connection == 2u);
    BOOST_TEST(receiver.wait_for_closed_connections(2, wait_limit));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(after_delays_any_behaviour, Mode, modes) {
    test_receiver receiver(Mode::options());
    receiver.push(behaviour::close_without_response().after(50ms));
    run_client([&]() -> net::awaitable<void> {
        auto s = co_await Mode::connect(receiver.port());
        const auto sent = clock_type::now();
        co_await send(s, post("/", "x"));
        beast::flat_buffer buffer;
        auto [ec, res] = co_await receive(s, buffer);
        BOOST_TEST(Mode::closed_between(ec), ec.message());
        BOOST_TEST((clock_type::now() - sent >= 50ms));
    });
}

BOOST_AUTO_TEST_CASE_TEMPLATE(stops_promptly_with_busy_connections, Mode, modes) {
    auto receiver = std::make_unique<test_receiver>(Mode::options());
    // The delay is never waited out: stop() cancels its timer, and the bound below shows it.
    receiver->push({behaviour::never_answer(), behaviour::endless_body(), behaviour::delay(5s)});
    run_client([&]() -> net::awaitable<void> {
        auto silent = co_await Mode::connect(receiver->port());
        co_await send(silent, post("/", "1"));
        BOOST_REQUIRE(receiver->wait_for_requests(1, wait_limit));
        auto flood = co_await Mode::connect(receiver->port()); // never read by this client
        co_await send(flood, post("/", "2"));
        BOOST_REQUIRE(receiver->wait_for_requests(2, wait_limit));
        auto delayed = co_await Mode::connect(receiver->port());
        co_await send(delayed, post("/", "3"));
        BOOST_REQUIRE(receiver->wait_for_requests(3, wait_limit));

        const auto before = clock_type::now();
        receiver->stop();
        receiver->stop(); // idempotent
        receiver.reset();
        BOOST_TEST((clock_type::now() - before < 1s));

        auto [data1, ec1] = co_await read_to_end(silent);
        BOOST_TEST(data1.empty());
        BOOST_TEST(ec1.failed());
        auto [data2, ec2] = co_await read_to_end(flood);
        BOOST_TEST(data2.starts_with("HTTP/1.1 200 OK\r\n"));
        BOOST_TEST(ec2.failed());
        auto [data3, ec3] = co_await read_to_end(delayed);
        BOOST_TEST(data3.empty());
        BOOST_TEST(ec3.failed());
    });
}

// Some CI containers have no ::1; the test is then reported as skipped.
bool has_ipv6_loopback() {
    net::io_context ioc;
    tcp::acceptor a(ioc);
    error_code ec;
    a.open(tcp::v6(), ec);
    if (!ec)
        a.bind({net::ip::address_v6::loopback(), 0}, ec);
    return !ec;
}

BOOST_AUTO_TEST_CASE(listens_on_ipv6_loopback,
                     *boost::unit_test::precondition([](boost::unit_test::test_unit_id) {
                         return has_ipv6_loopback();
                     })) {
    test_receiver plain({.ipv6 = true});
    auto options = webhook::test::tls_options(test_pki::shared());
    options.ipv6 = true;
    test_receiver secure(options);
    BOOST_TEST(plain.url("/x") == "http://[::1]:" + std::to_string(plain.port()) + "/x");
    BOOST_TEST(secure.url() == "https://[::1]:" + std::to_string(secure.port()) + "/");
    run_client([&]() -> net::awaitable<void> {
        const tcp::endpoint plain_at(net::ip::address_v6::loopback(), plain.port());
        auto s = co_await connect_tcp(plain_at);
        beast::flat_buffer buffer;
        co_await exchange(s, buffer, post("/six", "x"));

        // Verified against the certificate's IP:::1 entry.
        const tcp::endpoint secure_at(net::ip::address_v6::loopback(), secure.port());
        auto c = co_await connect_tls(secure_at, trusting_client(), "::1");
        BOOST_REQUIRE(!c.handshake_error);
        beast::flat_buffer buffer2;
        co_await exchange(c.stream, buffer2, post("/six", "y"));
    });
    BOOST_TEST(plain.requests().at(0).target == "/six");
    BOOST_TEST(secure.requests().at(0).body == "y");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(tls)

BOOST_AUTO_TEST_CASE(server_certificate_verifies_for_each_name) {
    test_receiver receiver(webhook::test::tls_options(test_pki::shared()));
    BOOST_TEST(receiver.url("/h") == "https://127.0.0.1:" + std::to_string(receiver.port()) + "/h");
    run_client([&]() -> net::awaitable<void> {
        for (const char* host : {"localhost", "127.0.0.1"}) {
            auto c = co_await connect_tls(loopback(receiver.port()), trusting_client(), host);
            BOOST_TEST(!c.handshake_error, host << ": " << c.handshake_error.message());
        }
        auto wrong =
            co_await connect_tls(loopback(receiver.port()), trusting_client(), "example.com");
        BOOST_TEST(ERR_GET_REASON(wrong.handshake_error.value()) ==
                   SSL_R_CERTIFICATE_VERIFY_FAILED);
    });
}

BOOST_AUTO_TEST_CASE(untrusted_server_certificate_fails_the_handshake) {
    const test_pki& pki = test_pki::shared();
    auto options = webhook::test::tls_options(pki);
    options.cert_chain_pem = pki.untrusted_server_cert;
    options.private_key_pem = pki.untrusted_server_key;
    test_receiver receiver(options);
    run_client([&]() -> net::awaitable<void> {
        auto c = co_await connect_tls(loopback(receiver.port()), trusting_client());
        BOOST_TEST((c.handshake_error.category() == net::error::get_ssl_category()));
        BOOST_TEST(ERR_GET_REASON(c.handshake_error.value()) == SSL_R_CERTIFICATE_VERIFY_FAILED,
                   c.handshake_error.message());

        // A client that trusts the other CA gets through: the failure was the trust.
        ssl::context other = client_context(pki.untrusted_ca_cert);
        auto ok = co_await connect_tls(loopback(receiver.port()), other);
        BOOST_TEST(!ok.handshake_error, ok.handshake_error.message());
    });
    BOOST_TEST(receiver.wait_for_tls_handshake_failures(1, wait_limit));
    BOOST_TEST(receiver.request_count() == 0u);
}

BOOST_AUTO_TEST_CASE(mutual_tls_records_the_client_certificate) {
    const test_pki& pki = test_pki::shared();
    test_receiver receiver(webhook::test::tls_options(pki, true));
    ssl::context ctx = client_context(pki.ca_cert, pki.client_cert, pki.client_key);
    run_client([&]() -> net::awaitable<void> {
        auto c = co_await connect_tls(loopback(receiver.port()), ctx);
        BOOST_REQUIRE(!c.handshake_error);
        beast::flat_buffer buffer;
        auto res = co_await exchange(c.stream, buffer, post("/m", "x"));
        BOOST_TEST(res.result_int() == 200u);
    });
    BOOST_REQUIRE(receiver.request_count() == 1u);
    BOOST_TEST(receiver.requests().front().client_cert_subject == "CN=webhook-client");
    BOOST_TEST(receiver.tls_handshake_failures() == 0u);
}

// With TLS 1.3 the client finishes its handshake before the server has judged the client's
// certificate; the refusal shows on the first read. Either way no request gets through.
net::awaitable<error_code> first_failure(tls_connection c) {
    if (c.handshake_error)
        co_return c.handshake_error;
    beast::get_lowest_layer(c.stream).expires_after(io_limit);
    const std::string request = post("/m", "x");
    auto [write_ec, n] = co_await net::async_write(c.stream, net::buffer(request), tuple);
    if (write_ec)
        co_return write_ec;
    beast::flat_buffer buffer;
    auto [read_ec, res] = co_await receive(c.stream, buffer);
    co_return read_ec;
}

BOOST_AUTO_TEST_CASE(mutual_tls_refuses_a_missing_or_foreign_client_certificate) {
    const test_pki& pki = test_pki::shared();
    test_receiver receiver(webhook::test::tls_options(pki, true));
    ssl::context anonymous = client_context(pki.ca_cert);
    ssl::context foreign =
        client_context(pki.ca_cert, pki.untrusted_server_cert, pki.untrusted_server_key);
    run_client([&]() -> net::awaitable<void> {
        const error_code none =
            co_await first_failure(co_await connect_tls(loopback(receiver.port()), anonymous));
        BOOST_TEST(none.failed());
        BOOST_TEST(receiver.wait_for_tls_handshake_failures(1, wait_limit));
        const error_code wrong =
            co_await first_failure(co_await connect_tls(loopback(receiver.port()), foreign));
        BOOST_TEST(wrong.failed());
        BOOST_TEST(receiver.wait_for_tls_handshake_failures(2, wait_limit));
    });
    BOOST_TEST(receiver.request_count() == 0u);
    BOOST_TEST(receiver.wait_for_closed_connections(2, wait_limit));
}

BOOST_AUTO_TEST_SUITE_END()
