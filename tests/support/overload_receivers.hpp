#ifndef WEBHOOK_TESTS_SUPPORT_OVERLOAD_RECEIVERS_HPP
#define WEBHOOK_TESTS_SUPPORT_OVERLOAD_RECEIVERS_HPP

// Receivers overloaded the ways real ones are, for adaptive concurrency
// (tests/dispatch/adaptive_concurrency_test.cpp, benchmarks/adaptive_benchmark.cpp):
//
// - capacity_receiver{K, service_time}: at most K requests in process; one arriving above K is
//   answered 503 at once (with `Retry-After` when asked), the others 204 after `service_time`;
// - latency_receiver{base, per_concurrent, knee}: every request is answered 204, after
//   base + per_concurrent x (requests in process beyond `knee`, itself included);
// - reset_receiver{K, service_time}: as the capacity receiver, but a request above K has its
//   connection reset (SO_LINGER 0, then close) instead of an answer.
//
// HTTP/1.1 with keep-alive on 127.0.0.1, at a port the OS chooses, on a thread of their own
// (support/loopback_server.hpp). Everything is bounded: connections, the head and body of a
// request, the request log. The counters are atomics, read from any thread while it runs.

#include "support/loopback_server.hpp"

#include <boost/asio/socket_base.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace webhook::test {

using overload_clock = std::chrono::steady_clock;

/// What a receiver did with one request.
enum class overload_answer : std::uint8_t { success, rejected, reset };

/// One request as the receiver saw it. The log keeps the first `log_capacity` requests.
struct overload_record {
    overload_clock::time_point arrival;  ///< the whole request read
    overload_clock::time_point answered; ///< its answer written, or its connection reset
    overload_answer answer = overload_answer::success;
    std::uint32_t in_process = 0; ///< requests in process when it arrived, itself not counted
};

/// The counters, each since the receiver started.
struct overload_counts {
    std::uint64_t requests = 0;  ///< read whole
    std::uint64_t successes = 0; ///< answered 204
    std::uint64_t rejected = 0;  ///< answered 503
    std::uint64_t resets = 0;    ///< connection reset instead of an answer
    /// The most requests in process at once (answered or not yet, rejected ones not counted).
    std::uint64_t max_concurrency = 0;
    /// Requests in process integrated over time, in request-nanoseconds: the difference of two
    /// readings over the time between them is the mean concurrency (see `mean_concurrency`).
    std::uint64_t concurrency_ns = 0;
    std::uint64_t connections = 0;         ///< accepted
    std::uint64_t refused_connections = 0; ///< closed at once, over `max_connections`
    std::uint64_t unlogged = 0;            ///< requests past `log_capacity`
    overload_clock::time_point at{};       ///< when these were read
};

/// The mean number of requests in process between two readings of the counters.
inline double mean_concurrency(const overload_counts& from, const overload_counts& to) {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(to.at - from.at).count();
    return ns <= 0 ? 0.0 : static_cast<double>(to.concurrency_ns - from.concurrency_ns) / ns;
}

/// How a receiver treats a request: the three receivers below are settings of this.
struct overload_model {
    /// Requests in process at once; one more is rejected (503) or reset.
    std::size_t capacity = std::numeric_limits<std::size_t>::max();
    /// What a request above `capacity` gets: `rejected` or `reset`.
    overload_answer overflow = overload_answer::rejected;
    /// The time a request takes alone.
    std::chrono::nanoseconds base{};
    /// Added for every request in process beyond `knee` (the arriving one counted).
    std::chrono::nanoseconds per_concurrent{};
    std::size_t knee = 1;
    /// `Retry-After` on a 503, in seconds; 0: none.
    std::chrono::seconds retry_after{0};

    /// The latency of a request that arrives with `others` in process.
    std::chrono::nanoseconds latency(std::size_t others) const noexcept {
        const std::size_t n = others + 1;
        return base + per_concurrent * static_cast<std::int64_t>(n > knee ? n - knee : 0);
    }
};

/// Bounds on what a receiver holds.
struct overload_limits {
    /// Connections open at once; more are closed as soon as accepted.
    std::size_t max_connections = 256;
    /// Requests kept in the log (`overload_record`, 24 bytes each); later ones are counted only.
    std::size_t log_capacity = 1 << 16;
    std::size_t max_head = 8 * 1024;
    std::size_t max_body = 64 * 1024;
};

namespace detail {

/** One connection: its socket and the timer of its service time. */
struct overload_connection final : connection_base {
    explicit overload_connection(tcp::socket s)
        : socket(std::move(s)), timer(socket.get_executor()) {}

    void stop() noexcept override {
        stopped = true;
        error_code ignored;
        socket.close(ignored);
        timer.cancel();
    }

