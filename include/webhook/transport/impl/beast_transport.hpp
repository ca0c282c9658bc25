#ifndef WEBHOOK_TRANSPORT_IMPL_BEAST_TRANSPORT_HPP
#define WEBHOOK_TRANSPORT_IMPL_BEAST_TRANSPORT_HPP

#include <webhook/transport/detail/beast_pool.hpp>

#include <boost/asio/compose.hpp>
#include <boost/asio/coroutine.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <future>
#include <string>
#include <utility>

namespace webhook {

namespace detail {

/// `host:port`, with an IPv6 literal in brackets: the CONNECT target and absolute-form prefix.
inline std::string authority(const origin& where) {
    const bool v6 = where.host.find(':') != std::string::npos;
    return (v6 ? "[" + where.host + "]" : where.host) + ":" + std::to_string(where.port);
}

inline bool is_ip_literal(const std::string& host) {
    boost::system::error_code ec;
    boost::asio::ip::make_address(host, ec);
    return !ec;
}

/** One request: acquire a connection, connect it if it is new (resolve, TCP, proxy
    CONNECT, TLS), write, read, give the connection back. A stackless coroutine on the
    transport's strand, so that the pool's waiters and releases never race. */
class send_op : boost::asio::coroutine {
public:
    send_op(std::shared_ptr<beast_pool> pool, origin where, const http_request& request)
        : pool_(std::move(pool)), where_(std::move(where)), request_(&request) {}

    template <class Self>
    void operator()(Self& self, boost::system::error_code ec = {}, std::size_t = 0) {
        step(self, ec);
    }

    template <class Self>
    void operator()(Self& self, boost::system::error_code ec,
                    boost::asio::ip::tcp::resolver::results_type results) {
        if (!ec)
            pool_->remember(connect_target(), std::move(results));
        step(self, ec);
    }

    template <class Self>
    void operator()(Self& self, boost::system::error_code ec,
                    const boost::asio::ip::tcp::endpoint&) {
        step(self, ec);
    }

private:
    using tcp = boost::asio::ip::tcp;

    /// The proxy when there is one, else the origin itself.
    const origin& connect_target() const {
        return pool_->proxy() ? pool_->proxy()->origin() : where_;
    }

    /// Plain HTTP through a proxy is sent in absolute form; everything else as given.
    const http_request& outgoing() {
        if (!pool_->proxy() || where_.tls)
            return *request_;
        if (!absolute_) {
            absolute_ = std::make_unique<http_request>(*request_);
            absolute_->target("http://" + authority(where_) + std::string(request_->target()));
        }
        return *absolute_;
    }

    template <class Self>
    void step(Self& self, boost::system::error_code ec) {
        namespace asio = boost::asio;
        namespace http = boost::beast::http;
        BOOST_ASIO_CORO_REENTER(*this) {
            // Never complete inside async_send itself, and run on the strand from here on.
            BOOST_ASIO_CORO_YIELD asio::post(pool_->executor(), std::move(self));
            deadline_ = std::chrono::steady_clock::now() + pool_->options().request_timeout;

            for (;;) { // until a response, or an error that cannot be retried
                for (;;) { // until a connection is leased
                    if (pool_->closed())
                        return finish(self, asio::error::operation_aborted);
                    {
                        auto lease = pool_->acquire(where_);
                        conn_ = std::move(lease.conn);
                        reused_ = lease.reused;
                    }
                    if (conn_)
                        break;
                    if (!wait_timer_) // only requests that wait pay for a timer
                        wait_timer_ = std::make_shared<asio::steady_timer>(pool_->executor());
                    pool_->wait(where_, [timer = wait_timer_] { timer->cancel(); });
                    wait_timer_->expires_at(deadline_);
                    BOOST_ASIO_CORO_YIELD wait_timer_->async_wait(std::move(self));
                    if (!ec) // expired: no connection was released in time
                        return finish(self, boost::beast::error::timeout);
                }

                if (!conn_->connected) {
                    if (!pool_->resolved(connect_target())) {
                        resolver_ = std::make_unique<tcp::resolver>(pool_->executor());
                        BOOST_ASIO_CORO_YIELD resolver_->async_resolve(
                            connect_target().host, std::to_string(connect_target().port),
                            std::move(self));
                        if (ec)
                            return fail(self, ec);
                    }
                    conn_->tcp().expires_after(pool_->options().connect_timeout);
                    BOOST_ASIO_CORO_YIELD conn_->tcp().async_connect(
                        *pool_->resolved(connect_target()), std::move(self));
                    if (ec) {
                        pool_->forget_resolution(connect_target()); // the address may have moved
                        return fail(self, ec);
                    }
                    if (pool_->proxy() && where_.tls) {
                        tunnel_ = std::make_unique<http::request<http::empty_body>>(
                            http::verb::connect, authority(where_), 11);
                        tunnel_->set(http::field::host, tunnel_->target());
                        conn_->tcp().expires_after(pool_->options().handshake_timeout);
                        BOOST_ASIO_CORO_YIELD http::async_write(conn_->tcp(), *tunnel_,
                                                                std::move(self));
                        if (ec)
                            return fail(self, ec);
                        tunnel_response_ =
                            std::make_unique<http::response_parser<http::empty_body>>();
                        tunnel_response_->skip(true); // a 2xx answer to CONNECT has no body
                        BOOST_ASIO_CORO_YIELD http::async_read(conn_->tcp(), conn_->buffer,
                                                               *tunnel_response_, std::move(self));
                        if (ec)
                            return fail(self, ec);
                        if (tunnel_response_->get().result_int() / 100 != 2)
                            return fail(self, make_error_code(error::proxy_connect_failed));
                    }
                    if (where_.tls) {
                        if (!is_ip_literal(where_.host) && // SNI carries names only
                            !SSL_set_tlsext_host_name(conn_->tls->native_handle(),
                                                      where_.host.c_str()))
                            return fail(self, boost::system::error_code(
                                                  static_cast<int>(::ERR_get_error()),
                                                  asio::error::get_ssl_category()));
                        if (!pool_->options().tls.insecure_skip_verification)
                            conn_->tls->set_verify_callback(
                                asio::ssl::host_name_verification(where_.host));
                        conn_->tcp().expires_after(pool_->options().handshake_timeout);
                        BOOST_ASIO_CORO_YIELD conn_->tls->async_handshake(
                            asio::ssl::stream_base::client, std::move(self));
                        if (ec)
                            return fail(self, ec);
                    }
                    conn_->connected = true;
                }

                parser_ = std::make_unique<http::response_parser<http::string_body>>();
                parser_->body_limit(pool_->options().max_response_body);
                conn_->tcp().expires_at(deadline_);
                BOOST_ASIO_CORO_YIELD conn_->visit([&](auto& stream) {
                    http::async_write(stream, outgoing(), std::move(self));
                });
                if (!ec) {
                    BOOST_ASIO_CORO_YIELD conn_->visit([&](auto& stream) {
                        http::async_read(stream, conn_->buffer, *parser_, std::move(self));
                    });
                }
                if (!ec)
                    break;
                // A reused connection that failed before any byte of a response: the server
                // closed it while idle. Send again on another connection.
                if (reused_ && !parser_->got_some() && conn_->buffer.size() == 0 &&
                    std::chrono::steady_clock::now() < deadline_) {
                    pool_->release(where_, std::move(conn_), false);
                    continue;
                }
                if (ec == http::error::body_limit)
                    ec = error::response_body_too_large;
                return fail(self, ec);
            }

            http_response response = parser_->release();
            conn_->tcp().expires_never();
            pool_->release(where_, std::move(conn_), response.keep_alive());
            self.complete(boost::system::error_code{}, std::move(response));
        }
    }

