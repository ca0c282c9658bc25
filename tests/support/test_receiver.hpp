#ifndef WEBHOOK_TESTS_SUPPORT_TEST_RECEIVER_HPP
#define WEBHOOK_TESTS_SUPPORT_TEST_RECEIVER_HPP

// A webhook receiver for the transport tests: a real HTTP/1.1 server on the loopback interface,
// plain or TLS (optionally mutual), that records every request and misbehaves on request.
//
// In parts: support/receiver_script.hpp (the requests recorded, the behaviours scripted),
// support/loopback_server.hpp (the server thread and listener), support/receiver_connection.hpp
// (reading requests, TLS, closing); here the receiver itself.

#include "support/loopback_server.hpp"
#include "support/receiver_connection.hpp"
#include "support/receiver_script.hpp"
#include "support/test_pki.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace webhook::test {

/**
 * An HTTP/1.1 server on 127.0.0.1 (or ::1) at an ephemeral port, for the transport tests.
 * Runs on its own io_context and thread from construction to destruction; the destructor
 * closes every connection and joins. Plain or TLS, optionally mutual TLS; keep-alive and
 * pipelining. Records every request (see recorded_request) and answers each with the next
 * scripted behaviour, else the default one. All public members are thread-safe; do not call
 * stop() or destroy the receiver from the handler hook, which runs on the server thread.
 */
class test_receiver {
public:
    using options = receiver_options;
    using handler_type = std::function<void(const recorded_request&, response&)>;

    explicit test_receiver(receiver_options opts = {})
        : options_(std::move(opts)), close_after_(options_.close_after),
          tls_context_(detail::make_server_context(options_)),
          server_(options_.ipv6 ? boost::asio::ip::address(boost::asio::ip::address_v6::loopback())
                                : boost::asio::ip::address(boost::asio::ip::address_v4::loopback()),
                  options_.port) {
        server_.start(accept_loop());
    }

    ~test_receiver() { stop(); }

    test_receiver(const test_receiver&) = delete;
    test_receiver& operator=(const test_receiver&) = delete;

    /// Closes the listener and every connection, and joins the server thread. Idempotent.
    void stop() { server_.stop(); }

    unsigned short port() const noexcept { return server_.port(); }
    /// "127.0.0.1" or "::1".
    std::string host() const { return options_.ipv6 ? "::1" : "127.0.0.1"; }
    /// "http://127.0.0.1:port/path", "https://[::1]:port/path", ...
    std::string url(std::string_view path = "/") const {
        const std::string h = options_.ipv6 ? "[::1]" : "127.0.0.1";
        return (options_.tls ? "https://" : "http://") + h + ":" + std::to_string(server_.port()) +
               std::string(path);
    }

    /// Queues behaviours, each consumed by one request, in order.
    void push(behaviour b) {
        std::lock_guard lock(mutex_);
        script_.push_back(std::move(b));
    }
    void push(std::initializer_list<behaviour> bs) {
        std::lock_guard lock(mutex_);
        script_.insert(script_.end(), bs.begin(), bs.end());
    }
    /// What requests get once the queue is empty.
    void set_default_behaviour(behaviour b) {
        std::lock_guard lock(mutex_);
        default_ = std::move(b);
    }
    /// Called, on the server thread, for each request answered by a default `respond`
    /// behaviour, with the response pre-filled; whatever it leaves there is sent.
    void set_handler(handler_type h) {
        std::lock_guard lock(mutex_);
        handler_ = std::move(h);
    }
    /// See receiver_options::close_after; applies from the next response on.
    void close_after(std::size_t n) {
        std::lock_guard lock(mutex_);
        close_after_ = n;
    }
    /// close_after(1) or close_after(0): every connection carries a single exchange.
    void set_close_idle_after_each_response(bool on) { close_after(on ? 1 : 0); }

    std::vector<recorded_request> requests() const {
        std::lock_guard lock(mutex_);
        return requests_;
    }
    std::size_t request_count() const {
        std::lock_guard lock(mutex_);
        return requests_.size();
    }
    std::size_t connections_accepted() const {
        std::lock_guard lock(mutex_);
        return accepted_;
    }
    /// Connections over, for whatever reason (client closed, fault, close_after, failed TLS).
    std::size_t connections_closed() const {
        std::lock_guard lock(mutex_);
        return closed_;
    }
    std::size_t tls_handshake_failures() const {
        std::lock_guard lock(mutex_);
        return handshake_failures_;
    }

