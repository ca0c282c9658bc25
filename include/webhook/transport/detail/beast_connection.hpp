#ifndef WEBHOOK_TRANSPORT_DETAIL_BEAST_CONNECTION_HPP
#define WEBHOOK_TRANSPORT_DETAIL_BEAST_CONNECTION_HPP

#include <webhook/transport/detail/sansio/connection.hpp>
#include <webhook/transport/recycling_allocator.hpp>
#include <webhook/transport/request.hpp>

#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace webhook::detail {

/** What a connection keeps from one request to the next, whatever its executor: the read
    buffer, the request head's buffer, the response parser (emplaced per request, never on the
    heap), and the state of its deadline. */
struct connection_base : std::enable_shared_from_this<connection_base> {
    using clock = std::chrono::steady_clock;
    using response_parser = boost::beast::http::response_parser<boost::beast::http::string_body,
                                                                recycling_allocator<char>>;

    /// The CONNECT exchange with a proxy (only when tunnelling).
    struct tunnel_exchange {
        boost::beast::http::request<boost::beast::http::empty_body> request;
        boost::beast::http::response_parser<boost::beast::http::empty_body> response;
    };

    boost::beast::flat_buffer buffer;
    std::string head;
    std::optional<response_parser> parser;
    std::unique_ptr<tunnel_exchange> tunnel;
    /// A chunked request in absolute form: the one case sent through Beast's serializer from
    /// a copy.
    std::unique_ptr<http_request> absolute_copy;

    bool connected = false;
    clock::time_point idle_since{};

    // The deadline (see sansio::on_deadline): one timer per connection, re-armed lazily.
    clock::time_point deadline{};
    clock::time_point timer_expiry{};
    bool busy = false;
    bool timer_pending = false;
    bool timed_out = false;
};

/// One HTTP/1.1 connection on executor `Executor`: a TCP socket, or a TLS stream over one.
template <class Executor>
struct basic_connection final : connection_base {
    using socket_type = boost::asio::basic_stream_socket<boost::asio::ip::tcp, Executor>;
    using tls_type = boost::beast::ssl_stream<socket_type>;
    using timer_type =
        boost::asio::basic_waitable_timer<clock, boost::asio::wait_traits<clock>, Executor>;

    basic_connection(const Executor& ex, boost::asio::ssl::context* tls_context) : timer(ex) {
        if (tls_context)
            tls.emplace(ex, *tls_context);
        else
            plain.emplace(ex);
    }

    socket_type& socket() noexcept { return tls ? tls->next_layer() : *plain; }

    /// Calls `f` with the stream requests are written to and responses read from.
    template <class F>
    decltype(auto) visit(F&& f) {
        return tls ? f(*tls) : f(*plain);
    }

    void close() noexcept {
        boost::system::error_code ignored;
        socket().close(ignored);
    }

    /// Sets the deadline of what the connection does now (connecting, handshaking, a request).
    static void arm(const std::shared_ptr<basic_connection>& self, clock::time_point when) {
        auto& c = *self;
        c.deadline = when;
        c.busy = true;
        if (!sansio::needs_new_wait(c.timer_pending, c.timer_expiry, when))
            return;
        c.timer_expiry = when;
        c.timer_pending = true;
        c.timer.expires_at(when); // cancels an earlier wait, if any
        c.timer.async_wait([weak = std::weak_ptr<connection_base>(self)](
                               boost::system::error_code ec) { on_timer(weak, ec); });
    }

    std::optional<tls_type> tls;
    std::optional<socket_type> plain;
    timer_type timer;

private:
    static void on_timer(const std::weak_ptr<connection_base>& weak, boost::system::error_code ec) {
        if (ec) // replaced by a new wait, or the connection is gone
            return;
        const auto base = weak.lock();
        if (!base)
            return;
        const auto self = std::static_pointer_cast<basic_connection>(base);
        auto& c = *self;
        const auto now = clock::now();
        if (c.timer.expiry() > now) // a newer wait is pending
            return;
        c.timer_pending = false;
        switch (sansio::on_deadline(c.busy, c.deadline, now)) {
        case sansio::deadline_action::none:
            return;
        case sansio::deadline_action::close:
            c.timed_out = true;
            c.close(); // the pending operation ends with an error, reported as a timeout
            return;
        case sansio::deadline_action::wait_again:
            arm(self, c.deadline);
            return;
        }
    }
};

} // namespace webhook::detail

#endif
