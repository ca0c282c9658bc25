#ifndef WEBHOOK_TRANSPORT_BEAST_TRANSPORT_HPP
#define WEBHOOK_TRANSPORT_BEAST_TRANSPORT_HPP

#include <webhook/transport/options.hpp>
#include <webhook/transport/origin.hpp>
#include <webhook/transport/request.hpp>
#include <webhook/transport/timing.hpp>
#include <webhook/transport/transport.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <thread>

namespace webhook {

namespace detail {
class beast_pool;
struct beast_transport_access;
} // namespace detail

/** The built-in transport: HTTP/1.1 over TCP or TLS with Boost.Beast, with a keep-alive
    connection pool per origin.

    Pooling: an idle connection is reused (the most recently used first); name resolution is
    done once per origin and reused (names in `beast_transport_options::hosts` are not asked
    of DNS). With `beast_transport_options::destinations`, the addresses are checked at every
    new connection. When a reused connection fails before a single byte of
    the response has arrived (typically because the server closed it while it was idle), the
    request is sent again on a fresh connection; once any byte of a response has arrived, the
    error is reported instead, because the server may have acted on the request.

    Threads: with the constructor that takes an executor, all I/O runs there and the caller
    runs the executor's context; with the other, the transport owns an `io_context` and one
    thread. `send` blocks the calling thread until the response: never call it from a thread
    that runs the transport's executor. Any thread may call `send` and `async_send`
    concurrently. Destroy the transport only once its operations have completed: the destructor
    closes the idle connections, and with its own thread it stops that thread, abandoning any
    operation still in flight.
*/
class beast_transport {
public:
    using executor_type = boost::asio::any_io_executor;

    /// All I/O on `executor`, whose context the caller runs.
    explicit beast_transport(executor_type executor, beast_transport_options options = {});

    /// I/O on a context and a thread of the transport's own.
    explicit beast_transport(beast_transport_options options = {});

    ~beast_transport();
    beast_transport(const beast_transport&) = delete;
    beast_transport& operator=(const beast_transport&) = delete;

    executor_type get_executor() const noexcept { return executor_; }

    /** Sends `request` to `where` and delivers the response.

        Completion signature: `void(boost::system::error_code, http_response)`. Errors include
        `boost::beast::error::timeout`, `error::response_body_too_large`,
        `error::proxy_connect_failed`, `error::address_not_allowed` (refused by
        `beast_transport_options::destinations`, before any connection), name resolution,
        connection, TLS and HTTP parse errors.
        An HTTP status is never an error here. `request` must stay valid until completion.
    */
    template <class CompletionToken>
    auto async_send(const origin& where, const http_request& request, CompletionToken&& token);

    /** Sends `request` to `where` as the other overload does, and fills in `timing` with what
        the transport measured of it (see `transport_timing`): reset at the start, complete when
        the handler runs, `reported` set on every completion, errors included. `timing` must
        stay valid until completion and must not be read before. When the request is sent
        again after a stale kept-alive connection, `timing` describes the try that answered.
    */
    template <class CompletionToken>
    auto async_send(const origin& where, const http_request& request, transport_timing& timing,
                    CompletionToken&& token);

    /// Blocking form: waits for `async_send` on the transport's executor.
    http_response send(const origin& where, const http_request& request,
                       boost::system::error_code& ec);

    /// Blocking form of the timed `async_send`; `timing` is complete when it returns.
    http_response send(const origin& where, const http_request& request, transport_timing& timing,
                       boost::system::error_code& ec);

    /// Number of open connections to `where`, idle or busy.
    std::size_t open_connections(const origin& where) const;

private:
    friend struct detail::beast_transport_access; // the tests' view of the pool

    /// Both forms of `async_send`: untimed when `timing` is null.
    template <class CompletionToken>
    auto initiate_send(const origin& where, const http_request& request, transport_timing* timing,
                       CompletionToken&& token);
    http_response wait_for_send(const origin& where, const http_request& request,
                                transport_timing* timing, boost::system::error_code& ec);

    std::unique_ptr<boost::asio::io_context> own_context_;
    executor_type executor_;
    std::shared_ptr<detail::beast_pool> pool_;
    std::thread own_thread_;
};

} // namespace webhook

#include <webhook/transport/impl/beast_transport.hpp>

#endif
