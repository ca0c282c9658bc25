#ifndef WEBHOOK_TRANSPORT_DETAIL_BEAST_POOL_HPP
#define WEBHOOK_TRANSPORT_DETAIL_BEAST_POOL_HPP

#include <webhook/transport/detail/beast_connection.hpp>
#include <webhook/transport/detail/beast_op.hpp>
#include <webhook/transport/detail/sansio/resolution.hpp>
#include <webhook/transport/options.hpp>
#include <webhook/transport/origin.hpp>
#include <webhook/transport/request.hpp>
#include <webhook/transport/url.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <deque>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

// The connection pool of beast_transport. This header declares it; its steps live in one file
// per phase of a request, as Beast's websocket::stream does:
//   impl/pool.hpp        the interface, leasing and releasing connections, ending a request
//   impl/resolution.hpp  name resolution, shared per origin, and the destination guard
//   impl/connection.hpp  TCP connect, the proxy's CONNECT tunnel, the TLS handshake
//   impl/exchange.hpp    writing the request, reading the response, retry on a stale connection
// Their decisions are pure functions in sansio/, tested without sockets.

namespace webhook::detail {

/** Connections and name resolutions, per origin; the interface the transport uses. Shared by
    the transport and its operations (an operation keeps it alive until it completes). The
    steps of every operation run on one executor (a strand, or the transport's own
    single-threaded context); the mutex guards what other threads read and the origin list. */
class beast_pool : public std::enable_shared_from_this<beast_pool> {
public:
    virtual ~beast_pool() = default;
    beast_pool(const beast_pool&) = delete;
    beast_pool& operator=(const beast_pool&) = delete;

    /// Runs `op` (its request to `where`); completes it through `send_op_base::complete`.
    virtual void start(op_ptr op, const origin& where) = 0;
    virtual std::size_t open_connections(const origin& where) = 0;
    /// How many name resolutions were started for `where` (the proxy, if one is used).
    virtual std::size_t resolutions(const origin& where) = 0;
    /// Closes every idle connection and ends every waiting operation (the transport is going
    /// away).
    virtual void shut_down() = 0;
    /// Takes an abandoned operation out of a waiter list.
    virtual void remove_waiter(send_op_base* op) noexcept = 0;
    /// Ends `op` with operation_aborted as soon as possible (a terminal cancellation). Called
    /// on the executor of the steps, while `op` runs.
    virtual void cancel(send_op_base& op) noexcept = 0;
    /// For tests: replaces `beast_transport_options::hosts`, as a change in DNS would (cached
    /// resolutions stay). Blocks until done on the executor of the steps, which must be running
    /// on another thread.
    virtual void set_hosts(std::vector<host_mapping> hosts) = 0;

    /// The transport's executor, as handlers see it by default.
    const boost::asio::any_io_executor& executor() const noexcept { return executor_; }

protected:
    explicit beast_pool(boost::asio::any_io_executor ex) : executor_(std::move(ex)) {}

    boost::asio::any_io_executor executor_;
};

inline send_op_base::~send_op_base() {
    if (waiting_in && pool)
        pool->remove_waiter(this);
}

/** The pool and every step of a request, with I/O objects on `Executor`: a strand over an
    `io_context`'s executor (the common case, with no type erasure on the hot path), a strand
    over any other executor, or the transport's own single-threaded `io_context`.

    The steps of a request each take the operation's ownership; the operation ends in finish()
    (or deliver(), fail()), which must be the last thing a step does: the operation may hold
    the last reference to this pool. */
template <class Executor>
class basic_pool final : public beast_pool {
public:
    using clock = std::chrono::steady_clock;
    using connection = basic_connection<Executor>;
    using tcp = boost::asio::ip::tcp;
    using resolver_type = boost::asio::ip::basic_resolver<tcp, Executor>;

    basic_pool(Executor ex, boost::asio::any_io_executor public_executor,
               beast_transport_options options);

    void start(op_ptr op, const origin& where) override;
    std::size_t open_connections(const origin& where) override;
    std::size_t resolutions(const origin& where) override;
    void shut_down() override;
    void remove_waiter(send_op_base* op) noexcept override;
    void cancel(send_op_base& op) noexcept override;
    void set_hosts(std::vector<host_mapping> hosts) override;

private:
    using after_resolve = sansio::after_resolve;

