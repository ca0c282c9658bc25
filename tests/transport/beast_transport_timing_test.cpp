#include <webhook/transport/beast_transport.hpp>

#define BOOST_TEST_MODULE transport_beast_transport_timing
#include <boost/test/unit_test.hpp>

#include "support/print.hpp"
#include "support/test_proxy.hpp"
#include "support/test_receiver.hpp"
#include "support/unused_port.hpp"
#include "transport/beast_transport_helpers.hpp"

#include <boost/asio/deferred.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/write.hpp>

#include <chrono>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

// What the built-in transport measures of each request (transport_timing), against the test
// receiver on loopback: which phases a new connection, a kept-alive one, TLS and a proxy
// tunnel report; the bytes written, compared with what the receiver read; the time to the
// response head against a delay the receiver inserts; and what an error leaves.

namespace http = boost::beast::http;
namespace asio = boost::asio;
using namespace std::chrono_literals;
using webhook::test::behaviour;
using webhook::test::test_receiver;
using namespace webhook::test;

namespace {

struct timed_exchange {
    boost::system::error_code ec;
    webhook::http_response response;
    webhook::transport_timing timing;
};

timed_exchange timed_post(webhook::beast_transport& t, const std::string& url,
                          std::string body = "{}") {
    const webhook::endpoint_url u(url);
    const auto req = webhook::make_request(http::verb::post, u, std::move(body));
    timed_exchange x;
    x.timing.connect = 1h; // garbage from an earlier use: the transport resets it
    x.timing.bytes_sent = 12345;
    x.response = t.send(u.origin(), req, x.timing, x.ec);
    return x;
}

/// The bytes of a request as the receiver read them off the wire (a body with Content-Length).
std::size_t received_bytes(const recorded_request& r) {
    return r.raw_head.size() + r.body.size();
}

/// What a new connection reports: every phase of its set-up measured, none of them reused.
void check_new_connection(const webhook::transport_timing& t, bool tls) {
    BOOST_TEST(t.reported);
    BOOST_TEST(!t.reused);
    BOOST_TEST(t.resolve.count() > 0);
    BOOST_TEST(t.connect.count() > 0);
    if (tls)
        BOOST_TEST(t.tls.count() > 0);
    else
        BOOST_TEST(t.tls.count() == 0);
    BOOST_TEST(t.first_byte.count() > 0);
}

/// What a kept-alive connection reports: no set-up at all.
void check_reused_connection(const webhook::transport_timing& t) {
    BOOST_TEST(t.reported);
    BOOST_TEST(t.reused);
    BOOST_TEST(t.resolve.count() == 0);
    BOOST_TEST(t.connect.count() == 0);
    BOOST_TEST(t.tls.count() == 0);
    BOOST_TEST(t.first_byte.count() > 0);
}

} // namespace

BOOST_AUTO_TEST_SUITE(transport_timing)

BOOST_AUTO_TEST_CASE(new_connection_then_kept_alive_one_over_http) {
    test_receiver receiver;
    webhook::beast_transport transport(fast_timeouts());
    const auto first = timed_post(transport, receiver.url("/hook"), R"({"id":"INC1"})");
    BOOST_TEST_REQUIRE(!first.ec, first.ec.message());
    check_new_connection(first.timing, false);
    const auto second = timed_post(transport, receiver.url("/hook"), R"({"id":"INC2"})");
    BOOST_TEST_REQUIRE(!second.ec, second.ec.message());
    check_reused_connection(second.timing);

    const auto seen = receiver.requests();
    BOOST_TEST_REQUIRE(seen.size() == 2u);
    BOOST_TEST(seen[1].connection == 1u);
    BOOST_TEST(first.timing.bytes_sent == received_bytes(seen[0]));
    BOOST_TEST(second.timing.bytes_sent == received_bytes(seen[1]));
}

