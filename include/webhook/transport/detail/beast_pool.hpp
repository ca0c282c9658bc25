#ifndef WEBHOOK_TRANSPORT_DETAIL_BEAST_POOL_HPP
#define WEBHOOK_TRANSPORT_DETAIL_BEAST_POOL_HPP

#include <webhook/error.hpp>
#include <webhook/transport/detail/beast_op.hpp>
#include <webhook/transport/options.hpp>
#include <webhook/transport/origin.hpp>
#include <webhook/transport/request.hpp>
#include <webhook/transport/url.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/read_size.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <deque>
#include <future>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace webhook::detail {

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

/** Writes the request line and header fields of `request` into `out`, byte for byte as
    Beast's serializer does: `METHOD SP target SP HTTP/x.y CRLF`, each field as stored
    (`Name: value CRLF`), then CRLF. With `absolute_for`, the target is sent in absolute form
    (`http://host:port/path`), as a plain-HTTP request through a proxy must be. */
inline void serialize_head(std::string& out, const http_request& request,
                           const origin* absolute_for) {
    out.clear();
    out.append(request.method_string());
    out += ' ';
    if (absolute_for) {
        out += "http://";
        const bool v6 = absolute_for->host.find(':') != std::string::npos;
        if (v6)
            out += '[';
        out += absolute_for->host;
        if (v6)
            out += ']';
        out += ':';
        out += std::to_string(absolute_for->port);
    }
    out.append(request.target());
    const unsigned version = request.version();
    const char tail[] = {' ',
                         'H',
                         'T',
                         'T',
                         'P',
                         '/',
                         static_cast<char>('0' + version / 10 % 10),
                         '.',
                         static_cast<char>('0' + version % 10),
                         '\r',
                         '\n'};
    out.append(tail, sizeof tail);
    for (const auto& field : request) {
        out.append(field.name_string());
        out += ": ";
        out.append(field.value());
        out += "\r\n";
    }
    out += "\r\n";
}

/** What a connection keeps from one request to the next, whatever its executor: the read
    buffer, the request head's buffer, the response parser (emplaced per request, never on the
    heap), and the state of its deadline. */
struct connection_base : std::enable_shared_from_this<connection_base> {
    using clock = std::chrono::steady_clock;
    using response_parser =
        boost::beast::http::response_parser<boost::beast::http::string_body,
                                            detail::recycling_allocator<char>>;

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

    // The deadline: one timer per connection, re-armed lazily. A request moves `deadline`
    // forward; the timer, when it fires, closes the connection if the deadline has passed
    // while busy, and otherwise waits again until the deadline. So a request on a kept-alive
    // connection costs no timer operation at all.
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
        if (c.timer_pending && c.timer_expiry <= when)
            return; // it fires earlier and waits again then
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
        if (!c.busy)
            return;
        if (now >= c.deadline) {
            c.timed_out = true;
            c.close(); // the pending operation ends with an error, reported as a timeout
            return;
        }
        arm(self, c.deadline);
    }
};

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
    over any other executor, or the transport's own single-threaded `io_context`. */
template <class Executor>
class basic_pool final : public beast_pool {
public:
    using clock = std::chrono::steady_clock;
    using connection = basic_connection<Executor>;
    using tcp = boost::asio::ip::tcp;
    using resolver_type = boost::asio::ip::basic_resolver<tcp, Executor>;

    basic_pool(Executor ex, boost::asio::any_io_executor public_executor,
               beast_transport_options options)
        : beast_pool(std::move(public_executor)), strand_(std::move(ex)),
          options_(std::move(options)), tls_context_(boost::asio::ssl::context::tls_client) {
        if (!options_.proxy.empty()) {
            proxy_.emplace(options_.proxy);
            proxy_entry_ = &entry_for(proxy_->origin());
        }
        configure_tls();
    }

