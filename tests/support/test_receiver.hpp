#ifndef WEBHOOK_TESTS_SUPPORT_TEST_RECEIVER_HPP
#define WEBHOOK_TESTS_SUPPORT_TEST_RECEIVER_HPP

// A webhook receiver for the transport tests: a real HTTP/1.1 server on the loopback interface,
// plain or TLS (optionally mutual), that records every request and misbehaves on request.

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

using header_list = std::vector<std::pair<std::string, std::string>>;

/** One request as the receiver read it off the wire. */
struct recorded_request {
    std::string method{};
    std::string target{};
    header_list headers{};      // in the order received, names spelled as sent
    std::string body{};         // decoded when it came chunked
    std::size_t connection = 0; // 1-based index of the accepted connection it came on
    std::string raw_head{};     // request line and header lines, byte-exact, through "\r\n\r\n"
    std::string client_cert_subject{}; // RFC 2253, e.g. "CN=webhook-client", when mutual TLS

    /// The value of the first header named `name` (case-insensitive), if any.
    std::optional<std::string> header(std::string_view name) const {
        for (const auto& [n, v] : headers)
            if (std::equal(n.begin(), n.end(), name.begin(), name.end(), [](char a, char b) {
                    return std::tolower(static_cast<unsigned char>(a)) ==
                           std::tolower(static_cast<unsigned char>(b));
                }))
                return v;
        return std::nullopt;
    }
};

/** What a respond behaviour (or the handler hook) sends. */
struct response {
    unsigned status = 200; // 100..999
    std::string body{};
    // Sent as given, in this order. Content-Length is added unless these carry a Content-Length
    // or a Transfer-Encoding; "Connection: close" here makes the receiver close after sending.
    header_list headers{};
};

/**
 * What the receiver does with one request. The receiver keeps a queue of these and consumes
 * one per request received, across all connections; when the queue is empty the default
 * behaviour applies (200, empty body, unless changed with set_default_behaviour).
 * Every behaviour works over TLS as well.
 */
struct behaviour {
    enum class kind {
        respond,                // send `reply`; keep the connection if the client asked to
        never_answer,           // send nothing; hold the connection until the client or the
                                // server closes it
        close_without_response, // close at once
        close_mid_response,     // status line, Content-Length: 100, 10 body bytes, close
        oversized_body,         // a complete 200 with a body of `body_size` bytes, streamed
        endless_body,           // a chunked 200 that never ends, until the client closes
        garbage,                // "this is not HTTP\r\n\r\n", close
        raw,                    // `bytes` as they are; then the next request on the connection
    };

    kind what = kind::respond;
    response reply{};
    std::chrono::milliseconds pause{0}; // waited (on an asio timer) before acting
    std::size_t body_size = 0;
    std::string bytes{}; // kind::raw

    static behaviour respond(unsigned status, std::string body = {}, header_list headers = {}) {
        behaviour b;
        b.reply = response{status, std::move(body), std::move(headers)};
        return b;
    }
    static behaviour delay(std::chrono::milliseconds pause, unsigned status = 200,
                           std::string body = {}, header_list headers = {}) {
        return respond(status, std::move(body), std::move(headers)).after(pause);
    }
    static behaviour never_answer() { return of(kind::never_answer); }
    static behaviour close_without_response() { return of(kind::close_without_response); }
    static behaviour close_mid_response() { return of(kind::close_mid_response); }
    static behaviour oversized_body(std::size_t bytes) {
        behaviour b = of(kind::oversized_body);
        b.body_size = bytes;
        return b;
    }
    static behaviour endless_body() { return of(kind::endless_body); }
    static behaviour garbage() { return of(kind::garbage); }
    /// Sends `bytes` verbatim (say, an interim 100 Continue before the final response).
    static behaviour raw(std::string bytes) {
        behaviour b = of(kind::raw);
        b.bytes = std::move(bytes);
        return b;
    }

    /// This behaviour, but acting only `d` after the request was read, e.g. garbage().after(..).
    behaviour after(std::chrono::milliseconds d) const {
        behaviour b = *this;
        b.pause = d;
        return b;
    }

private:
    static behaviour of(kind k) {
        behaviour b;
        b.what = k;
        return b;
    }
};

/** How a test_receiver listens; every member has a default, so designated initializers work. */
struct receiver_options {
    bool tls = false;
    std::string cert_chain_pem{};  // leaf first; required when tls
    std::string private_key_pem{}; // required when tls
    // When not empty (and tls): require a client certificate that chains to one of these
    // (mutual TLS); a handshake without one fails.
    std::string client_ca_pem{};
    bool ipv6 = false; // listen on ::1 instead of 127.0.0.1
    // 0: an ephemeral port. A fixed one lets a test stop a receiver and start it again where
    // its clients expect it (an outage).
    unsigned short port = 0;
    // Close each connection, silently and gracefully (TLS: close_notify, then FIN), after
    // answering its n-th request; 0: never. Changeable later with test_receiver::close_after.
    std::size_t close_after = 0;
    std::uint64_t max_request_body = 64u << 20; // a larger request body ends the connection
};

