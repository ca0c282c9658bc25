#ifndef WEBHOOK_TESTS_SUPPORT_LOOPBACK_SERVER_HPP
#define WEBHOOK_TESTS_SUPPORT_LOOPBACK_SERVER_HPP

// What both test servers (support/test_receiver.hpp, support/test_proxy.hpp) are built on: the
// streams they serve, the server thread, the listener and the registry of open connections.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>

namespace webhook::test::detail {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

// Every server-side operation reports its error as a value: a test server must not throw
// from the middle of a conversation because the client went away.
inline constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

inline constexpr std::size_t max_head_size = 64 * 1024;

// Exceptions escaping a server coroutine are bugs in the test server: let them end the
// process loudly instead of vanishing.
inline void rethrow_if_failed(std::exception_ptr e) {
    if (e)
        std::rethrow_exception(e);
}

/**
 * A TCP socket for the TLS layer to sit on. After refuse_reads(), reads complete at once with
 * end of file: an ssl shutdown then sends its close_notify and returns without waiting for the
 * peer's, so that a graceful TLS close takes no timer and no cooperation from the client.
 */
class tls_socket {
public:
    using executor_type = tcp::socket::executor_type;
    using lowest_layer_type = tcp::socket::lowest_layer_type;

    explicit tls_socket(tcp::socket socket) : socket_(std::move(socket)) {}

    executor_type get_executor() noexcept { return socket_.get_executor(); }
    lowest_layer_type& lowest_layer() noexcept { return socket_.lowest_layer(); }
    const lowest_layer_type& lowest_layer() const noexcept { return socket_.lowest_layer(); }
    tcp::socket& socket() noexcept { return socket_; }
    void refuse_reads() noexcept { refuse_reads_ = true; }

    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers& buffers, Token&& token) {
        return net::async_initiate<Token, void(error_code, std::size_t)>(
            [this](auto handler, const MutableBuffers& b) {
                if (!refuse_reads_) {
                    socket_.async_read_some(b, std::move(handler));
                    return;
                }
                auto ex = net::get_associated_executor(handler, socket_.get_executor());
                net::post(ex, [h = std::move(handler)]() mutable {
                    std::move(h)(error_code(net::error::eof), std::size_t{0});
                });
            },
            token, buffers);
    }

    template <class ConstBuffers, class Token>
    auto async_write_some(const ConstBuffers& buffers, Token&& token) {
        return socket_.async_write_some(buffers, std::forward<Token>(token));
    }

private:
    tcp::socket socket_;
    bool refuse_reads_ = false;
};

using tls_stream = net::ssl::stream<tls_socket>;

template <class Stream>
inline constexpr bool is_tls_v = std::is_same_v<Stream, tls_stream>;

inline tcp::socket& lowest_socket(tcp::socket& s) noexcept {
    return s;
}
inline tcp::socket& lowest_socket(tls_stream& s) noexcept {
    return s.next_layer().socket();
}

/** A live connection, as the server's stop() sees it. */
struct connection_base {
    virtual ~connection_base() = default;
    virtual void stop() noexcept = 0;
};

/** The registry of live connections; touched on the server thread only. */
class connection_registry {
public:
    void add(const std::shared_ptr<connection_base>& c) {
        live_.remove_if([](const std::weak_ptr<connection_base>& w) { return w.expired(); });
        live_.push_back(c);
    }
    void stop_all() noexcept {
        for (const auto& w : live_)
            if (auto c = w.lock())
                c->stop();
        live_.clear();
    }

private:
    std::list<std::weak_ptr<connection_base>> live_;
};

/**
 * An io_context on its own thread. stop() runs a closing function on that thread, then waits
 * for the context to run out of work; should anything still hold it after `grace`, the context
 * is stopped outright, so that a bug in a test server cannot hang a test run.
 */
class io_thread {
public:
    io_thread() = default;
    io_thread(const io_thread&) = delete;
    io_thread& operator=(const io_thread&) = delete;
    ~io_thread() {
        stop([] {});
    }

    net::io_context& context() noexcept { return context_; }

    void start() {
        thread_ = std::thread([this] {
            context_.run();
            {
                std::lock_guard lock(mutex_);
                finished_ = true;
            }
            finished_cv_.notify_all();
        });
    }

    void stop(std::function<void()> close_all,
              std::chrono::milliseconds grace = std::chrono::seconds(5)) {
        if (!thread_.joinable())
            return;
        net::post(context_, std::move(close_all));
        {
            std::unique_lock lock(mutex_);
            if (!finished_cv_.wait_for(lock, grace, [this] { return finished_; }))
                context_.stop();
        }
        thread_.join();
    }

private:
    net::io_context context_{1};
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable finished_cv_;
    bool finished_ = false;
};

/**
 * What both test servers are built on: a listener on a loopback address with an ephemeral
 * port, the server thread, the registry of open connections, and an idempotent stop that
 * closes the listener and every connection on the server thread.
 */
class loopback_server {
public:
    explicit loopback_server(const net::ip::address& address, unsigned short port = 0)
        : acceptor_(thread_.context(), tcp::endpoint(address, port)),
          port_(acceptor_.local_endpoint().port()) {}

    /// Runs `accept_loop` (a coroutine) on the server thread.
    void start(net::awaitable<void> accept_loop) {
        net::co_spawn(thread_.context(), std::move(accept_loop), rethrow_if_failed);
        thread_.start();
    }

    void stop() {
        thread_.stop([this] {
            stopping_ = true;
            error_code ignored;
            acceptor_.close(ignored);
            connections_.stop_all();
        });
    }

    net::io_context& context() noexcept { return thread_.context(); }
    tcp::acceptor& acceptor() noexcept { return acceptor_; }
    connection_registry& connections() noexcept { return connections_; }
    /// True once stop() began; read on the server thread only.
    bool stopping() const noexcept { return stopping_; }
    unsigned short port() const noexcept { return port_; }

private:
    io_thread thread_; // first: the context outlives the acceptor and every connection
    tcp::acceptor acceptor_;
    connection_registry connections_;
    bool stopping_ = false;
    unsigned short port_;
};

} // namespace webhook::test::detail

#endif