    void start(op_ptr op, const origin& where) override {
        {
            std::lock_guard lock(mutex_);
            op->entry = &entry_for(where);
        }
        if (running_in_this_thread()) {
            // Called from a completion on the transport's executor: start right away, but
            // never complete inside async_send (see deliver).
            send_op_base* raw = op.get();
            raw->initiating = true;
            run(std::move(op));
            raw->initiating = false; // still alive: a handler of its own holds it
        } else {
            boost::asio::post(strand_,
                              [this, op = std::move(op)]() mutable { run(std::move(op)); });
        }
    }

    std::size_t open_connections(const origin& where) override {
        std::lock_guard lock(mutex_);
        for (const auto& e : entries_)
            if (e.where == where)
                return e.open;
        return 0;
    }

    std::size_t resolutions(const origin& where) override {
        std::lock_guard lock(mutex_);
        for (const auto& e : entries_)
            if (e.where == where)
                return e.resolutions;
        return 0;
    }

    void shut_down() override {
        std::vector<std::shared_ptr<connection>> idle;
        bool waiters = false;
        {
            std::lock_guard lock(mutex_);
            closed_ = true;
            for (auto& e : entries_) {
                e.open -= e.idle.size();
                for (auto& c : e.idle)
                    idle.push_back(std::move(c));
                e.idle.clear();
                waiters = waiters || !e.waiters.empty() || !e.resolve_waiters.empty();
            }
        }
        idle.clear(); // closes them
        if (waiters)  // woken on the executor, where they run; they see the pool closed
            boost::asio::post(strand_, [self = std::static_pointer_cast<basic_pool>(
                                            shared_from_this())] { self->wake_everyone(); });
    }

    void remove_waiter(send_op_base* op) noexcept override {
        std::lock_guard lock(mutex_);
        unlink_waiter(op);
    }

    void cancel(send_op_base& op) noexcept override {
        op.cancelled = true;
        if (op.waiting_in) // its wait ends now
            op.wait_timer->cancel();
        else if (op.conn) // whatever the connection does (connect, TLS, request) ends now
            conn_of(op).close();
        // Else it resolves a name: it ends when the resolver answers.
    }

    void set_hosts(std::vector<host_mapping> hosts) override {
        std::promise<void> done;
        auto finished = done.get_future();
        boost::asio::post(strand_, [&] {
            options_.hosts = std::move(hosts);
            done.set_value();
        });
        finished.wait();
    }

private:
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

    /// Whether the caller runs on the executor of the steps (never known behind the
    /// type-erased executor: then every request is posted).
    bool running_in_this_thread() const noexcept {
        if constexpr (requires(const Executor& ex) { ex.running_in_this_thread(); })
            return strand_.running_in_this_thread();
        else
            return false;
    }

    // --- Bookkeeping (under mutex_).

    entry& entry_for(const origin& where) {
        for (auto& e : entries_)
            if (e.where == where)
                return e;
        entries_.emplace_back();
        entries_.back().where = where;
        return entries_.back();
    }

    static entry& entry_of(const send_op_base& op) noexcept {
        return *static_cast<entry*>(op.entry);
    }

    static connection& conn_of(const send_op_base& op) noexcept {
        return static_cast<connection&>(*op.conn);
    }

    static std::shared_ptr<connection> conn_ptr(const send_op_base& op) noexcept {
        return std::static_pointer_cast<connection>(op.conn);
    }

    /// Takes the connection out of the operation.
    static std::shared_ptr<connection> take_conn(send_op_base& op) noexcept {
        return std::static_pointer_cast<connection>(std::move(op.conn));
    }

    /// The entry whose resolution a new connection of `e` uses: the proxy's, or its own.
    entry& connect_target(entry& e) noexcept { return proxy_entry_ ? *proxy_entry_ : e; }

    void unlink_waiter(send_op_base* op) noexcept {
        if (auto* list = static_cast<std::deque<send_op_base*>*>(op->waiting_in)) {
            const auto it = std::find(list->begin(), list->end(), op);
            if (it != list->end())
                list->erase(it);
            op->waiting_in = nullptr;
        }
    }

