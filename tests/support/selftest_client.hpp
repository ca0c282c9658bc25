#ifndef WEBHOOK_TESTS_SUPPORT_SELFTEST_CLIENT_HPP
#define WEBHOOK_TESTS_SUPPORT_SELFTEST_CLIENT_HPP

// The servers are exercised with plain Beast/Asio clients written here. Every client operation
// has a deadline (tcp_stream::expires_after), and each client runs on an io_context that is
// itself run for a bounded time, so that a bug fails a test instead of hanging the run.
// The clients are here, for the self-tests of the receiver (support/receiver_selftest.cpp) and
// of the proxy (support/proxy_selftest.cpp).

#include "support/test_pki.hpp"
#include "support/test_proxy.hpp"
#include "support/test_receiver.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/test/unit_test.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <future>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

namespace webhook::test::selftest {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;
using webhook::test::behaviour;
using webhook::test::test_connect_proxy;
using webhook::test::test_pki;
using webhook::test::test_receiver;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

inline constexpr auto io_limit = 2s;       // any one client operation
inline constexpr auto wait_limit = 2000ms; // any wait on the server thread
inline constexpr auto tuple = net::as_tuple(net::use_awaitable);

using response_type = http::response<http::string_body>;

// Runs one client coroutine to completion, or fails the test after ten seconds.
template <class F>
void run_client(F&& body) {
    net::io_context ioc;
    std::future<void> done = net::co_spawn(ioc, body(), net::use_future);
    ioc.run_for(10s);
    BOOST_REQUIRE_MESSAGE(done.wait_for(0s) == std::future_status::ready,
                          "the client coroutine did not finish");
    done.get();
}

inline std::string post(std::string_view target, std::string_view body, bool keep_alive = true) {
    std::string r = "POST " + std::string(target) +
                    " HTTP/1.1\r\n"
                    "Host: 127.0.0.1\r\n"
                    "Content-Type: application/json\r\n"
                    "Content-Length: " +
                    std::to_string(body.size()) + "\r\n";
    if (!keep_alive)
        r += "Connection: close\r\n";
    return r + "\r\n" + std::string(body);
}

template <class Stream>
net::awaitable<void> send(Stream& s, std::string bytes) {
    beast::get_lowest_layer(s).expires_after(io_limit);
    co_await net::async_write(s, net::buffer(bytes), net::use_awaitable);
}

// Reads one response; the error comes back instead of being thrown.
template <class Stream>
net::awaitable<std::pair<error_code, response_type>> receive(Stream& s, beast::flat_buffer& buffer,
                                                             std::uint64_t body_limit = 8u << 20) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(body_limit);
    beast::get_lowest_layer(s).expires_after(io_limit);
    auto [ec, n] = co_await http::async_read(s, buffer, parser, tuple);
    co_return std::pair{ec, parser.release()};
}

template <class Stream>
net::awaitable<response_type> exchange(Stream& s, beast::flat_buffer& buffer, std::string request) {
    co_await send(s, std::move(request));
    auto [ec, res] = co_await receive(s, buffer);
    if (ec)
        throw boost::system::system_error(ec, "exchange");
    co_return std::move(res);
}

// Everything until the stream ends, and how it ended.
template <class Stream>
net::awaitable<std::pair<std::string, error_code>> read_to_end(Stream& s) {
    std::string data;
    std::array<char, 4096> chunk;
    for (;;) {
        beast::get_lowest_layer(s).expires_after(io_limit);
        auto [ec, n] = co_await s.async_read_some(net::buffer(chunk), tuple);
        data.append(chunk.data(), n);
        if (ec)
            co_return std::pair{std::move(data), ec};
    }
}

inline net::awaitable<beast::tcp_stream> connect_tcp(const tcp::endpoint& endpoint) {
    beast::tcp_stream s(co_await net::this_coro::executor);
    s.expires_after(io_limit);
    co_await s.async_connect(endpoint, net::use_awaitable);
    s.socket().set_option(tcp::no_delay(true));
    co_return std::move(s);
}

inline tcp::endpoint loopback(unsigned short port) {
    return {net::ip::address_v4::loopback(), port};
}

inline ssl::context client_context(const std::string& ca_pem, const std::string& cert_pem = {},
                                   const std::string& key_pem = {}) {
    ssl::context ctx(ssl::context::tls_client);
    ctx.add_certificate_authority(net::buffer(ca_pem));
    ctx.set_verify_mode(ssl::verify_peer);
    if (!cert_pem.empty()) {
        ctx.use_certificate_chain(net::buffer(cert_pem));
        ctx.use_private_key(net::buffer(key_pem), ssl::context::pem);
    }
    return ctx;
}

using tls_stream = beast::ssl_stream<beast::tcp_stream>;

struct tls_connection {
    tls_stream stream;
    error_code handshake_error;
};

// A client handshake over an already connected stream, verifying `host` (and sending it as
// SNI when it is a name).
inline net::awaitable<tls_connection> handshake(beast::tcp_stream tcp, ssl::context& ctx,
                                                std::string host) {
    tls_connection c{tls_stream(std::move(tcp), ctx), {}};
    if (host.find_first_not_of("0123456789.:") != std::string::npos)
        SSL_set_tlsext_host_name(c.stream.native_handle(), host.c_str());
    c.stream.set_verify_callback(ssl::host_name_verification(host));
    beast::get_lowest_layer(c.stream).expires_after(io_limit);
    std::tie(c.handshake_error) =
        co_await c.stream.async_handshake(ssl::stream_base::client, tuple);
    co_return std::move(c);
}

inline net::awaitable<tls_connection> connect_tls(const tcp::endpoint& endpoint, ssl::context& ctx,
                                                  std::string host = "localhost") {
    co_return co_await handshake(co_await connect_tcp(endpoint), ctx, std::move(host));
}

inline ssl::context& trusting_client() {
    static ssl::context ctx = client_context(test_pki::shared().ca_cert);
    return ctx;
}

// A port nothing listens on (just closed again), for the 502 case.
inline unsigned short closed_port() {
    net::io_context ioc;
    tcp::acceptor a(ioc, loopback(0));
    return a.local_endpoint().port();
}

} // namespace webhook::test::selftest

#endif