BOOST_AUTO_TEST_CASE(new_connection_then_kept_alive_one_over_https) {
    test_receiver receiver(tls_options(pki()));
    webhook::beast_transport transport(trusting_test_ca());
    const std::string url = "https://localhost:" + std::to_string(receiver.port()) + "/hook";
    const auto first = timed_post(transport, url, R"({"id":"INC1"})");
    BOOST_TEST_REQUIRE(!first.ec, first.ec.message());
    check_new_connection(first.timing, true);
    const auto second = timed_post(transport, url, R"({"id":"INC2"})");
    BOOST_TEST_REQUIRE(!second.ec, second.ec.message());
    check_reused_connection(second.timing);

    const auto seen = receiver.requests();
    BOOST_TEST_REQUIRE(seen.size() == 2u);
    BOOST_TEST(receiver.connections_accepted() == 1u);
    // The HTTP bytes inside the TLS records.
    BOOST_TEST(first.timing.bytes_sent == received_bytes(seen[0]));
    BOOST_TEST(second.timing.bytes_sent == received_bytes(seen[1]));
}

BOOST_AUTO_TEST_CASE(first_byte_includes_the_time_the_receiver_takes_to_answer) {
    test_receiver receiver;
    webhook::beast_transport transport(fast_timeouts());
    BOOST_TEST_REQUIRE(!timed_post(transport, receiver.url("/hook")).ec);
    receiver.push(behaviour::delay(50ms, 200, "late"));
    const auto start = std::chrono::steady_clock::now();
    const auto x = timed_post(transport, receiver.url("/hook"));
    const auto total = std::chrono::steady_clock::now() - start;
    BOOST_TEST_REQUIRE(!x.ec, x.ec.message());
    BOOST_TEST(x.response.body() == "late");
    BOOST_TEST(x.timing.reused);
    BOOST_TEST(x.timing.first_byte >= 50ms);
    BOOST_TEST(x.timing.first_byte <= total);
}

BOOST_AUTO_TEST_CASE(first_byte_is_the_final_response_not_an_interim_one) {
    test_receiver receiver;
    webhook::beast_transport transport(fast_timeouts());
    receiver.push(
        behaviour::delay(50ms, 201, "final").preceded_by("HTTP/1.1 100 Continue\r\n\r\n"));
    const auto x = timed_post(transport, receiver.url("/hook"));
    BOOST_TEST_REQUIRE(!x.ec, x.ec.message());
    BOOST_TEST(x.response.result_int() == 201u);
    BOOST_TEST(x.response.body() == "final");
    // The 100 Continue came at once; the first byte is the final answer's, 50 ms later.
    BOOST_TEST(x.timing.first_byte >= 50ms);
}

BOOST_AUTO_TEST_CASE(large_bodies_are_counted_exactly_when_written_in_several_steps) {
    // Larger than a loopback socket's buffer: the first write takes part of it, the rest waits.
    const std::string body(8u << 20, 'b');
    test_receiver plain;
    test_receiver tls(tls_options(pki()));
    webhook::beast_transport transport(trusting_test_ca());
    const std::string tls_url = "https://localhost:" + std::to_string(tls.port()) + "/hook";
    for (auto* r : {&plain, &tls}) {
        const auto x = timed_post(transport, r == &plain ? plain.url("/hook") : tls_url, body);
        BOOST_TEST_REQUIRE(!x.ec, x.ec.message());
        const auto seen = r->requests();
        BOOST_TEST_REQUIRE(seen.size() == 1u);
        BOOST_TEST(seen[0].body.size() == body.size());
        BOOST_TEST(x.timing.bytes_sent == received_bytes(seen[0]));
    }
}

BOOST_AUTO_TEST_CASE(chunked_requests_count_the_chunk_framing) {
    test_receiver receiver;
    webhook::beast_transport transport(fast_timeouts());
    const webhook::endpoint_url url(receiver.url("/hook"));
    auto req = webhook::make_request(http::verb::post, url, R"({"id":"INC1"})");
    req.chunked(true);
    std::ostringstream wire; // Beast's serialization: what the transport writes, byte for byte
    wire << req;
    webhook::transport_timing timing;
    boost::system::error_code ec;
    (void)transport.send(url.origin(), req, timing, ec);
    BOOST_TEST_REQUIRE(!ec, ec.message());
    BOOST_TEST(receiver.requests().at(0).body == R"({"id":"INC1"})");
    BOOST_TEST(wire.str().find("\r\n0\r\n\r\n") != std::string::npos); // really chunked
    BOOST_TEST(timing.bytes_sent == wire.str().size());
}