    tcp::socket socket;
    net::steady_timer timer;
    bool stopped = false; // by the server's stop(): start nothing new
};

inline std::string status_line_response(std::string_view head, std::chrono::seconds retry_after,
                                        bool keep_alive) {
    std::string r(head);
    if (retry_after.count() > 0)
        r += "Retry-After: " + std::to_string(retry_after.count()) + "\r\n";
    if (!keep_alive)
        r += "Connection: close\r\n";
    return r + "\r\n";
}

} // namespace detail

/**
 * The receiver the three below are made of (see the file's comment). Runs from construction to
 * `stop()` or destruction. All public members are thread-safe.
 */
class overload_receiver {
public:
    explicit overload_receiver(overload_model model, overload_limits limits = {})
        : model_(model), limits_(limits),
          success_(detail::status_line_response("HTTP/1.1 204 No Content\r\n", {}, true)),
          success_close_(detail::status_line_response("HTTP/1.1 204 No Content\r\n", {}, false)),
          rejection_(detail::status_line_response(
              "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n", model.retry_after,
              true)),
          rejection_close_(detail::status_line_response(
              "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n", model.retry_after,
              false)),
          last_change_(overload_clock::now()),
          server_(boost::asio::ip::address(boost::asio::ip::address_v4::loopback())) {
        server_.start(accept_loop());
    }

    ~overload_receiver() { stop(); }

    overload_receiver(const overload_receiver&) = delete;
    overload_receiver& operator=(const overload_receiver&) = delete;

    /// Closes the listener and every connection, and joins the thread. Idempotent.
    void stop() { server_.stop(); }

    unsigned short port() const noexcept { return server_.port(); }

    /// "http://127.0.0.1:port/hook".
    std::string url(std::string_view path = "/hook") const {
        return "http://127.0.0.1:" + std::to_string(port()) + std::string(path);
    }

    const overload_model& model() const noexcept { return model_; }

    overload_counts counts() const {
        overload_counts c;
        {
            // The integral is kept up to the last change; the time since at the current level.
            std::lock_guard lock(log_mutex_);
            c.at = overload_clock::now();
            c.concurrency_ns =
                area_ns_ +
                static_cast<std::uint64_t>(
                    std::chrono::duration_cast<std::chrono::nanoseconds>(c.at - last_change_)
                        .count()) *
                    level_;
        }
        c.requests = requests_.load();
        c.successes = successes_.load();
        c.rejected = rejected_.load();
        c.resets = resets_.load();
        c.max_concurrency = max_concurrency_.load();
        c.connections = connections_.load();
        c.refused_connections = refused_connections_.load();
        c.unlogged = unlogged_.load();
        return c;
    }

    /// The requests logged so far, in the order they were answered.
    std::vector<overload_record> log() const {
        std::lock_guard lock(log_mutex_);
        return log_;
    }

