#include "support/test_receiver.hpp"

#define BOOST_TEST_MODULE support_receiver
#include <boost/test/unit_test.hpp>

#include "support/test_pki.hpp"
#include "support/test_proxy.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <openssl/x509_vfy.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <sstream>
#include <string>
#include <tuple>

// The servers are exercised with plain Beast/Asio clients written here. Every client operation
// has a deadline (tcp_stream::expires_after), and each client runs on an io_context that is
// itself run for a bounded time, so that a bug fails a test instead of hanging the run.

namespace {

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

constexpr auto io_limit = 2s;       // any one client operation
constexpr auto wait_limit = 2000ms; // any wait on the server thread
constexpr auto tuple = net::as_tuple(net::use_awaitable);

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

std::string post(std::string_view target, std::string_view body, bool keep_alive = true) {
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

net::awaitable<beast::tcp_stream> connect_tcp(const tcp::endpoint& endpoint) {
    beast::tcp_stream s(co_await net::this_coro::executor);
    s.expires_after(io_limit);
    co_await s.async_connect(endpoint, net::use_awaitable);
    s.socket().set_option(tcp::no_delay(true));
    co_return std::move(s);
}

tcp::endpoint loopback(unsigned short port) {
    return {net::ip::address_v4::loopback(), port};
}

ssl::context client_context(const std::string& ca_pem, const std::string& cert_pem = {},
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
net::awaitable<tls_connection> handshake(beast::tcp_stream tcp, ssl::context& ctx,
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

net::awaitable<tls_connection> connect_tls(const tcp::endpoint& endpoint, ssl::context& ctx,
                                           std::string host = "localhost") {
    co_return co_await handshake(co_await connect_tcp(endpoint), ctx, std::move(host));
}

ssl::context& trusting_client() {
    static ssl::context ctx = client_context(test_pki::shared().ca_cert);
    return ctx;
}

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

// The OpenSSL objects the PKI test inspects.
webhook::test::detail::x509_ptr parse_cert(const std::string& pem) {
    webhook::test::detail::bio_ptr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    return webhook::test::detail::x509_ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

webhook::test::detail::pkey_ptr parse_key(const std::string& pem) {
    webhook::test::detail::bio_ptr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    return webhook::test::detail::pkey_ptr(
        PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

bool chains_to(const std::string& leaf_pem, const std::string& ca_pem, int purpose) {
    auto leaf = parse_cert(leaf_pem);
    auto ca = parse_cert(ca_pem);
    std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(),
                                                                  &X509_STORE_free);
    std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> ctx(X509_STORE_CTX_new(),
                                                                        &X509_STORE_CTX_free);
    X509_STORE_add_cert(store.get(), ca.get());
    X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), nullptr);
    X509_STORE_CTX_set_purpose(ctx.get(), purpose);
    const bool ok = X509_verify_cert(ctx.get()) == 1;
    ERR_clear_error();
    return ok;
}

// A port nothing listens on (just closed again), for the 502 case.
unsigned short closed_port() {
    net::io_context ioc;
    tcp::acceptor a(ioc, loopback(0));
    return a.local_endpoint().port();
}

} // namespace

BOOST_AUTO_TEST_SUITE(pki)

BOOST_AUTO_TEST_CASE(certificates_chain_and_name_as_intended) {
    const test_pki pki = test_pki::make();

    BOOST_TEST(chains_to(pki.server_cert, pki.ca_cert, X509_PURPOSE_SSL_SERVER));
    BOOST_TEST(chains_to(pki.client_cert, pki.ca_cert, X509_PURPOSE_SSL_CLIENT));
    BOOST_TEST(!chains_to(pki.server_cert, pki.ca_cert, X509_PURPOSE_SSL_CLIENT));
    BOOST_TEST(!chains_to(pki.client_cert, pki.ca_cert, X509_PURPOSE_SSL_SERVER));
    BOOST_TEST(!chains_to(pki.untrusted_server_cert, pki.ca_cert, X509_PURPOSE_SSL_SERVER));
    BOOST_TEST(
        chains_to(pki.untrusted_server_cert, pki.untrusted_ca_cert, X509_PURPOSE_SSL_SERVER));

    auto server = parse_cert(pki.server_cert);
    BOOST_TEST(X509_check_host(server.get(), "localhost", 0, 0, nullptr) == 1);
    BOOST_TEST(X509_check_ip_asc(server.get(), "127.0.0.1", 0) == 1);
    BOOST_TEST(X509_check_ip_asc(server.get(), "::1", 0) == 1);
    BOOST_TEST(X509_check_host(server.get(), "example.com", 0, 0, nullptr) == 0);

    BOOST_TEST(X509_check_private_key(server.get(), parse_key(pki.server_key).get()) == 1);
    BOOST_TEST(X509_check_private_key(parse_cert(pki.client_cert).get(),
                                      parse_key(pki.client_key).get()) == 1);
    BOOST_TEST(X509_check_private_key(parse_cert(pki.untrusted_server_cert).get(),
                                      parse_key(pki.untrusted_server_key).get()) == 1);

    // Valid now, and for about a day.
    BOOST_TEST(X509_cmp_current_time(X509_get0_notBefore(server.get())) < 0);
    BOOST_TEST(X509_cmp_current_time(X509_get0_notAfter(server.get())) > 0);
    BOOST_TEST(test_pki::make().ca_cert != pki.ca_cert); // fresh keys each time
}

BOOST_AUTO_TEST_CASE(write_temp_file_writes_into_one_directory) {
    const std::string a = webhook::test::write_temp_file(test_pki::shared().ca_cert, ".pem");
    const std::string b = webhook::test::write_temp_file("second", ".txt");
    BOOST_TEST(a != b);
    BOOST_TEST(a.ends_with(".pem"));
    BOOST_TEST(std::filesystem::path(a).parent_path() == std::filesystem::path(b).parent_path());
    std::ifstream in(a, std::ios::binary);
    std::stringstream content;
    content << in.rdbuf();
    BOOST_TEST(content.str() == test_pki::shared().ca_cert);
}

BOOST_AUTO_TEST_SUITE_END()

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