    // --- The steps of a request. Each takes the operation's ownership; the operation ends in
    // finish() (or deliver(), fail()), which must be the last thing a step does: the
    // operation may hold the last reference to this pool.

    void run(op_ptr op) {
        op->deadline = clock::now() + options_.request_timeout;
        lease(std::move(op));
    }

    /// A connection for the request: an idle one fresh enough, else a new one below the
    /// limit, else wait for one to be released.
    void lease(op_ptr op) {
        auto& e = entry_of(*op);
        std::shared_ptr<connection> conn;
        std::shared_ptr<connection> stale; // closed outside the lock
        bool reused = false;
        bool closed = false;
        {
            std::lock_guard lock(mutex_);
            closed = closed_;
            const auto now = clock::now();
            while (!closed && !e.idle.empty()) {
                auto c = std::move(e.idle.back());
                e.idle.pop_back();
                if (now - c->idle_since <= options_.idle_timeout) {
                    conn = std::move(c);
                    reused = true;
                    break;
                }
                --e.open; // too old: the server may have closed it already
                stale = std::move(c);
            }
            if (!closed && !conn && e.open < options_.max_connections_per_origin) {
                conn = std::make_shared<connection>(strand_, e.where.tls ? &tls_context_ : nullptr);
                ++e.open;
            }
            if (!closed && !conn) {
                e.waiters.push_back(op.get());
                op->waiting_in = &e.waiters;
            }
        }
        stale.reset();
        if (closed)
            return deliver(std::move(op), boost::asio::error::operation_aborted);
        if (!conn) {
            const auto until = op->deadline;
            return wait(std::move(op), until, [this](op_ptr o, bool expired) {
                on_connection_waited(std::move(o), expired);
            });
        }
        op->conn = std::move(conn);
        op->reused = reused;
        if (!conn_of(*op).connected)
            return connect(std::move(op));
        send(std::move(op));
    }

    /// Waits (in a waiter list already) until woken or `until`.
    template <class Then>
    void wait(op_ptr op, clock::time_point until, Then then) {
        if (!op->wait_timer)
            op->wait_timer.emplace(executor_);
        op->wait_timer->expires_at(until);
        auto& timer = *op->wait_timer;
        timer.async_wait([op = std::move(op), then](boost::system::error_code ec) mutable {
            then(std::move(op), !ec);
        });
    }

    void on_connection_waited(op_ptr op, bool expired) {
        if (op->cancelled || expired) {
            bool was_woken = false;
            {
                std::lock_guard lock(mutex_);
                was_woken = op->waiting_in == nullptr;
                unlink_waiter(op.get());
            }
            if (was_woken) // woken, but it ends anyway: pass the released connection on
                wake_one(entry_of(*op));
            if (op->cancelled)
                return deliver(std::move(op), boost::asio::error::operation_aborted);
            return deliver(std::move(op), boost::beast::error::timeout);
        }
        lease(std::move(op));
    }

    /// Wakes the first operation waiting for a connection of `e`.
    void wake_one(entry& e) {
        send_op_base* next = nullptr;
        {
            std::lock_guard lock(mutex_);
            if (!e.waiters.empty()) {
                next = e.waiters.front();
                e.waiters.pop_front();
                next->waiting_in = nullptr;
            }
        }
        if (next)
            next->wait_timer->cancel();
    }

    void wake_everyone() {
        std::vector<send_op_base*> all;
        {
            std::lock_guard lock(mutex_);
            for (auto& e : entries_) {
                for (auto* list : {&e.waiters, &e.resolve_waiters}) {
                    for (auto* op : *list) {
                        op->waiting_in = nullptr;
                        all.push_back(op);
                    }
                    list->clear();
                }
            }
        }
        for (auto* op : all)
            op->wait_timer->cancel();
    }

