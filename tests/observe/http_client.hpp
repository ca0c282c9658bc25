#ifndef WEBHOOK_TESTS_OBSERVE_HTTP_CLIENT_HPP
#define WEBHOOK_TESTS_OBSERVE_HTTP_CLIENT_HPP

// A blocking HTTP/1.1 client over loopback for the observe tests (the metrics listener, and
// Prometheus's query API). Each operation runs on the client's own io_context for at most ten
// seconds, so that a server that never answers fails the test instead of hanging it.

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace webhook::test {

namespace http = boost::beast::http;
using http_response = http::response<http::string_body>;

class http_client {
public:
    using error_code = boost::system::error_code;

    /// Connects to 127.0.0.1:`port`, or throws std::runtime_error.
    explicit http_client(unsigned short port) {
        const boost::asio::ip::tcp::endpoint where(boost::asio::ip::make_address("127.0.0.1"),
                                                   port);
        if (const auto ec = run([&](auto done) { stream_.async_connect(where, done); }))
            throw std::runtime_error("http_client: cannot connect: " + ec.message());
    }

    /// Sends `method target` (with `Accept` when not empty) and reads the response.
    http_response request(http::verb method, const std::string& target,
                          const std::string& accept = {}, bool keep_alive = true) {
        http::request<http::string_body> req{method, target, 11};
        req.set(http::field::host, "127.0.0.1");
        if (!accept.empty())
            req.set(http::field::accept, accept);
        req.keep_alive(keep_alive);
        error_code ec = run([&](auto done) { http::async_write(stream_, req, done); });
        if (ec)
            throw std::runtime_error("http_client: write: " + ec.message());
        return read(method == http::verb::head);
    }

    /// Sends `bytes` as they are and reads the response.
    http_response raw(const std::string& bytes) {
        error_code ec = run([&](auto done) {
            boost::asio::async_write(stream_, boost::asio::buffer(bytes), done);
        });
        if (ec)
            throw std::runtime_error("http_client: write: " + ec.message());
        return read(false);
    }

    /// Whether the server has closed the connection (a read ends with end of file).
    bool closed_by_server() {
        char c;
        const error_code ec =
            run([&](auto done) { stream_.async_read_some(boost::asio::buffer(&c, 1), done); });
        return ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset;
    }

private:
    http_response read(bool head) {
        http::response_parser<http::string_body> parser;
        parser.body_limit(64 * 1024 * 1024);
        parser.skip(head);
        const error_code ec =
            run([&](auto done) { http::async_read(stream_, buffer_, parser, done); });
        if (ec)
            throw std::runtime_error("http_client: read: " + ec.message());
        return parser.release();
    }

    template <class Start>
    error_code run(Start start) {
        std::optional<error_code> result;
        start([&](error_code ec, auto&&...) { result = ec; });
        ioc_.restart();
        ioc_.run_for(std::chrono::seconds(10));
        if (!result) {
            stream_.close();
            ioc_.restart();
            ioc_.run();
            throw std::runtime_error("http_client: no answer within 10 s");
        }
        return *result;
    }

    boost::asio::io_context ioc_;
    boost::beast::tcp_stream stream_{ioc_};
    boost::beast::flat_buffer buffer_;
};

} // namespace webhook::test

#endif
