// The response path of the Beast transport: bytes from a hostile server. The real
// webhook::beast_transport sends a request to a loopback acceptor inside this process, which
// reads the request, answers with the input bytes, shuts its side down and drains the socket
// until the client closes (no RST, so the client sees exactly the bytes). When the first
// request succeeds, a second one follows on the same transport: it reuses a kept-alive
// connection and parses whatever the server sent after the first response, or retries on a
// fresh connection, which is answered with the same bytes.
//
// Everything runs on one io_context in this thread (the transport on a strand of it), so an
// input behaves the same on every run. A completed request must give a response whose body is
// within the limit, or an error and an empty response; a Retry-After is parsed as the
// dispatcher does.
#include <webhook/transport/beast_transport.hpp>

#include <webhook/dispatch/detail/retry_after.hpp>
#include <webhook/transport/request.hpp>
#include <webhook/transport/url.hpp>

#include "fuzz_check.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/field.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t max_response_body = 4096;
constexpr std::string_view request_body = R"({"fuzz":1})";

struct server_state {
    asio::io_context ioc;
    tcp::acceptor acceptor{ioc};
    std::string response; // what every connection of the current input is answered with
    std::size_t sessions = 0;
};

server_state* server = nullptr;

/// One accepted connection: read the request, answer, shut down, drain until the client closes.
struct session : std::enable_shared_from_this<session> {
    explicit session(tcp::socket s) : socket(std::move(s)) { ++server->sessions; }
    ~session() { --server->sessions; }

    void start() {
        asio::async_read_until(
            socket, asio::dynamic_buffer(request), request_body,
            [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                if (!ec)
                    self->answer();
            });
    }

    void answer() {
        response = server->response; // this connection's copy: the next input may change it
        asio::async_write(socket, asio::buffer(response),
                          [self = shared_from_this()](boost::system::error_code, std::size_t) {
                              boost::system::error_code ignored;
                              self->socket.shutdown(tcp::socket::shutdown_send, ignored);
                              self->drain();
                          });
    }

    void drain() {
        socket.async_read_some(
            asio::buffer(scratch),
            [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                if (!ec)
                    self->drain();
            });
    }

    tcp::socket socket;
    std::string request;
    std::string response;
    std::array<char, 4096> scratch{};
};

void accept_loop() {
    server->acceptor.async_accept([](boost::system::error_code ec, tcp::socket s) {
        if (!ec)
            std::make_shared<session>(std::move(s))->start();
        accept_loop();
    });
}

struct outcome {
    bool done = false;
    boost::system::error_code ec;
    webhook::http_response response;
};

const bool verbose = std::getenv("WEBHOOK_FUZZ_VERBOSE") != nullptr; // to study one input

void check(const outcome& o) {
    if (verbose)
        std::fprintf(stderr, "request: %s, status %u, %zu body bytes\n",
                     o.ec ? o.ec.message().c_str() : "ok", o.response.result_int(),
                     o.response.body().size());
    if (o.ec) {
        FUZZ_CHECK(o.response.body().empty());
        return;
    }
    FUZZ_CHECK(o.response.body().size() <= max_response_body);
    FUZZ_CHECK(o.response.result_int() <= 999); // Beast takes any 3 digits, "000" too
    // An interim 1xx response is not the answer (RFC 9110 section 15.2): the final one follows
    // it (found here; corpus/http_response/regression_interim_100_taken_as_final).
    FUZZ_CHECK(o.response.result_int() / 100 != 1);
    const auto it = o.response.find(boost::beast::http::field::retry_after);
    if (it != o.response.end()) {
        const auto delay =
            webhook::detail::parse_retry_after(it->value(), std::chrono::system_clock::now());
        FUZZ_CHECK(!delay || delay->count() >= 0);
    }
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    server = new server_state;
    const tcp::endpoint where(asio::ip::make_address("127.0.0.1"), 0);
    server->acceptor.open(where.protocol());
    server->acceptor.set_option(tcp::acceptor::reuse_address(true));
    server->acceptor.bind(where);
    server->acceptor.listen();
    accept_loop();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto& ioc = server->ioc;
    server->response.assign(reinterpret_cast<const char*>(data), size);
    if (verbose)
        std::fprintf(stderr, "input of %zu bytes\n", size);
    static const webhook::endpoint_url url(
        "http://127.0.0.1:" + std::to_string(server->acceptor.local_endpoint().port()) + "/hook");
    static const webhook::http_request request =
        webhook::make_request(boost::beast::http::verb::post, url, std::string(request_body));

    {
        webhook::beast_transport_options options;
        options.connect_timeout = std::chrono::milliseconds{2000};
        options.request_timeout = std::chrono::milliseconds{200}; // only a bug would wait
        options.max_response_body = max_response_body;
        // Plain HTTP here; with verification on, each transport would load the system's CA
        // bundle into its TLS context, which costs more than the whole exchange.
        options.tls.insecure_skip_verification = true;
        webhook::beast_transport transport(ioc.get_executor(), options);

        const auto send = [&] {
            outcome o;
            transport.async_send(url.origin(), request,
                                 [&o](boost::system::error_code ec, webhook::http_response r) {
                                     o.ec = ec;
                                     o.response = std::move(r);
                                     o.done = true;
                                 });
            while (!o.done)
                ioc.run_one();
            check(o);
            return o;
        };
        if (!send().ec)
            send();
    }                             // closes the idle connections
    while (server->sessions != 0) // each ends when its client has closed
        ioc.run_one();
    ioc.poll(); // cancelled timers
    return 0;
}