    /// Returns a connection after a request: kept for reuse, or closed; wakes a waiter.
    void release(entry& e, std::shared_ptr<connection> conn, bool keep) {
        send_op_base* next = nullptr;
        {
            std::lock_guard lock(mutex_);
            if (keep && conn->connected && !closed_) {
                conn->busy = false;
                conn->idle_since = clock::now();
                e.idle.push_back(std::move(conn));
            } else {
                --e.open;
            }
            if (!e.waiters.empty()) {
                next = e.waiters.front();
                e.waiters.pop_front();
                next->waiting_in = nullptr;
            }
        }
        if (conn) {
            conn->busy = false;
            conn->close();
            conn.reset();
        }
        if (next)
            next->wait_timer->cancel();
    }

    // --- A new connection: resolve (once per origin), check, TCP, proxy CONNECT, TLS.

    /// What follows a resolution: checking the destination's addresses against the policy
    /// before going through the proxy, or connecting to the addresses.
    enum class after_resolve { check, connect };

    void connect(op_ptr op) {
        auto& e = entry_of(*op);
        connection::arm(conn_ptr(*op), clock::now() + options_.connect_timeout);
        // Through a proxy with the guard on, the destination's own addresses are checked
        // first (the proxy resolves the name again: see beast_transport_options::proxy).
        if (proxy_ && options_.destinations.public_only)
            return resolve(std::move(op), e, after_resolve::check);
        resolve(std::move(op), connect_target(e), after_resolve::connect);
    }

    /// The addresses of `target`, from the cache, a running resolution, `hosts` or DNS.
    void resolve(op_ptr op, entry& target, after_resolve next) {
        // A check is made on a fresh resolution for every connection through the proxy: the
        // cache would be as old as the last connect failure, and the proxy resolves anew.
        if (target.resolved && next == after_resolve::connect)
            return on_addresses(std::move(op), target, next);
        bool start_resolving = false;
        {
            std::lock_guard lock(mutex_);
            if (!target.resolving) {
                target.resolving = true;
                ++target.resolutions;
                start_resolving = true;
            } else {
                target.resolve_waiters.push_back(op.get());
                op->waiting_in = &target.resolve_waiters;
            }
        }
        if (!start_resolving) { // another request resolves this name right now: wait for it
            const auto until = conn_of(*op).deadline;
            return wait(std::move(op), until, [this, &target, next](op_ptr o, bool expired) {
                on_resolution_waited(std::move(o), target, next, expired);
            });
        }
        if (!options_.hosts.empty()) {
            if (const host_mapping* m = mapping_of(target.where.host))
                return on_resolved(std::move(op), target, next, mapped_error(*m),
                                   mapped_results(*m, target.where));
        }
        if (!target.resolver)
            target.resolver.emplace(strand_);
        const std::string host = target.where.host;
        const std::string port = std::to_string(target.where.port);
        target.resolver->async_resolve(
            host, port,
            [this, &target, next, op = std::move(op)](boost::system::error_code ec,
                                                      tcp::resolver::results_type results) mutable {
                on_resolved(std::move(op), target, next, ec, std::move(results));
            });
    }

    const host_mapping* mapping_of(const std::string& host) const noexcept {
        for (const auto& m : options_.hosts)
            if (boost::beast::iequals(m.host, host))
                return &m;
        return nullptr;
    }

    static boost::system::error_code mapped_error(const host_mapping& m) noexcept {
        if (m.addresses.empty())
            return boost::asio::error::host_not_found;
        return {};
    }

    static tcp::resolver::results_type mapped_results(const host_mapping& m,
                                                      const webhook::origin& where) {
        std::vector<tcp::endpoint> endpoints;
        endpoints.reserve(m.addresses.size());
        for (const auto& a : m.addresses)
            endpoints.emplace_back(a, where.port);
        // create() is public, if undocumented: the way to make results of one's own.
        return tcp::resolver::results_type::create(endpoints.begin(), endpoints.end(), where.host,
                                                   std::to_string(where.port));
    }

