#ifndef WEBHOOK_TESTS_SUPPORT_TEST_PROXY_HPP
#define WEBHOOK_TESTS_SUPPORT_TEST_PROXY_HPP

// An HTTP proxy for the transport tests: CONNECT tunnels and absolute-form forwarding, to
// loopback targets only, on its own thread.

#include "support/test_receiver.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace webhook::test {

/** How a test_connect_proxy behaves. */
struct proxy_options {
    // When not empty, a request whose Proxy-Authorization is not exactly this value (for
    // instance "Basic dXNlcjpwYXNz") gets 407 with Proxy-Authenticate, and the connection closes.
    std::string required_proxy_authorization{};
};

namespace detail {

/** Where a CONNECT or an absolute-form request wants to go. */
struct proxy_target {
    std::string host; // without brackets
    unsigned short port = 0;
};

// "host:port", "[v6]:port", or a bare host (then `default_port`).
inline std::optional<proxy_target> parse_authority(std::string_view text,
                                                   unsigned short default_port) {
    proxy_target t;
    std::string_view port_text;
    if (text.starts_with('[')) {
        const std::size_t close = text.find(']');
        if (close == std::string_view::npos)
            return std::nullopt;
        t.host = std::string(text.substr(1, close - 1));
        const std::string_view rest = text.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':')
                return std::nullopt;
            port_text = rest.substr(1);
        }
    } else if (const std::size_t colon = text.rfind(':'); colon != std::string_view::npos) {
        t.host = std::string(text.substr(0, colon));
        port_text = text.substr(colon + 1);
    } else {
        t.host = std::string(text);
    }
    if (t.host.empty())
        return std::nullopt;
    if (port_text.empty()) {
        t.port = default_port;
        return t;
    }
    unsigned value = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || value == 0 ||
        value > 65535)
        return std::nullopt;
    t.port = static_cast<unsigned short>(value);
    return t;
}

// Loopback only, and no name resolution: "localhost" means 127.0.0.1 here.
inline std::optional<tcp::endpoint> loopback_endpoint(const proxy_target& t) {
    std::string host = t.host;
    for (char& ch : host)
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (host == "127.0.0.1" || host == "localhost")
        return tcp::endpoint(net::ip::address_v4::loopback(), t.port);
    if (host == "::1")
        return tcp::endpoint(net::ip::address_v6::loopback(), t.port);
    return std::nullopt;
}

/** The client's socket and the one to the target, closed together by stop(). */
struct proxy_connection final : connection_base {
    explicit proxy_connection(tcp::socket s)
        : client(std::move(s)), upstream(client.get_executor()) {}

    void stop() noexcept override {
        stopped = true;
        error_code ignored;
        client.close(ignored);
        upstream.close(ignored);
    }

    tcp::socket client;
    tcp::socket upstream;
    bool stopped = false;
};

// Copies one direction; end of file is passed on as a half close so that the other direction
// can finish; an error ends both.
inline net::awaitable<void> pipe(std::shared_ptr<proxy_connection> c, tcp::socket& from,
                                 tcp::socket& to) {
    std::array<char, 16 * 1024> chunk;
    for (;;) {
        auto [ec, n] = co_await from.async_read_some(net::buffer(chunk), use_tuple);
        if (n > 0) {
            auto [write_ec, written] =
                co_await net::async_write(to, net::buffer(chunk.data(), n), use_tuple);
            if (write_ec) {
                c->stop();
                co_return;
            }
        }
        if (ec == net::error::eof) {
            error_code ignored;
            to.shutdown(tcp::socket::shutdown_send, ignored);
            co_return;
        }
        if (ec || c->stopped) {
            c->stop();
            co_return;
        }
    }
}

inline std::string status_only(std::string_view status_line, std::string_view extra = {}) {
    return "HTTP/1.1 " + std::string(status_line) + "\r\n" + std::string(extra) +
           "Content-Length: 0\r\nConnection: close\r\n\r\n";
}

} // namespace detail

/**
 * An HTTP proxy on 127.0.0.1 at an ephemeral port, on its own thread, for the transport tests.
 * `CONNECT host:port` opens a tunnel (200 Connection Established, then bytes both ways, each
 * end's close passed on to the other); an absolute-form request (`POST http://host:port/p`)
 * is forwarded in origin form with `Connection: close` and without Proxy-Authorization, and
 * the target's response is relayed back: one request per client connection, which the proxy
 * then closes. Targets must be 127.0.0.1, ::1 or localhost (taken as 127.0.0.1): others get
 * 403; a target that refuses the connection gets 502. Records every request it reads.
 * All public members are thread-safe; the destructor closes every connection and joins.
 */
class test_connect_proxy {
public:
    using options = proxy_options;

    explicit test_connect_proxy(proxy_options opts = {})
        : options_(std::move(opts)), server_(boost::asio::ip::address_v4::loopback()) {
        server_.start(accept_loop());
    }

    ~test_connect_proxy() { stop(); }

    test_connect_proxy(const test_connect_proxy&) = delete;
    test_connect_proxy& operator=(const test_connect_proxy&) = delete;

    /// Closes the listener, every tunnel and every forwarding, and joins. Idempotent.
    void stop() { server_.stop(); }