    template <class Self>
    void fail(Self& self, boost::system::error_code ec) {
        if (conn_)
            pool_->release(where_, std::move(conn_), false);
        finish(self, ec);
    }

    template <class Self>
    void finish(Self& self, boost::system::error_code ec) {
        self.complete(ec, http_response{});
    }

    std::shared_ptr<beast_pool> pool_;
    origin where_;
    const http_request* request_;
    std::shared_ptr<boost::asio::steady_timer> wait_timer_;
    std::chrono::steady_clock::time_point deadline_;
    std::unique_ptr<connection> conn_;
    bool reused_ = false;
    // The operation object moves with each step while Beast holds references to the messages
    // and parsers it reads and writes (and parsers cannot move): keep those on the heap.
    std::unique_ptr<tcp::resolver> resolver_;
    std::unique_ptr<http_request> absolute_;
    std::unique_ptr<boost::beast::http::request<boost::beast::http::empty_body>> tunnel_;
    std::unique_ptr<boost::beast::http::response_parser<boost::beast::http::empty_body>>
        tunnel_response_;
    std::unique_ptr<boost::beast::http::response_parser<boost::beast::http::string_body>> parser_;
};

} // namespace detail

inline beast_transport::beast_transport(executor_type executor, beast_transport_options options)
    : executor_(boost::asio::make_strand(std::move(executor))),
      pool_(std::make_shared<detail::beast_pool>(executor_, std::move(options))) {}

inline beast_transport::beast_transport(beast_transport_options options)
    : own_context_(std::make_unique<boost::asio::io_context>(1)),
      executor_(boost::asio::make_strand(own_context_->get_executor())),
      pool_(std::make_shared<detail::beast_pool>(executor_, std::move(options))) {
    own_thread_ = std::thread([ctx = own_context_.get()] {
        auto work = boost::asio::make_work_guard(*ctx);
        ctx->run();
    });
}

inline beast_transport::~beast_transport() {
    pool_->shut_down();
    if (own_context_) {
        own_context_->stop();
        own_thread_.join();
    }
}

template <class CompletionToken>
auto beast_transport::async_send(const origin& where, const http_request& request,
                                 CompletionToken&& token) {
    return boost::asio::async_compose<CompletionToken,
                                      void(boost::system::error_code, http_response)>(
        detail::send_op(pool_, where, request), token, executor_);
}

inline http_response beast_transport::send(const origin& where, const http_request& request,
                                           boost::system::error_code& ec) {
    std::promise<std::pair<boost::system::error_code, http_response>> done;
    auto result = done.get_future();
    async_send(where, request, [&done](boost::system::error_code e, http_response r) {
        done.set_value({e, std::move(r)});
    });
    auto [e, response] = result.get();
    ec = e;
    return std::move(response);
}

inline std::size_t beast_transport::open_connections(const origin& where) const {
    return pool_->open_connections(where);
}

static_assert(blocking_transport<beast_transport>);
static_assert(async_transport<beast_transport>);

} // namespace webhook

#endif