    void on_resolved(op_ptr op, entry& target, after_resolve next, boost::system::error_code ec,
                     tcp::resolver::results_type results) {
        std::deque<send_op_base*> waiters;
        {
            std::lock_guard lock(mutex_);
            target.resolving = false;
            target.resolve_error = ec;
            if (!ec)
                target.resolved = std::move(results);
            waiters.swap(target.resolve_waiters);
            for (auto* w : waiters)
                w->waiting_in = nullptr;
        }
        for (auto* w : waiters)
            w->wait_timer->cancel();
        if (ec)
            return fail(std::move(op), ec);
        on_addresses(std::move(op), target, next);
    }

    void on_resolution_waited(op_ptr op, entry& target, after_resolve next, bool expired) {
        bool closed = false;
        {
            std::lock_guard lock(mutex_);
            unlink_waiter(op.get());
            closed = closed_;
        }
        if (closed || op->cancelled)
            return fail(std::move(op), boost::asio::error::operation_aborted);
        if (target.resolved)
            return on_addresses(std::move(op), target, next);
        if (expired || conn_of(*op).timed_out)
            return fail(std::move(op), boost::beast::error::timeout);
        if (target.resolving) { // a new resolution started meanwhile: wait for that one
            {
                std::lock_guard lock(mutex_);
                target.resolve_waiters.push_back(op.get());
                op->waiting_in = &target.resolve_waiters;
            }
            const auto until = conn_of(*op).deadline;
            return wait(std::move(op), until, [this, &target, next](op_ptr o, bool e) {
                on_resolution_waited(std::move(o), target, next, e);
            });
        }
        const auto ec = target.resolve_error
                            ? target.resolve_error
                            : boost::system::error_code(boost::asio::error::host_not_found);
        fail(std::move(op), ec);
    }

    /// `target` has addresses: check them (through a proxy) or connect to them.
    void on_addresses(op_ptr op, entry& target, after_resolve next) {
        if (next == after_resolve::connect)
            return connect_tcp(std::move(op), target);
        // The proxy may connect to any of the addresses: each must be permitted.
        for (const auto& r : *target.resolved)
            if (!options_.destinations.permits(r.endpoint().address()))
                return refuse(std::move(op), target);
        resolve(std::move(op), connect_target(entry_of(*op)), after_resolve::connect);
    }

    /// Ends `op` with address_not_allowed before any connection. `target`'s addresses are
    /// forgotten, so that the next request resolves the name again (it may have moved to a
    /// permitted address); requests waiting for this resolution end the same way. Except when
    /// `target` is the proxy itself, named as a destination: its addresses serve the other
    /// requests still (and a check never uses the cache).
    void refuse(op_ptr op, entry& target) {
        if (&target != proxy_entry_) {
            target.resolved.reset();
            target.resolve_error = error::address_not_allowed;
        }
        fail(std::move(op), error::address_not_allowed);
    }

    /// Keeps the addresses of `results` the policy permits; false if none is left. Allocates
    /// only when some are dropped.
    bool keep_permitted(tcp::resolver::results_type& results) const {
        const auto& policy = options_.destinations;
        std::size_t permitted = 0;
        for (const auto& r : results)
            permitted += policy.permits(r.endpoint().address()) ? 1 : 0;
        if (permitted == results.size())
            return true;
        if (permitted == 0)
            return false;
        std::vector<tcp::endpoint> kept;
        kept.reserve(permitted);
        for (const auto& r : results)
            if (policy.permits(r.endpoint().address()))
                kept.push_back(r.endpoint());
        const auto& first = *results.begin();
        results = tcp::resolver::results_type::create(kept.begin(), kept.end(), first.host_name(),
                                                      first.service_name());
        return true;
    }

    void connect_tcp(op_ptr op, entry& target) {
        auto& c = conn_of(*op);
        if (c.timed_out || op->cancelled)
            return fail(std::move(op), boost::beast::error::timeout); // fail() tells which
        auto results = *target.resolved; // shared with the cache: copying is cheap
        // Direct connections: the destination's addresses, checked on every connect, so that
        // a re-resolution is checked too. (The proxy's address is exempt.)
        if (options_.destinations.public_only && !proxy_ && !keep_permitted(results))
            return refuse(std::move(op), target);
        const send_op_base* o = op.get(); // before `op` moves into the handler
        boost::asio::async_connect(
            c.socket(), results,
            [&c, o](const boost::system::error_code&, const tcp::endpoint&) {
                return !c.timed_out && !o->cancelled; // closed by either: try no other address
            },
            [this, op = std::move(op)](boost::system::error_code ec, const tcp::endpoint&) mutable {
                on_tcp_connected(std::move(op), ec);
            });
    }

