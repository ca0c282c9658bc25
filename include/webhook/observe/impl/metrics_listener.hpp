#ifndef WEBHOOK_OBSERVE_IMPL_METRICS_LISTENER_HPP
#define WEBHOOK_OBSERVE_IMPL_METRICS_LISTENER_HPP

#include <webhook/observe/detail/metrics_http.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/system/system_error.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <thread>
#include <utility>

namespace webhook {

namespace detail {

/** The listener's server: an `io_context` run by one thread, an accepting coroutine and a
    coroutine per connection. Stopping stops the context, joins the thread and destroys the
    context, which destroys the coroutines with their sockets: no connection to track. */
class metrics_server {
public:
    static constexpr std::size_t header_limit = 8 * 1024;
    static constexpr std::uint64_t body_limit = 8 * 1024;
    static constexpr std::chrono::seconds idle_timeout{60};

    metrics_server(std::shared_ptr<const metrics_registry> registry,
                   metrics_listener_options options)
        : registry_(std::move(registry)), path_(std::move(options.path)) {
        boost::asio::ip::tcp::acceptor acceptor(*context_);
        listen(acceptor, options.address, options.port);
        port_ = acceptor.local_endpoint().port();
        boost::asio::co_spawn(*context_, accept_loop(std::move(acceptor)), boost::asio::detached);
        thread_ = std::thread([this] { context_->run(); });
    }

    metrics_server(const metrics_server&) = delete;
    metrics_server& operator=(const metrics_server&) = delete;

    ~metrics_server() {
        context_->stop();
        if (thread_.joinable())
            thread_.join();
        context_.reset(); // with the coroutines, their sockets
    }

    unsigned short port() const noexcept { return port_; }

private:
    using tcp = boost::asio::ip::tcp;
    using error_code = boost::system::error_code;
    static constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::use_awaitable);

    static void listen(tcp::acceptor& acceptor, const std::string& address, unsigned short port) {
        error_code ec;
        const auto ip = boost::asio::ip::make_address(address, ec);
        const tcp::endpoint where(ip, port);
        if (!ec)
            acceptor.open(where.protocol(), ec);
        if (!ec)
            acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
        if (!ec)
            acceptor.bind(where, ec);
        if (!ec)
            acceptor.listen(boost::asio::socket_base::max_listen_connections, ec);
        if (ec) {
            const bool v6 = address.find(':') != std::string::npos;
            throw boost::system::system_error(ec, "metrics_listener: cannot listen on " +
                                                      (v6 ? "[" + address + "]" : address) + ":" +
                                                      std::to_string(port));
        }
    }

    boost::asio::awaitable<void> accept_loop(tcp::acceptor acceptor) {
        boost::asio::steady_timer pause(acceptor.get_executor());
        for (;;) {
            auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
            if (ec == boost::asio::error::operation_aborted)
                co_return;
            if (ec) { // out of descriptors, say: try again a little later rather than spin
                pause.expires_after(std::chrono::milliseconds(100));
                co_await pause.async_wait(use_tuple);
                continue;
            }
            boost::asio::co_spawn(acceptor.get_executor(), serve(std::move(socket)),
                                  boost::asio::detached);
        }
    }

    boost::asio::awaitable<void> serve(tcp::socket socket) {
        namespace http = boost::beast::http;
        boost::beast::tcp_stream stream(std::move(socket));
        boost::beast::flat_buffer buffer;
        for (bool open = true; open;) {
            http::request_parser<http::string_body> parser;
            parser.header_limit(header_limit);
            parser.body_limit(body_limit);
            stream.expires_after(idle_timeout);
            auto [read_error, n] = co_await http::async_read(stream, buffer, parser, use_tuple);
            std::optional<metrics_response> res;
            if (read_error)
                res = answer_unreadable(read_error);
            else
                res = answer_metrics(parser.get(), *registry_, path_);
            if (!res)
                break;
            open = res->keep_alive();
            stream.expires_after(idle_timeout);
            auto [write_error, m] = co_await http::async_write(stream, *res, use_tuple);
            open = open && !write_error;
        }
        error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    }

    std::shared_ptr<const metrics_registry> registry_;
    std::string path_;
    std::unique_ptr<boost::asio::io_context> context_ =
        std::make_unique<boost::asio::io_context>(1);
    std::thread thread_;
    unsigned short port_ = 0;
};

} // namespace detail

inline metrics_listener::metrics_listener(std::shared_ptr<const metrics_registry> registry,
                                          metrics_listener_options options)
    : server_(std::make_unique<detail::metrics_server>(std::move(registry), std::move(options))),
      port_(server_->port()) {}

inline metrics_listener::~metrics_listener() {
    stop();
}

inline void metrics_listener::stop() {
    std::lock_guard lock(stop_mutex_);
    server_.reset();
}

} // namespace webhook

#endif