BOOST_AUTO_TEST_CASE(a_retry_after_a_stale_connection_reports_the_try_that_answered) {
    test_receiver receiver;
    webhook::beast_transport transport(fast_timeouts());
    BOOST_TEST_REQUIRE(!timed_post(transport, receiver.url("/hook"), "first").ec);
    receiver.push(behaviour::close_without_response()); // the kept-alive connection goes stale
    const auto x = timed_post(transport, receiver.url("/hook"), "second");
    BOOST_TEST_REQUIRE(!x.ec, x.ec.message());
    const auto seen = receiver.requests();
    BOOST_TEST_REQUIRE(seen.size() == 3u); // "second" on the stale connection, then a new one
    BOOST_TEST(seen[2].connection == 2u);
    check_new_connection(x.timing, false);
    BOOST_TEST(x.timing.bytes_sent == received_bytes(seen[2])); // that try's bytes only
}

BOOST_AUTO_TEST_CASE(https_through_a_proxy_tunnel_counts_the_tunnel_as_connect) {
    test_receiver receiver(tls_options(pki()));
    webhook::test::test_connect_proxy proxy;
    auto options = trusting_test_ca();
    options.proxy = proxy.url();
    webhook::beast_transport transport(options);
    const std::string url = "https://localhost:" + std::to_string(receiver.port()) + "/hook";
    const auto first = timed_post(transport, url);
    BOOST_TEST_REQUIRE(!first.ec, first.ec.message());
    check_new_connection(first.timing, true);
    const auto second = timed_post(transport, url);
    BOOST_TEST_REQUIRE(!second.ec, second.ec.message());
    check_reused_connection(second.timing);
    BOOST_TEST(second.timing.bytes_sent == received_bytes(receiver.requests().at(1)));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(transport_timing_on_errors)

// Defined: every completion is reported, errors included; the phases hold what was measured up
// to the error (the failing phase up to its failure), the rest is zero.

BOOST_AUTO_TEST_CASE(connection_refused_reports_the_connect_up_to_the_refusal) {
    webhook::beast_transport transport(fast_timeouts());
    const auto x =
        timed_post(transport, "http://127.0.0.1:" + std::to_string(unused_port()) + "/hook");
    BOOST_TEST(x.ec == code(asio::error::connection_refused), x.ec.message());
    BOOST_TEST(x.timing.reported);
    BOOST_TEST(!x.timing.reused);
    BOOST_TEST(x.timing.resolve.count() > 0);
    BOOST_TEST(x.timing.connect.count() > 0);
    BOOST_TEST(x.timing.tls.count() == 0);
    BOOST_TEST(x.timing.first_byte.count() == 0);
    BOOST_TEST(x.timing.bytes_sent == 0u);
}

BOOST_AUTO_TEST_CASE(failed_handshake_reports_the_tls_phase_and_no_bytes) {
    webhook::test::receiver_options o = tls_options(pki());
    o.cert_chain_pem = pki().untrusted_server_cert;
    o.private_key_pem = pki().untrusted_server_key;
    test_receiver receiver(o);
    webhook::beast_transport transport(trusting_test_ca());
    const auto x = timed_post(transport, receiver.url("/hook"));
    BOOST_TEST(is_tls_error(x.ec), x.ec.message());
    BOOST_TEST(x.timing.reported);
    BOOST_TEST(x.timing.connect.count() > 0);
    BOOST_TEST(x.timing.tls.count() > 0);
    BOOST_TEST(x.timing.first_byte.count() == 0);
    BOOST_TEST(x.timing.bytes_sent == 0u);
}

BOOST_AUTO_TEST_CASE(no_answer_leaves_first_byte_zero_and_counts_the_request) {
    test_receiver receiver;
    receiver.push(behaviour::never_answer());
    auto options = fast_timeouts();
    options.request_timeout = 300ms;
    webhook::beast_transport transport(options);
    const auto x = timed_post(transport, receiver.url("/hook"));
    BOOST_TEST(x.ec == code(boost::beast::error::timeout), x.ec.message());
    BOOST_TEST(x.timing.reported);
    BOOST_TEST(x.timing.first_byte.count() == 0);
    BOOST_TEST_REQUIRE(receiver.wait_for_requests(1, 2000ms));
    BOOST_TEST(x.timing.bytes_sent == received_bytes(receiver.requests().at(0)));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(transport_timing_forms)

BOOST_AUTO_TEST_CASE(async_send_with_a_future_on_the_callers_context) {
    test_receiver receiver;
    asio::io_context io;
    auto work = asio::make_work_guard(io);
    std::thread runner([&] { io.run(); });
    std::optional<webhook::beast_transport> transport(std::in_place, io.get_executor(),
                                                      fast_timeouts());
    const webhook::endpoint_url url(receiver.url("/hook"));
    const auto req = webhook::make_request(http::verb::post, url, "{}");
    webhook::transport_timing first;
    webhook::transport_timing second;
    BOOST_TEST(
        transport->async_send(url.origin(), req, first, asio::use_future).get().result_int() ==
        200u);
    BOOST_TEST(
        transport->async_send(url.origin(), req, second, asio::use_future).get().result_int() ==
        200u);
    transport.reset(); // closes the idle connection, and its timer with it
    work.reset();
    runner.join();
    check_new_connection(first, false);
    check_reused_connection(second);
    BOOST_TEST(second.bytes_sent == received_bytes(receiver.requests().at(1)));
}

BOOST_AUTO_TEST_CASE(deferred_operation_resets_the_timing_when_launched) {
    test_receiver receiver;
    webhook::beast_transport transport(fast_timeouts());
    const webhook::endpoint_url url(receiver.url("/hook"));
    const auto req = webhook::make_request(http::verb::post, url, "{}");
    webhook::transport_timing timing;
    auto op = transport.async_send(url.origin(), req, timing, asio::deferred);
    timing.reused = true; // written after the operation was made, before it was launched
    timing.tls = 1h;
    auto done = std::move(op)(asio::use_future);
    BOOST_TEST(done.get().result_int() == 200u);
    check_new_connection(timing, false);
}

BOOST_AUTO_TEST_CASE(untimed_send_is_unchanged) {
    static_assert(webhook::timed_transport<webhook::beast_transport>);
    static_assert(webhook::timed_blocking_transport<webhook::beast_transport>);
    static_assert(webhook::timed_async_transport<webhook::beast_transport>);
    test_receiver receiver;
    webhook::beast_transport transport(fast_timeouts());
    BOOST_TEST(!post(transport, receiver.url("/hook")).ec);
    const auto x = timed_post(transport, receiver.url("/hook"));
    BOOST_TEST_REQUIRE(!x.ec);
    check_reused_connection(x.timing); // the untimed request's connection, kept alive
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

// A transport with the untimed forms only is no timed_transport; one with a timed form for
// only one of its two forms is none either.
struct untimed_only {
    webhook::http_response send(const webhook::origin&, const webhook::http_request&,
                                boost::system::error_code&);
};
struct half_timed : untimed_only {
    using executor_type = asio::any_io_executor;
    executor_type get_executor();
    using untimed_only::send;
    webhook::http_response send(const webhook::origin&, const webhook::http_request&,
                                webhook::transport_timing&, boost::system::error_code&);
    template <class CompletionToken> // declared only: the concepts look at the expression
    void async_send(const webhook::origin&, const webhook::http_request&, CompletionToken&&);
};
static_assert(!webhook::timed_transport<untimed_only>);
static_assert(webhook::timed_blocking_transport<half_timed>);
static_assert(webhook::async_transport<half_timed>);
static_assert(!webhook::timed_transport<half_timed>);

} // namespace