    /// Waits, at most `limit`, until `n` requests have been read; true if they were.
    bool wait_for_requests(std::size_t n, std::chrono::milliseconds limit) const {
        return wait_until(limit, [&] { return requests_.size() >= n; });
    }
    bool wait_for_connections(std::size_t n, std::chrono::milliseconds limit) const {
        return wait_until(limit, [&] { return accepted_ >= n; });
    }
    bool wait_for_closed_connections(std::size_t n, std::chrono::milliseconds limit) const {
        return wait_until(limit, [&] { return closed_ >= n; });
    }
    bool wait_for_tls_handshake_failures(std::size_t n, std::chrono::milliseconds limit) const {
        return wait_until(limit, [&] { return handshake_failures_ >= n; });
    }

private:
    enum class next_step { read_next, close_gracefully, close_now };

    template <class Pred>
    bool wait_until(std::chrono::milliseconds limit, Pred done) const {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, limit, done);
    }

    template <class F>
    void update(F f) {
        {
            std::lock_guard lock(mutex_);
            f();
        }
        changed_.notify_all();
    }

    boost::asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, socket] = co_await server_.acceptor().async_accept(detail::use_tuple);
            if (server_.stopping() || !server_.acceptor().is_open())
                co_return;
            if (ec)
                continue;
            detail::error_code ignored;
            socket.set_option(detail::tcp::no_delay(true), ignored);
            std::size_t index = 0;
            update([&] { index = ++accepted_; });
            if (options_.tls)
                start<detail::tls_stream>(index, detail::tls_socket(std::move(socket)),
                                          tls_context_);
            else
                start<detail::tcp::socket>(index, std::move(socket));
        }
    }

    template <class Stream, class... Args>
    void start(std::size_t index, Args&&... args) {
        auto c = std::make_shared<detail::connection<Stream>>(index, std::forward<Args>(args)...);
        server_.connections().add(c);
        boost::asio::co_spawn(server_.context(), serve(std::move(c)), detail::rethrow_if_failed);
    }

    template <class Stream>
    boost::asio::awaitable<void> serve(std::shared_ptr<detail::connection<Stream>> c) {
        co_await converse(*c);
        c->stop();
        update([&] { ++closed_; });
    }

    template <class Stream>
    boost::asio::awaitable<void> converse(detail::connection<Stream>& c) {
        if constexpr (detail::is_tls_v<Stream>) {
            auto [ec] = co_await c.stream.async_handshake(boost::asio::ssl::stream_base::server,
                                                          detail::use_tuple);
            if (ec) {
                if (!c.stopped)
                    update([&] { ++handshake_failures_; });
                co_return;
            }
            c.client_subject = detail::peer_subject(c.stream.native_handle());
        }
        std::string pending;
        std::size_t answered = 0;
        for (;;) {
            recorded_request record;
            detail::http::request<detail::http::string_body> request;
            if (!co_await detail::read_request(c.stream, pending, record.raw_head, request,
                                               options_.max_request_body) ||
                c.stopped)
                co_return;
            record.method = std::string(request.method_string());
            record.target = std::string(request.target());
            for (const auto& field : request)
                record.headers.emplace_back(std::string(field.name_string()),
                                            std::string(field.value()));
            record.body = request.body();
            record.connection = c.index;
            record.client_cert_subject = c.client_subject;

            const behaviour b = take_behaviour(record);
            if (!b.early.empty()) {
                auto [ec, n] = co_await boost::asio::async_write(
                    c.stream, boost::asio::buffer(b.early), detail::use_tuple);
                if (ec || c.stopped)
                    co_return;
            }
            if (b.pause.count() > 0) {
                c.timer.expires_after(b.pause);
                co_await c.timer.async_wait(detail::use_tuple);
                if (c.stopped)
                    co_return;
            }
            next_step step = co_await perform(c, b, request.keep_alive());
            if (step == next_step::close_now || c.stopped)
                co_return;
            ++answered;
            if (step == next_step::read_next) {
                std::size_t limit = 0;
                update([&] { limit = close_after_; });
                if (limit != 0 && answered >= limit)
                    step = next_step::close_gracefully;
            }
            if (step == next_step::close_gracefully) {
                co_await detail::close_gracefully(c.stream);
                co_return;
            }
        }
    }

    // Records the request, wakes the waiters, and says what to do with it.
    behaviour take_behaviour(const recorded_request& record) {
        behaviour b;
        handler_type handler;
        update([&] {
            requests_.push_back(record);
            if (!script_.empty()) {
                b = std::move(script_.front());
                script_.pop_front();
            } else {
                b = default_;
                handler = handler_;
            }
        });
        if (handler && b.what == behaviour::kind::respond)
            handler(record, b.reply);
        return b;
    }

    // A complete response: the reply's status, headers and body, Content-Length added unless
    // the headers frame the body.
    template <class Stream>
    boost::asio::awaitable<next_step> respond(detail::connection<Stream>& c, const response& reply,
                                              bool keep_alive) {
        namespace http = detail::http;
        http::response<http::string_body> res;
        res.version(11);
        res.result(reply.status);
        for (const auto& [name, value] : reply.headers)
            res.insert(name, value);
        res.body() = reply.body;
        if (res.find(http::field::content_length) == res.end() &&
            res.find(http::field::transfer_encoding) == res.end())
            res.content_length(res.body().size());
        if (!keep_alive)
            res.keep_alive(false);
        const bool keep = keep_alive && res.keep_alive();
        auto [ec, n] = co_await http::async_write(c.stream, res, detail::use_tuple);
        if (ec)
            co_return next_step::close_now;
        co_return keep ? next_step::read_next : next_step::close_gracefully;
    }

    // A complete 200 of `body_size` bytes, streamed from the shared filler.
    template <class Stream>
    boost::asio::awaitable<next_step> send_oversized(detail::connection<Stream>& c,
                                                     std::size_t body_size, bool keep_alive) {
        namespace net = boost::asio;
        std::string head = "HTTP/1.1 200 OK\r\n"
                           "Content-Type: application/octet-stream\r\n"
                           "Content-Length: " +
                           std::to_string(body_size) + "\r\n";
        if (!keep_alive)
            head += "Connection: close\r\n";
        head += "\r\n";
        auto [ec, n] = co_await net::async_write(c.stream, net::buffer(head), detail::use_tuple);
        std::size_t left = body_size;
        while (!ec && !c.stopped && left > 0) {
            const std::size_t k = std::min(left, detail::filler().size());
            std::tie(ec, n) = co_await net::async_write(
                c.stream, net::buffer(detail::filler().data(), k), detail::use_tuple);
            left -= n;
        }
        if (ec || c.stopped)
            co_return next_step::close_now;
        co_return keep_alive ? next_step::read_next : next_step::close_gracefully;
    }

    template <class Stream>
    boost::asio::awaitable<next_step> perform(detail::connection<Stream>& c, const behaviour& b,
                                              bool keep_alive) {
        namespace net = boost::asio;
        using kind = behaviour::kind;
        switch (b.what) {
        case kind::respond:
            co_return co_await respond(c, b.reply, keep_alive);
        case kind::never_answer: {
            // Reading (and discarding) notices a client that gives up; the server's stop()
            // ends the read otherwise.
            std::array<char, 4096> sink;
            for (;;) {
                auto [ec, n] =
                    co_await c.stream.async_read_some(net::buffer(sink), detail::use_tuple);
                if (ec || c.stopped)
                    co_return next_step::close_now;
            }
        }
        case kind::close_without_response:
            co_return next_step::close_now;
        case kind::close_mid_response: {
            static const std::string partial = "HTTP/1.1 200 OK\r\n"
                                               "Content-Type: text/plain\r\n"
                                               "Content-Length: 100\r\n"
                                               "\r\n"
                                               "0123456789";
            co_await net::async_write(c.stream, net::buffer(partial), detail::use_tuple);
            co_return next_step::close_now;
        }
        case kind::oversized_body:
            co_return co_await send_oversized(c, b.body_size, keep_alive);
        case kind::endless_body: {
            static const std::string head = "HTTP/1.1 200 OK\r\n"
                                            "Content-Type: application/octet-stream\r\n"
                                            "Transfer-Encoding: chunked\r\n"
                                            "\r\n";
            auto [ec, n] =
                co_await net::async_write(c.stream, net::buffer(head), detail::use_tuple);
            // The same chunk over and over: memory stays flat however long the client reads.
            while (!ec && !c.stopped)
                std::tie(ec, n) = co_await net::async_write(
                    c.stream, net::buffer(detail::endless_chunk()), detail::use_tuple);
            co_return next_step::close_now;
        }
        case kind::garbage: {
            static const std::string junk = "this is not HTTP\r\n\r\n";
            co_await net::async_write(c.stream, net::buffer(junk), detail::use_tuple);
            co_return next_step::close_now;
        }
        case kind::raw: {
            auto [ec, n] =
                co_await net::async_write(c.stream, net::buffer(b.bytes), detail::use_tuple);
            co_return ec ? next_step::close_now : next_step::read_next;
        }
        }
        co_return next_step::close_now;
    }

    const receiver_options options_;

    // Shared with the server thread, under mutex_.
    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    std::deque<behaviour> script_;
    behaviour default_ = behaviour::respond(200);
    handler_type handler_;
    std::size_t close_after_;
    std::vector<recorded_request> requests_;
    std::size_t accepted_ = 0;
    std::size_t closed_ = 0;
    std::size_t handshake_failures_ = 0;

    // The server thread's own; the io_context outlives the acceptor and every connection.
    boost::asio::ssl::context tls_context_;
    detail::loopback_server server_;
};

} // namespace webhook::test

#endif