    struct entry {
        webhook::origin where;
        std::vector<std::shared_ptr<connection>> idle;
        std::size_t open = 0;              // idle and busy
        std::deque<send_op_base*> waiters; // for a connection
        // Name resolution of this origin as a connect target: cached, shared while running.
        std::optional<tcp::resolver::results_type> resolved;
        std::optional<resolver_type> resolver;
        bool resolving = false;
        boost::system::error_code resolve_error;
        std::deque<send_op_base*> resolve_waiters;
        std::size_t resolutions = 0;
    };

    // --- Bookkeeping (impl/pool.hpp).
    bool running_in_this_thread() const noexcept;
    entry& entry_for(const origin& where); // under mutex_
    static entry& entry_of(const send_op_base& op) noexcept;
    static connection& conn_of(const send_op_base& op) noexcept;
    static std::shared_ptr<connection> conn_ptr(const send_op_base& op) noexcept;
    static std::shared_ptr<connection> take_conn(send_op_base& op) noexcept;
    /// The entry whose resolution a new connection of `e` uses: the proxy's, or its own.
    entry& connect_target(entry& e) noexcept { return proxy_entry_ ? *proxy_entry_ : e; }
    void unlink_waiter(send_op_base* op) noexcept; // under mutex_

    // --- The pool: leasing, waiting, releasing; ending a request (impl/pool.hpp).
    void run(op_ptr op);
    void lease(op_ptr op);
    template <class Then>
    void wait(op_ptr op, clock::time_point until, Then then);
    void on_connection_waited(op_ptr op, bool expired);
    void wake_one(entry& e);
    void wake_everyone();
    void release(entry& e, std::shared_ptr<connection> conn, bool keep);
    void fail(op_ptr op, boost::system::error_code ec);
    void deliver(op_ptr op, boost::system::error_code ec);
    void finish(op_ptr op, boost::system::error_code ec, http_response&& response);

    // --- Resolution, once per origin, and the destination guard (impl/resolution.hpp).
    void connect(op_ptr op);
    void resolve(op_ptr op, entry& target, after_resolve next);
    void wait_for_resolution(op_ptr op, entry& target, after_resolve next);
    void on_resolved(op_ptr op, entry& target, after_resolve next, boost::system::error_code ec,
                     tcp::resolver::results_type results);
    void on_resolution_waited(op_ptr op, entry& target, after_resolve next, bool expired);
    void on_addresses(op_ptr op, entry& target, after_resolve next);
    void refuse(op_ptr op, entry& target);

    // --- A new connection: TCP, proxy CONNECT, TLS (impl/connection.hpp).
    /// The TLS context, made at the first TLS connection unless the constructor made it.
    boost::asio::ssl::context& tls_context();
    void configure_tls();
    void connect_tcp(op_ptr op, entry& target);
    void on_tcp_connected(op_ptr op, boost::system::error_code ec);
    void open_tunnel(op_ptr op);
    void on_tunnel_written(op_ptr op, boost::system::error_code ec);
    void on_tunnel_answered(op_ptr op, boost::system::error_code ec);
    void after_tunnel(op_ptr op);

    // --- The exchange: one gather write of the head and the body, then the response
    // (impl/exchange.hpp).
    void send(op_ptr op);
    void send_chunked(op_ptr op, bool absolute);
    void on_written(op_ptr op, boost::system::error_code ec, std::size_t n);
    void read(op_ptr op);
    void read_some(op_ptr op);
    void on_read(op_ptr op, boost::system::error_code ec, std::size_t n);
    void parse(op_ptr op);
    void new_parser(connection& c);
    void succeed(op_ptr op);
    void request_failed(op_ptr op, boost::system::error_code ec);

    Executor strand_;
    beast_transport_options options_;
    std::optional<endpoint_url> proxy_;
    entry* proxy_entry_ = nullptr;
    // Made when first needed (an endpoint that never speaks TLS never pays its 12 KB), or at
    // construction when TLS files are configured, so that an unreadable one fails there.
    std::optional<boost::asio::ssl::context> tls_context_;
    std::mutex mutex_;
    std::list<entry> entries_; // a list: references stay valid as origins are added
    bool closed_ = false;
};

} // namespace webhook::detail

#include <webhook/transport/detail/impl/connection.hpp>
#include <webhook/transport/detail/impl/exchange.hpp>
#include <webhook/transport/detail/impl/pool.hpp>
#include <webhook/transport/detail/impl/resolution.hpp>

#endif