/// TLS options for a receiver with the test PKI's server certificate; `mutual` also requires
/// a client certificate signed by the test CA.
inline receiver_options tls_options(const test_pki& pki, bool mutual = false) {
    receiver_options o;
    o.tls = true;
    o.cert_chain_pem = pki.server_cert;
    o.private_key_pem = pki.server_key;
    if (mutual)
        o.client_ca_pem = pki.ca_cert;
    return o;
}

namespace detail {

namespace net = boost::asio;
namespace http = boost::beast::http;
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

// Appends what one read brings; false at end of stream or on error.
template <class Stream>
net::awaitable<bool> read_more(Stream& stream, std::string& pending) {
    std::array<char, 8192> chunk;
    auto [ec, n] = co_await stream.async_read_some(net::buffer(chunk), use_tuple);
    pending.append(chunk.data(), n);
    co_return !ec;
}

// Reads one request. `pending` holds bytes read but not yet used, and keeps what follows the
// request (pipelining). The head is cut out byte-exact before Beast parses it.
template <class Stream>
net::awaitable<bool> read_request(Stream& stream, std::string& pending, std::string& raw_head,
                                  http::request<http::string_body>& out, std::uint64_t body_limit) {
    std::size_t end;
    while ((end = pending.find("\r\n\r\n")) == std::string::npos) {
        if (pending.size() > max_head_size || !co_await read_more(stream, pending))
            co_return false;
    }
    raw_head.assign(pending, 0, end + 4);

    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(max_head_size) + 4);
    parser.body_limit(body_limit);
    parser.eager(true);
    for (;;) {
        error_code ec;
        const std::size_t used = pending.empty() ? 0 : parser.put(net::buffer(pending), ec);
        pending.erase(0, used);
        if (ec && ec != http::error::need_more)
            co_return false;
        if (parser.is_done())
            break;
        if (used > 0 && !pending.empty())
            continue;
        if (!co_await read_more(stream, pending))
            co_return false;
    }
    out = parser.release();
    co_return true;
}

inline std::string peer_subject(SSL* ssl) {
    X509* cert = SSL_get0_peer_certificate(ssl);
    if (cert == nullptr)
        return {};
    bio_ptr bio(BIO_new(BIO_s_mem()));
    if (!bio || X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) < 0)
        return {};
    return bio_contents(bio.get());
}

inline net::ssl::context make_server_context(const receiver_options& o) {
    net::ssl::context ctx(net::ssl::context::tls_server);
    if (!o.tls)
        return ctx;
    ctx.set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                    net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                    net::ssl::context::no_tlsv1_1);
    ctx.use_certificate_chain(net::buffer(o.cert_chain_pem));
    ctx.use_private_key(net::buffer(o.private_key_pem), net::ssl::context::pem);
    if (!o.client_ca_pem.empty()) {
        ctx.add_certificate_authority(net::buffer(o.client_ca_pem));
        ctx.set_verify_mode(net::ssl::verify_peer | net::ssl::verify_fail_if_no_peer_cert);
    }
    return ctx;
}

// Close the way a server that means it does: TLS close_notify (see tls_socket), then FIN.
template <class Stream>
net::awaitable<void> close_gracefully(Stream& stream) {
    error_code ignored;
    if constexpr (is_tls_v<Stream>) {
        stream.next_layer().refuse_reads();
        co_await stream.async_shutdown(use_tuple);
    } else {
        stream.shutdown(tcp::socket::shutdown_send, ignored);
    }
    lowest_socket(stream).close(ignored);
}

// 16 KiB of filler for the streamed bodies; shared, so that no behaviour grows with its output.
inline const std::string& filler() {
    static const std::string block(16 * 1024, 'x');
    return block;
}

inline const std::string& endless_chunk() {
    static const std::string chunk = "4000\r\n" + filler() + "\r\n";
    return chunk;
}

/** A connection's stream, its timer for delays, and what stop() must know. */
template <class Stream>
struct connection final : connection_base {
    template <class... Args>
    explicit connection(std::size_t i, Args&&... args)
        : stream(std::forward<Args>(args)...), timer(lowest_socket(stream).get_executor()),
          index(i) {}

    void stop() noexcept override {
        stopped = true;
        error_code ignored;
        lowest_socket(stream).close(ignored);
        timer.cancel();
    }

    Stream stream;
    net::steady_timer timer;
    std::size_t index;
    bool stopped = false; // by the server's stop(): start nothing new
    std::string client_subject;
};

} // namespace detail

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

    template <class Stream>
    boost::asio::awaitable<next_step> perform(detail::connection<Stream>& c, const behaviour& b,
                                              bool keep_alive) {
        namespace net = boost::asio;
        namespace http = detail::http;
        using kind = behaviour::kind;
        switch (b.what) {
        case kind::respond: {
            http::response<http::string_body> res;
            res.version(11);
            res.result(b.reply.status);
            for (const auto& [name, value] : b.reply.headers)
                res.insert(name, value);
            res.body() = b.reply.body;
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
        case kind::oversized_body: {
            std::string head = "HTTP/1.1 200 OK\r\n"
                               "Content-Type: application/octet-stream\r\n"
                               "Content-Length: " +
                               std::to_string(b.body_size) + "\r\n";
            if (!keep_alive)
                head += "Connection: close\r\n";
            head += "\r\n";
            auto [ec, n] =
                co_await net::async_write(c.stream, net::buffer(head), detail::use_tuple);
            std::size_t left = b.body_size;
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