    void on_tcp_connected(op_ptr op, boost::system::error_code ec) {
        auto& c = conn_of(*op);
        if (ec) {
            auto& target = connect_target(entry_of(*op));
            target.resolved.reset(); // the address may have moved: resolve again next time
            return fail(std::move(op), ec);
        }
        boost::system::error_code ignored;
        c.socket().set_option(tcp::no_delay(true), ignored);
        const auto& where = entry_of(*op).where;
        if (proxy_ && where.tls) {
            c.tunnel = std::make_unique<connection_base::tunnel_exchange>();
            auto& t = *c.tunnel;
            t.request = {boost::beast::http::verb::connect, authority(where), 11};
            t.request.set(boost::beast::http::field::host, t.request.target());
            t.response.skip(true); // a 2xx answer to CONNECT has no body
            connection::arm(conn_ptr(*op), clock::now() + options_.handshake_timeout);
            return boost::beast::http::async_write(
                c.socket(), t.request,
                [this, op = std::move(op)](boost::system::error_code ec, std::size_t) mutable {
                    on_tunnel_written(std::move(op), ec);
                });
        }
        after_tunnel(std::move(op));
    }

    void on_tunnel_written(op_ptr op, boost::system::error_code ec) {
        if (ec)
            return fail(std::move(op), ec);
        auto& c = conn_of(*op);
        boost::beast::http::async_read(
            c.socket(), c.buffer, c.tunnel->response,
            [this, op = std::move(op)](boost::system::error_code ec, std::size_t) mutable {
                on_tunnel_answered(std::move(op), ec);
            });
    }

    void on_tunnel_answered(op_ptr op, boost::system::error_code ec) {
        if (ec)
            return fail(std::move(op), ec);
        auto& c = conn_of(*op);
        const bool ok = c.tunnel->response.get().result_int() / 100 == 2;
        c.tunnel.reset();
        if (!ok)
            return fail(std::move(op), make_error_code(error::proxy_connect_failed));
        after_tunnel(std::move(op));
    }

    void after_tunnel(op_ptr op) {
        auto& c = conn_of(*op);
        const auto& where = entry_of(*op).where;
        if (!where.tls) {
            c.connected = true;
            boost::system::error_code ignored;
            c.plain->non_blocking(true, ignored); // send() writes without waiting first
            return send(std::move(op));
        }
        if (!is_ip_literal(where.host) && // SNI carries names only
            !SSL_set_tlsext_host_name(c.tls->native_handle(), where.host.c_str()))
            return fail(std::move(op),
                        boost::system::error_code(static_cast<int>(::ERR_get_error()),
                                                  boost::asio::error::get_ssl_category()));
        if (!options_.tls.insecure_skip_verification)
            c.tls->set_verify_callback(boost::asio::ssl::host_name_verification(where.host));
        connection::arm(conn_ptr(*op), clock::now() + options_.handshake_timeout);
        c.tls->async_handshake(boost::asio::ssl::stream_base::client,
                               [this, op = std::move(op)](boost::system::error_code ec) mutable {
                                   if (ec)
                                       return fail(std::move(op), ec);
                                   conn_of(*op).connected = true;
                                   send(std::move(op));
                               });
    }

    // --- The request: one gather write of the head and the body, then the response.