    unsigned short port() const noexcept { return server_.port(); }
    /// "http://127.0.0.1:port", the form a client's proxy option takes.
    std::string url() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }

    /// The targets of the CONNECT requests read, as sent ("127.0.0.1:8443"), refused ones too.
    std::vector<std::string> connect_targets() const {
        std::lock_guard lock(mutex_);
        return connect_targets_;
    }
    /// The targets of the other requests read, normally absolute-form
    /// ("http://127.0.0.1:8080/hook"), refused ones too.
    std::vector<std::string> forwarded_targets() const {
        std::lock_guard lock(mutex_);
        return forwarded_targets_;
    }
    /// The Proxy-Authorization of every request read, in order; nullopt where there was none.
    std::vector<std::optional<std::string>> proxy_authorizations() const {
        std::lock_guard lock(mutex_);
        return authorizations_;
    }
    /// The Proxy-Authorization of the latest request read, if it had one.
    std::optional<std::string> proxy_authorization() const {
        std::lock_guard lock(mutex_);
        return authorizations_.empty() ? std::nullopt : authorizations_.back();
    }
    std::size_t request_count() const {
        std::lock_guard lock(mutex_);
        return authorizations_.size();
    }
    std::size_t connections_accepted() const {
        std::lock_guard lock(mutex_);
        return accepted_;
    }
    bool wait_for_requests(std::size_t n, std::chrono::milliseconds limit) const {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, limit, [&] { return authorizations_.size() >= n; });
    }

private:
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
            update([&] { ++accepted_; });
            auto c = std::make_shared<detail::proxy_connection>(std::move(socket));
            server_.connections().add(c);
            boost::asio::co_spawn(server_.context(), serve(std::move(c)),
                                  detail::rethrow_if_failed);
        }
    }

    boost::asio::awaitable<void> serve(std::shared_ptr<detail::proxy_connection> c) {
        namespace net = boost::asio;
        namespace http = detail::http;
        std::string pending;
        std::string raw_head;
        http::request<http::string_body> request;
        if (!co_await detail::read_request(c->client, pending, raw_head, request, 64u << 20) ||
            c->stopped)
            co_return;

        const bool is_connect = request.method() == http::verb::connect;
        const std::string target(request.target());
        std::optional<std::string> authorization;
        if (auto it = request.find(http::field::proxy_authorization); it != request.end())
            authorization = std::string(it->value());
        update([&] {
            (is_connect ? connect_targets_ : forwarded_targets_).push_back(target);
            authorizations_.push_back(authorization);
        });

        if (!options_.required_proxy_authorization.empty() &&
            authorization != options_.required_proxy_authorization) {
            co_await refuse(*c, "407 Proxy Authentication Required",
                            "Proxy-Authenticate: Basic realm=\"webhook-test\"\r\n");
            co_return;
        }

        // Where to: CONNECT names an authority; a forwarded request an http:// URL.
        std::optional<detail::proxy_target> where;
        std::string origin_target;
        if (is_connect) {
            where = detail::parse_authority(target, 443);
        } else if (target.size() > 7 &&
                   std::equal(target.begin(), target.begin() + 7, "http://", [](char a, char b) {
                       return std::tolower(static_cast<unsigned char>(a)) == b;
                   })) {
            const std::string_view rest = std::string_view(target).substr(7);
            const std::size_t path_at = rest.find_first_of("/?#");
            where = detail::parse_authority(rest.substr(0, path_at), 80);
            origin_target =
                path_at == std::string_view::npos ? "/" : std::string(rest.substr(path_at));
            if (origin_target.front() != '/')
                origin_target.insert(0, "/");
        }
        if (!where) {
            co_await refuse(*c, "400 Bad Request");
            co_return;
        }
        const std::optional<detail::tcp::endpoint> endpoint = detail::loopback_endpoint(*where);
        if (!endpoint) {
            co_await refuse(*c, "403 Forbidden");
            co_return;
        }
        auto [connect_ec] = co_await c->upstream.async_connect(*endpoint, detail::use_tuple);
        if (c->stopped)
            co_return;
        if (connect_ec) {
            co_await refuse(*c, "502 Bad Gateway");
            co_return;
        }
        detail::error_code ignored;
        c->upstream.set_option(detail::tcp::no_delay(true), ignored);
        c->client.set_option(detail::tcp::no_delay(true), ignored);

        if (is_connect) {
            static const std::string established = "HTTP/1.1 200 Connection Established\r\n\r\n";
            auto [ec, n] =
                co_await net::async_write(c->client, net::buffer(established), detail::use_tuple);
            // Bytes the client sent right behind its CONNECT belong to the tunnel.
            if (!ec && !pending.empty())
                std::tie(ec, n) =
                    co_await net::async_write(c->upstream, net::buffer(pending), detail::use_tuple);
            if (ec || c->stopped)
                co_return;
            net::co_spawn(server_.context(), detail::pipe(c, c->client, c->upstream),
                          detail::rethrow_if_failed);
            co_await detail::pipe(c, c->upstream, c->client);
            co_return;
        }

        request.target(origin_target);
        request.erase(http::field::proxy_authorization);
        request.erase("Proxy-Connection");
        request.keep_alive(false);
        auto [ec, n] = co_await http::async_write(c->upstream, request, detail::use_tuple);
        if (ec || c->stopped)
            co_return;
        // Connection: close upstream, so the response ends with the target's end of stream.
        co_await detail::pipe(c, c->upstream, c->client);
    }

    boost::asio::awaitable<void> refuse(detail::proxy_connection& c, std::string_view status,
                                        std::string_view extra = {}) {
        const std::string answer = detail::status_only(status, extra);
        co_await boost::asio::async_write(c.client, boost::asio::buffer(answer), detail::use_tuple);
        detail::error_code ignored;
        c.client.shutdown(detail::tcp::socket::shutdown_send, ignored);
    }

    const proxy_options options_;

    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    std::vector<std::string> connect_targets_;
    std::vector<std::string> forwarded_targets_;
    std::vector<std::optional<std::string>> authorizations_;
    std::size_t accepted_ = 0;

    detail::loopback_server server_;
};

} // namespace webhook::test

#endif