    /// Waits, at most `limit`, until `n` requests were answered (or reset); true if they were.
    bool wait_for_answers(std::uint64_t n, std::chrono::milliseconds limit) const {
        const auto end = overload_clock::now() + limit;
        for (;;) {
            if (successes_.load() + rejected_.load() + resets_.load() >= n)
                return true;
            if (overload_clock::now() >= end)
                return false;
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    }

private:
    using connection_ptr = std::shared_ptr<detail::overload_connection>;

    boost::asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, socket] = co_await server_.acceptor().async_accept(detail::use_tuple);
            if (server_.stopping() || !server_.acceptor().is_open())
                co_return;
            if (ec)
                continue;
            if (open_ >= limits_.max_connections) {
                ++refused_connections_;
                detail::error_code ignored;
                socket.close(ignored);
                continue;
            }
            ++open_;
            ++connections_;
            detail::error_code ignored;
            socket.set_option(detail::tcp::no_delay(true), ignored);
            auto c = std::make_shared<detail::overload_connection>(std::move(socket));
            server_.connections().add(c);
            boost::asio::co_spawn(server_.context(), serve(std::move(c)),
                                  detail::rethrow_if_failed);
        }
    }

    boost::asio::awaitable<void> serve(connection_ptr c) {
        co_await converse(*c);
        c->stop();
        --open_;
    }

    boost::asio::awaitable<void> converse(detail::overload_connection& c) {
        namespace http = boost::beast::http;
        boost::beast::flat_buffer buffer(limits_.max_head + limits_.max_body);
        for (;;) {
            http::request_parser<http::string_body> parser;
            parser.header_limit(static_cast<std::uint32_t>(limits_.max_head));
            parser.body_limit(limits_.max_body);
            auto [ec, n] = co_await http::async_read(c.socket, buffer, parser, detail::use_tuple);
            if (ec || c.stopped)
                co_return;
            const bool keep_alive = parser.get().keep_alive();
            if (!co_await answer(c, keep_alive) || !keep_alive)
                co_return;
        }
    }

    // Answers one request as the model says; false when the connection is over.
    boost::asio::awaitable<bool> answer(detail::overload_connection& c, bool keep_alive) {
        overload_record r;
        r.arrival = overload_clock::now();
        const std::size_t others = in_process_;
        r.in_process = static_cast<std::uint32_t>(others);
        ++requests_;
        if (others >= model_.capacity) {
            if (model_.overflow == overload_answer::reset) {
                detail::error_code ignored;
                c.socket.set_option(boost::asio::socket_base::linger(true, 0), ignored);
                c.socket.close(ignored);
                ++resets_;
                record(r, overload_answer::reset);
                co_return false;
            }
            const std::string& reply = keep_alive ? rejection_ : rejection_close_;
            auto [ec, n] = co_await boost::asio::async_write(c.socket, boost::asio::buffer(reply),
                                                             detail::use_tuple);
            ++rejected_;
            record(r, overload_answer::rejected);
            co_return !ec && !c.stopped;
        }
        change_level(+1, r.arrival);
        if (const auto delay = model_.latency(others); delay.count() > 0) {
            c.timer.expires_after(delay);
            co_await c.timer.async_wait(detail::use_tuple);
        }
        change_level(-1, overload_clock::now());
        if (c.stopped)
            co_return false;
        const std::string& reply = keep_alive ? success_ : success_close_;
        auto [ec, n] = co_await boost::asio::async_write(c.socket, boost::asio::buffer(reply),
                                                         detail::use_tuple);
        ++successes_;
        record(r, overload_answer::success);
        co_return !ec && !c.stopped;
    }

    // The requests in process go up or down by one at `now` (server thread only).
    void change_level(int by, overload_clock::time_point now) {
        in_process_ = by > 0 ? in_process_ + 1 : in_process_ - 1;
        std::uint64_t seen = max_concurrency_.load();
        while (in_process_ > seen && !max_concurrency_.compare_exchange_weak(seen, in_process_)) {
        }
        std::lock_guard lock(log_mutex_);
        area_ns_ +=
            static_cast<std::uint64_t>(
                std::chrono::duration_cast<std::chrono::nanoseconds>(now - last_change_).count()) *
            level_;
        last_change_ = now;
        level_ = in_process_;
    }

    void record(overload_record r, overload_answer what) {
        r.answered = overload_clock::now();
        r.answer = what;
        std::lock_guard lock(log_mutex_);
        if (log_.size() >= limits_.log_capacity) {
            ++unlogged_;
            return;
        }
        if (log_.capacity() == 0)
            log_.reserve(std::min<std::size_t>(limits_.log_capacity, 4096));
        log_.push_back(r);
    }

    const overload_model model_;
    const overload_limits limits_;
    const std::string success_, success_close_, rejection_, rejection_close_;

    // The server thread's own.
    std::size_t in_process_ = 0;
    std::size_t open_ = 0;

    std::atomic<std::uint64_t> requests_{0}, successes_{0}, rejected_{0}, resets_{0};
    std::atomic<std::uint64_t> max_concurrency_{0}, connections_{0}, refused_connections_{0};
    std::atomic<std::uint64_t> unlogged_{0};

    // Under log_mutex_: the log and the integral of the concurrency.
    mutable std::mutex log_mutex_;
    std::vector<overload_record> log_;
    std::uint64_t area_ns_ = 0;
    std::uint64_t level_ = 0;
    overload_clock::time_point last_change_;

    detail::loopback_server server_; // last: its thread stops before the members above go
};

/// The capacity receiver's settings beyond K and the service time.
struct capacity_options {
    /// `Retry-After` on every 503, in seconds; 0 (the default): none.
    std::chrono::seconds retry_after{0};
    overload_limits limits{};
};

/// At most `capacity` requests in process; one more gets 503 at once.
class capacity_receiver : public overload_receiver {
public:
    capacity_receiver(std::size_t capacity, std::chrono::nanoseconds service_time,
                      capacity_options o = {})
        : overload_receiver({.capacity = capacity,
                             .overflow = overload_answer::rejected,
                             .base = service_time,
                             .retry_after = o.retry_after},
                            o.limits) {}
};

/// Always 204, after `base` plus `per_concurrent` for every request in process beyond `knee`
/// (the arriving one counted): with `knee` 1, base + per_concurrent x (the others in process).
class latency_receiver : public overload_receiver {
public:
    latency_receiver(std::chrono::nanoseconds base, std::chrono::nanoseconds per_concurrent,
                     std::size_t knee = 1, overload_limits limits = {})
        : overload_receiver({.base = base,
                             .per_concurrent = per_concurrent,
                             .knee = std::max<std::size_t>(knee, 1)},
                            limits) {}
};

/// At most `capacity` requests in process; one more has its connection reset.
class reset_receiver : public overload_receiver {
public:
    reset_receiver(std::size_t capacity, std::chrono::nanoseconds service_time,
                   overload_limits limits = {})
        : overload_receiver(
              {.capacity = capacity, .overflow = overload_answer::reset, .base = service_time},
              limits) {}
};

} // namespace webhook::test

#endif