    void send(op_ptr op) {
        auto& c = conn_of(*op);
        connection::arm(conn_ptr(*op), op->deadline);
        new_parser(c);
        const http_request& request = *op->request;
        const auto& where = entry_of(*op).where;
        const bool absolute = proxy_ && !where.tls;

        if (request.chunked()) { // rare: Beast's serializer encodes the chunks
            const http_request* message = &request;
            if (absolute) {
                c.absolute_copy = std::make_unique<http_request>(request);
                c.absolute_copy->target("http://" + authority(where) +
                                        std::string(request.target()));
                message = c.absolute_copy.get();
            }
            return c.visit([&](auto& stream) {
                boost::beast::http::async_write(
                    stream, *message,
                    [this, op = std::move(op)](boost::system::error_code ec, std::size_t) mutable {
                        on_written(std::move(op), ec);
                    });
            });
        }

        serialize_head(c.head, request, absolute ? &where : nullptr);
        if (c.tls) { // one TLS record for head and body
            c.head.append(request.body());
            return boost::asio::async_write(
                *c.tls, boost::asio::buffer(c.head),
                [this, op = std::move(op)](boost::system::error_code ec, std::size_t) mutable {
                    on_written(std::move(op), ec);
                });
        }
        // Plain TCP: the socket is non-blocking, so try the write at once (one sendmsg, which
        // nearly always takes all of it), and wait for the socket only for what is left.
        std::array<boost::asio::const_buffer, 2> buffers{boost::asio::buffer(c.head),
                                                         boost::asio::buffer(request.body())};
        const std::size_t total = c.head.size() + request.body().size();
        boost::system::error_code ec;
        const std::size_t n = c.plain->write_some(buffers, ec);
        if (!ec && n == total)
            return read(std::move(op));
        if (ec && ec != boost::asio::error::would_block && ec != boost::asio::error::try_again)
            return on_written(std::move(op), ec);
        if (!ec) {
            if (n < buffers[0].size()) {
                buffers[0] += n;
            } else {
                buffers[1] += n - buffers[0].size();
                buffers[0] = boost::asio::const_buffer();
            }
        }
        boost::asio::async_write(
            *c.plain, buffers,
            [this, op = std::move(op)](boost::system::error_code ec, std::size_t) mutable {
                on_written(std::move(op), ec);
            });
    }

    void on_written(op_ptr op, boost::system::error_code ec) {
        if (ec)
            return request_failed(std::move(op), ec);
        conn_of(*op).absolute_copy.reset();
        read(std::move(op));
    }

    void read(op_ptr op) {
        auto& c = conn_of(*op);
        if (c.buffer.size() != 0) // bytes the server sent after its previous response
            return parse(std::move(op));
        read_some(std::move(op));
    }

    void read_some(op_ptr op) {
        auto& c = conn_of(*op);
        const std::size_t size = boost::beast::read_size(c.buffer, 65536);
        if (size == 0)
            return request_failed(std::move(op), boost::beast::http::error::buffer_overflow);
        const auto space = c.buffer.prepare(size);
        c.visit([&](auto& stream) {
            stream.async_read_some(space, [this, op = std::move(op)](boost::system::error_code ec,
                                                                     std::size_t n) mutable {
                on_read(std::move(op), ec, n);
            });
        });
    }

    void on_read(op_ptr op, boost::system::error_code ec, std::size_t n) {
        auto& c = conn_of(*op);
        c.buffer.commit(n);
        if (ec == boost::asio::error::eof) {
            if (!c.parser->got_some())
                return request_failed(std::move(op), boost::beast::http::error::end_of_stream);
            ec = {};
            c.parser->put_eof(ec); // a body delimited by the end of the connection
            if (ec)
                return request_failed(std::move(op), ec);
            return succeed(std::move(op));
        }
        if (ec)
            return request_failed(std::move(op), ec);
        parse(std::move(op));
    }

    void parse(op_ptr op) {
        auto& c = conn_of(*op);
        while (c.buffer.size() != 0) {
            boost::system::error_code ec;
            const std::size_t used = c.parser->put(c.buffer.data(), ec);
            c.buffer.consume(used);
            if (ec == boost::beast::http::error::need_more)
                break;
            if (ec)
                return request_failed(std::move(op), ec);
            if (c.parser->is_done()) {
                const unsigned status = c.parser->get().result_int();
                if (status == 101) // nothing here asked to switch protocols
                    return request_failed(std::move(op), boost::beast::http::error::bad_status);
                if (status / 100 != 1)
                    return succeed(std::move(op));
                // An interim answer (100 Continue, 103 Early Hints): RFC 9110 section 15.2
                // wants it skipped; the final response follows.
                new_parser(c);
                continue;
            }
            if (used == 0)
                break;
        }
        read_some(std::move(op));
    }

    void new_parser(connection& c) {
        c.parser.emplace();
        c.parser->body_limit(options_.max_response_body);
        c.parser->eager(true);
    }

    void succeed(op_ptr op) {
        auto& c = conn_of(*op);
        http_response response = c.parser->release();
        c.parser.reset();
        const bool keep = response.keep_alive();
        release(entry_of(*op), take_conn(*op), keep);
        finish(std::move(op), {}, std::move(response));
    }

    /// The request failed on its connection: send it again on another if the connection was
    /// reused and not a byte of a response came (the server closed it while idle), else fail.
    void request_failed(op_ptr op, boost::system::error_code ec) {
        auto& c = conn_of(*op);
        if (c.timed_out || op->cancelled)
            return fail(std::move(op), boost::beast::error::timeout); // fail() tells which
        if (op->reused && !(c.parser && c.parser->got_some()) && c.buffer.size() == 0 &&
            clock::now() < op->deadline) {
            release(entry_of(*op), take_conn(*op), false);
            return lease(std::move(op));
        }
        if (ec == boost::beast::http::error::body_limit)
            ec = error::response_body_too_large;
        fail(std::move(op), ec);
    }

    void fail(op_ptr op, boost::system::error_code ec) {
        if (op->conn) {
            if (conn_of(*op).timed_out)
                ec = boost::beast::error::timeout;
            release(entry_of(*op), take_conn(*op), false);
        }
        if (op->cancelled)
            ec = boost::asio::error::operation_aborted;
        deliver(std::move(op), ec);
    }

    /// Ends `op` with an error.
    void deliver(op_ptr op, boost::system::error_code ec) {
        finish(std::move(op), ec, http_response{});
    }

    /// Ends `op`: frees it and invokes its handler; posted when still inside async_send.
    void finish(op_ptr op, boost::system::error_code ec, http_response&& response) {
        if (op->initiating)
            return boost::asio::post(strand_,
                                     [op = std::move(op), ec, r = std::move(response)]() mutable {
                                         op->initiating = false;
                                         op.release()->complete(ec, std::move(r));
                                     });
        op.release()->complete(ec, std::move(response));
    }

    void configure_tls() {
        namespace ssl = boost::asio::ssl;
        SSL_CTX_set_min_proto_version(tls_context_.native_handle(), TLS1_2_VERSION);
        const tls_options& t = options_.tls;
        if (t.insecure_skip_verification) {
            tls_context_.set_verify_mode(ssl::verify_none);
        } else {
            tls_context_.set_verify_mode(ssl::verify_peer);
            if (t.ca_file.empty() && t.ca_directory.empty())
                tls_context_.set_default_verify_paths();
            if (!t.ca_file.empty())
                tls_context_.load_verify_file(t.ca_file);
            if (!t.ca_directory.empty())
                tls_context_.add_verify_path(t.ca_directory);
        }
        if (!t.certificate_file.empty())
            tls_context_.use_certificate_chain_file(t.certificate_file);
        if (!t.private_key_file.empty())
            tls_context_.use_private_key_file(t.private_key_file, ssl::context::pem);
    }

    Executor strand_;
    beast_transport_options options_;
    std::optional<endpoint_url> proxy_;
    entry* proxy_entry_ = nullptr;
    boost::asio::ssl::context tls_context_;
    std::mutex mutex_;
    std::list<entry> entries_; // a list: references stay valid as origins are added
    bool closed_ = false;
};

} // namespace webhook::detail

#endif
